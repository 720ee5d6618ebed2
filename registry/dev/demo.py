"""The demo behind `make run`: accredit a demo issuer, issue, sign and anchor the example
credentials, revoke one, and say what to try. Idempotent: what is already done is left as it is.

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
    status = _run("status")
    if not status["credentials"]:
        _run("issue", str(EXAMPLES / "credentials"), "--keystore", issuer)
        _run("issue", "--roster", str(EXAMPLES / "roster.csv"), "--achievement", str(EXAMPLES / "achievement.json"),
             "--keystore", issuer)
        print("issued the example credentials and the example roster")
    report = _run("anchor", "--keystore", issuer)
    for batch in report["batches"]:
        print(f"anchored batch {batch['root'][:16]}… ({batch['leaf_count']} credentials) in block {batch['block_number']}")
    issued = sorted((home / "issued").glob("*.json"))
    if not issued:
        raise SystemExit(f"demo: no credential files in {home / 'issued'}")
    revoked, valid = issued[0], issued[1]
    _run("revoke", str(revoked), "--reason", "1", "--keystore", issuer)  # a second run finds it already revoked
    url = f"http://127.0.0.1:{args.port}/"
    print(f"""
credreg is ready. The verifier starts now on {url}

  Open the page:        {url}
  Drop this file there: {valid}
  A revoked one:        {revoked}
  From a terminal:      curl -s -X POST {url}v1/verify -H 'Content-Type: application/json' --data-binary @{valid}
  Or:                   .venv/bin/credreg verify {valid}
  Its proofs decoded:   .venv/bin/credreg inspect {valid}
  API docs:             {url}docs      health: {url}healthz

  With the ecosystem's own verifiers (the issuer's eddsa-rdfc-2022 signature, offline):
    node tests/interop/verify-dcc.mjs {valid}     (DCC verifier-core: Learner Credential Wallet, VerifierPlus)
    node tests/interop/verify-dbvc.mjs {valid}    (Digital Bazaar's @digitalbazaar/vc)
  or paste the file into https://verifierplus.org (did:key needs no DID document).
""")
    return 0


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
