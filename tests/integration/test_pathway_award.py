"""Pathways on the issuer's side, on a real anvil node with the real CLI: publish (signed
eddsa-jcs-2022, anchored like a credential), verify, withdraw (revoke), and the completion
credential awarded exactly once: by `credreg pathway award`, by the nightly `credreg anchor`,
and after a SIGKILL between signing and queueing."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    EXAMPLES,
    StoreView,
    academy,
    accredit,
    cli_env,
    credreg as credreg_process,
    env,
    home,
    issued_files,
    registry,
)
from verifier_helpers import credreg  # noqa: E402

from registry.chain.view import DirectChainView  # noqa: E402
from registry.credentials import proofs, signing_jcs  # noqa: E402
from registry.identity import did as dids  # noqa: E402
from registry.pathways import check  # noqa: E402

PATHWAY = EXAMPLES / "pathways" / "junior-data-analyst.json"
LEARNER = "did:example:learner-noor-4b2e"


def _ok(env: dict[str, str], *argv: str) -> dict:
    code, out, err = credreg(env, *argv, "--json")
    assert code == 0, f"credreg {' '.join(argv)} exited {code}: {out}{err}"
    return json.loads(out)


def _pathway_file(tmp_path: Path, issuer_did: str, **changes) -> Path:
    """The example pathway, naming the test's issuer."""
    doc = json.loads(PATHWAY.read_text())
    doc["issuer"] = {"id": issuer_did, "name": "Northwind Training"}
    doc.update(changes)
    path = tmp_path / f"pathway-{len(list(tmp_path.glob('pathway-*')))}.json"
    path.write_text(json.dumps(doc))
    return path


def _written(home: Path, kind: str) -> list[tuple[Path, dict]]:
    found = []
    for path in issued_files(home / "issued"):
        doc = json.loads(path.read_text())
        if kind == "pathway" and doc.get("type") == "CredregPathway":
            found.append((path, doc))
        elif kind == "completion" and "evidence" in doc:
            found.append((path, doc))
    return found


def _published(env, home, tmp_path, academy) -> tuple[Path, dict]:
    queued = _ok(env, "pathway", "publish", str(_pathway_file(tmp_path, academy.did)))
    assert queued["pathway"]["id"] == "https://learn.example.org/pathways/junior-data-analyst/v1"
    _ok(env, "anchor", "--no-award")
    [(path, doc)] = _written(home, "pathway")
    return path, doc


def test_a_published_pathway_is_signed_anchored_and_verifies(env, home, tmp_path, academy, registry):
    path, doc = _published(env, home, tmp_path, academy)
    signature, anchor = doc["proof"]
    assert {k: signature[k] for k in ("type", "cryptosuite", "proofPurpose")} == {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "proofPurpose": "assertionMethod"}
    assert signature["id"].startswith("urn:uuid:") and signature["verificationMethod"].startswith(academy.did + "#")
    assert anchor["cryptosuite"] == proofs.MERKLE_CRYPTOSUITE and anchor["previousProof"] == signature["id"]
    assert doc["validFrom"].endswith("Z") and doc["issuer"]["id"] == academy.did
    # The signature checks out against the key the issuer's DID document lists.
    did_doc = json.loads(dids.parse_did_web(academy.did).document_path(home / "public").read_text())
    from registry.identity import multikey
    public = multikey.decode_public(did_doc["verificationMethod"][0]["publicKeyMultibase"])
    assert signing_jcs.verify(doc, public)
    assert _ok(env, "verify", str(path))["status"] == "valid"
    edited = copy.deepcopy(doc)
    edited["requirement"]["allOf"].pop()
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited))
    code, out, _ = credreg(env, "verify", str(bad), "--json")
    assert code == 1 and json.loads(out)["status"] == "invalid"


def test_a_withdrawn_pathway_checks_as_invalid(env, home, tmp_path, academy, registry):
    path, doc = _published(env, home, tmp_path, academy)
    _ok(env, "revoke", str(path))
    code, out, _ = credreg(env, "verify", str(path), "--json")
    assert code == 1 and json.loads(out)["status"] == "revoked"
    result = check(doc, [], DirectChainView(registry))
    assert result.status == "invalid" and "withdrawn" in result.detail


@pytest.mark.parametrize("change, field", [
    ({"requirement": {"nOf": [{"achievement": "https://a.example/x", "issuers": "pathway"}], "n": 2}},
     "requirement.n"),
    ({"colour": "blue"}, "colour"),
    ({"proof": [{"type": "DataIntegrityProof"}]}, "proof"),
])
def test_publish_refuses_a_bad_pathway_naming_the_field(env, home, tmp_path, academy, change, field):
    code, _, err = credreg(env, "pathway", "publish", str(_pathway_file(tmp_path, academy.did, **change)))
    assert code == 2 and field in err, err
    assert StoreView(home).counts() == {} if (home / "credreg.db").exists() else True


def test_publish_refuses_a_pathway_naming_another_issuer(env, home, tmp_path):
    code, _, err = credreg(env, "pathway", "publish", str(PATHWAY))
    assert code == 2 and "did:web:learn.example.org" in err and "issuer" in err, err
