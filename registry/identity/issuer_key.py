"""Which signing key signs for an issuer's DID, and under which verification method.

The DID registered on chain is the one the credentials name, so the key must be one that DID
lists as an assertion method: for ``did:key`` the key the DID is made of; for ``did:web`` a key
the DID document in the issuer's public folder lists and has not marked ``revoked``, the newest
when there are several (the document lists keys in the order keygen added them). Keystores are
found in ``$CREDREG_HOME/keys/signing-*.json`` unless one is named; none is unlocked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.errors import ConfigError
from registry.identity import did as dids
from registry.identity import keys


@dataclass(frozen=True)
class IssuerKey:
    keystore: Path
    public_multibase: str
    verification_method: str  # the DID URL the signature proof names


def find(home: Path, did: str, keystore: Path | None = None) -> IssuerKey:
    """The signing key for ``did`` (module docstring); ConfigError saying what to do when none fits."""
    candidates = [Path(keystore)] if keystore is not None else sorted((home / "keys").glob("signing-*.json"))
    publics = {keys.public_multibase(path): path for path in candidates}
    hint = f"make one with `credreg issuer keygen{' --did-web ' + did[8:] if did.startswith('did:web:') else ''}`"
    if did.startswith("did:key:"):
        for public, path in publics.items():
            if dids.did_key(public) == did:
                return IssuerKey(path, public, dids.did_key_verification_method(public))
        where = str(keystore) if keystore is not None else f"{home / 'keys'}/signing-*.json"
        raise ConfigError(f"no signing key for the issuer's DID {did} in {where}; its keystore must be the "
                          "key that DID is made of")
    if did.startswith("did:web:"):
        path = dids.parse_did_web(did).document_path(home / "public")
        records, _ = dids.read_did_web_document(path, did)
        if not records:
            raise ConfigError(f"no DID document for {did} at {path}: {hint}")
        for record in reversed(records):
            if record.revoked is None and record.public_multibase in publics:
                return IssuerKey(publics[record.public_multibase], record.public_multibase,
                                 dids.verification_method_id(did, record.public_multibase))
        raise ConfigError(f"none of the keys {path} lists for {did} (not revoked) has a keystore "
                          f"{'at ' + str(keystore) if keystore is not None else 'in ' + str(home / 'keys')}")
    raise ConfigError(f"the issuer's DID {did} is neither did:key nor did:web: credreg cannot sign for it "
                      "(issue with --unsigned, or register a did:key or did:web DID)")
