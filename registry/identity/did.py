"""The issuer's DIDs: ``did:key`` for a signing key, ``did:web`` names, and their DID documents.

``did:key:z6Mk…`` names one Ed25519 key and resolves to itself (the did:key method, Multikey
form): its verification method is ``did:key:z6Mk…#z6Mk…``.

``did:web:DOMAIN[:PATH]`` names a ``did.json`` on the web (the did:web method): the domain, a
port percent-encoded as ``%3A``, and ``:``-separated path segments. credreg writes that document
into the issuer's folder of public files, at the path the DID names, for the issuer to publish.
Its verification methods are identified by ``DID#<publicKeyMultibase>``, not ``DID#key-N``: an id
derived from the key itself never changes and never comes to mean another key across rotations,
and it is formed the same way as did:key's, so a proof's ``verificationMethod`` is made alike
for both methods.

Rotation and revocation: every key the issuer ever signed with stays listed. A key that is no
longer used for new credentials but not compromised stays in ``assertionMethod`` too, so the
credentials it signed keep verifying. A revoked key carries the Controlled Identifiers
``revoked`` timestamp and leaves ``assertionMethod``. Leaving ``assertionMethod`` is what makes
verifiers reject its proofs: Digital Bazaar's and the DCC's verifiers (data-integrity 2.5) do
not read ``revoked`` on a method at all (tests/integration/test_interop_signatures.py pins both
facts). Rotation alone sets neither.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from eth_utils import is_hex_address, to_checksum_address

from registry.errors import BadInput
from registry.identity import multikey
from registry.identity.keys import write_atomic

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
SECP256K1_RECOVERY_CONTEXT = "https://w3id.org/security/suites/secp256k1recovery-2020/v2"
BLOCKCHAIN_ACCOUNT_FRAGMENT = "blockchainAccountId"

# A DNS label (RFC 1123), case-insensitive; the domain is lowercased when parsed.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A did:web path segment: the DID syntax's idchar (unreserved and percent-encoded octets).
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$")


# --- did:key ---------------------------------------------------------------------------------

def did_key(public_multibase: str) -> str:
    """The ``did:key`` of an Ed25519 ``publicKeyMultibase``."""
    multikey.decode_public(public_multibase)
    return f"did:key:{public_multibase}"


def did_key_verification_method(public_multibase: str) -> str:
    """The DID URL of the key's verification method: ``did:key:z6Mk…#z6Mk…``."""
    return f"{did_key(public_multibase)}#{public_multibase}"


def did_key_document(did: str) -> dict:
    """The DID document a ``did:key`` resolves to (Multikey form, no key agreement key derived)."""
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise BadInput(f"{did!r}: not a did:key")
    public = did.removeprefix("did:key:")
    try:
        multikey.decode_public(public)
    except BadInput as exc:
        raise BadInput(f"{did}: {exc}") from None
    method = f"{did}#{public}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": method, "type": "Multikey", "controller": did, "publicKeyMultibase": public},
        ],
        "authentication": [method],
        "assertionMethod": [method],
        "capabilityDelegation": [method],
        "capabilityInvocation": [method],
    }


# --- did:web ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DidWeb:
    """A parsed ``did:web``: its host, port (if any) and path segments (percent-decoded)."""

    did: str
    host: str
    port: int | None
    path: tuple[str, ...]

    @property
    def url(self) -> str:
        """The URL of the DID document: ``https://HOST[:PORT]/.well-known/did.json`` or ``…/PATH/did.json``."""
        authority = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"https://{authority}/{'/'.join(self._location())}"

    def _location(self) -> tuple[str, ...]:
        return (*self.path, "did.json") if self.path else (".well-known", "did.json")

    def document_path(self, folder: Path) -> Path:
        """Where the DID document goes in a folder served at ``https://HOST[:PORT]/``."""
        return Path(folder).joinpath(*self._location())


def parse_did_web(did: str) -> DidWeb:
    """Parse and validate a ``did:web`` identifier (BadInput naming it when it is not one)."""
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise BadInput(f"{did!r}: not a did:web")
    rest = did.removeprefix("did:web:")
    if any(ch in rest for ch in "/?#"):
        raise BadInput(f"{did}: a did:web has no '/', '?' or '#': path segments are separated by ':'")
    domain, *segments = rest.split(":")
    host, _, port_text = unquote(domain).partition(":") if "%3a" in domain.lower() else (domain, "", "")
    if "%" in host:
        raise BadInput(f"{did}: only the port may be percent-encoded in the domain")
    host = host.lower()
    labels = host.split(".")
    if not host or not all(_LABEL.match(label) for label in labels):
        raise BadInput(f"{did}: {host!r} is not a domain name")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise BadInput(f"{did}: {port_text!r} is not a port")
        port = int(port_text)
    path = []
    for segment in segments:
        if not _SEGMENT.match(segment):
            raise BadInput(f"{did}: empty or malformed path segment {segment!r}")
        decoded = unquote(segment)
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded or any(ord(c) < 0x20 for c in decoded):
            raise BadInput(f"{did}: path segment {segment!r} is not a safe folder name")
        path.append(decoded)
    return DidWeb(did=did, host=host, port=port, path=tuple(path))


