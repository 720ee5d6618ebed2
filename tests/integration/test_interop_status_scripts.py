"""The ecosystem verifiers read a Bitstring Status List v1.0 from a served folder and honour its bits.

``tests/interop/verify-dbvc.mjs`` (Digital Bazaar's ``@digitalbazaar/vc`` with
``@digitalbazaar/vc-bitstring-status-list``'s ``checkStatus``) and ``tests/interop/verify-dcc.mjs``
(the DCC's ``@digitalcredentials/verifier-core``, which checks ``credentialStatus`` itself) are
run with ``--serve https://academy.example/=http://127.0.0.1:PORT/`` against a real HTTP server
on a temporary folder. The status list credential is built here, by this file's own gzip and
base64url code (independent of ``registry/status``), and signed with ``registry.credentials.signing``:
a credential whose bit is set must not verify (``revoked`` true), one whose bit is clear must
(``revoked`` false), and a list that was edited after signing or signed by another key must make
the status check fail (``revoked`` null). Node and the npm dev dependencies are required: without
them the tests fail, they never skip.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecosystem  # noqa: E402
from ecosystem import served  # noqa: E402

from registry import credentials  # noqa: E402
from registry.credentials import signing  # noqa: E402
from registry.identity import did  # noqa: E402
from registry.identity.keys import SigningKey  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = {"dbvc": REPO / "tests" / "interop" / "verify-dbvc.mjs",
           "dcc": REPO / "tests" / "interop" / "verify-dcc.mjs"}
NPM_PACKAGES = ("@digitalbazaar/vc", "@digitalbazaar/vc-bitstring-status-list", "@digitalcredentials/verifier-core")
EXAMPLE = REPO / "examples" / "credentials" / "intro-to-sql.json"
ISSUER_NAME = "Example Learning Academy"
CREATED = "2025-06-27T09:00:00Z"
SITE = "https://academy.example/"
LIST_PATH = "credentials/status/1.json"
LIST_URL = SITE + LIST_PATH
LIST_BITS = 131_072  # the spec's minimum: 16 KiB, so that one credential hides among many
REVOKED = (5, 7)


class Issuer(NamedTuple):
    did: str
    verification_method: str
    key: SigningKey


class Site(NamedTuple):
    folder: Path
    base: str  # http://127.0.0.1:PORT/, what SITE is served from


@pytest.fixture(scope="module")
def node() -> str:
    return ecosystem.node(NPM_PACKAGES)


@pytest.fixture(params=sorted(SCRIPTS))
def verifier(request) -> str:
    return request.param


def _did_key_issuer(key: SigningKey) -> Issuer:
    return Issuer(did.did_key(key.public_multibase), did.did_key_verification_method(key.public_multibase), key)


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return _did_key_issuer(SigningKey.generate())


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A real HTTP server on a fresh folder, on a free loopback port, for the duration of a test."""
    folder = tmp_path / "public"
    folder.mkdir()
    with served(folder) as base:
        yield Site(folder, base)


# --- the status list, built here from the spec -----------------------------------------------

def _encoded_list(set_bits: tuple[int, ...]) -> str:
    """``u`` + base64url (no padding) of the gzipped bitstring; bit 0 is byte 0's most significant bit."""
    bitstring = bytearray(LIST_BITS // 8)
    for index in set_bits:
        bitstring[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bitstring))).rstrip(b"=").decode("ascii")


def _proof_options(verification_method: str) -> dict:
    return {"type": signing.PROOF_TYPE, "cryptosuite": signing.CRYPTOSUITE, "created": CREATED,
            "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}


def _status_list(issuer_did: str, set_bits: tuple[int, ...]) -> dict:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": LIST_URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": issuer_did,
            "validFrom": CREATED,
            "credentialSubject": {"id": LIST_URL + "#list", "type": "BitstringStatusList",
                                  "statusPurpose": "revocation", "encodedList": _encoded_list(set_bits)}}


def _signed_list(signer: Issuer, issuer_did: str | None = None, set_bits: tuple[int, ...] = REVOKED) -> dict:
    return signing.sign(_status_list(issuer_did or signer.did, set_bits),
                        _proof_options(signer.verification_method), signer.key)


def _publish(site: Site, relative: str, document: dict) -> None:
    path = site.folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def _credential(issuer: Issuer, index: int, list_url: str = LIST_URL) -> dict:
    document = credentials.load_file(EXAMPLE)
    document["credentialStatus"] = {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry",
                                    "statusPurpose": "revocation", "statusListIndex": str(index),
                                    "statusListCredential": list_url}
    prepared = credentials.prepare(document, issuer.did, ISSUER_NAME)
    return signing.sign(prepared, _proof_options(issuer.verification_method), issuer.key)


