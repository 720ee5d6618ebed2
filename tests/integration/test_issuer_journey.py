"""The issuer's journey against a real anvil node: issue -> anchor -> proofs -> revoke.

Every written proof is checked the way an outside verifier would check it (blockcerts_merkletools,
a recomputed targetHash, rootInfo and the anchoring transaction on chain); two issuers share the
registry; a key of no issuer and bad input files are refused with the documented exit codes.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    EXAMPLES,
    Issuer,
    StoreView,
    academy,
    accredit,
    assert_no_secret,
    check_anchor_transaction,
    check_proof_files,
    cli_env,
    credreg,
    credreg_background,
    ensure_signing_key,
    env,
    expected_names,
    home,
    issued_files,
    nonce,
    queue_credentials,
    receipt_of,
    registry,
    root_anchored_logs,
)
from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.credentials import proofs  # noqa: E402


@pytest.fixture()
def guild(registry, dev_accounts) -> Issuer:
    # A did:web with a path: its did.json sits beside A's (did:web:northwind.example) in one home's
    # public folder, which mirrors one web site.
    return accredit(registry, dev_accounts[0], dev_accounts[2], "Guild of Welders",
                    "did:web:northwind.example:guilds:welders")


def _json(code_out_err) -> dict:
    code, out, err = code_out_err
    assert code == 0, err
    return json.loads(out)


def _anchor_some(run_cli, env, home, issuer, count) -> list:
    items = queue_credentials(home, issuer, count)
    report = _json(run_cli("anchor", "--json", env=env))
    assert [b["state"] for b in report["batches"]] == ["written"]
    return items


# ---------------------------------------------------------------------------- issue -> anchor

def test_issue_and_anchor_write_a_valid_proof_for_every_credential(run_cli, anvil, dev_accounts, tmp_path):
    owner, key = dev_accounts[0], dev_accounts[1]
    home, out = tmp_path / "home", tmp_path / "out"
    owner_env = cli_env(anvil.url, home, owner)
    issuer_env = cli_env(anvil.url, home, key)
    deployed = _json(run_cli("deploy", "--json", env=owner_env))
    registered = _json(run_cli("issuer", "register", "--name", "Northwind Training", "--did",
                               "did:web:northwind.example", "--key", key.address, "--json", env=owner_env))
    registry = RegistryClient(connect(anvil.url), deployed["address"])
    issuer = Issuer(registered["issuerId"], "Northwind Training", "did:web:northwind.example", key)
    ensure_signing_key(home, issuer.did)  # what `credreg issuer keygen --did-web northwind.example` makes

    from_files = _json(run_cli("issue", str(EXAMPLES / "credentials"), "--json", env=issuer_env))
    from_roster = _json(run_cli("issue", "--roster", str(EXAMPLES / "roster.csv"), "--achievement",
                                str(EXAMPLES / "achievement.json"), "--json", env=issuer_env))
    assert (from_files["queued"], from_roster["queued"]) == (3, 5)
    assert from_files["issuer"]["did"] == issuer.did
    queued = {c["id"]: c["targetHash"] for c in from_files["credentials"] + from_roster["credentials"]}

    code, stdout, stderr = run_cli("anchor", "--out", str(out), "--json", env=issuer_env)
    assert code == 0, stderr
    assert_no_secret(issuer_env, stdout, stderr)
    report = json.loads(stdout)
    assert report["queued"] == 0
    [batch] = report["batches"]
    assert (batch["leaf_count"], batch["state"], batch["files"]) == (8, "written", 8)

    docs = check_proof_files(issued_files(out), registry, issuer)
    assert {i: proofs.read_receipt(d)[1].hex() for i, d in docs.items()} == queued
    info = registry.root_info(bytes.fromhex(batch["root"]))
    assert (info.issuer_id, info.leaf_count, info.revoked_at) == (issuer.id, 8, 0)
    for doc in docs.values():
        assert receipt_of(doc)["merkleRoot"] == batch["root"]
        assert receipt_of(doc)["anchor"] == {"chainId": registry.chain_id, "registry": registry.address,
                                          "transactionHash": batch["transaction_hash"],
                                          "blockNumber": batch["block_number"]}
    # The issuer comes from the chain, not from the files (which name another academy).
    assert "did:web:learn.example.org" not in json.dumps(list(docs.values()))
    # No personal data in the clear, in the files or on chain (the calldata is checked exactly).
    assert "ada.example@example.org" not in "".join(p.read_text() for p in issued_files(out))
    check_anchor_transaction(registry, batch["transaction_hash"], batch["root"], 8, batch["block_number"])
    assert [e["args"]["leafCount"] for e in root_anchored_logs(registry)] == [8]

    status = _json(run_cli("status", "--json", env=issuer_env))
    assert status["credentials"] == {"issued": 8} and status["unfinished"] == []
    again = _json(run_cli("anchor", "--json", env=issuer_env))
    assert again["batches"] == [] and len(root_anchored_logs(registry)) == 1


def test_max_batch_splits_the_queue_and_anchors_each_batch_once(run_cli, env, home, registry, academy):
    items = queue_credentials(home, academy, 8)
    report = _json(run_cli("anchor", "--max-batch", "3", "--json", env=env))
    batches = report["batches"]
    assert [(b["leaf_count"], b["state"]) for b in batches] == [(3, "written")] * 2 + [(2, "written")]
    assert len({b["transaction_hash"] for b in batches}) == 3
    for b in batches:
        assert [e["args"]["leafCount"] for e in root_anchored_logs(registry, b["root"])] == [b["leaf_count"]]
    assert len(root_anchored_logs(registry)) == 3
    files = issued_files(home / "issued")
    assert [p.name for p in files] == expected_names(items)
    docs = check_proof_files(files, registry, academy)
    # Leaves go into batches oldest first.
    roots = [receipt_of(docs[i.credential_id])["merkleRoot"] for i in items]
    assert roots == [batches[0]["root"]] * 3 + [batches[1]["root"]] * 3 + [batches[2]["root"]] * 2
    assert StoreView(home).counts() == {"issued": 8}


def test_dry_run_sends_nothing_and_changes_nothing(run_cli, env, home, registry, academy):
    queue_credentials(home, academy, 5)
    view = StoreView(home)
    rows, journal = view.rows(), view.journal()
    block, sent = registry.w3.eth.block_number, nonce(registry, academy.account.address)

    plan = _json(run_cli("anchor", "--dry-run", "--max-batch", "2", "--json", env=env))
    assert plan["dryRun"] is True and plan["queued"] == 5 and plan["plannedBatches"] == [2, 2, 1]
    assert plan["estimatedGasPerBatch"] > 0 and plan["batches"] == []
    code, text, _ = run_cli("anchor", "--dry-run", env=env)
    assert code == 0 and "nothing sent" in text

    assert (registry.w3.eth.block_number, nonce(registry, academy.account.address)) == (block, sent)
    assert view.rows() == rows and view.journal() == journal and view.batches() == []
    assert not (home / "issued").exists() and root_anchored_logs(registry) == []


# ---------------------------------------------------------------------------- revoke

def test_revoke_by_file_by_credential_id_and_by_root(run_cli, env, home, registry, academy):
    items = _anchor_some(run_cli, env, home, academy, 6)
    docs = check_proof_files(issued_files(home / "issued"), registry, academy)
    root = receipt_of(docs[items[0].credential_id])["merkleRoot"]
    leaf = {i.credential_id: StoreView(home).find(i.credential_id).leaf_index for i in items}

    by_file = home / "issued" / expected_names(items[:1])[0]
    result = _json(run_cli("revoke", str(by_file), "--reason", "1", "--json", env=env))
    [r] = result["revocations"]
    assert r["root"] == root and r["leafIndices"] == [leaf[items[0].credential_id]] and r["transactionHash"]
    result = _json(run_cli("revoke", items[1].credential_id, "--reason", "4", "--json", env=env))
    assert result["revocations"][0]["leafIndices"] == [leaf[items[1].credential_id]]

    revoked = {leaf[items[0].credential_id], leaf[items[1].credential_id]}
    assert [registry.is_revoked(bytes.fromhex(root), i) for i in range(6)] == [i in revoked for i in range(6)]
    for item in items[:2]:
        assert StoreView(home).find(item.credential_id).revoked_at is not None
    assert StoreView(home).find(items[2].credential_id).revoked_at is None

    result = _json(run_cli("revoke", "--root", "0x" + root, "--reason", "3", "--json", env=env))
    assert result["revocations"][0]["leafIndices"] is None and result["revocations"][0]["transactionHash"]
    assert all(registry.is_revoked(bytes.fromhex(root), i) for i in range(6))
    assert registry.root_info(bytes.fromhex(root)).revoked_at > 0
    [batch] = StoreView(home).batches()
    assert batch.revoked_at is not None and batch.revoke_reason == 3


def test_revoking_again_reports_already_revoked_and_sends_nothing(run_cli, env, home, registry, academy):
    items = _anchor_some(run_cli, env, home, academy, 4)
    path = home / "issued" / expected_names(items[:1])[0]
    assert _json(run_cli("revoke", str(path), "--json", env=env))["revocations"][0]["transactionHash"]
    root = receipt_of(json.loads(path.read_text()))["merkleRoot"]
    leaf = StoreView(home).find(items[0].credential_id).leaf_index
    sent = nonce(registry, academy.account.address)

    for target in (str(path), items[0].credential_id):
        [r] = _json(run_cli("revoke", target, "--json", env=env))["revocations"]
        assert r == {"root": root, "leafIndices": [], "alreadyRevoked": [leaf]}
    code, text, _ = run_cli("revoke", str(path), env=env)
    assert code == 0 and "already revoked 1" in text
    assert nonce(registry, academy.account.address) == sent


def test_revoking_a_revoked_root_again_reports_it_and_sends_nothing(run_cli, env, home, registry, academy):
    items = _anchor_some(run_cli, env, home, academy, 4)
    root = StoreView(home).batches()[0].root
    assert _json(run_cli("revoke", "--root", root, "--json", env=env))["revocations"][0]["transactionHash"]
    sent = nonce(registry, academy.account.address)
    # Under a revoked root every credential counts as revoked already.
    [r] = _json(run_cli("revoke", items[1].credential_id, "--json", env=env))["revocations"]
    assert r["leafIndices"] == [] and "transactionHash" not in r
    # The whole root once more: reported like a credential revoked twice, not sent, exit 0
    # (a retried revocation script must not fail on work already done).
    code, stdout, stderr = run_cli("revoke", "--root", root, "--json", env=env)
    assert code == 0, stderr
    assert "transactionHash" not in json.loads(stdout)["revocations"][0]
    assert nonce(registry, academy.account.address) == sent


def test_revoking_another_issuers_batch_fails_and_changes_nothing(run_cli, env, home, registry, academy,
                                                                  guild, anvil, tmp_path):
    items = _anchor_some(run_cli, env, home, academy, 4)
    path = home / "issued" / expected_names(items[:1])[0]
    root = receipt_of(json.loads(path.read_text()))["merkleRoot"]
    rows, guild_sent = StoreView(home).rows(), nonce(registry, guild.account.address)
    guild_home = tmp_path / "guild"
    attempts = [
        cli_env(anvil.url, guild_home, guild.account, registry),  # its own home, A's file
        cli_env(anvil.url, home, guild.account, registry),  # A's home, A's credential id
    ]
    for guild_env, target in zip(attempts, ([str(path)], [items[1].credential_id])):
        for args in (target, ["--root", root]):
            code, out, err = run_cli("revoke", *args, env=guild_env)
            assert code == 1, (args, out, err)
            assert "RegistryNotRootIssuer" in err and f"callerIssuerId={guild.id}" in err
    assert nonce(registry, guild.account.address) == guild_sent
    assert not any(registry.is_revoked(bytes.fromhex(root), i) for i in range(4))
    assert registry.root_info(bytes.fromhex(root)).revoked_at == 0
    assert StoreView(home).rows() == rows
    assert StoreView(guild_home).rows() == [] and StoreView(guild_home).journal() == []


# ---------------------------------------------------------------------------- two issuers

def test_two_issuers_in_one_home_anchor_only_their_own_queue(run_cli, anvil, home, tmp_path, registry,
                                                             academy, guild, env):
    guild_env = cli_env(anvil.url, home, guild.account, registry, signing_did=guild.did)
    assert _json(run_cli("issue", str(EXAMPLES / "credentials"), "--json", env=env))["queued"] == 3
    assert _json(run_cli("issue", "--roster", str(EXAMPLES / "roster.csv"), "--achievement",
                         str(EXAMPLES / "achievement.json"), "--json", env=guild_env))["queued"] == 5

    report = _json(run_cli("anchor", "--out", str(tmp_path / "guild-out"), "--json", env=guild_env))
    assert [(b["leaf_count"], b["state"]) for b in report["batches"]] == [(5, "written")]
    assert StoreView(home).counts() == {"queued": 3, "issued": 5}
    check_proof_files(issued_files(tmp_path / "guild-out"), registry, guild)

    report = _json(run_cli("anchor", "--out", str(tmp_path / "academy-out"), "--json", env=env))
    assert [(b["leaf_count"], b["state"]) for b in report["batches"]] == [(3, "written")]
    check_proof_files(issued_files(tmp_path / "academy-out"), registry, academy)
    assert sorted((e["args"]["issuerId"], e["args"]["leafCount"]) for e in root_anchored_logs(registry)) == \
        [(academy.id, 3), (guild.id, 5)]


def test_two_issuers_with_separate_homes_anchor_side_by_side(anvil, tmp_path, registry, academy, guild):
    runs = {}
    for issuer, count in ((academy, 30), (guild, 20)):
        home = tmp_path / issuer.did.split(":")[-1]
        issuer_env = cli_env(anvil.url, home, issuer.account, registry)
        runs[issuer] = (home, queue_credentials(home, issuer, count), issuer_env)
    processes = {issuer: credreg_background(issuer_env, "anchor", "--json")
                 for issuer, (_, _, issuer_env) in runs.items()}
    for issuer, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        home, items, _ = runs[issuer]
        files = issued_files(home / "issued")
        assert [p.name for p in files] == expected_names(items)
        check_proof_files(files, registry, issuer)
        assert StoreView(home).counts() == {"issued": len(items)}
    assert sorted((e["args"]["issuerId"], e["args"]["leafCount"]) for e in root_anchored_logs(registry)) == \
        [(academy.id, 30), (guild.id, 20)]


# ---------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("command", [["issue", str(EXAMPLES / "credentials")], ["anchor"]])
def test_a_key_of_no_issuer_gets_a_clear_error_and_exit_code_1(run_cli, anvil, home, registry, academy,
                                                              dev_accounts, command):
    queue_credentials(home, academy, 2)
    rows, stranger = StoreView(home).rows(), dev_accounts[3]
    stranger_sent = nonce(registry, stranger.address)
    stranger_env = cli_env(anvil.url, home, stranger, registry)
    code, out, err = run_cli(*command, env=stranger_env)
    assert code == 1
    assert stranger.address in err and "not a key of any accredited issuer" in err
    assert_no_secret(stranger_env, out, err)
    code, out, _ = run_cli(*command, "--json", env=stranger_env)
    assert code == 1 and json.loads(out)["kind"] == "NotAuthorized" and json.loads(out)["exitCode"] == 1
    assert StoreView(home).rows() == rows and nonce(registry, stranger.address) == stranger_sent
    assert root_anchored_logs(registry) == []


def test_a_suspended_issuer_can_neither_issue_nor_anchor(run_cli, env, home, registry, academy, dev_accounts):
    queue_credentials(home, academy, 2)
    registry.transact("setIssuerSuspended", [academy.id, True], dev_accounts[0])
    rows = StoreView(home).rows()
    for command in (["issue", str(EXAMPLES / "credentials")], ["anchor"]):
        code, _, err = run_cli(*command, env=env)
        assert code == 1 and "suspended" in err and "Northwind Training" in err
    assert StoreView(home).rows() == rows and root_anchored_logs(registry) == []


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (issue arguments, words the error must contain)."""
    good = json.loads((EXAMPLES / "credentials" / "intro-to-sql.json").read_text())
    broken = tmp_path / "broken.json"
    broken.write_text('{"@context": ["https://www.w3.org/ns/credentials/v2",\n  "type": }\n')
    no_criteria = copy.deepcopy(good)
    del no_criteria["credentialSubject"]["achievement"]["criteria"]
    (tmp_path / "no-criteria.json").write_text(json.dumps(no_criteria))
    folder = tmp_path / "folder"
    shutil.copytree(EXAMPLES / "credentials", folder)
    (folder / "zz-no-name.json").write_text(json.dumps({k: v for k, v in good.items() if k != "name"}))
    roster = (EXAMPLES / "roster.csv").read_text().splitlines()
    roster[3] = roster[3].replace("chidi.placeholder@example.org", "chidi at example")
    (tmp_path / "roster.csv").write_text("\n".join(roster) + "\n")
    short_row = (EXAMPLES / "roster.csv").read_text().splitlines()
    short_row[2] = "Bram Sample,bram.sample@example.org"
    (tmp_path / "short.csv").write_text("\n".join(short_row) + "\n")
    achievement = ["--achievement", str(EXAMPLES / "achievement.json")]
    return {
        "malformed JSON": ([str(broken)], [str(broken), "line 2", "invalid JSON"]),
        "missing required field": ([str(tmp_path / "no-criteria.json")],
                                   ["no-criteria.json", "credentialSubject.achievement.criteria: missing"]),
        "one bad file among good ones": ([str(folder)], ["zz-no-name.json", "name: missing"]),
        "roster row with a bad email": (["--roster", str(tmp_path / "roster.csv"), *achievement],
                                        ["roster.csv", "row 3", "column email", "chidi at example"]),
        "roster row with a missing field": (["--roster", str(tmp_path / "short.csv"), *achievement],
                                            ["short.csv", "row 2", "has 2 fields"]),
        "credential already in the store": ([str(EXAMPLES / "credentials" / "workplace-first-aid.json")],
                                            ["workplace-first-aid.json", "already in the store",
                                             "nothing queued"]),
    }


