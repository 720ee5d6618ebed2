"""Every credential `credreg anchor` writes passes the ecosystem's own checks, and credreg's.

On a real anvil node, two issuers sign with keys made by `credreg issuer keygen`: one under its
did:key, one under a did:web whose did.json keygen wrote into the home's public folder. Each
issues the example files (a directory) and the example roster with the real `credreg issue`,
then `credreg anchor` writes format-2 files. Every file must pass

- the 1EdTech Open Badges 3.0 AchievementCredential JSON Schema (``../shared/standards``);
- JSON-LD expansion in safe mode (jsonld.js) with the packaged contexts;
- Digital Bazaar's ``@digitalbazaar/vc`` and DCC's ``@digitalcredentials/verifier-core`` (the
  did:web issuer's DID document read from the public folder, as its web site would serve it);
- credreg's own verifier (`credreg verify`: valid, naming both proofs).

A file whose body or signature was edited after anchoring fails in both standard verifiers and
in credreg (the anchor commits to the signature, so both edits break its integrity check).
"""

from __future__ import annotations

import base58
import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ecosystem import safe_expansion_failures, schema_errors, served, standard_verifier_failures  # noqa: E402
from issuer_helpers import PUBLIC_URL, cli_env, issued_files  # noqa: E402
from verifier_helpers import credreg  # noqa: E402

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.credentials import proofs  # noqa: E402
from registry.dev.devchain import dev_account  # noqa: E402
from registry.identity import did as dids  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ISSUERS = {"did:key": None, "did:web": "academy.example:issuers:signed"}


def _ok(env: dict[str, str], *argv: str) -> dict:
    code, out, err = credreg(env, *argv, "--json")
    assert code == 0, f"credreg {' '.join(argv)} exited {code}: {err}"
    return json.loads(out)


@pytest.fixture(scope="module")
def issued(anvil, tmp_path_factory) -> dict[str, tuple[dict, list[Path], Path]]:
    """Per DID method: (the CLI environment, the files the job wrote, the home)."""
    owner = dev_account(0)
    registry, _ = RegistryClient.deploy(connect(anvil.url), owner)
    out = {}
    for n, (method, web) in enumerate(ISSUERS.items(), start=1):
        home = tmp_path_factory.mktemp(method.replace(":", "-")) / "home"
        key = dev_account(n)
        env = cli_env(anvil.url, home, key, registry)
        made = _ok(env, "issuer", "keygen", *(["--did-web", web] if web else []))
        assert made["did"].startswith(method + ":")
        registry.register_issuer(f"Academy {n}", made["did"], key.address, owner)
        assert _ok(env, "issue", str(EXAMPLES / "credentials"))["signed"] is True
        roster = _ok(env, "issue", "--roster", str(EXAMPLES / "roster.csv"), "--achievement",
                     str(EXAMPLES / "achievement.json"))
        assert roster["verificationMethod"] == made["verificationMethod"]
        report = _ok(env, "anchor")
        assert [b["state"] for b in report["batches"]] == ["written"]
        files = issued_files(home / "issued")
        assert len(files) == 8
        out[method] = (env, files, home)
    return out


def _did_documents(home: Path) -> list[Path]:
    return sorted((home / "public").rglob("did.json"))


@pytest.fixture(params=sorted(ISSUERS))
def method(request) -> str:
    return request.param


def test_every_written_credential_passes_the_1edtech_json_schema(issued, method):
    _, files, _ = issued[method]
    failures = {p.name: schema_errors(json.loads(p.read_text())) for p in files}
    assert {name: errors for name, errors in failures.items() if errors} == {}


def test_every_written_credential_expands_in_safe_mode(issued, method):
    _, files, _ = issued[method]
    assert safe_expansion_failures(files) == {}


@pytest.mark.parametrize("verifier", ["dbvc", "dcc"])
def test_every_written_credential_verifies_in_the_standard_verifiers(issued, method, verifier):
    _, files, home = issued[method]
    with served(home / "public") as base:  # the status lists, as the issuer's web site would serve them
        assert standard_verifier_failures(verifier, files, _did_documents(home), {PUBLIC_URL: base}) == {}


def test_every_written_credential_is_valid_in_credreg_naming_both_proofs(issued, method):
    env, files, _ = issued[method]
    for path in files:
        code, out, err = credreg(env, "verify", str(path), "--json")
        verdict = json.loads(out)
        assert (code, verdict["status"]) == (0, "valid"), (path.name, verdict, err)
        assert verdict["checks"][0]["detail"].endswith("an eddsa-rdfc-2022 signature and a Merkle anchor")


def _edited_body(doc: dict) -> dict:
    doc["credentialSubject"]["achievement"]["name"] += " (advanced)"
    return doc


def _edited_signature(doc: dict) -> dict:
    signature = next(p for p in doc["proof"] if p["cryptosuite"] == "eddsa-rdfc-2022")
    raw = bytearray(base58.b58decode(signature["proofValue"][1:]))
    raw[0] ^= 1
    signature["proofValue"] = "z" + base58.b58encode(bytes(raw)).decode()
    return doc


@pytest.mark.parametrize("edit", [_edited_body, _edited_signature], ids=["body", "signature"])
def test_an_edited_credential_fails_everywhere(issued, method, edit, tmp_path):
    env, files, home = issued[method]
    doc = edit(copy.deepcopy(json.loads(files[0].read_text())))
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    for verifier in ("dbvc", "dcc"):
        with served(home / "public") as base:
            assert str(path) in standard_verifier_failures(verifier, [path], _did_documents(home), {PUBLIC_URL: base})
    code, out, _ = credreg(env, "verify", str(path), "--json")
    verdict = json.loads(out)
    assert (code, verdict["status"]) == (1, "invalid")
    assert [c["name"] for c in verdict["checks"] if not c["passed"]] == ["integrity"]


def test_the_anchor_commits_to_the_signature_the_file_carries(issued, method):
    _, files, _ = issued[method]
    for path in files:
        doc = json.loads(path.read_text())
        receipt, computed = proofs.read_receipt(doc)
        signature, anchor = doc["proof"]
        assert anchor["previousProof"] == signature["id"] and receipt["targetHash"] == computed.hex()
        assert signature["verificationMethod"].split("#")[0] == doc["issuer"]["id"]
        if method == "did:web":
            assert dids.parse_did_web(doc["issuer"]["id"])


def test_the_published_status_lists_pass_the_audit_for_both_did_methods(issued, method):
    # did:web: the list's signature is checked against the DID document in the public folder.
    env, _, home = issued[method]
    report = _ok(env, "audit", "--public", str(home / "public"))
    [lists] = report["statusLists"]
    assert lists["lists"] == 1 and lists["mismatches"] == [] and report["mismatches"] == []
