"""A speed trick: a document's RDF dataset from a template of its shape, then pyld's own URDNA2015.

Why: canonicalizing a credential spends most of its time in pyld's expansion, node map and
toRDF (``bench/sign.py`` measures it), and the credentials of one roster differ only in their
string values: the learner's name, identity hash, salt, ids and dates. JSON-LD processing is
steered by the document's keys, its ``@context`` and its ``type`` values, never by the text of
the other strings, except where pyld expands a string as an IRI (``_expand_iri``), which
depends on the active context it is expanded in, and that context again only on the steering
parts. So the dataset of one document of a shape, built with stand-ins for its strings, is the
dataset of every document of that shape with its strings put back in: verbatim where a literal
holds one, through pyld's ``_expand_iri`` with the recorded arguments where an IRI does.

What, for a document (:func:`shape_of`):

- its *shape* is its JSON structure with each string value replaced by a marker, except what
  steers processing, which is kept verbatim: everything under ``@context``, the values of
  ``type`` and ``@type``, all keys, and every non-string scalar (tagged with its type);
- a template is made once per shape (:func:`_build`): each string becomes a unique stand-in
  IRI and pyld (``MemoProcessor``, i.e. pyld with remembered contexts) normalizes that
  document with the same options; recording ``_expand_iri`` and ``_object_to_rdf`` and the
  dataset ``to_rdf`` made. The shape is used only if every stand-in occurs in that dataset as a
  whole literal lexical form (not a double, not JSON, no language or datatype made of it) or as
  a whole subject, object or graph IRI, one of the two, and as an IRI only when pyld expanded
  it, always with the same arguments, to itself. Anything else (a stand-in dropped, inside a
  JSON literal, a key other than ``type``/``@type`` aliasing ``@type``, any ``@index``, a
  JSON literal value, an error) marks the shape as not templatable: canonicalized in full;
- for a document of a templated shape, the template's quads get its values (an IRI through
  the ``MemoProcessor``'s ``_expand_iri``, pyld's result remembered; it must come out as an
  absolute IRI by pyld's ``_is_absolute_iri`` and not a blank node, else the document is
  canonicalized in full; terms without a value are shared, blank nodes excepted); quads that become the same JSON-LD value of the same
  property of the same node are kept once, as pyld's node map keeps them (two ids may turn out
  to be the same node, two strings the same value; pyld's ``compare_values`` decides what is
  "the same", so the key here mirrors it: ``@value`` with its ``@type``, ``@language`` and
  ``@index``, or the ``@id``); then pyld's ``URDNA2015().main`` makes the canonical N-Quads,
  exactly as ``normalize`` calls it (its result does not depend on the order of the quads),
  with one ``copy.deepcopy`` of a flat dict of strings in it done as a shallow copy.

How correctness is pinned: ``tests/unit/test_dataset_template.py`` compares this path with plain
``pyld.jsonld.normalize`` byte for byte on the examples, roster credentials, the W3C test vector,
documents with a ``credentialStatus`` and adversarial values (escapes, non-ASCII, compact and
relative IRIs, blank node ids, one node under two ids, duplicates, ``@json``, ``@vocab``
coercion, an id map, a key aliasing ``@type``, an index map, values that reorder blank nodes)
and on random substitutions, each document twice (the second time from the template made by
the first, so a term pyld changed in place would show); and it checks that
the template path, not the fallback, handled the shapes credreg issues.
"""

from __future__ import annotations

import math
import secrets
from typing import Any, NamedTuple

from pyld import jsonld
from pyld.canon import URDNA2015

from registry.credentials._jsonld_memo import MemoProcessor

MAX_SHAPES = 512
_STEERING = frozenset({"type", "@type"})
_RDF_TYPE_KEYWORD = "@type"
_NOT_LITERAL = frozenset({jsonld.XSD_DOUBLE, jsonld.RDF_JSON_LITERAL})
_STRING = ("s",)  # the marker of a string value in a shape
_PLAIN = jsonld.JsonLdProcessor()  # pyld's own _expand_iri, nothing remembered


