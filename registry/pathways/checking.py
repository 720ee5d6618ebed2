"""Checking a learner's stack of credentials against a pathway: pure logic over a chain view.

The pathway is verified first, as a credential is (it carries the same proof chain): a pathway
that fails is ``invalid`` (one withdrawn by its issuer, revoked on chain, says so), one that cannot
be checked now is ``unverifiable``. Then every presented credential gets its own verdict, and only
``valid`` ones of the one learner can fill a leaf: the learner is the given ``credentialSubject.id``,
or the given email matched against each credential's salted ``identityHash`` (the email is never
stored or echoed). A leaf takes one credential of its achievement, from an issuer it allows, no
older than its ``maxAgeDays``; each credential fills at most one leaf (invariant 12: achievements
are unique in a pathway, and a credential presented twice counts once). The answer says, for
every node, whether it is met and by which credential, for every credential whether it counted
and why not, and what is still missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from registry import credentials
from registry.chain.view import ChainView
from registry.errors import BadInput
from registry.pathways import document as pathway_document
from registry.pathways.document import ACCREDITED, PATHWAY_ISSUER, Leaf, Node, Pathway
from registry.verification import Document, Verdict, verify

PATHWAY = Document("a credreg pathway", pathway_document.validate)
MAX_CREDENTIALS = 1000
STATUSES = ("complete", "incomplete", "invalid", "unverifiable")


@dataclass(frozen=True)
class Subject:
    """Whose stack it is: a ``credentialSubject.id``, or an email matched against hashed identities."""

    id: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, value: Any) -> Subject | None:
        """The ``subject`` of a request (``{"id": ...}`` or ``{"email": ...}``), or BadInput."""
        if value is None:
            return None
        if not isinstance(value, Mapping) or len(value) != 1 or not ({"id", "email"} & set(value)):
            raise BadInput('subject: must be {"id": "<credentialSubject.id>"} or {"email": "<address>"}')
        key, given = next(iter(value.items()))
        if not isinstance(given, str) or not given.strip() or (key == "email" and "@" not in given):
            raise BadInput(f"subject.{key}: must be a non-empty {'email address' if key == 'email' else 'URI'}")
        return cls(id=given) if key == "id" else cls(email=given.strip().lower())

    def matches(self, doc: Mapping[str, Any]) -> bool:
        subject = doc.get("credentialSubject")
        if not isinstance(subject, Mapping):
            return False
        if self.id is not None:
            return subject.get("id") == self.id
        email = (self.email or "").strip().lower()  # as the roster hashed it
        for ident in subject.get("identifier") or ():
            if not isinstance(ident, Mapping) or ident.get("identityType") != "emailAddress":
                continue
            held = ident.get("identityHash")
            if ident.get("hashed") is True:
                salt = ident.get("salt", "")
                if isinstance(salt, str) and held == credentials.identity_hash(email, salt):
                    return True
            elif isinstance(held, str) and held.strip().lower() == email:
                return True
        return False


@dataclass(frozen=True)
class NodeResult:
    path: str
    kind: str  # "allOf" | "nOf" | "achievement"
    name: str | None
    met: bool
    needed: int  # children to meet (1 for a leaf)
    met_count: int
    detail: str
    achievement: str | None = None  # a leaf's
    issuers: str | tuple[str, ...] | None = None
    credential: int | None = None  # the index of the presented credential that fills a leaf
    children: tuple[NodeResult, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "kind": self.kind, "name": self.name, "met": self.met,
                               "needed": self.needed, "metCount": self.met_count, "detail": self.detail}
        if self.kind == "achievement":
            out |= {"achievement": self.achievement,
                    "issuers": list(self.issuers) if isinstance(self.issuers, tuple) else self.issuers,
                    "credential": self.credential}
        else:
            out["children"] = [c.as_dict() for c in self.children]
        return out


@dataclass(frozen=True)
class CredentialUse:
    index: int
    id: str | None
    verdict: Verdict
    counted: bool
    slot: str | None  # the leaf it fills
    reason: str  # why it counted, or why not

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "counted": self.counted, "slot": self.slot,
                "reason": self.reason, "verdict": self.verdict.as_dict()}


@dataclass(frozen=True)
class StackResult:
    status: str  # complete | incomplete | invalid | unverifiable
    detail: str
    pathway_verdict: Verdict
    pathway: Pathway | None
    requirement: NodeResult | None
    missing: tuple[str, ...]
    credentials: tuple[CredentialUse, ...]

    def as_dict(self) -> dict[str, Any]:
        p = self.pathway
        return {"status": self.status, "detail": self.detail,
                "pathway": {"id": p.id if p else None, "name": p.name if p else None,
                            "issuer": p.issuer if p else None, "version": p.version if p else None,
                            "completion": dict(p.completion) if p else None,
                            "verdict": self.pathway_verdict.as_dict()},
                "requirement": self.requirement.as_dict() if self.requirement else None,
                "missing": list(self.missing),
                "credentials": [c.as_dict() for c in self.credentials]}


def check(pathway_doc: Any, presented: Sequence[Any], view: ChainView, *, subject: Subject | None = None,
          confirmations: int = 1, now: datetime | None = None) -> StackResult:
    """The answer on ``presented`` against ``pathway_doc``. Questions that cannot be answered
    raise BadInput: a pathway that is not a well-formed pathway document (InvalidPathway, naming
    the field: exit 2, HTTP 422), too many credentials, several learners and no subject. A
    well-formed pathway that fails its verification (edited, withdrawn, unanchored, another
    issuer's root) is an answer, ``invalid``; so is anything wrong with a credential."""
    now = now or datetime.now(UTC)
    if len(presented) > MAX_CREDENTIALS:
        raise BadInput(f"credentials: {len(presented):,} given; at most {MAX_CREDENTIALS:,} per check")
    pathway = pathway_document.read(pathway_doc, "pathway")
    verdict = verify(pathway_doc, view, confirmations=confirmations, now=now, document=PATHWAY)
    verdicts = [verify(doc, view, confirmations=confirmations, now=now) for doc in presented]
    if verdict.status != "valid":
        status = "unverifiable" if verdict.status == "unverifiable" else "invalid"
        failed = next((c for c in verdict.checks if not c.passed), None)
        why = ("the pathway was withdrawn by its issuer" if verdict.status == "revoked"
               else f"the pathway is {verdict.status}")
        detail = f"{why}: {failed.detail}" if failed else why
        uses = tuple(CredentialUse(i, _id_of(doc), v, False, None, "not counted: the pathway itself fails")
                     for i, (doc, v) in enumerate(zip(presented, verdicts)))
        return StackResult(status, detail, verdict, None, None, (), uses)
    subject = subject or _only_learner(presented, verdicts)
    leaves = {leaf.achievement: leaf for leaf in pathway.leaves()}
    filled: dict[str, int] = {}  # leaf path -> presented index
    uses: list[CredentialUse] = []
    seen_ids: dict[str, int] = {}
    for i, (doc, v) in enumerate(zip(presented, verdicts)):
        cid = _id_of(doc)
        slot, reason = _place(doc, v, i, cid, subject, pathway, leaves, filled, seen_ids, now)
        if slot is not None:
            filled[slot] = i
        if cid is not None and v.status == "valid":
            seen_ids.setdefault(cid, i)
        uses.append(CredentialUse(i, cid, v, slot is not None, slot, reason))
    tree = _evaluate(pathway.requirement, filled, presented)
    if tree.met:
        status, detail = "complete", f"every requirement of {pathway.name} is met"
    elif any(v.status == "unverifiable" for v in verdicts):
        status, detail = "unverifiable", "incomplete with the credentials that could be checked; some could not be now"
    else:
        status, detail = "incomplete", f"{pathway.name}: {tree.met_count} of {tree.needed} top-level requirements met"
    return StackResult(status, detail, verdict, pathway, tree, tuple(_missing(tree)), tuple(uses))


def _id_of(doc: Any) -> str | None:
    return doc.get("id") if isinstance(doc, Mapping) and isinstance(doc.get("id"), str) else None


def _achievement_of(doc: Mapping[str, Any]) -> str | None:
    subject = doc.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    return achievement.get("id") if isinstance(achievement, Mapping) else None


def _only_learner(presented: Sequence[Any], verdicts: list[Verdict]) -> Subject | None:
    """Without a subject given, the one ``credentialSubject.id`` the valid credentials share."""
    ids = set()
    for doc, v in zip(presented, verdicts):
        if v.status == "valid":
            subject = doc.get("credentialSubject")
            ids.add(subject.get("id") if isinstance(subject, Mapping) else None)
    named = {i for i in ids if isinstance(i, str)}
    if len(named) > 1:
        raise BadInput(f"the credentials name {len(named)} learners (credentialSubject.id); say whose stack "
                       'it is with subject {"id": ...} or {"email": ...}')
    if None in ids:
        return None if not named else Subject(id=next(iter(named)))
    return Subject(id=next(iter(named))) if named else None


def _place(doc: Any, v: Verdict, i: int, cid: str | None, subject: Subject | None, pathway: Pathway,
           leaves: dict[str, Leaf], filled: dict[str, int], seen_ids: dict[str, int],
           now: datetime) -> tuple[str | None, str]:
    """The leaf credential ``i`` fills, or None, and why."""
    if v.status != "valid":
        return None, f"not counted: the credential is {v.status}"
    if cid is not None and cid in seen_ids:
        return None, f"not counted: the same credential as credential {seen_ids[cid]} (one credential fills one slot)"
    if subject is None:
        return None, ("not counted: no learner to hold it to; give the subject (its id, or the email its "
                      "hashed identity was made from)")
    if not subject.matches(doc):
        return None, "not counted: the credential belongs to another learner"
    achievement = _achievement_of(doc)
    leaf = leaves.get(achievement) if achievement else None
    if leaf is None:
        return None, f"not counted: the pathway does not require its achievement ({achievement})"
    issuer = (v.issuer or {}).get("did")
    if not _allows(leaf, issuer, pathway):
        return None, f"not counted: {leaf.path} does not accept credentials from {issuer}"
    if leaf.max_age_days is not None:
        issued = credentials.parse_datetime(doc["validFrom"], "validFrom")
        if issued < now - timedelta(days=leaf.max_age_days):
            return None, (f"not counted: issued {doc['validFrom']}, more than the {leaf.max_age_days} days "
                          f"{leaf.path} allows")
    if leaf.path in filled:
        return None, f"not counted: {leaf.path} is already met by credential {filled[leaf.path]}"
    return leaf.path, f"fills {leaf.path} ({leaf.name or leaf.achievement})"


def _allows(leaf: Leaf, issuer: str | None, pathway: Pathway) -> bool:
    if issuer is None:
        return False
    if leaf.issuers == ACCREDITED:
        return True  # a valid verdict means the registry accredits its issuer and it is not suspended
    if leaf.issuers == PATHWAY_ISSUER:
        return issuer == pathway.issuer
    return issuer in leaf.issuers


def _evaluate(node: Node, filled: dict[str, int], presented: Sequence[Any]) -> NodeResult:
    if isinstance(node, Leaf):
        at = filled.get(node.path)
        if at is None:
            detail = f"missing: a valid credential for {node.name or node.achievement}"
        else:
            detail = f"met by credential {at}" + (f" ({_id_of(presented[at])})" if _id_of(presented[at]) else "")
        return NodeResult(node.path, "achievement", node.name, at is not None, 1, int(at is not None), detail,
                          node.achievement, node.issuers, at)
    children = tuple(_evaluate(child, filled, presented) for child in node.children)
    count = sum(c.met for c in children)
    met = count >= node.n
    what = "all" if node.kind == "allOf" else f"{node.n}"
    detail = f"{count} of {len(children)} met; {what} needed"
    return NodeResult(node.path, node.kind, node.name, met, node.n, count, detail, children=children)


def _label(node: NodeResult) -> str:
    return node.name or node.achievement or node.path


def _missing(node: NodeResult) -> list[str]:
    """What is still needed, from the top: each unmet leaf, and for an nOf how many more of which."""
    if node.met:
        return []
    if node.kind == "achievement":
        return [_label(node)]
    unmet = [c for c in node.children if not c.met]
    if node.kind == "nOf":
        more = node.needed - node.met_count
        return [f"{more} more of: " + ", ".join(_label(c) for c in unmet)]
    return [m for c in unmet for m in _missing(c)]


def read_request(body: Any) -> tuple[Any, list[Any], Subject | None]:
    """``{"pathway", "credentials", "subject"}`` read, or BadInput naming the field."""
    if not isinstance(body, Mapping):
        raise BadInput('the body must be a JSON object: {"pathway": ..., "credentials": [...], "subject": ...}')
    extra = sorted(set(body) - {"pathway", "credentials", "subject"})
    if extra:
        raise BadInput(f"{extra[0]}: unknown field (allowed: pathway, credentials, subject)")
    if "pathway" not in body:
        raise BadInput("pathway: missing")
    presented = body.get("credentials")
    if not isinstance(presented, list):
        raise BadInput("credentials: must be a JSON array of credentials")
    return body["pathway"], presented, Subject.of(body.get("subject"))
