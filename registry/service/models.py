"""The JSON the verifier takes and gives, as its OpenAPI schema publishes it.

Every JSON route declares one of these as its ``response_model``, and FastAPI validates each answer
against it before writing it, so the schema and the answers cannot drift apart.

The verdict's shapes are strict TypedDicts, not BaseModels. A batch answer holds 8,000 of them
(a verdict and seven checks per credential), and pydantic validates a TypedDict for a fraction of
a model's cost: validating and writing 1,000 verdicts took about 3 ms of CPU more than writing the
unchecked dicts, against about 16 ms more as BaseModels, in a batch request of about 90 ms
(in-process, verification included). The schema is the same either way. The VC-API's answer,
which holds a verdict, is one as well; the routes' other answers, one per request, are models.

The request bodies are not models: the routes read them raw, capped before parsing, and parse
them strictly (see ``bodies.py``); their schemas here are what the routes accept.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, with_config
from typing_extensions import NotRequired, TypedDict  # pydantic reads typing's TypedDict only from Python 3.12

# ---------------------------------------------------------------------------- request bodies
CREDENTIAL_BODY: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "An Open Badges 3.0 credential with its credreg proof"}}}}
# Any item is taken: one that is not a credential gets an invalid verdict in its place. The
# array's maxItems is the app's max_batch, written in when the app builds its schema.
BATCH_BODY: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": {
    "type": "array", "items": {"description": "a credential; anything else gets an invalid verdict"}}}}}
# The W3C CCG VC-API's VerifyCredentialRequest: the credential, and the one option the API names.
# What the schema does not allow the route refuses (400), so the two cannot disagree.
VC_API_OPTIONS = {"returnCredential": bool}
VC_API_BODY: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["verifiableCredential"], "properties": {
        "verifiableCredential": {"type": "object",
                                 "description": "An Open Badges 3.0 credential with its credreg proof"},
        "options": {"type": "object", "additionalProperties": False, "properties": {
            "returnCredential": {"type": "boolean",
                                 "description": "send the credential back as it was verified"}}}}}}}}


# ---------------------------------------------------------------------------- the verdict
# Strict: the verdict is made by our code, so a value of another type is a bug, not a spelling to
# coerce (and strict validation is the quicker).
_STRICT = ConfigDict(strict=True)


@with_config(_STRICT)
class CheckModel(TypedDict):
    name: str
    passed: bool
    detail: str


@with_config(_STRICT)
class IssuerModel(TypedDict):
    id: int
    name: str
    did: str


@with_config(_STRICT)
class AnchorModel(TypedDict):
    chainId: int
    registry: str
    root: str
    transactionHash: str
    blockNumber: int
    anchoredAt: str


@with_config(_STRICT)
class VerdictModel(TypedDict):
    status: Literal["valid", "invalid", "revoked", "expired", "unverifiable"]
    checks: list[CheckModel]
    issuer: IssuerModel | None
    anchor: AnchorModel | None


# ---------------------------------------------------------------------------- the VC-API's answer
@with_config(_STRICT)
class ProblemModel(TypedDict):
    """A check that failed, in the VC-API's ProblemDetail terms: its name and what went wrong."""

    title: str
    detail: str


@with_config(_STRICT)
class VcApiResultsModel(TypedDict):
    credreg: VerdictModel


@with_config(_STRICT)
class VcApiVerificationModel(TypedDict):
    """The VC-API's VerificationResult: ``verified`` only for a valid verdict; the verdict itself
    (exactly as POST /v1/verify gives it) under ``results.credreg``."""

    verified: bool
    credential: NotRequired[dict[str, Any]]  # with the option returnCredential
    errors: list[ProblemModel]
    warnings: list[ProblemModel]
    results: VcApiResultsModel


# ---------------------------------------------------------------------------- the registry
class IssuerRecordModel(IssuerModel):
    suspended: bool


class RootModel(BaseModel):
    root: str
    issuerId: int
    leafCount: int
    anchoredAt: int
    revokedAt: int
    blockNumber: int
    transactionHash: str
    revokedLeaves: int


# ---------------------------------------------------------------------------- operations, errors
class HealthModel(BaseModel):
    ok: bool
    reason: str
    chainId: int
    registry: str
    indexedBlock: int | None
    headBlock: int | None
    lag: int | None


class ErrorModel(BaseModel):
    """A refused request (400, 413, 422, 404): what was wrong with it."""

    detail: str
