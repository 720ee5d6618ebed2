"""Verifications over HTTP on this machine, driven by wrk from a second process.

Sets up a fresh anvil with the registry, one accredited issuer and 1,000 anchored credentials
(signed, format 2, as bench/anchor.py queues them),
serves the verifier once per worker count (`credreg serve --workers 1` and `--workers 2` by
default, both up at once on their own ports), then runs wrk (Debian package) against each in
turn, load by load, so that the worker counts are measured side by side:
  - one at a time: POST /v1/verify over one kept-alive connection, a request when the last is
                   answered: the time of a request itself, with no queue (Nagle shows here as 44 ms)
  - single:        POST /v1/verify, as fast as it goes (16 connections)
  - single paced:  POST /v1/verify at about 500 requests/s (13 connections, 20 ms apart)
  - batch:         POST /v1/verify/batch with 1,000 credentials per request (4 connections, a new
                   one per request, so that each batch goes to an idle worker)
  - bare eth_call: isRevoked(root, i) straight to anvil, what a per-request design pays at best
Each row has the 1-minute load average taken just before it (other work on the machine shows).
Run: `.venv/bin/python bench/verify.py [--seconds 10] [--format 2] [--workers 1 2]`

`--in-process ROUNDS` measures instead the CPU time of the batch route itself, with no HTTP and no
wrk: the app `credreg serve` builds (its indexer on the same anvil) called directly over ASGI,
ROUNDS batches of the same 1,000 credentials. It varies less than the HTTP figures, as it does
not share the two cores with wrk, so two trees can be compared by running it in each, in turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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

from anchor import queue  # noqa: E402  (bench/anchor.py: N real credentials into a store)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.credentials import proofs  # noqa: E402
from registry.dev.devchain import Anvil, dev_account, free_port  # noqa: E402

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
{extra}
"""


def wrk(url: str, body: Path, seconds: int, connections: int, delay_ms: int | None = None,
        close: bool = False) -> dict:
    extra = f"function delay() return {delay_ms} end" if delay_ms else ""
    if close:
        extra += '\nwrk.headers["Connection"] = "close"'
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(POST_LUA.format(body=body, extra=extra))
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50"), "p99": ms("99"),
            "errors": int(non2xx.group(1)) if non2xx else 0}


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:
                if json.loads(resp.read())["ok"]:
                    return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"verifier at {url} not healthy within {timeout:.0f} s")