class _NotJson(Exception):
    """A value that is not plain JSON (or too deep): canonicalized in full, never templated."""


def shape_of(document: dict) -> tuple[tuple, list[str]]:
    """The shape key of ``document`` and its string values in walk order (see the module).

    The key is flat: markers open and close objects and arrays, keys are the only plain strings
    in it (a value is a marker or a tagged tuple), so it reads back one way only."""
    values: list[str] = []
    tokens: list[Any] = []
    try:
        _walk(document, values, tokens)
    except RecursionError:
        raise _NotJson from None
    return tuple(tokens), values


_OBJECT, _ARRAY, _END = ("{",), ("[",), ("]",)


def _walk(node: Any, values: list[str], tokens: list[Any]) -> None:
    kind = type(node)
    if kind is str:
        values.append(node)
        tokens.append(_STRING)
    elif kind is dict:
        tokens.append(_OBJECT)
        for key, value in node.items():
            if type(key) is not str:
                raise _NotJson
            tokens.append(key)
            if key in _STEERING or key == "@context":
                tokens.append(_verbatim(value))
            else:
                _walk(value, values, tokens)
        tokens.append(_END)
    elif kind is list:
        tokens.append(_ARRAY)
        for value in node:
            _walk(value, values, tokens)
        tokens.append(_END)
    else:
        tokens.append(_verbatim(node))


def _verbatim(node: Any) -> Any:
    """A hashable key for a value kept as it is; types told apart (1, 1.0, True; 0.0, -0.0)."""
    kind = type(node)
    if kind is str:
        return ("v", node)
    if kind is dict:
        parts = []
        for key, value in node.items():
            if type(key) is not str:
                raise _NotJson
            parts.append(key)
            parts.append(_verbatim(value))
        return ("D", *parts)
    if kind is list:
        return ("L", *[_verbatim(v) for v in node])
    if kind is bool or kind is int or node is None:
        return (kind.__name__, node)
    if kind is float and math.isfinite(node):
        return ("f", repr(node))
    raise _NotJson


def _with_stand_ins(node: Any, stand_ins: list[str], counter: list[int]) -> Any:
    """``node`` with each string a shape puts a marker for replaced by the next stand-in."""
    kind = type(node)
    if kind is str:
        counter[0] += 1
        return stand_ins[counter[0] - 1]
    if kind is dict:
        return {k: (v if k in _STEERING or k == "@context" else _with_stand_ins(v, stand_ins, counter))
                for k, v in node.items()}
    if kind is list:
        return [_with_stand_ins(v, stand_ins, counter) for v in node]
    return node


class _Term(NamedTuple):
    component: dict  # the RDF term as pyld made it for the template
    slot: int  # the string value that goes in its "value", or -1: the term is fixed


class _Quad(NamedTuple):
    graph: str | int  # the graph name, or the slot whose IRI it is
    subject: _Term
    predicate: dict
    object: _Term
    key: tuple  # (tag, slot or -1, fixed value, rest): what pyld's node map compares


class _Template(NamedTuple):
    fixed: tuple[tuple[str, dict, bool, dict, dict, bool], ...]  # quads no value goes into (see _template)
    fixed_keys: frozenset[tuple]  # their node-map keys, as _dataset makes them
    slotted: tuple[tuple, ...]  # the other quads, flattened for _dataset (see _template)
    iris: tuple[tuple[int, Any, Any, bool], ...]  # (slot, active context, base, vocab) of IRI positions


