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


def test_a_pathway_id_is_published_once(env, home, tmp_path, academy):
    path = _pathway_file(tmp_path, academy.did)
    _ok(env, "pathway", "publish", str(path))
    code, _, err = credreg(env, "pathway", "publish", str(path))
    assert code == 2 and "already in the store" in err, err
    assert StoreView(home).counts() == {"queued": 1}


# ---------------------------------------------------------------------------- awards

NOOR = [EXAMPLES / "pathways" / "learner", EXAMPLES / "credentials" / "workplace-first-aid.json"]


def _noor_and_pathway(env, home, tmp_path, academy) -> tuple[Path, dict[str, dict]]:
    """The pathway published and Noor's three credentials issued, all anchored (no award yet);
    returns the pathway's written file and Noor's written credentials by achievement."""
    _ok(env, "pathway", "publish", str(_pathway_file(tmp_path, academy.did)))
    _ok(env, "issue", *map(str, NOOR))
    _ok(env, "anchor", "--no-award")
    [(path, _)] = _written(home, "pathway")
    noor = {}
    for file in issued_files(home / "issued"):
        doc = json.loads(file.read_text())
        if doc.get("credentialSubject", {}).get("id") == LEARNER:
            noor[doc["credentialSubject"]["achievement"]["id"].rsplit("/", 1)[1]] = (file, doc)
    assert sorted(noor) == ["data-analysis-python-level-1", "emergency-first-aid-at-work", "intro-to-sql"]
    return path, noor


def _completions(home: Path) -> dict[str, str]:
    """learner -> completion credential id, from the store's award table."""
    from registry.store import Store
    store = Store.open(home)
    try:
        return store.pathway_awards("did:web:northwind.example",
                                    "https://learn.example.org/pathways/junior-data-analyst/v1")
    finally:
        store.engine.dispose()


