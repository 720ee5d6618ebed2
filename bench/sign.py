"""Signing credentials (eddsa-rdfc-2022): credreg beside a plain pyld signer, and `credreg issue`.

Per core, side by side in one run, on the same N roster credentials (a generated CSV of N
learners, shaped like examples/roster.csv, with examples/achievement.json, through
`credentials.from_roster` and `prepare`, each given a credentialStatus entry as `credreg issue`
gives it):
  - peer:       a straightforward single-process pyld signer, written below (PEER): pyld's
                `jsonld.normalize` (URDNA2015, N-Quads) with a loader serving the shipped contexts
                from memory, parsed once and tagged "static" so pyld's own resolved-context cache
                keeps them; hashData, Ed25519 (`cryptography`), z + base58btc. It returns the
                signed document; credreg's side also writes its RFC 8785 text and targetHash,
                work the peer is spared;
  - credreg:    `registry.credentials.securing.secure`, one process;
  - all cores:  `registry.credentials._forked_signing.secure_all`, one worker per core.
Before timing, the peer and `secure` must give the same signature bytes for one credential with
the same proof options (Ed25519 is deterministic), so both do the same work. Each measurement
runs in a process forked for it (caches warmed before the fork) and the rounds take the sides in
turn, reversing the order each round, so that a slow spell of this VM slows every side alike;
each round's ratio compares two neighbouring runs. "Per core" is credentials per CPU second of
the timed process, which other processes sharing its core change less than they change
credentials per wall second (shown too). The machine is shared: every table says how many cores
other processes kept busy meanwhile (/proc/stat less this run's own CPU time).

End to end: a fresh anvil with the registry deployed, an issuer whose DID is the did:key that
`credreg issuer keygen` made, accredited on chain, and `credreg issue --roster <CSV of N>
--achievement examples/achievement.json` as its own process, timed from start to exit, its
progress lines passed through. The times at which its own lines arrive split the run into
reading + preparing (and unlocking the key), signing, and queueing; its CPU seconds (user +
system, its signing workers included) say how much of the machine it needed, which a busy
machine changes less than it changes the wall time. Files live under bench/out/
(gitignored) and are removed afterwards.

Run: `.venv/bin/python bench/sign.py [--sizes 2000] [--rounds 3] [--issue-size 100000]`
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import base58  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from pyld import jsonld  # noqa: E402

from registry import credentials  # noqa: E402
from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.credentials import signing  # noqa: E402
from registry.credentials._forked_signing import secure_all  # noqa: E402
from registry.credentials.securing import secure  # noqa: E402
from registry.credentials.status_entry import StatusEntry  # noqa: E402
from registry.dev.devchain import Anvil, dev_account  # noqa: E402
from registry.identity import did as dids  # noqa: E402
from registry.identity import keys  # noqa: E402
from registry.store import Store  # noqa: E402

ACHIEVEMENT = REPO / "examples/achievement.json"
CREATED = "2026-01-01T00:00:00Z"
ISSUE_TARGET_N, ISSUE_TARGET_S, RATIO_TARGET = 100_000, 60.0, 2.0
PASSWORD = "bench-sign-password"  # a throwaway keystore's, made and deleted by this run
PUBLIC_URL = "https://bench.example/"  # where the issuer's status lists would be served


# --- PEER: a straightforward single-process pyld signer (eddsa-rdfc-2022) ------------------------
# What anyone would write with pyld and `cryptography`, with nothing of credreg's in the signing
# path: the contexts credreg ships, read once into memory, and pyld's own caches.

_PEER_CONTEXTS = {url: json.loads((signing._CONTEXT_DIR / name).read_text(encoding="utf-8"))
                  for url, name in signing.CONTEXTS.items()}
_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
_SCHEMA = {"id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
           "type": "1EdTechJsonSchemaValidator2019"}


def _peer_loader(url: str, options: dict | None = None) -> dict:
    # "static": pyld keeps the resolved context in its shared cache for the next document.
    return {"contextUrl": None, "documentUrl": url, "document": _PEER_CONTEXTS[url], "tag": "static"}


_PEER_NORMALIZE = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": _peer_loader}


def peer_proof(body: dict, options: dict, private: Ed25519PrivateKey) -> dict:
    """The eddsa-rdfc-2022 proof of ``body`` (no proof in it) for ``options``, by plain pyld."""
    config = {**options, "@context": body["@context"]}
    hash_data = (hashlib.sha256(jsonld.normalize(config, _PEER_NORMALIZE).encode()).digest()
                 + hashlib.sha256(jsonld.normalize(body, _PEER_NORMALIZE).encode()).digest())
    return {**options, "proofValue": "z" + base58.b58encode(private.sign(hash_data)).decode()}


def peer_secure(prepared: dict, private: Ed25519PrivateKey, method: str, created: str,
                proof_id: str | None = None) -> dict:
    """``prepared`` with the 1EdTech schema and signed, as credreg's ``secure`` does it."""
    body = {k: v for k, v in prepared.items() if k != "proof"}
    body["@context"] = [*body["@context"], _EXTENSIONS]
    body["credentialSchema"] = [_SCHEMA]
    options = {"id": proof_id or f"urn:uuid:{uuid.uuid4()}", "type": "DataIntegrityProof",
               "cryptosuite": "eddsa-rdfc-2022", "created": created, "verificationMethod": method,
               "proofPurpose": "assertionMethod"}
    return {**body, "proof": [peer_proof(body, options, private)]}

