"""Benchmark: credreg's Merkle batches against blockcerts-merkletools, side by side.

For each size, fresh worker processes build a tree over the same random leaves (same seed) and
produce the path of every leaf:

- MerkleTools: ``add_leaf`` of the hex list, ``make_tree``, ``get_proof`` for every leaf;
- credreg: ``build_tree``, then ``proofs_json()``: every leaf's path as the JSON text the anchoring
  job writes, in leaf order as the job writes them;
  from 65,536 leaves a forked process shares the hashing if a CPU is idle;
- credreg in one process: the same with the fork switched off, to show what the second process
  is worth on this machine.

Each side gets its natural input ready-made and is timed alone in its own process, so its peak
RSS is its own. The parent checks that the roots agree and that a sample of paths are the same
JSON text, then prints a Markdown table for the README.

    .venv/bin/python bench/merkle.py                   # 10,000 / 100,000 / 1,000,000 leaves
    .venv/bin/python bench/merkle.py --leaves 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_SAMPLE = 200
_SIDES = ("merkletools", "credreg", "credreg-1")


def _leaves(count: int, seed: int) -> list[bytes]:
    blob = random.Random(seed).randbytes(32 * count)
    return [blob[k : k + 32] for k in range(0, len(blob), 32)]


def _sample(count: int, seed: int) -> list[int]:
    edges = {0, 1, count // 2, count - 2, count - 1}
    picked = random.Random(seed + 1).sample(range(count), min(count, _SAMPLE))
    return sorted(i for i in edges | set(picked) if 0 <= i < count)


def _worker(side: str, count: int, seed: int) -> dict[str, object]:
    leaves = _leaves(count, seed)
    if side == "merkletools":
        from blockcerts_merkletools import MerkleTools

        hex_leaves = [leaf.hex() for leaf in leaves]
        wall = time.perf_counter()
        tools = MerkleTools()
        tools.add_leaf(hex_leaves)
        tools.make_tree()
        get_proof = tools.get_proof
        for index in range(count):
            get_proof(index)
        wall = time.perf_counter() - wall
        root = tools.get_merkle_root()
        proofs = {i: json.dumps(get_proof(i)) for i in _sample(count, seed)}
    else:
        sys.path.insert(0, str(_ROOT))
        from registry.merkle import _forked
        from registry.merkle.tree import build_tree

        real_can_fork, forks = _forked.can_fork, []

        def can_fork(count: int) -> bool:  # kept: was a CPU idle for a second process? (the note)
            forks.append(side == "credreg" and real_can_fork(count))
            return forks[-1]

        _forked.can_fork = can_fork
        wall = time.perf_counter()
        tree = build_tree(leaves)
        for _text in tree.proofs_json():
            pass
        wall = time.perf_counter() - wall
        root = tree.root_hex
        proofs = {i: next(tree.proofs_json(i, i + 1)) for i in _sample(count, seed)}
        if any(json.loads(text) != tree.proof(i) for i, text in proofs.items()):
            raise SystemExit("credreg: proofs_json and proof disagree")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # A large tree that credreg hashed in one process after all: the machine looked busy.
    unforked = side == "credreg" and count >= _forked.FORK_FROM and not any(forks)
    return {"wall": wall, "peak_mib": peak_mib, "root": root, "proofs": proofs, "unforked": unforked}


def _run_worker(side: str, count: int, seed: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--worker", side, "--leaves", str(count), "--seed", str(seed)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def _best(count: int, seed: int, repeat: int) -> list[dict[str, object]]:
    """The fastest run of each side. Rounds take the sides in turn, so a machine whose speed
    drifts (a shared VM) slows both sides alike rather than whichever ran during the slow spell."""
    runs: dict[str, list[dict[str, object]]] = {side: [] for side in _SIDES}
    for _ in range(repeat):
        for side in _SIDES:
            runs[side].append(_run_worker(side, count, seed))
    return [min(runs[side], key=lambda run: run["wall"]) for side in _SIDES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, action="append", help="batch size (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--worker", choices=_SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.leaves or [10_000, 100_000, 1_000_000]
    if args.worker:
        print(json.dumps(_worker(args.worker, sizes[0], args.seed)))
        return

    load_before = os.getloadavg()[0]
    print("| leaves | MerkleTools s | credreg s | speed-up | credreg, 1 process s "
          "| MerkleTools peak MiB | credreg peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    unforked: list[str] = []
    for count in sizes:
        theirs, ours, single = _best(count, args.seed, args.repeat)
        for run in (ours, single):
            if run["root"] != theirs["root"] or run["proofs"] != theirs["proofs"]:
                raise SystemExit(f"{count} leaves: credreg and MerkleTools disagree")
        print(
            f"| {count:,} | {theirs['wall']:.2f} | {ours['wall']:.2f} | {theirs['wall'] / ours['wall']:.1f}x "
            f"| {single['wall']:.2f} | {theirs['peak_mib']:.0f} | {ours['peak_mib']:.0f} |",
            flush=True,
        )
        if ours["unforked"]:
            unforked.append(f"{count:,}")
    print(
        f"\nWall-clock seconds for the tree plus every leaf's path, fastest of {args.repeat} run(s) "
        f"per side, the sides taking turns; peak RSS of each worker process. Roots and {_SAMPLE}+ "
        f"sampled paths per size are identical JSON text. {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after."
    )
    if unforked:
        print(f"credreg's fastest run at {', '.join(unforked)} leaves found no idle CPU, "
              "so it hashed in one process.")


if __name__ == "__main__":
    main()
