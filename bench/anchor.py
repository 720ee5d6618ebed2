"""The whole nightly job on anvil: queued credentials -> batches -> anchorRoot -> proof files.

For each size, a fresh anvil and home are set up (registry deployed, issuer accredited, N real
Open Badges 3.0 credentials queued with distinct urn:uuid ids: signed ones, format 2, unless
`--format 1`), then
`credreg anchor` runs as its own process and is timed from start to its last file written.
Peak memory is the anchor process's max RSS (its file writers included). The store is on the
project's disk (bench/out/). Credential files go to tmpfs (/dev/shm) for the job's own speed,
and, for the smaller sizes, to the project's disk too: on this VM creating a ~3 KB file on ext4
costs ~300 µs whatever writes it, so there the disk, not the job, sets the pace.

Run: `.venv/bin/python bench/anchor.py [--sizes 10000 100000 1000000] [--disk-sizes 10000 100000] [--format 2]`
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from registry import credentials  # noqa: E402
from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import Anvil, dev_account  # noqa: E402
from registry.store import NewCredential, Store  # noqa: E402

PLACEHOLDER = "urn:uuid:00000000-0000-4000-8000-000000000000"
SIGNATURE_PLACEHOLDER = "urn:uuid:00000000-0000-4000-8000-0000000000ff"


def _templates(did: str, name: str, fmt: int) -> tuple[str, str]:
    """(stored text, canonical text) of one credential whose ids are placeholders.

    Format 2: signed once with a throwaway key; each queued copy gets fresh ids in the same
    places, so its signature is not valid for it. The job never checks signatures (it hashes
    and writes), so its work per credential is that of real signed credentials; signing itself is
    bench/sign.py's. A uuid needs no escaping and changes no key order: the swap keeps the
    canonical text canonical."""
    from registry.credentials import securing
    from registry.credentials.canonical import rfc8785_bytes
    from registry.identity import did as dids
    from registry.identity.keys import SigningKey

    doc = credentials.load_file(REPO / "examples/credentials/intro-to-sql.json")
    doc["id"] = PLACEHOLDER
    prepared = credentials.prepare(doc, did, name)
    if fmt == 1:
        text = credentials.canonical_bytes(prepared).decode()
        return text, text
    key = SigningKey.generate()
    signed = securing.secure(prepared, key, dids.verification_method_id(did, key.public_multibase),
                             "2026-01-01T00:00:00Z")
    stored = signed.text.replace(signed.signature_id, SIGNATURE_PLACEHOLDER)
    canonical = rfc8785_bytes(json.loads(stored)).decode()
    return stored, canonical


def queue(home: Path, n: int, did: str, name: str, fmt: int = 2) -> None:
    """Queue n credentials: one template, its ids swapped for fresh ones (see _templates)."""
    stored, canonical = _templates(did, name, fmt)
    assert stored.count(PLACEHOLDER) == canonical.count(PLACEHOLDER) == 1
    store = Store.open(home, os.environ.get("CREDREG_STORE_URL"))
    chunk = 100_000
    for start in range(0, n, chunk):
        items = []
        for _ in range(min(chunk, n - start)):
            cid, sid = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}" if fmt == 2 else None
            text, hashed = stored.replace(PLACEHOLDER, cid), canonical.replace(PLACEHOLDER, cid)
            if sid:
                text, hashed = text.replace(SIGNATURE_PLACEHOLDER, sid), hashed.replace(SIGNATURE_PLACEHOLDER, sid)
            items.append(NewCredential(cid, hashlib.sha256(hashed.encode()).hexdigest(), did, text, "bench", sid))
        store.enqueue(items)
    store.engine.dispose()


def run_one(n: int, out_root: Path, files_root: Path, fmt: int = 2) -> dict:
    home = out_root / f"home-{n}"
    out = files_root / f"issued-{n}"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    with Anvil() as node:
        w3 = connect(node.url)
        owner, key = dev_account(0), dev_account(1)
        registry, receipt = RegistryClient.deploy(w3, owner)
        registry.register_issuer("Bench Academy", "did:web:bench.example", key.address, owner)
        t0 = time.perf_counter()
        # Queued in a spawned process: this one stays small, so the anchor process forked from
        # it reports its own peak memory, not an inherited one.
        filler = multiprocessing.get_context("spawn").Process(
            target=queue, args=(home, n, "did:web:bench.example", "Bench Academy", fmt))
        filler.start()
        filler.join()
        if filler.exitcode != 0:
            raise SystemExit(f"queueing {n:,} credentials failed")
        queued_s = time.perf_counter() - t0
        env = {**os.environ, "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(home),
               "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": key.key.hex()}
        log = out_root / f"anchor-{n}.log"
        t0 = time.perf_counter()
        with open(log, "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "anchor", "--out", str(out), "--json"],
                                    env=env, stdout=subprocess.PIPE, stderr=err, text=True)
            stdout = proc.stdout.read()
            # wait4: this child's own peak RSS (its file writers included), not a running maximum
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        peak = usage.ru_maxrss
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"anchor failed: see {log}")
        report = json.loads(stdout)
        files = sum(1 for _ in os.scandir(out))
        gas = sum(b["gas_used"] or 0 for b in report["batches"])
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    return {"format": fmt, "files_on": "tmpfs" if str(files_root).startswith("/dev/shm") else "disk",
            "credentials": n, "queue_s": queued_s, "anchor_s": wall, "files": files,
            "batches": len(report["batches"]), "gas": gas,
            "peak_rss_mb": peak / 1024, "per_s": n / wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--disk-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=REPO / "bench/out")
    parser.add_argument("--tmpfs", type=Path, default=Path("/dev/shm/credreg-bench"))
    parser.add_argument("--format", type=int, choices=(1, 2), default=2,
                        help="proof format of the queued credentials: 2, signed (default), or 1, unsigned")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = [(n, args.tmpfs) for n in args.sizes] + [(n, args.out) for n in args.disk_sizes]
    rows = []
    for n, files_root in runs:
        print(f"running {n:,} (files in {files_root}) ...", file=sys.stderr, flush=True)
        files_root.mkdir(parents=True, exist_ok=True)
        rows.append(run_one(n, args.out, files_root, args.format))
    shutil.rmtree(args.tmpfs, ignore_errors=True)
    print("| credentials | format | files on | queue → files (s) | credentials/s | files | batches | gas | peak RSS (MB) |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['credentials']:,} | {r['format']} | {r['files_on']} | {r['anchor_s']:.1f} | {r['per_s']:,.0f} | {r['files']:,} | "
              f"{r['batches']} | {r['gas']:,} | {r['peak_rss_mb']:,.0f} |")
    took = ", ".join(f"{r['queue_s']:.0f} s" for r in rows)
    print(f"\n(setup, not timed: queueing took {took})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
