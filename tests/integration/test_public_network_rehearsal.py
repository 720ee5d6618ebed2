"""A public-network rehearsal: what Sepolia does to a run that a local automining anvil never does.

The module's node is a real anvil with chain id 11155111 (Sepolia's) and a 1 s block time, so
transactions wait for blocks, confirmations take real seconds and every proof names eip155:11155111.
On it, with the real CLI as child processes: the whole issuer journey with `--confirmations 3`;
the base fee pushed above `--max-fee-gwei` while the anchor waits in the mempool, and back; a reorg
of the anchoring block while the job waits for confirmations; the node SIGKILLed mid-job and
restarted from its state file; `ape run deploy` and `ape run anchor` on `ethereum:sepolia:node`
through SEPOLIA_RPC_URL; and one home holding a local (31337) and a Sepolia-like deployment.

Where a case needs the chain to hold still (the anchor in the mempool, a block to reorganise),
interval mining is paused with `evm_setIntervalMining 0` and resumed after, so the case does not
depend on how fast this machine reacts within one block.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from web3.exceptions import TransactionNotFound

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    wait_in_mempool,
    EXAMPLES,
    REPO,
    Issuer,
    StoreView,
    academy,
    accredit,
    check_proof_files,
    cli_env,
    credreg,
    credreg_background,
    deploy_registry,
    env,
    expected_names,
    home,
    issued_files,
    nonce,
    queue_credentials,
    receipt_of,
    registry,
    root_anchored_logs,
    wait_for_journal,
)
from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import Anvil, rpc  # noqa: E402

SEPOLIA = 11155111
LOCAL = 31337
GWEI = 10**9
SEPOLIA_ARGS = ["--chain-id", str(SEPOLIA)]
ROSTER = ("--roster", str(EXAMPLES / "roster.csv"), "--achievement", str(EXAMPLES / "achievement.json"))


@pytest.fixture(scope="module")
def anvil():
    """This module's node (it replaces conftest's): Sepolia's chain id and a 1 s block time."""
    with Anvil(block_time=1, extra=SEPOLIA_ARGS) as node:
        yield node


@pytest.fixture(scope="module")
def local():
    """A local automining anvil (chain id 31337), for the home that holds two deployments."""
    with Anvil() as node:
        yield node


# ---------------------------------------------------------------------------- helpers

def _ok(env: dict[str, str], *argv: str) -> dict:
    """`credreg ARGV --json` as a child process that must succeed; its JSON output."""
    done = credreg(env, *argv, "--json")
    assert done.returncode == 0, f"credreg {' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)


def _verify_each(env: dict[str, str], paths: list[Path], *args: str) -> list[tuple[int, dict]]:
    """`credreg verify PATH --json` for each path, as child processes run side by side."""
    jobs = [credreg_background(env, "verify", str(path), "--json", *args) for path in paths]
    results = []
    for job in jobs:
        out, err = job.communicate(timeout=120)
        assert job.returncode in (0, 1), err
        results.append((job.returncode, json.loads(out)))
    return results


@contextmanager
def _paused(url: str) -> Iterator[None]:
    """Interval mining off (blocks only on evm_mine), back to one block a second on the way out."""
    rpc(url, "evm_setIntervalMining", [0])
    try:
        yield
    finally:
        rpc(url, "evm_setIntervalMining", [1])


@contextmanager
def _base_fee_held(url: str, wei: int) -> Iterator[None]:
    """Every block mined meanwhile has base fee ``wei`` (anvil sets it for the next block only)."""
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(wei)])
            stop.wait(0.1)

    rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(wei)])
    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _set_base_fee(url: str, wei: int) -> None:
    """The next block's base fee is ``wei``; returns once a block with it is the latest."""
    rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(wei)])
    rpc(url, "evm_mine")


def _wait_for_dump(state: Path, after: float, timeout: float = 15) -> None:
    """Until anvil has dumped its state (every 5 s with --state) since ``after`` (a time.time())."""
    deadline = time.monotonic() + timeout
    while not (state.exists() and state.stat().st_mtime > after):
        assert time.monotonic() < deadline, f"anvil wrote no state to {state} within {timeout} s"
        time.sleep(0.1)
    time.sleep(0.5)  # let the write finish


def _events(home: Path, name: str) -> list[dict]:
    return [j for j in StoreView(home).journal() if j["event"] == name]


def _max_fees(home: Path) -> list[int]:
    """maxFee of every anchor transaction the job signed, from the journal."""
    return [int(re.search(r"maxFee (\d+)", j["detail"]).group(1)) for j in StoreView(home).journal()
            if j["event"] in ("sent", "replaced")]


