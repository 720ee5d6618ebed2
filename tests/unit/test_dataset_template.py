"""Canonicalizing from a template of the RDF dataset gives exactly what plain pyld gives.

``registry.credentials._dataset_template`` builds, once per document shape, the dataset of a
stand-in document and puts each document's strings into it. Held here to a fresh
``pyld.jsonld.normalize`` (URDNA2015, the shipped contexts, nothing remembered), byte for byte:
on every credential shape credreg issues and verifies, on adversarial values, and on random
substitutions of values into those shapes; and the shapes credreg issues really are templated.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from pyld import jsonld

from registry import credentials
from registry.credentials import _dataset_template, securing, signing
from registry.credentials._jsonld_memo import MemoProcessor
from registry.errors import BadInput

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).with_name("vectors") / "eddsa-rdfc-2022"
OPTIONS = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": signing.document_loader}
STATUS = {"id": "https://x.example/status/1#42", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
          "statusListIndex": "42", "statusListCredential": "https://x.example/status/1"}


def _plain(document: dict) -> str:
    """pyld as it comes, with a loader that gives it nothing to remember."""
    def loader(url, options=None):
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(signing._context(url))}
    return jsonld.normalize(copy.deepcopy(document), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                                      "documentLoader": loader})


def _templates() -> _dataset_template.DatasetTemplates:
    return _dataset_template.DatasetTemplates(MemoProcessor(), OPTIONS)


def _same(templates: _dataset_template.DatasetTemplates, document: dict) -> None:
    """The same canonical text as plain pyld, or the same kind of error where pyld fails."""
    before = copy.deepcopy(document)
    try:
        expected = _plain(document)
    except Exception as exc:  # noqa: BLE001 - pyld fails on some of these (an id of "@foo")
        with pytest.raises(type(exc)):
            templates.normalize(document)
    else:
        assert templates.normalize(document) == expected, json.dumps(document)[:300]
    assert document == before, "the document was changed"


def _check(documents: list[dict], templates: _dataset_template.DatasetTemplates | None = None) -> int:
    """Each document canonicalized both ways, twice (the second time from a made template)."""
    templates = templates or _templates()
    for document in documents * 2:
        _same(templates, document)
    return templates.templated


def _roster() -> list[dict]:
    return list(credentials.from_roster(REPO / "examples" / "roster.csv", REPO / "examples" / "achievement.json",
                                        "2026-01-01T00:00:00Z"))


def _issued() -> list[dict]:
    """What credreg signs: the examples and roster rows, prepared, with the schema added."""
    examples = [credentials.load_file(p) for p in sorted((REPO / "examples" / "credentials").glob("*.json"))]
    prepared = [credentials.prepare(d, "did:web:academy.example", "Academy") for d in examples + _roster()]
    return [securing.with_schema(d) for d in prepared]


def _with_status(document: dict, status: dict | None = None) -> dict:
    return {**document, "credentialStatus": dict(status or STATUS)}


def _vector() -> dict:
    return json.loads((VECTORS / "unsigned.json").read_text())


def _proof_config(document: dict) -> dict:
    options = securing.signature_options("did:key:z6Mk#z6Mk", "2026-01-01T00:00:00Z")
    return signing.proof_configuration(document, options)


def test_issued_shapes_are_templated_and_exact():
    issued = _issued()
    documents = [*issued, *(_with_status(d) for d in issued), _vector(), _with_status(_vector()),
                 *(_proof_config(d) for d in issued[:3]),
                 *(credentials.prepare(d, "did:web:academy.example", "Academy") for d in _roster())]
    templated = _check(documents)
    # Every one of them the second time, and most the first (a shape is built from its first document).
    assert templated >= len(documents) + len(documents) // 2


def _base() -> dict:
    return copy.deepcopy(_issued()[-1])


def _variants() -> list[dict]:
    base = _base()
    out = []

    def edited(change) -> None:
        doc = copy.deepcopy(base)
        change(doc)
        out.append(doc)

    tricky = 'He said "hi" \\ back\\slash\nnew line\ttab\r é 漢字 \u2028 \U0001F600 \x00 \x7f'
    edited(lambda d: d.__setitem__("name", tricky))
    edited(lambda d: d["credentialSubject"]["identifier"][-1].__setitem__("identityHash", tricky))
    edited(lambda d: d.__setitem__("name", ""))
    # Ids: relative, empty, fragment, network-path, blank node, keyword-like, with spaces, a newline.
    for value in ["relative/path", "", "#fragment", "//host.example/x", "_:learner", "_:b0", "@id", "@foo",
                  "https://a b.example/", "urn:a\n", "urn:uuid:x", "VerifiableCredential", "type", "did:x:y:z",
                  "https://learn.example.org/achievements/data-analysis-python-level-1"]:
        edited(lambda d, v=value: d["credentialSubject"].__setitem__("id", v))
        edited(lambda d, v=value: d.__setitem__("id", v))
        edited(lambda d, v=value: d["credentialSubject"]["achievement"].__setitem__("id", v))
    # Two nodes under one id: the subject is the issuer, the credential is its own achievement.
    edited(lambda d: d["credentialSubject"].__setitem__("id", d["issuer"]["id"]))
    edited(lambda d: d["credentialSubject"]["achievement"].__setitem__("id", d["id"]))
    edited(lambda d: d["credentialSubject"]["achievement"]["criteria"].__setitem__(
        "id", d["credentialSubject"]["achievement"]["id"]))
    # The same string twice in an array, and in two properties of one node.
    edited(lambda d: d["credentialSubject"]["achievement"].__setitem__("tag", ["python", "python", "x", "python"]))
    edited(lambda d: d["credentialSubject"]["achievement"].__setitem__(
        "description", d["credentialSubject"]["achievement"]["name"]))
    # Two identifiers that become the same value (they are blank nodes: both stay).
    edited(lambda d: d["credentialSubject"]["identifier"][0].update(
        {k: v for k, v in d["credentialSubject"]["identifier"][-1].items()}))
    # Values that change the canonical order of blank nodes (the identifiers are blank nodes).
    for name in ["Aaron", "Zoe", "", "sha256$0", "\uffff"]:
        edited(lambda d, n=name: d["credentialSubject"]["identifier"][-1].__setitem__("identityHash", n))
    # A compact IRI whose prefix is a term of an inline context.
    inline = {"ex": "https://ex.example/ns#", "exv": {"@id": "https://ex.example/ns#v", "@type": "@vocab"},
              "exj": {"@id": "https://ex.example/ns#j", "@type": "@json"},
              "exd": {"@id": "https://ex.example/ns#d", "@type": "http://www.w3.org/2001/XMLSchema#double"},
              "Aterm": "https://ex.example/ns#Aterm"}
    for value in ["ex:learner-1", "ex:", "exv", "Aterm"]:
        edited(lambda d, v=value: (d["@context"].append(inline), d["credentialSubject"].__setitem__("id", v)))
    # @vocab coercion: a term, a compact IRI, an absolute IRI, a relative one.
    for value in ["Aterm", "ex:thing", "https://other.example/v", "plain", "VerifiableCredential", "_:x"]:
        edited(lambda d, v=value: (d["@context"].append(inline), d.__setitem__("exv", v)))
    # @json: strings inside a JSON literal (the shipped _sd term and an inline one) and JSON numbers.
    edited(lambda d: d.__setitem__("_sd", ["abc", "d\"e"]))
    edited(lambda d: d.__setitem__("_sd", [1, 2.5, True]))
    edited(lambda d: (d["@context"].append(inline), d.__setitem__("exj", {"a": "b", "c": [1, "2"]})))
    edited(lambda d: (d["@context"].append(inline), d.__setitem__("exj", "just a string")))
    # Typed and language-tagged values: a double given as a string is rewritten by pyld.
    edited(lambda d: (d["@context"].append(inline), d.__setitem__("exd", "1.50")))
    edited(lambda d: (d["@context"].append(inline), d.__setitem__("exd", 1.5)))
    edited(lambda d: d.__setitem__("name", {"@value": "Nom", "@language": "fr"}))
    edited(lambda d: d.__setitem__("name", {"@value": "1.50", "@type": "http://www.w3.org/2001/XMLSchema#double"}))
    edited(lambda d: d.__setitem__("name", {"@value": "x", "@type": "http://www.w3.org/2001/XMLSchema#string"}))
    edited(lambda d: d.__setitem__("description", "x"))
    # credentialStatus, as the lead adds it, and with values that collide with other ids.
    edited(lambda d: d.__setitem__("credentialStatus", dict(STATUS)))
    edited(lambda d: d.__setitem__("credentialStatus", {**STATUS, "id": d["id"], "statusListCredential": d["id"]}))
    edited(lambda d: d.__setitem__("credentialStatus", {**STATUS, "statusListIndex": "\"4\n2\""}))
    edited(lambda d: d.__setitem__("credentialStatus", {**STATUS, "statusListCredential": "relative"}))
    edited(lambda d: d.__setitem__("credentialStatus", [dict(STATUS), {**STATUS, "id": STATUS["id"] + "3"}]))
    # A key other than type aliasing @type: its value picks a type-scoped context.
    scoped = {"kind": "@type", "Scoped": {"@id": "https://ex.example/ns#Scoped",
                                          "@context": {"title": "https://ex.example/ns#scopedTitle"}},
              "title": "https://ex.example/ns#title"}
    for value in ["Scoped", "Other"]:
        edited(lambda d, v=value: (d["@context"].append(scoped), d["credentialSubject"].update({"kind": v, "title": "t"})))
    # An index map: two entries whose nodes turn out to be one, with two indexes (pyld refuses it).
    indexed = {"exi": {"@id": "https://ex.example/ns#i", "@container": "@index"}}
    for first, second in [("urn:a", "urn:b"), ("urn:a", "urn:a")]:
        edited(lambda d, a=first, b=second: (d["@context"].append(indexed),
                                             d.__setitem__("exi", {"k1": {"id": a}, "k2": {"id": b}})))
    # An id map: its keys are fixed node ids, which a node with a given id can turn out to be.
    id_map = {**inline, "exm": {"@id": "https://ex.example/ns#m", "@container": "@id"}, "exr": "https://ex.example/ns#r"}
    for value in ["urn:fixed", "urn:other"]:
        edited(lambda d, v=value: (d["@context"].append(id_map), d.update(
            {"exm": {"urn:fixed": {"type": "Aterm", "exv": "Aterm"}}, "exr": {"id": v, "type": "Aterm", "exv": "Aterm"}})))
    # An undefined term in a nested node is dropped by pyld, and so its strings.
    edited(lambda d: d["credentialSubject"].__setitem__("undefinedNestedTermIsVocab", "kept via @vocab"))
    edited(lambda d: d.__setitem__("@id", "urn:other"))
    return out


def test_adversarial_values_give_plain_pyld_canonical_form():
    variants = _variants()
    assert len(variants) > 80
    templates = _templates()
    _check(variants, templates)
    assert templates.templated > len(variants), "the adversarial shapes should mostly be templated"


def test_a_subject_that_is_the_issuer_is_one_node():
    doc = _base()
    doc["credentialSubject"]["id"] = doc["issuer"]["id"]
    templates = _templates()
    templates.normalize(_base())  # the shape's template, from another document
    text = templates.normalize(doc)
    assert text == _plain(doc)
    assert templates.templated == 2
    issuer_type = f'<{doc["issuer"]["id"]}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>'
    assert text.count(issuer_type) == 2  # Profile and AchievementSubject, each once


_POOL = ["", "x", "Learner 1", "urn:uuid:0", "did:example:learner-3", "https://x.example/status/1",
         "https://x.example/status/1#42", "relative", "_:b1", "_:c14n0", "@id", "ex:a", "a b", "é\n\"\\",
         "2025-06-27T09:00:00Z", "sha256$ab", "VerifiableCredential", "AchievementSubject", "42", "revocation"]


def test_random_substitutions_give_plain_pyld_canonical_form():
    shapes = [_base(), _with_status(_base()), _issued()[0], _vector()]
    rng = random.Random(2026)
    documents = []
    for i in range(160):
        shape = shapes[i % len(shapes)]
        _, values = _dataset_template.shape_of(shape)
        # Mostly values taken from the document itself (collisions), some from the pool.
        chosen = [rng.choice(values) if rng.random() < 0.3 else rng.choice(_POOL) if rng.random() < 0.3 else v
                  for v in values]
        documents.append(_dataset_template._with_stand_ins(shape, chosen, [0]))
    templates = _templates()
    for document in documents:
        _same(templates, document)
    assert templates.templated > len(documents) // 4  # an id like "_:b1" or "a b" takes the full path


def test_the_shape_keeps_what_steers_processing():
    doc = _base()
    shape, values = _dataset_template.shape_of(doc)
    other = copy.deepcopy(doc)
    other["credentialSubject"]["identifier"][-1]["identityHash"] = "someone else"
    assert _dataset_template.shape_of(other)[0] == shape
    for change in [lambda d: d.__setitem__("type", ["VerifiableCredential"]),
                   lambda d: d["@context"].pop(),
                   lambda d: d.__setitem__("extra", "x"),
                   lambda d: d["credentialSubject"]["achievement"].__setitem__("creditsAvailable", 1.0),
                   lambda d: d["credentialSubject"]["achievement"].__setitem__("creditsAvailable", True),
                   lambda d: d["credentialSubject"]["achievement"].__setitem__("tag", ["a"])]:
        changed = copy.deepcopy(doc)
        change(changed)
        assert _dataset_template.shape_of(changed)[0] != shape
    assert len(values) == len(set(range(len(values))))


def test_unknown_context_is_bad_input_naming_it_through_signing():
    doc = _with_status(_base())
    doc["@context"] = [*doc["@context"], "https://unknown.example/context.json"]
    for _ in range(2):
        with pytest.raises(BadInput, match="unknown.example"):
            signing.canonicalize(doc)


def test_signing_uses_the_templates():
    before = signing._TEMPLATES.templated
    for doc in _issued()[-2:]:
        signing.canonicalize(doc)
        signing.canonicalize(doc)
    assert signing._TEMPLATES.templated > before


def test_a_full_table_is_cleared_and_stays_right(monkeypatch):
    monkeypatch.setattr(_dataset_template, "MAX_SHAPES", 2)
    templates = _templates()
    _check(_issued()[:5], templates)
    assert len(templates._templates) <= 2
