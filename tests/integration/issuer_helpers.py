"""Helpers shared by the issuer-side integration tests (journey, crash, fees).

They talk to a real anvil node: deploy a fresh registry per test, accredit issuers, queue
credentials straight into the store, run `credreg` as a real subprocess (the crash tests need a
process the kernel can SIGKILL), and check every written proof against the chain the way an
outside verifier would: blockcerts_merkletools for the path, a recomputed targetHash, rootInfo and
the anchoring receipt for the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from hashlib import sha256
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from blockcerts_merkletools import MerkleTools
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector
from sqlalchemy import select
from web3.exceptions import TransactionNotFound

from registry import credentials
from registry.anchoring import PROOF_TYPE, credential_file_name
from registry.credentials import proofs
from registry.identity import did as dids
from registry.identity import keys
from registry.chain.client import RegistryClient, connect
from registry.merkle.paths import leaf_index
from registry.store import NewCredential, Store
from registry.store.schema import credentials as credentials_table

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ANCHOR_SELECTOR = function_signature_to_4byte_selector("anchorRoot(bytes32,uint32)")
_HEX64 = set("0123456789abcdef")


class Issuer(NamedTuple):
    """An accredited issuer as the tests use it: its on-chain record and its signing account."""

    id: int
    name: str
    did: str
    account: LocalAccount


# ---------------------------------------------------------------------------- chain set-up

def wait_in_mempool(registry: RegistryClient, tx_hash: str, timeout: float = 30) -> None:
    """Until the node has ``tx_hash`` (pending or mined)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            registry.w3.eth.get_transaction(tx_hash)
            return
        except TransactionNotFound:
            assert time.monotonic() < deadline, f"{tx_hash} never reached the node"
            time.sleep(0.1)


def key_hex(account: LocalAccount) -> str:
    return "0x" + bytes(account.key).hex()


def deploy_registry(url: str, owner: LocalAccount) -> RegistryClient:
    """A fresh registry per test, so its event log holds only what that test did."""
    registry, _ = RegistryClient.deploy(connect(url), owner)
    return registry


def accredit(registry: RegistryClient, owner: LocalAccount, account: LocalAccount, name: str,
             did: str) -> Issuer:
    issuer_id, _ = registry.register_issuer(name, did, account.address, owner)
    return Issuer(issuer_id, name, did, account)


def nonce(registry: RegistryClient, address: str) -> int:
    return registry.w3.eth.get_transaction_count(address, "pending")


def root_anchored_logs(registry: RegistryClient, root: str | None = None) -> list[Any]:
    """RootAnchored events of this registry (of one root when given), from block 0."""
    event = registry.contract.events.RootAnchored()
    filters = {"root": bytes.fromhex(root)} if root else None
    return list(event.get_logs(from_block=0, to_block="latest", argument_filters=filters))


# ---------------------------------------------------------------------------- fixtures
# The test modules import these (integration/ has no conftest of its own): per test, a fresh
# registry on the module's anvil node, an accredited issuer and an empty home.

@pytest.fixture()
def registry(anvil, dev_accounts) -> RegistryClient:
    return deploy_registry(anvil.url, dev_accounts[0])


@pytest.fixture()
def academy(registry, dev_accounts) -> Issuer:
    """Issuer A; its files name another academy, so the issuer in a proof must come from chain."""
    return accredit(registry, dev_accounts[0], dev_accounts[1], "Northwind Training",
                    "did:web:northwind.example")


@pytest.fixture()
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture()
def env(anvil, home, academy, registry) -> dict[str, str]:
    """The environment `credreg` runs with as issuer A (who can sign: its did:web key is in the home)."""
    return cli_env(anvil.url, home, academy.account, registry, signing_did=academy.did)


# ---------------------------------------------------------------------------- the command line

KEYSTORE_PASSWORD = "issuer-tests"


def ensure_signing_key(home: Path, did: str) -> None:
    """An Ed25519 signing key for the did:web ``did`` in ``home``, listed in its did.json, as
    `credreg issuer keygen --did-web` leaves them (made quickly: few key-derivation rounds)."""
    path = dids.parse_did_web(did).document_path(home / "public")
    if path.exists():
        return
    key = keys.SigningKey.generate()
    keys.save(key, home / "keys" / f"signing-{key.public_multibase[:16]}.json", KEYSTORE_PASSWORD,
              iterations=2**10)
    dids.write_did_document(home / "public", dids.did_web_document(did, [dids.KeyRecord(key.public_multibase)]))


PUBLIC_URL = "https://academy.example/"  # where the issuer's public folder is said to be served


