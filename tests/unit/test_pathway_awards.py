"""The store's pathway awards (migration 0007) and the grouping of learners: an award and its
queued credential go together or not at all, a learner is awarded once whatever runs beside,
and learners are grouped by credentialSubject.id (by email only when the issuer names one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from registry import credentials
from registry.errors import BadInput
from registry.pathways import awarding, document
from registry.store import NewCredential, Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PATHWAY = "https://learn.example.org/pathways/junior-data-analyst/v1"


def _item(n: int, issuer: str = "did:web:a") -> NewCredential:
    body = json.dumps({"id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}", "proof": [{"id": "urn:uuid:s"}]})
    return NewCredential(f"urn:uuid:00000000-0000-4000-8000-{n:012d}", f"{n:064x}", issuer, body, None, "urn:uuid:s")


def test_migration_0007_adds_the_award_table_to_an_existing_store(tmp_path):
    from alembic import command
    from alembic.config import Config

    import registry.store as store_module

    url = f"sqlite:///{tmp_path / 'credreg.db'}"
    config = Config()
    config.set_main_option("script_location", str(store_module._MIGRATIONS))
    with create_engine(url).begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    assert "pathway_awards" not in inspect(create_engine(url)).get_table_names()
    store = Store.open(tmp_path, url)
    assert "pathway_awards" in inspect(store.engine).get_table_names()
    assert store.pathway_awards("did:web:a", PATHWAY) == {}


def test_an_award_queues_its_credential_once_per_learner(tmp_path):
    store = Store.open(tmp_path)
    assert store.enqueue_award(_item(1), PATHWAY, "did:example:noor")
    assert not store.enqueue_award(_item(2), PATHWAY, "did:example:noor")  # a second run's credential
    assert store.pathway_awards("did:web:a", PATHWAY) == {"did:example:noor": _item(1).credential_id}
    assert store.queued_count() == 1 and store.find_credential(_item(2).credential_id) is None
    assert store.enqueue_award(_item(3), PATHWAY + "/v2", "did:example:noor")  # another pathway
    assert store.enqueue_award(_item(4), PATHWAY, "did:example:ada")
    assert store.queued_count() == 3


def test_an_award_whose_credential_cannot_be_queued_is_not_recorded(tmp_path):
    store = Store.open(tmp_path)
    store.enqueue([_item(1)])
    with pytest.raises(BadInput, match="already in the store"):
        store.enqueue_award(_item(1), PATHWAY, "did:example:noor")
    assert store.pathway_awards("did:web:a", PATHWAY) == {}


def _pathway():
    doc = json.loads((EXAMPLES / "pathways" / "junior-data-analyst.json").read_text())
    return document.read({**doc, "validFrom": "2026-01-01T00:00:00Z"})


def _examples() -> list[dict]:
    docs = [credentials.prepare(d, "did:web:learn.example.org", "Academy")
            for _, d in credentials.load_paths([EXAMPLES / "credentials", EXAMPLES / "pathways" / "learner"])]
    return json.loads(json.dumps(docs))


def test_learners_are_grouped_by_subject_id_over_the_pathways_achievements_only():
    found = awarding.learners(_pathway(), _examples(), [])
    assert [(learner.key, len(learner.stack)) for learner in found] == [("did:example:learner-noor-4b2e", 3)]


def test_a_learner_known_by_email_is_found_only_when_named():
    docs = _examples()
    subject = next(d for d in docs if "identifier" in d["credentialSubject"])["credentialSubject"]
    assert all(learner.subject.id for learner in awarding.learners(_pathway(), docs, []))
    ident = next(i for i in subject["identifier"] if i["identityType"] == "emailAddress")
    email = "someone@example.org"
    ident["identityHash"] = credentials.identity_hash(email, ident["salt"])
    [learner] = awarding.learners(_pathway(), docs, [], email=email.upper())
    assert learner.key == awarding.email_key("did:web:learn.example.org", PATHWAY, email)
    assert email not in learner.key and len(learner.stack) == 1


def test_the_needles_find_each_leafs_achievement_in_canonical_text():
    text = credentials.canonical_bytes(_examples()[0]).decode()
    assert any(n in text for n in awarding.needles(_pathway()))