def did_web(domain_and_path: str) -> str:
    """The ``did:web`` of ``DOMAIN[:PATH]`` (as ``credreg issuer keygen --did-web`` takes it), validated."""
    did = f"did:web:{domain_and_path}"
    parse_did_web(did)
    return did


# --- the did:web DID document ----------------------------------------------------------------

@dataclass(frozen=True)
class KeyRecord:
    """A signing key the issuer's DID lists; ``revoked`` set once the key must no longer count."""

    public_multibase: str
    revoked: datetime | None = None


def verification_method_id(did: str, public_multibase: str) -> str:
    """The DID URL of a key's verification method: ``DID#<publicKeyMultibase>`` (module docstring)."""
    return f"{did}#{public_multibase}"


def did_web_document(did: str, keys: list[KeyRecord], *,
                     anchoring: tuple[int, str] | None = None) -> dict:
    """The DID document of a ``did:web`` issuer.

    One ``Multikey`` verification method per key, in the order given; ``assertionMethod`` lists
    the keys not revoked. ``anchoring`` is ``(chain id, address)`` of the issuer's Ethereum
    anchoring key, listed as an ``EcdsaSecp256k1RecoveryMethod2020`` with its CAIP-10
    ``blockchainAccountId`` (``eip155:<chainId>:<address>``).
    """
    parse_did_web(did)
    if not keys:
        raise BadInput(f"{did}: a DID document needs at least one signing key")
    methods, assertion, seen = [], [], set()
    for key in keys:
        multikey.decode_public(key.public_multibase)
        if key.public_multibase in seen:
            raise BadInput(f"{did}: key {key.public_multibase} is listed twice")
        seen.add(key.public_multibase)
        method = {"id": verification_method_id(did, key.public_multibase), "type": "Multikey",
                  "controller": did, "publicKeyMultibase": key.public_multibase}
        if key.revoked is not None:
            method["revoked"] = _timestamp(key.revoked)
        else:
            assertion.append(method["id"])
        methods.append(method)
    context = [DID_CONTEXT, MULTIKEY_CONTEXT]
    if anchoring is not None:
        context.append(SECP256K1_RECOVERY_CONTEXT)
        methods.append({"id": f"{did}#{BLOCKCHAIN_ACCOUNT_FRAGMENT}",
                        "type": "EcdsaSecp256k1RecoveryMethod2020", "controller": did,
                        "blockchainAccountId": blockchain_account_id(*anchoring)})
    return {"@context": context, "id": did, "verificationMethod": methods, "assertionMethod": assertion}


def blockchain_account_id(chain_id: int, address: str) -> str:
    """The CAIP-10 account id ``eip155:<chainId>:<checksummed address>``."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise BadInput(f"{chain_id!r}: not a chain id")
    if not isinstance(address, str) or not is_hex_address(address):
        raise BadInput(f"{address!r}: not an Ethereum address")
    return f"eip155:{chain_id}:{to_checksum_address(address)}"


def read_did_web_document(path: Path, subject: str) -> tuple[list[KeyRecord], tuple[int, str] | None]:
    """The keys (revocations kept) and anchoring account of the did.json already at ``path``, as
    :func:`did_web_document` takes them, so a rotation rewrites it with a key added; ``([], None)``
    if there is none. BadInput naming the file for one credreg did not write (or cannot read).
    """
    if not path.exists():
        return [], None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        methods = document["verificationMethod"]
        if document["id"] != subject or not isinstance(methods, list):
            raise ValueError
    except (OSError, ValueError, UnicodeDecodeError, KeyError, TypeError):
        raise BadInput(f"{path}: exists but is not the DID document of {subject}; "
                       "move it away or fix it, then run keygen again") from None
    records, anchoring = [], None
    for method in methods:
        kind = method.get("type") if isinstance(method, dict) else None
        if kind == "Multikey" and isinstance(method.get("publicKeyMultibase"), str):
            revoked = method.get("revoked")
            try:
                moment = datetime.fromisoformat(revoked.replace("Z", "+00:00")) if revoked else None
            except (AttributeError, ValueError):
                raise BadInput(f"{path}: {method.get('id')}: bad revoked time {revoked!r}") from None
            records.append(KeyRecord(method["publicKeyMultibase"], revoked=moment))
        elif kind == "EcdsaSecp256k1RecoveryMethod2020" and \
                str(method.get("id", "")).endswith(f"#{BLOCKCHAIN_ACCOUNT_FRAGMENT}"):
            namespace, _, rest = str(method.get("blockchainAccountId", "")).partition(":")
            chain, _, address = rest.partition(":")
            if namespace != "eip155" or not chain.isdigit():
                raise BadInput(f"{path}: bad blockchainAccountId {method.get('blockchainAccountId')!r}")
            anchoring = (int(chain), address)
        else:
            # Rewriting the document would drop it: better to stop than lose what the issuer added.
            raise BadInput(f"{path}: verification method {method.get('id') if kind else method!r} "
                           "is not one credreg writes; add the new key by hand")
    return records, anchoring


def write_did_document(folder: Path, document: dict) -> Path:
    """Write a did:web ``document`` under the public ``folder`` where its DID says (atomically)."""
    target = parse_did_web(document.get("id")).document_path(folder)
    write_atomic(target, (json.dumps(document, indent=2) + "\n").encode("utf-8"), mode=0o644)
    return target


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise BadInput(f"{moment!r}: a revocation time needs a time zone")
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