def cli_env(url: str, home: Path, account: LocalAccount, registry: RegistryClient | None = None,
            signing_did: str | None = None) -> dict[str, str]:
    """The CLI's environment; with ``signing_did``, the home also holds that issuer's signing key."""
    env = {"CREDREG_RPC_URL": url, "CREDREG_HOME": str(home), "CREDREG_PRIVATE_KEY": key_hex(account),
           "CREDREG_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD, "CREDREG_PUBLIC_URL": PUBLIC_URL}
    if registry is not None:
        env["CREDREG_REGISTRY"] = registry.address
    if signing_did is not None:
        ensure_signing_key(home, signing_did)
        if signing_did.startswith("did:web:"):
            del env["CREDREG_PUBLIC_URL"]  # its lists go to its own site by default
    return env


def receipt_of(doc: dict[str, Any]) -> Mapping[str, Any]:
    """The Merkle receipt of a written credential, in either proof format."""
    return proofs.read_receipt(doc)[0]


def _process_env(env: dict[str, str], kill_at: str | None) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    full.update(env)
    if kill_at is not None:
        full["CREDREG_TEST_KILL_AT"] = kill_at
    return full


def credreg(env: dict[str, str], *args: str, kill_at: str | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess:
    """`credreg ARGS` as a real child process; ``kill_at`` arms the anchoring job's SIGKILL hook."""
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], env=_process_env(env, kill_at),
                          cwd=REPO, capture_output=True, text=True, timeout=timeout)


def credreg_background(env: dict[str, str], *args: str, kill_at: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "registry.cli", *args], env=_process_env(env, kill_at),
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_no_secret(env: dict[str, str], *texts: str) -> None:
    """Invariant 9: the signing key never shows up in anything the tool prints."""
    secret = env["CREDREG_PRIVATE_KEY"].lower().removeprefix("0x")
    for text in texts:
        assert secret not in text.lower()


# ---------------------------------------------------------------------------- the store

_PLACEHOLDER = "urn:uuid:00000000-0000-4000-8000-000000000000"


def generated_credentials(issuer: Issuer, count: int) -> list[NewCredential]:
    """``count`` distinct credentials as `credreg issue` would queue them, built fast.

    One example credential is prepared and canonicalized (RFC 8785) once with a placeholder id;
    each credential is that text with a fresh urn:uuid spliced in. A uuid needs no JSON escaping
    and key order does not depend on values, so the splice is exactly the canonical form of the
    document with that id (the proof checks recompute it from the written files).
    """
    doc = credentials.load_file(EXAMPLES / "credentials" / "intro-to-sql.json")
    template = credentials.prepare({**doc, "id": _PLACEHOLDER}, issuer.did, issuer.name)
    text = credentials.canonical_bytes(template).decode()
    head, tail = text.split(_PLACEHOLDER)
    items = []
    for _ in range(count):
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        body = head + credential_id + tail
        items.append(NewCredential(credential_id, sha256(body.encode()).hexdigest(), issuer.did, body, None))
    return items


def queue_credentials(home: Path, issuer: Issuer, count: int) -> list[NewCredential]:
    store = Store.open(home, os.environ.get("CREDREG_STORE_URL"))
    try:
        items = generated_credentials(issuer, count)
        store.enqueue(items)
        return items
    finally:
        store.engine.dispose()


