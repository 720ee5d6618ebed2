"""The verifier under a long load, while the chain moves under it.

Sets up anvil (a block every second), the registry, one accredited issuer and a pool of anchored
signed credentials (format 2, queued as bench/anchor.py does, anchored by `credreg anchor`), and
serves the verifier (`credreg serve --workers 2`). Then, for `--minutes`:
  - load: `--procs` processes of `--threads` threads, each on one kept-alive connection, paced
    together at `--rate` requests/s; a request is a single POST /v1/verify, or, with chance
    `--batch-share`, a POST /v1/verify/batch of `--batch-size` pool credentials. Every verdict
    is checked against what it must be at that moment (below).
  - chain: every `--anchor-every` s a new small batch is queued and anchored (`credreg anchor`),
    and its first credential must read `valid` within the poll interval + margin after the job
    ends; every `--revoke-every` s one pool credential is revoked (`credreg revoke FILE`). Both
    commands run in long-lived processes of their own (`CliActor`): the CLI's code, without an
    interpreter start every few seconds.
  - memory: the RSS of the server's processes (the supervisor and its workers, from /proc) every
    `--sample-every` s.
A pool credential must be `valid` until it is revoked, and `revoked` once the poll interval +
`--margin` have passed after its revocation was mined (the first moment `isRevoked` answers true
on the node, polled every 0.1 s); in between it may be either. `revoked` before the revoke
transaction was sent, or any other status, is a wrong verdict.
Latency is from sending a request to having read its whole answer, in the client (so it includes
the client's own waits on a shared machine); the requests are not sent later to make up for it.

Run: `.venv/bin/python bench/soak.py [--minutes 10] [--rate 500] [--workers 2]`
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from anchor import queue  # noqa: E402  (bench/anchor.py: N real credentials into a store)
from verify import wait_healthy  # noqa: E402  (bench/verify.py)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.credentials import proofs  # noqa: E402
from registry.dev.devchain import Anvil, dev_account, free_port  # noqa: E402
from registry.merkle.paths import leaf_index  # noqa: E402

DID, NAME = "did:web:bench.example", "Bench Academy"
_STATUS = re.compile(rb'"status":\s*"(\w+)"')


# ---------------------------------------------------------------------------- the load
def _load(url: str, files: list[str], sent_at, mined_at, end: float, rate: float, threads: int,
          offset: int, stride: int, batch_share: float, batch_size: int, grace: float, out) -> None:
    """One load process: ``threads`` paced threads; puts its tallies on ``out`` at the end."""
    host, port = url.removeprefix("http://").split(":")
    bodies = [Path(f).read_bytes() for f in files]
    period = stride / rate  # each thread's gap between requests: all threads together make ``rate``
    results = []

    def run(k: int) -> None:
        rng = random.Random(offset + k)
        lat = {"single": [], "batch": []}
        t = {"verdicts": 0, "wrong": 0, "wrong_samples": [], "5xx": 0, "other_status": 0, "errors": 0,
             "revoked_seen": 0, "late": 0}
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        start = time.time() + (offset + k) * period / stride  # threads staggered over one period
        n = 0
        while True:
            due = start + n * period
            n += 1
            if due >= end or time.time() >= end:
                break
            if (wait := due - time.time()) > 0:
                time.sleep(wait)
            elif wait < -1.0:
                t["late"] += 1  # more than a second behind its schedule
            batch = rng.random() < batch_share
            picks = [rng.randrange(len(bodies)) for _ in range(batch_size if batch else 1)]
            body = (b"[" + b",".join(bodies[i] for i in picks) + b"]") if batch else bodies[picks[0]]
            sent = time.time()
            try:
                conn.request("POST", "/v1/verify/batch" if batch else "/v1/verify", body,
                             {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                t["errors"] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                continue
            got = time.time()
            lat["batch" if batch else "single"].append((got - sent) * 1000)
            if resp.status >= 500:
                t["5xx"] += 1
                continue
            if resp.status != 200:
                t["other_status"] += 1
                continue
            statuses = _STATUS.findall(data)  # the verdicts' only "status" keys; json when unsure
            if len(statuses) != len(picks):
                answer = json.loads(data)
                statuses = [v["status"].encode() for v in (answer if batch else [answer])]
            for i, status in zip(picks, statuses):
                status = status.decode()
                t["verdicts"] += 1
                s, m = sent_at[i], mined_at[i]
                if status == "valid":
                    right = m == 0 or sent < m + grace
                elif status == "revoked":
                    right = s > 0 and got >= s
                    t["revoked_seen"] += 1
                else:
                    right = False
                if not right:
                    t["wrong"] += 1
                    if len(t["wrong_samples"]) < 5:
                        t["wrong_samples"].append({"status": status, "sent": sent, "revoke_sent": s, "mined": m})
        conn.close()
        results.append((lat, t))

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    own = ({"single": [], "batch": []}, {"cpu_s": sum(os.times()[:2])})  # this process's CPU seconds
    out.put([(lat, {**t, "cpu_s": 0.0}) for lat, t in results] + [own])


# ---------------------------------------------------------------------------- the chain's actors
class CliActor:
    """`credreg` commands run by one long-lived process forked from this one: the same code as
    `python -m registry.cli ...`, without a new interpreter importing web3 every few seconds
    (about a CPU second each time, taken from the verifier on a 2-core machine)."""

    def __init__(self, env: dict[str, str]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=self._serve, args=(child, env), daemon=True)
        self._proc.start()

    @staticmethod
    def _serve(conn, env: dict[str, str]) -> None:
        import contextlib
        import io

        from registry.cli import main as cli_main

        os.environ.clear()
        os.environ.update(env)
        while (argv := conn.recv()) is not None:
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                try:
                    code = cli_main(argv)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
                except Exception as exc:  # reported, and the actor goes on
                    print(repr(exc), file=err)
                    code = 1
            conn.send((code or 0, err.getvalue()[-300:]))

    def start(self, argv: list[str]) -> None:
        self._conn.send(argv)

    def poll(self) -> bool:
        return self._conn.poll()

    def result(self) -> tuple[int, str]:
        return self._conn.recv()

    def run(self, argv: list[str]) -> tuple[int, str]:
        self.start(argv)
        return self.result()

    def close(self) -> None:
        self._conn.send(None)
        self._proc.join(10)


# ---------------------------------------------------------------------------- the server's memory
def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---------------------------------------------------------------------------- the run
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0, help="requests/s, singles and batches together")
    parser.add_argument("--batch-share", type=float, default=0.10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="verifier worker processes")
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--threads", type=int, default=16, help="threads (connections) per load process")
    parser.add_argument("--pool", type=int, default=0, help="anchored credentials (default: enough to revoke)")
    parser.add_argument("--anchor-every", type=float, default=10.0)
    parser.add_argument("--anchor-size", type=int, default=20)
    parser.add_argument("--revoke-every", type=float, default=5.0)
    parser.add_argument("--poll-interval", type=float, default=1.0, help="the verifier's index poll interval")
    parser.add_argument("--margin", type=float, default=1.0, help="seconds past the poll interval a revoke may take")
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--no-batch-lane", action="store_true",
                        help="verify batches on the event loop (CREDREG_BATCH_LANE=0), as before registry/service/_batch_lane.py")
    parser.add_argument("--warmup", type=float, default=None, help="seconds (default: 10%% of the run, 30-60)")
    args = parser.parse_args()
    seconds = args.minutes * 60
    warmup = args.warmup if args.warmup is not None else min(60.0, max(30.0, seconds / 10))
    revokes = int(seconds / args.revoke_every) + 1
    pool_size = args.pool or max(300, 2 * revokes)
    grace = args.poll_interval + args.margin
    work = Path(tempfile.mkdtemp(prefix="credreg-bench-soak-"))
    load_before = os.getloadavg()

    with Anvil(block_time=args.block_time) as node:
        w3 = connect(node.url)
        owner, key, revoker = dev_account(0), dev_account(1), dev_account(2)
        registry, _ = RegistryClient.deploy(w3, owner)
        issuer_id, _ = registry.register_issuer(NAME, DID, key.address, owner)
        # The revocations go out from a second key of the issuer: one key sending from two
        # processes at once races for the same nonce ("replacement transaction underpriced").
        registry.transact("addIssuerKey", [issuer_id, revoker.address], owner)
        home = work / "home"
        queue(home, pool_size, DID, NAME, 2)
        env = {**os.environ, "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(home),
               "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": key.key.hex(),
               "CREDREG_POLL_INTERVAL": str(args.poll_interval),
               "CREDREG_BATCH_LANE": "0" if args.no_batch_lane else "1"}
        cli = [sys.executable, "-m", "registry.cli"]
        subprocess.run(cli + ["anchor", "--out", str(work / "pool")], env=env, check=True, capture_output=True)
        files = sorted(str(p) for p in (work / "pool").glob("*.json"))
        assert len(files) == pool_size, (len(files), pool_size)
        where = []  # (root, leaf) of each pool credential, for watching its revocation on the node
        for f in files:
            receipt, _ = proofs.read_receipt(json.loads(Path(f).read_text()))
            root = bytes.fromhex(receipt["merkleRoot"])
            where.append((root, leaf_index(receipt["path"], registry.root_info(root).leaf_count)))

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(cli + ["serve", "--port", str(port), "--workers", str(args.workers)], env=env,
                                  stderr=subprocess.DEVNULL)
        ctx = multiprocessing.get_context("fork")
        sent_at = ctx.Array("d", pool_size, lock=False)  # time.time() a revoke was sent; 0: never
        mined_at = ctx.Array("d", pool_size, lock=False)  # first time the node said isRevoked
        chain_log = {"revokes": 0, "revoke_failures": 0, "revoke_mined_s": [], "anchors": 0, "anchor_failures": 0,
                     "anchor_s": [], "new_valid_s": [], "new_not_valid": 0}
        rss: list[tuple[float, float, list[float]]] = []
        loads: list[tuple[float, tuple[float, float, float]]] = []
        cpu: list[tuple[float, float]] = []  # the server's CPU seconds so far
        try:
            wait_healthy(url, timeout=90)
            t0 = time.time()
            end = t0 + seconds
            out = ctx.Queue()
            procs = [ctx.Process(target=_load, args=(url, files, sent_at, mined_at, end, args.rate,
                                                     args.threads, p * args.threads, args.procs * args.threads,
                                                     args.batch_share, args.batch_size, grace, out))
                     for p in range(args.procs)]
            for p in procs:
                p.start()
            stop = threading.Event()
            actors = [CliActor({**env, "CREDREG_PRIVATE_KEY": revoker.key.hex()}), CliActor(env)]
            bg = [threading.Thread(target=_revoker, args=(actors[0], files, where, registry, sent_at, mined_at,
                                                          args.revoke_every, end, chain_log, stop), daemon=True),
                  threading.Thread(target=_anchorer, args=(actors[1], home, work, url, args.anchor_every,
                                                           args.anchor_size, grace, end, chain_log, stop), daemon=True)]
            for th in bg:
                th.start()
            while time.time() < end:
                now = time.time() - t0
                pids = _descendants(server.pid)
                rss.append((now, sum(_rss_mb(p) for p in pids), [_rss_mb(p) for p in pids]))
                cpu.append((now, sum(_cpu_s(p) for p in pids)))
                loads.append((now, os.getloadavg()))
                time.sleep(min(args.sample_every, max(0.0, end - time.time())))
            pids = _descendants(server.pid)
            rss.append((time.time() - t0, sum(_rss_mb(p) for p in pids), [_rss_mb(p) for p in pids]))
            cpu.append((time.time() - t0, sum(_cpu_s(p) for p in pids)))
            loads.append((time.time() - t0, os.getloadavg()))
            tallies = [r for _ in procs for r in out.get(timeout=120)]
            for p in procs:
                p.join(10)
            stop.set()
            for th in bg:
                th.join(60)
            for actor in actors:
                actor.close()
        finally:
            server.terminate()
            server.wait(10)
    shutil.rmtree(work, ignore_errors=True)

    lat = {"single": [], "batch": []}
    total: dict = {}
    for lt, t in tallies:
        for kind in lat:
            lat[kind].extend(lt[kind])
        for name, value in t.items():
            total[name] = total.get(name, [] if isinstance(value, list) else 0) + value
    (t_a, c_a), (t_b, c_b) = cpu[0], cpu[-1]
    server_cores = (c_b - c_a) / (t_b - t_a)
    client_cores = total["cpu_s"] / seconds
    requests = len(lat["single"]) + len(lat["batch"])
    warm = next(r for r in rss if r[0] >= warmup) if any(r[0] >= warmup for r in rss) else rss[0]
    last = rss[-1]
    growth = (last[1] - warm[1]) / warm[1] * 100
    peak = max(r[1] for r in rss if r[0] >= warm[0])
    mid_loads = [lv for t, lv in loads if t >= warmup]
    print(f"soak: {args.minutes:g} min, {args.workers} verifier workers, target {args.rate:g} requests/s "
          f"({1 - args.batch_share:.0%} single, {args.batch_share:.0%} batches of {args.batch_size}), "
          f"{pool_size} pool credentials, a block every {args.block_time:g} s, index poll {args.poll_interval:g} s, "
          f"batch lane {'off' if args.no_batch_lane else 'on'}")
    print()
    print("| requests | requests/s | credentials/s | verdicts checked | wrong verdicts | 5xx | other non-200 "
          "| connection errors | requests > 1 s late |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {requests:,} | {requests / seconds:,.0f} | {total['verdicts'] / seconds:,.0f} | {total['verdicts']:,} "
          f"| {total['wrong']} | {total['5xx']} | {total['other_status']} | {total['errors']} | {total['late']} |")
    print()
    print("| route | requests | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, label in (("single", "POST /v1/verify"), ("batch", f"POST /v1/verify/batch ({args.batch_size})")):
        v = lat[kind]
        print(f"| {label} | {len(v):,} | {_pct(v, .5):.2f} | {_pct(v, .99):.2f} | {_pct(v, .999):.2f} "
              f"| {max(v, default=float('nan')):.2f} |")
    print()
    print("| server RSS (MB), all processes | at warm-up end | at the end | growth | peak after warm-up |")
    print("|---|---:|---:|---:|---:|")
    print(f"| {len(last[2])} processes (supervisor + workers) | {warm[1]:.1f} (t={warm[0]:.0f} s) | {last[1]:.1f} "
          f"| {growth:+.1f} % | {peak:.1f} |")
    print(f"per process, warm-up end: {', '.join(f'{x:.1f}' for x in warm[2])}; "
          f"end: {', '.join(f'{x:.1f}' for x in last[2])}")
    print()
    rm, ns = chain_log["revoke_mined_s"], chain_log["new_valid_s"]
    print(f"chain: {chain_log['revokes']} revocations ({chain_log['revoke_failures']} failed; sent -> mined "
          f"median {_pct(rm, .5):.2f} s, max {max(rm, default=float('nan')):.2f} s), {chain_log['revokes'] - chain_log['revoke_failures']} "
          f"revoked pool credentials seen `revoked` {total['revoked_seen']:,} times; {chain_log['anchors']} new batches "
          f"anchored ({chain_log['anchor_failures']} failed, job median {_pct(chain_log['anchor_s'], .5):.1f} s), "
          f"first credential `valid` after the job: median {_pct(ns, .5):.2f} s, max {max(ns, default=float('nan')):.2f} s, "
          f"not within {grace:g} s: {chain_log['new_not_valid']}")
    if total["wrong_samples"]:
        print("wrong verdict samples:", json.dumps(total["wrong_samples"][:5]))
    la = [lv[0] for lv in mid_loads] or [loads[-1][1][0]]
    print(f"CPU: the verifier's processes {server_cores:.2f} cores, the load generator {client_cores:.2f} cores "
          "(of 2; the rest of the load average is anvil, the chain jobs and other people's work)")
    print(f"load average (1 min): before {load_before[0]:.2f}, during (after warm-up) min {min(la):.2f} "
          f"max {max(la):.2f}, at the end {loads[-1][1][0]:.2f} / 5 min {loads[-1][1][1]:.2f} (2 cores)")
    print()
    p99 = _pct(lat["single"], .99)
    for what, value, target, met in [
            ("RSS growth after warm-up", f"{growth:+.1f} %", "<= 5 %", growth <= 5),
            ("5xx", f"{total['5xx']}", "0", total["5xx"] == 0),
            ("single p99 ms", f"{p99:.2f}", "<= 25", p99 <= 25),
            ("wrong verdicts", f"{total['wrong']}", "0", total["wrong"] == 0),
            ("requests/s", f"{requests / seconds:,.0f}", f">= {0.95 * args.rate:,.0f}", requests / seconds >= 0.95 * args.rate)]:
        print(f"target {what}: {value} (target {target}): {'met' if met else 'MISSED'}")
    return 0


def _revoker(actor, files, where, registry, sent_at, mined_at, every, end, log, stop) -> None:
    """Every ``every`` s, revoke the next pool credential (in a fixed shuffled order)."""
    order = list(range(len(files)))
    random.Random(7).shuffle(order)
    due = time.time() + every
    for i in order:
        if (wait := due - time.time()) > 0 and stop.wait(wait):
            return
        due += every
        if time.time() >= end - every:
            return
        sent_at[i] = time.time()
        actor.start(["revoke", files[i], "--json"])
        root, leaf = where[i]
        done = None
        while done is None or (done[0] == 0 and not mined_at[i]):
            try:
                if registry.is_revoked(root, leaf):
                    mined_at[i] = time.time()
            except Exception:
                pass
            if done is None and actor.poll():
                done = actor.result()
            if mined_at[i] and done is not None:
                break
            time.sleep(0.1)
        log["revokes"] += 1
        if done[0] != 0 or not mined_at[i]:
            log["revoke_failures"] += 1
            print(f"revoke failed ({done[0]}): {done[1]}", file=sys.stderr)
        else:
            log["revoke_mined_s"].append(mined_at[i] - sent_at[i])


def _anchorer(actor, home, work, url, every, size, grace, end, log, stop) -> None:
    """Every ``every`` s, queue ``size`` credentials and anchor them; check the first turns valid."""
    k = 0
    while not stop.wait(every) and time.time() < end - every:
        k += 1
        queue(home, size, DID, NAME, 2)
        started = time.time()
        out = work / f"new-{k}"
        code, err = actor.run(["anchor", "--out", str(out)])
        finished = time.time()
        log["anchors"] += 1
        new = sorted(out.glob("*.json"))
        if code != 0 or len(new) != size:
            log["anchor_failures"] += 1
            print(f"anchor failed ({code}): {err}", file=sys.stderr)
            continue
        log["anchor_s"].append(finished - started)
        body = new[0].read_bytes()
        while True:
            req = urllib.request.Request(url + "/v1/verify", body, {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    status = json.loads(resp.read())["status"]
            except Exception:
                status = None
            if status == "valid":
                log["new_valid_s"].append(time.time() - finished)
                if time.time() - finished > grace:
                    log["new_not_valid"] += 1
                break
            if time.time() - finished > 30:
                log["new_not_valid"] += 1
                break
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