def _template(quads: list[_Quad], iris: list[tuple[int, Any, Any, bool]]) -> _Template:
    is_fixed = [isinstance(q.graph, str) and q.subject.slot < 0 and q.object.slot < 0 and q.key[1] < 0
                for q in quads]
    fixed = [q for q, f in zip(quads, is_fixed) if f]
    keys = frozenset((q.graph, q.subject.component["value"], q.predicate["value"], q.key[0], q.key[2], q.key[3])
                     for q in fixed)
    # Two quads can only merge when they have the same predicate and the same kind of value.
    groups: dict[tuple, int] = {}
    for q in quads:
        group = (q.predicate["value"], q.key[0], q.key[3])
        groups[group] = groups.get(group, 0) + 1
    # Flat tuples, unpacked in _dataset's loop: (graph, its slot, subject, its slot, whether a
    # blank node, predicate, object, its slot, whether a blank node, merge key or None).
    slotted = tuple(
        (q.graph if isinstance(q.graph, str) else None, q.graph if not isinstance(q.graph, str) else -1,
         q.subject.component, q.subject.slot, q.subject.component["type"] == "blank node", q.predicate,
         q.object.component, q.object.slot, q.object.component["type"] == "blank node",
         q.key if groups[q.predicate["value"], q.key[0], q.key[3]] > 1 else None)
        for q, f in zip(quads, is_fixed) if not f)
    return _Template(tuple((q.graph, q.subject.component, q.subject.component["type"] == "blank node", q.predicate,
                            q.object.component, q.object.component["type"] == "blank node") for q in fixed),
                     keys, slotted, tuple(iris))


class _Recorder(MemoProcessor):
    """pyld (with the shared remembered contexts) that records what a template needs."""

    def __init__(self, shared: MemoProcessor, stand_ins: dict[str, int]) -> None:
        super().__init__()
        self._memo = shared._memo  # processed contexts are pyld's, the same for both
        self.stand_ins = stand_ins
        self.calls: dict[int, list[tuple]] = {}
        self.alias_of_type = False
        self.has_index = False
        self.items: dict[int, tuple[dict, tuple]] = {}
        self.snapshot: list[tuple] | None = None
        self._lists = 0

    def _expand_iri(self, active_ctx, value, base=None, vocab=False, local_ctx=None, defined=None):
        result = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        if isinstance(value, str):
            slot = self.stand_ins.get(value)
            if slot is not None:
                self.calls.setdefault(slot, []).append((active_ctx, base, vocab, local_ctx, defined, result))
            elif result == _RDF_TYPE_KEYWORD and value not in _STEERING:
                self.alias_of_type = True  # its values would steer type-scoped contexts
        return result

    def expand(self, input_, options):
        expanded = super().expand(input_, options)
        self.has_index = _mentions_index(expanded)
        return expanded

    def _object_to_rdf(self, item, issuer, triples, options):
        made = super()._object_to_rdf(item, issuer, triples, options)
        if made is not None:
            self.items[id(made)] = (made, self._item_key(item))
        return made

    def _item_key(self, item: Any) -> tuple:
        # What pyld's compare_values looks at when its node map adds a value to a property.
        if isinstance(item, str):
            return ("type", item)  # an @type value (plain strings in the node map)
        if "@value" in item:
            value = item["@value"]
            if type(value) not in (str, int, float, bool) or (type(value) is float and not math.isfinite(value)):
                return ("json",)  # refused below
            return ("value", value, type(value) is bool, item.get("@type"), item.get("@language"), item.get("@index"))
        if "@list" in item:
            self._lists += 1
            return ("list", self._lists)  # lists are never merged
        return ("id", item.get("@id"))

    def to_rdf(self, input_, options):
        dataset = super().to_rdf(input_, options)
        # normalize's URDNA2015 relabels blank nodes in place: keep what pyld made first.
        self.snapshot = [(graph, dict(t["subject"]), dict(t["predicate"]), dict(t["object"]),
                          self._key_of(t["object"])) for graph, triples in dataset.items() for t in triples]
        return dataset

    def _key_of(self, made: dict) -> tuple:
        entry = self.items.get(id(made))
        if entry is None or entry[0] is not made:  # made by _list_to_rdf itself (rdf:rest): unique
            self._lists += 1
            return ("list", self._lists)
        return entry[1]


