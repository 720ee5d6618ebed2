"""The issuer's public folder: what ``credreg publish`` writes, and what the audit and the verifier read.

``credreg publish --out DIR`` takes the root of the issuer's web site (``$CREDREG_HOME/public``
by default, where `credreg issuer keygen` writes a did:web's DID document at the path the DID
names) and puts each file at its URL's path, so that serving DIR at the site's origin (any static
host; ``credreg serve --public DIR``) serves every URL a credential or DID names. Under the
issuer's public URL (``CREDREG_PUBLIC_URL``; a did:web's own path by default)::

    credentials/status/index.json        which lists there are, whose, on which registry
    credentials/status/N.json            list N: a signed BitstringStatusListCredential
    credentials/status/N.anchors.json    list N's indices -> (root, leaf) of the credentials holding them

The anchor map is what lets anyone hold a list to the chain without the issuer's store: the chain
knows revocations by (root, leaf), the list by index. It names only roots and leaf positions,
which are on chain already, and status indices, which are in the credentials: no personal data.
It is written in runs: ``[first index, count, root, first leaf]`` for consecutive indices held by
consecutive leaves of one root (what issuing in order and batching in queue order give).

Every file is written through a temporary file and a rename: a publish killed part-way leaves
each file either as it was or as it became, each list signed, so the folder still verifies. A
list's anchor map is written before the list and the index last, so a reader never meets a list
whose set bits its map cannot explain.
"""

from __future__ import annotations

import json
import os
import posixpath
import signal
import urllib.error
import urllib.request
from urllib.parse import quote, unquote, urlsplit
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.credentials.status_entry import check_public_url, list_path
from registry.errors import BadInput, ConfigError
from registry.identity import did as dids
from registry.identity.keys import write_atomic

INDEX_PATH = "credentials/status/index.json"
MAX_FILE_BYTES = 32 << 20  # a list or map file: far more than a 131,072-entry list ever needs


def public_url_for(issuer_did: str, configured: str | None) -> str:
    """The URL the issuer's public folder is served at: the setting (``CREDREG_PUBLIC_URL``), else
    for a did:web issuer where its DID document lives (``https://HOST[:PORT]/[PATH/]``); a did:key
    names no such place."""
    if configured:
        return check_public_url(configured, "CREDREG_PUBLIC_URL / --public-url")
    if issuer_did.startswith("did:web:"):
        web = dids.parse_did_web(issuer_did)
        path = "".join(f"{quote(segment)}/" for segment in web.path)
        return f"https://{web.host}{'' if web.port is None else f':{web.port}'}/{path}"
    raise ConfigError(f"{issuer_did} names no web site for its status lists: set CREDREG_PUBLIC_URL (or "
                      "--public-url) to the URL its public folder is served at, e.g. https://academy.example/")


def url_path(url: str) -> str:
    """The path of ``url`` within its site, without the leading slash: where its file goes in DIR."""
    return unquote(urlsplit(url).path).lstrip("/")


def did_document_paths(issuer_did: str) -> tuple[str, ...]:
    """Where a did:web's DID document may sit in a folder served at its public URL: ``did.json``
    when the folder is served at the DID's path, else at that path below the folder."""
    web = dids.parse_did_web(issuer_did)
    relative = web.document_path(Path(".")).as_posix()
    return ("did.json", relative) if web.path else (relative,)


def anchors_path(number: int) -> str:
    return list_path(number).removesuffix(".json") + ".anchors.json"


def runs_of(entries: Iterable[tuple[int, str, int]]) -> list[list[Any]]:
    """``(index, root, leaf)`` in index order, as runs ``[first index, count, root, first leaf]``."""
    runs: list[list[Any]] = []
    for index, root, leaf in entries:
        if runs:
            last = runs[-1]
            if last[2] == root and last[0] + last[1] == index and last[3] + last[1] == leaf:
                last[1] += 1
                continue
        runs.append([index, 1, root, leaf])
    return runs


def holders(runs: Iterable[Any], size: int, source: str) -> dict[int, tuple[str, int]]:
    """index -> (root, leaf) of an anchor map's runs; BadInput naming ``source`` for a bad run."""
    out: dict[int, tuple[str, int]] = {}
    for n, run in enumerate(runs):
        if not (isinstance(run, list) and len(run) == 4 and all(isinstance(run[k], int) and not isinstance(run[k], bool)
                                                               for k in (0, 1, 3)) and isinstance(run[2], str)):
            raise BadInput(f"{source}: runs[{n}]: not [first index, count, root, first leaf]")
        first, count, root, leaf = run
        if first < 0 or count < 1 or leaf < 0 or first + count > size:
            raise BadInput(f"{source}: runs[{n}]: indices {first}..{first + count - 1} outside a list of {size:,}")
        for k in range(count):
            if first + k in out:
                raise BadInput(f"{source}: runs[{n}]: index {first + k} is given to two credentials")
            out[first + k] = (root, leaf + k)
    return out