# --- running the scripts -----------------------------------------------------------------------

def _run_many(node: str, verifier: str, documents: dict[str, dict], tmp_path: Path,
              extra: tuple[str, ...]) -> dict[str, dict]:
    """Each named credential's result, by name, from one ``--many`` run; checked against the exit code."""
    folder = tmp_path / f"credentials-{verifier}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name, document in documents.items():
        (folder / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")
    run = subprocess.run([node, str(SCRIPTS[verifier]), "--many", str(folder), *extra], capture_output=True,
                         text=True, cwd=REPO, timeout=120, check=False)
    assert run.returncode in (0, 1), f"{verifier}'s script failed to run (exit {run.returncode}): {run.stderr}"
    results = {Path(r.pop("file")).stem: r for r in json.loads(run.stdout)}
    assert sorted(results) == sorted(documents)
    assert (run.returncode == 0) is all(r["verified"] for r in results.values()), results
    return results


def _run_one(node: str, verifier: str, document: dict, extra: tuple[str, ...] = ()) -> dict:
    run = subprocess.run([node, str(SCRIPTS[verifier]), *extra], input=json.dumps(document),
                         capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert run.returncode in (0, 1), f"{verifier}'s script failed to run (exit {run.returncode}): {run.stderr}"
    result = json.loads(run.stdout)
    assert result["verified"] is (run.returncode == 0), result
    return result


def _serve(site: Site) -> tuple[str, ...]:
    return ("--serve", f"{SITE}={site.base}")


def _by_index(issuer: Issuer, indexes: tuple[int, ...] = (5, 6, 7)) -> dict[str, dict]:
    return {f"index-{i}": _credential(issuer, i) for i in indexes}


def _assert_revoked(result: dict) -> None:
    assert result["verified"] is False, result
    assert result["revoked"] is True, result
    assert result["errors"], result


def _assert_active(result: dict) -> None:
    assert result == {"verified": True, "errors": [], "revoked": False, "status": result["status"]}, result


def _assert_status_unchecked(result: dict) -> None:
    assert result["verified"] is False, result
    assert result["revoked"] is None, result


# --- the tests ---------------------------------------------------------------------------------

def test_the_encoded_list_sets_bits_from_the_left():
    raw = gzip.decompress(base64.urlsafe_b64decode(_encoded_list(REVOKED)[1:] + "=="))
    assert len(raw) == 16_384
    assert raw[0] == 0b0000_0101 and not any(raw[1:])


def test_a_set_bit_is_revoked_and_a_clear_one_is_not(node, verifier, issuer, site, tmp_path):
    _publish(site, LIST_PATH, _signed_list(issuer))
    results = _run_many(node, verifier, _by_index(issuer), tmp_path, _serve(site))
    _assert_revoked(results["index-5"])
    _assert_active(results["index-6"])
    _assert_revoked(results["index-7"])


def test_one_credential_from_stdin_is_checked_too(node, verifier, issuer, site):
    _publish(site, LIST_PATH, _signed_list(issuer))
    _assert_revoked(_run_one(node, verifier, _credential(issuer, 5), _serve(site)))
    _assert_active(_run_one(node, verifier, _credential(issuer, 6), _serve(site)))


def test_a_revoked_credential_with_an_edited_body_fails_on_its_signature_not_its_status(
        node, verifier, issuer, site, tmp_path):
    _publish(site, LIST_PATH, _signed_list(issuer))
    edited = copy.deepcopy(_credential(issuer, 6))
    edited["credentialSubject"]["achievement"]["name"] += " (edited)"
    result = _run_many(node, verifier, {"edited": edited}, tmp_path, _serve(site))["edited"]
    _assert_status_unchecked(result)
    assert {"dbvc": "Invalid signature.", "dcc": "The signature is not valid."}[verifier] in result["errors"]


def test_a_list_edited_after_signing_makes_the_status_check_fail(node, verifier, issuer, site, tmp_path):
    # The attack: clear the revoked credential's bit without the issuer's key.
    edited = _signed_list(issuer)
    edited["credentialSubject"]["encodedList"] = _encoded_list((7,))
    _publish(site, LIST_PATH, edited)
    results = _run_many(node, verifier, _by_index(issuer, (5, 6)), tmp_path, _serve(site))
    for result in results.values():
        _assert_status_unchecked(result)
        assert result["status"].startswith("status check failed"), result
    # What each says: dbvc the list's proof error, dcc its own name for a list whose proof fails.
    assert {"dbvc": "not verified; reason: Verification error(s). <- Invalid signature.",
            "dcc": "status_list_signature_error: The signature on the status list is invalid."}[verifier] \
        in results["index-5"]["status"], results


def test_a_list_signed_by_another_key_makes_the_status_check_fail(node, verifier, issuer, site, tmp_path):
    # The list names the issuer but its proof is by a key the issuer's DID does not list.
    _publish(site, LIST_PATH, _signed_list(_did_key_issuer(SigningKey.generate()), issuer_did=issuer.did))
    results = _run_many(node, verifier, _by_index(issuer, (5, 6)), tmp_path, _serve(site))
    for result in results.values():
        _assert_status_unchecked(result)
        assert result["status"].startswith("status check failed"), result
    assert {"dbvc": "Credential issuer must match the verification method controller.",
            "dcc": "status_list_signature_error: The signature on the status list is invalid."}[verifier] \
        in results["index-5"]["status"], results


def test_a_list_issued_by_another_did_fails_in_dbvc_and_is_trusted_by_dcc(node, verifier, issuer, site, tmp_path):
    # A fact for relying parties: the list is soundly signed, but by someone else. Digital Bazaar's
    # checkStatus compares the list's issuer with the credential's (verifyMatchingIssuers, on by
    # default); verifier-core calls the DCC fork with verifyMatchingIssuers: false, so it reads
    # any DID's list at the URL the credential names (only the issuer's signature on the credential
    # binds that URL).
    _publish(site, LIST_PATH, _signed_list(_did_key_issuer(SigningKey.generate()), set_bits=()))
    results = _run_many(node, verifier, _by_index(issuer, (5,)), tmp_path, _serve(site))
    if verifier == "dbvc":
        _assert_status_unchecked(results["index-5"])
        assert "Issuers of the status list credential and verifiable credential do not match." \
            in results["index-5"]["status"]
    else:
        _assert_active(results["index-5"])


def test_a_list_outside_the_served_prefixes_is_not_fetched(node, verifier, issuer, site, tmp_path):
    _publish(site, LIST_PATH, _signed_list(issuer))
    elsewhere = _credential(issuer, 6, "https://elsewhere.example/" + LIST_PATH)
    result = _run_many(node, verifier, {"elsewhere": elsewhere}, tmp_path, _serve(site))["elsewhere"]
    _assert_status_unchecked(result)


def test_a_missing_list_makes_the_status_check_fail(node, verifier, issuer, site, tmp_path):
    result = _run_many(node, verifier, _by_index(issuer, (6,)), tmp_path, _serve(site))["index-6"]
    _assert_status_unchecked(result)


def test_did_web_the_did_document_and_the_list_come_from_the_served_folder(node, verifier, site, tmp_path):
    key = SigningKey.generate()
    did_web = did.did_web("academy.example")
    web_issuer = Issuer(did_web, did.verification_method_id(did_web, key.public_multibase), key)
    _publish(site, ".well-known/did.json", did.did_web_document(did_web, [did.KeyRecord(key.public_multibase)]))
    _publish(site, LIST_PATH, _signed_list(web_issuer))
    results = _run_many(node, verifier, _by_index(web_issuer, (5, 6)), tmp_path, _serve(site))
    _assert_revoked(results["index-5"])
    _assert_active(results["index-6"])


def test_without_serve_the_output_is_as_before(node, verifier, issuer, tmp_path):
    # No new fields; a credential without credentialStatus verifies as it did. With credentialStatus
    # and no --serve, dbvc's verifyCredential refuses (it requires a checkStatus for one) and dcc's
    # verdict, on the signature alone, ignores the status it could not fetch.
    plain = credentials.prepare(credentials.load_file(EXAMPLE), issuer.did, ISSUER_NAME)
    plain = signing.sign(plain, _proof_options(issuer.verification_method), issuer.key)
    results = _run_many(node, verifier, {"plain": plain, "with-status": _credential(issuer, 5)}, tmp_path, ())
    assert results["plain"] == {"verified": True, "errors": []}
    assert sorted(results["with-status"]) == ["errors", "verified"]
    assert results["with-status"]["verified"] is (verifier == "dcc"), results
    assert _run_one(node, verifier, plain) == {"verified": True, "errors": []}
