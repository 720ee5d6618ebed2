"""Helpers for the browser tests of the verification page (tests/integration/test_page.py).

A real end-to-end world: anvil, a freshly deployed registry, one accredited issuer, the example
credentials issued, anchored and one revoked through `credreg`, and the real service (with its
event indexer) under uvicorn in a thread. The ASGI app is wrapped in a recorder that keeps every
request exactly as it reached the server (method, raw path, query string, body), so the tests can
show what the server saw, and what it never saw.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "credentials"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ISSUER_NAME = "Example Learning Academy"
ISSUER_DID = "did:web:learn.example.org"


@dataclass
class Seen:
    """One HTTP request as the server received it."""

    method: str
    path: str
    raw_path: str
    query: str
    body: bytes = b""


class Recorder:
    """ASGI middleware that records every HTTP request reaching the app; lifespan passes through."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry = Seen(scope["method"], scope["path"], (scope.get("raw_path") or b"").decode("latin-1"),
                     scope.get("query_string", b"").decode("latin-1"))
        self.seen.append(entry)

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request":
                entry.body += message.get("body", b"")
            return message

        await self.app(scope, recording_receive, send)


class ThreadedServer:
    """uvicorn in a daemon thread on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        from registry.dev.devchain import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="page-uvicorn", daemon=True)

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class World:
    """What the page tests use: the service URL, the recorder, and the issued credential files."""

    url: str
    recorder: Recorder
    files: dict[str, Path]  # example file stem -> the issued credential (proof embedded)
    revoked: str  # stem of the revoked one
    registry: str
    chain_id: int
    stack: dict[str, Path] = field(default_factory=dict)  # a pathway and a learner's credentials (stack_files)
    rpc_url: str = ""  # the world's anvil, for `credreg` commands run against it

    def credential(self, stem: str) -> dict[str, Any]:
        return json.loads(self.files[stem].read_text())

    def posts(self) -> list[Seen]:
        return [s for s in self.recorder.seen if s.method == "POST"]


def key_hex(account) -> str:
    return "0x" + bytes(account.key).hex()


def cli(argv: list[str], env: dict[str, str]) -> str:
    """`credreg ARGV` in-process with ENV; its stdout. Fails the test on a non-zero exit."""
    from registry.cli import main

    old = dict(os.environ)
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.environ.clear()
        os.environ.update(old)
    if code != 0:
        raise AssertionError(f"credreg {' '.join(argv)} exited {code}: {err.getvalue()}")
    return out.getvalue()


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@contextlib.contextmanager
def world(home: Path, examples: Path = EXAMPLES) -> Iterator[World]:
    """Anvil, a registry, one issuer, the examples issued and anchored, one revoked, the service up.
    ``examples``: the folder of credentials to issue (by default examples/credentials), keyed by stem."""
    from registry.chain.client import RegistryClient, connect
    from registry.dev.devchain import Anvil, dev_account
    from registry.service.app import Settings, create_app

    owner, issuer = dev_account(0), dev_account(1)
    with Anvil() as node:
        w3 = connect(node.url)
        registry, _ = RegistryClient.deploy(w3, owner)
        registry.register_issuer(ISSUER_NAME, ISSUER_DID, issuer.address, owner)
        env = {"CREDREG_RPC_URL": node.url, "CREDREG_HOME": str(home), "CREDREG_PRIVATE_KEY": key_hex(issuer),
               "CREDREG_REGISTRY": registry.address, "CREDREG_KEYSTORE_PASSWORD": "page-tests"}
        cli(["issuer", "keygen", "--did-web", ISSUER_DID.removeprefix("did:web:")], env)
        cli(["issue", str(examples)], env)
        cli(["anchor", "--confirmations", "1"], env)
        issued = sorted((home / "issued").glob("*.json"))
        files: dict[str, Path] = {}
        for path in issued:
            name = json.loads(path.read_text())["name"]
            for example in examples.glob("*.json"):
                if json.loads(example.read_text())["name"] == name:
                    files[example.stem] = path
        assert sorted(files) == sorted(p.stem for p in examples.glob("*.json")), files
        revoked = "workplace-first-aid"
        cli(["revoke", str(files[revoked]), "--reason", "1"], env)
        stack = stack_files(registry, issuer, home.parent / "stack")
        head = w3.eth.block_number

        recorder = Recorder(create_app(Settings(rpc_url=node.url, registry=registry.address, home=home,
                                                poll_interval=0.2)))
        with ThreadedServer(recorder) as server:
            deadline = time.monotonic() + 20
            while True:  # the indexer has caught up with the revocation
                code, health = get_json(server.url + "/healthz")
                if code == 200 and health["ok"] and (health["indexedBlock"] or 0) >= head:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"the indexer did not catch up: {health}")
                time.sleep(0.1)
            recorder.seen.clear()
            yield World(server.url, recorder, files, revoked, registry.address, w3.eth.chain_id, stack, node.url)


def stack_files(registry, signer, folder: Path) -> dict[str, Path]:
    """The example pathway (under the world's issuer) anchored by hand in a batch of its own, and
    a learner's credentials in another (three transactions in all, so the world is ready about as
    soon as before): sql, python, aid, web, sql-revoked (revoked on chain),
    and other-learner (another learner's). Files named LABEL.json."""
    from pathway_helpers import AID, PYTHON, SQL, WEB, anchor_pathway_by_hand, earned, pathway_doc
    from verifier_helpers import anchor_by_hand

    from registry.credentials import proofs

    issuer = (ISSUER_NAME, ISSUER_DID)
    docs = {"pathway": anchor_pathway_by_hand(registry, signer, pathway_doc(issuer))}
    labels = ["sql", "python", "aid", "web", "sql-revoked", "other-learner"]
    sources = [earned(issuer, SQL), earned(issuer, PYTHON), earned(issuer, AID), earned(issuer, WEB),
               earned(issuer, SQL, name="SQL (issued in error)"), earned(issuer, WEB, learner="did:example:bram")]
    anchored, _ = anchor_by_hand(registry, signer, sources)
    docs.update(zip(labels, anchored))
    root = proofs.read_receipt(docs["sql-revoked"])[0]["merkleRoot"].removeprefix("0x")
    registry.transact("revokeCredentials", [bytes.fromhex(root), [labels.index("sql-revoked")], 1], signer)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for label, doc in docs.items():
        out[label] = folder / f"{label}.json"
        out[label].write_text(json.dumps(doc, indent=2))
    return out


def fragment_credential(link: str) -> dict[str, Any]:
    """The credential a shareable link carries after `#c=` (base64url of its JSON)."""
    assert "#c=" in link, link
    data = link.split("#c=", 1)[1]
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode())
