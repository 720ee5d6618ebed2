"""`credreg publish` at scale (issue 12): the issuer's status lists for N credentials with R revoked.

Set-up, not timed: a fresh anvil, the registry deployed (and recorded in the home as `credreg
deploy` records it), an issuer whose DID is the did:key `credreg issuer keygen` made (its
keystore at the default scrypt cost, which publish pays to unlock it), accredited. Then a store
(SQLite, in a home under bench/out/) filled through SQLAlchemy Core as if N signed credentials
had been issued and anchored: status indices reserved with `Store.reserve_status` (131,072 per
list), one `credentials` row per credential with its list and index, its batch and leaf, and
`batches` rows whose roots were really anchored on chain (`anchorRoot`, sent with the issuer's
key). The roots are random: publish reads no documents, so no `documents` rows are written (no
query of publish's joins them). Credentials are numbered in issue order and batched in queue
order, as `credreg issue` then `credreg anchor` leave them. The batches are `--batches` large
ones and one small one of `--root-size` leaves in their midst; then R leaves of the large
batches, spread at random (seeded), are revoked with `revokeCredentials` (`--chunk` indices a
transaction, sorted within each batch), and the small batch whole with `revokeRoot`, so both
kinds of revocation are in the lists (the store records them as `credreg revoke` does).

Timed: `credreg publish --out DIR --json` as its own process, start to exit, `--rounds` times
(a fresh DIR each round), with its CPU time and the cores other processes kept busy meanwhile.
After each round, in a process of its own (`--split`), the same work as `refresh` with
`time.perf_counter` around its parts: the interpreter's start and imports, reading the chain's
events (the indexer's poll), unlocking the key, reading the store (`Store.status_runs`: the
anchor map's runs, grouped in SQL), matching runs to the chain (the loop of `publish`), building
the lists (bitstring, GZIP), signing them, writing the folder, exiting. Last, other reads of the
same entries are timed beside it: row by row (`Store.status_entries`, what publish read first)
and straight through sqlite3 (`--no-store-reads` skips them).

Then revoke -> visible: one `credreg revoke` of a credential not yet revoked, timed from start
to exit (it ends with the refresh of every list), its bit checked in the list it wrote.

Checked, not timed: every list's set bits are exactly the revoked credentials' indices (R + the
small batch's leaves in all), every index's anchor-map entry is its credential's (root, leaf),
and `credreg audit --public DIR` exits 0.

Run: `.venv/bin/python bench/publish.py [--credentials 1000000] [--revoked 10000] [--rounds 3]`
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, select  # noqa: E402

from registry.chain import deployments  # noqa: E402
from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.credentials import status_entry  # noqa: E402
from registry.dev.devchain import Anvil, dev_account  # noqa: E402
from registry.status import folder, lists  # noqa: E402
from registry.store import Store, now  # noqa: E402
from registry.store.schema import batches, credentials, status_lists  # noqa: E402

# What the split times as its first part: the interpreter's start and these imports (about the
# set `credreg publish` imports; the CLI imports its own modules lazily, much the same ones).
from datetime import UTC, datetime  # noqa: E402

from eth_account import Account  # noqa: E402

from registry.chain.indexer import Indexer  # noqa: E402
from registry.identity import issuer_key, keys  # noqa: E402
from registry.status import publishing  # noqa: E402

_IMPORTED_AT = time.time()

PASSWORD = "bench-publish"
PUBLIC_URL = "https://academy.example/"
REASON = 1
TARGET_S = 10.0


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, check=check)


def batch_sizes(n: int, large: int, small: int) -> list[int]:
    """Leaf counts in queue order: ``large`` equal batches (the last takes the remainder) with the
    small one (revoked whole) in their midst."""
    big = n - small
    sizes = [big // large] * large
    sizes[-1] += big - sum(sizes)
    sizes.insert(large // 2, small)
    return [s for s in sizes if s]


def fill_store(home: Path, did: str, n: int, sizes: list[int], anchors: list[dict], registry: str,
               chain_id: int, signer: str) -> list:
    """The store as issuing and anchoring n credentials leaves it (module docstring); the reserved
    (list id, url, index) of credential i, in issue order."""
    store = Store.open(home)
    places = store.reserve_status(did, (chain_id, registry), n, status_entry.LIST_SIZE,
                                  lambda number: status_entry.list_url(PUBLIC_URL, number))
    stamp = now()
    with store.engine.begin() as conn:
        batch_ids = []
        for size, anchor in zip(sizes, anchors):
            batch_ids.append(conn.execute(insert(batches).values(
                root=anchor["root"], leaf_count=size, issuer_did=did, signer=signer, chain_id=chain_id,
                registry=registry, out_dir=str(home / "issued"), state="written", nonce=anchor["nonce"],
                raw_tx=None, tx_hashes=json.dumps([anchor["tx"]]), fee_bumps=0, tx_hash=anchor["tx"],
                block_number=anchor["block"], block_hash=anchor["block_hash"], gas_used=anchor["gas"],
                anchored_at=anchor["timestamp"], created_at=stamp, updated_at=stamp)).inserted_primary_key[0])
    owner = [(b, leaf) for b, size in zip(batch_ids, sizes) for leaf in range(size)]
    chunk = 50_000
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(n, start + chunk)):
            batch_id, leaf = owner[i]
            place = places[i]
            rows.append({"credential_id": f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
                         "target_hash": hashlib.sha256(i.to_bytes(8, "big")).hexdigest(), "issuer_did": did,
                         "source": "bench", "queued_at": stamp, "state": "batched", "batch_id": batch_id,
                         "leaf_index": leaf, "status_list": place.list_id, "status_index": place.index})
        with store.engine.begin() as conn:
            conn.execute(insert(credentials), rows)
    store.engine.dispose()
    return places


def anchor_roots(registry: RegistryClient, key, sizes: list[int], rng: random.Random) -> list[dict]:
    out = []
    for size in sizes:
        root = rng.randbytes(32)
        receipt = registry.transact("anchorRoot", [root, size], key)
        block = registry.w3.eth.get_block(receipt["blockNumber"])
        tx = registry.w3.eth.get_transaction(receipt["transactionHash"])
        out.append({"root": root.hex(), "tx": "0x" + bytes(receipt["transactionHash"]).hex(),
                    "block": receipt["blockNumber"], "block_hash": "0x" + bytes(block["hash"]).hex(),
                    "timestamp": block["timestamp"], "gas": receipt["gasUsed"], "nonce": tx["nonce"]})
    return out


def revoke(registry: RegistryClient, key, home: Path, sizes: list[int], anchors: list[dict], small_at: int | None,
           revoked: int, chunk: int, rng: random.Random) -> set[int]:
    """Revoke ``revoked`` leaves of the large batches (spread at random) and the small batch whole;
    the positions (issue order) of every credential revoked, either way."""
    starts = [sum(sizes[:b]) for b in range(len(sizes))]
    large = [b for b in range(len(sizes)) if b != small_at]
    pool = [starts[b] + leaf for b in large for leaf in range(sizes[b])]
    picked = rng.sample(pool, revoked)
    by_batch: dict[int, list[int]] = {b: [] for b in large}
    for position in picked:
        b = max(k for k in large if starts[k] <= position)
        by_batch[b].append(position - starts[b])
    store = Store.open(home)
    for b, leaves in by_batch.items():
        leaves.sort()
        root = anchors[b]["root"]
        for at in range(0, len(leaves), chunk):
            part = leaves[at:at + chunk]
            receipt = registry.transact("revokeCredentials", [bytes.fromhex(root), part, REASON], key)
            store.record_revocation(root, part, REASON, "0x" + bytes(receipt["transactionHash"]).hex())
    positions = set(picked)
    if small_at is not None:
        root = anchors[small_at]["root"]
        receipt = registry.transact("revokeRoot", [bytes.fromhex(root), REASON], key)
        store.record_revocation(root, None, REASON, "0x" + bytes(receipt["transactionHash"]).hex())
        positions |= set(range(starts[small_at], starts[small_at] + sizes[small_at]))
    store.engine.dispose()
    return positions


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:9]]  # user .. steal
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def timed_publish(env: dict[str, str], out: Path, log: Path,
                  anvil_pid: int) -> tuple[float, float, float, float, dict]:
    """(wall s, CPU s, peak RSS MB, others' load, its JSON report) of one `credreg publish` into a fresh
    ``out``. Others' load: the cores that processes other than publish and our anvil kept busy
    meanwhile (the machine is shared; a slow round with a high figure is a busy machine)."""
    shutil.rmtree(out, ignore_errors=True)
    with open(log, "w") as err:
        busy, node = _machine_busy(), _process_cpu(anvil_pid)
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "publish", "--out", str(out), "--json"],
                                env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True)
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS and CPU time
        wall = time.perf_counter() - t0
        busy, node = _machine_busy() - busy, _process_cpu(anvil_pid) - node
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"credreg publish failed ({proc.returncode}): see {log}")
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, busy - cpu - node) / wall
    return wall, cpu, usage.ru_maxrss / 1024, others, json.loads(stdout)


def split(url: str, address: str, home: str, out: str, account_key: str) -> dict[str, float]:
    """refresh's work in this process (`--split`), each part timed; see the module docstring."""
    parts: dict[str, float] = {}
    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    t0 = time.perf_counter()
    registry = RegistryClient(connect(url), address)
    issuer = registry.issuer(registry.issuer_of_key(Account.from_key(account_key).address))
    store = Store.open(Path(home))
    parts["connect, issuer look-up, open store"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, start = deployments.resolve(Path(home), registry.chain_id, registry.address)
    indexer = Indexer(registry.w3, registry.address, start_block=start, reorg_depth=0)
    indexer.poll_once()
    assert indexer.last_error is None, indexer.last_error
    parts["chain events (indexer poll)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = issuer_key.find(Path(home), issuer.did)
    key = keys.load(found.keystore, PASSWORD)
    parts["unlock the key (scrypt)"] = time.perf_counter() - t0

    runs_of_list = store.status_runs

    def read_runs(list_id):  # timed apart from publish's loop
        t0 = time.perf_counter()
        runs = runs_of_list(list_id)
        parts["store read"] = parts.get("store read", 0.0) + time.perf_counter() - t0
        return runs

    store.status_runs = read_runs
    store.status_lists = timed("store read", store.status_lists)
    saved = (lists.list_credential, lists.sign_list, folder.write)
    lists.list_credential = timed("build lists (bitstring, GZIP)", lists.list_credential)
    lists.sign_list = timed("sign lists", lists.sign_list)
    folder.write = timed("write the folder", folder.write)
    try:
        t0 = time.perf_counter()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        publishing.publish(store, indexer.snapshot, issuer.id, issuer.did, registry.chain_id, registry.address,
                           key, found.verification_method, Path(out), stamp)
        inside = time.perf_counter() - t0
    finally:
        lists.list_credential, lists.sign_list, folder.write = saved
    named = sum(v for k, v in parts.items() if k in ("store read", "build lists (bitstring, GZIP)", "sign lists",
                                                      "write the folder"))
    parts["matching runs to the chain (publish's loop, sizes)"] = inside - named
    store.engine.dispose()
    parts["_imported_at"], parts["_done_at"] = _IMPORTED_AT, time.time()
    return parts


def timed_split(url: str, address: str, home: Path, out: Path, account_key: str) -> dict[str, float]:
    """One split, as its own process like the command: the parts, and the interpreter's start and
    imports (from launching it to its imports done) and exit (from its work done to its exit)."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.time()
    proc = subprocess.run([sys.executable, __file__, "--split", json.dumps([url, address, str(home), str(out),
                                                                             account_key])],
                          cwd=REPO, capture_output=True, text=True)
    ended = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"the split run failed:\n{proc.stderr}")
    parts = json.loads(proc.stdout)
    imported, done = parts.pop("_imported_at"), parts.pop("_done_at")
    return {"start the interpreter, imports": imported - started, **parts, "exit": ended - done,
            "total (wall)": ended - started}


def check(out: Path, places: list, revoked: set[int], anchors: list[dict], sizes: list[int],
          env: dict[str, str]) -> tuple[list[int], list[int], list[int]]:
    """The correctness checks of the module docstring; (list sizes, map sizes, bits set), per list."""
    index = json.loads((out / folder.INDEX_PATH).read_text())
    by_url: dict[str, dict[int, int]] = {}  # url -> index -> position
    for position, p in enumerate(places):
        by_url.setdefault(p.url, {})[p.index] = position
    owner = [(a["root"], leaf) for a, size in zip(anchors, sizes) for leaf in range(size)]
    list_bytes, map_bytes, bits = [], [], []
    assert len(index["lists"]) == len(by_url), (len(index["lists"]), len(by_url))
    for entry in index["lists"]:
        raw = (out / entry["file"]).read_bytes()
        list_bytes.append(len(raw))
        published = lists.read_list(json.loads(raw), entry["file"])
        held = by_url[published.url]
        expected = {i for i, position in held.items() if position in revoked}
        assert published.revoked == expected, f"{entry['file']}: {len(published.revoked ^ expected)} bits differ"
        bits.append(len(published.revoked))
        raw_map = (out / entry["anchors"]).read_bytes()
        map_bytes.append(len(raw_map))
        mapped = folder.holders(json.loads(raw_map)["runs"], published.size, entry["anchors"])
        assert mapped == {i: owner[position] for i, position in held.items()}, f"{entry['anchors']}: wrong map"
    assert sum(bits) == len(revoked), (sum(bits), len(revoked))
    audit = cli(env, "audit", "--public", str(out), check=False)
    assert audit.returncode == 0, f"credreg audit --public exited {audit.returncode}:\n{audit.stdout}{audit.stderr}"
    return list_bytes, map_bytes, bits


STORE_READS = {
    # Not in registry/: the reads a faster publish could make, timed beside the store's own on the
    # same store. "runs" returns a list's anchor-map runs whole (gaps-and-islands: consecutive
    # indices on consecutive leaves share batch_id and index - leaf; count = last - first + 1
    # tells a run from a group with a hole, which would be split in Python).
    "sqlite3, the same join, plain tuples":
        "SELECT c.status_index, b.root, c.leaf_index FROM credentials c JOIN batches b ON c.batch_id = b.id "
        "WHERE c.status_list = ? ORDER BY c.status_index",
    "sqlite3, batch_id instead of the join (11 roots mapped in Python)":
        "SELECT status_index, batch_id, leaf_index FROM credentials WHERE status_list = ? "
        "AND batch_id IS NOT NULL ORDER BY status_index",
    "sqlite3, runs grouped in SQL":
        "SELECT batch_id, MIN(status_index), COUNT(*), MIN(leaf_index), MAX(status_index) FROM credentials "
        "WHERE status_list = ? AND batch_id IS NOT NULL GROUP BY batch_id, status_index - leaf_index ORDER BY 2",
}


def revoke_to_visible(env: dict[str, str], out: Path, places: list, revoked: set[int]) -> float:
    """Wall seconds of one `credreg revoke` of a credential not yet revoked, which ends by
    publishing; checked: its bit is then set in the list file."""
    position = next(i for i in range(len(places)) if i not in revoked)
    started = time.perf_counter()
    cli(env, "revoke", f"urn:uuid:00000000-0000-4000-8000-{position:012d}", "--public-out", str(out), "--json")
    seconds = time.perf_counter() - started
    place = places[position]
    entry = next(e for e in json.loads((out / folder.INDEX_PATH).read_text())["lists"] if e["url"] == place.url)
    published = lists.read_list(json.loads((out / entry["file"]).read_text()), entry["file"])
    assert place.index in published.revoked, "the revoked credential's bit is not set"
    revoked.add(position)
    return seconds


def store_reads(home: Path, out_dir: Path, rounds: int = 2) -> list[tuple[str, float, int]]:
    """(read, best s over ``rounds``, rows) for every list of the store: `Store.status_entries`, and
    the reads of STORE_READS straight through sqlite3 (a proposal's measure, not publish's); the
    grouped runs checked against the anchor maps publish wrote in ``out_dir``."""
    import sqlite3

    store = Store.open(home)
    with store.engine.connect() as conn:
        ids = list(conn.execute(select(status_lists.c.id).order_by(status_lists.c.id)).scalars())
    db = sqlite3.connect(home / "credreg.db")
    reads = {"Store.status_runs (grouped in SQL: what publish reads)": lambda i: store.status_runs(i),
             "Store.status_entries (row by row: what publish read before)": lambda i: list(store.status_entries(i)),
             **{name: (lambda i, q=q: db.execute(q, (i,)).fetchall()) for name, q in STORE_READS.items()}}
    out = []
    for name, read in reads.items():
        best, rows = float("inf"), 0
        for _ in range(rounds):
            t0 = time.perf_counter()
            rows = sum(len(read(i)) for i in ids)
            best = min(best, time.perf_counter() - t0)
        out.append((name, best, rows))
    # The grouped read gives the anchor maps publish wrote, run for run (so the proposal is sound here).
    roots = dict(db.execute("SELECT id, root FROM batches").fetchall())
    for list_id, number in db.execute("SELECT id, number FROM status_lists").fetchall():
        grouped = [[first, count, roots[batch_id], leaf] for batch_id, first, count, leaf, last
                   in db.execute(STORE_READS["sqlite3, runs grouped in SQL"], (list_id,)) if last - first + 1 == count]
        written = json.loads((out_dir / folder.anchors_path(number)).read_text())["runs"]
        assert grouped == written, f"list {number}: the grouped runs are not the published map's"
    db.close()
    store.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--credentials", type=int, default=1_000_000)
    parser.add_argument("--revoked", type=int, default=10_000, help="leaves revoked with revokeCredentials")
    parser.add_argument("--batches", type=int, default=10, help="large batches (plus the small one)")
    parser.add_argument("--root-size", type=int, default=1_000, help="leaves of the batch revoked whole (0: none)")
    parser.add_argument("--chunk", type=int, default=250, help="leaf indices per revokeCredentials transaction")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=REPO / "bench/out")
    parser.add_argument("--no-store-reads", dest="store_reads", action="store_false",
                        help="skip timing the alternative store reads (proposals) after the rounds")
    parser.add_argument("--split", help=argparse.SUPPRESS)  # internal: one split run (timed_split)
    args = parser.parse_args()
    if args.split:
        print(json.dumps(split(*json.loads(args.split))))
        return 0
    n = args.credentials
    work = args.out / f"publish-{n}"
    shutil.rmtree(work, ignore_errors=True)
    home = work / "home"
    home.mkdir(parents=True)
    rng = random.Random(args.seed)
    sizes = batch_sizes(n, args.batches, args.root_size)
    small_at = args.batches // 2 if args.root_size else None
    with Anvil() as node:
        t_setup = time.perf_counter()
        w3 = connect(node.url)
        owner, key = dev_account(0), dev_account(1)
        registry, receipt = RegistryClient.deploy(w3, owner)
        deployments.record(home, deployments.Deployment(registry.chain_id, registry.address, receipt["blockNumber"],
                                                        "0x" + bytes(receipt["transactionHash"]).hex()))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")},
               "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(home), "CREDREG_PRIVATE_KEY": "0x" + bytes(key.key).hex(),
               "CREDREG_KEYSTORE_PASSWORD": PASSWORD, "CREDREG_REGISTRY": registry.address,
               "CREDREG_PUBLIC_URL": PUBLIC_URL}
        did = json.loads(cli(env, "issuer", "keygen", "--json").stdout)["did"]
        registry.register_issuer("Bench Academy", did, key.address, owner)
        print(f"set-up: anchoring {len(sizes)} roots {sizes} ...", file=sys.stderr, flush=True)
        anchors = anchor_roots(registry, key, sizes, rng)
        print(f"set-up: filling the store with {n:,} credentials ...", file=sys.stderr, flush=True)
        places = fill_store(home, did, n, sizes, anchors, registry.address, registry.chain_id, key.address)
        print(f"set-up: revoking {args.revoked:,} leaves and a root of {args.root_size:,} ...",
              file=sys.stderr, flush=True)
        revoked = revoke(registry, key, home, sizes, anchors, small_at, args.revoked, args.chunk, rng)
        setup_s = time.perf_counter() - t_setup
        walls, cpus, rss, loads, splits = [], [], [], [], []
        # Each round: the timed command, then the split as a process of its own, so that a slow
        # spell of the VM shows in both and the split's medians sit beside the wall's.
        for r in range(args.rounds):
            wall, cpu, peak, load, report = timed_publish(env, work / "public", work / "publish.log",
                                                          node.process.pid)
            walls.append(wall)
            cpus.append(cpu)
            rss.append(peak)
            loads.append(load)
            splits.append(timed_split(node.url, registry.address, home, work / "public-split",
                                      env["CREDREG_PRIVATE_KEY"]))
            print(f"round {r + 1}: credreg publish {wall:.2f} s, {cpu:.2f} s CPU (others kept {load:.2f} cores busy); "
                  f"split run {splits[-1]['total (wall)']:.2f} s",
                  file=sys.stderr, flush=True)
        list_bytes, map_bytes, bits = check(work / "public", places, revoked, anchors, sizes, env)
        check(work / "public-split", places, revoked, anchors, sizes, env)
        parts = {name: statistics.median(s[name] for s in splits) for name in splits[0]}
        reads = store_reads(home, work / "public") if args.store_reads else []
        visible = revoke_to_visible(env, work / "public", places, revoked)
    best, middle = min(walls), statistics.median(walls)
    print(f"| credentials | revoked | lists | publish wall s (min, median of {args.rounds}) | bytes per list | "
          "anchor map bytes | target <= 10 s met? |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    revoked_text = f"{args.revoked:,} + {args.root_size:,} (root)" if args.root_size else f"{args.revoked:,}"
    print(f"| {n:,} | {revoked_text} | {len(list_bytes)} | {best:.2f}, {middle:.2f} | "
          f"{min(list_bytes):,}-{max(list_bytes):,} | {min(map_bytes):,}-{max(map_bytes):,} | "
          f"{'yes' if middle <= TARGET_S else 'no'} |")
    print(f"\nrounds: {', '.join(f'{w:.2f}' for w in walls)} s wall, {', '.join(f'{c:.2f}' for c in cpus)} s "
          f"CPU of publish, while other processes kept {', '.join(f'{x:.2f}' for x in loads)} cores busy "
          f"(of {os.cpu_count()}); bits set {sum(bits):,} (= revoked credentials), {min(bits):,}-{max(bits):,} "
          f"per list; `credreg audit --public` exit 0; {len(report['lists'])} lists in publish's report; "
          f"peak RSS of publish {min(rss):,.0f}-{max(rss):,.0f} MB")
    print(f"\nsplit (`refresh`'s work with its parts timed, in a process of its own after each round; "
          f"median and range of {args.rounds}):\n")
    print("| part | median s | range s |")
    print("|---|---:|---:|")
    for name, value in parts.items():
        values = [s[name] for s in splits]
        print(f"| {name} | {value:.2f} | {min(values):.2f}-{max(values):.2f} |")
    if reads:
        print("\nreading every list's entries from the store (best of 2; the sqlite3 rows are proposals, "
              "not what publish runs; the grouped runs equal the published anchor maps):\n")
        print("| read | s | rows returned |")
        print("|---|---:|---:|")
        for name, best, rows in reads:
            print(f"| {name} | {best:.2f} | {rows:,} |")
    print(f"\nrevoke -> visible: `credreg revoke <credential id>` (the transaction, then the refresh of every "
          f"list) took {visible:.2f} s from start to exit, and its bit was set in the list it writes; served "
          f"with `Cache-Control: no-cache`, the next fetch of any verifier sees it")
    print(f"\n(set-up, not timed: {setup_s:.0f} s; {len(sizes)} roots of {sizes} leaves)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
