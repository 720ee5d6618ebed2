"""Shared set-up of the verifier's security tests (invariants, HTTP service, indexer).

One world per test module, on the module's real anvil node: a registry deployed by the owner
(dev 0), issuer A ("Example Academy", did:web:academy.example, key dev 1) and issuer B ("Other
College", key dev 2). A's credentials are queued and anchored with the real `credreg issue` and
`credreg anchor`, and revoked with `credreg revoke`, so the tests verify files the issuer's tools
wrote. A few roots that the issuer's tools refuse to build (one anchored by B for a credential
naming A, an attacker's forgery) are anchored by hand here, with proofs of the same format.

A world holds credentials of one proof format (ARCHITECTURE.md): format 2, signed by A's
Ed25519 key (made by `credreg issuer keygen --did-web academy.example`) and anchored by a chained
proof, unless built with ``fmt=1`` (`credreg issue --unsigned`, the first format, which holders
keep). :func:`receipt` and :func:`edit_receipt` reach the Merkle receipt in either format, so a
test edits "the proof's path" or "the anchor's chain id" the same way for both.

The batches, leaf positions and labels of ``World.docs``:

    batch 1 (7 leaves, file order): sql, web, first-aid, expired, future, revoked, revoked-last
        leaves 5 and 6 revoked by id (6 is the promoted last leaf of an odd batch)
    batch 2 (2 leaves): batch2-a, batch2-b; the whole root revoked
    cross-issuer (2 leaves): cross-issuer names A's DID but its root was anchored by B's key
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from registry import credentials
from registry.anchoring import PROOF_TYPE, credential_file_name
from registry.credentials import proofs, securing
from registry.identity import did as dids
from registry.identity.keys import SigningKey
from registry.chain.client import RegistryClient, connect
from registry.dev.devchain import dev_account, rpc
from registry.merkle.tree import MerkleTree, build_tree
from registry.service.app import Settings, create_app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "credentials"
DEAD_RPC = "http://127.0.0.1:9"  # the discard port: nothing answers JSON-RPC there
STATUSES = ("valid", "invalid", "revoked", "expired", "unverifiable")
KEYSTORE_PASSWORD = "world-signing-key"
# Signs what the tests anchor by hand (format 2): credreg's verifier checks the anchor, which
# commits to this signature, not the signature itself (the standard verifiers do that).
HAND_KEY = SigningKey.generate()

ACADEMY = ("Example Academy", "did:web:academy.example")
COLLEGE = ("Other College", "did:web:college.example")


class Issuer(NamedTuple):
    id: int
    name: str
    did: str
    account: LocalAccount


@dataclass
class World:
    url: str
    registry: RegistryClient
    deploy_block: int
    home: Path
    owner: LocalAccount
    academy: Issuer
    college: Issuer | None = None
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: int = 2

    @property
    def w3(self):
        return self.registry.w3

    @property
    def chain_id(self) -> int:
        return self.registry.chain_id

    def doc(self, label: str) -> dict[str, Any]:
        """A deep copy of an issued credential, free to edit."""
        return copy.deepcopy(self.docs[label])

    def anchor_fresh(self, name: str) -> dict[str, Any]:
        """A new credential of A's, anchored now in a batch of its own; with its proof."""
        (doc,), _ = anchor_by_hand(self.registry, self.academy.account, [prepared(ACADEMY, name=name)],
                                   fmt=self.format)
        return doc

    def env(self, account: LocalAccount | None = None) -> dict[str, str]:
        """The environment `credreg` runs with (signing as issuer A unless told otherwise)."""
        return {"CREDREG_RPC_URL": self.url, "CREDREG_HOME": str(self.home),
                "CREDREG_REGISTRY": self.registry.address, "CREDREG_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD,
                "CREDREG_PRIVATE_KEY": key_hex(account or self.academy.account)}


def key_hex(account: LocalAccount) -> str:
    return "0x" + bytes(account.key).hex()


# ---------------------------------------------------------------------------- the command line