def _finish(job: subprocess.Popen, timeout: float = 90) -> tuple[str, str]:
    try:
        out, err = job.communicate(timeout=timeout)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    return out, err


def _assert_anchored_once(home: Path, out_dir: Path, registry: RegistryClient, issuer: Issuer, items: list,
                          confirmations: int) -> dict[str, dict]:
    """Every credential in one valid file, its root anchored by one transaction, written once, and
    only after the anchor block was ``confirmations`` deep."""
    files = issued_files(out_dir)
    assert [p.name for p in files] == expected_names(items)
    docs = check_proof_files(files, registry, issuer)
    [root] = {receipt_of(d)["merkleRoot"] for d in docs.values()}
    assert len(root_anchored_logs(registry, root)) == 1 and len(root_anchored_logs(registry)) == 1
    [batch] = StoreView(home).batches()
    assert batch.state == "written" and StoreView(home).counts() == {"issued": len(items)}
    assert len(_events(home, "written")) == 1
    [confirmed] = _events(home, "confirmed")
    assert int(confirmed["detail"].split()[0]) >= confirmations
    for doc in docs.values():
        assert receipt_of(doc)["anchor"]["chainId"] == SEPOLIA
    return docs


# ---------------------------------------------------------------------------- (1) the journey

def test_the_whole_issuer_journey_on_chain_11155111_with_block_times_and_three_confirmations(anvil, dev_accounts,
                                                                                           tmp_path):
    owner, key = dev_accounts[0], dev_accounts[1]
    home = tmp_path / "home"
    owner_env, issuer_env = cli_env(anvil.url, home, owner), cli_env(anvil.url, home, key)
    deployed = _ok(owner_env, "deploy")
    assert deployed["chain_id"] == SEPOLIA
    assert json.loads((home / "deployments.json").read_text())[str(SEPOLIA)]["address"] == deployed["address"]
    did = _ok(issuer_env, "issuer", "keygen")["did"]
    registered = _ok(owner_env, "issuer", "register", "--name", "Northwind Training", "--did", did,
                     "--key", key.address)
    issuer = Issuer(registered["issuerId"], "Northwind Training", did, key)
    registry = RegistryClient(connect(anvil.url), deployed["address"])

    assert _ok(issuer_env, "issue", str(EXAMPLES / "credentials"))["queued"] == 3
    assert _ok(issuer_env, "issue", *ROSTER)["queued"] == 5
    report = _ok(issuer_env, "anchor", "--confirmations", "3")
    [batch] = report["batches"]
    assert (batch["state"], batch["files"]) == ("written", 8)
    assert report["published"]["lists"][0]["anchored"] == 8

    docs = check_proof_files(issued_files(home / "issued"), registry, issuer)
    assert len(docs) == 8 and len(root_anchored_logs(registry)) == 1
    [confirmed] = _events(home, "confirmed")
    assert int(confirmed["detail"].split()[0]) >= 3
    for doc in docs.values():
        assert receipt_of(doc)["anchor"]["chainId"] == SEPOLIA
        assert doc["proof"][1]["verificationMethod"].startswith(f"did:pkh:eip155:{SEPOLIA}:")
    files = issued_files(home / "issued")
    for code, verdict in _verify_each(issuer_env, files, "--confirmations", "3"):
        assert (code, verdict["status"]) == (0, "valid"), verdict
        assert verdict["anchor"]["chainId"] == SEPOLIA

    revoked = files[0]
    [r] = _ok(issuer_env, "revoke", str(revoked), "--reason", "1")["revocations"]
    assert r["transactionHash"] and r["leafIndices"]
    done = credreg(issuer_env, "verify", str(revoked), "--json")
    assert done.returncode == 1 and json.loads(done.stdout)["status"] == "revoked"
    assert _ok(issuer_env, "verify", str(files[1]))["status"] == "valid"

    published = _ok(issuer_env, "publish")
    assert [(entry["anchored"], entry["revoked"]) for entry in published["lists"]] == [(8, 1)]
    audit = _ok(issuer_env, "audit", "--public", str(home / "public"))
    assert audit["chainId"] == SEPOLIA and audit["bytecodeMatchesSource"] and audit["mismatches"] == []
    assert (audit["roots"], audit["credentialsAnchored"], audit["credentialsRevoked"]) == (1, 8, 1)
    [lists] = audit["statusLists"]
    assert (lists["issuer"], lists["revokedOnChain"], lists["setInLists"], lists["mismatches"]) == (did, 1, 1, [])


