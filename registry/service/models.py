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
# A learner's stack and the pathway to hold it to (the route reads it with read_request). A
# pathway that is not a well-formed pathway document is a question that cannot be answered (422,
# naming the field: the "bad documents"), which no JSON Schema can say in full (each
# achievement once, no cycle, n at most the children); the credentials may be anything: what is
# not a credential gets an invalid verdict. The subject is exactly what the
# route takes (null as if absent), so the schema and the route cannot disagree.
_SUBJECT_KEY = {"id": ("\\S", "the credentialSubject.id the learner's credentials name"),
                "email": ("@", "the learner's email, matched against each credential's salted identityHash")}
PATHWAY_BODY: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["pathway", "credentials"], "additionalProperties": False, "properties": {
        "pathway": {"type": "object",
                    "description": "A credreg pathway document with its proof chain (its JSON Schema: "
                                   "registry/pathways/pathway.schema.json). One that is not a well-formed pathway "
                                   "is refused, 422 naming the field; a well-formed one that fails its verification "
                                   "(edited, withdrawn, not anchored by its issuer) is answered `invalid`."},
        "credentials": {"type": "array", "items": {
            "description": "a credential of the learner; anything else gets an invalid verdict and never counts"}},
        "subject": {"description": "whose stack it is, needed when the credentials name several learners or none "
                                   "(by credentialSubject.id)", "anyOf": [
            *({"type": "object", "required": [key], "additionalProperties": False,
               "properties": {key: {"type": "string", "pattern": pattern, "description": what}}}
              for key, (pattern, what) in _SUBJECT_KEY.items()),
            {"type": "null"}]}}}}}}
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


# ---------------------------------------------------------------------------- a stack against a pathway
@with_config(_STRICT)
class PathwaySummaryModel(TypedDict):
    """The pathway checked: what it names (all None when it failed), and its own verdict."""

    id: str | None
    name: str | None
    issuer: str | None  # the issuer's DID
    version: str | None
    completion: dict[str, Any] | None  # the Open Badges 3.0 Achievement a complete stack earns
    verdict: VerdictModel


@with_config(_STRICT)
class RequirementModel(TypedDict):
    """One node of the requirement tree: a leaf (``kind`` "achievement": which credential met it)
    or an allOf / nOf group (its children, and how many of them are met of how many needed)."""

    path: str  # where it sits in the pathway document: "requirement.allOf[2]"
    kind: Literal["allOf", "nOf", "achievement"]
    name: str | None
    met: bool
    needed: int
    metCount: int
    detail: str
    achievement: NotRequired[str | None]  # a leaf's
    issuers: NotRequired[str | list[str] | None]  # a leaf's: "pathway", "accredited" or DIDs
    credential: NotRequired[int | None]  # a leaf's: the index of the presented credential that met it
    children: NotRequired[list[RequirementModel]]  # a group's


@with_config(_STRICT)
class CredentialUseModel(TypedDict):
    """A presented credential: its own verdict, whether it counted, the leaf it fills, and why."""

    index: int
    id: str | None
    counted: bool
    slot: str | None
    reason: str
    verdict: VerdictModel


@with_config(_STRICT)
class StackResultModel(TypedDict):
    """A learner's stack checked against a pathway: complete, incomplete, invalid (the pathway
    itself fails) or unverifiable; the tree, what is missing, and every credential's verdict."""

    status: Literal["complete", "incomplete", "invalid", "unverifiable"]
    detail: str
    pathway: PathwaySummaryModel
    requirement: RequirementModel | None
    missing: list[str]
    credentials: list[CredentialUseModel]


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


# ---------------------------------------------------------------------------- encrypted share links
# A share's request (routers/shares.py reads it raw and strictly, as the verify routes do).
MAX_SHARE_DAYS = 3650
# Exactly the texts the route takes: base64url of at least 29 bytes (39 characters) whose first
# byte is 1 ("AQ" to "Af"), of a length base64 can have (never 1 more than a multiple of 4).
_B64 = "[A-Za-z0-9_-]"
SHARE_CIPHERTEXT_PATTERN = f"^A[Q-Za-f]{_B64}{{36}}(?:{_B64}{{4}})*(?:{_B64}{{1,2}}|{_B64}{{4}})$"
SHARE_BODY: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["ciphertext"], "additionalProperties": False, "properties": {
        "ciphertext": {"type": "string", "pattern": SHARE_CIPHERTEXT_PATTERN,
                       "description": "base64url without padding of version byte (1) || 96-bit nonce || "
                                      "AES-256-GCM ciphertext and tag of the credential's JSON (29 bytes "
                                      "at least)"},
        "expiresInDays": {"type": "integer", "minimum": 1, "maximum": MAX_SHARE_DAYS,
                          "description": "days until the share is deleted (default: the verifier's, 365)"}}}}}}


class ShareCreatedModel(BaseModel):
    """A share stored: its link (append ``#KEY``), its expiry, and the token that deletes it."""

    id: str
    url: str
    expiresAt: str
    deleteToken: str


class ShareModel(BaseModel):
    """A stored share: the ciphertext alone; the key is in the link's fragment, never here."""

    id: str
    ciphertext: str
    createdAt: str
    expiresAt: str
