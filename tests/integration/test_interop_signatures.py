"""credreg's eddsa-rdfc-2022 signatures verify in the ecosystem's own verifiers, and edits do not.

Each credential is signed with ``registry.credentials.signing`` under an issuer DID made by
``registry.identity`` and handed to two verifiers, offline: ``tests/interop/verify-dbvc.mjs``
(Digital Bazaar's ``@digitalbazaar/vc`` ``verifyCredential`` with the ``eddsa-rdfc-2022``
cryptosuite, over credreg's shipped contexts) and ``tests/interop/verify-dcc.mjs`` (the Digital
Credentials Consortium's ``@digitalcredentials/verifier-core``, with its own loader and contexts).
An edited body or proofValue must fail in both with an invalid signature, and in credreg's own
``signing.verify``. Node and the npm dev dependencies are required: without them
the tests fail (``make setup`` installs them), they never skip.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import base58
import pytest

from registry import credentials
from registry.credentials import signing
from registry.identity import did
from registry.identity.keys import SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecosystem  # noqa: E402  (tests/ecosystem.py)

REPO = Path(__file__).resolve().parents[2]
# Each verifier's script, and the error it gives for a signature that does not match.
VERIFIERS = {
    "dbvc": (REPO / "tests" / "interop" / "verify-dbvc.mjs", "Invalid signature."),
    "dcc": (REPO / "tests" / "interop" / "verify-dcc.mjs", "The signature is not valid."),
}
EXAMPLES = REPO / "examples"
CREDENTIAL_FILES = sorted((EXAMPLES / "credentials").glob("*.json"))
NPM_PACKAGES = ("@digitalbazaar/vc", "@digitalbazaar/data-integrity", "@digitalbazaar/eddsa-rdfc-2022-cryptosuite",
                "@digitalbazaar/ed25519-multikey", "@digitalbazaar/did-method-key",
                "@digitalcredentials/verifier-core")
ISSUER_NAME = "Example Learning Academy"
CREATED = "2025-06-27T09:00:00Z"


@pytest.fixture(scope="module")
def node() -> str:
    return ecosystem.node(NPM_PACKAGES)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(params=sorted(VERIFIERS))
def verifier(request) -> str:
    return request.param


def _verify(node: str, verifier: str, credential: dict, tmp_path: Path,
            did_documents: tuple[dict, ...] = ()) -> dict:
    """The ``verifier``'s verdict on ``credential``: ``{verified, errors}``, checked against the exit code."""
    args = [node, str(VERIFIERS[verifier][0])]
    for n, document in enumerate(did_documents):
        path = tmp_path / f"did-{n}.json"
        path.write_text(json.dumps(document))
        args += ["--did-document", str(path)]
    run = subprocess.run(args, input=json.dumps(credential), capture_output=True, text=True, cwd=REPO,
                         timeout=60, check=False)
    assert run.returncode in (0, 1), f"{verifier}'s script failed to run (exit {run.returncode}): {run.stderr}"
    result = json.loads(run.stdout)
    assert result["verified"] is (run.returncode == 0), result
    return result