# ---------------------------------------------------------------------------- (2) the base fee

def test_a_base_fee_above_the_cap_makes_the_job_wait_without_overpaying_and_it_finishes_when_it_falls(
        anvil, env, home, registry, academy):
    items = queue_credentials(home, academy, 4)
    cap = 10 * GWEI
    _set_base_fee(anvil.url, GWEI)
    with _paused(anvil.url):  # the anchor waits in the mempool until the fee rises
        job = credreg_background(env, "anchor", "--json", "--confirmations", "3", "--max-fee-gwei", "10",
                                 "--replace-after", "1", "--timeout", "120")
        wait_for_journal(home, "sent", job)
        wait_in_mempool(registry, StoreView(home).batches()[0].tx_hashes[0])
        with _base_fee_held(anvil.url, 50 * GWEI):
            rpc(anvil.url, "evm_setIntervalMining", [1])
            start = registry.w3.eth.block_number
            while registry.w3.eth.block_number < start + 5:  # five blocks priced above the cap
                assert job.poll() is None, _finish(job)
                time.sleep(0.2)
            latest = registry.w3.eth.get_block("latest")
            assert latest["baseFeePerGas"] == 50 * GWEI and latest["transactions"] == []
            assert job.poll() is None, "the job gave up instead of waiting: " + repr(_finish(job))
            [batch] = StoreView(home).batches()
            assert batch.state == "sent" and root_anchored_logs(registry) == []
    # The fee falls back (the pump stopped; this block and the ones after are cheap).
    rpc(anvil.url, "anvil_setNextBlockBaseFeePerGas", [hex(GWEI)])
    out, err = _finish(job)
    assert job.returncode == 0, err
    assert "not replaced" in err and "waiting" in err  # it tried, was priced out, and waited
    [batch] = StoreView(home).batches()
    fees = _max_fees(home)
    assert len(fees) == len(batch.tx_hashes) and all(f <= cap for f in fees)
    mined = registry.w3.eth.get_transaction(batch.tx_hash)
    receipt = registry.w3.eth.get_transaction_receipt(batch.tx_hash)
    assert mined["maxFeePerGas"] <= cap and mined["maxPriorityFeePerGas"] <= cap
    assert receipt["effectiveGasPrice"] <= cap
    assert registry.w3.eth.get_block(receipt["blockNumber"])["baseFeePerGas"] < 50 * GWEI
    _assert_anchored_once(home, home / "issued", registry, academy, items, confirmations=3)


# ---------------------------------------------------------------------------- (3) a reorg

def test_a_reorg_of_the_anchoring_block_during_confirmations_is_noticed_and_the_root_mined_again_once(
        anvil, env, home, registry, academy):
    items = queue_credentials(home, academy, 5)
    sent_before = nonce(registry, academy.account.address)
    w3 = registry.w3
    with _paused(anvil.url):
        job = credreg_background(env, "anchor", "--json", "--confirmations", "3", "--timeout", "120")
        wait_for_journal(home, "sent", job)
        [tx_hash] = StoreView(home).batches()[0].tx_hashes
        wait_in_mempool(registry, tx_hash)
        rpc(anvil.url, "evm_mine")
        wait_for_journal(home, "mined", job)
        first = w3.eth.get_transaction_receipt(tx_hash)
        assert StoreView(home).batches()[0].block_hash == "0x" + bytes(first["blockHash"]).hex()
        rpc(anvil.url, "anvil_reorg", [1, []])  # the anchoring block replaced by an empty one
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction_receipt(tx_hash)
        assert not registry.root_info(bytes.fromhex(StoreView(home).batches()[0].root)).anchored
        wait_for_journal(home, "reorged", job)
        assert issued_files(home / "issued") == []  # nothing written on a block that went away
    out, err = _finish(job)  # blocks again: the journalled transaction is sent again and mined
    assert job.returncode == 0, err
    assert "reorganised away" in err
    [batch] = StoreView(home).batches()
    final = w3.eth.get_transaction_receipt(batch.tx_hash)
    assert batch.tx_hash == tx_hash and batch.tx_hashes == (tx_hash,)  # the same signed transaction
    assert final["blockHash"] != first["blockHash"] and final["blockNumber"] > first["blockNumber"]
    assert batch.block_number == final["blockNumber"]
    assert [e["event"] for e in StoreView(home).journal()].count("mined") == 2
    docs = _assert_anchored_once(home, home / "issued", registry, academy, items, confirmations=3)
    assert {receipt_of(d)["anchor"]["blockNumber"] for d in docs.values()} == {final["blockNumber"]}
    assert nonce(registry, academy.account.address) == sent_before + 1


