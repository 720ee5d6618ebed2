"""Gas used by the registry's issuer operations, against their budgets (issue 2).

Deploys the packaged artifact on a fresh anvil (npm @foundry-rs/anvil) and measures real
transactions. Run: `.venv/bin/python bench/gas.py` (or `make bench-gas`); `--json` for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import Anvil, dev_account  # noqa: E402

# (operation, budget, what the peer pays for the same): OpenAttestation DocumentStore figures
# from TOOLCHAIN.md.
BUDGETS = {
    "anchorRoot (1 leaf)": 52_000,
    "anchorRoot (1,000 leaves)": 52_000,
    "anchorRoot (1,000,000 leaves)": 52_000,
    "anchorRoot (4,294,967,295 leaves)": 52_000,
    "revokeCredentials (1 index)": 55_000,
    "revokeCredentials (100 contiguous indices)": 250_000,
    "revokeRoot": 40_000,
}
PEERS = {
    "anchorRoot (1 leaf)": "OA issue 45,663",
    "revokeCredentials (1 index)": "OA revoke 45,737",
    "revokeCredentials (100 contiguous indices)": "OA bulkRevoke ~2,400,000",
}


def measure() -> dict[str, int]:
    with Anvil() as node:
        w3 = connect(node.url)
        owner, key = dev_account(0), dev_account(1)
        registry, _ = RegistryClient.deploy(w3, owner)
        registry.register_issuer("Bench Academy", "did:web:bench.example", key.address, owner)
        gas: dict[str, int] = {}

        def run(label: str, name: str, *args: object) -> None:
            gas[label] = registry.transact(name, list(args), key)["gasUsed"]

        roots = [os.urandom(32) for _ in range(4)]
        for root, count in zip(roots, (1, 1_000, 1_000_000, 2**32 - 1)):
            run(f"anchorRoot ({count:,} {'leaves' if count > 1 else 'leaf'})", "anchorRoot", root, count)
        run("revokeCredentials (1 index)", "revokeCredentials", roots[1], [7], 1)
        run("revokeCredentials (100 contiguous indices)", "revokeCredentials", roots[2],
            list(range(1000, 1100)), 1)
        run("revokeRoot", "revokeRoot", roots[3], 2)
        return gas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    gas = measure()
    rows = [{"operation": op, "gas": used, "budget": BUDGETS[op], "met": used <= BUDGETS[op],
             "peer": PEERS.get(op, "")} for op, used in gas.items()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print("| operation | gas used | budget | met | peer (OpenAttestation) |")
        print("|---|---:|---:|---|---|")
        for r in rows:
            print(f"| {r['operation']} | {r['gas']:,} | {r['budget']:,} | {'yes' if r['met'] else 'NO'} | {r['peer']} |")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
