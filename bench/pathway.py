"""A stack checked against a pathway over HTTP, beside the same credentials through the batch route.

Sets up anvil, the registry, one accredited issuer with its signing key, and through `credreg`
itself: 200 signed credentials of one learner, over 200 achievements (`credreg issue`), and a
pathway of 40 leaves, an allOf of four nOf groups (8 of 10 each) over 40 of those achievements
(`credreg pathway publish`), all anchored (`credreg anchor`). Serves the verifier (`credreg serve
--workers N`), then with wrk (Debian), in alternating rounds:
  - pathway: POST /v1/verify/pathway with the pathway, the 200 credentials and the learner's id;
  - batch:   POST /v1/verify/batch with the same 200 credentials, what the check must do anyway.
Each request's answer is checked once before the rounds (the pathway complete, 200 valid verdicts).
The figure that matters is the ratio: the pathway logic's cost on top of verifying the stack.

Run: `.venv/bin/python bench/pathway.py [--seconds 8] [--rounds 3] [--workers 2]`
"""

from __future__ import annotations

import argparse
import copy
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

from verify import wait_healthy, wrk  # noqa: E402  (bench/verify.py)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import Anvil, dev_account, free_port  # noqa: E402

LEARNER = "did:example:bench-learner"
PASSWORD = "bench-pathway"
TEMPLATE = REPO / "examples" / "credentials" / "workplace-first-aid.json"
ACHIEVEMENTS, GROUPS, PER_GROUP, NEEDED = 200, 4, 10, 8


def _credentials(folder: Path, issuer: str) -> list[str]:
    """200 credential files of one learner, one per achievement; the achievement ids."""
    base = json.loads(TEMPLATE.read_text())
    ids = []
    for i in range(ACHIEVEMENTS):
        doc = copy.deepcopy(base)
        achievement = doc["credentialSubject"]["achievement"]
        achievement["id"] = f"https://bench.example/achievements/skill-{i:03d}"
        achievement["name"] = f"Skill {i:03d}"
        doc["name"] = f"Skill {i:03d}"
        doc["credentialSubject"]["id"] = LEARNER
        doc["issuer"] = {"id": issuer, "type": ["Profile"], "name": "Bench Academy"}
        doc.pop("id", None)  # credreg issue mints one
        (folder / f"skill-{i:03d}.json").write_text(json.dumps(doc))
        ids.append(achievement["id"])
    return ids


def _pathway(achievements: list[str], issuer: str) -> dict:
    groups = [{"name": f"Group {g + 1}", "n": NEEDED,
               "nOf": [{"achievement": achievements[g * PER_GROUP + k], "issuers": "pathway"}
                       for k in range(PER_GROUP)]} for g in range(GROUPS)]
    return {"type": "CredregPathway", "id": "https://bench.example/pathways/forty/v1", "issuer": issuer,
            "name": "Forty skills", "description": "A bench pathway: four groups of ten skills, eight of each.",
            "completion": {"id": "https://bench.example/achievements/forty-skills", "type": ["Achievement"],
                           "name": "Forty Skills Certificate", "description": "All four groups.",
                           "criteria": {"narrative": "Eight skills of each of the four groups."}},
            "requirement": {"allOf": groups}}


