"""uvicorn's HTTP stack under the verifier: pure Python (h11 + asyncio's loop) against the compiled
one credreg installs (httptools + uvloop), side by side.

Sets up anvil with the registry, one issuer and 100 anchored signed credentials (as
bench/verify.py does), then serves the very app `credreg serve` builds (its AppFactory, one
worker) twice at once on two ports, one per stack, and drives POST /v1/verify on each in
alternating rounds with wrk (one thread, `--connections`). The ratio is the figure: the same app,
the same credential, the same moment of the machine.

Run: `.venv/bin/python bench/http_stack.py [--seconds 5] [--rounds 3] [--connections 4]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from anchor import queue  # noqa: E402  (bench/anchor.py)
from verify import wait_healthy, wrk  # noqa: E402  (bench/verify.py)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import Anvil, dev_account, free_port  # noqa: E402

STACKS = {"h11 + asyncio": ("h11", "asyncio"), "httptools + uvloop": ("httptools", "uvloop")}
# One worker process serving the app `credreg serve` builds, on the given HTTP stack.
SERVE = """
import sys, uvicorn
from registry.cli.serve import AppFactory
from registry.service.settings import Settings
port, http, loop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
uvicorn.run(AppFactory(Settings()), factory=True, host="127.0.0.1", port=port, http=http, loop=loop,
            log_level="warning", access_log=False)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk (or `make sysdeps`)")
    work = Path(tempfile.mkdtemp(prefix="credreg-bench-http-"))
    rows = []
    try:
        with Anvil() as node:
            w3 = connect(node.url)
            owner, key = dev_account(0), dev_account(1)
            registry, _ = RegistryClient.deploy(w3, owner)
            registry.register_issuer("Bench Academy", "did:web:bench.example", key.address, owner)
            queue(work / "home", 100, "did:web:bench.example", "Bench Academy", 2)
            env = {**os.environ, "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(work / "home"),
                   "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": key.key.hex(), "PYTHONPATH": str(REPO)}
            subprocess.run([sys.executable, "-m", "registry.cli", "anchor", "--out", str(work / "issued")], env=env,
                           check=True, capture_output=True)
            single = sorted((work / "issued").glob("*.json"))[0]
            env.pop("CREDREG_PRIVATE_KEY")  # the verifier signs nothing
            servers = {}
            try:
                for name, (http, loop) in STACKS.items():
                    port = free_port()
                    servers[name] = (f"http://127.0.0.1:{port}", subprocess.Popen(
                        [sys.executable, "-c", SERVE, str(port), http, loop], env=env, stderr=subprocess.DEVNULL))
                for url, _ in servers.values():
                    wait_healthy(url)
                    answer = json.loads(urllib.request.urlopen(urllib.request.Request(
                        url + "/v1/verify", single.read_bytes(), {"Content-Type": "application/json"})).read())
                    assert answer["status"] == "valid", answer
                    wrk(url + "/v1/verify", single, 2, args.connections)  # warm up
                for r in range(args.rounds):
                    order = list(servers) if r % 2 == 0 else list(reversed(servers))
                    for name in order:
                        load = os.getloadavg()[0]
                        rows.append((r + 1, name, wrk(servers[name][0] + "/v1/verify", single, args.seconds,
                                                      args.connections), load))
            finally:
                for _, proc in servers.values():
                    proc.terminate()
                    proc.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"uvicorn's HTTP stack, one worker, POST /v1/verify (a signed credential), wrk 1 thread "
          f"{args.connections} connections, {args.seconds} s a run")
    print()
    print("| round | stack | requests/s | p50 (ms) | p99 (ms) | non-2xx | load avg (1 min) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r, name, res, load in rows:
        print(f"| {r} | {name} | {res['rps']:,.0f} | {res['p50']:.2f} | {res['p99']:.2f} | {res['errors']} | {load:.2f} |")
    ratios = []
    for r in range(1, args.rounds + 1):
        by = {name: res for rr, name, res, _ in rows if rr == r}
        ratios.append(by["httptools + uvloop"]["rps"] / by["h11 + asyncio"]["rps"])
    print()
    print(f"httptools + uvloop over h11 + asyncio, requests/s per round: {', '.join(f'{x:.2f}x' for x in ratios)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
