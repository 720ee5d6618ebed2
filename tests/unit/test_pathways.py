"""Pathways in memory: the document's checks (each bad document refused, naming its field) and
checking a stack over a FakeView (registry.pathways.checking), honest and dishonest."""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain_fakes import ACADEMY, EXAMPLES, FakeView, anchored_format_2, prepared, receipt_of  # noqa: E402

from registry import credentials  # noqa: E402
from registry.chain.view import IssuerView  # noqa: E402
from registry.errors import BadInput, InvalidPathway  # noqa: E402
from registry.pathways import Subject, check, read  # noqa: E402
from registry.pathways.document import MAX_DEPTH, SCHEMA_FILE  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "pathways" / "junior-data-analyst.json"
SQL = "https://learn.example.org/achievements/intro-to-sql"
PYTHON = "https://learn.example.org/achievements/data-analysis-python-level-1"
WEB = "https://learn.example.org/achievements/accessible-web-design"
AID = "https://learn.example.org/achievements/emergency-first-aid-at-work"
LEARNER = "did:example:learner-ada"
OTHER_ISSUER = IssuerView(2, "Other Institute", "did:web:other.example", False)


def pathway_doc(**changes) -> dict:
    doc = json.loads(EXAMPLE.read_text())
    doc["issuer"] = {"id": ACADEMY.did, "name": ACADEMY.name}
    doc["validFrom"] = "2026-01-01T00:00:00Z"
    doc.update(changes)
    return doc


def python_credential() -> dict:
    doc = json.loads((EXAMPLES / "intro-to-sql.json").read_text())
    doc["name"] = "Data Analysis with Python – Level 1"
    doc["credentialSubject"]["achievement"] = json.loads((REPO / "examples" / "achievement.json").read_text())
    return doc


def earned(achievement: str, learner: str = LEARNER, **fields) -> dict:
    """An example credential of ``achievement`` for ``learner`` (by id), prepared under the Academy."""
    source = {SQL: "intro-to-sql", WEB: "accessible-web-design", AID: "workplace-first-aid"}.get(achievement)
    doc = prepared(source, **fields) if source else credentials.prepare(
        {**python_credential(), **fields}, ACADEMY.did, ACADEMY.name)
    doc["credentialSubject"] = {**doc["credentialSubject"], "id": learner}
    doc["credentialSubject"].pop("identifier", None)
    return doc


@pytest.fixture()
def view() -> FakeView:
    v = FakeView()
    v._issuers[OTHER_ISSUER.id] = OTHER_ISSUER
    return v


def owned_by(view, doc, issuer: IssuerView) -> None:
    """Make the root ``doc`` sits under one that ``issuer`` anchored."""
    root = receipt_of(doc)["merkleRoot"]
    view.roots[root] = dataclasses.replace(view.roots[root], issuer_id=issuer.id)


def anchored(view, docs):
    return anchored_format_2(view, docs)


def published(view, **changes):
    return anchored(view, [pathway_doc(**changes)])[0]


# ---------------------------------------------------------------------------- the document
def test_the_example_pathway_reads_into_its_tree():
    p = read(pathway_doc())
    assert p.issuer == ACADEMY.did and p.name == "Junior Data Analyst Certificate"
    assert [leaf.achievement for leaf in p.leaves()] == [SQL, PYTHON, WEB, AID]
    assert p.requirement.kind == "allOf" and p.requirement.children[2].kind == "nOf"
    assert all(leaf.max_age_days == 1825 for leaf in p.leaves())


