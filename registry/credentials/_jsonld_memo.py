"""A speed trick: pyld with its context processing remembered across documents.

Why: signing a credential canonicalizes it (and its proof configuration) with RDFC-1.0, and
pyld spends most of that time processing the same contexts again for every document. pyld
remembers a processed context only per *active context object*; the Open Badges 3.0 context
scopes a context to each type (``AchievementCredential``, ``Achievement``, ``Profile``, …) with
``@propagate: false``, and pyld processes each of those against a fresh clone of the active
context, so they are worked out anew for every credential. ``bench/sign.py`` measures the effect
side by side with plain pyld.

What: :class:`MemoProcessor` is pyld's own ``JsonLdProcessor``; ``_process_context`` is
wrapped, and it returns the result pyld computed the first time for the same inputs:

- the active context, by its ``_uuid`` (pyld gives each active context one when it processes a
  context against it, and itself caches processed contexts by that id: it treats an active
  context with an id as fixed);
- the local context: for a context given by URL (a string, or a list of strings) its value; for
  an embedded context object, that very object (kept alive in the entry, so its ``id`` cannot be
  reused). Embedded scoped contexts come from the term definitions of a remembered active
  context, so they are the same object from one document to the next;
- the flags and the options that change the result (``base``, ``processingMode``).

pyld treats processed contexts as immutable (it shares them across documents from its own cache
already), so handing back the same one is what pyld does on its own cache hit. ``_expand_iri``
outside context processing is remembered the same way (by the active context's id, the value,
the base and vocab). The tables are bounded: cleared when they grow past their size. Correctness is pinned by
``tests/unit/test_jsonld_memo.py``: the same canonical N-Quads as plain pyld on every credential
shape the tests know.

Below it, :func:`canonical_proof_configuration`: the canonical form of a signature's proof
configuration from a template (the comment there says why that is exact).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pyld import jsonld

MAX_ENTRIES = 4096


class MemoProcessor(jsonld.JsonLdProcessor):
    """``JsonLdProcessor`` whose ``_process_context`` results are remembered (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[tuple, tuple[Any, dict]] = {}
        self._iris: dict[tuple, Any] = {}

    def _expand_iri(self, active_ctx, value, base=None, vocab=False, local_ctx=None, defined=None):
        # Outside context processing (no local_ctx, no defined), expanding a string depends only
        # on the active context (fixed once it has its _uuid, as above), the base and vocab:
        # every credential expands the same hundred-odd terms and type names.
        uid = active_ctx.get("_uuid")
        if (local_ctx is not None or defined is not None or uid is None or not isinstance(value, str)
                or not (base is None or isinstance(base, str))):
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        key = (uid, value, base, vocab)
        try:
            return self._iris[key]
        except KeyError:
            pass
        expanded = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        if len(self._iris) >= MAX_ENTRIES * 4:
            self._iris.clear()
        self._iris[key] = expanded
        return expanded

    def _process_context(self, active_ctx, local_ctx, options, override_protected=False, propagate=True,
                         validate_scoped=True, cycles=None):
        uid = active_ctx.get("_uuid")  # a dict, or pyld's frozen initial context
        local_key = _value_key(local_ctx)
        if uid is None or cycles:
            return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                            validate_scoped, cycles)
        key = (uid, local_key, override_protected, propagate, validate_scoped, options.get("base"),
               options.get("processingMode"))
        hit = self._memo.get(key)
        if hit is not None and (local_key[0] == "value" or hit[0] is local_ctx):
            return hit[1]
        processed = super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                             validate_scoped, cycles)
        if len(self._memo) >= MAX_ENTRIES:
            self._memo.clear()
        self._memo[key] = (local_ctx, processed)
        return processed


def _value_key(local_ctx: Any) -> tuple:
    """A context by URL(s) is keyed by value; anything else by identity (checked on a hit)."""
    if isinstance(local_ctx, str):
        return ("value", local_ctx)
    if isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
        return ("value", *local_ctx)
    return ("object", id(local_ctx))


# --- the proof configuration, by template -------------------------------------------------------
# A signature's proof configuration differs from one credential to the next only in its ``id``
# and ``created``. Its canonical N-Quads have one subject, the proof's id (an IRI, no blank
# node), so RDFC-1.0 only sorts the lines; when each line has its own predicate, their order
# does not depend on the id or the date either. Then the canonical text of one configuration,
# with those two values swapped for the next credential's, is that credential's canonical text.
# Anything else (another shape, values that would need escaping) is canonicalized in full.

_TEMPLATE_ID = "urn:uuid:00000000-0000-4000-8000-000000000000"
_TEMPLATE_CREATED = "2000-01-01T00:00:00Z"
_PLAIN_ID = re.compile(r"urn:uuid:[0-9a-fA-F-]{36}")
_PLAIN_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z")
_templates: dict[str, str | None] = {}


def canonical_proof_configuration(config: dict, canonicalize: Callable[[dict], str]) -> str:
    """``canonicalize(config)``, from a remembered template when the shape allows (see above)."""
    proof_id, created = config.get("id"), config.get("created")
    if not (isinstance(proof_id, str) and _PLAIN_ID.fullmatch(proof_id) and isinstance(created, str)
            and _PLAIN_CREATED.fullmatch(created)):
        return canonicalize(config)
    key = json.dumps({k: v for k, v in config.items() if k not in ("id", "created")}, sort_keys=True)
    if key not in _templates:
        text = canonicalize({**config, "id": _TEMPLATE_ID, "created": _TEMPLATE_CREATED})
        if len(_templates) >= MAX_ENTRIES:
            _templates.clear()
        _templates[key] = text if _is_template(text) else None
    template = _templates[key]
    if template is None:
        return canonicalize(config)
    return template.replace(_TEMPLATE_ID, proof_id).replace(f'"{_TEMPLATE_CREATED}"', f'"{created}"')


def _is_template(text: str) -> bool:
    lines = text.splitlines()
    subject = f"<{_TEMPLATE_ID}> "
    predicates = [line[len(subject):].split(" ", 1)[0] for line in lines]
    return (bool(lines) and all(line.startswith(subject) for line in lines)
            and len(set(predicates)) == len(predicates)
            and text.count(_TEMPLATE_ID) == len(lines) and text.count(f'"{_TEMPLATE_CREATED}"') == 1)
