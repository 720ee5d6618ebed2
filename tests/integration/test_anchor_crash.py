"""Invariant 8: `credreg anchor` killed at any journal stage (a real SIGKILL) and run again
finishes the work, anchors each root exactly once and leaves every credential one valid proof.

The job kills itself with SIGKILL when CREDREG_TEST_KILL_AT names the stage it reaches
(registry.anchoring._crashpoints), so each killed run is a real child process; the evidence of
where it died is read back from the store and the chain before the run that finishes.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest
from web3.exceptions import TransactionNotFound

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    Issuer,
    StoreView,
    academy,
    check_proof_files,
    credreg,
    env,
    expected_names,
    home,
    issued_files,
    nonce,
    queue_credentials,
    registry,
    root_anchored_logs,
)

STAGES = ("built", "signed", "broadcast", "mined", "confirmed", "writing")
# Under 20,000 leaves the job writes the files itself, and the "writing" checkpoint fires half-way
# through them: 40 leaves leave 21 files behind.
WRITING_COUNT = 40
SMALL_COUNT = 5


def _kill_at(env: dict[str, str], stage: str, *args: str) -> None:
    died = credreg(env, "anchor", "--json", *args, kill_at=stage)
    assert died.returncode == -signal.SIGKILL, (stage, died.returncode, died.stderr)


def _assert_died_at(run_cli, env: dict[str, str], stage: str, home: Path, registry, issuer: Issuer,
                    count: int, sent_before: int) -> None:
    """What the store and the chain hold right after a SIGKILL at ``stage``, and what the tool says."""
    [batch] = StoreView(home).batches()
    files = issued_files(home / "issued")
    expected_state = {"built": "built", "signed": "sent", "broadcast": "sent", "mined": "mined",
                      "confirmed": "confirmed", "writing": "confirmed"}[stage]
    assert batch.state == expected_state and batch.leaf_count == count
    assert StoreView(home).counts() == {"batched": count}
    anchored = registry.root_info(bytes.fromhex(batch.root)).anchored
    if stage == "built":
        assert batch.tx_hashes == () and not anchored
    elif stage == "signed":  # in the journal, never seen by the network
        [tx_hash] = batch.tx_hashes
        with pytest.raises(TransactionNotFound):
            registry.w3.eth.get_transaction(tx_hash)
        assert not anchored and nonce(registry, issuer.account.address) == sent_before
    else:
        assert anchored and len(batch.tx_hashes) == 1
    if stage == "writing":
        assert 0 < len(files) < count, len(files)
    else:
        assert files == []
    code, out, _ = run_cli("status", "--json", env=env)
    assert code == 0
    assert [(b["root"], b["state"]) for b in json.loads(out)["unfinished"]] == [(batch.root, expected_state)]
    code, out, _ = run_cli("anchor", "--dry-run", env=env)  # plans, resumes nothing
    assert code == 0 and "1 unfinished batch(es) to resume" in out
    assert StoreView(home).batches() == [batch]


def _assert_finished(run_cli, env: dict[str, str], home: Path, registry, issuer: Issuer, items: list,
                     sent_before: int, batches: int = 1) -> None:
    """Every credential issued once, in one valid file; every root anchored once, by one transaction each."""
    files = issued_files(home / "issued")
    assert [p.name for p in files] == expected_names(items)
    docs = check_proof_files(files, registry, issuer)
    roots = {d["proof"]["merkleRoot"] for d in docs.values()}
    assert len(roots) == batches
    for root in roots:
        assert len(root_anchored_logs(registry, root)) == 1
    assert len(root_anchored_logs(registry)) == batches
    assert nonce(registry, issuer.account.address) == sent_before + batches  # no transaction sent twice
    assert StoreView(home).counts() == {"issued": len(items)}
    code, out, err = run_cli("status", "--json", env=env)
    assert code == 0, err
    status = json.loads(out)
    assert status["unfinished"] == [] and status["batches"] == {"written": batches}


def _resume(run_cli, env: dict[str, str]) -> dict:
    code, out, err = run_cli("anchor", "--json", env=env)
    assert code == 0, err
    assert "resuming batch" in err
    return json.loads(out)


@pytest.mark.parametrize("stage", STAGES)
def test_killed_at_each_stage_and_run_again_anchors_once_and_writes_every_proof(
        run_cli, env, home, registry, academy, stage):
    count = WRITING_COUNT if stage == "writing" else SMALL_COUNT
    items = queue_credentials(home, academy, count)
    sent_before = nonce(registry, academy.account.address)
    _kill_at(env, stage)
    _assert_died_at(run_cli, env, stage, home, registry, academy, count, sent_before)
    partial = {p.name: p.read_bytes() for p in issued_files(home / "issued")}

    report = _resume(run_cli, env)
    [batch] = report["batches"]
    assert batch["resumed"] and batch["state"] == "written" and batch["files"] == count
    _assert_finished(run_cli, env, home, registry, academy, items, sent_before)
    # A file delivered before the crash is the very file written after it.
    assert all((home / "issued" / name).read_bytes() == data for name, data in partial.items())


@pytest.mark.parametrize("first, second", [("signed", "confirmed"), ("broadcast", "writing")])
def test_killed_twice_at_different_stages_still_finishes_once(run_cli, env, home, registry, academy,
                                                              first, second):
    items = queue_credentials(home, academy, WRITING_COUNT)
    sent_before = nonce(registry, academy.account.address)
    _kill_at(env, first)
    _kill_at(env, second)
    _assert_died_at(run_cli, env, second, home, registry, academy, WRITING_COUNT, sent_before)
    _resume(run_cli, env)
    _assert_finished(run_cli, env, home, registry, academy, items, sent_before)


def test_killed_in_the_first_of_several_batches_finishes_them_all(run_cli, env, home, registry, academy):
    items = queue_credentials(home, academy, 10)
    sent_before = nonce(registry, academy.account.address)
    _kill_at(env, "broadcast", "--max-batch", "4")
    assert [b.state for b in StoreView(home).batches()] == ["sent"]
    assert StoreView(home).counts() == {"batched": 4, "queued": 6}
    code, out, err = run_cli("anchor", "--max-batch", "4", "--json", env=env)
    assert code == 0, err
    report = json.loads(out)
    assert [(b["leaf_count"], b["resumed"]) for b in report["batches"]] == [(4, True), (4, False), (2, False)]
    _assert_finished(run_cli, env, home, registry, academy, items, sent_before, batches=3)


def test_killed_after_signing_while_the_key_spends_the_nonce_elsewhere_sends_anew(run_cli, env, home,
                                                                                 registry, academy):
    """The journalled transaction never left; meanwhile the same key spent its nonce on something
    else. The re-run must notice, sign a new anchor, and still anchor the root exactly once."""
    items = queue_credentials(home, academy, SMALL_COUNT)
    sent_before = nonce(registry, academy.account.address)
    _kill_at(env, "signed")
    [journalled] = StoreView(home).batches()[0].tx_hashes
    w3, key = registry.w3, academy.account
    other = key.sign_transaction({"to": key.address, "value": 0, "gas": 21_000, "nonce": sent_before,
                                  "chainId": registry.chain_id, "maxFeePerGas": 10 * 10**9,
                                  "maxPriorityFeePerGas": 10**9})
    other_hash = w3.eth.send_raw_transaction(other.raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(other_hash)["status"] == 1

    _resume(run_cli, env)
    assert "nonce-used" in [j["event"] for j in StoreView(home).journal()]
    [batch] = StoreView(home).batches()
    assert batch.tx_hash != journalled and batch.nonce == sent_before + 1
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction(journalled)
    # One nonce went to the other transaction, one to the anchor.
    _assert_finished(run_cli, env, home, registry, academy, items, sent_before + 1)
