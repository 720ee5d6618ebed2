"""POST /v1/verify/pathway over a FakeView: the answer is check(...).as_dict(), whatever it says;
requests that cannot be answered are refused naming the field; the schema documents the answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain_fakes import FakeView  # noqa: E402
from test_pathways import AID, LEARNER, PYTHON, SQL, WEB, anchored, earned, pathway_doc, published  # noqa: E402

from registry import credentials  # noqa: E402
from registry.chain.view import ViewHealth  # noqa: E402
from registry.pathways import Subject, check  # noqa: E402
from registry.service.app import Settings, create_app  # noqa: E402

ROUTE = "/v1/verify/pathway"


@pytest.fixture()
def view() -> FakeView:
    return FakeView()


def client_for(view: FakeView, **settings) -> TestClient:
    return TestClient(create_app(Settings(**settings), view=view))


def post(view: FakeView, body, **settings):
    with client_for(view, **settings) as client:
        text = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return client.post(ROUTE, content=text, headers={"Content-Type": "application/json"})


def checked(pathway, stack, view, subject=None) -> dict:
    return json.loads(json.dumps(check(pathway, stack, view, subject=subject).as_dict()))


def test_a_complete_stack_is_complete_and_the_answer_is_checks_own(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL), earned(PYTHON), earned(AID)])
    answer = post(view, {"pathway": pathway, "credentials": stack})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["status"] == "complete" and body["missing"] == []
    assert body == checked(pathway, stack, view)
    tree = body["requirement"]
    assert tree["kind"] == "allOf" and tree["met"] and tree["metCount"] == 3
    assert [c["credential"] for c in tree["children"][:2]] == [0, 1]
    elective = tree["children"][2]
    assert elective["kind"] == "nOf" and elective["needed"] == 1 and elective["children"][1]["credential"] == 2
    assert [c["counted"] for c in body["credentials"]] == [True, True, True]
    assert body["pathway"]["name"] == "Junior Data Analyst Certificate"
    assert body["pathway"]["verdict"]["status"] == "valid"


def test_an_incomplete_stack_says_what_is_missing(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL), earned(WEB, learner="did:example:someone-else")])
    answer = post(view, {"pathway": pathway, "credentials": stack, "subject": {"id": LEARNER}})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "incomplete"
    assert body["missing"] == ["Data Analysis with Python – Level 1",
                               "1 more of: Accessible Web Design, Emergency First Aid at Work"]
    assert body["credentials"][1]["reason"] == "not counted: the credential belongs to another learner"
    assert body == checked(pathway, stack, view, Subject(id=LEARNER))


def test_an_edited_pathway_is_invalid_and_nothing_counts(view):
    pathway = published(view)
    pathway["requirement"]["allOf"].pop(1)
    stack = anchored(view, [earned(SQL), earned(AID)])
    answer = post(view, {"pathway": pathway, "credentials": stack})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "invalid" and "changed after it was anchored" in body["detail"]
    assert body["requirement"] is None and body["pathway"]["id"] is None
    assert not any(c["counted"] for c in body["credentials"])
    assert body == checked(pathway, stack, view)


def test_an_email_subject_is_matched_against_hashed_identities(view):
    pathway = published(view)
    stack = []
    for n, achievement in enumerate((SQL, PYTHON, WEB)):
        doc = earned(achievement)
        doc["credentialSubject"].pop("id")
        salt = f"salt-{n}"
        doc["credentialSubject"]["identifier"] = [{
            "type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "salt": salt,
            "identityHash": credentials.identity_hash("ada@example.org", salt)}]
        stack.append(doc)
    stack = anchored(view, stack)
    ada = post(view, {"pathway": pathway, "credentials": stack, "subject": {"email": "Ada@Example.org"}})
    assert ada.status_code == 200 and ada.json()["status"] == "complete"
    assert "ada@example.org" not in ada.text.lower()  # the email is never echoed
    bram = post(view, {"pathway": pathway, "credentials": stack, "subject": {"email": "bram@example.org"}})
    assert bram.json()["status"] == "incomplete"
    assert ada.json() == checked(pathway, stack, view, Subject(email="ada@example.org"))


@pytest.mark.parametrize("body, field", [
    ({"credentials": []}, "pathway: missing"),
    ({"pathway": {}, "credentials": {}}, "credentials: must be a JSON array"),
    ({"pathway": {}, "credentials": [], "colour": "blue"}, "colour: unknown field"),
    ({"pathway": {}, "credentials": [], "subject": {"name": "Ada"}}, "subject: must be"),
    ({"pathway": {}, "credentials": [], "subject": {"email": "not-an-address"}}, "subject.email: must be"),
    ([1, 2], "the body must be a JSON object"),
    ('{"pathway": {}, "pathway": {}, "credentials": []}', "duplicate"),
])
def test_a_request_that_cannot_be_asked_is_refused_naming_the_field(view, body, field):
    answer = post(view, body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"], answer.json()


def test_several_learners_and_no_subject_is_422(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL), earned(PYTHON, learner="did:example:someone-else")])
    answer = post(view, {"pathway": pathway, "credentials": stack})
    assert answer.status_code == 422 and "name 2 learners" in answer.json()["detail"]


def test_too_many_credentials_is_413(view):
    answer = post(view, {"pathway": pathway_doc(), "credentials": [{}] * 3}, max_batch=2)
    assert answer.status_code == 413 and "at most 2" in answer.json()["detail"]
    big = post(view, {"pathway": pathway_doc(), "credentials": ["x" * 100]}, max_batch_body_bytes=100)
    assert big.status_code == 413


def test_unverifiable_when_the_chain_cannot_be_read_is_503(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL)])
    view.health = lambda: ViewHealth(False, "the node is down", None, None)
    view.root = lambda root: None
    answer = post(view, {"pathway": pathway, "credentials": stack})
    assert answer.status_code == 503 and answer.json()["status"] == "unverifiable"


def test_counted_in_the_metrics(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL)])
    with client_for(view) as client:
        client.post(ROUTE, json={"pathway": pathway, "credentials": stack})
        metrics = client.get("/metrics").text
    assert 'credreg_pathway_checks_total{status="incomplete"} 1.0' in metrics
    assert 'credreg_verify_seconds_count{route="pathway"} 1.0' in metrics
    assert 'credreg_verifications_total{status="valid"} 2.0' in metrics


def test_the_schema_documents_the_route_and_its_answer(view):
    with client_for(view) as client:
        schema = client.get("/openapi.json").json()
    route = schema["paths"][ROUTE]["post"]
    assert {"200", "413", "422", "503"} <= set(route["responses"])
    answer = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/StackResultModel"}
    model = schema["components"]["schemas"]["StackResultModel"]
    assert set(model["required"]) == {"status", "detail", "pathway", "requirement", "missing", "credentials"}
    assert "RequirementModel" in schema["components"]["schemas"]
    body = route["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["credentials"]["maxItems"] == 1000


def test_a_malformed_pathway_is_422_naming_its_field(view):
    bad = published(view)
    bad["requirement"]["allOf"][0]["weight"] = 2  # an unknown field: not a pathway document at all
    answer = post(view, {"pathway": bad, "credentials": anchored(view, [earned(SQL)]), "subject": {"id": LEARNER}})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("pathway: requirement.allOf[0].weight: unknown field")
