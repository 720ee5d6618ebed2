"""The nightly anchoring job: queued credentials -> Merkle batches -> anchorRoot -> proof files.

Crash-safe by a journal in the store (invariant 8). Each batch walks

    built -> sent -> mined -> confirmed -> written        (or failed: back to the queue)

and every step is recorded before the next begins; a signed transaction is recorded *before* it
is broadcast. Killed anywhere and run again, the job resumes each unfinished batch where it
stopped: it looks up its recorded transactions and the root on chain instead of sending again, so
nothing is anchored twice, and it rewrites the batch's files (same bytes) so each credential ends
with exactly one valid proof.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound, Web3RPCError

from registry.anchoring._crashpoints import checkpoint
from registry.anchoring.writer import WriteSpec, batch_tree, proof_parts, write_parallel
from registry.chain.client import (Fees, IssuerRecord, RegistryClient, build_transaction, fees as current_fees,
                                   guarded)
from registry.errors import BadInput, ChainError
from registry.merkle.tree import MerkleTree, build_tree
from registry.store import Batch, Store

PROOF_TYPE = "CredregMerkleProof2026"
UNFINISHED = ("built", "sent", "mined", "confirmed")
_PARALLEL_FILES = 20_000  # below this, forking writers costs more than it saves
MAX_RESALTS = 3  # fresh roots per batch and run when another issuer keeps taking them


@dataclass(frozen=True)
class AnchorOptions:
    out_dir: Path
    confirmations: int = 1
    max_fee_gwei: float | None = None
    max_batch: int = 1_000_000
    dry_run: bool = False
    replace_after: float = 60.0  # seconds in the mempool before a replacement with a higher fee
    timeout: float = 900.0  # then give up for this run; the journal keeps the batch for the next
    poll: float = 0.5
    workers: int = 2
    # `anchor --bake`: a credential file's text to (kind, baked image) or None, run on each file
    # written; given by the caller, so anchoring knows nothing of images (registry/sharing).
    bake: Callable[[str], tuple[str, bytes] | None] | None = None

    def __post_init__(self) -> None:
        if self.confirmations < 1:
            raise BadInput(f"--confirmations must be at least 1, not {self.confirmations}")
        if not 1 <= self.max_batch <= 2**32 - 1:
            raise BadInput(f"--max-batch must be between 1 and 4294967295, not {self.max_batch}")
        if self.max_fee_gwei is not None and self.max_fee_gwei <= 0:
            raise BadInput(f"--max-fee-gwei must be positive, not {self.max_fee_gwei}")


@dataclass(frozen=True)
class BatchOutcome:
    root: str
    leaf_count: int
    state: str
    transaction_hash: str | None = None
    block_number: int | None = None
    gas_used: int | None = None
    files: int = 0
    resumed: bool = False
    error: str | None = None


@dataclass(frozen=True)
class AnchorReport:
    batches: tuple[BatchOutcome, ...] = ()
    dry_run: bool = False
    queued: int = 0
    planned_batches: tuple[int, ...] = ()
    estimated_gas_per_batch: int | None = None
    max_fee_wei: int | None = None
    resumable: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(b.state == "written" for b in self.batches)


def _stderr(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class AnchorJob:
    def __init__(self, store: Store, registry: RegistryClient, signer: LocalAccount, issuer: IssuerRecord,
                 options: AnchorOptions, progress: Callable[[str], None] = _stderr) -> None:
        self.store = store
        self.registry = registry
        self.w3 = registry.w3
        self.signer = signer
        self.issuer = issuer
        self.options = options
        self.say = progress
        self._tree: tuple[int, MerkleTree] | None = None  # the batch just built, kept for writing
        self._resalts: dict[int, int] = {}  # batch id -> fresh roots tried in this run (root squatting)

    # ------------------------------------------------------------------ entry point
    def run(self) -> AnchorReport:
        if self.options.dry_run:
            return self._plan()
        outcomes: list[BatchOutcome] = []
        for batch in self._unfinished():
            self.say(f"resuming batch {batch.root[:12]}… ({batch.leaf_count:,} credentials, state {batch.state})")
            outcomes.append(self._process(batch, resumed=True))
        while True:
            queued = self.store.queued_hashes(self.issuer.did, self.options.max_batch)
            if not queued:
                break
            outcomes.append(self._process(self._build(queued)))
            if outcomes[-1].state == "failed":
                break  # its credentials are queued again; do not loop on the same failure
        if not outcomes:
            self.say("nothing queued")
        return AnchorReport(batches=tuple(outcomes), queued=self.store.queued_count(self.issuer.did))

    def _unfinished(self) -> list[Batch]:
        return [b for b in self.store.batches(UNFINISHED)
                if b.issuer_did == self.issuer.did and b.chain_id == self.registry.chain_id
                and b.registry == self.registry.address]

    def _plan(self) -> AnchorReport:
        queued = self.store.queued_count(self.issuer.did)
        sizes = tuple(min(self.options.max_batch, queued - start)
                      for start in range(0, queued, self.options.max_batch))
        gas = None
        fee = current_fees(self.w3, self.options.max_fee_gwei)
        if sizes:
            fn = self.registry.contract.functions.anchorRoot(os.urandom(32), sizes[0])
            build_transaction(self.w3, fn, self.signer.address, "anchorRoot (dry run)", fee=fee)  # decodes reverts
            gas = guarded(lambda: fn.estimate_gas({"from": self.signer.address}), "estimating anchorRoot")
        return AnchorReport(dry_run=True, queued=queued, planned_batches=sizes, estimated_gas_per_batch=gas,
                            max_fee_wei=fee.max_fee_wei, resumable=tuple(b.root for b in self._unfinished()))

    # ------------------------------------------------------------------ the steps
    def _build(self, queued: list[tuple[int, str]]) -> Batch:
        started = time.perf_counter()
        tree = build_tree([bytes.fromhex(h) for _, h in queued])
        batch = self.store.create_batch(
            [rid for rid, _ in queued], tree.root_hex, issuer_did=self.issuer.did, signer=self.signer.address,
            chain_id=self.registry.chain_id, registry=self.registry.address, out_dir=str(self.options.out_dir))
        self._tree = (batch.id, tree)
        self.say(f"batch {batch.root[:12]}…: {batch.leaf_count:,} credentials, tree and batch built in "
                 f"{time.perf_counter() - started:.1f} s")
        checkpoint("built")
        return batch

    def _process(self, batch: Batch, resumed: bool = False) -> BatchOutcome:
        try:
            while batch.state != "written":
                step = {"built": self._send, "sent": self._await_receipt, "mined": self._await_confirmations,
                        "confirmed": self._write}[batch.state]
                batch = step(batch)
                if batch.state == "failed":
                    return self._outcome(batch, resumed)
        except ChainError as exc:
            self.say(f"batch {batch.root[:12]}…: {exc}")
            return replace(self._outcome(batch, resumed), error=str(exc))
        return self._outcome(batch, resumed)

    def _outcome(self, batch: Batch, resumed: bool) -> BatchOutcome:
        return BatchOutcome(batch.root, batch.leaf_count, batch.state, batch.tx_hash, batch.block_number,
                            batch.gas_used, batch.credential_count if batch.state == "written" else 0, resumed,
                            batch.error)

    def _send(self, batch: Batch) -> Batch:
        """Anchor the root, unless the chain already has it (then find our transaction)."""
        found = self._find_anchor(batch)
        if found is not None:
            return found
        fn = self.registry.contract.functions.anchorRoot(bytes.fromhex(batch.root), batch.leaf_count)
        try:
            fee = current_fees(self.w3, self.options.max_fee_gwei)
            tx = build_transaction(self.w3, fn, self.signer.address, "anchorRoot", fee=fee)
        except ChainError as exc:
            self.store.release_batch(batch.id, str(exc))
            self.say(f"batch {batch.root[:12]}… not anchored, its credentials stay queued: {exc}")
            return self.store.batch(batch.id)
        return self._sign_record_broadcast(batch, tx, fee, "sent", bumps=0)

    def _sign_record_broadcast(self, batch: Batch, tx: dict, fee: Fees, event: str, bumps: int) -> Batch:
        signed = self.signer.sign_transaction(tx)
        tx_hash = "0x" + bytes(signed.hash).hex()
        # Write-ahead: the signed transaction is in the journal before the network sees it.
        batch = self.store.update_batch(
            batch.id, event, f"{tx_hash} nonce {tx['nonce']} maxFee {fee.max_fee_wei} tip {fee.priority_fee_wei}",
            state="sent", nonce=tx["nonce"], raw_tx="0x" + bytes(signed.raw_transaction).hex(),
            tx_hashes=(*batch.tx_hashes, tx_hash), fee_bumps=bumps, max_fee=str(fee.max_fee_wei),
            priority_fee=str(fee.priority_fee_wei))
        checkpoint("signed")
        self._broadcast(batch)
        self.say(f"batch {batch.root[:12]}…: {'replacement ' if bumps else ''}transaction {tx_hash} sent "
                 f"(max fee {fee.max_fee_wei / 1e9:.3f} gwei)")
        checkpoint("broadcast")
        return batch

    def _broadcast(self, batch: Batch) -> bool:
        """Send the journalled raw transaction; False when its nonce is already used."""
        try:
            guarded(lambda: self.w3.eth.send_raw_transaction(HexBytes(batch.raw_tx)), "sending anchorRoot")
        except Web3RPCError as exc:
            text = str(exc).lower()
            if "nonce too low" in text or "nonce is too low" in text:
                return False  # by this very transaction, or by another: receipts and the root decide
            if not any(s in text for s in ("already known", "already imported", "known transaction")):
                raise ChainError(f"sending anchorRoot: {exc}") from None
        return True

    def _receipt(self, batch: Batch):
        for tx_hash in reversed(batch.tx_hashes):
            try:
                receipt = guarded(lambda h=tx_hash: self.w3.eth.get_transaction_receipt(h), "reading a receipt")
            except TransactionNotFound:
                continue
            if receipt is not None:
                return receipt
        return None

    def _await_receipt(self, batch: Batch) -> Batch:
        started = time.monotonic()
        last_send = started
        if not self._known_to_node(batch) and not self._broadcast(batch):
            # Crashed between journal and broadcast, or dropped, and the nonce is spent: by us
            # (then a receipt or the root shows it) or by another use of the key (send anew).
            landed = self._landed(batch)
            if landed is not None:
                return landed
            self.say(f"batch {batch.root[:12]}…: nonce {batch.nonce} was used by another transaction; sending again")
            return self.store.update_batch(batch.id, "nonce-used", f"nonce {batch.nonce} used elsewhere", state="built")
        while True:
            landed = self._landed(batch)
            if landed is not None:
                return landed
            waited = time.monotonic() - last_send
            if waited >= self.options.replace_after:
                try:
                    batch = self._replace(batch) or batch
                except ChainError as exc:
                    # Priced out (the base fee above the cap) or the replacement refused by the
                    # node: the transaction already in the mempool is still the one to wait for.
                    self.say(f"batch {batch.root[:12]}…: not replaced ({exc}); waiting")
                    batch = self.store.batch(batch.id)  # a refused replacement stays journalled
                last_send = time.monotonic()  # try again after another replace_after, not every poll
            if time.monotonic() - started > self.options.timeout:
                raise ChainError(f"transaction {batch.tx_hashes[-1]} not mined within {self.options.timeout:.0f} s "
                                 f"(fee cap {self.options.max_fee_gwei} gwei); the next run picks it up again")
            time.sleep(self.options.poll)

    def _landed(self, batch: Batch) -> Batch | None:
        """The batch as mined, if one of its transactions has a receipt or its root is on chain."""
        receipt = self._receipt(batch)
        if receipt is not None:
            return self._mined(batch, receipt)
        return self._find_anchor(batch)

    def _known_to_node(self, batch: Batch) -> bool:
        for tx_hash in batch.tx_hashes:
            try:
                guarded(lambda h=tx_hash: self.w3.eth.get_transaction(h), "reading a transaction")
                return True
            except TransactionNotFound:
                continue
        return False

    def _replace(self, batch: Batch) -> Batch | None:
        """Same nonce, fees raised by at least 12.5 % (what nodes require), never above the cap."""
        old_max, old_tip = int(batch.max_fee or 0), int(batch.priority_fee or 0)
        fresh = current_fees(self.w3, self.options.max_fee_gwei, bump=batch.fee_bumps + 1)
        max_fee = max(fresh.max_fee_wei, old_max * 9 // 8 + 1)
        tip = max(fresh.priority_fee_wei, old_tip * 9 // 8 + 1)
        if self.options.max_fee_gwei is not None:
            cap = int(self.options.max_fee_gwei * 1e9)
            if old_max * 9 // 8 + 1 > cap:
                self.say(f"batch {batch.root[:12]}…: stuck at the fee cap ({self.options.max_fee_gwei} gwei); waiting")
                return None
            max_fee = min(max_fee, cap)
            tip = min(tip, max_fee)
        fn = self.registry.contract.functions.anchorRoot(bytes.fromhex(batch.root), batch.leaf_count)
        fee = Fees(max_fee, tip)
        tx = fn.build_transaction({"from": self.signer.address, "chainId": self.registry.chain_id,
                                   "nonce": batch.nonce, "gas": 120_000, "maxFeePerGas": max_fee,
                                   "maxPriorityFeePerGas": tip})
        return self._sign_record_broadcast(batch, tx, fee, "replaced", bumps=batch.fee_bumps + 1)

    def _mined(self, batch: Batch, receipt) -> Batch:
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        if receipt["status"] != 1:
            found = self._find_anchor(batch)
            if found is not None:
                return found
            error = f"anchorRoot transaction {tx_hash} reverted in block {receipt['blockNumber']}"
            self.store.release_batch(batch.id, error)
            self.say(f"batch {batch.root[:12]}…: {error}; its credentials stay queued")
            return self.store.batch(batch.id)
        batch = self.store.update_batch(
            batch.id, "mined", f"{tx_hash} in block {receipt['blockNumber']}", state="mined", tx_hash=tx_hash,
            block_number=receipt["blockNumber"], block_hash="0x" + bytes(receipt["blockHash"]).hex(),
            gas_used=receipt["gasUsed"])
        self.say(f"batch {batch.root[:12]}…: mined in block {batch.block_number} ({batch.gas_used:,} gas)")
        checkpoint("mined")
        return batch

    def _find_anchor(self, batch: Batch) -> Batch | None:
        """If the chain already holds this root, the batch is mined: find our transaction."""
        info = self.registry.root_info(bytes.fromhex(batch.root))
        if not info.anchored:
            return None
        if info.issuer_id != self.issuer.id:
            return self._resalt(batch, info.issuer_id)
        receipt = self._receipt(batch)
        if receipt is None or receipt["status"] != 1:
            receipt = self._receipt_from_logs(batch)
        return self._mined(batch, receipt)

    def _resalt(self, batch: Batch, taken_by: int) -> Batch:
        """Another issuer anchored this root first (root squatting: watched in the mempool and sent
        with a higher fee). The credentials are never given a proof to its root: one random leaf
        is added after theirs and the new root is anchored in this same run. The salt is
        recorded with the batch, so the tree can be rebuilt; a squatter who copies every new root
        too is given up on after MAX_RESALTS (the batch goes back to the queue, and the journal and
        the message name the issuer to report to governance). Why not in the contract: README."""
        tries = self._resalts.get(batch.id, 0) + 1
        if tries > MAX_RESALTS:
            error = (f"root {batch.root} was anchored first by issuer {taken_by}, after {MAX_RESALTS} fresh roots "
                     "were taken the same way; its credentials stay queued: ask the registry's governance to "
                     f"suspend issuer {taken_by}")
            self.store.release_batch(batch.id, error)
            self.say(f"batch {batch.root[:12]}…: {error}")
            return self.store.batch(batch.id)
        self._resalts[batch.id] = tries
        salt = os.urandom(32)
        hashes = [bytes.fromhex(h) for h in self.store.leaf_hashes(batch.id)]
        tree = build_tree([*hashes, salt])
        old = batch.root
        batch = self.store.update_batch(
            batch.id, "squatted", f"root {old} was anchored first by issuer {taken_by}; re-anchoring under root "
            f"{tree.root_hex} ({len(hashes):,} credentials and one salt leaf)",
            root=tree.root_hex, leaf_count=len(hashes) + 1, salt=salt.hex(), state="built", nonce=None,
            raw_tx=None, tx_hashes=(), fee_bumps=0, max_fee=None, priority_fee=None, tx_hash=None,
            block_number=None, block_hash=None, gas_used=None)
        self._tree = (batch.id, tree)
        self.say(f"batch {old[:12]}…: its root was anchored first by issuer {taken_by} (root squatting); "
                 f"anchoring the same credentials under a fresh root {tree.root_hex[:12]}…")
        return batch

    def _receipt_from_logs(self, batch: Batch):
        event = self.registry.contract.events.RootAnchored()
        head = guarded(lambda: self.w3.eth.block_number, "reading the head")
        logs = guarded(lambda: event.get_logs(from_block=max(0, head - 100_000), to_block=head,
                                              argument_filters={"root": bytes.fromhex(batch.root)}),
                       "scanning RootAnchored events")
        if not logs:
            raise ChainError(f"root {batch.root} is on chain but its RootAnchored event was not found")
        tx_hash = logs[-1]["transactionHash"]
        return guarded(lambda: self.w3.eth.get_transaction_receipt(tx_hash), "reading a receipt")

    def _await_confirmations(self, batch: Batch) -> Batch:
        started = time.monotonic()
        while True:
            receipt = self._receipt(batch)
            if receipt is None or "0x" + bytes(receipt["blockHash"]).hex() != batch.block_hash:
                # Reorged out (or moved): back to waiting for a receipt; the raw transaction is
                # broadcast again if the node dropped it.
                self.say(f"batch {batch.root[:12]}…: block {batch.block_number} was reorganised away")
                return self.store.update_batch(batch.id, "reorged", f"block {batch.block_number}", state="sent",
                                               tx_hash=None, block_number=None, block_hash=None)
            head = guarded(lambda: self.w3.eth.block_number, "reading the head")
            if head - batch.block_number + 1 >= self.options.confirmations:
                block = guarded(lambda: self.w3.eth.get_block(batch.block_number), "reading the anchor block")
                batch = self.store.update_batch(batch.id, "confirmed", f"{head - batch.block_number + 1} confirmations",
                                                state="confirmed", anchored_at=block["timestamp"])
                checkpoint("confirmed")
                return batch
            if time.monotonic() - started > self.options.timeout:
                raise ChainError(f"block {batch.block_number} did not reach {self.options.confirmations} "
                                 f"confirmations within {self.options.timeout:.0f} s; the next run continues")
            time.sleep(self.options.poll)

    def _write(self, batch: Batch) -> Batch:
        started = time.perf_counter()
        tree = self._tree[1] if self._tree and self._tree[0] == batch.id else None
        if tree is None:  # resumed: rebuild the same tree from the stored leaves (and salt)
            tree = batch_tree(self.store, batch)
        if tree.root_hex != batch.root:
            raise ChainError(f"batch {batch.root}: the stored leaves give root {tree.root_hex}; store damaged?")
        out = Path(batch.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        head, chained = proof_parts(batch)
        spec = WriteSpec(self.store.engine.url.render_as_string(hide_password=False), batch.id, str(out), head,
                         chained, self.options.bake)
        files = batch.credential_count  # the salt leaf, if any, is last and has no file
        workers = self.options.workers if files >= _PARALLEL_FILES else 1
        write_parallel(spec, tree, files, workers, self.say)
        self.store.finish_batch(batch.id, files)
        self.say(f"batch {batch.root[:12]}…: {files:,} credential files written to {out} in "
                 f"{time.perf_counter() - started:.1f} s")
        return self.store.batch(batch.id)
