"""eddsa-jcs-2022 signing reproduces the W3C vc-di-eddsa test vector byte for byte, a signature
checks out with `cryptography` alone, and an edited document or proof does not verify."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import base58
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.credentials import signing_jcs
from registry.errors import BadInput
from registry.identity.keys import SigningKey

VECTOR = Path(__file__).with_name("vectors") / "eddsa-jcs-2022"


def _json(name: str) -> dict:
    return json.loads((VECTOR / name).read_text())


def _text(name: str) -> str:
    return (VECTOR / name).read_text().strip()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.from_secret_multibase(_json("keyPair.json")["privateKeyMultibase"])


@pytest.fixture(scope="module")
def unsigned() -> dict:
    return _json("unsigned.json")


@pytest.fixture(scope="module")
def options() -> dict:
    # The vector's proof configuration is the proof options with the document's @context.
    return {k: v for k, v in _json("proofConfigJCS.json").items() if k != "@context"}


def test_the_canonical_document_and_its_hash_are_the_vectors(unsigned):
    assert rfc8785.dumps(unsigned).decode() == _text("canonDocJCS.txt")
    assert hashlib.sha256(rfc8785.dumps(unsigned)).hexdigest() == _text("docHashJCS.txt")


def test_the_proof_configuration_and_its_hash_are_the_vectors(unsigned, options):
    config = signing_jcs.proof_configuration(unsigned, options)
    assert config == _json("proofConfigJCS.json")
    assert rfc8785.dumps(config).decode() == _text("proofCanonJCS.txt")
    assert hashlib.sha256(rfc8785.dumps(config)).hexdigest() == _text("proofHashJCS.txt")


def test_hash_data_is_the_vectors_combined_hash(unsigned, options):
    config = signing_jcs.proof_configuration(unsigned, options)
    assert signing_jcs.hash_data(unsigned, config).hex() == _text("combinedHashJCS.txt")


def test_the_signature_is_the_vectors(unsigned, options, key):
    proof = signing_jcs.create_proof(unsigned, options, key)
    assert proof["proofValue"] == _text("sigBTC58JCS.txt")
    assert base58.b58decode(proof["proofValue"][1:]).hex() == _text("sigHexJCS.txt")
    assert {k: v for k, v in proof.items() if k != "proofValue"} == options


def test_the_vectors_signed_document_verifies(key):
    assert signing_jcs.verify(_json("signedJCS.json"), key.public_key)


def _pathway_like() -> dict:
    return {"type": "CredregPathway", "id": "https://learn.example/pathways/p/v1", "name": "P",
            "issuer": "did:key:z6Mk", "requirement": {"achievement": "https://a.example/1", "issuers": "pathway"}}


def test_a_signature_without_context_checks_out_with_cryptography_alone():
    key = SigningKey.generate()
    doc = _pathway_like()
    options = {"id": "urn:uuid:1b7f0a9e-3f7c-4c39-9b1a-1f0e8c1a2b3c", "type": "DataIntegrityProof",
               "cryptosuite": "eddsa-jcs-2022", "created": "2026-12-02T06:00:00Z",
               "verificationMethod": "did:key:z6Mk#z6Mk", "proofPurpose": "assertionMethod"}
    proof = signing_jcs.create_proof(doc, options, key)
    # Independently of the module: the spec's steps with hashlib, rfc8785 and cryptography.
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    data = hashlib.sha256(rfc8785.dumps(config)).digest() + hashlib.sha256(rfc8785.dumps(doc)).digest()
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(base58.b58decode(proof["proofValue"][1:]), data)
    secured = {**doc, "proof": [proof, {"type": "DataIntegrityProof", "cryptosuite": "credreg-merkle-2026"}]}
    assert signing_jcs.verify(secured, key.public_key)


def test_an_edited_document_or_proof_does_not_verify(key):
    signed = _json("signedJCS.json")
    edited = copy.deepcopy(signed)
    edited["name"] = "Alumni Credential (edited)"
    assert not signing_jcs.verify(edited, key.public_key)
    edited = copy.deepcopy(signed)
    edited["proof"]["created"] = "2024-01-01T00:00:00Z"
    assert not signing_jcs.verify(edited, key.public_key)
    assert not signing_jcs.verify(signed, SigningKey.generate().public_key)


def test_other_cryptosuites_are_refused(unsigned):
    with pytest.raises(BadInput, match="eddsa-jcs-2022"):
        signing_jcs.proof_configuration(unsigned, {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"})