def _bad(edit, expected: str):
    doc = pathway_doc()
    edit(doc)
    with pytest.raises(InvalidPathway) as exc:
        read(doc, "p.json")
    assert expected in str(exc.value), str(exc.value)
    assert str(exc.value).startswith("p.json: ")


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d.update(colour="blue"), "colour: unknown field"),
    (lambda d: d["requirement"]["allOf"][0].update(weight=2), "requirement.allOf[0].weight: unknown field"),
    (lambda d: d["requirement"]["allOf"][2].update(n=3), "requirement.allOf[2].n: is 3, more than its 2 children"),
    (lambda d: d["requirement"]["allOf"][2].update(n=0), "requirement.allOf[2].n: must be a whole number of at least 1"),
    (lambda d: d["requirement"]["allOf"][2].pop("n"), "requirement.allOf[2].n: missing"),
    (lambda d: d["requirement"]["allOf"].append({"achievement": SQL, "issuers": "accredited"}),
     "requirement.allOf[3].achievement: https://learn.example.org/achievements/intro-to-sql is required again "
     "(first at requirement.allOf[0].achievement)"),
    (lambda d: d["requirement"]["allOf"][2]["nOf"].append(
        {"achievement": d["completion"]["id"], "issuers": "pathway"}),
     "requirement.allOf[2].nOf[2].achievement: requires https://learn.example.org/achievements/junior-data-analyst-"
     "certificate, the pathway's own completion achievement: a cycle"),
    (lambda d: d["requirement"]["allOf"][0].update(issuers="anyone"), "requirement.allOf[0].issuers: must be"),
    (lambda d: d["requirement"]["allOf"][0].update(issuers=[]), "requirement.allOf[0].issuers: must name at least one"),
    (lambda d: d["requirement"]["allOf"][0].update(issuers=["not a did"]), "requirement.allOf[0].issuers[0]: must be a URI"),
    (lambda d: d["requirement"].update(nOf=[]), "requirement: must have exactly one of allOf, nOf, achievement"),
    (lambda d: d["requirement"].update(allOf=[]), "requirement.allOf: must be a non-empty array"),
    (lambda d: d.update(maxAgeDays=-1), "maxAgeDays: must be a whole number of days"),
    (lambda d: d["completion"].pop("criteria"), "completion.criteria: missing"),
    (lambda d: d.pop("validFrom"), "validFrom: missing"),
    (lambda d: d.update(validUntil="2025-01-01T00:00:00Z"), "validUntil: is before validFrom"),
    (lambda d: d.update(type="OpenBadgeCredential"), "type: must be 'CredregPathway'"),
    (lambda d: d.pop("id"), "id: missing"),
])
def test_a_bad_pathway_is_refused_naming_the_field(edit, expected):
    _bad(edit, expected)


def test_nesting_deeper_than_the_limit_is_refused():
    node = {"achievement": SQL, "issuers": "pathway"}
    for _ in range(MAX_DEPTH):
        node = {"allOf": [node]}
    _bad(lambda d: d.update(requirement=node), f"nested deeper than {MAX_DEPTH} levels")


def test_the_json_schema_accepts_the_example_and_refuses_what_the_reader_refuses():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(pathway_doc()))
    for edit in (lambda d: d.update(colour="blue"), lambda d: d["requirement"]["allOf"][0].update(weight=2),
                 lambda d: d["requirement"]["allOf"][2].pop("n"), lambda d: d.pop("requirement"),
                 lambda d: d["requirement"]["allOf"][0].update(issuers="anyone")):
        doc = pathway_doc()
        edit(doc)
        assert list(validator.iter_errors(doc)), doc


# ---------------------------------------------------------------------------- checking a stack
def test_an_honest_stack_completes_and_says_which_credential_met_each_leaf(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL), earned(PYTHON), earned(AID)])
    result = check(pathway, stack, view)
    assert result.status == "complete", result.as_dict()
    tree = result.as_dict()["requirement"]
    assert [c["credential"] for c in tree["children"][:2]] == [0, 1]
    assert tree["children"][2]["children"][1]["credential"] == 2 and tree["children"][2]["met"]
    assert result.missing == ()
    assert [c.counted for c in result.credentials] == [True, True, True]


def test_an_incomplete_stack_says_what_is_missing(view):
    pathway = published(view)
    result = check(pathway, anchored(view, [earned(SQL)]), view)
    assert result.status == "incomplete"
    assert result.missing == ("Data Analysis with Python – Level 1",
                              "1 more of: Accessible Web Design, Emergency First Aid at Work")


