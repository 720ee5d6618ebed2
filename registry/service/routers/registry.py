"""GET /v1/issuers and /v1/roots/{root}: what the registry holds, as the chain index has it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from registry.service.dependencies import View
from registry.service.models import ErrorModel, IssuerRecordModel, RootModel

router = APIRouter(prefix="/v1", tags=["registry"])

# Published in the schema only: the route checks the root itself, to refuse it with its own message.
_ROOT = Path(description="the root: 32 bytes of hex, with or without 0x",
             json_schema_extra={"pattern": "^(0[xX])?[0-9a-fA-F]{64}$"})


@router.get("/issuers", response_model=list[IssuerRecordModel])
def issuers(view: View) -> list[dict[str, Any]]:
    """The issuers the registry has accredited, as the index holds them."""
    return [{"id": i.id, "name": i.name, "did": i.did, "suspended": i.suspended} for i in view.issuers()]


@router.get("/roots/{root}", response_model=RootModel,
            responses={404: {"model": ErrorModel, "description": "root not anchored"},
                       422: {"model": ErrorModel, "description": "not a 32-byte hex root"}})
def root(root: Annotated[str, _ROOT], view: View) -> dict[str, Any]:
    """What the index holds of one anchored root."""
    key = root.lower().removeprefix("0x")
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise HTTPException(422, f"{root!r} is not a 32-byte hex root")
    record = view.root(key)
    if record is None:
        raise HTTPException(404, f"root {key} is not anchored in registry {view.registry}")
    revoked = view.revoked_leaves(key)
    return {"root": key, "issuerId": record.issuer_id, "leafCount": record.leaf_count,
            "anchoredAt": record.anchored_at, "revokedAt": record.revoked_at, "blockNumber": record.block_number,
            "transactionHash": record.transaction_hash, "revokedLeaves": revoked}
