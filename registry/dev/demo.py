"""The demo behind `make run`: accredit a demo issuer, issue, sign and anchor the example
credentials, revoke one (its status list shows it: a standard verifier is asked), publish the
example pathway and award its completion credential to the example learner who completes it,
and say what to try. Idempotent: what is already done is left as it is.

Keys are the encrypted demo keystores the Makefile writes (anvil's development accounts) and the
issuer's Ed25519 signing key, made here once by `credreg issuer keygen`: its did:key is the demo
issuer's DID (self-describing, so any verifier resolves it offline).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

from registry.cli import main as credreg
from registry.service.settings import Settings

DEMO_NAME = "Example Academy"
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PATHWAY = EXAMPLES / "pathways" / "junior-data-analyst.json"
LEARNER = "did:example:learner-noor-4b2e"  # examples/pathways/learner: she completes the pathway


def _run(*argv: str) -> dict:
    out = StringIO()
    with redirect_stdout(out):
        code = credreg([*argv, "--json"])
    if code != 0:
        raise SystemExit(f"demo: `credreg {' '.join(argv)}` failed with exit code {code}")
    return json.loads(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry.dev.demo", description=__doc__)
    parser.add_argument("--keys", type=Path, required=True, help="folder with owner.json and issuer.json keystores")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    owner, issuer = str(args.keys / "owner.json"), str(args.keys / "issuer.json")
    home = Settings().home

    demo_did = _demo_did(home)
    issuers = _run("issuer", "list")["issuers"]
    if not any(i["did"] == demo_did for i in issuers):
        key = json.loads(Path(issuer).read_text())["address"]
        _run("issuer", "register", "--name", DEMO_NAME, "--did", demo_did, "--key", "0x" + key.removeprefix("0x"),
             "--keystore", owner)
        print(f"accredited issuer {DEMO_NAME} ({demo_did})")
    roster = ("--roster", str(EXAMPLES / "roster.csv"), "--achievement", str(EXAMPLES / "achievement.json"))
    status = _run("status")
    if not status["credentials"]:
        _run("issue", str(EXAMPLES / "credentials"), "--keystore", issuer)
        _run("issue", *roster, "--keystore", issuer)
        print("issued the example credentials and the example roster")
    elif not _with_status(home):
        # A home from before status lists: its credentials have no status entry; issue a fresh set.
        _run("issue", *roster, "--keystore", issuer)
        print("issued the example roster again, with status-list entries")
    _publish_pathway(home, issuer)
    report = _run("anchor", "--keystore", issuer)
    _say_anchored(report)
    pathway = _written_pathway(home)
    awarded = _run("pathway", "award", str(pathway), "--keystore", issuer)["awarded"]
    if awarded:
        for award in awarded:
            print(f"awarded the pathway's completion credential to {award['learner']}")
        _say_anchored(_run("anchor", "--keystore", issuer))
    issued = [p for p in _with_status(home) if not _of_the_pathway(p)]
    if len(issued) < 2:
        raise SystemExit(f"demo: no credential files with a status entry in {home / 'issued'}")
    revoked, valid = issued[0], issued[1]
    noor = [p for p in sorted((home / "issued").glob("*.json")) if _of_the_pathway(p)]
    # A second run finds it already revoked; either way its end refreshes the public folder.
    _run("revoke", str(revoked), "--reason", "1", "--keystore", issuer)
    url = f"http://127.0.0.1:{args.port}/"
    _standard_verdicts(home / "public", url, revoked, valid)
    print(f"""
