"""The chain indexer: the registry's state built from its events (the verifier service's view,
and what `credreg publish` and `credreg audit` replay).

It reads the registry's logs from its deployment block in windows that halve on provider errors
(and grow back), follows the head, and re-reads the last ``reorg_depth`` blocks on every poll, so
a root whose block was reorganised away stops counting. Blocks older than that are folded into a
settled state that is saved to disk, so a restart resumes where it stopped. Verifications read an
immutable snapshot: no RPC call, no lock. When the node has not answered for ``max_staleness``
seconds, or the index trails the head by more than ``max_lag`` blocks, the view is unhealthy and
verdicts are ``unverifiable`` (invariant 6).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from web3 import Web3

from registry.chain.artifact import load_artifact
from registry.chain.view import IssuerView, RootRecord, StatusLists, ViewHealth

log = logging.getLogger("credreg.indexer")
_EVENTS = ("IssuerRegistered", "IssuerSuspended", "RootAnchored", "CredentialsRevoked", "RootRevoked")


@dataclass(frozen=True)
class IndexState:
    """Everything the verifier needs, as of ``block`` (inclusive)."""

    block: int
    issuers: dict[int, IssuerView] = field(default_factory=dict)
    roots: dict[str, RootRecord] = field(default_factory=dict)
    revoked: dict[str, frozenset[int]] = field(default_factory=dict)

    def apply(self, events: list[dict[str, Any]], block: int) -> "IndexState":
        """A new state with ``events`` (in chain order) applied; self is left as it was."""
        issuers, roots, revoked = dict(self.issuers), dict(self.roots), dict(self.revoked)
        for ev in events:
            name, args = ev["event"], ev["args"]
            if name == "IssuerRegistered":
                issuers[args["issuerId"]] = IssuerView(args["issuerId"], args["name"], args["did"], False)
            elif name == "IssuerSuspended" and args["issuerId"] in issuers:
                issuers[args["issuerId"]] = replace(issuers[args["issuerId"]], suspended=args["suspended"])
            elif name == "RootAnchored":
                roots[args["root"]] = RootRecord(args["issuerId"], args["leafCount"], ev["timestamp"], 0,
                                                 ev["blockNumber"], ev["transactionHash"])
            elif name == "CredentialsRevoked":
                revoked[args["root"]] = revoked.get(args["root"], frozenset()) | frozenset(args["leafIndices"])
            elif name == "RootRevoked" and args["root"] in roots:
                roots[args["root"]] = replace(roots[args["root"]], revoked_at=ev["timestamp"])
        return IndexState(block, issuers, roots, revoked)

    def to_json(self) -> dict[str, Any]:
        return {"block": self.block,
                "issuers": [vars(i) for i in self.issuers.values()],
                "roots": {r: vars(rec) for r, rec in self.roots.items()},
                "revoked": {r: sorted(s) for r, s in self.revoked.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "IndexState":
        return cls(data["block"],
                   {i["id"]: IssuerView(**i) for i in data["issuers"]},
                   {r: RootRecord(**rec) for r, rec in data["roots"].items()},
                   {r: frozenset(s) for r, s in data["revoked"].items()})


class Indexer:
    def __init__(self, w3: Web3, registry: str, *, start_block: int = 0, state_file: Path | None = None,
                 reorg_depth: int = 12, window: int = 5_000, poll_interval: float = 1.0,
                 max_lag: int = 10, max_staleness: float = 30.0) -> None:
        self.w3 = w3
        self.registry = Web3.to_checksum_address(registry)
        self.contract = w3.eth.contract(address=self.registry, abi=load_artifact()["abi"])
        self.chain_id: int | None = None
        self.start_block = start_block
        self.state_file = state_file
        self.reorg_depth = reorg_depth
        self.max_window = window
        self.window = window
        self.poll_interval = poll_interval
        self.max_lag = max_lag
        self.max_staleness = max_staleness
        self.status_lists: StatusLists | None = None  # published status lists the views carry (set by the service)
        self._settled_hash: str | None = None  # hash of the settled block: same chain history?
        self.settled = self._load() or IndexState(start_block - 1)
        self.snapshot = self.settled  # what verifications read; replaced whole, never mutated
        self.head: int | None = None
        self.last_success: float | None = None
        self.last_error: str | None = None
        self._topics = {self.w3.keccak(text=self._signature(n)).hex().removeprefix("0x"): n for n in _EVENTS}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ persistence
    def _load(self) -> IndexState | None:
        if self.state_file is None or not self.state_file.exists():
            return None
        try:
            data = json.loads(self.state_file.read_text())
            if not isinstance(data, dict) or data.get("registry") != self.registry:
                return None
            self._settled_hash = data.get("blockHash")
            return IndexState.from_json(data["state"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("index state %s unreadable (%s): re-indexing from block %d", self.state_file, exc,
                        self.start_block)
            return None

    def _save(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"registry": self.registry, "chainId": self.chain_id,
                                   "blockHash": self._settled_hash, "state": self.settled.to_json()}))
        tmp.replace(self.state_file)

    # ------------------------------------------------------------------ reading the chain
    def _signature(self, name: str) -> str:
        entry = next(e for e in load_artifact()["abi"] if e.get("type") == "event" and e["name"] == name)
        return f"{name}({','.join(i['type'] for i in entry['inputs'])})"

    def _logs(self, start: int, end: int) -> list[dict[str, Any]]:
        """Decoded registry events in [start, end], in chain order; the window shrinks on errors."""
        events: list[dict[str, Any]] = []
        block = start
        while block <= end:
            upto = min(end, block + self.window - 1)
            try:
                raw = self.w3.eth.get_logs({"address": self.registry, "fromBlock": block, "toBlock": upto})
            except (ConnectionError, TimeoutError, OSError):
                raise
            except Exception as exc:  # too many results, range too wide: ask for less
                if self.window == 1:
                    raise
                self.window = max(1, self.window // 2)
                log.info("get_logs %d-%d failed (%s); window now %d blocks", block, upto, exc, self.window)
                continue
            events.extend(self._decode(raw))
            block = upto + 1
            self.window = min(self.max_window, self.window * 2)
        return events

    def _decode(self, raw: list[Any]) -> list[dict[str, Any]]:
        out = []
        stamps: dict[int, int] = {}
        for entry in raw:
            name = self._topics.get(bytes(entry["topics"][0]).hex())
            if name is None:
                continue
            decoded = getattr(self.contract.events, name)().process_log(entry)
            args = dict(decoded["args"])
            if "root" in args:
                args["root"] = bytes(args["root"]).hex()
            if "leafIndices" in args:
                args["leafIndices"] = list(args["leafIndices"])
            number = entry["blockNumber"]
            if name in ("RootAnchored", "RootRevoked") and number not in stamps:
                stamps[number] = self.w3.eth.get_block(number)["timestamp"]
            out.append({"event": name, "args": args, "blockNumber": number, "timestamp": stamps.get(number, 0),
                        "transactionHash": "0x" + bytes(entry["transactionHash"]).hex()})
        return out

    def _block_hash(self, number: int) -> str | None:
        if number < 0:
            return None
        return "0x" + bytes(self.w3.eth.get_block(number)["hash"]).hex()

    def _check_history(self, head: int) -> None:
        """Settled state counts only on the chain history it was read from: a saved index from
        another chain (same address, fresh node) or past a reorg deeper than reorg_depth is
        dropped and read again, never trusted (fail closed)."""
        block = self.settled.block
        if block < self.start_block:
            return
        if head < block or self._block_hash(block) != self._settled_hash:
            log.warning("settled index at block %d is not on this chain's history: re-indexing from %d",
                        block, self.start_block)
            self.settled = IndexState(self.start_block - 1)
            self._settled_hash = None
            self.snapshot = self.settled

    def poll_once(self) -> None:
        """Catch up to the head. Blocks within reorg_depth of the head are always read again."""
        try:
            if self.chain_id is None:
                self.chain_id = self.w3.eth.chain_id
            head = self.w3.eth.block_number
            self.head = head  # before reading logs: a lagging index must show as lagging
            self._check_history(head)
            settle_to = head - self.reorg_depth
            if settle_to > self.settled.block:
                events = self._logs(self.settled.block + 1, settle_to)
                self.settled = self.settled.apply(events, settle_to)
                self._settled_hash = self._block_hash(settle_to)
                self._save()
            recent = self._logs(self.settled.block + 1, head) if head > self.settled.block else []
            self.snapshot = self.settled.apply(recent, head)
            self.last_success = time.monotonic()
            self.last_error = None
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("indexer poll failed: %s", self.last_error)

    # ------------------------------------------------------------------ the background thread
    def start(self) -> "Indexer":
        self.poll_once()
        self._thread = threading.Thread(target=self._run, name="credreg-indexer", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self.poll_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    # ------------------------------------------------------------------ the ChainView
    def view(self) -> "IndexedView":
        return IndexedView(self)

    def health(self) -> ViewHealth:
        snap, head = self.snapshot, self.head
        if self.last_success is None:
            return ViewHealth(False, f"the node has not answered yet ({self.last_error or 'starting'})")
        stale = time.monotonic() - self.last_success
        if stale > self.max_staleness:
            return ViewHealth(False, f"no answer from the node for {stale:.0f} s ({self.last_error})", head, snap.block)
        lag = (head or 0) - snap.block
        if lag > self.max_lag:
            return ViewHealth(False, f"the index trails the chain by {lag} blocks (bound {self.max_lag})", head,
                              snap.block)
        return ViewHealth(True, "in step with the chain", head, snap.block)


class IndexedView:
    """A ChainView over one snapshot of the index, and its health, taken when the view is made:
    a verification never mixes two states of the chain, and a batch of a thousand asks once."""

    def __init__(self, indexer: Indexer) -> None:
        self._indexer = indexer
        self._snap = indexer.snapshot
        self._health = indexer.health()
        self.registry = indexer.registry
        self.chain_id = indexer.chain_id or -1
        self.status_lists = indexer.status_lists

    def health(self) -> ViewHealth:
        return self._health

    def root(self, root: str) -> RootRecord | None:
        return self._snap.roots.get(root)

    def issuer(self, issuer_id: int) -> IssuerView | None:
        return self._snap.issuers.get(issuer_id)

    def is_revoked(self, root: str, leaf_index: int) -> bool:
        return leaf_index in self._snap.revoked.get(root, ())

    def head_block(self) -> int:
        return self._snap.block

    def issuers(self) -> list[IssuerView]:
        return sorted(self._snap.issuers.values(), key=lambda i: i.id)

    def revoked_leaves(self, root: str) -> int:
        return len(self._snap.revoked.get(root, ()))