# ---------------------------------------------------------------------------- (4) the node killed

@pytest.mark.parametrize("moment", ["sent", "mined"])
def test_the_node_killed_mid_job_and_restarted_from_its_state_finishes_and_anchors_once(moment, dev_accounts,
                                                                                       tmp_path):
    """SIGKILL to the node at ``moment``: right after the anchor is sent (the state file, dumped
    every 5 s, has most likely not seen it), or once a dump after it was mined (the state file
    holds its block)."""
    state = tmp_path / "anvil-state.json"
    node = Anvil(block_time=1, state=state, extra=SEPOLIA_ARGS).start()
    try:
        owner = dev_accounts[0]
        registry = deploy_registry(node.url, owner)
        issuer = accredit(registry, owner, dev_accounts[1], "Northwind Training", "did:web:northwind.example")
        home = tmp_path / "home"
        env = cli_env(node.url, home, issuer.account, registry, signing_did=issuer.did)
        items = queue_credentials(home, issuer, 4)
        _wait_for_dump(state, time.time())  # the registry and the issuer are in the state file
        sent_before = nonce(registry, issuer.account.address)
        confirmations = "3" if moment == "sent" else "10"
        job = credreg_background(env, "anchor", "--json", "--confirmations", confirmations, "--timeout", "120")
        wait_for_journal(home, moment, job)
        if moment == "mined":
            _wait_for_dump(state, time.time())
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        out, err = _finish(job)
        assert job.returncode == 3, (out, err)  # chain unreachable: said, nothing half-done
        assert "credreg: error: " in err and "Traceback" not in err
        assert StoreView(home).batches()[0].state in ("sent", "mined")
        assert issued_files(home / "issued") == []

        node = Anvil(port=node.port, block_time=1, state=state, extra=SEPOLIA_ARGS).start()
        registry = RegistryClient(connect(node.url), registry.address)
        done = credreg(env, "anchor", "--json", "--confirmations", confirmations)
        assert done.returncode == 0, done.stderr
        assert "resuming batch" in done.stderr
        _assert_anchored_once(home, home / "issued", registry, issuer, items, confirmations=int(confirmations))
        if moment == "mined":  # the state file held the anchoring block: found again, not sent again
            assert len(_events(home, "mined")) == 1 and _events(home, "reorged") == []
        assert nonce(registry, issuer.account.address) == sent_before + 1
    finally:
        node.stop()


# ---------------------------------------------------------------------------- (5) the Ape scripts