def _mentions_index(node: Any) -> bool:
    if isinstance(node, dict):
        return "@index" in node or any(_mentions_index(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_index(v) for v in node)
    return False


def _build(document: dict, count: int, processor: MemoProcessor, options: dict) -> _Template | None:
    """The template of ``document``'s shape, or None when the shape is not templatable."""
    prefix = f"urn:x-credreg-stand-in-{secrets.token_hex(8)}:"
    names = [f"{prefix}{i}" for i in range(count)]
    stand_ins = {name: i for i, name in enumerate(names)}
    recorder = _Recorder(processor, stand_ins)
    try:
        recorder.normalize(_with_stand_ins(document, names, [0]), dict(options))
    except Exception:  # noqa: BLE001 - whatever pyld makes of it, the full path makes of the real one
        return None
    if recorder.snapshot is None or recorder.alias_of_type or recorder.has_index:
        return None
    roles: dict[int, str] = {}

    def term(component: dict, position: str) -> _Term | None:
        value = component.get("value")
        slot = stand_ins.get(value, -1) if isinstance(value, str) else -1
        others = [v for k, v in component.items() if k != "value" or slot < 0]
        if any(isinstance(v, str) and prefix in v for v in others):
            return None  # a stand-in inside some other text
        if slot < 0:
            return _Term(component, -1)
        if component["type"] == "IRI" and position != "predicate":
            role = "iri"
        elif (component["type"] == "literal" and position == "object"
              and component.get("datatype") not in _NOT_LITERAL):
            role = "literal"
        else:
            return None
        if roles.setdefault(slot, role) != role:
            return None
        return _Term(component, slot)

    quads = []
    for graph, subject, predicate, obj, key in recorder.snapshot:
        if key[0] == "json":
            return None
        if isinstance(graph, str) and prefix in graph:
            if graph not in stand_ins or roles.setdefault(stand_ins[graph], "iri") != "iri":
                return None
            graph = stand_ins[graph]
        s, p, o = term(subject, "subject"), term(predicate, "predicate"), term(obj, "object")
        if s is None or p is None or o is None or p.slot >= 0:
            return None
        quads.append(_Quad(graph, s, predicate, o, _key_template(key, stand_ins, prefix)))
        if quads[-1].key is None:
            return None
    if len(roles) != count:
        return None  # a string pyld dropped, or used some other way
    iris = []
    for slot, role in roles.items():
        calls = recorder.calls.get(slot, [])
        if role == "literal":
            if calls:
                return None
            continue
        if not calls:
            return None
        first = calls[0]
        ctx, base, vocab, local_ctx, defined, result = first
        if result != names[slot] or local_ctx is not None or defined is not None:
            return None
        if any(c[0] is not ctx or c[1:] != first[1:] for c in calls[1:]):
            return None
        iris.append((slot, ctx, base, vocab))
    return _template(quads, iris)


def _key_template(key: tuple, stand_ins: dict[str, int], prefix: str) -> tuple | None:
    """The node-map key of a quad's object with its stand-in (if any) as a slot."""
    tag, *rest = key
    if tag == "list":
        return ("list", -1, rest[0], ())
    value, extra = rest[0], tuple(rest[1:])
    if any(isinstance(v, str) and prefix in v for v in extra):
        return None
    if isinstance(value, str) and prefix in value:
        if value not in stand_ins:
            return None
        return (tag, stand_ins[value], None, extra)
    return (tag, -1, value, extra)


def _dataset(template: _Template, values: list[str], expand_iri=_PLAIN._expand_iri) -> dict | None:
    """The template's dataset with ``values`` in it, or None if an IRI does not come out absolute.

    pyld's URDNA2015 changes a term only when it is a blank node (relabelling it), and a quad only
    by giving it a graph name: those are fresh for each document, the other terms are shared."""
    values = list(values)
    for slot, ctx, base, vocab in template.iris:
        iri = expand_iri(ctx, values[slot], base, vocab)
        if not isinstance(iri, str) or not jsonld._is_absolute_iri(iri) or iri.startswith("_:"):
            return None
        values[slot] = iri
    dataset: dict[str, list[dict]] = {}
    for graph, subject, subject_blank, predicate, obj, obj_blank in template.fixed:
        dataset.setdefault(graph, []).append({"subject": dict(subject) if subject_blank else subject,
                                              "predicate": predicate, "object": dict(obj) if obj_blank else obj})
    seen = set(template.fixed_keys)  # distinct already: pyld's node map made them
    for (graph, graph_slot, subject, subject_slot, subject_blank, predicate, obj, obj_slot, obj_blank,
         key) in template.slotted:
        if graph_slot >= 0:
            graph = values[graph_slot]
        if subject_slot >= 0:
            subject = {**subject, "value": values[subject_slot]}
        elif subject_blank:
            subject = dict(subject)
        if obj_slot >= 0:
            obj = {**obj, "value": values[obj_slot]}
        elif obj_blank:
            obj = dict(obj)
        if key is not None:  # another quad has this predicate and kind of value: they may merge
            tag, slot, fixed, extra = key
            merged = (graph, subject["value"], predicate["value"], tag, values[slot] if slot >= 0 else fixed, extra)
            if merged in seen:
                continue  # pyld's node map would hold this value once
            seen.add(merged)
        triples = dataset.get(graph)
        if triples is None:
            triples = dataset[graph] = []
        triples.append({"subject": subject, "predicate": predicate, "object": obj})
    return dataset


class _URDNA2015(URDNA2015):
    """pyld's URDNA2015 with one copy made cheaper: an RDF term here is a flat dict of strings
    (``type``, ``value``, ``datatype``, ``language``), so a shallow copy of it is a deep copy."""

    def modify_first_degree_component(self, id_, component, key):
        if component["type"] != "blank node":
            return component
        return {**component, "value": "_:a" if component["value"] == id_ else "_:z"}


class DatasetTemplates:
    """``normalize(document)``: pyld's ``normalize(document, options)``, by template when it can.

    ``options`` are fixed for the lifetime of the object (the shapes' templates depend on them);
    only URDNA2015 to N-Quads from JSON-LD is templated, anything else goes to ``processor``.
    """

    def __init__(self, processor: MemoProcessor, options: dict) -> None:
        self._processor = processor
        self._options = dict(options)
        self._enabled = (self._options.get("algorithm") == "URDNA2015"
                         and self._options.get("format") in ("application/n-quads", "application/nquads")
                         and not {"inputFormat", "base", "expandContext"} & set(self._options))
        self._templates: dict[tuple, _Template | None] = {}
        self.templated = 0  # documents canonicalized from a template (tests check the trick is used)

    def normalize(self, document: Any) -> str:
        if self._enabled and isinstance(document, dict):
            try:
                shape, values = shape_of(document)
            except _NotJson:
                shape = None
            if shape is not None:
                template = self._template(shape, document, len(values))
                # pyld's _expand_iri, remembered (MemoProcessor): ids such as the issuer's recur.
                dataset = _dataset(template, values, self._processor._expand_iri) if template is not None else None
                if dataset is not None:
                    self.templated += 1
                    return _URDNA2015().main(dataset, self._options)
        return self._processor.normalize(document, self._options)

    def _template(self, shape: tuple, document: dict, count: int) -> _Template | None:
        try:
            return self._templates[shape]
        except KeyError:
            pass
        template = _build(document, count, self._processor, self._options)
        if len(self._templates) >= MAX_SHAPES:
            self._templates.clear()
        self._templates[shape] = template
        return template
