"""The ecosystem checks (tests/ecosystem.py) pass format-2 credentials and can fail.

The credentials are built here, as credreg's issue and anchor steps build them, without a chain:
the example credentials and the example roster, prepared, secured (``securing.secure``: the
1EdTech schema reference and the issuer's ``eddsa-rdfc-2022`` signature) and given a
``credreg-merkle-2026`` anchor proof chained to the signature (ARCHITECTURE.md, format 2) whose
receipt is well-formed and consistent but anchored nowhere: none of these checks reads a chain.
Then each check must reject what a relying party would: an undefined term, an edited body, the
old format-1 proof, a malformed date. Node and the npm dev dependencies are required (``make
setup``); without them the tests fail, they never skip.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecosystem import (  # noqa: E402
    EXPAND_SAFE,
    INTEROP,
    REPO,
    VERIFIERS,
    safe_expansion_failures,
    schema_errors,
    standard_verifier_failures,
)

from registry import credentials  # noqa: E402
from registry.credentials import proofs, securing, signing  # noqa: E402
from registry.identity import did  # noqa: E402
from registry.identity.keys import SigningKey  # noqa: E402

EXAMPLES = REPO / "examples"
ISSUER_NAME = "Example Learning Academy"
SIGNED = "2026-01-05T09:00:00Z"
ANCHORED = "2026-01-05T09:10:00Z"
CHAIN_ID = 31337
# What each verifier says of a signature that does not match (tests/integration/test_interop_signatures.py).
INVALID_SIGNATURE = {"dbvc": "Invalid signature.", "dcc": "The signature is not valid."}


def _anchored(secured: securing.SecuredCredential, sibling: bytes) -> dict[str, Any]:
    """The secured credential with a format-2 anchor proof: a two-leaf tree with ``sibling``."""
    doc = secured.document()
    target = bytes.fromhex(secured.target_hash)
    assert proofs.format_2_target_hash(doc) == target  # what the anchor commits to, per ARCHITECTURE
    receipt = {"targetHash": target.hex(), "merkleRoot": hashlib.sha256(target + sibling).hexdigest(),
               "path": [{"right": sibling.hex()}],
               "anchor": {"chainId": CHAIN_ID, "registry": "0x" + "5f" * 20, "transactionHash": "0x" + "ab" * 32,
                          "blockNumber": 42}}
    doc["proof"].append({"type": "DataIntegrityProof", "cryptosuite": proofs.MERKLE_CRYPTOSUITE, "created": ANCHORED,
                         "previousProof": secured.signature_id,
                         "verificationMethod": f"did:pkh:eip155:{CHAIN_ID}:0x{'3c' * 20}#blockchainAccountId",
                         "proofPurpose": "assertionMethod", "proofValue": proofs.encode_receipt(receipt)})
    return doc


def _documents() -> dict[str, dict[str, Any]]:
    docs = {p.stem: credentials.load_file(p) for p in sorted((EXAMPLES / "credentials").glob("*.json"))}
    roster = credentials.from_roster(EXAMPLES / "roster.csv", EXAMPLES / "achievement.json")
    docs.update({f"roster-{n}": doc for n, doc in enumerate(roster)})
    return docs


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def did_web_issuer(key) -> tuple[str, dict]:
    issuer = did.did_web("learn.example.org")
    return issuer, did.did_web_document(issuer, [did.KeyRecord(key.public_multibase)],
                                        anchoring=(CHAIN_ID, "0x" + "3c" * 20))


@pytest.fixture(scope="module")
def issued(key, did_web_issuer, tmp_path_factory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """A directory of format-2 credentials, as the anchoring job writes them, and the credentials
    by file stem: every example and roster row under did:key, and one example under did:web."""
    directory = tmp_path_factory.mktemp("issued")
    did_key = did.did_key(key.public_multibase)
    method = did.did_key_verification_method(key.public_multibase)
    out = {}
    for n, (name, doc) in enumerate(_documents().items()):
        secured = securing.secure(credentials.prepare(doc, did_key, ISSUER_NAME), key, method, SIGNED)
        out[name] = _anchored(secured, bytes([n]) * 32)
    did_web, _ = did_web_issuer
    first = next(iter(_documents().values()))
    secured = securing.secure(credentials.prepare(first, did_web, ISSUER_NAME), key,
                              did.verification_method_id(did_web, key.public_multibase), SIGNED)
    out["did-web"] = _anchored(secured, b"\xee" * 32)
    for name, doc in out.items():
        (directory / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return directory, out


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _format_1(doc: dict[str, Any]) -> dict[str, Any]:
    """The first format credreg wrote: unsigned, one CredregMerkleProof2026 object."""
    body = {k: v for k, v in doc.items() if k != "proof"}
    target = credentials.target_hash(body)
    sibling = b"\x01" * 32
    return {**body, "proof": {"type": proofs.FORMAT_1_TYPE, "created": ANCHORED, "targetHash": target.hex(),
                              "merkleRoot": hashlib.sha256(target + sibling).hexdigest(),
                              "path": [{"right": sibling.hex()}],
                              "anchor": {"chainId": CHAIN_ID, "registry": "0x" + "5f" * 20,
                                         "transactionHash": "0x" + "ab" * 32, "blockNumber": 42}}}


def test_the_scripts_serve_the_contexts_signing_ships():
    # common.mjs's map is a copy of signing.CONTEXTS: the Node checks read the same files.
    node = shutil.which("node")
    assert node, "node is not on PATH (run `make setup`)"
    run = subprocess.run([node, "--input-type=module", "-e",
                          f"import {{CONTEXTS}} from {json.dumps(str(INTEROP / 'common.mjs'))};"
                          "process.stdout.write(JSON.stringify(CONTEXTS));"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(run.stdout) == signing.CONTEXTS


def test_the_issued_credentials_are_format_2_with_both_proofs(issued):
    _, docs = issued
    assert len(docs) == 3 + 5 + 1  # examples, roster rows, the did:web one
    for doc in docs.values():
        signature, anchor = doc["proof"]
        assert signature["cryptosuite"] == signing.CRYPTOSUITE
        assert anchor["cryptosuite"] == proofs.MERKLE_CRYPTOSUITE
        assert anchor["previousProof"] == signature["id"]


def test_the_issued_credentials_pass_the_1edtech_schema(issued):
    _, docs = issued
    assert {name: schema_errors(doc) for name, doc in docs.items()} == {name: [] for name in docs}


def test_the_issued_credentials_expand_in_safe_mode(issued):
    directory, _ = issued
    assert safe_expansion_failures([directory]) == {}


@pytest.mark.parametrize("verifier", sorted(VERIFIERS))
def test_the_issued_credentials_verify_in_the_standard_verifiers(issued, did_web_issuer, verifier):
    # The anchor proof's cryptosuite is unknown to both: they pass over it and check the signature.
    directory, _ = issued
    assert standard_verifier_failures(verifier, [directory], did_documents=[did_web_issuer[1]]) == {}


@pytest.mark.parametrize("verifier", sorted(VERIFIERS))
def test_a_did_web_credential_fails_alone_without_its_did_document(issued, verifier):
    # One run, many files: each failure is the file's own.
    directory, _ = issued
    failures = standard_verifier_failures(verifier, [directory])
    assert list(failures) == [str(directory / "did-web.json")]


def test_an_undefined_term_fails_safe_expansion_and_is_named(issued, tmp_path):
    _, docs = issued
    doc = copy.deepcopy(docs["roster-0"])
    doc["fooBar"] = "not in any context"
    nested = copy.deepcopy(docs["roster-1"])
    nested["credentialSubject"]["achievement"]["fooBaz"] = 1
    good, top, inner = (_write(tmp_path, "good", docs["roster-2"]), _write(tmp_path, "top", doc),
                        _write(tmp_path, "inner", nested))
    failures = safe_expansion_failures([good, top, inner])
    assert sorted(failures) == sorted([top, inner])
    assert '"property":"fooBar"' in failures[top], failures[top]
    assert '"property":"fooBaz"' in failures[inner], failures[inner]
    assert "Safe mode validation error" in failures[top]


def test_an_undefined_type_or_an_unserved_context_fails_safe_expansion(issued, tmp_path):
    _, docs = issued
    typed = copy.deepcopy(docs["roster-0"])
    typed["type"].append("FooCredential")
    # Without 1EdTech's extensions context, credentialSchema's type is undefined.
    no_extensions = copy.deepcopy(docs["roster-0"])
    no_extensions["@context"].remove(securing.EXTENSIONS_CONTEXT)
    unserved = copy.deepcopy(docs["roster-0"])
    unserved["@context"].append("https://example.org/contexts/mine.json")
    paths = [_write(tmp_path, name, doc) for name, doc in
             (("typed", typed), ("no-extensions", no_extensions), ("unserved", unserved))]
    failures = safe_expansion_failures(paths)
    assert "FooCredential" in failures[paths[0]]
    assert securing.SCHEMA_TYPE in failures[paths[1]]
    assert "https://example.org/contexts/mine.json is not served" in failures[paths[2]]


@pytest.mark.parametrize("verifier", sorted(VERIFIERS))
def test_a_credential_edited_after_signing_fails_the_standard_verifiers(issued, tmp_path, verifier):
    _, docs = issued
    edited = copy.deepcopy(docs["intro-to-sql"])
    edited["credentialSubject"]["achievement"]["name"] += " (edited)"
    good, bad = _write(tmp_path, "good", docs["roster-0"]), _write(tmp_path, "edited", edited)
    failures = standard_verifier_failures(verifier, [good, bad])
    assert list(failures) == [bad]
    assert INVALID_SIGNATURE[verifier] in failures[bad], failures[bad]


def test_the_format_1_proof_fails_the_schema_and_safe_expansion(tmp_path):
    doc = _format_1(credentials.prepare(next(iter(_documents().values())), "did:key:z6MkExample", ISSUER_NAME))
    errors = schema_errors(doc)
    assert any(e.startswith("$.proof: ") and "is not of type 'array'" in e for e in errors), errors
    failures = safe_expansion_failures([_write(tmp_path, "format-1", doc)])
    assert "Safe mode validation error" in next(iter(failures.values()))


def test_the_schema_checks_date_time_formats(issued):
    _, docs = issued
    doc = copy.deepcopy(docs["roster-0"])
    doc["validFrom"] = "2026-01-05 09:00"  # not RFC 3339
    assert schema_errors(doc) == ["$.validFrom: '2026-01-05 09:00' is not a 'date-time'"]
    doc["validFrom"] = "2026-02-30T09:00:00Z"  # no such day
    assert schema_errors(doc) == ["$.validFrom: '2026-02-30T09:00:00Z' is not a 'date-time'"]


@pytest.mark.parametrize("script", [EXPAND_SAFE, *VERIFIERS.values()], ids=lambda p: p.stem)
def test_a_run_over_no_credential_is_a_usage_error(script, tmp_path):
    # A check over nothing must not pass: exit 2, never 0.
    args = [] if script == EXPAND_SAFE else ["--many"]
    run = subprocess.run([shutil.which("node") or "node", str(script), *args, str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert run.returncode == 2, run
    assert "no credential files" in run.stderr
