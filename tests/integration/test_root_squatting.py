"""Root squatting: another accredited issuer copies a pending root from the mempool and gets it mined first.

On a real anvil node with automine off, the job's anchorRoot transaction waits in the mempool;
the squatter (another accredited issuer) reads its root from there and sends the same call with a
higher tip, so the next block holds the squatter's transaction first and the victim's reverts.
The job must re-anchor the same credentials under a fresh root in the same run, never write a
proof to the squatter's root, and say what happened; a squatter who takes every fresh root too
leaves the credentials queued (named in the error), and the next run anchors them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402
    ANCHOR_SELECTOR, StoreView, accredit, check_proof_files, cli_env, credreg, credreg_background,
    deploy_registry, issued_files, queue_credentials, root_anchored_logs,
)

from registry.dev.devchain import Anvil, dev_account  # noqa: E402

COUNT = 6


@pytest.fixture()
def node():
    with Anvil() as anvil:
        yield anvil


@pytest.fixture()
def world(node, tmp_path):
    owner = dev_account(0)
    registry = deploy_registry(node.url, owner)
    victim = accredit(registry, owner, dev_account(1), "Northwind Training", "did:web:northwind.example")
    squatter = accredit(registry, owner, dev_account(2), "Squatters Ltd", "did:web:squat.example")
    home = tmp_path / "home"
    env = cli_env(node.url, home, victim.account, registry)
    items = queue_credentials(home, victim, COUNT)
    registry.w3.provider.make_request("evm_setAutomine", [False])
    return registry, victim, squatter, home, env, items


class Squatter(threading.Thread):
    """Copies the victim's pending anchorRoot calls (at most ``times`` of them) with a higher tip and
    mines them at once, so the copy is mined first; once it has copied ``times`` it just mines a
    block every so often. While it still squats it mines nothing else, so no call of the victim's
    can slip into a block unseen (the job sends its next root only once the last one reverted)."""

    def __init__(self, registry, victim, squatter, times: int) -> None:
        super().__init__(daemon=True)
        self.registry, self.victim, self.squatter, self.times = registry, victim, squatter, times
        self.taken: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        w3 = self.registry.w3
        while not self.stop.is_set():
            pool = w3.provider.make_request("txpool_content", [])["result"]["pending"]
            copied = False
            for txs in pool.values():
                for tx in txs.values():
                    data = bytes.fromhex(tx["input"][2:])
                    if (tx["from"].lower() != self.victim.account.address.lower() or data[:4] != ANCHOR_SELECTOR
                            or len(self.taken) >= self.times or data[4:36].hex() in self.taken):
                        continue
                    root, count = data[4:36], int.from_bytes(data[36:68], "big")
                    self.taken.append(root.hex())
                    call = self.registry.contract.functions.anchorRoot(root, count).build_transaction({
                        "from": self.squatter.account.address, "gas": 200_000,
                        "nonce": w3.eth.get_transaction_count(self.squatter.account.address, "pending"),
                        "maxFeePerGas": int(tx["maxFeePerGas"], 16) * 2,
                        "maxPriorityFeePerGas": int(tx["maxPriorityFeePerGas"], 16) * 2 + 1})
                    w3.eth.send_raw_transaction(self.squatter.account.sign_transaction(call).raw_transaction)
                    copied = True
            if copied or len(self.taken) >= self.times:
                w3.provider.make_request("evm_mine", [])
            time.sleep(0.2)


def _run_job(env, squatter_thread, *args):
    squatter_thread.start()
    try:
        job = credreg_background(env, "anchor", "--json", "--timeout", "60", *args)
        out, err = job.communicate(timeout=180)
    finally:
        squatter_thread.stop.set()
        squatter_thread.join(timeout=10)
    return job.returncode, out, err


def test_a_squatted_root_is_re_anchored_under_a_fresh_root_in_the_same_run(world):
    registry, victim, squatter, home, env, items = world
    thief = Squatter(registry, victim, squatter, times=1)
    code, out, err = _run_job(env, thief)
    assert code == 0, err
    [taken] = thief.taken
    report = json.loads(out)
    [batch] = report["batches"]
    assert batch["state"] == "written" and batch["files"] == COUNT and batch["root"] != taken
    assert "anchored first by issuer" in err and "fresh root" in err
    # The squatter holds its copy; the victim's credentials all prove the fresh root, never the copy.
    assert registry.root_info(bytes.fromhex(taken)).issuer_id == squatter.id
    assert registry.root_info(bytes.fromhex(batch["root"])).issuer_id == victim.id
    assert registry.root_info(bytes.fromhex(batch["root"])).leaf_count == COUNT + 1  # one salt leaf
    docs = check_proof_files(issued_files(home / "issued"), registry, victim, complete=False)  # salt: no file
    assert len(docs) == COUNT
    assert {json.dumps(d["proof"]["merkleRoot"]) for d in docs.values()} == {json.dumps(batch["root"])}
    assert [log["args"]["issuerId"] for log in root_anchored_logs(registry)] == [squatter.id, victim.id]
    events = [j["event"] for j in StoreView(home).journal()]
    assert "squatted" in events and events.count("written") == 1
    # Every credential verifies, with the leaf position counted over the salted tree.
    for path in issued_files(home / "issued"):
        run = credreg(env, "verify", str(path), "--json")
        assert json.loads(run.stdout)["status"] == "valid", run.stdout


def test_a_squatter_taking_every_fresh_root_leaves_the_credentials_queued_for_the_next_run(world):
    registry, victim, squatter, home, env, items = world
    code, out, err = _run_job(env, Squatter(registry, victim, squatter, times=10))
    assert code == 1
    report = json.loads(out)
    assert [b["state"] for b in report["batches"]] == ["failed"] and report["queued"] == COUNT
    assert f"ask the registry's governance to suspend issuer {squatter.id}" in err
    assert not issued_files(home / "issued") if (home / "issued").exists() else True
    # Governance suspends the squatter; the next night's run anchors the same credentials.
    registry.w3.provider.make_request("evm_setAutomine", [True])
    registry.transact("setIssuerSuspended", [squatter.id, True], dev_account(0))
    again = credreg(env, "anchor", "--json")
    assert again.returncode == 0, again.stderr
    docs = check_proof_files(issued_files(home / "issued"), registry, victim, complete=False)
    assert sorted(docs) == sorted(i.credential_id for i in items)