@pytest.mark.parametrize("case", ["malformed JSON", "missing required field", "one bad file among good ones",
                                  "roster row with a bad email", "roster row with a missing field",
                                  "credential already in the store"])
def test_bad_input_gets_exit_code_2_and_changes_nothing(run_cli, env, home, tmp_path, case):
    fixed_id = EXAMPLES / "credentials" / "workplace-first-aid.json"  # carries its own id
    earlier = _json(run_cli("issue", str(fixed_id), "--json", env=env))
    view = StoreView(home)
    rows = view.rows()
    args, words = _bad_inputs(tmp_path)[case]
    code, out, err = run_cli("issue", *args, env=env)
    assert code == 2, (out, err)
    for word in words:
        assert word in err, (word, err)
    assert view.rows() == rows and view.counts() == {"queued": 1}
    kept = view.find(earlier["credentials"][0]["id"])
    assert (kept.state, kept.target_hash) == ("queued", earlier["credentials"][0]["targetHash"])
    code, out, _ = run_cli("issue", *args, "--json", env=env)
    assert code == 2 and json.loads(out)["exitCode"] == 2


# ---------------------------------------------------------------------------- scale

@pytest.mark.slow
def test_a_hundred_thousand_credentials_go_through_the_whole_job(env, home, registry, academy):
    items = queue_credentials(home, academy, 100_000)
    sent_before = nonce(registry, academy.account.address)
    done = credreg(env, "anchor", "--json", timeout=600)
    assert done.returncode == 0, done.stderr
    [batch] = json.loads(done.stdout)["batches"]
    assert (batch["leaf_count"], batch["state"], batch["files"]) == (100_000, "written", 100_000)

    files = issued_files(home / "issued")
    assert [p.name for p in files] == expected_names(items)
    check_proof_files(random.Random(7).sample(files, 200), registry, academy, complete=False)
    info = registry.root_info(bytes.fromhex(batch["root"]))
    assert (info.issuer_id, info.leaf_count) == (academy.id, 100_000)
    assert len(root_anchored_logs(registry)) == 1  # one anchor transaction for all of them
    assert nonce(registry, academy.account.address) == sent_before + 1
    assert StoreView(home).counts() == {"issued": 100_000}


# ---------------------------------------------------------------------------- signing

def test_issuing_without_a_signing_key_says_how_to_make_one_and_queues_nothing(run_cli, anvil, home, registry,
                                                                              academy):
    unsigned_env = cli_env(anvil.url, home, academy.account, registry)  # no key in the home
    code, out, err = run_cli("issue", str(EXAMPLES / "credentials"), env=unsigned_env)
    assert code == 2, (out, err)
    assert "no DID document for did:web:northwind.example" in err
    assert "credreg issuer keygen --did-web northwind.example" in err
    assert StoreView(home).counts() == {}


def test_unsigned_issue_is_the_first_format_and_says_so(run_cli, env, home, registry, academy):
    code, out, err = run_cli("issue", str(EXAMPLES / "credentials"), "--unsigned", "--json", env=env)
    assert code == 0 and json.loads(out)["signed"] is False and "format 1" in err
    report = _json(run_cli("anchor", "--json", env=env))
    assert [b["state"] for b in report["batches"]] == ["written"]
    docs = check_proof_files(issued_files(home / "issued"), registry, academy)
    assert all(isinstance(d["proof"], dict) for d in docs.values())