def _ape(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = f"{REPO / 'node_modules/.bin'}:{REPO / '.venv/bin'}:{os.environ['PATH']}"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CREDREG_", "SEPOLIA_"))}
    return subprocess.run([str(REPO / ".venv/bin/ape"), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=180, env={**base, **env, "PATH": path})


def test_ape_run_deploy_and_anchor_on_ethereum_sepolia_node_through_sepolia_rpc_url(anvil, dev_accounts,
                                                                                   tmp_path):
    owner = dev_accounts[0]
    home = tmp_path / "home"
    # CREDREG_RPC_URL points nowhere: the scripts must use the node Ape connected through SEPOLIA_RPC_URL.
    nowhere = "http://127.0.0.1:9"
    deployed = _ape("run", "deploy", "--network", "ethereum:sepolia:node",
                    env={"SEPOLIA_RPC_URL": anvil.url, "CREDREG_RPC_URL": nowhere, "CREDREG_HOME": str(home),
                         "CREDREG_PRIVATE_KEY": "0x" + bytes(owner.key).hex()})
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    [address] = re.findall(r"^0x[0-9a-fA-F]{40}$", deployed.stdout, re.M)
    recorded = json.loads((home / "deployments.json").read_text())
    assert list(recorded) == [str(SEPOLIA)] and recorded[str(SEPOLIA)]["address"] == address

    registry = RegistryClient(connect(anvil.url), address)
    issuer = accredit(registry, owner, dev_accounts[1], "Northwind Training", "did:web:northwind.example")
    env = cli_env(anvil.url, home, issuer.account, signing_did=issuer.did)  # the registry: from deployments.json
    items = queue_credentials(home, issuer, 3)
    anchored = _ape("run", "anchor", "--network", "ethereum:sepolia:node", "--confirmations", "3",
                    env={**env, "SEPOLIA_RPC_URL": anvil.url, "CREDREG_RPC_URL": nowhere})
    assert anchored.returncode == 0, anchored.stderr[-3000:]
    files = issued_files(home / "issued")
    assert [p.name for p in files] == expected_names(items)
    docs = check_proof_files(files, registry, issuer)
    assert {receipt_of(d)["anchor"]["chainId"] for d in docs.values()} == {SEPOLIA}
    assert len(root_anchored_logs(registry)) == 1
    assert int(_events(home, "confirmed")[0]["detail"].split()[0]) >= 3


# ---------------------------------------------------------------------------- (6) two deployments

class TwoDeployments(NamedTuple):
    home: Path
    nodes: dict[int, Anvil]
    deployed: dict[int, dict]
    registries: dict[int, RegistryClient]
    issuers: dict[int, Issuer]
    issuer_envs: dict[int, dict[str, str]]
    out: dict[int, Path]


@pytest.fixture(scope="module")
def two_deployments(anvil, local, dev_accounts, tmp_path_factory) -> TwoDeployments:
    """One home, one issuer (one did:key), a registry deployed on each chain with `credreg deploy`:
    the three example files anchored on the local chain, the roster on the Sepolia-like one."""
    owner, key = dev_accounts[0], dev_accounts[1]
    root = tmp_path_factory.mktemp("two-deployments")
    home = root / "home"
    nodes = {LOCAL: local, SEPOLIA: anvil}
    owner_envs = {c: cli_env(n.url, home, owner) for c, n in nodes.items()}
    issuer_envs = {c: cli_env(n.url, home, key) for c, n in nodes.items()}
    deployed = {c: _ok(owner_envs[c], "deploy") for c in nodes}
    did = _ok(issuer_envs[LOCAL], "issuer", "keygen")["did"]
    issuers, registries = {}, {}
    for chain_id, node in nodes.items():
        registered = _ok(owner_envs[chain_id], "issuer", "register", "--name", "Northwind Training", "--did", did,
                         "--key", key.address)
        issuers[chain_id] = Issuer(registered["issuerId"], "Northwind Training", did, key)
        registries[chain_id] = RegistryClient(connect(node.url), deployed[chain_id]["address"])
    out = {c: root / f"issued-{c}" for c in nodes}
    assert _ok(issuer_envs[LOCAL], "issue", str(EXAMPLES / "credentials"))["queued"] == 3
    assert _ok(issuer_envs[LOCAL], "anchor", "--out", str(out[LOCAL]))["batches"][0]["files"] == 3
    assert _ok(issuer_envs[SEPOLIA], "issue", *ROSTER)["queued"] == 5
    assert _ok(issuer_envs[SEPOLIA], "anchor", "--confirmations", "3",
               "--out", str(out[SEPOLIA]))["batches"][0]["files"] == 5
    return TwoDeployments(home, nodes, deployed, registries, issuers, issuer_envs, out)


def test_one_home_holds_a_local_and_a_sepolia_deployment_and_each_verify_reads_its_own(two_deployments):
    t = two_deployments
    assert {c: d["chain_id"] for c, d in t.deployed.items()} == {LOCAL: LOCAL, SEPOLIA: SEPOLIA}
    recorded = json.loads((t.home / "deployments.json").read_text())
    assert {c: recorded[str(c)]["address"] for c in t.nodes} == {c: d["address"] for c, d in t.deployed.items()}
    for chain_id in t.nodes:
        other = SEPOLIA if chain_id == LOCAL else LOCAL
        files = issued_files(t.out[chain_id])
        docs = check_proof_files(files, t.registries[chain_id], t.issuers[chain_id])
        assert {receipt_of(d)["anchor"]["chainId"] for d in docs.values()} == {chain_id}
        assert len(root_anchored_logs(t.registries[chain_id])) == 1
        for code, verdict in _verify_each(t.issuer_envs[chain_id], files):  # no --registry: deployments.json
            assert (code, verdict["status"]) == (0, "valid"), verdict
            assert verdict["anchor"]["chainId"] == chain_id
            assert verdict["anchor"]["registry"] == t.deployed[chain_id]["address"]
        # Against the other chain's deployment the proof names a chain and registry it does not trust.
        for code, verdict in _verify_each(t.issuer_envs[other], files[:1]):
            assert (code, verdict["status"]) == (1, "invalid"), verdict


def test_the_status_lists_of_a_home_with_two_deployments_pass_the_audit_on_both_chains(two_deployments):
    t = two_deployments
    for chain_id in t.nodes:
        done = credreg(t.issuer_envs[chain_id], "audit", "--public", str(t.home / "public"), "--json")
        assert done.returncode == 0, (chain_id, json.loads(done.stdout)["mismatches"])