@dataclass(frozen=True)
class ListFiles:
    """One list as published: its number, the signed list credential and its anchor map."""

    number: int
    credential: dict[str, Any]
    anchors: dict[str, Any]

    @property
    def path(self) -> str:
        return url_path(self.credential["id"])


def issuer_folder(site_root: Path, public_url: str) -> Path:
    """The folder of ``site_root`` served at ``public_url`` (where its index lives)."""
    return site_root / url_path(public_url)


def write(site_root: Path, public_url: str | None, index: dict[str, Any], lists: Iterable[ListFiles],
          did_document: Mapping[str, Any] | None, say: Callable[[str], None] | None = None) -> list[Path]:
    """Write the files under ``site_root`` at their URLs' paths (see the module docstring for the
    order); the paths written. No index without a ``public_url`` (an issuer with no list yet)."""
    written = []
    if did_document is not None:
        path = dids.parse_did_web(did_document["id"]).document_path(site_root)
        write_atomic(path, (json.dumps(did_document, indent=2) + "\n").encode("utf-8"), mode=0o644)
        written.append(path)
    for files in lists:
        for relative, document in ((files.path.removesuffix(".json") + ".anchors.json", files.anchors),
                                   (files.path, files.credential)):
            path = site_root / relative
            write_atomic(path, to_bytes(document), mode=0o644)
            written.append(path)
        if say:
            say(f"  wrote {site_root / files.path}")
        _test_kill_point("publish-list")
    if public_url is not None:
        path = issuer_folder(site_root, public_url) / INDEX_PATH
        write_atomic(path, to_bytes(index), mode=0o644)
        written.append(path)
    return written


def index_entry(files: ListFiles, public_url: str) -> dict[str, Any]:
    """The index's line for a list: its URL and its two files, relative to the issuer's folder."""
    here = url_path(public_url) or "."
    relative = posixpath.relpath(files.path, here)
    return {"number": files.number, "url": files.credential["id"], "file": relative,
            "anchors": relative.removesuffix(".json") + ".anchors.json"}


def _test_kill_point(stage: str) -> None:
    # The crash tests' hook (as registry.anchoring._crashpoints): a real SIGKILL between two lists.
    if os.environ.get("CREDREG_TEST_KILL_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def to_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, sort_keys=False) + "\n").encode("utf-8")


# --- reading a published folder, on disk or on the web ----------------------------------------

Fetch = Callable[[str], bytes]


def fetcher(place: str) -> tuple[Fetch, str]:
    """A reader of files under ``place`` (a folder, or an http(s) base URL) and how to name them."""
    if place.startswith(("http://", "https://")):
        base = check_public_url(place, "--public")

        def fetch_url(relative: str) -> bytes:
            try:
                with urllib.request.urlopen(base + relative, timeout=20) as response:
                    data = response.read(MAX_FILE_BYTES + 1)
            except urllib.error.HTTPError as exc:
                raise BadInput(f"{base}{relative}: HTTP {exc.code}") from None
            except (urllib.error.URLError, OSError) as exc:
                raise BadInput(f"{base}{relative}: cannot fetch ({getattr(exc, 'reason', exc)})") from None
            if len(data) > MAX_FILE_BYTES:
                raise BadInput(f"{base}{relative}: larger than {MAX_FILE_BYTES:,} bytes")
            return data
        return fetch_url, base
    folder = Path(place)
    if not folder.is_dir():
        raise BadInput(f"{place}: not a folder (nor an http(s) URL)")

    def fetch_file(relative: str) -> bytes:
        path = folder / relative
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise BadInput(f"{path}: larger than {MAX_FILE_BYTES:,} bytes")
            return path.read_bytes()
        except OSError as exc:
            raise BadInput(f"{path}: {exc.strerror}") from None
    return fetch_file, f"{folder}/"


def read_json(fetch: Fetch, relative: str, name: str) -> Any:
    try:
        return json.loads(fetch(relative))
    except (ValueError, UnicodeDecodeError):
        raise BadInput(f"{name}{relative}: not JSON") from None