def _options(verification_method: str) -> dict:
    return {"type": signing.PROOF_TYPE, "cryptosuite": signing.CRYPTOSUITE, "created": CREATED,
            "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}


def _signed_with_did_key(document: dict, key: SigningKey) -> dict:
    prepared = credentials.prepare(document, did.did_key(key.public_multibase), ISSUER_NAME)
    return signing.sign(prepared, _options(did.did_key_verification_method(key.public_multibase)), key)


def _edited_body(secured: dict) -> dict:
    edited = copy.deepcopy(secured)
    edited["credentialSubject"]["achievement"]["name"] += " (edited)"
    return edited


def _edited_proof_value(secured: dict) -> dict:
    # One bit of the signature's R half flipped: still 64 bytes of base58btc, so only the check fails.
    signature = bytearray(base58.b58decode(secured["proof"]["proofValue"][1:]))
    signature[0] ^= 0x01
    edited = copy.deepcopy(secured)
    edited["proof"]["proofValue"] = "z" + base58.b58encode(bytes(signature)).decode("ascii")
    return edited


def _roster_credentials() -> list[dict]:
    return credentials.from_roster(EXAMPLES / "roster.csv", EXAMPLES / "achievement.json")


def _assert_verifies_and_edits_do_not(node: str, verifier: str, secured: dict, public_key: bytes,
                                      tmp_path: Path, did_documents: tuple[dict, ...] = ()) -> None:
    assert signing.verify(secured, public_key)
    assert _verify(node, verifier, secured, tmp_path, did_documents) == {"verified": True, "errors": []}
    for edited in (_edited_body(secured), _edited_proof_value(secured)):
        assert not signing.verify(edited, public_key)
        verdict = _verify(node, verifier, edited, tmp_path, did_documents)
        assert not verdict["verified"]
        # Rejected for the signature itself, not for anything the verifier could not read.
        assert VERIFIERS[verifier][1] in verdict["errors"], verdict


def test_the_example_credentials_are_three():
    assert len(CREDENTIAL_FILES) == 3


@pytest.mark.parametrize("path", CREDENTIAL_FILES, ids=lambda p: p.stem)
def test_an_example_credential_signed_under_did_key_verifies(node, verifier, key, path, tmp_path):
    secured = _signed_with_did_key(credentials.load_file(path), key)
    _assert_verifies_and_edits_do_not(node, verifier, secured, key.public_key, tmp_path)


@pytest.mark.parametrize("row", range(len(_roster_credentials())))
def test_a_roster_credential_signed_under_did_key_verifies(node, verifier, key, row, tmp_path):
    # Rows differ: hashed email only, a subject id only, both, and one with validUntil.
    secured = _signed_with_did_key(_roster_credentials()[row], key)
    assert signing.verify(secured, key.public_key)
    assert _verify(node, verifier, secured, tmp_path) == {"verified": True, "errors": []}


def test_a_roster_credential_edited_does_not_verify(node, verifier, key, tmp_path):
    secured = _signed_with_did_key(_roster_credentials()[0], key)
    _assert_verifies_and_edits_do_not(node, verifier, secured, key.public_key, tmp_path)


def _did_web_credential(did_web: str, key: SigningKey) -> dict:
    prepared = credentials.prepare(credentials.load_file(CREDENTIAL_FILES[0]), did_web, ISSUER_NAME)
    return signing.sign(prepared, _options(did.verification_method_id(did_web, key.public_multibase)), key)


def test_a_credential_signed_under_did_web_verifies_with_its_did_document(node, verifier, key, tmp_path):
    did_web = did.did_web("learn.example.org")
    document = did.did_web_document(did_web, [did.KeyRecord(key.public_multibase)],
                                    anchoring=(31337, "0x" + "11" * 20))
    secured = _did_web_credential(did_web, key)
    _assert_verifies_and_edits_do_not(node, verifier, secured, key.public_key, tmp_path, (document,))


def test_did_web_a_rotated_key_still_verifies_and_a_revoked_one_does_not(node, verifier, key, tmp_path):
    # Rotation keeps old credentials valid; revocation ends them (registry.identity.did).
    did_web = did.did_web("learn.example.org:issuers:academy")
    newer = SigningKey.generate()
    secured = _did_web_credential(did_web, key)
    rotated = did.did_web_document(did_web, [did.KeyRecord(key.public_multibase),
                                             did.KeyRecord(newer.public_multibase)])
    assert _verify(node, verifier, secured, tmp_path, (rotated,))["verified"]
    revoked = did.did_web_document(did_web, [did.KeyRecord(key.public_multibase, revoked=datetime.now(UTC)),
                                             did.KeyRecord(newer.public_multibase)])
    verdict = _verify(node, verifier, secured, tmp_path, (revoked,))
    assert not verdict["verified"]
    assert signing.verify(secured, key.public_key)  # the signature itself is still sound


def test_revoked_on_a_method_still_in_assertion_method_is_ignored(node, verifier, key, tmp_path):
    # A fact the DID document relies on: for DataIntegrityProof neither verifier reads a verification
    # method's `revoked` (@digitalbazaar/data-integrity 2.5 and verifier-core's fork never do;
    # jsonld-signatures' older suites did), so a revoked key must leave assertionMethod, as
    # did_web_document does, for them to reject its proofs.
    did_web = did.did_web("learn.example.org")
    document = did.did_web_document(did_web, [did.KeyRecord(key.public_multibase, revoked=datetime.now(UTC))])
    document["assertionMethod"] = [document["verificationMethod"][0]["id"]]
    assert _verify(node, verifier, _did_web_credential(did_web, key), tmp_path, (document,))["verified"]


def test_a_did_web_credential_without_its_did_document_does_not_verify(node, verifier, key, tmp_path):
    # Neither script reaches the network: an unknown DID is an error, not a fetch.
    verdict = _verify(node, verifier, _did_web_credential(did.did_web("learn.example.org"), key), tmp_path)
    assert not verdict["verified"]