def credreg(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    """`credreg ARGV` in-process with exactly these CREDREG_* variables: (exit code, stdout, stderr)."""
    from registry.cli import main

    saved = {k: v for k, v in os.environ.items() if k.startswith("CREDREG_")}
    for key in saved:
        del os.environ[key]
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code
    finally:
        for key in env:
            os.environ.pop(key, None)
        os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()


def cli_ok(env: dict[str, str], *argv: str) -> Any:
    code, out, err = credreg(env, *argv, "--json")
    assert code == 0, f"credreg {' '.join(argv)} exited {code}: {err}"
    return json.loads(out)


def cli_verify(world: World, doc: Any, folder: Path, *extra: str, rpc_url: str | None = None,
               raw: str | None = None) -> tuple[int, dict[str, Any] | None]:
    """`credreg verify FILE --json` on ``doc`` (or on the text ``raw``): (exit code, verdict or None)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"presented-{uuid.uuid4().hex[:8]}.json"
    path.write_text(raw if raw is not None else json.dumps(doc))
    env = {"CREDREG_RPC_URL": rpc_url or world.url, "CREDREG_HOME": str(world.home),
           "CREDREG_REGISTRY": world.registry.address}
    code, out, _ = credreg(env, "verify", str(path), "--json", *extra)
    try:
        verdict = json.loads(out)
    except ValueError:
        verdict = None
    return code, verdict if isinstance(verdict, dict) and "status" in verdict else None


# ---------------------------------------------------------------------------- documents and proofs

def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def _fresh(doc: dict[str, Any], **fields: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["id"] = f"urn:uuid:{uuid.uuid4()}"
    out.update(fields)
    return out


def batch1_sources() -> list[tuple[str, dict[str, Any]]]:
    sql, web, aid = example("intro-to-sql"), example("accessible-web-design"), example("workplace-first-aid")
    return [
        ("sql", _fresh(sql)),
        ("web", _fresh(web)),
        ("first-aid", _fresh(aid)),
        ("expired", _fresh(sql, name="SQL refresher (2020)", validFrom="2020-01-01T00:00:00Z",
                           validUntil="2021-01-01T00:00:00Z")),
        ("future", _fresh(web, name="Web design, next cohort", validFrom="2999-01-01T00:00:00Z")),
        ("revoked", _fresh(aid, name="First aid (issued in error)")),
        ("revoked-last", _fresh(sql, name="SQL (issued in error)")),
    ]


def prepared(issuer: tuple[str, str], **fields: Any) -> dict[str, Any]:
    """A credential made ready for anchoring under ``issuer`` (name, DID), without the issuer's tools."""
    name, did = issuer
    return credentials.prepare(_fresh(example("intro-to-sql"), **fields), did, name)


def with_proof(doc: dict[str, Any], tree: MerkleTree, index: int, chain_id: int, registry: str,
               receipt: Any, created: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    """``doc`` with a credreg proof for leaf ``index`` of ``tree``, as `credreg anchor` writes it."""
    out = copy.deepcopy(doc)
    out["proof"] = {"type": PROOF_TYPE, "created": created, "proofPurpose": "assertionMethod",
                    "merkleRoot": tree.root_hex, "targetHash": credentials.target_hash_hex(doc),
                    "path": tree.proof(index),
                    "anchor": {"chainId": chain_id, "registry": registry,
                               "transactionHash": "0x" + bytes(receipt["transactionHash"]).hex(),
                               "blockNumber": receipt["blockNumber"]}}
    return out


def anchor_by_hand(client: RegistryClient, signer: LocalAccount, docs: list[dict[str, Any]], fmt: int = 2,
                   ) -> tuple[list[dict[str, Any]], Any]:
    """Anchor ``docs`` as one batch with ``signer``'s key; the docs with proofs, and the receipt.

    Format 2: each doc is signed with :data:`HAND_KEY` under its issuer's DID first, and gets the
    anchor proof chained to that signature, as `credreg issue` and `credreg anchor` make them."""
    if fmt == 1:
        tree = build_tree([credentials.target_hash(d) for d in docs])
        receipt = client.transact("anchorRoot", [tree.root, len(docs)], signer)
        proven = [with_proof(d, tree, i, client.chain_id, client.address, receipt) for i, d in enumerate(docs)]
        return proven, receipt
    signed = []
    for doc in docs:
        issuer = doc["issuer"]["id"]
        method = dids.verification_method_id(issuer, HAND_KEY.public_multibase)
        signed.append(securing.secure(doc, HAND_KEY, method, "2026-01-01T00:00:00Z"))
    tree = build_tree([bytes.fromhex(s.target_hash) for s in signed])
    receipt = client.transact("anchorRoot", [tree.root, len(docs)], signer)
    anchor = {"chainId": client.chain_id, "registry": client.address,
              "transactionHash": "0x" + bytes(receipt["transactionHash"]).hex(), "blockNumber": receipt["blockNumber"]}
    method = f"did:pkh:{dids.blockchain_account_id(client.chain_id, signer.address)}#blockchainAccountId"
    proven = []
    for i, s in enumerate(signed):
        doc = s.document()
        chained = {"targetHash": s.target_hash, "merkleRoot": tree.root_hex, "path": tree.proof(i), "anchor": anchor}
        doc["proof"].append(proofs.anchor_proof(chained, s.signature_id, method, "2026-01-01T00:00:00Z"))
        proven.append(doc)
    return proven, receipt


def _anchor_proof(doc: dict[str, Any]) -> dict[str, Any]:
    (anchor,) = [p for p in doc["proof"] if p.get("cryptosuite") == proofs.MERKLE_CRYPTOSUITE]
    return anchor


def receipt(doc: dict[str, Any]) -> dict[str, Any]:
    """The Merkle receipt of ``doc``: format 1's proof object itself, or format 2's decoded copy."""
    if isinstance(doc["proof"], dict):
        return doc["proof"]
    return proofs.decode_receipt(_anchor_proof(doc)["proofValue"])


def edit_receipt(doc: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> None:
    """Apply ``edit`` to the receipt in ``doc`` (format 2: decoded, edited, encoded again)."""
    if isinstance(doc["proof"], dict):
        edit(doc["proof"])
        return
    anchor = _anchor_proof(doc)
    decoded = proofs.decode_receipt(anchor["proofValue"])
    edit(decoded)
    # JSON with escapes, not RFC 8785: an edit may put in what RFC 8785 refuses (a lone surrogate).
    text = json.dumps(decoded, separators=(",", ":"), sort_keys=True).encode()
    anchor["proofValue"] = "u" + base64.urlsafe_b64encode(text).decode().rstrip("=")


def forged_target(doc: dict[str, Any]) -> str:
    """The targetHash a forger would write for ``doc`` as it now is, in its format."""
    if isinstance(doc["proof"], dict):
        return credentials.target_hash_hex(doc)
    return proofs.format_2_target_hash(doc).hex()


def root_of(doc: dict[str, Any]) -> str:
    return receipt(doc)["merkleRoot"]


DELETE = object()


def receipt_setter(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """:func:`setter` for a field of the Merkle receipt (``path`` within it), in either format."""
    return lambda doc: edit_receipt(doc, setter(path, value))


def setter(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets the field at ``path`` of a document to ``value`` (or deletes it: DELETE)."""
    def edit(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return edit


# ---------------------------------------------------------------------------- the world

def _issue_and_anchor(world: World, sources: list[tuple[str, dict[str, Any]]], folder: Path) -> None:
    folder.mkdir(parents=True)
    for n, (label, doc) in enumerate(sources):
        (folder / f"{n:02d}-{label}.json").write_text(json.dumps(doc))
    cli_ok(world.env(), "issue", str(folder), *(["--unsigned"] if world.format == 1 else []))
    report = cli_ok(world.env(), "anchor")
    assert [b["state"] for b in report["batches"]] == ["written"], report
    for label, doc in sources:
        world.docs[label] = json.loads((world.home / "issued" / credential_file_name(doc["id"])).read_text())


def build_world(url: str, home: Path, full: bool = True, fmt: int = 2) -> World:
    """Deploy, accredit A (and B), and issue; ``full=False`` stops after one valid credential ("sql")."""
    owner = dev_account(0)
    w3 = connect(url)
    registry, receipt = RegistryClient.deploy(w3, owner)
    academy_id, _ = registry.register_issuer(*ACADEMY, dev_account(1).address, owner)
    academy = Issuer(academy_id, *ACADEMY, dev_account(1))
    world = World(url, registry, receipt["blockNumber"], home, owner, academy, format=fmt)
    if fmt == 2:  # A's signing key, listed in the did.json that did:web:academy.example names
        cli_ok(world.env(), "issuer", "keygen", "--did-web", ACADEMY[1].removeprefix("did:web:"))
    if not full:
        _issue_and_anchor(world, batch1_sources()[:1], home.parent / "sources-1")
        return world
    college_id, _ = registry.register_issuer(*COLLEGE, dev_account(2).address, owner)
    world.college = Issuer(college_id, *COLLEGE, dev_account(2))
    _issue_and_anchor(world, batch1_sources(), home.parent / "sources-1")
    revoked = (world.docs["revoked"]["id"], world.docs["revoked-last"]["id"])
    cli_ok(world.env(), "revoke", *revoked, "--reason", "1")
    sql = example("intro-to-sql")
    _issue_and_anchor(world, [("batch2-a", _fresh(sql, name="Batch two, first")),
                              ("batch2-b", _fresh(sql, name="Batch two, second"))], home.parent / "sources-2")
    cli_ok(world.env(), "revoke", "--root", root_of(world.docs["batch2-a"]), "--reason", "3")
    # B's key anchors a root whose first leaf names A: the contract cannot tell, the verifier must.
    docs, _ = anchor_by_hand(registry, world.college.account,
                             [prepared(ACADEMY, name="Claims Example Academy"), prepared(COLLEGE)], fmt=fmt)
    world.docs["cross-issuer"] = docs[0]
    return world


@pytest.fixture(scope="module")
def world(anvil, tmp_path_factory) -> World:
    return build_world(anvil.url, tmp_path_factory.mktemp("world") / "home")


# ---------------------------------------------------------------------------- the service

def settings_for(world: World, home: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"rpc_url": world.url, "registry": world.registry.address, "home": home,
                              "start_block": world.deploy_block, "poll_interval": 0.2,
                              "max_staleness_seconds": 2}
    values.update(overrides)
    return Settings(**values)


@contextmanager
def running_service(world: World, home: Path, **overrides: Any) -> Iterator[TestClient]:
    """The real app, its lifespan and its indexer running against ``world``'s node.

    Server errors come back as 500 responses (not exceptions), so a test can assert on them.
    """
    app = create_app(settings_for(world, home, **overrides))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def service(world, tmp_path_factory) -> Iterator[TestClient]:
    with running_service(world, tmp_path_factory.mktemp("service")) as client:
        yield client


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def synced(client: TestClient, world: World) -> None:
    """Wait until the service's index reflects the chain's current head."""
    head = world.w3.eth.block_number
    indexer = client.app.state.indexer
    wait_until(lambda: indexer.snapshot.block >= head and indexer.last_error is None, what=f"index at {head}")


def verify_http(client: TestClient, doc: Any) -> tuple[int, dict[str, Any]]:
    response = client.post("/v1/verify", json=doc)
    return response.status_code, response.json() if response.status_code != 500 else {}


def failed_check(verdict: dict[str, Any]) -> str | None:
    """The name of the check that decided a not-valid verdict (the last one, failed)."""
    failed = [c["name"] for c in verdict.get("checks", []) if not c["passed"]]
    return failed[-1] if failed else None


def mine(url: str, blocks: int) -> None:
    rpc(url, "anvil_mine", [hex(blocks)])

