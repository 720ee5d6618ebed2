"""The speed tricks of signing give exactly what plain pyld gives.

``registry.credentials._jsonld_memo`` remembers pyld's context processing across documents and
canonicalizes proof configurations from a template; ``_forked_signing`` signs in forked
processes. Each is held here to the plain computation: the same canonical N-Quads as a fresh
``pyld.jsonld.normalize`` on every credential shape credreg issues (the examples, roster rows,
the W3C test vector, edited shapes, in any order), and the same signatures.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from pyld import jsonld

from registry import credentials
from registry.credentials import _forked_signing, _jsonld_memo, securing, signing
from registry.identity.keys import SigningKey

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).with_name("vectors") / "eddsa-rdfc-2022"


def _plain(document: dict) -> str:
    """pyld as it comes, with a loader that gives it nothing to remember."""
    def loader(url, options=None):
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(signing._context(url))}
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": loader})


def _shapes() -> list[dict]:
    examples = [credentials.load_file(p) for p in sorted((REPO / "examples" / "credentials").glob("*.json"))]
    roster = list(credentials.from_roster(REPO / "examples" / "roster.csv", REPO / "examples" / "achievement.json",
                                          "2026-01-01T00:00:00Z"))
    prepared = [credentials.prepare(d, "did:web:academy.example", "Academy") for d in examples + roster]
    shapes = [*prepared, *(securing.with_schema(d) for d in prepared)]
    edited = copy.deepcopy(shapes[0])
    edited["credentialSubject"]["achievement"]["name"] = "Other"
    edited["validUntil"] = "2030-01-01T00:00:00Z"
    shapes.append(edited)
    shapes += [json.loads(p.read_text()) for p in sorted(VECTORS.glob("*.json"))
               if "@context" in json.loads(p.read_text())]
    return [{k: v for k, v in d.items() if k != "proof"} for d in shapes]


def test_remembered_contexts_give_plain_pyld_canonical_form_in_any_order():
    shapes = _shapes()
    assert len(shapes) >= 15
    expected = [_plain(d) for d in shapes]
    order = list(range(len(shapes))) * 3
    random.Random(7).shuffle(order)
    processor = _jsonld_memo.MemoProcessor()
    for i in order:
        got = processor.normalize(copy.deepcopy(shapes[i]), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                                             "documentLoader": signing.document_loader})
        assert got == expected[i]
    assert processor._memo and processor._iris, "nothing was remembered: the trick is not in use"


def test_a_full_memo_is_cleared_and_stays_right(monkeypatch):
    monkeypatch.setattr(_jsonld_memo, "MAX_ENTRIES", 3)
    shapes = _shapes()[:4]
    processor = _jsonld_memo.MemoProcessor()
    for d in shapes * 2:
        assert processor.normalize(d, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": signing.document_loader}) == _plain(d)
        assert len(processor._memo) <= 3 and len(processor._iris) <= 12


@pytest.mark.parametrize("proof_id, created", [
    ("urn:uuid:3fa85f64-5717-4562-b3fc-2c963f66afa6", "2026-12-01T10:11:12Z"),
    ("urn:uuid:00000000-0000-4000-8000-000000000000", "2000-01-01T00:00:00Z"),  # the template's own values
    ("urn:uuid:3FA85F64-5717-4562-B3FC-2C963F66AFA6", "1999-12-31T23:59:59.123456Z"),
    ("urn:uuid:not-plain", "2026-12-01T10:11:12Z"),  # not templated: canonicalized in full
    ("https://academy.example/proofs/1", "2026-12-01T10:11:12+02:00"),
])
def test_proof_configuration_from_the_template_is_its_canonical_form(proof_id, created):
    doc = _shapes()[0]
    for method in ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                   "did:web:academy.example#key-1"):
        options = securing.signature_options(method, created, proof_id)
        config = signing.proof_configuration(doc, options)
        assert _jsonld_memo.canonical_proof_configuration(config, signing.canonicalize) == _plain(config)


def test_a_configuration_with_another_shape_is_not_templated():
    doc = _shapes()[0]
    options = {**securing.signature_options("did:web:a.example#k", "2026-12-01T10:11:12Z"),
               "expires": "2027-01-01T00:00:00Z", "nonce": "abc"}
    config = signing.proof_configuration(doc, options)
    assert _jsonld_memo.canonical_proof_configuration(config, signing.canonicalize) == _plain(config)


def test_forked_signing_signs_every_document_in_order_as_one_process_does(monkeypatch):
    """Same documents, same key, same options: the same credentials in the same order, each signed validly."""
    monkeypatch.setattr(_forked_signing, "MIN_PARALLEL", 1)
    monkeypatch.setattr(_forked_signing, "_CHUNK", 3)
    key = SigningKey.generate()
    docs = [credentials.prepare({**d, "name": f"Course {i}"}, "did:web:academy.example", "Academy")
            for i, d in enumerate(_shapes()[:6] * 2)]
    method, created = "did:web:academy.example#k", "2026-12-01T10:11:12Z"
    lines = []
    forked = _forked_signing.secure_all(docs, key, method, created, workers=2, say=lines.append)
    alone = _forked_signing.secure_all(docs, key, method, created, workers=1)
    assert [s.credential_id for s in forked] == [s.credential_id for s in alone] == [d["id"] for d in docs]
    # Proof ids are fresh uuids, so the bytes differ; each must be the valid signature of its document.
    public = key.public_key
    for f in forked:
        document = f.document()
        assert signing.verify(document, public)
        assert f.signature_id == document["proof"][0]["id"]
        document["name"] += "!"
        assert not signing.verify(document, public)

