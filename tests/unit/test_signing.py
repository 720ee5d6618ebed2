"""eddsa-rdfc-2022 signing reproduces the W3C vc-di-eddsa test vector byte for byte, rejects an
edited document, and reads no context it does not ship."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from registry.credentials import signing
from registry.errors import BadInput
from registry.identity.keys import SigningKey

VECTOR = Path(__file__).with_name("vectors") / "eddsa-rdfc-2022"


def _json(name: str) -> dict:
    return json.loads((VECTOR / name).read_text())


def _text(name: str) -> str:
    return (VECTOR / name).read_text()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.from_secret_multibase(_json("keyPair.json")["privateKeyMultibase"])


@pytest.fixture(scope="module")
def unsigned() -> dict:
    return _json("unsigned.json")


@pytest.fixture(scope="module")
def options() -> dict:
    # The vector's proof configuration is the proof options with the document's @context.
    return {k: v for k, v in _json("proofConfigDataInt.json").items() if k != "@context"}


def test_the_vector_key_pair_is_one_key(key):
    assert key.public_multibase == _json("keyPair.json")["publicKeyMultibase"]


def test_the_canonical_document_and_its_hash_are_the_vectors(unsigned):
    canonical = signing.canonicalize(unsigned)
    assert canonical == _text("canonDocDataInt.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _text("docHashDataInt.txt")


def test_the_proof_configuration_its_canonical_form_and_hash_are_the_vectors(unsigned, options):
    config = signing.proof_configuration(unsigned, options)
    assert config == _json("proofConfigDataInt.json")
    canonical = signing.canonicalize(config)
    assert canonical == _text("proofCanonDataInt.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _text("proofHashDataInt.txt")


def test_hash_data_is_the_vectors_combined_hash(unsigned, options):
    data = signing.hash_data(unsigned, signing.proof_configuration(unsigned, options))
    assert data.hex() == _text("combinedHashDataInt.txt")


def test_the_signature_and_the_signed_credential_are_the_vectors(unsigned, options, key):
    secured = signing.sign(unsigned, options, key)
    proof_value = secured["proof"]["proofValue"]
    assert proof_value == _text("sigBTC58DataInt.txt")
    assert key.sign(signing.hash_data(unsigned, signing.proof_configuration(unsigned, options))).hex() \
        == _text("sigHexDataInt.txt")
    assert secured == _json("signedDataInt.json")
    assert json.dumps(secured["proof"]) == json.dumps(_json("signedDataInt.json")["proof"])  # key order too


def test_the_vectors_signed_credential_verifies(key):
    assert signing.verify(_json("signedDataInt.json"), key.public_key)


@pytest.mark.parametrize("edit", [
    lambda c: c["credentialSubject"].__setitem__("alumniOf", "The School of Forgeries"),
    lambda c: c.__setitem__("validFrom", "2023-01-02T00:00:00Z"),
    lambda c: c["proof"].__setitem__("created", "2023-02-24T23:36:39Z"),
    lambda c: c["proof"].__setitem__("proofPurpose", "authentication"),
    lambda c: c["proof"].__setitem__("proofValue", c["proof"]["proofValue"][:-2] + "11"),
    lambda c: c["proof"].__setitem__("cryptosuite", "eddsa-jcs-2022"),
    lambda c: c["proof"].pop("proofValue"),
    lambda c: c.__setitem__("proof", [c["proof"], c["proof"]]),
    lambda c: c.__setitem__("proof", [{**c["proof"], "previousProof": "urn:uuid:x"}]),
], ids=["subject", "validFrom", "created", "proofPurpose", "proofValue", "cryptosuite", "no proofValue",
        "two signatures in a list", "chained to another proof"])
def test_an_edited_credential_does_not_verify(key, edit):
    secured = copy.deepcopy(_json("signedDataInt.json"))
    edit(secured)
    assert not signing.verify(secured, key.public_key)


def test_the_signature_in_a_proof_list_beside_a_chained_anchor_verifies(key):
    # Format 2: the anchor proof names the signature as its previousProof; the signature itself
    # is over the document without any proof.
    secured = copy.deepcopy(_json("signedDataInt.json"))
    anchor = {"type": "DataIntegrityProof", "cryptosuite": "credreg-merkle-2026",
              "previousProof": "urn:uuid:sig", "proofValue": "u"}
    secured["proof"] = [secured["proof"], anchor]
    assert signing.verify(secured, key.public_key)
    secured["proof"].reverse()
    assert signing.verify(secured, key.public_key)


def test_another_key_does_not_verify(key):
    other = SigningKey.from_seed(bytes(range(32)))
    assert not signing.verify(_json("signedDataInt.json"), other.public_key)


def test_a_fresh_key_signs_what_it_verifies(unsigned, options):
    key = SigningKey.generate()
    secured = signing.sign(unsigned, options, key)
    assert signing.verify(secured, key.public_key)
    assert "proof" not in unsigned  # the input is not changed


def test_an_unknown_context_is_bad_input_naming_its_url(unsigned, options, key):
    url = "https://example.org/unknown-context/v1"
    document = {**unsigned, "@context": [*unsigned["@context"], url]}
    with pytest.raises(BadInput, match="unknown JSON-LD context https://example.org/unknown-context/v1"):
        signing.canonicalize(document)
    with pytest.raises(BadInput, match=url):
        signing.sign(document, options, key)


def test_every_shipped_context_is_a_json_ld_context():
    for url, name in signing.CONTEXTS.items():
        loaded = signing.document_loader(url)
        assert loaded["documentUrl"] == url and "@context" in loaded["document"], name


def test_the_loader_hands_out_copies():
    url = "https://www.w3.org/ns/credentials/v2"
    signing.document_loader(url)["document"]["@context"].clear()
    assert signing.document_loader(url)["document"]["@context"]


def test_proof_options_of_another_suite_are_refused(unsigned, key):
    with pytest.raises(BadInput, match="cryptosuite"):
        signing.sign(unsigned, {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"}, key)


def test_malformed_json_ld_is_bad_input_saying_what_is_wrong(unsigned):
    with pytest.raises(BadInput, match="JSON-LD processing failed: .*@context must be an object"):
        signing.canonicalize({**unsigned, "@context": 5})
    redefining = {**unsigned, "@context": [*unsigned["@context"], {"VerifiableCredential": "https://example.org/mine"}]}
    with pytest.raises(BadInput, match="protected term redefinition"):
        signing.canonicalize(redefining)


def test_an_open_badges_credential_signs_with_the_shipped_contexts():
    example = Path(__file__).resolve().parents[2] / "examples" / "credentials" / "intro-to-sql.json"
    credential = {k: v for k, v in json.loads(example.read_text()).items() if k != "proof"}
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in credential["@context"]
    key = SigningKey.generate()
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
               "verificationMethod": f"did:key:{key.public_multibase}#{key.public_multibase}",
               "proofPurpose": "assertionMethod"}
    secured = signing.sign(credential, options, key)
    assert signing.verify(secured, key.public_key)
    secured["credentialSubject"]["achievement"]["name"] = "Advanced SQL"
    assert not signing.verify(secured, key.public_key)


def test_a_proof_with_its_own_context_verifies_only_on_a_document_that_starts_with_it(key):
    secured = copy.deepcopy(_json("signedDataInt.json"))
    secured["proof"]["@context"] = secured["@context"]
    assert signing.verify(secured, key.public_key)
    secured["proof"]["@context"] = ["https://www.w3.org/ns/credentials/examples/v2"]
    assert not signing.verify(secured, key.public_key)
