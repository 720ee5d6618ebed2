"""The pathway document: what an issuer publishes, read into a typed, immutable :class:`Pathway`.

A pathway says which achievements add up to a completion achievement (README, "Pathways"; the
JSON Schema ``pathway.schema.json`` beside this module says the same for other tools):

    {"type": "CredregPathway", "id": URI, "issuer": DID | {"id": DID, "name": ...},
     "name": str, "description": str, "validFrom": date-time, ["validUntil": date-time,]
     ["version": str,] ["maxAgeDays": int,]
     "completion": an Open Badges 3.0 Achievement,
     "requirement": node}

    node = {"allOf": [node, ...]}                       every child met
         | {"nOf": [node, ...], "n": int}               at least n children met
         | {"achievement": URI, "issuers": ISSUERS, ["maxAgeDays": int]}   a leaf
    ISSUERS = "pathway" (the pathway's issuer) | "accredited" (any issuer in the registry) | [DID, ...]

Every node may carry a ``name`` (what the page shows). A leaf is met by one valid credential of
that achievement from an issuer it allows, no older than its ``maxAgeDays`` (else the pathway's).
Achievements are unique in a tree, so one credential can fill one slot only (invariant 12); a
pathway that requires its own completion achievement is a cycle. Everything else is refused too:
unknown fields, ``n`` over the children, nesting deeper than :data:`MAX_DEPTH`. Each problem
raises :class:`~registry.errors.InvalidPathway` naming the field path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from registry import credentials
from registry.errors import InvalidCredential, InvalidPathway

PATHWAY_TYPE = "CredregPathway"
SCHEMA_FILE = Path(__file__).with_name("pathway.schema.json")
MAX_DEPTH = 6  # nodes from the root to the deepest leaf, the root counted
MAX_CHILDREN = 64
MAX_LEAVES = 256
MAX_AGE_DAYS = 36_500
PATHWAY_ISSUER, ACCREDITED = "pathway", "accredited"

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_TOP = {"type", "id", "issuer", "name", "description", "validFrom", "validUntil", "version",
        "maxAgeDays", "completion", "requirement", "proof"}
_LEAF = {"achievement", "issuers", "maxAgeDays", "name"}
_ALL_OF, _N_OF = {"allOf", "name"}, {"nOf", "n", "name"}


@dataclass(frozen=True)
class Leaf:
    path: str  # where it sits in the document: "requirement.allOf[2]"
    achievement: str
    issuers: str | tuple[str, ...]  # PATHWAY_ISSUER, ACCREDITED, or DIDs
    max_age_days: int | None  # the leaf's own, else the pathway's, else none
    name: str | None


@dataclass(frozen=True)
class Group:
    path: str
    kind: str  # "allOf" | "nOf"
    n: int  # children that must be met (all of them for allOf)
    children: tuple[Node, ...]
    name: str | None


Node = Leaf | Group


@dataclass(frozen=True)
class Pathway:
    id: str
    issuer: str  # the issuer's DID
    name: str
    description: str
    version: str | None
    completion: Mapping[str, Any]  # the Open Badges 3.0 Achievement a complete stack earns
    requirement: Node
    valid_from: datetime
    valid_until: datetime | None

    def leaves(self) -> list[Leaf]:
        found: list[Leaf] = []
        todo: list[Node] = [self.requirement]
        while todo:
            node = todo.pop()
            if isinstance(node, Leaf):
                found.append(node)
            else:
                todo.extend(reversed(node.children))
        return found


def read(doc: Any, source: str | None = None) -> Pathway:
    """``doc`` as a :class:`Pathway`, or :class:`InvalidPathway` naming ``source`` and the field."""
    try:
        return _read(doc)
    except InvalidPathway as exc:
        raise InvalidPathway(f"{source}: {exc}" if source else str(exc)) from None


def validate(doc: Any) -> None:
    """Accept a pathway document or raise :class:`InvalidPathway` (the verifier's format check)."""
    _read(doc)


def is_pathway(doc: Any) -> bool:
    """Whether ``doc`` says it is a pathway (its type), valid or not."""
    if not isinstance(doc, Mapping):
        return False
    kind = doc.get("type")
    return kind == PATHWAY_TYPE or (isinstance(kind, list) and PATHWAY_TYPE in kind)


def _fail(path: str, message: str) -> InvalidPathway:
    return InvalidPathway(f"{path}: {message}" if path else message)


def _string(doc: Mapping[str, Any], key: str, path: str, required: bool = True) -> str | None:
    if key not in doc:
        if required:
            raise _fail(path, f"{key}: missing")
        return None
    value = doc[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}{key}", "must be a non-empty string")
    return value


def _uri(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _URI.fullmatch(value):
        raise _fail(path, f"must be a URI (scheme:rest, no spaces), got {value!r}"[:200])
    return value


def _days(value: Any, path: str) -> int:
    if type(value) is not int or not 1 <= value <= MAX_AGE_DAYS:
        raise _fail(path, f"must be a whole number of days from 1 to {MAX_AGE_DAYS:,}, got {value!r}"[:200])
    return value


def _unknown(obj: Mapping[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        where = f"{path}.{extra[0]}" if path else extra[0]
        raise _fail(where, f"unknown field (allowed here: {', '.join(sorted(allowed))})")


def _read(doc: Any) -> Pathway:
    if not isinstance(doc, dict):
        raise _fail("", f"a pathway must be a JSON object, got {type(doc).__name__}")
    if not is_pathway(doc):
        raise _fail("type", f"must be {PATHWAY_TYPE!r}")
    _unknown(doc, _TOP, "")
    pid = _uri(doc.get("id"), "id") if "id" in doc else None
    if pid is None:
        raise _fail("id", "missing")
    issuer = doc.get("issuer")
    if isinstance(issuer, dict):
        _unknown(issuer, {"id", "type", "name"}, "issuer")
        issuer = issuer.get("id")
    issuer_did = _uri(issuer, "issuer" if not isinstance(doc.get("issuer"), dict) else "issuer.id")
    name = _string(doc, "name", "")
    description = _string(doc, "description", "")
    version = _string(doc, "version", "", required=False)
    try:
        valid_from = credentials.parse_datetime(doc.get("validFrom"), "validFrom") if "validFrom" in doc else None
        valid_until = credentials.parse_datetime(doc["validUntil"], "validUntil") if "validUntil" in doc else None
    except InvalidCredential as exc:
        raise InvalidPathway(str(exc)) from None
    if valid_from is None:
        raise _fail("validFrom", "missing (`credreg pathway publish` sets it)")
    if valid_until is not None and valid_until < valid_from:
        raise _fail("validUntil", "is before validFrom")
    default_age = _days(doc["maxAgeDays"], "maxAgeDays") if "maxAgeDays" in doc else None
    if "completion" not in doc:
        raise _fail("completion", "missing (the Open Badges 3.0 Achievement a complete stack earns)")
    try:
        credentials.validate_achievement(doc["completion"], "completion")
    except InvalidCredential as exc:
        raise InvalidPathway(str(exc)) from None
    if "requirement" not in doc:
        raise _fail("requirement", "missing")
    seen: dict[str, str] = {}
    requirement = _node(doc["requirement"], "requirement", 1, default_age, seen)
    completion_id = doc["completion"]["id"]
    if completion_id in seen:
        raise _fail(seen[completion_id], f"requires {completion_id}, the pathway's own completion achievement: a cycle")
    if "proof" in doc and not isinstance(doc["proof"], list | dict):
        raise _fail("proof", "must be a proof or a list of proofs")
    return Pathway(pid, issuer_did, name, description, version, doc["completion"], requirement, valid_from,
                   valid_until)


def _node(value: Any, path: str, depth: int, default_age: int | None, seen: dict[str, str]) -> Node:
    if depth > MAX_DEPTH:
        raise _fail(path, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(value, dict):
        raise _fail(path, f"must be an object (allOf, nOf or an achievement), got {type(value).__name__}")
    name = _string(value, "name", path + ".", required=False)
    kinds = [k for k in ("allOf", "nOf", "achievement") if k in value]
    if len(kinds) != 1:
        raise _fail(path, "must have exactly one of allOf, nOf, achievement" + (f" (has {', '.join(kinds)})" if kinds else ""))
    if kinds[0] == "achievement":
        _unknown(value, _LEAF, path)
        return _leaf(value, path, default_age, name, seen)
    kind = kinds[0]
    _unknown(value, _ALL_OF if kind == "allOf" else _N_OF, path)
    children = value[kind]
    if not isinstance(children, list) or not children:
        raise _fail(f"{path}.{kind}", "must be a non-empty array of nodes")
    if len(children) > MAX_CHILDREN:
        raise _fail(f"{path}.{kind}", f"has {len(children)} children; at most {MAX_CHILDREN}")
    nodes = tuple(_node(child, f"{path}.{kind}[{i}]", depth + 1, default_age, seen) for i, child in enumerate(children))
    if kind == "allOf":
        if "n" in value:
            raise _fail(f"{path}.n", "only an nOf node has n")
        return Group(path, kind, len(nodes), nodes, name)
    if "n" not in value:
        raise _fail(f"{path}.n", "missing (how many of the nOf children must be met)")
    n = value["n"]
    if type(n) is not int or n < 1:
        raise _fail(f"{path}.n", f"must be a whole number of at least 1, got {n!r}"[:200])
    if n > len(nodes):
        raise _fail(f"{path}.n", f"is {n}, more than its {len(nodes)} children")
    return Group(path, kind, n, nodes, name)


def _leaf(value: Mapping[str, Any], path: str, default_age: int | None, name: str | None,
          seen: dict[str, str]) -> Leaf:
    achievement = _uri(value["achievement"], f"{path}.achievement")
    if achievement in seen:
        raise _fail(f"{path}.achievement", f"{achievement} is required again (first at {seen[achievement]}): "
                                           "one credential may fill one slot, so each achievement appears once")
    seen[achievement] = f"{path}.achievement"
    if len(seen) > MAX_LEAVES:
        raise _fail(path, f"more than {MAX_LEAVES} achievements in one pathway")
    if "issuers" not in value:
        raise _fail(f"{path}.issuers", f"missing ({PATHWAY_ISSUER!r}, {ACCREDITED!r} or a list of issuer DIDs)")
    issuers = value["issuers"]
    if isinstance(issuers, list):
        if not issuers:
            raise _fail(f"{path}.issuers", "must name at least one issuer DID")
        dids = tuple(_uri(d, f"{path}.issuers[{i}]") for i, d in enumerate(issuers))
        if len(set(dids)) != len(dids):
            raise _fail(f"{path}.issuers", "names an issuer twice")
        allowed: str | tuple[str, ...] = dids
    elif issuers in (PATHWAY_ISSUER, ACCREDITED):
        allowed = issuers
    else:
        raise _fail(f"{path}.issuers", f"must be {PATHWAY_ISSUER!r}, {ACCREDITED!r} or a list of issuer DIDs, "
                                       f"got {issuers!r}"[:200])
    age = _days(value["maxAgeDays"], f"{path}.maxAgeDays") if "maxAgeDays" in value else default_age
    return Leaf(path, achievement, allowed, age, name)
