"""What the verifier knows of the chain: typed records, the ChainView protocol, and a direct
reader (for `credreg verify`) that asks the node each time. The service uses an event index
instead (registry.chain.indexer), so a verification there makes no RPC call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound

from registry.chain.client import RegistryClient, guarded
from registry.errors import ChainUnavailable


@dataclass(frozen=True)
class RootRecord:
    """What the chain says about an anchored root."""

    issuer_id: int
    leaf_count: int
    anchored_at: int
    revoked_at: int
    block_number: int
    transaction_hash: str


@dataclass(frozen=True)
class IssuerView:
    id: int
    name: str
    did: str
    suspended: bool


@dataclass(frozen=True)
class ViewHealth:
    ok: bool
    reason: str
    head_block: int | None = None
    indexed_block: int | None = None

    @property
    def lag(self) -> int | None:
        if self.head_block is None or self.indexed_block is None:
            return None
        return max(0, self.head_block - self.indexed_block)


class StatusLists(Protocol):
    """What the verifier knows of issuers' published status lists (their anchor maps), read from
    folders it was given, never fetched per request (``registry.status.lookup``)."""

    def list_issuer(self, url: str) -> str | None:
        """The DID whose published list ``url`` is; None for a list the verifier does not know."""

    def holder(self, url: str, index: int) -> tuple[str, int] | None:
        """(root, leaf) of the credential the list's anchor map places at ``index``, if any."""


class ChainView(Protocol):
    chain_id: int
    registry: str  # checksum address
    status_lists: StatusLists | None  # None: status entries are not cross-checked

    def health(self) -> ViewHealth: ...
    def root(self, root: str) -> RootRecord | None: ...
    def issuer(self, issuer_id: int) -> IssuerView | None: ...
    def is_revoked(self, root: str, leaf_index: int) -> bool: ...
    def head_block(self) -> int: ...
    def issuers(self) -> list[IssuerView]: ...
    def revoked_leaves(self, root: str) -> int: ...


class DirectChainView:
    """Reads the registry on each question. The block of a root comes from the RootAnchored log
    of the transaction the proof names, checked against the registry, never taken on trust; a
    root anchored by another transaction is found by scanning recent logs."""

    status_lists: StatusLists | None = None

    def __init__(self, client: RegistryClient, claimed_tx: str | None = None, scan_blocks: int = 50_000) -> None:
        self.client = client
        self.chain_id = client.chain_id
        self.registry = client.address
        self.claimed_tx = claimed_tx
        self.scan_blocks = scan_blocks
        self._head: int | None = None

    def health(self) -> ViewHealth:
        try:
            head = self.head_block()
        except ChainUnavailable as exc:
            return ViewHealth(False, str(exc))
        return ViewHealth(True, "read directly from the node", head, head)

    def head_block(self) -> int:
        if self._head is None:
            self._head = guarded(lambda: self.client.w3.eth.block_number, "reading the head block")
        return self._head

    def root(self, root: str) -> RootRecord | None:
        info = self.client.root_info(bytes.fromhex(root))
        if not info.anchored:
            return None
        event = self._anchor_event(root)
        if event is None:
            return None
        return RootRecord(info.issuer_id, info.leaf_count, info.anchored_at, info.revoked_at,
                          event["blockNumber"], "0x" + bytes(event["transactionHash"]).hex())

    def _anchor_event(self, root: str):
        anchored = self.client.contract.events.RootAnchored()
        w3 = self.client.w3
        if self.claimed_tx:
            try:
                receipt = guarded(lambda: w3.eth.get_transaction_receipt(HexBytes(self.claimed_tx)), "reading a receipt")
            except (TransactionNotFound, ValueError):
                receipt = None
            if receipt is not None:
                for log in anchored.process_receipt(receipt, errors=_discard()):
                    if log["address"] == self.registry and bytes(log["args"]["root"]).hex() == root:
                        return log
        head = self.head_block()
        logs = guarded(lambda: anchored.get_logs(from_block=max(0, head - self.scan_blocks), to_block=head,
                                                 argument_filters={"root": bytes.fromhex(root)}),
                       "scanning RootAnchored events")
        return logs[-1] if logs else None

    def issuer(self, issuer_id: int) -> IssuerView | None:
        if not 1 <= issuer_id <= self.client.issuer_count():
            return None
        record = self.client.issuer(issuer_id)
        return IssuerView(record.id, record.name, record.did, record.suspended)

    def is_revoked(self, root: str, leaf_index: int) -> bool:
        return self.client.is_revoked(bytes.fromhex(root), leaf_index)

    def issuers(self) -> list[IssuerView]:
        return [view for i in range(1, self.client.issuer_count() + 1) if (view := self.issuer(i))]

    def revoked_leaves(self, root: str) -> int:
        info = self.client.root_info(bytes.fromhex(root))
        words = (info.leaf_count + 255) // 256
        return sum(bin(self.client.revocation_word(bytes.fromhex(root), w)).count("1") for w in range(words))


def _discard():
    from web3.logs import DISCARD

    return DISCARD
