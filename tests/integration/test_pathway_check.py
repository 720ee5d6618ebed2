"""`credreg pathway check` and POST /v1/verify/pathway against a real chain: anvil, a deployed
registry, one accredited issuer; the example pathway (under that issuer) anchored by hand in one
batch, a learner's credentials in another, one of them revoked on chain. The exit codes, the
tree, what is missing, and that the CLI and the service give the same answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pathway_helpers import AID, LEARNER, PYTHON, SQL, WEB, anchor_pathway_by_hand, earned, pathway_doc  # noqa: E402
from verifier_helpers import (ACADEMY, Issuer, World, anchor_by_hand, credreg, running_service,  # noqa: E402
                              synced)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import dev_account  # noqa: E402


@pytest.fixture(scope="module")
def world(anvil, tmp_path_factory) -> World:
    owner, signer = dev_account(0), dev_account(1)
    registry, receipt = RegistryClient.deploy(connect(anvil.url), owner)
    academy_id, _ = registry.register_issuer(*ACADEMY, signer.address, owner)
    w = World(anvil.url, registry, receipt["blockNumber"], tmp_path_factory.mktemp("pathway") / "home", owner,
              Issuer(academy_id, *ACADEMY, signer))
    w.docs["pathway"] = anchor_pathway_by_hand(registry, signer, pathway_doc(ACADEMY))
    labels = ["sql", "python", "aid", "web", "sql-revoked", "other-learner"]
    sources = [earned(ACADEMY, SQL), earned(ACADEMY, PYTHON), earned(ACADEMY, AID), earned(ACADEMY, WEB),
               earned(ACADEMY, SQL, name="SQL (issued in error)"),
               earned(ACADEMY, WEB, learner="did:example:someone-else")]
    docs, _ = anchor_by_hand(registry, signer, sources)
    w.docs.update(zip(labels, docs))
    root = bytes.fromhex(_root(docs[4]))
    registry.transact("revokeCredentials", [root, [labels.index("sql-revoked")], 1], signer)
    return w


def _root(doc: dict) -> str:
    from registry.credentials import proofs

    return proofs.read_receipt(doc)[0]["merkleRoot"].removeprefix("0x")


@pytest.fixture(scope="module")
def files(world, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stack")
    out = {}
    for label, doc in world.docs.items():
        out[label] = folder / f"{label}.json"
        out[label].write_text(json.dumps(doc, indent=2))
    return out


def env_of(world: World) -> dict[str, str]:
    return {"CREDREG_RPC_URL": world.url, "CREDREG_HOME": str(world.home), "CREDREG_REGISTRY": world.registry.address}


def pathway_check(world: World, files: dict[str, Path], *labels: str, extra: tuple[str, ...] = ()):
    return credreg(env_of(world), "pathway", "check", str(files["pathway"]), *(str(files[x]) for x in labels), *extra)


def test_a_complete_stack_exits_0_with_the_tree(world, files):
    code, out, err = pathway_check(world, files, "sql", "python", "aid")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ("COMPLETE  Junior Data Analyst Certificate "
                        "(https://learn.example.org/pathways/junior-data-analyst/v1, version 1)")
    assert "  pathway: valid, published by Example Academy (did:web:academy.example)" in lines
    assert "  ✓ Junior Data Analyst (all of 3 needed, 3 met)" in lines
    assert "    ✓ Introduction to SQL for Reporting: met by sql.json" in lines
    assert "    ✓ Data Analysis with Python – Level 1: met by python.json" in lines
    assert "    ✓ One elective (1 of 2 needed, 1 met)" in lines
    assert "      ✗ Accessible Web Design: missing" in lines
    assert "      ✓ Emergency First Aid at Work: met by aid.json" in lines
    assert "missing:" not in lines
    assert "  ✓ sql.json: valid; fills requirement.allOf[0] (Introduction to SQL for Reporting)" in lines


def test_an_incomplete_stack_exits_1_naming_what_is_missing(world, files):
    code, out, _ = pathway_check(world, files, "sql", "web")
    assert code == 1
    assert out.startswith("INCOMPLETE  Junior Data Analyst Certificate")
    missing = out.split("missing:\n", 1)[1].split("credentials:", 1)[0]
    assert missing.splitlines() == ["  - Data Analysis with Python – Level 1"]
    assert "    ✗ Data Analysis with Python – Level 1: missing" in out.splitlines()


def test_a_revoked_component_never_counts(world, files):
    code, out, _ = pathway_check(world, files, "sql-revoked", "python", "aid")
    assert code == 1
    assert out.startswith("INCOMPLETE")
    assert "  ✗ sql-revoked.json: revoked; not counted: the credential is revoked" in out.splitlines()
    assert "  - Introduction to SQL for Reporting" in out.splitlines()
    code, data = _json(world, files, "sql-revoked", "python", "aid")
    assert code == 1 and data["credentials"][0]["verdict"]["status"] == "revoked"
    assert data["credentials"][0]["counted"] is False


def _json(world, files, *labels, extra=()):
    code, out, err = pathway_check(world, files, *labels, extra=("--json", *extra))
    return code, json.loads(out) if out.strip() else err


def test_json_is_the_answer_as_the_service_gives_it(world, files, tmp_path):
    code, data = _json(world, files, "sql", "python", "aid", extra=("--subject", LEARNER))
    assert code == 0
    assert set(data) == {"status", "detail", "pathway", "requirement", "missing", "credentials"}
    assert data["status"] == "complete" and data["missing"] == []
    assert data["pathway"]["issuer"] == ACADEMY[1] and data["pathway"]["verdict"]["status"] == "valid"
    assert [c["credential"] for c in data["requirement"]["children"][:2]] == [0, 1]
    assert [(c["index"], c["counted"], c["slot"]) for c in data["credentials"]] == [
        (0, True, "requirement.allOf[0]"), (1, True, "requirement.allOf[1]"), (2, True, "requirement.allOf[2].nOf[1]")]
    # the same world through the real service (its indexer, the batch lane): the same answer
    with running_service(world, tmp_path / "service") as client:
        synced(client, world)
        body = {"pathway": world.docs["pathway"], "credentials": [world.docs[x] for x in ("sql", "python", "aid")],
                "subject": {"id": LEARNER}}
        answer = client.post("/v1/verify/pathway", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == data
        revoked = client.post("/v1/verify/pathway", json={**body, "credentials": [
            world.docs["sql-revoked"], world.docs["python"], world.docs["aid"]]})
        assert revoked.json()["status"] == "incomplete"
        assert revoked.json()["credentials"][0]["verdict"]["status"] == "revoked"


def test_an_edited_pathway_is_an_answer_invalid_exit_1(world, files, tmp_path):
    edited = json.loads(files["pathway"].read_text())
    edited["requirement"]["allOf"].pop(1)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited))
    code, out, _ = credreg(env_of(world), "pathway", "check", str(path), str(files["sql"]), str(files["aid"]))
    assert code == 1
    assert out.startswith("INVALID  the pathway")
    assert "changed after it was anchored" in out
    assert "requirement:" not in out


def test_requests_that_cannot_be_asked_exit_2(world, files, tmp_path):
    env = env_of(world)
    code, _, err = credreg(env, "pathway", "check", str(files["pathway"]), str(tmp_path / "nowhere.json"))
    assert code == 2 and "nowhere.json: no such file" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = credreg(env, "pathway", "check", str(broken), str(files["sql"]))
    assert code == 2 and "broken.json" in err
    # the stack holds two learners' credentials, and nobody said whose it is
    code, _, err = pathway_check(world, files, "sql", "other-learner")
    assert code == 2 and "name 2 learners" in err
    code, out, _ = pathway_check(world, files, "sql", "other-learner", extra=("--subject", LEARNER))
    assert code == 1 and "  ✗ other-learner.json: valid; not counted: the credential belongs to another learner" \
        in out.splitlines()
    code, _, err = pathway_check(world, files, "sql", extra=("--email", "not-an-address"))
    assert code == 2 and "subject.email" in err
    code, _, _ = credreg(env, "pathway", "check", str(files["pathway"]))  # no credential file at all
    assert code == 2


def test_unverifiable_when_the_chain_cannot_be_read_exits_3(world, files):
    env = {**env_of(world), "CREDREG_RPC_URL": "http://127.0.0.1:9"}
    code, _, err = credreg(env, "pathway", "check", str(files["pathway"]), str(files["sql"]))
    assert code == 3, err