def test_hashed_emails_are_matched_with_each_credentials_own_salt(view):
    pathway = published(view)
    stack = []
    for achievement in (SQL, PYTHON, WEB):
        doc = earned(achievement)
        doc["credentialSubject"].pop("id")
        salt = f"salt-{achievement[-6:]}"
        doc["credentialSubject"]["identifier"] = [{
            "type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "salt": salt,
            "identityHash": credentials.identity_hash("ada@example.org", salt)}]
        stack.append(doc)
    stack = anchored(view, stack)
    assert check(pathway, stack, view, subject=Subject(email="Ada@Example.org")).status == "complete"
    other = check(pathway, stack, view, subject=Subject(email="bram@example.org"))
    assert other.status == "incomplete"
    assert {c.reason for c in other.credentials} == {"not counted: the credential belongs to another learner"}


def test_a_credential_of_another_learner_never_helps(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL), earned(PYTHON), earned(AID, learner="did:example:someone-else")])
    result = check(pathway, stack, view, subject=Subject(id=LEARNER))
    assert result.status == "incomplete"
    assert result.credentials[2].reason == "not counted: the credential belongs to another learner"
    with pytest.raises(BadInput, match="name 2 learners"):
        check(pathway, stack, view)  # without a subject: whose stack?


def test_revoked_expired_not_yet_valid_and_tampered_credentials_never_help(view):
    pathway = published(view)
    now = datetime.now(UTC)
    future = (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    past = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sql, python, web, aid = anchored(view, [earned(SQL), earned(PYTHON, validUntil=past), earned(WEB, validFrom=future),
                                            earned(AID)])
    view.revoked.add((receipt_of(sql)["merkleRoot"], 0))
    tampered = copy.deepcopy(aid)
    tampered["credentialSubject"]["achievement"]["name"] = "Edited"
    result = check(pathway, [sql, python, web, tampered], view)
    assert result.status == "incomplete"
    assert [c.verdict.status for c in result.credentials] == ["revoked", "expired", "invalid", "invalid"]
    assert not any(c.counted for c in result.credentials)


def test_a_disallowed_or_unaccredited_issuer_never_helps(view):
    pathway = published(view)
    # the SQL leaf allows only the pathway's issuer; this one comes from another accredited issuer
    other_sql = credentials.prepare(json.loads((EXAMPLES / "intro-to-sql.json").read_text()),
                                    OTHER_ISSUER.did, OTHER_ISSUER.name)
    other_sql["credentialSubject"] = {**other_sql["credentialSubject"], "id": LEARNER}
    [signed] = anchored_format_2(view, [other_sql])
    owned_by(view, signed, OTHER_ISSUER)
    result = check(pathway, [signed], view)
    assert result.credentials[0].verdict.status == "valid"
    assert result.credentials[0].reason == ("not counted: requirement.allOf[0] does not accept credentials from "
                                            "did:web:other.example")
    # an issuer the registry suspends: its credentials are invalid, so they never count
    view._issuers[OTHER_ISSUER.id] = dataclasses.replace(OTHER_ISSUER, suspended=True)
    aid = credentials.prepare(json.loads((EXAMPLES / "workplace-first-aid.json").read_text()), OTHER_ISSUER.did,
                              OTHER_ISSUER.name)
    [aid] = anchored_format_2(view, [aid])
    owned_by(view, aid, OTHER_ISSUER)
    assert check(pathway, [aid], view, subject=Subject(id="did:example:learner-noor-4b2e")).credentials[0].counted is False
    # and one whose root was anchored by a key of no accredited issuer at all
    stranger = earned(AID)
    [stranger] = anchored_format_2(view, [stranger])
    root = receipt_of(stranger)["merkleRoot"]
    view.roots[root] = dataclasses.replace(view.roots[root], issuer_id=99)
    result = check(pathway, [stranger], view)
    assert result.credentials[0].verdict.status == "invalid" and not result.credentials[0].counted
    assert "not in the registry" in result.credentials[0].reason + str(result.credentials[0].verdict.checks)


def test_one_credential_presented_twice_fills_one_slot(view):
    pathway = published(view, requirement={"nOf": [{"achievement": SQL, "issuers": "pathway"},
                                                   {"achievement": WEB, "issuers": "pathway"}], "n": 2})
    [sql] = anchored(view, [earned(SQL)])
    result = check(pathway, [sql, copy.deepcopy(sql)], view)
    assert result.status == "incomplete"
    assert result.credentials[1].reason.startswith("not counted: the same credential as credential 0")
    # and a second credential of the same achievement fills nothing more
    [sql2] = anchored(view, [earned(SQL)])
    again = check(pathway, [sql, sql2], view)
    assert again.status == "incomplete" and again.credentials[1].reason == (
        "not counted: requirement.nOf[0] is already met by credential 0")


def test_too_old_a_credential_does_not_count(view):
    pathway = published(view, requirement={"achievement": SQL, "issuers": "pathway", "maxAgeDays": 30})
    [old] = anchored(view, [earned(SQL, validFrom="2020-01-01T00:00:00Z")])
    result = check(pathway, [old], view)
    assert result.status == "incomplete" and "more than the 30 days" in result.credentials[0].reason


def test_an_edited_pathway_is_invalid(view):
    pathway = published(view)
    pathway["requirement"]["allOf"].pop(1)  # drop the Python course after publishing
    result = check(pathway, anchored(view, [earned(SQL), earned(AID)]), view)
    assert result.status == "invalid" and "changed after it was anchored" in result.detail
    assert not any(c.counted for c in result.credentials)


def test_a_pathway_anchored_by_another_issuer_than_it_names_is_invalid(view):
    pathway = published(view)
    owned_by(view, pathway, OTHER_ISSUER)
    result = check(pathway, anchored(view, [earned(SQL)]), view)
    assert result.status == "invalid" and "anchored by Other Institute" in result.detail


def test_a_withdrawn_pathway_says_so(view):
    pathway = published(view)
    view.revoked.add((receipt_of(pathway)["merkleRoot"], 0))
    result = check(pathway, anchored(view, [earned(SQL), earned(PYTHON), earned(AID)]), view)
    assert result.status == "invalid" and result.detail.startswith("the pathway was withdrawn by its issuer")


def test_a_malformed_pathway_is_a_question_that_cannot_be_answered(view):
    bad = pathway_doc()
    bad["requirement"]["allOf"][2]["n"] = 5
    with pytest.raises(InvalidPathway, match=r"^pathway: requirement.allOf\[2\].n: is 5, more than its 2 children"):
        check(bad, anchored(view, [earned(SQL)]), view)


def test_an_unanchored_or_unsigned_pathway_is_invalid(view):
    result = check(pathway_doc(), [], view)
    assert result.status == "invalid" and "proof chain" in result.detail


def test_two_issuers_honestly(view):
    """The elective from another accredited issuer (the leaf allows any) completes the pathway."""
    pathway = published(view)
    aid = credentials.prepare(json.loads((EXAMPLES / "workplace-first-aid.json").read_text()), OTHER_ISSUER.did,
                              OTHER_ISSUER.name)
    aid["credentialSubject"]["id"] = LEARNER
    [aid] = anchored_format_2(view, [aid])
    owned_by(view, aid, OTHER_ISSUER)
    result = check(pathway, anchored(view, [earned(SQL), earned(PYTHON)]) + [aid], view)
    assert result.status == "complete", result.as_dict()["credentials"]


def test_unverifiable_when_the_chain_cannot_be_read(view):
    pathway = published(view)
    from registry.chain.view import ViewHealth

    view.health = lambda: ViewHealth(False, "the node is down", None, None)
    assert check(pathway, [], view).status == "unverifiable"
