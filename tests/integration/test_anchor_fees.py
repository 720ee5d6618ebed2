"""Fees and the mempool: the fee cap, stuck-transaction replacement and a reverted anchor.

anvil's base fee is set per test (anvil_setNextBlockBaseFeePerGas + a mined block) so the cap
can sit below or above it deterministically; with automine off the anchor transaction waits in
the mempool until the test mines, which is how a stuck or a reverted transaction is arranged.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    wait_in_mempool,
    Issuer,
    StoreView,
    academy,
    check_proof_files,
    credreg_background,
    env,
    expected_names,
    home,
    issued_files,
    nonce,
    queue_credentials,
    registry,
    root_anchored_logs,
    wait_for_journal,
)
from registry.dev.devchain import rpc  # noqa: E402

GWEI = 10**9


def _set_base_fee(url: str, wei: int) -> None:
    """Mine one block whose base fee is ``wei``: the job prices against the latest block."""
    rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(wei)])
    rpc(url, "evm_mine")


@contextmanager
def _manual_mining(url: str) -> Iterator[None]:
    rpc(url, "evm_setAutomine", [False])
    try:
        yield
    finally:
        rpc(url, "evm_setAutomine", [True])
        rpc(url, "evm_mine")  # whatever a failed test left pending


def _max_fees(home: Path) -> list[int]:
    """maxFee of every signed anchor transaction, in order, from the journal."""
    return [int(re.search(r"maxFee (\d+)", j["detail"]).group(1)) for j in StoreView(home).journal()
            if j["event"] in ("sent", "replaced")]


def _assert_all_issued_once(home: Path, registry, issuer: Issuer, items: list) -> None:
    files = issued_files(home / "issued")
    assert [p.name for p in files] == expected_names(items)
    check_proof_files(files, registry, issuer)
    [root] = {json.loads(p.read_text())["proof"]["merkleRoot"] for p in files}
    assert len(root_anchored_logs(registry, root)) == 1 and len(root_anchored_logs(registry)) == 1
    assert StoreView(home).counts() == {"issued": len(items)}


# ---------------------------------------------------------------------------- the cap

def test_a_fee_cap_below_the_base_fee_sends_nothing_and_keeps_the_queue(run_cli, anvil, env, home, registry,
                                                                       academy):
    queue_credentials(home, academy, 3)
    _set_base_fee(anvil.url, 20 * GWEI)
    sent = nonce(registry, academy.account.address)
    code, out, err = run_cli("anchor", "--max-fee-gwei", "5", env=env)
    assert code == 1
    assert "base fee is 20.000 gwei, above --max-fee-gwei 5" in out + err and "nothing sent" in out + err
    assert nonce(registry, academy.account.address) == sent and root_anchored_logs(registry) == []
    assert issued_files(home / "issued") == []
    # Nothing was sent, so nothing is in flight: the credentials wait in the queue.
    assert StoreView(home).counts() == {"queued": 3}


def test_raising_the_cap_after_a_refusal_anchors_the_same_credentials(run_cli, anvil, env, home, registry,
                                                                      academy):
    items = queue_credentials(home, academy, 3)
    _set_base_fee(anvil.url, 20 * GWEI)
    assert run_cli("anchor", "--max-fee-gwei", "5", env=env)[0] == 1
    code, _, err = run_cli("anchor", "--max-fee-gwei", "100", env=env)
    assert code == 0, err
    _assert_all_issued_once(home, registry, academy, items)


def test_the_anchor_transaction_respects_the_fee_cap(run_cli, anvil, env, home, registry, academy):
    items = queue_credentials(home, academy, 4)
    _set_base_fee(anvil.url, 10 * GWEI)
    cap = 15 * GWEI  # below 2 x base fee + tip, which the job would offer uncapped
    code, out, err = run_cli("anchor", "--max-fee-gwei", "15", "--json", env=env)
    assert code == 0, err
    [batch] = json.loads(out)["batches"]
    tx = registry.w3.eth.get_transaction(batch["transaction_hash"])
    assert tx["maxFeePerGas"] == cap and tx["maxPriorityFeePerGas"] <= cap
    assert registry.w3.eth.get_transaction_receipt(batch["transaction_hash"])["effectiveGasPrice"] <= cap
    _assert_all_issued_once(home, registry, academy, items)


# ---------------------------------------------------------------------------- the mempool

def test_a_stuck_transaction_is_replaced_with_a_higher_fee_under_the_cap(anvil, env, home, registry, academy):
    items = queue_credentials(home, academy, 5)
    _set_base_fee(anvil.url, GWEI)
    cap = 10 * GWEI
    sent = nonce(registry, academy.account.address)
    with _manual_mining(anvil.url):
        job = credreg_background(env, "anchor", "--json", "--replace-after", "1", "--timeout", "60",
                                 "--max-fee-gwei", "10")
        try:
            wait_for_journal(home, "replaced", job, timeout=45)
            rpc(anvil.url, "evm_mine")
            out, err = job.communicate(timeout=60)
        finally:
            if job.poll() is None:
                job.kill()
    assert job.returncode == 0, err
    [batch] = StoreView(home).batches()
    assert batch.state == "written" and len(batch.tx_hashes) >= 2
    assert batch.tx_hash in batch.tx_hashes[1:]  # a replacement was mined, not the original
    fees = _max_fees(home)
    assert len(fees) == len(batch.tx_hashes)
    assert all(later > earlier for earlier, later in zip(fees, fees[1:])) and fees[-1] <= cap
    mined = registry.w3.eth.get_transaction(batch.tx_hash)
    assert fees[0] < mined["maxFeePerGas"] <= cap and mined["nonce"] == batch.nonce == sent
    assert nonce(registry, academy.account.address) == sent + 1
    _assert_all_issued_once(home, registry, academy, items)


def test_a_stuck_transaction_at_the_cap_is_not_replaced_above_it(run_cli, anvil, env, home, registry,
                                                                 academy):
    items = queue_credentials(home, academy, 3)
    _set_base_fee(anvil.url, GWEI)
    with _manual_mining(anvil.url):
        # 2 x base fee + 1 gwei tip = 3 gwei is the first offer: already at the cap.
        code, out, err = run_cli("anchor", "--max-fee-gwei", "3", "--replace-after", "1", "--timeout", "3",
                                 "--json", env=env)
        assert code == 1
        assert "stuck at the fee cap" in err and "not mined within 3 s" in out
        [batch] = StoreView(home).batches()
        assert batch.state == "sent" and len(batch.tx_hashes) == 1 and _max_fees(home) == [3 * GWEI]
        assert StoreView(home).counts() == {"batched": 3}
        rpc(anvil.url, "evm_mine")
    code, _, err = run_cli("anchor", env=env)  # the next night's run picks it up
    assert code == 0, err
    [batch] = StoreView(home).batches()
    assert batch.tx_hash == batch.tx_hashes[0] and len(batch.tx_hashes) == 1
    _assert_all_issued_once(home, registry, academy, items)


def _reverted_anchor(url: str, env: dict[str, str], home: Path, registry, issuer: Issuer, owner):
    """Let the job send its anchor, then have the owner suspend the issuer with a higher tip: the
    suspension is mined first in the same block and the anchor reverts (RegistryIssuerSuspended).
    Returns the job's exit code, stdout and stderr, and the anchor's transaction hash."""
    _set_base_fee(url, GWEI)
    w3 = registry.w3
    with _manual_mining(url):
        job = credreg_background(env, "anchor", "--json", "--timeout", "60")
        try:
            wait_for_journal(home, "sent", job)
            [anchor_tx] = StoreView(home).batches()[0].tx_hashes
            wait_in_mempool(registry, anchor_tx)
            suspend = registry.contract.functions.setIssuerSuspended(issuer.id, True).build_transaction({
                "from": owner.address, "chainId": registry.chain_id, "nonce": nonce(registry, owner.address),
                "gas": 100_000, "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": 50 * GWEI})
            suspend_tx = w3.eth.send_raw_transaction(owner.sign_transaction(suspend).raw_transaction)
            rpc(url, "evm_mine")
            out, err = job.communicate(timeout=60)
        finally:
            if job.poll() is None:
                job.kill()
    first, reverted = w3.eth.get_transaction_receipt(suspend_tx), w3.eth.get_transaction_receipt(anchor_tx)
    assert (first["blockNumber"], first["transactionIndex"], first["status"]) == \
        (reverted["blockNumber"], 0, 1), "the suspension must be mined first"
    assert reverted["status"] == 0
    return job.returncode, out, err, anchor_tx


def test_a_reverted_anchor_is_reported_and_its_credentials_are_queued_again(anvil, env, home, registry,
                                                                           academy, dev_accounts):
    queue_credentials(home, academy, 4)
    code, out, err, anchor_tx = _reverted_anchor(anvil.url, env, home, registry, academy, dev_accounts[0])
    assert code == 1, err
    [outcome] = json.loads(out)["batches"]
    assert outcome["state"] == "failed" and "reverted" in outcome["error"] and anchor_tx in outcome["error"]
    assert f"{anchor_tx} reverted" in err and "its credentials stay queued" in err
    assert StoreView(home).counts() == {"queued": 4}
    assert [b.state for b in StoreView(home).batches()] == ["failed"]
    assert StoreView(home).journal()[-1]["event"] == "failed"
    assert root_anchored_logs(registry) == [] and issued_files(home / "issued") == []


def test_credentials_of_a_reverted_anchor_are_anchored_by_the_next_run(run_cli, anvil, env, home, registry,
                                                                       academy, dev_accounts):
    owner = dev_accounts[0]
    items = queue_credentials(home, academy, 4)
    assert _reverted_anchor(anvil.url, env, home, registry, academy, owner)[0] == 1
    # Reinstated, the issuer's next run batches the same credentials again: same leaves, same root.
    registry.transact("setIssuerSuspended", [academy.id, False], owner)
    code, _, err = run_cli("anchor", env=env)
    assert code == 0, err
    _assert_all_issued_once(home, registry, academy, items)
