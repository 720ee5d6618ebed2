"""The chain view of `credreg pathway check`: one direct view for several documents, each root
looked for where its own document's proof says it was anchored."""

from __future__ import annotations

from typing import Any

from registry.chain.view import DirectChainView, RootRecord
from registry.errors import BadInput


class StackView(DirectChainView):
    """One direct view for several documents. A direct view looks for a root's RootAnchored log in
    the transaction a proof names (and scans recent blocks when it is not there); here each root is
    looked for in the transaction that its own document's proof names. A hint only, as for one
    document: the log is checked against the registry and the root, never taken on trust."""

    def __init__(self, client, claims: dict[str, str]) -> None:
        super().__init__(client)
        self._claims = claims

    def root(self, root: str) -> RootRecord | None:
        self.claimed_tx = self._claims.get(_plain(root))
        return super().root(root)


def _plain(root: str) -> str:
    return root.lower().removeprefix("0x")


def claims_of(docs: list[Any]) -> dict[str, str]:
    """root -> the transaction each document's proof says anchored it, for those that say."""
    from registry.credentials.proofs import read_receipt

    claims: dict[str, str] = {}
    for doc in docs:
        try:
            receipt, _ = read_receipt(doc)
            root, tx = receipt["merkleRoot"], receipt["anchor"]["transactionHash"]
        except (BadInput, KeyError, TypeError, AttributeError, ValueError):
            continue  # no readable proof: the verdict will say so
        if isinstance(root, str) and isinstance(tx, str):
            claims.setdefault(_plain(root), tx)
    return claims
