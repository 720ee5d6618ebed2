"""The verifier's chain index at scale: 100,000 roots and 1,000,000 revoked positions.

On one anvil, two registries:
  - big:   `--roots` roots and `--revoked` revoked positions, made by real transactions (anchorRoot,
           revokeCredentials of `--per-revoke` positions each), many to a block: sent in JSON-RPC
           batches to anvil with automine off, then mined (anvil's dev accounts are unlocked, so
           nothing is signed here). One of the roots is a real batch of `--credentials` signed
           credentials (format 2) anchored by `credreg anchor`; `--revoke-real` of them are revoked.
  - small: that real batch alone (its own `--credentials` credentials, the same ones revoked).
The indexer builds each index from the events, as `credreg serve` does (timed: the first start),
settles it `reorg_depth` blocks deep and saves it. Then a fresh process, for each index in turn:
  - start-up: from `Indexer(...)` with the saved state file to the first healthy snapshot (the
    state it saved itself, then one poll of the node), target <= 5 s;
  - RSS: the process's VmRSS before and after (the index's own memory);
  - verification: registry.verification.verify over the IndexedView, in process, credentials/s,
    big and small in alternating rounds (a ratio: this machine drifts by 2x); every verdict is
    checked (`valid`, or `revoked` for the revoked ones).

Run: `.venv/bin/python bench/index_scale.py [--roots 100000] [--revoked 1000000] [--rounds 5]`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

DID, NAME = "did:web:bench.example", "Bench Academy"


def _rpc_batch(url: str, calls: list[tuple[str, list]]) -> list:
    body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)])
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        answers = json.loads(resp.read())
    if not isinstance(answers, list):
        raise SystemExit(f"the JSON-RPC batch failed: {str(answers)[:300]}")
    answers = sorted(answers, key=lambda a: a["id"])
    bad = [a["error"] for a in answers if "error" in a]
    if bad:
        raise SystemExit(f"{len(bad)} calls failed, first: {bad[0]}")
    return [a["result"] for a in answers]


def _send_many(url: str, sender: str, to: str, datas: list[str], gas: int, per_block: int) -> None:
    """Send the calls with automine off, ``per_block`` to a block; every one must succeed."""
    from registry.dev.devchain import rpc

    rpc(url, "evm_setAutomine", [False])
    nonce = int(rpc(url, "eth_getTransactionCount", [sender, "pending"]), 16)
    try:
        for start in range(0, len(datas), per_block):
            chunk = datas[start:start + per_block]
            # Nonces given: anvil answers a JSON-RPC batch concurrently and would hand one out twice.
            calls = [("eth_sendTransaction", [{"from": sender, "to": to, "data": d, "gas": hex(gas),
                                               "nonce": hex(nonce + k)}]) for k, d in enumerate(chunk)]
            per_request = max(1, 1_000_000 // len(chunk[0]))  # anvil refuses a request of a few MB
            hashes = [h for at in range(0, len(calls), per_request)
                      for h in _rpc_batch(url, calls[at:at + per_request])]
            nonce += len(chunk)
            print(f"  {start + len(chunk):,} of {len(datas):,} sent", file=sys.stderr, flush=True)
            rpc(url, "evm_mine", [], timeout=600)
            receipts = _rpc_batch(url, [("eth_getTransactionReceipt", [h]) for h in hashes[-1:] + hashes[:1]])
            if any(r is None or r["status"] != "0x1" for r in receipts):
                raise SystemExit(f"a transaction of the block did not succeed: {receipts}")
    finally:
        rpc(url, "evm_setAutomine", [True])


def _anchored_credentials(node_url: str, registry, key, work: Path, name: str, n: int) -> list[Path]:
    """n signed credentials anchored under one real root by `credreg anchor`, in their own home."""
    from anchor import queue  # bench/anchor.py

    home = work / f"home-{name}"
    queue(home, n, DID, NAME, 2)
    env = {**os.environ, "CREDREG_RPC_URL": node_url, "CREDREG_HOME": str(home),
           "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": key.key.hex()}
    subprocess.run([sys.executable, "-m", "registry.cli", "anchor", "--out", str(work / f"issued-{name}")],
                   env=env, check=True, capture_output=True)
    return sorted((work / f"issued-{name}").glob("*.json"))


def _build(args: argparse.Namespace, work: Path) -> dict:
    """Both registries on one anvil; both indices built from events and saved. Returns the plan."""
    from registry.dev.devchain import Anvil

    node = Anvil(extra=["--gas-limit", "3000000000"]).start()
    plan: dict = {"node": node, "url": node.url, "registries": {}}
    try:
        _fill(args, work, plan)
    except BaseException:
        node.stop()
        raise
    return plan


def _fill(args: argparse.Namespace, work: Path, plan: dict) -> None:
    """Deploy and fill both registries on the node at plan["url"]; build and save their indices."""
    from registry.chain.client import RegistryClient, connect
    from registry.chain.indexer import Indexer
    from registry.credentials import proofs
    from registry.dev.devchain import dev_account, rpc
    from registry.merkle.paths import leaf_index

    node_url = plan["url"]
    w3 = connect(node_url, timeout=300)  # the first build reads 100,000 logs in one get_logs
    owner, key = dev_account(0), dev_account(1)
    for name in ("small", "big"):
        registry, receipt = RegistryClient.deploy(w3, owner)
        registry.register_issuer(NAME, DID, key.address, owner)
        files = _anchored_credentials(node_url, registry, key, work, name, args.credentials)
        leaves = []
        for f in files:
            receipt_, _ = proofs.read_receipt(json.loads(f.read_text()))
            root = bytes.fromhex(receipt_["merkleRoot"])
            leaves.append((root, leaf_index(receipt_["path"], registry.root_info(root).leaf_count)))
        revoked_files = set(random.Random(1).sample(range(len(files)), args.revoke_real))
        by_root: dict[bytes, list[int]] = {}
        for i in revoked_files:
            by_root.setdefault(leaves[i][0], []).append(leaves[i][1])
        datas = [registry.contract.functions.revokeCredentials(r, sorted(ix), 0)._encode_transaction_data()
                 for r, ix in by_root.items()]
        timings = {}
        if name == "big":
            rng = random.Random(2)
            roots = [rng.randbytes(32) for _ in range(args.roots - 1)]
            fn = registry.contract.functions
            t0 = time.perf_counter()
            _send_many(node_url, key.address, registry.address,
                       [fn.anchorRoot(r, args.leaf_count)._encode_transaction_data() for r in roots], 80_000, 5_000)
            timings["anchor_s"] = time.perf_counter() - t0
            step = args.leaf_count // args.per_revoke  # spread over the batch, 1 in `step`
            revoking = roots[: args.revoked // args.per_revoke]
            t0 = time.perf_counter()
            _send_many(node_url, key.address, registry.address,
                       [fn.revokeCredentials(r, list(range(0, args.leaf_count, step))[: args.per_revoke], 0)
                        ._encode_transaction_data() for r in revoking], 6_000_000, 100)
            timings["revoke_s"] = time.perf_counter() - t0
        _send_many(node_url, key.address, registry.address, datas, 3_000_000, 100)
        plan["registries"][name] = {"address": registry.address, "start": receipt["blockNumber"],
                                    "files": [str(f) for f in files], "revoked": sorted(revoked_files), **timings}
    rpc(node_url, "anvil_mine", [hex(20)], timeout=600)  # everything is now deeper than the indexer's reorg depth
    for name, reg in plan["registries"].items():
        state = work / f"index-{name}.json"
        t0 = time.perf_counter()
        indexer = Indexer(w3, reg["address"], start_block=reg["start"], state_file=state)
        indexer.poll_once()
        assert indexer.health().ok, indexer.health()
        reg["build_s"] = time.perf_counter() - t0
        reg["state_file"] = str(state)
        reg["file_mb"] = state.stat().st_size / 1e6
        snap = indexer.settled
        reg["roots"] = len(snap.roots)
        reg["revoked_positions"] = sum(len(s) for s in snap.revoked.values())


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _measure(plan_file: Path) -> None:
    """In a fresh process: start each index from its saved state, then verify against both."""
    import gc

    from registry.chain.client import connect
    from registry.chain.indexer import Indexer
    from registry.credentials import load_file
    from registry.verification import verify

    plan = json.loads(plan_file.read_text())
    w3 = connect(plan["url"])
    w3.eth.chain_id  # the connection made and warm, not timed
    out: dict = {}
    indexers = {}
    for name in ("big", "small"):
        reg = plan["registries"][name]
        gc.collect()
        before = _rss_mb()
        t0 = time.perf_counter()
        indexer = Indexer(w3, reg["address"], start_block=reg["start"], state_file=Path(reg["state_file"]))
        loaded = time.perf_counter() - t0
        indexer.poll_once()
        if not indexer.health().ok:
            raise SystemExit(f"{name}: not healthy after one poll: {indexer.health()}")
        started = time.perf_counter() - t0
        gc.collect()
        loaded_blocks = indexer.settled.block
        out[name] = {"load_s": loaded, "startup_s": started, "rss_mb": _rss_mb() - before,
                     "roots": len(indexer.snapshot.roots),
                     "revoked_positions": sum(len(s) for s in indexer.snapshot.revoked.values()),
                     "settled_block": loaded_blocks, "rates": []}
        indexers[name] = indexer
    docs = {name: [load_file(Path(f)) for f in plan["registries"][name]["files"]] for name in indexers}
    for name, indexer in indexers.items():  # every verdict right, once, before timing
        revoked = set(plan["registries"][name]["revoked"])
        for i, doc in enumerate(docs[name]):
            status = verify(doc, indexer.view()).status
            want = "revoked" if i in revoked else "valid"
            if status != want:
                raise SystemExit(f"{name}: credential {i} is {status}, not {want}")
    for _ in range(plan["rounds"]):
        for name, indexer in indexers.items():
            t0 = time.perf_counter()
            for doc in docs[name]:
                verify(doc, indexer.view())  # a view per credential, as a single request makes
            out[name]["rates"].append(len(docs[name]) / (time.perf_counter() - t0))
    print(json.dumps(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", type=int, default=100_000)
    parser.add_argument("--revoked", type=int, default=1_000_000)
    parser.add_argument("--per-revoke", type=int, default=1_000, help="positions per revokeCredentials")
    parser.add_argument("--leaf-count", type=int, default=10_000, help="leaf count of each synthetic root")
    parser.add_argument("--credentials", type=int, default=1_000, help="real credentials in each registry")
    parser.add_argument("--revoke-real", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the fresh process's half
    args = parser.parse_args()
    if args.measure:
        _measure(args.measure)
        return 0
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="credreg-bench-index-"))
    plan: dict = {}
    try:
        plan = _build(args, work)
        plan["rounds"] = args.rounds
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps({k: v for k, v in plan.items() if k != "node"}))
        results = []
        for _ in range(2):  # two fresh processes: start-up varies with the machine
            done = subprocess.run([sys.executable, __file__, "--measure", str(plan_file)], capture_output=True,
                                  text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        if "node" in plan:
            plan.pop("node").stop()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    big = plan["registries"]["big"]
    print(f"building the big registry: {args.roots - 1:,} anchorRoot transactions in {big['anchor_s']:.1f} s, "
          f"{args.revoked // args.per_revoke:,} revokeCredentials of {args.per_revoke:,} positions in "
          f"{big['revoke_s']:.1f} s (5,000 and 100 to a block)")
    print()
    print("| index | roots | revoked positions | saved file (MB) | first build from events (s) "
          "| start-up from saved state (s), runs | of which reading the file (s) | index RSS (MB) |")
    print("|---|---:|---:|---:|---:|---|---|---:|")
    for name in ("big", "small"):
        reg = plan["registries"][name]
        starts = ", ".join(f"{r[name]['startup_s']:.2f}" for r in results)
        loads = ", ".join(f"{r[name]['load_s']:.2f}" for r in results)
        print(f"| {name} | {reg['roots']:,} | {reg['revoked_positions']:,} | {reg['file_mb']:.1f} | {reg['build_s']:.1f} "
              f"| {starts} | {loads} "
              f"| {max(r[name]['rss_mb'] for r in results):.0f} |")
    print()
    print("| verification, in process (1,000 credentials a round, a view each) | big index credentials/s "
          "| small index credentials/s | big over small |")
    print("|---|---:|---:|---:|")
    for k, r in enumerate(results, 1):
        b, s = r["big"]["rates"], r["small"]["rates"]
        ratios = [x / y for x, y in zip(b, s)]
        print(f"| process {k}, {len(b)} rounds: median (min-max) | {sorted(b)[len(b) // 2]:,.0f} ({min(b):,.0f}-{max(b):,.0f}) "
              f"| {sorted(s)[len(s) // 2]:,.0f} ({min(s):,.0f}-{max(s):,.0f}) "
              f"| {sorted(ratios)[len(ratios) // 2]:.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |")
    print()
    worst = max(r["big"]["startup_s"] for r in results)
    print(f"load average (1 min): before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores)")
    print(f"target start-up of the big index from its saved state: {worst:.2f} s, slowest of {len(results)} "
          f"(target <= 5 s): {'met' if worst <= 5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
