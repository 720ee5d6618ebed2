"""Origins a browser may call the API from (CORS): each checked to be ``scheme://host[:port]``.

An origin is compared as a string with the ``Origin`` header browsers send, which is lowercase and
leaves out the scheme's default port; a value is written that way here, so that
``https://Verifier.example:443`` allows what a browser on that page sends. ``*`` (any origin) is
allowed as it is: the API reads no cookies and holds no secret of the caller's.
"""

from __future__ import annotations

import re

ANY = "*"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ORIGIN = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)"
                     r"(?::(?P<port>[0-9]{1,5}))?", re.IGNORECASE)


def origin(value: str) -> str:
    """``value`` as a browser's ``Origin`` header spells it; ValueError if it is not ``scheme://host[:port]``."""
    if value == ANY:
        return ANY
    match = _ORIGIN.fullmatch(value)
    port = int(match["port"]) if match and match["port"] else None
    if match is None or (port is not None and not 0 < port < 65536):
        raise ValueError(f"{value!r} is not an origin: expected scheme://host[:port], "
                         "e.g. https://wallet.example, with no path, not even a trailing /")
    scheme, host = match["scheme"].lower(), match["host"].lower()
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