class StoreView:
    """Short-lived reads of a home's store (disposed each time: the CLI runs beside it)."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def _with(self, read):
        store = Store.open(self.home, os.environ.get("CREDREG_STORE_URL"))
        try:
            return read(store)
        finally:
            store.engine.dispose()

    def counts(self) -> dict[str, int]:
        return self._with(lambda s: s.counts())

    def batches(self) -> list:
        return self._with(lambda s: s.batches())

    def journal(self, limit: int = 1000) -> list[dict[str, Any]]:
        return self._with(lambda s: list(reversed(s.journal(limit))))

    def find(self, credential_id: str):
        return self._with(lambda s: s.find_credential(credential_id))

    def rows(self) -> list[tuple]:
        """Every credential row, for before/after comparisons."""
        def read(store: Store) -> list[tuple]:
            query = select(credentials_table).order_by(credentials_table.c.id)
            with store.engine.connect() as conn:
                return [tuple(r) for r in conn.execute(query)]
        return self._with(read)


def wait_for_journal(home: Path, event: str, process: subprocess.Popen | None = None,
                     timeout: float = 60, count: int = 1) -> list[dict[str, Any]]:
    """Poll the journal until ``event`` was recorded ``count`` times; fail fast if ``process`` died."""
    view = StoreView(home)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (home / "credreg.db").exists():
            found = [j for j in view.journal() if j["event"] == event]
            if len(found) >= count:
                return found
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"credreg exited with {process.returncode} before journal event {event!r}:\n"
                                 f"{out}\n{err}")
        time.sleep(0.1)
    raise AssertionError(f"no journal event {event!r} within {timeout} s: {view.journal()}")


# ---------------------------------------------------------------------------- the written files

def issued_files(out_dir: Path) -> list[Path]:
    return sorted(out_dir.iterdir()) if out_dir.exists() else []


def check_anchor_transaction(registry: RegistryClient, tx_hash: str, root: str, leaf_count: int,
                             block_number: int) -> Any:
    """The anchoring transaction: mined, to the registry, calldata exactly selector+root+leafCount
    (invariant 7: nothing but the root and the count goes on chain)."""
    w3 = registry.w3
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert receipt["blockNumber"] == block_number
    assert receipt["to"] == registry.address
    tx = w3.eth.get_transaction(tx_hash)
    data = bytes(tx["input"])
    assert len(data) == 4 + 32 + 32, f"anchor calldata is {len(data)} bytes"
    assert data[:4] == ANCHOR_SELECTOR
    assert data[4:36].hex() == root
    assert int.from_bytes(data[36:68], "big") == leaf_count
    events = registry.contract.events.RootAnchored().process_receipt(receipt)
    assert [(e["args"]["root"].hex(), e["args"]["leafCount"]) for e in events] == [(root, leaf_count)]
    return tx


def check_proof_files(paths: Iterable[Path], registry: RegistryClient, issuer: Issuer,
                      *, complete: bool = True) -> dict[str, dict[str, Any]]:
    """Check each file as a verifier would; returns {credential id: document}.

    With ``complete``, ``paths`` must hold every credential of every root they name: each leaf
    position of the root exactly once.
    """
    tools = MerkleTools()
    chain_id = registry.chain_id
    docs: dict[str, dict[str, Any]] = {}
    roots: dict[str, Any] = {}
    positions: dict[str, Counter] = {}
    for path in paths:
        assert path.suffix == ".json" and not path.name.endswith(".tmp"), f"stray file {path}"
        doc = json.loads(path.read_text())
        proof, computed = proofs.read_receipt(doc)
        created_at = _check_proof_shape(doc, chain_id, issuer)
        assert path.name == credential_file_name(doc["id"])
        assert doc["issuer"] == {"id": issuer.did, "type": ["Profile"], "name": issuer.name}
        target, root, steps = proof["targetHash"], proof["merkleRoot"], proof["path"]
        for value in (target, root, *(next(iter(s.values())) for s in steps)):
            assert len(value) == 64 and set(value) <= _HEX64, value
        assert target == computed.hex(), f"{path}: targetHash is not the document's hash"
        assert tools.validate_proof(steps, target, root), f"{path}: MerkleTools rejects the proof"
        if root not in roots:
            info = registry.root_info(bytes.fromhex(root))
            assert info.issuer_id == issuer.id, f"root {root} anchored by issuer {info.issuer_id}"
            anchor = proof["anchor"]
            assert anchor["chainId"] == chain_id and anchor["registry"] == registry.address
            check_anchor_transaction(registry, anchor["transactionHash"], root, info.leaf_count,
                                     anchor["blockNumber"])
            stamp = registry.w3.eth.get_block(anchor["blockNumber"])["timestamp"]
            assert info.anchored_at == stamp
            roots[root] = (info, anchor, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp)))
        info, anchor, created = roots[root]
        assert proof["anchor"] == anchor and created_at == created
        positions.setdefault(root, Counter())[leaf_index(steps, info.leaf_count)] += 1
        assert doc["id"] not in docs
        docs[doc["id"]] = doc
    for root, seen in positions.items():
        assert max(seen.values()) == 1, f"root {root}: two files prove the same leaf"
        if complete:
            assert sorted(seen) == list(range(roots[root][0].leaf_count)), f"root {root}: leaves missing"
    return docs


def _check_proof_shape(doc: dict[str, Any], chain_id: int, issuer: Issuer) -> str:
    """The proofs as the job writes them, in either format; returns the anchor's ``created``."""
    if isinstance(doc["proof"], dict):  # format 1: credentials queued unsigned
        assert doc["proof"]["type"] == PROOF_TYPE
        return doc["proof"]["created"]
    signature, anchor = doc["proof"]  # format 2: the signature, then the anchor chained to it
    assert (signature["type"], signature["cryptosuite"]) == ("DataIntegrityProof", "eddsa-rdfc-2022")
    assert signature["verificationMethod"].startswith(issuer.did + "#")
    assert (anchor["type"], anchor["cryptosuite"]) == ("DataIntegrityProof", proofs.MERKLE_CRYPTOSUITE)
    assert anchor["previousProof"] == signature["id"] and anchor["proofPurpose"] == "assertionMethod"
    assert anchor["verificationMethod"] == (f"did:pkh:{dids.blockchain_account_id(chain_id, issuer.account.address)}"
                                            "#blockchainAccountId")
    return anchor["created"]


def expected_names(items: Iterable[NewCredential]) -> list[str]:
    return sorted(credential_file_name(i.credential_id) for i in items)