# --- end of PEER ----------------------------------------------------------------------------------


def write_roster(path: Path, n: int) -> None:
    """n distinct learners, in examples/roster.csv's mix: mostly emails, some DIDs, some validUntil."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write("name,email,id,validFrom,validUntil\n")
        for i in range(n):
            email, learner, until = f"learner{i}@example.org", "", ""
            if i % 4 == 1:
                until = "2028-06-27T09:00:00Z"
            elif i % 4 == 3:
                email, learner = "", f"did:example:learner-{i}"
            out.write(f"Learner {i},{email},{learner},2025-06-27T09:00:00Z,{until}\n")


def sha256_loop() -> float:
    """A fixed loop (a million sha256 calls), to tell a slow spell of the VM from slow code."""
    t0 = time.perf_counter()
    for i in range(1_000_000):
        hashlib.sha256(i.to_bytes(8, "little")).digest()
    return time.perf_counter() - t0


class OthersLoad:
    """How many cores other processes kept busy meanwhile: the machine is shared, and says so.

    The machine's busy CPU time (/proc/stat, steal included) less the CPU time of this process's
    children that ended meanwhile (the timed processes, their workers included), over the wall time.
    """

    def __enter__(self) -> OthersLoad:
        self._start = (_machine_busy(), _children_cpu(), time.perf_counter())
        return self

    def __exit__(self, *exc: object) -> None:
        busy, own, t0 = self._start
        wall = time.perf_counter() - t0
        self.cores = max(0.0, (_machine_busy() - busy) - (_children_cpu() - own)) / wall


def _machine_busy() -> float:
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:9]]  # user .. steal
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_child(work: Callable[[], object]) -> tuple[float, float, float]:
    """``work()`` in a process forked for it (its heap its own): its wall seconds, its CPU seconds
    (its workers' included) and the cores that other processes kept busy meanwhile."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        t0 = time.perf_counter()
        work()
        wall = time.perf_counter() - t0
        own = resource.getrusage(resource.RUSAGE_SELF)  # a forked child's counters start at zero
        send.send((wall, own.ru_utime + own.ru_stime + _children_cpu()))

    with OthersLoad() as others:
        child = context.Process(target=run)
        child.start()
        wall, cpu = receive.recv()
        child.join()
    if child.exitcode != 0:
        raise SystemExit(f"a timed run failed (exit code {child.exitcode})")
    return wall, cpu, others.cores


def per_core(n: int, rounds: int, work: Path, cores: int) -> dict:
    roster = work / f"roster-{n}.csv"
    write_roster(roster, n)
    key = keys.SigningKey.generate()
    private = Ed25519PrivateKey.from_private_bytes(key._seed())  # the same key, as the peer holds it
    did = dids.did_key(key.public_multibase)
    method = dids.did_key_verification_method(key.public_multibase)
    # Each with a credentialStatus entry, as `credreg issue` adds before signing.
    docs = [{**credentials.prepare(d, did, "Bench Academy"),
             "credentialStatus": StatusEntry(f"{PUBLIC_URL}status/1", i).to_json()}
            for i, d in enumerate(credentials.from_roster(roster, ACHIEVEMENT))]
    roster.unlink()

    # Same work: the same signature bytes for the same credential and proof options (also warms
    # both sides' caches before the forks).
    ours = secure(docs[0], key, method, CREATED)
    ours_doc = ours.document()
    theirs = peer_secure(docs[0], private, method, CREATED, ours.signature_id)
    assert theirs == ours_doc, "the peer and credreg's secure signed different documents"
    assert base58.b58decode(theirs["proof"][0]["proofValue"][1:]) == \
        base58.b58decode(ours_doc["proof"][0]["proofValue"][1:])
    assert signing.verify({**ours_doc, "proof": ours_doc["proof"][0]}, key.public_key)

    sides = {
        "peer": lambda: [peer_secure(d, private, method, CREATED) for d in docs],
        "credreg": lambda: [secure(d, key, method, CREATED) for d in docs],
        "all cores": lambda: secure_all(docs, key, method, CREATED, workers=cores),
    }
    walls: dict[str, list[float]] = {side: [] for side in sides}
    cpus: dict[str, list[float]] = {side: [] for side in sides}
    ratios, others = [], []
    for r in range(rounds):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for side in order:
            wall, cpu, load = in_child(sides[side])
            walls[side].append(wall)
            cpus[side].append(cpu)
            others.append(load)
            print(f"  {n:,} credentials, round {r + 1}: {side} {n / wall:,.0f}/s, {n / cpu:,.0f} per CPU second "
                  f"(others kept {load:.2f} cores busy)", file=sys.stderr, flush=True)
        # Per core: credentials per CPU second of each side's process, which a core shared with
        # other processes does not change the way it changes credentials per wall second.
        ratios.append(cpus["peer"][-1] / cpus["credreg"][-1])
    per_cpu = {side: n / statistics.median(t) for side, t in cpus.items()}
    per_wall = {side: n / statistics.median(t) for side, t in walls.items()}
    return {"n": n, "per_cpu": per_cpu, "per_wall": per_wall, "ratio": statistics.median(ratios),
            "ratios": ratios, "scaling": per_wall["all cores"] / per_wall["credreg"], "others": max(others)}


def issue(n: int, work: Path) -> dict:
    """`credreg issue` of an n-learner roster on a fresh anvil, timed as its own process."""
    home = work / f"home-{n}"
    shutil.rmtree(home, ignore_errors=True)
    roster = work / f"roster-{n}.csv"
    write_roster(roster, n)
    with Anvil() as node:
        w3 = connect(node.url)
        owner, anchor_key = dev_account(0), dev_account(1)
        registry, _ = RegistryClient.deploy(w3, owner)
        env = {**os.environ, "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(home),
               "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": anchor_key.key.hex(),
               "CREDREG_KEYSTORE_PASSWORD": PASSWORD, "PYTHONPATH": str(REPO),
               "CREDREG_PUBLIC_URL": PUBLIC_URL}
        made = json.loads(subprocess.run([sys.executable, "-m", "registry.cli", "issuer", "keygen", "--json"],
                                         env=env, check=True, capture_output=True, text=True).stdout)
        registry.register_issuer("Bench Academy", made["did"], anchor_key.address, owner)
        lines: list[tuple[float, str]] = []
        with OthersLoad() as others:
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "issue", "--roster", str(roster),
                                     "--achievement", str(ACHIEVEMENT)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for line in proc.stderr:
                lines.append((time.perf_counter() - t0, line.rstrip("\n")))
                print(f"  [{lines[-1][0]:5.1f} s] {lines[-1][1]}", file=sys.stderr, flush=True)
            stdout = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"credreg issue failed ({proc.returncode}): {stdout}")
        store = Store.open(home, os.environ.get("CREDREG_STORE_URL"))
        queued = store.counts().get("queued", 0)
        store.engine.dispose()
    shutil.rmtree(home, ignore_errors=True)
    roster.unlink()
    if queued != n or f"signed by {made['verificationMethod']}" not in stdout:
        raise SystemExit(f"credreg issue queued {queued:,} of {n:,}: {stdout}")
    # Its own lines: "signing N credentials ..." once read, prepared and the key unlocked, then
    # "signed N credentials in X s (...); queueing" once signed.
    started = next((t for t, line in lines if line.startswith("signing ")), None)
    signed = next((t for t, line in lines if re.match(r"signed [\d,]+ credentials in", line)), None)
    progress = sum(1 for _, line in lines if re.match(r"\s+signed [\d,]+ of [\d,]+", line))
    return {"n": n, "wall": wall, "prepare": started, "sign": signed - started if signed and started else None,
            "queue": wall - signed if signed else None, "progress": progress,
            "peak_rss_mb": usage.ru_maxrss / 1024, "others": others.cores,
            # user + system CPU seconds of credreg issue and of the workers it waited for
            "cpu": usage.ru_utime + usage.ru_stime}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[2_000],
                        help="credentials per side for the per-core comparison (default 2,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the comparison (default 3)")
    parser.add_argument("--issue-size", type=int, default=ISSUE_TARGET_N,
                        help="roster size for `credreg issue` end to end (default 100,000; 0 skips it)")
    parser.add_argument("--out", type=Path, default=REPO / "bench/out")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = args.out / f"sign-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    loop_before = sha256_loop()
    try:
        compared = []
        for n in args.sizes:
            print(f"signing {n:,} credentials per side, {args.rounds} rounds ...", file=sys.stderr, flush=True)
            compared.append(per_core(n, args.rounds, work, cores))
        issued = None
        if args.issue_size:
            print(f"credreg issue of {args.issue_size:,} learners ...", file=sys.stderr, flush=True)
            issued = issue(args.issue_size, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    loop_after = sha256_loop()

    if compared:
        print(f"| credentials | peer (pyld) per CPU s | credreg secure per CPU s | credreg over peer | "
              f"per-round ratios | peer /s | credreg /s | credreg secure_all, {cores} workers /s | "
              "over 1 process | others' load, cores |")
        print("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
        for c in compared:
            ratios = ", ".join(f"{x:.2f}" for x in c["ratios"])
            cpu, wall = c["per_cpu"], c["per_wall"]
            print(f"| {c['n']:,} | {cpu['peer']:,.0f} | {cpu['credreg']:,.0f} | {c['ratio']:.2f}x | {ratios} | "
                  f"{wall['peer']:,.0f} | {wall['credreg']:,.0f} | {wall['all cores']:,.0f} | "
                  f"{c['scaling']:.2f}x | {c['others']:.2f} |")
        print()
    if issued:
        def s(value: float | None) -> str:
            return "?" if value is None else f"{value:.1f}"
        print("| credreg issue, learners | total (s) | credentials/s | read + prepare + unlock (s) | sign (s) | "
              "queue (s) | CPU s, its workers included | progress lines | peak RSS (MB) | others' load, cores |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {issued['n']:,} | {issued['wall']:.1f} | {issued['n'] / issued['wall']:,.0f} | "
              f"{s(issued['prepare'])} | {s(issued['sign'])} | {s(issued['queue'])} | {issued['cpu']:.1f} | "
              f"{issued['progress']} | {issued['peak_rss_mb']:,.0f} | {issued['others']:.2f} |")
        print()
    print(f"machine: {cores} cores; a million sha256 calls took {loop_before:.2f} s before and "
          f"{loop_after:.2f} s after (0.5 s at this VM's quickest)")
    print()
    for c in compared:
        print(f"target credreg per core over the pyld signer ({c['n']:,} credentials, median of "
              f"{len(c['ratios'])} rounds): {c['ratio']:.2f}x (target >= {RATIO_TARGET:.0f}x): "
              f"{'met' if c['ratio'] >= RATIO_TARGET else 'MISSED'}")
    if issued:
        if issued["n"] == ISSUE_TARGET_N:
            met = issued["wall"] <= ISSUE_TARGET_S
            over = "" if met else f", {issued['wall'] - ISSUE_TARGET_S:.1f} s over"
            print(f"target credreg issue of {ISSUE_TARGET_N:,} credentials: {issued['wall']:.1f} s "
                  f"(target <= {ISSUE_TARGET_S:.0f} s{over}): {'met' if met else 'MISSED'}")
        else:
            print(f"target credreg issue of {ISSUE_TARGET_N:,} credentials in <= {ISSUE_TARGET_S:.0f} s: "
                  f"not judged, this run issued {issued['n']:,}")
        if issued["n"] >= 10_000:
            print(f"target progress lines on a long run: {issued['progress']} "
                  f"(target >= 1): {'met' if issued['progress'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
