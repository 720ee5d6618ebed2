"""Which key signs for an issuer's DID (registry.identity.issuer_key), and the errors when none can."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.errors import ConfigError
from registry.identity import did as dids
from registry.identity import issuer_key, keys


def _key(home, name=None):
    key = keys.SigningKey.generate()
    path = home / "keys" / (name or f"signing-{key.public_multibase[:16]}.json")
    keys.save(key, path, "pw", iterations=2**10)
    return key, path


def test_did_key_signs_with_the_key_it_is_made_of(tmp_path):
    _key(tmp_path)
    key, path = _key(tmp_path)
    found = issuer_key.find(tmp_path, dids.did_key(key.public_multibase))
    assert found.keystore == path and found.public_multibase == key.public_multibase
    assert found.verification_method == dids.did_key_verification_method(key.public_multibase)


def test_did_web_signs_with_the_newest_key_its_document_lists_not_revoked(tmp_path):
    did = "did:web:academy.example"
    old, _ = _key(tmp_path)
    new, new_path = _key(tmp_path)
    revoked, _ = _key(tmp_path)
    document = dids.did_web_document(did, [dids.KeyRecord(old.public_multibase), dids.KeyRecord(new.public_multibase),
                                           dids.KeyRecord(revoked.public_multibase, datetime.now(UTC))])
    dids.write_did_document(tmp_path / "public", document)
    found = issuer_key.find(tmp_path, did)
    assert (found.keystore, found.verification_method) == (new_path, f"{did}#{new.public_multibase}")


@pytest.mark.parametrize("case, words", [
    ("did:key of no keystore here", ["no signing key", "did:key:"]),
    ("did:web without a document", ["no DID document", "credreg issuer keygen --did-web academy.example"]),
    ("did:web whose keys have no keystore", ["has a keystore"]),
    ("another DID method", ["neither did:key nor did:web", "--unsigned"]),
])
def test_no_usable_key_is_a_config_error_saying_what_to_do(tmp_path, case, words):
    other = keys.SigningKey.generate()
    did = {"did:key of no keystore here": dids.did_key(other.public_multibase),
           "did:web without a document": "did:web:academy.example",
           "did:web whose keys have no keystore": "did:web:academy.example",
           "another DID method": "did:ion:abc"}[case]
    _key(tmp_path)
    if case == "did:web whose keys have no keystore":
        dids.write_did_document(tmp_path / "public",
                                dids.did_web_document(did, [dids.KeyRecord(other.public_multibase)]))
    with pytest.raises(ConfigError) as raised:
        issuer_key.find(tmp_path, did)
    for word in words:
        assert word in str(raised.value)


def test_a_named_keystore_must_be_the_dids_key(tmp_path):
    key, path = _key(tmp_path, "elsewhere.json")
    assert issuer_key.find(tmp_path, dids.did_key(key.public_multibase), path).keystore == path
    other = keys.SigningKey.generate()
    with pytest.raises(ConfigError, match="elsewhere.json"):
        issuer_key.find(tmp_path, dids.did_key(other.public_multibase), path)