def test_award_queues_one_completion_credential_whose_evidence_names_the_components(env, home, tmp_path, academy):
    pathway, noor = _noor_and_pathway(env, home, tmp_path, academy)
    dry = _ok(env, "pathway", "award", str(pathway), "--dry-run")
    assert [a["learner"] for a in dry["wouldAward"]] == [LEARNER] and dry["awarded"] == []
    assert StoreView(home).counts().get("queued", 0) == 0 and _completions(home) == {}
    done = _ok(env, "pathway", "award", str(pathway))
    [awarded] = done["awarded"]
    assert awarded["learner"] == LEARNER and sorted(awarded["components"]) == sorted(d["id"] for _, d in noor.values())
    assert StoreView(home).counts()["queued"] == 1 and _completions(home) == {LEARNER: awarded["credential"]}
    again = _ok(env, "pathway", "award", str(pathway))
    assert again["awarded"] == [] and again["alreadyAwarded"] == [{"learner": LEARNER, "credential": awarded["credential"]}]
    _ok(env, "anchor", "--no-award")
    [(file, completion)] = _written(home, "completion")
    assert completion["id"] == awarded["credential"] and completion["type"][-1] == "OpenBadgeCredential"
    assert completion["credentialSubject"]["id"] == LEARNER
    assert completion["credentialSubject"]["achievement"]["id"] == (
        "https://learn.example.org/achievements/junior-data-analyst-certificate")
    assert "credentialStatus" in completion and completion["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    evidence = {e["id"]: e for e in completion["evidence"]}
    pathway_doc = json.loads(pathway.read_text())
    assert evidence[pathway_doc["id"]]["description"] == (
        f"targetHash {proofs.format_2_target_hash(pathway_doc).hex()}")
    for _, doc in noor.values():
        assert evidence[doc["id"]]["type"] == ["Evidence"]
        assert evidence[doc["id"]]["description"].startswith(f"targetHash {proofs.format_2_target_hash(doc).hex()}")
    assert len(evidence) == 4
    assert _ok(env, "verify", str(file))["status"] == "valid"
    assert _ok(env, "pathway", "award", str(pathway))["awarded"] == []


def test_a_learner_with_a_revoked_component_is_not_awarded(env, home, tmp_path, academy):
    pathway, noor = _noor_and_pathway(env, home, tmp_path, academy)
    _ok(env, "revoke", str(noor["intro-to-sql"][0]))
    done = _ok(env, "pathway", "award", str(pathway))
    assert done["awarded"] == [] and [i["learner"] for i in done["incomplete"]] == [LEARNER]
    assert done["incomplete"][0]["missing"] == ["Introduction to SQL for Reporting"]
    assert _completions(home) == {} and StoreView(home).counts().get("queued", 0) == 0


def test_a_withdrawn_pathway_awards_nothing(env, home, tmp_path, academy):
    pathway, _ = _noor_and_pathway(env, home, tmp_path, academy)
    _ok(env, "revoke", str(pathway))
    code, _, err = credreg(env, "pathway", "award", str(pathway))
    assert code == 1 and "withdrawn" in err
    report = _ok(env, "anchor")  # the nightly step skips it too
    assert report["awards"] == [] and _completions(home) == {}


def test_the_nightly_anchor_awards_first_and_anchors_the_completion_in_the_same_run(env, home, tmp_path, academy):
    _noor_and_pathway(env, home, tmp_path, academy)
    report = _ok(env, "anchor")
    [step] = report["awards"]
    [awarded] = step["awarded"]
    assert awarded["learner"] == LEARNER
    assert [b["leaf_count"] for b in report["batches"]] == [1]
    [(_, completion)] = _written(home, "completion")
    assert completion["id"] == awarded["credential"]
    again = _ok(env, "anchor")
    assert again["awards"][0]["awarded"] == [] and again["batches"] == []
    assert len(_completions(home)) == 1


def test_an_award_killed_between_signing_and_queueing_and_rerun_awards_exactly_once(env, home, tmp_path, academy):
    pathway, _ = _noor_and_pathway(env, home, tmp_path, academy)
    killed = credreg_process(env, "pathway", "award", str(pathway), kill_at="award-signed")
    assert killed.returncode == -9, killed.stderr
    assert _completions(home) == {} and StoreView(home).counts().get("queued", 0) == 0
    killed = credreg_process(env, "pathway", "award", str(pathway), kill_at="award-queued")
    assert killed.returncode == -9, killed.stderr
    [credential] = _completions(home).values()
    assert StoreView(home).counts()["queued"] == 1
    rerun = credreg_process(env, "pathway", "award", str(pathway), "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["awarded"] == []
    report = _ok(env, "anchor")
    assert report["awards"][0]["awarded"] == [] and [b["leaf_count"] for b in report["batches"]] == [1]
    [(_, completion)] = _written(home, "completion")
    assert completion["id"] == credential


def test_a_learner_known_by_email_is_awarded_with_email_and_credentials_presented_with(
        anvil, env, home, tmp_path, academy, registry):
    """Roster credentials carry a salted hash of the email, so the store cannot group them: the
    issuer names the learner with --email. The elective, issued from another home of the same
    issuer (the store here has never seen it), is presented with --with."""
    _ok(env, "pathway", "publish", str(_pathway_file(tmp_path, academy.did)))
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,id,validFrom,validUntil\nAda Example,ada.example@example.org,,"
                      "2025-06-27T09:00:00Z,\n")
    sql = tmp_path / "sql-achievement.json"
    sql.write_text(json.dumps(json.loads((EXAMPLES / "credentials" / "intro-to-sql.json").read_text())
                              ["credentialSubject"]["achievement"]))
    for achievement in (sql, EXAMPLES / "achievement.json"):
        _ok(env, "issue", "--roster", str(roster), "--achievement", str(achievement))
    _ok(env, "anchor", "--no-award")
    [(pathway, _)] = _written(home, "pathway")
    assert _ok(env, "pathway", "award", str(pathway))["awarded"] == []  # nobody to group by id

    other_home = tmp_path / "other-home"
    other = cli_env(anvil.url, other_home, academy.account, registry, signing_did=academy.did)
    web = tmp_path / "web-achievement.json"
    web.write_text(json.dumps(json.loads((EXAMPLES / "credentials" / "accessible-web-design.json").read_text())
                              ["credentialSubject"]["achievement"]))
    _ok(other, "issue", "--roster", str(roster), "--achievement", str(web))
    _ok(other, "anchor", "--no-award")
    [elective] = issued_files(other_home / "issued")

    unplaced = _ok(env, "pathway", "award", str(pathway), "--with", str(elective))
    assert unplaced["awarded"] == [] and unplaced["unplaced"] == 1
    code, _, err = credreg(env, "pathway", "award", str(pathway), "--email", "not-an-address")
    assert code == 2 and "--email" in err
    partial = _ok(env, "pathway", "award", str(pathway), "--email", "Ada.Example@example.org")
    assert partial["awarded"] == [] and partial["incomplete"][0]["missing"] == [
        "1 more of: Accessible Web Design, Emergency First Aid at Work"]
    done = _ok(env, "pathway", "award", str(pathway), "--email", "ada.example@example.org", "--with", str(elective))
    [awarded] = done["awarded"]
    assert len(awarded["components"]) == 3 and "ada.example" in awarded["learner"]
    again = _ok(env, "pathway", "award", str(pathway), "--email", "ada.example@example.org", "--with", str(elective))
    assert again["awarded"] == [] and len(again["alreadyAwarded"]) == 1
    [learner] = _completions(home)
    assert learner.startswith("email-sha256:") and "ada" not in learner
    _ok(env, "anchor", "--no-award")
    [(_, completion)] = _written(home, "completion")
    subject = completion["credentialSubject"]
    assert "id" not in subject and subject["identifier"][0]["identityType"] == "emailAddress"
    from registry.pathways import Subject
    assert Subject(email="ada.example@example.org").matches(completion)