def in_process(batch: Path, rounds: int, settings: object) -> list[float]:
    """CPU seconds of each of ``rounds`` calls of POST /v1/verify/batch, made straight over ASGI."""
    from registry.service.app import create_app

    app = create_app(settings)
    body = batch.read_bytes()

    async def call(path: str, method: str = "GET", content: bytes = b"") -> tuple[int, bytes]:
        sent, out = False, []

        async def receive() -> dict:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}

        async def send(message: dict) -> None:
            out.append(message)

        await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                   "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                   "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())],
                   "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "app": app, "state": {}}, receive, send)
        return out[0]["status"], b"".join(m.get("body", b"") for m in out[1:])

    async def run() -> list[float]:
        async with app.router.lifespan_context(app):
            deadline = time.monotonic() + 60
            while (await call("/healthz"))[0] != 200:
                if time.monotonic() > deadline:
                    raise SystemExit("the verifier's index did not catch up within 60 s")
                await asyncio.sleep(0.3)
            status, answer = await call("/v1/verify/batch", "POST", body)  # warm up, and check
            assert status == 200 and {v["status"] for v in json.loads(answer)} == {"valid"}, answer[:300]
            times = []
            for _ in range(rounds):
                started = time.process_time()
                await call("/v1/verify/batch", "POST", body)
                times.append(time.process_time() - started)
            return times

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], metavar="N",
                        help="worker counts to serve and measure side by side (default: 1 2)")
    parser.add_argument("--format", type=int, choices=(1, 2), default=2,
                        help="proof format of the credentials: 2, signed (default), or 1, unsigned")
    parser.add_argument("--in-process", type=int, default=0, metavar="ROUNDS",
                        help="time ROUNDS batches in this process over ASGI instead of the HTTP loads")
    args = parser.parse_args()
    if not args.in_process and not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk (or `make sysdeps`)")
    work = Path(tempfile.mkdtemp(prefix="credreg-bench-verify-"))
    rows = []
    with Anvil() as node:
        w3 = connect(node.url)
        owner, key = dev_account(0), dev_account(1)
        registry, _ = RegistryClient.deploy(w3, owner)
        registry.register_issuer("Bench Academy", "did:web:bench.example", key.address, owner)
        queue(work / "home", 1000, "did:web:bench.example", "Bench Academy", args.format)
        env = {**os.environ, "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(work / "home"),
               "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": key.key.hex()}
        subprocess.run([sys.executable, "-m", "registry.cli", "anchor", "--out", str(work / "issued")], env=env,
                       check=True, capture_output=True)
        files = sorted((work / "issued").glob("*.json"))
        single = files[0]
        batch = work / "batch.json"
        batch.write_text("[" + ",".join(f.read_text() for f in files[:1000]) + "]")
        if args.in_process:
            from registry.service.settings import Settings

            times = sorted(in_process(batch, args.in_process, Settings(rpc_url=node.url, home=work / "home",
                                                                       registry=registry.address)))
            shutil.rmtree(work, ignore_errors=True)
            print(f"| POST /v1/verify/batch in process, format {args.format}, {args.in_process} batches of 1,000 "
                  "| CPU ms per batch: min | p10 | median |")
            print("|---|---:|---:|---:|")
            print(f"| ASGI, no HTTP | {times[0] * 1e3:.1f} | {times[len(times) // 10] * 1e3:.1f} "
                  f"| {times[len(times) // 2] * 1e3:.1f} |")
            return 0
        servers = {}  # worker count -> (url, process): all up at once, measured in turns
        try:
            for n in args.workers:
                port = free_port()
                servers[n] = (f"http://127.0.0.1:{port}", subprocess.Popen(
                    [sys.executable, "-m", "registry.cli", "serve", "--port", str(port), "--workers", str(n)],
                    env=env, stderr=subprocess.DEVNULL))
            for url, _ in servers.values():
                wait_healthy(url)
                check = json.loads(urllib.request.urlopen(urllib.request.Request(
                    url + "/v1/verify", single.read_bytes(), {"Content-Type": "application/json"})).read())
                assert check["status"] == "valid", check
            # One load at a time, every worker count in turn: the machine's drift hits them alike.
            # Batches go over a new connection each: a worker busy with a batch is not accepting,
            # so the next one goes to the idle worker. Kept-alive connections stay with whichever
            # worker took them, and a run where most land on one worker measures one worker.
            loads = [("one", "POST /v1/verify, 1 connection, one request at a time", "/v1/verify", single, 1, {},
                      True, 1),
                     ("single", "POST /v1/verify, 16 connections", "/v1/verify", single, 16, {}, True, 1),
                     ("paced", "POST /v1/verify, paced (13 conns, 20 ms apart)", "/v1/verify", single, 13,
                      {"delay_ms": 20}, False, 1),
                     ("batch", "POST /v1/verify/batch, 1,000 per request, 4 connections", "/v1/verify/batch", batch,
                      4, {"close": True}, True, 1000)]
            for key, label, route, body, conns, options, warm_up, per_request in loads:
                for n, (url, _) in servers.items():
                    if warm_up:
                        wrk(url + route, body, 2, conns, **options)
                    load = os.getloadavg()[0]
                    r = wrk(url + route, body, args.seconds, conns, **options)
                    rows.append((key, label, n, r, r["rps"] * per_request, load))
        finally:
            for _, server in servers.values():
                server.terminate()
            for _, server in servers.values():
                server.wait(10)
        receipt, _ = proofs.read_receipt(json.loads(single.read_text()))  # either proof format
        call = registry.contract.functions.isRevoked(bytes.fromhex(receipt["merkleRoot"]), 0)
        rpc = work / "eth_call.json"
        rpc.write_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
                                   "params": [{"to": registry.address, "data": call._encode_transaction_data()},
                                              "latest"]}))
        load = os.getloadavg()[0]
        r = wrk(node.url, rpc, args.seconds, 16)
        call_row = ("eth_call", "bare isRevoked eth_call on anvil, 16 connections", None, r, r["rps"], load)
    shutil.rmtree(work, ignore_errors=True)
    print(f"| load (wrk 1 thread, {args.seconds} s) | verifier workers | requests/s | credentials/s | p50 (ms) "
          "| p99 (ms) | non-2xx | load avg (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for _, label, n, r, creds, load in [*rows, call_row]:
        print(f"| {label} | {'-' if n is None else n} | {r['rps']:,.0f} | {creds:,.0f} | {r['p50']:.2f} "
              f"| {r['p99']:.2f} | {r['errors']} | {load:.2f} |")
    call_rate = call_row[4]
    by = {(key, n): (r, creds) for key, _, n, r, creds, _ in rows}
    # The batch route's target is a ratio to the floor of a per-request design, one bare eth_call
    # per credential, measured in the same run: this machine's speed drifts by 2x, a ratio does not.
    # 0.5x is the old absolute target (10,000/s) over the eth_call rate it was set beside (18,871/s).
    for n in args.workers:
        (_, single_rate), (paced, _), (_, batch_rate) = by["single", n], by["paced", n], by["batch", n]
        print()
        for what, value, target, met in [
                ("single verifications/s", f"{single_rate:,.0f}", ">= 1,500", single_rate >= 1500),
                ("paced p99 ms", f"{paced['p99']:.2f}", "<= 25", paced["p99"] <= 25),
                ("batch credentials/s over bare eth_call/s", f"{batch_rate / call_rate:.2f}x", ">= 0.50x",
                 batch_rate / call_rate >= 0.5)]:
            print(f"target, {n} worker{'s' if n > 1 else ''}: {what}: {value} (target {target}): "
                  f"{'met' if met else 'MISSED'}")
    # Issue 13: more workers must not make a single request slower than one worker does.
    base = min(args.workers)
    print()
    for n in args.workers:
        if n == base:
            continue
        for key in ("one", "single", "paced"):
            p50, base_p50 = by[key, n][0]["p50"], by[key, base][0]["p50"]
            print(f"per request, {key}: p50 {p50:.2f} ms with {n} workers, {base_p50:.2f} ms with {base} "
                  f"({p50 / base_p50:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