credreg is ready. The verifier starts now on {url}

  Open the page:        {url}
  Drop this file there: {valid}
  A revoked one:        {revoked}
  From a terminal:      curl -s -X POST {url}v1/verify -H 'Content-Type: application/json' --data-binary @{valid}
  Or:                   .venv/bin/credreg verify {valid}
  Its proofs decoded:   .venv/bin/credreg inspect {valid}
  API docs:             {url}docs      health: {url}healthz

  The issuer's public files (DID document, status lists), served beside the verifier:
                        {url}credentials/status/index.json
  With the ecosystem's own verifiers (the issuer's eddsa-rdfc-2022 signature, and revocation
  from the status list the verifier serves), once it is up:
    node tests/interop/verify-dcc.mjs {valid} --serve {url}={url}
    node tests/interop/verify-dbvc.mjs {revoked} --serve {url}={url}
  (DCC verifier-core: Learner Credential Wallet, VerifierPlus; Digital Bazaar's @digitalbazaar/vc)

  A pathway, published and anchored (signed eddsa-jcs-2022): {pathway}
    .venv/bin/credreg verify {pathway}
  Noor's stack against it, and the completion credential she was awarded (its evidence names them):
    .venv/bin/credreg pathway check {pathway} {' '.join(str(p) for p in noor if p.name != _completion_name(noor))} --subject {LEARNER}
    .venv/bin/credreg verify {home / 'issued' / _completion_name(noor)}
  On the page: drop the pathway and her credentials together.
""")
    return 0


def _publish_pathway(home: Path, issuer: str) -> None:
    """Publish the example pathway and issue the learner's credentials, once. The example names
    its own issuer; the demo's copy names none, so publishing sets the demo issuer's."""
    from registry.store import Store

    pathway = json.loads(PATHWAY.read_text())
    store = Store.open(home, Settings().store_url)
    try:
        done = store.find_credential(pathway["id"]) is not None
    finally:
        store.engine.dispose()
    if done:
        return
    copy = home / "pathways" / PATHWAY.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(json.dumps({k: v for k, v in pathway.items() if k != "issuer"}, indent=2, ensure_ascii=False))
    _run("pathway", "publish", str(copy), "--keystore", issuer)
    _run("issue", str(EXAMPLES / "pathways" / "learner"), "--keystore", issuer)
    print(f"published the pathway {pathway['name']!r} and issued {LEARNER}'s credentials towards it")


def _say_anchored(report: dict) -> None:
    for batch in report["batches"]:
        print(f"anchored batch {batch['root'][:16]}… ({batch['leaf_count']} credentials) in block {batch['block_number']}")


def _written_pathway(home: Path) -> Path:
    for path in sorted((home / "issued").glob("*.json")):
        if json.loads(path.read_text()).get("type") == "CredregPathway":
            return path
    raise SystemExit(f"demo: the pathway was not written to {home / 'issued'}")


def _of_the_pathway(path: Path) -> bool:
    """The learner's credentials and her completion credential: the demo revokes none of them."""
    subject = json.loads(path.read_text()).get("credentialSubject") or {}
    return subject.get("id") == LEARNER


def _completion_name(paths: list[Path]) -> str:
    for path in paths:
        if "evidence" in json.loads(path.read_text()):
            return path.name
    return "(not anchored yet)"


def _with_status(home: Path) -> list[Path]:
    """The written credentials that carry a status-list entry, by name."""
    return [p for p in sorted((home / "issued").glob("*.json")) if "credentialStatus" in json.loads(p.read_text())]


def _standard_verdicts(public: Path, url: str, revoked: Path, valid: Path) -> None:
    """What Digital Bazaar's verifier says of the revoked and the valid credential, their status
    list read from the public folder (served here for a moment, as the issuer's site would)."""
    import functools
    import subprocess
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(public)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        run = subprocess.run(["node", str(REPO / "tests" / "interop" / "verify-dbvc.mjs"), "--many", str(revoked),
                              str(valid), "--serve", f"{url}={base}"], capture_output=True, text=True, timeout=120)
        results = json.loads(run.stdout)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        print(f"(the standard verifier could not run here: {exc})")
        return
    finally:
        server.shutdown()
        server.server_close()
    print("Digital Bazaar's verifier (@digitalbazaar/vc), revocation read from the published status list:")
    for result in results:
        state = "verified" if result["verified"] else ("REVOKED" if result.get("revoked") else "NOT verified")
        print(f"  {state:<12} {Path(result['file']).name}  ({result.get('status') or '; '.join(result['errors'])})")


def _demo_did(home: Path) -> str:
    """The demo issuer's did:key: of the signing key in the home, made now if there is none."""
    from registry.identity import did, keys

    existing = sorted((home / "keys").glob("signing-*.json"))
    if existing:
        return did.did_key(keys.public_multibase(existing[0]))
    made = _run("issuer", "keygen")
    print(f"made the demo issuer's signing key ({made['keystore']}, encrypted): {made['did']}")
    return made["did"]


if __name__ == "__main__":
    sys.exit(main())