def _post(url: str, body: bytes) -> object:
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8, help="wrk seconds per route per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk (or `make sysdeps`)")
    work = Path(tempfile.mkdtemp(prefix="credreg-bench-pathway-"))
    load_before = os.getloadavg()
    try:
        with Anvil() as node:
            w3 = connect(node.url)
            owner, key = dev_account(0), dev_account(1)
            registry, _ = RegistryClient.deploy(w3, owner)
            home = work / "home"
            env = {**os.environ, "CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(home),
                   "CREDREG_REGISTRY": registry.address, "CREDREG_PRIVATE_KEY": key.key.hex(),
                   "CREDREG_KEYSTORE_PASSWORD": PASSWORD, "CREDREG_PUBLIC_URL": "https://bench.example/",
                   "PYTHONPATH": str(REPO)}
            cli = [sys.executable, "-m", "registry.cli"]

            def run(*argv: str) -> str:
                done = subprocess.run(cli + list(argv), env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"credreg {' '.join(argv)} failed ({done.returncode}): {done.stderr[-800:]}")
                return done.stdout

            made = json.loads(run("issuer", "keygen", "--json"))
            registry.register_issuer("Bench Academy", made["did"], key.address, owner)
            sources = work / "sources"
            sources.mkdir()
            achievements = _credentials(sources, made["did"])
            pathway_file = work / "pathway.json"
            pathway_file.write_text(json.dumps(_pathway(achievements, made["did"])))
            run("issue", str(sources))
            run("pathway", "publish", str(pathway_file))
            run("anchor", "--out", str(work / "issued"))
            written = sorted((work / "issued").glob("*.json"))
            docs = [json.loads(p.read_text()) for p in written]
            pathway = next(d for d in docs if d.get("type") == "CredregPathway")
            stack = [d for d in docs if d is not pathway]
            assert len(stack) == ACHIEVEMENTS, len(stack)
            bodies = {"pathway": work / "pathway-body.json", "batch": work / "batch-body.json"}
            bodies["pathway"].write_text(json.dumps({"pathway": pathway, "credentials": stack,
                                                     "subject": {"id": LEARNER}}))
            bodies["batch"].write_text(json.dumps(stack))

            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(cli + ["serve", "--port", str(port), "--workers", str(args.workers)], env=env,
                                      stderr=subprocess.DEVNULL)
            try:
                wait_healthy(url, timeout=90)
                answer = _post(url + "/v1/verify/pathway", bodies["pathway"].read_bytes())
                verdicts = _post(url + "/v1/verify/batch", bodies["batch"].read_bytes())
                if answer["status"] != "complete" or sum(c["counted"] for c in answer["credentials"]) != GROUPS * PER_GROUP:
                    raise SystemExit(f"the pathway check is not what it must be: {answer['status']}, {answer['detail']}")
                if [v["status"] for v in verdicts] != ["valid"] * ACHIEVEMENTS:
                    raise SystemExit("the batch route did not find the 200 credentials valid")
                routes = {"pathway": url + "/v1/verify/pathway", "batch": url + "/v1/verify/batch"}
                for name in routes:  # warm both
                    wrk(routes[name], bodies[name], 2, args.connections)
                rows = []
                for r in range(args.rounds):
                    for name in (("pathway", "batch") if r % 2 == 0 else ("batch", "pathway")):
                        load = os.getloadavg()[0]
                        result = wrk(routes[name], bodies[name], args.seconds, args.connections)
                        rows.append((r + 1, name, result, load))
                        print(f"  round {r + 1} {name}: {result['rps']:.1f} requests/s", file=sys.stderr, flush=True)
            finally:
                server.terminate()
                server.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"pathway bench: {GROUPS * PER_GROUP}-leaf pathway (allOf of {GROUPS} nOf groups, {NEEDED} of "
          f"{PER_GROUP} each), {ACHIEVEMENTS} presented credentials of one learner, {args.workers} verifier "
          f"workers, wrk 1 thread {args.connections} connections, {args.seconds} s a run, load before "
          f"{load_before[0]:.2f}")
    print()
    print("| round | route | checks/s | credentials/s | p50 (ms) | p99 (ms) | non-2xx | load avg (1 min) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r, name, res, load in rows:
        label = "POST /v1/verify/pathway" if name == "pathway" else "POST /v1/verify/batch (the stack alone)"
        print(f"| {r} | {label} | {res['rps']:,.1f} | {res['rps'] * ACHIEVEMENTS:,.0f} | {res['p50']:.2f} "
              f"| {res['p99']:.2f} | {res['errors']} | {load:.2f} |")
    print()
    ratios = []
    for r in range(1, args.rounds + 1):
        by = {name: res for rr, name, res, _ in rows if rr == r}
        ratios.append(by["pathway"]["rps"] / by["batch"]["rps"])
    ratios.sort()
    print(f"pathway checks/s over batch requests/s, per round: {', '.join(f'{x:.2f}x' for x in ratios)} "
          f"(median {ratios[len(ratios) // 2]:.2f}x): the pathway logic costs "
          f"{(1 / ratios[len(ratios) // 2] - 1) * 100:.0f} % on top of verifying the stack")
    return 0


if __name__ == "__main__":
    sys.exit(main())
