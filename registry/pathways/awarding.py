"""Who has completed a pathway, and the completion credential each is given.

Candidates come from the issuer's store (its anchored credentials of the pathway's achievements)
and from credentials presented to `credreg pathway award --with`. They are grouped into learners
by ``credentialSubject.id``. A learner known only by a hashed email (a roster credential) cannot
be grouped from the store, which holds no emails: the issuer names them with ``--email``, and
that learner's stack is then every stored or presented credential whose salted ``identityHash``
matches it. Each learner's stack is checked with :func:`registry.pathways.check`; only a
``complete`` one is awarded.

The completion credential is an Open Badges 3.0 ``OpenBadgeCredential``: the learner's subject
(same ``id``, or a copy of the matched hashed email identifier), the pathway's ``completion``
achievement, and ``evidence`` naming the pathway and each counted component by id and targetHash.
The learner's key in the award table is the subject id, or for an email a digest of issuer,
pathway and address (so the table holds no address).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from registry.credentials import proofs
from registry.credentials.model import OB_CONTEXT, VC_CONTEXT
from registry.pathways.checking import StackResult, Subject
from registry.pathways.document import Pathway


@dataclass(frozen=True)
class Learner:
    key: str  # the award table's learner: a credentialSubject.id, or "email-sha256:<digest>"
    subject: Subject
    label: str  # what output shows: the id, or "the learner of <email>"
    stack: tuple[dict[str, Any], ...]


def needles(pathway: Pathway) -> list[str]:
    """Text that a stored credential of one of the pathway's achievements contains (RFC 8785)."""
    return [f'"id":{rfc8785.dumps(leaf.achievement).decode()}' for leaf in pathway.leaves()]


def subject_id(doc: Mapping[str, Any]) -> str | None:
    subject = doc.get("credentialSubject")
    sid = subject.get("id") if isinstance(subject, Mapping) else None
    return sid if isinstance(sid, str) else None


def may_count(pathway: Pathway, doc: Mapping[str, Any], by_email: bool) -> bool:
    """Whether a stored credential is worth rebuilding as anchored: one of the pathway's
    achievements, and a learner it can be grouped by (an id; any, when an email is named)."""
    if achievement_of(doc) not in {leaf.achievement for leaf in pathway.leaves()}:
        return False
    return by_email or subject_id(doc) is not None


def achievement_of(doc: Mapping[str, Any]) -> str | None:
    subject = doc.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    return achievement.get("id") if isinstance(achievement, Mapping) else None


def email_key(issuer_did: str, pathway_id: str, email: str) -> str:
    digest = hashlib.sha256(f"{issuer_did}\n{pathway_id}\n{email.strip().lower()}".encode()).hexdigest()
    return f"email-sha256:{digest}"


def learners(pathway: Pathway, stored: Iterable[dict[str, Any]], presented: Sequence[dict[str, Any]],
             email: str | None = None) -> list[Learner]:
    """The learners to check: by ``credentialSubject.id`` over the stored credentials of the
    pathway's achievements and the presented ones; with ``email``, that one learner only."""
    wanted = {leaf.achievement for leaf in pathway.leaves()}
    relevant = [doc for doc in stored if achievement_of(doc) in wanted]
    if email is not None:
        subject = Subject(email=email.strip().lower())
        stack = tuple(d for d in [*relevant, *presented] if subject.matches(d))
        return [Learner(email_key(pathway.issuer, pathway.id, email), subject, f"the learner of {email}", stack)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for doc in [*relevant, *presented]:
        sid = subject_id(doc)
        if sid is not None:
            groups.setdefault(sid, []).append(doc)
    return [Learner(sid, Subject(id=sid), sid, tuple(docs)) for sid, docs in groups.items()]


def evidence(pathway_doc: Mapping[str, Any], result: StackResult, stack: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The pathway, then each component that counted: by id, with the targetHash it is anchored under."""
    pathway = result.pathway
    items = [{"id": pathway.id, "type": ["Evidence"], "name": f"Pathway: {pathway.name}"
              + (f" (version {pathway.version})" if pathway.version else ""),
              "description": f"targetHash {proofs.format_2_target_hash(pathway_doc).hex()}",
              "genre": "Pathway"}]
    for use in result.credentials:
        if not use.counted:
            continue
        doc = stack[use.index]
        _, computed = proofs.read_receipt(doc)
        items.append({"id": use.id, "type": ["Evidence"], "name": str(doc.get("name") or achievement_of(doc)),
                      "description": f"targetHash {computed.hex()}; fills {use.slot}",
                      "genre": "Component credential"})
    return items


def completion_credential(pathway_doc: Mapping[str, Any], result: StackResult, learner: Learner,
                          valid_from: str) -> dict[str, Any]:
    """The unsigned Open Badges 3.0 credential a complete stack earns, ready for `credreg issue`'s path."""
    pathway = result.pathway
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if learner.subject.id is not None:
        subject["id"] = learner.subject.id
    else:
        subject["identifier"] = [_matched_identifier(learner.stack[u.index], learner.subject)
                                 for u in result.credentials if u.counted][:1]
    subject["achievement"] = dict(pathway.completion)
    return {"@context": [VC_CONTEXT, OB_CONTEXT], "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": pathway.completion.get("name", pathway.name),
            "description": f"Awarded for completing the pathway {pathway.name} ({pathway.id}).",
            "validFrom": valid_from, "credentialSubject": subject, "evidence": evidence(pathway_doc, result, learner.stack)}


def _matched_identifier(doc: Mapping[str, Any], subject: Subject) -> dict[str, Any]:
    for ident in doc["credentialSubject"].get("identifier") or ():
        if isinstance(ident, Mapping) and ident.get("identityType") == "emailAddress" \
                and subject.matches({"credentialSubject": {"identifier": [ident]}}):
            return dict(ident)
    raise AssertionError("a counted credential matched the email")  # check() counted it by this match
