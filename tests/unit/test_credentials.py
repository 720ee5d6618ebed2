"""Behaviour of registry.credentials: what is accepted, what is hashed, what is minted."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.credentials import (
    CONTEXTS,
    TYPES,
    canonical_bytes,
    from_roster,
    identity_hash,
    load_file,
    load_paths,
    prepare,
    target_hash,
    target_hash_hex,
    validate,
)
from registry.errors import BadInput, InvalidCredential

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_CREDENTIALS = sorted((EXAMPLES / "credentials").glob("*.json"))
SRC = "creds/x.json"
ISSUER_DID = "did:web:learn.example.org"
ISSUER_NAME = "Example Learning Academy"
UUID_ID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def make_credential() -> dict[str, Any]:
    return {
        "@context": list(CONTEXTS),
        "type": list(TYPES),
        "name": "Data Analysis with Python – Level 1",
        "issuer": {"id": "did:web:issuer.example.org", "type": ["Profile"], "name": "Issuer"},
        "validFrom": "2025-06-27T09:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:example:learner-1",
            "achievement": {
                "id": "https://learn.example.org/achievements/dap-101",
                "type": ["Achievement"],
                "name": "Data Analysis with Python – Level 1",
                "description": "Cleans and summarises tabular data with pandas.",
                "criteria": {"narrative": "Pass the final assessment."},
            },
        },
    }


def edited(doc: dict[str, Any], dotted: str, value: Any = ..., *, delete: bool = False) -> dict[str, Any]:
    """A copy of doc with the field at a dotted path (``@context`` ok) set or deleted."""
    out = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    target = out
    for key in parents:
        target = target[key]
    if delete:
        del target[last]
    else:
        target[last] = value
    return out


@contextmanager
def raises_naming(*fragments: str) -> Iterator[None]:
    """Expect InvalidCredential whose message holds every fragment (file, field path, reason)."""
    with pytest.raises(InvalidCredential) as info:
        yield
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {str(info.value)!r}"


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_CREDENTIALS, ids=lambda p: p.name)
def test_example_credentials_are_valid(path: Path) -> None:
    validate(load_file(path), str(path))


def test_there_are_example_credentials_without_proof() -> None:
    assert 2 <= len(EXAMPLE_CREDENTIALS) <= 3
    for path in EXAMPLE_CREDENTIALS:
        doc = load_file(path)
        assert "proof" not in doc
        assert "id" not in doc or UUID_ID.fullmatch(doc["id"])


def test_minimal_open_badge_credential_is_valid() -> None:
    validate(make_credential())


def test_contexts_and_types_are_vc2_and_ob3() -> None:
    assert CONTEXTS == (
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    )
    assert TYPES == ("VerifiableCredential", "OpenBadgeCredential")


@pytest.mark.parametrize(
    "field",
    [
        "@context",
        "type",
        "name",
        "issuer",
        "issuer.id",
        "validFrom",
        "credentialSubject",
        "credentialSubject.type",
        "credentialSubject.achievement",
        "credentialSubject.achievement.id",
        "credentialSubject.achievement.type",
        "credentialSubject.achievement.name",
        "credentialSubject.achievement.description",
        "credentialSubject.achievement.criteria",
    ],
)
def test_missing_required_field_is_named_with_the_file(field: str) -> None:
    with raises_naming(f"{SRC}: {field}: missing"):
        validate(edited(make_credential(), field, delete=True), SRC)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("@context", "https://www.w3.org/ns/credentials/v2", "@context"),
        ("@context", [], "@context"),
        ("@context", ["https://www.w3.org/2018/credentials/v1", CONTEXTS[1]], "@context[0]"),
        ("@context", [CONTEXTS[1], CONTEXTS[0]], "@context[0]"),
        ("@context", [CONTEXTS[0]], "@context"),
        ("@context", [CONTEXTS[0], "https://purl.imsglobal.org/spec/ob/v3p0/context.json"], "@context"),
        ("@context", [CONTEXTS[0], CONTEXTS[1], 7], "@context[2]"),
        ("type", "VerifiableCredential", "type"),
        ("type", ["VerifiableCredential"], "type"),
        ("type", ["OpenBadgeCredential"], "type"),
        ("type", ["VerifiableCredential", 3], "type"),
        ("id", "not a uri", "id"),
        ("id", 42, "id"),
        ("name", "", "name"),
        ("name", ["x"], "name"),
        ("issuer", 7, "issuer"),
        ("issuer", "Example Learning Academy", "issuer"),
        ("issuer.id", "", "issuer.id"),
        ("issuer.type", ["Organization"], "issuer.type"),
        ("issuer.name", 5, "issuer.name"),
        ("validFrom", "2025-06-27T09:00:00", "validFrom"),
        ("validFrom", "2025-06-27", "validFrom"),
        ("validFrom", "2025-13-01T00:00:00Z", "validFrom"),
        ("validFrom", "2025-02-30T00:00:00Z", "validFrom"),
        ("validFrom", "2025-06-27 09:00:00Z", "validFrom"),
        ("validFrom", 1751014800, "validFrom"),
        ("validUntil", "2025-06-27T08:59:59Z", "validUntil"),
        ("validUntil", "tomorrow", "validUntil"),
        ("credentialSubject", [], "credentialSubject"),
        ("credentialSubject.type", ["Person"], "credentialSubject.type"),
        ("credentialSubject.id", "learner one", "credentialSubject.id"),
        ("credentialSubject.achievement", "https://learn.example.org/a/1", "credentialSubject.achievement"),
        ("credentialSubject.achievement.id", "dap 101", "credentialSubject.achievement.id"),
        ("credentialSubject.achievement.type", ["Badge"], "credentialSubject.achievement.type"),
        ("credentialSubject.achievement.name", None, "credentialSubject.achievement.name"),
        ("credentialSubject.achievement.description", 1, "credentialSubject.achievement.description"),
        ("credentialSubject.achievement.criteria", "pass", "credentialSubject.achievement.criteria"),
        ("credentialSubject.achievement.criteria", {}, "credentialSubject.achievement.criteria"),
        (
            "credentialSubject.achievement.criteria.id",
            "see page",
            "credentialSubject.achievement.criteria.id",
        ),
        ("proof", "signed", "proof"),
        ("proof", [{"type": "MerkleProof2019"}], "proof"),
    ],
)
def test_mistyped_field_is_named_with_the_file(field: str, value: Any, named: str) -> None:
    with raises_naming(f"{SRC}: {named}: "):
        validate(edited(make_credential(), field, value), SRC)


@pytest.mark.parametrize("doc", [[], "credential", None, 3])
def test_document_that_is_not_an_object_is_rejected(doc: Any) -> None:
    with raises_naming(f"{SRC}: must be a JSON object"):
        validate(doc, SRC)


def test_message_without_source_starts_with_the_field() -> None:
    with pytest.raises(InvalidCredential, match=r"^validFrom: missing$"):
        validate(edited(make_credential(), "validFrom", delete=True))


def test_invalid_credential_is_bad_input_with_exit_code_2() -> None:
    with pytest.raises(BadInput) as info:
        validate({}, SRC)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("ob_context", [
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.12.json",
])
def test_any_ob_3_0_patch_context_is_accepted(ob_context: str) -> None:
    validate(edited(make_credential(), "@context", [CONTEXTS[0], ob_context, {"ex": "https://ex.org/#"}]))


def test_achievement_credential_alias_type_is_accepted() -> None:
    validate(edited(make_credential(), "type", ["VerifiableCredential", "AchievementCredential"]))


def test_issuer_may_be_a_uri_string() -> None:
    validate(edited(make_credential(), "issuer", "did:web:issuer.example.org"))


def test_optional_fields_may_be_absent() -> None:
    doc = make_credential()
    del doc["issuer"]["type"], doc["issuer"]["name"]
    validate(doc)


def test_subject_needs_an_id_or_an_identifier() -> None:
    with raises_naming(f"{SRC}: credentialSubject: must have an id or at least one identifier"):
        validate(edited(make_credential(), "credentialSubject.id", delete=True), SRC)


def test_hashed_identifier_must_look_like_an_identity_hash() -> None:
    doc = edited(make_credential(), "credentialSubject.identifier", [
        {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "identityHash": "a@b.org"},
    ])
    with raises_naming(f"{SRC}: credentialSubject.identifier[0].identityHash: "):
        validate(doc, SRC)


def test_valid_until_equal_to_valid_from_is_accepted() -> None:
    validate(edited(make_credential(), "validUntil", "2025-06-27T09:00:00Z"))


def test_validity_period_is_compared_across_timezones() -> None:
    doc = edited(make_credential(), "validFrom", "2025-06-27T09:00:00+02:00")  # 07:00Z
    validate(edited(doc, "validUntil", "2025-06-27T08:00:00Z"))
    with raises_naming("validUntil: is before validFrom"):
        validate(edited(doc, "validUntil", "2025-06-27T06:59:59.5Z"))


def test_fractional_seconds_and_offsets_are_accepted() -> None:
    validate(edited(make_credential(), "validFrom", "2025-06-27T09:00:00.123456789-05:30"))


@pytest.mark.parametrize("value", [2**53, -(2**53), float("nan"), float("inf")])
def test_value_outside_rfc8785_domain_is_rejected_by_validate(value: Any) -> None:
    with raises_naming(SRC, "RFC 8785"):
        validate(edited(make_credential(), "credentialSubject.creditsEarned", value), SRC)


def test_validate_does_not_modify_the_document() -> None:
    doc = make_credential()
    before = copy.deepcopy(doc)
    validate(doc)
    assert doc == before


# --------------------------------------------------------------------------------------------
# canonical form and target hash
# --------------------------------------------------------------------------------------------


def test_canonical_form_ignores_key_order_and_whitespace() -> None:
    doc = make_credential()
    compact = json.loads(json.dumps(doc, separators=(",", ":")))
    spaced_reversed = json.loads(json.dumps(_reverse_keys(doc), indent=7, ensure_ascii=True))
    assert list(spaced_reversed) != list(doc)
    assert canonical_bytes(compact) == canonical_bytes(spaced_reversed)
    assert target_hash(compact) == target_hash(spaced_reversed)


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def test_canonical_form_ignores_proof() -> None:
    doc = make_credential()
    with_proof = dict(doc, proof={"type": "MerkleProof2019", "targetHash": "00" * 32})
    assert canonical_bytes(with_proof) == canonical_bytes(doc)
    assert target_hash_hex(with_proof) == target_hash_hex(doc)
    assert b"proof" not in canonical_bytes(with_proof)


def test_only_the_top_level_proof_is_left_out() -> None:
    doc = make_credential()
    nested = edited(doc, "credentialSubject.proof", {"x": 1})
    assert target_hash(nested) != target_hash(doc)


def _leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, prefix + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, prefix + (i,))]
    return [prefix]


def _set(doc: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@pytest.mark.parametrize("example", EXAMPLE_CREDENTIALS, ids=lambda p: p.name)
def test_any_change_to_any_value_changes_the_target_hash(example: Path) -> None:
    doc = load_file(example)
    original = target_hash(doc)
    paths = _leaf_paths(doc)
    assert len(paths) > 15
    for path in paths:
        old = _get(doc, path)
        new = (not old) if isinstance(old, bool) else old + 1 if isinstance(old, (int, float)) else old + " "
        assert target_hash(_set(doc, path, new)) != original, path
    assert target_hash(dict(doc, extra="x")) != original
    assert target_hash({k: v for k, v in doc.items() if k != "name"}) != original
    reordered_types = _set(doc, ("type",), list(reversed(doc["type"])))
    assert target_hash(reordered_types) != original  # arrays keep their order in RFC 8785


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def test_target_hash_is_sha256_of_the_canonical_bytes() -> None:
    doc = make_credential()
    assert target_hash(doc) == hashlib.sha256(canonical_bytes(doc)).digest()
    assert len(target_hash(doc)) == 32
    hex_hash = target_hash_hex(doc)
    assert hex_hash == target_hash(doc).hex()
    assert re.fullmatch(r"[0-9a-f]{64}", hex_hash)


def test_canonical_bytes_are_rfc8785_of_the_document_without_proof() -> None:
    doc = dict(make_credential(), proof={"type": "x"})
    assert canonical_bytes(doc) == rfc8785.dumps({k: v for k, v in doc.items() if k != "proof"})


def test_rfc8785_number_unicode_and_key_order_rules_apply() -> None:
    # Numbers in ECMAScript form, strings as raw UTF-8, keys ordered by UTF-16 code units.
    doc = {
        "n": [1.0, 1e21, 0.000001, -0.0, 100],
        "s": "é€\u2028😀\n",
        "\u20ac": 1,
        "\U0001f600": 2,
        "\ufb33": 3,
    }
    out = canonical_bytes(doc)
    assert out == rfc8785.dumps(doc)
    assert b'"n":[1,1e+21,0.000001,0,100]' in out
    assert '"s":"é€\u2028😀\\n"'.encode() in out
    assert out.index("\U0001f600".encode()) < out.index("\ufb33".encode())  # surrogate D83D < FB33


def test_canonical_bytes_does_not_modify_the_document() -> None:
    doc = dict(make_credential(), proof={"type": "x"})
    before = copy.deepcopy(doc)
    canonical_bytes(doc)
    assert doc == before


@pytest.mark.parametrize("bad", [[1, 2], "x", {"n": float("nan")}, {"n": 2**60}, {"b": b"raw"}])
def test_canonical_bytes_reject_what_rfc8785_cannot_express(bad: Any) -> None:
    with pytest.raises(InvalidCredential):
        canonical_bytes(bad)


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _json, max_size=6))
def test_key_order_never_changes_the_hash(doc: dict[str, Any]) -> None:
    assert target_hash(_reverse_keys(doc)) == target_hash(doc)
    reparsed = json.loads(json.dumps(doc, indent=2))
    assert target_hash(reparsed) == target_hash(doc)


# --------------------------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------------------------


def test_prepare_adds_a_random_urn_uuid_id() -> None:
    out = prepare(make_credential(), ISSUER_DID, ISSUER_NAME)
    assert UUID_ID.fullmatch(out["id"])
    assert uuid.UUID(out["id"].removeprefix("urn:uuid:")).version == 4
    validate(out)


def test_two_prepares_of_the_same_document_hash_differently() -> None:
    doc = make_credential()
    first, second = (prepare(doc, ISSUER_DID, ISSUER_NAME) for _ in range(2))
    assert first["id"] != second["id"]
    assert target_hash(first) != target_hash(second)


def test_prepare_keeps_an_existing_id() -> None:
    doc = dict(make_credential(), id="urn:uuid:3f6c2a1e-8b4d-4e7a-9c5f-0d2b7e91a4c8")
    assert prepare(doc, ISSUER_DID, ISSUER_NAME)["id"] == doc["id"]


@pytest.mark.parametrize("issuer", [
    {"id": "did:web:other.example", "type": ["Profile"], "name": "Someone Else", "url": "https://o.example"},
    "did:web:someone-else.example",
])
def test_prepare_sets_the_issuer_from_its_on_chain_record(issuer: Any) -> None:
    out = prepare(edited(make_credential(), "issuer", issuer), ISSUER_DID, ISSUER_NAME)
    assert out["issuer"] == {"id": ISSUER_DID, "type": ["Profile"], "name": ISSUER_NAME}


def test_prepare_accepts_a_document_without_issuer() -> None:
    out = prepare(edited(make_credential(), "issuer", delete=True), ISSUER_DID, ISSUER_NAME)
    assert out["issuer"]["id"] == ISSUER_DID


def test_prepare_drops_the_proof() -> None:
    doc = dict(make_credential(), proof={"type": "MerkleProof2019", "targetHash": "ab" * 32})
    assert "proof" not in prepare(doc, ISSUER_DID, ISSUER_NAME)


def test_prepare_does_not_mutate_or_share_the_input() -> None:
    doc = dict(make_credential(), proof={"type": "x"})
    before = copy.deepcopy(doc)
    out = prepare(doc, ISSUER_DID, ISSUER_NAME)
    assert doc == before
    out["credentialSubject"]["achievement"]["name"] = "changed"
    out["@context"].append("https://example.org/ctx")
    assert doc == before


def test_prepare_rejects_an_invalid_document_naming_the_source() -> None:
    with raises_naming(f"{SRC}: credentialSubject.achievement.criteria: missing"):
        prepare(edited(make_credential(), "credentialSubject.achievement.criteria", delete=True),
                ISSUER_DID, ISSUER_NAME, SRC)


@pytest.mark.parametrize(
    ("did", "name"), [("", ISSUER_NAME), ("learn example", ISSUER_NAME), (ISSUER_DID, " ")]
)
def test_prepare_rejects_a_malformed_issuer_record(did: str, name: str) -> None:
    with pytest.raises(BadInput):
        prepare(make_credential(), did, name)


# --------------------------------------------------------------------------------------------
# load_file / load_paths
# --------------------------------------------------------------------------------------------


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_load_file_names_file_line_and_column_of_a_json_error(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '{\n  "name": "x",\n  "type": [1, 2,]\n}\n')
    with raises_naming(f"{bad}: line 3 column"):
        load_file(bad)


@pytest.mark.parametrize("text", ["[1, 2]", '"x"', "null"])
def test_load_file_rejects_a_non_object(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "a.json", text)
    with raises_naming(f"{path}: must be a JSON object"):
        load_file(path)


@pytest.mark.parametrize(("text", "reason"), [
    ('{"name": "a", "name": "b"}', "duplicate key 'name'"),
    ('{"n": NaN}', "NaN"),
    ('{"n": Infinity}', "Infinity"),
])
def test_load_file_rejects_ambiguous_json(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path / "a.json", text)
    with raises_naming(str(path), reason):
        load_file(path)


def test_load_file_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "caf\u00e9"}'.encode("latin-1"))
    with raises_naming(f"{path}: not UTF-8"):
        load_file(path)


def test_load_file_of_a_missing_file_is_bad_input_naming_it(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="nope.json"):
        load_file(tmp_path / "nope.json")


def test_load_paths_reads_every_json_in_a_directory_sorted(tmp_path: Path) -> None:
    for name in ("b.json", "a.json", "c.json"):
        write(tmp_path / "in" / name, make_credential())
    write(tmp_path / "in" / "notes.txt", "not a credential")
    write(tmp_path / "in" / "sub" / "d.json", make_credential())
    loaded = load_paths([tmp_path / "in"])
    assert [p.name for p, _ in loaded] == ["a.json", "b.json", "c.json"]
    assert all(doc == make_credential() for _, doc in loaded)


def test_load_paths_mixes_files_and_directories_and_loads_a_file_once(tmp_path: Path) -> None:
    one = write(tmp_path / "one.json", make_credential())
    write(tmp_path / "dir" / "two.json", make_credential())
    loaded = load_paths([str(one), tmp_path / "dir", one])
    assert [p.name for p, _ in loaded] == ["one.json", "two.json"]


def test_load_paths_loads_the_examples() -> None:
    assert len(load_paths([EXAMPLES / "credentials"])) == len(EXAMPLE_CREDENTIALS)


def test_load_paths_is_all_or_nothing_and_names_the_bad_file(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.json", make_credential())
    broken = edited(make_credential(), "credentialSubject.achievement.name", delete=True)
    bad = write(tmp_path / "in" / "b.json", broken)
    write(tmp_path / "in" / "c.json", make_credential())
    with raises_naming(f"{bad}: credentialSubject.achievement.name: missing"):
        load_paths([tmp_path / "in"])


def test_load_paths_names_a_file_with_broken_json(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.json", make_credential())
    bad = write(tmp_path / "in" / "b.json", '{"@context": [')
    with raises_naming(f"{bad}: line 1 column"):
        load_paths([tmp_path / "in"])


def test_load_paths_names_a_missing_path(tmp_path: Path) -> None:
    good = write(tmp_path / "a.json", make_credential())
    with pytest.raises(BadInput, match="missing-dir"):
        load_paths([good, tmp_path / "missing-dir"])


def test_load_paths_rejects_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="no \\*.json"):
        load_paths([tmp_path / "empty"])


def test_load_paths_rejects_two_files_with_the_same_id(tmp_path: Path) -> None:
    doc = dict(make_credential(), id="urn:uuid:3f6c2a1e-8b4d-4e7a-9c5f-0d2b7e91a4c8")
    write(tmp_path / "a.json", doc)
    second = write(tmp_path / "b.json", doc)
    with raises_naming(f"{second}: id: ", "a.json"):
        load_paths([tmp_path])


# --------------------------------------------------------------------------------------------
# from_roster
# --------------------------------------------------------------------------------------------


def roster(tmp_path: Path, text: str) -> Path:
    return write(tmp_path / "roster.csv", text)


def achievement_file(tmp_path: Path, **changes: Any) -> Path:
    ach = copy.deepcopy(make_credential()["credentialSubject"]["achievement"])
    for key, value in changes.items():
        if value is None:
            ach.pop(key)
        else:
            ach[key] = value
    return write(tmp_path / "achievement.json", ach)


def test_example_roster_gives_one_valid_credential_per_row() -> None:
    docs = from_roster(EXAMPLES / "roster.csv", EXAMPLES / "achievement.json")
    rows = (EXAMPLES / "roster.csv").read_text(encoding="utf-8").strip().splitlines()[1:]
    assert len(docs) == len(rows) == 5
    achievement = load_file(EXAMPLES / "achievement.json")
    for doc in docs:
        assert doc["type"] == list(TYPES) and doc["@context"] == list(CONTEXTS)
        assert doc["credentialSubject"]["achievement"] == achievement
        assert "id" not in doc and "issuer" not in doc and "proof" not in doc
        validate(prepare(doc, ISSUER_DID, ISSUER_NAME))
    prepared = [prepare(d, ISSUER_DID, ISSUER_NAME) for d in docs]
    assert len({target_hash(d) for d in prepared}) == 5


def test_roster_email_is_never_in_clear_text_but_can_be_checked() -> None:
    docs = from_roster(EXAMPLES / "roster.csv", EXAMPLES / "achievement.json")
    text = (EXAMPLES / "roster.csv").read_text(encoding="utf-8")
    emails = re.findall(r"[\w.]+@example\.org", text)
    assert len(emails) == 4
    for doc in docs:
        dumped = json.dumps(doc, ensure_ascii=False).lower()
        assert not any(e.lower() in dumped for e in emails)
    ada = docs[0]["credentialSubject"]["identifier"][0]
    assert ada["identityType"] == "emailAddress" and ada["hashed"] is True and ada["type"] == "IdentityObject"
    assert ada["identityHash"] == identity_hash("ada.example@example.org", ada["salt"])


def test_roster_email_hash_is_salted_per_credential(tmp_path: Path) -> None:
    csv_path = roster(tmp_path, "name,email\nAda Example,ada@example.org\n")
    first = from_roster(csv_path, achievement_file(tmp_path))[0]["credentialSubject"]["identifier"][0]
    second = from_roster(csv_path, achievement_file(tmp_path))[0]["credentialSubject"]["identifier"][0]
    assert first["salt"] != second["salt"] and first["identityHash"] != second["identityHash"]


def test_roster_email_is_normalised_before_hashing(tmp_path: Path) -> None:
    csv_path = roster(tmp_path, "name,email\nAda Example, Ada@Example.ORG \n")
    ident = from_roster(csv_path, achievement_file(tmp_path))[0]["credentialSubject"]["identifier"][0]
    assert ident["identityHash"] == identity_hash("ada@example.org", ident["salt"])


def test_identity_hash_matches_the_open_badges_example() -> None:
    expected = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    assert identity_hash("a@example.com", "Kosher") == expected


def test_roster_id_column_becomes_the_subject_id_and_name_an_identifier() -> None:
    docs = from_roster(EXAMPLES / "roster.csv", EXAMPLES / "achievement.json")
    dana = docs[3]["credentialSubject"]
    assert dana["id"] == "did:example:learner-dana-7f3c"
    assert dana["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Dana Testperson"}
    ]
    assert docs[1]["validUntil"] == "2028-06-27T09:00:00Z"
    assert "validUntil" not in docs[0]


def test_roster_valid_from_comes_from_row_then_argument_then_now(tmp_path: Path) -> None:
    csv_path = roster(
        tmp_path, "name,email,validFrom\nA One,a@example.org,2025-01-02T03:04:05Z\nB Two,b@example.org,\n"
    )
    ach = achievement_file(tmp_path)
    docs = from_roster(csv_path, ach, valid_from="2025-02-01T00:00:00Z")
    assert [d["validFrom"] for d in docs] == ["2025-01-02T03:04:05Z", "2025-02-01T00:00:00Z"]
    now_doc = from_roster(csv_path, ach)[1]
    started = datetime.fromisoformat(now_doc["validFrom"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - started).total_seconds()) < 60


def test_roster_rejects_a_bad_valid_from_argument(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="valid_from"):
        from_roster(
            roster(tmp_path, "name,email\nA,a@example.org\n"), achievement_file(tmp_path), "2025-01-01"
        )


@pytest.mark.parametrize(("text", "named"), [
    ("name,email\nA One,a@example.org\nB Two,not-an-email\n", "row 2 (line 3): column email: "),
    ("name,email\nA One,a@example.org\n,b@example.org\n", "row 2 (line 3): column name: empty"),
    ("name,email,id\nA One,,\n", "row 1 (line 2): column email/id: "),
    ("name,id\nA One,learner one\n", "row 1 (line 2): column id: "),
    ("name,email,validFrom\nA One,a@example.org,2025-06-27\n", "row 1 (line 2): column validFrom: "),
    ("name,email,validFrom,validUntil\nA,a@example.org,2025-06-27T00:00:00Z,2024-01-01T00:00:00Z\n",
     "row 1 (line 2): column validUntil: is before validFrom"),
    ("name,email\nA One,a@example.org,extra\n", "row 1 (line 2): has 3 fields, the header has 2"),
    ("name,email\nA One,a@example.org\n\nB Two,A@EXAMPLE.org\n",
     "row 2 (line 4): column email: same learner as row 1"),
    ("name,email\nA One,a@example.org\n\"B Two,b@example.org\n", "line 3: not valid CSV"),
    ("name,email\nA One,a@example.org\n\"B\" Two,b@example.org\n", "line 3: not valid CSV"),
    ("name,mail\nA One,a@example.org\n", "header: unknown column 'mail'"),
    ("email\na@example.org\n", "header: missing column 'name'"),
    ("name,validFrom\nA One,2025-06-27T00:00:00Z\n", "header: needs an 'email' or an 'id' column"),
    ("name,email,email\nA,a@example.org,b@example.org\n", "header: column 'email' appears twice"),
])
def test_roster_errors_name_the_file_row_and_column(tmp_path: Path, text: str, named: str) -> None:
    csv_path = roster(tmp_path, text)
    with raises_naming(f"{csv_path}: ", named):
        from_roster(csv_path, achievement_file(tmp_path))


@pytest.mark.parametrize("text", ["", "\n\n", "name,email\n", "name,email\n\n  \n"])
def test_empty_roster_is_rejected(tmp_path: Path, text: str) -> None:
    csv_path = roster(tmp_path, text)
    with raises_naming(f"{csv_path}: empty roster"):
        from_roster(csv_path, achievement_file(tmp_path))


def test_roster_accepts_bom_crlf_quoted_fields_and_unicode(tmp_path: Path) -> None:
    csv_path = tmp_path / "roster.csv"
    csv_path.write_bytes('\ufeffname,email\r\n"Ünal, Zoë",zoe@example.org\r\n'.encode())
    doc = from_roster(csv_path, achievement_file(tmp_path))[0]
    assert doc["credentialSubject"]["identifier"][1]["identityHash"] == "Ünal, Zoë"


@pytest.mark.parametrize(("change", "named"), [
    ({"description": None}, "description: missing"),
    ({"criteria": None}, "criteria: missing"),
    ({"type": ["Badge"]}, "type: must include 'Achievement'"),
    ({"id": "dap 101"}, "id: must be a URI"),
])
def test_roster_names_the_achievement_file_and_field(tmp_path: Path, change: dict, named: str) -> None:
    ach = achievement_file(tmp_path, **change)
    with raises_naming(f"{ach}: {named}"):
        from_roster(roster(tmp_path, "name,email\nA,a@example.org\n"), ach)


def test_roster_with_broken_achievement_json_names_line_and_column(tmp_path: Path) -> None:
    ach = write(tmp_path / "achievement.json", '{"id": "https://x.example/a",\n "name": }')
    with raises_naming(f"{ach}: line 2 column"):
        from_roster(roster(tmp_path, "name,email\nA,a@example.org\n"), ach)


def test_roster_credentials_do_not_share_the_achievement_object(tmp_path: Path) -> None:
    csv_path = roster(tmp_path, "name,email\nA One,a@example.org\nB Two,b@example.org\n")
    first, second = from_roster(csv_path, achievement_file(tmp_path))
    first["credentialSubject"]["achievement"]["name"] = "changed"
    assert second["credentialSubject"]["achievement"]["name"] != "changed"


# --- the canonical fast path must be byte-for-byte rfc8785 -----------------------------------
import rfc8785 as _rfc8785  # noqa: E402
from hypothesis import given as _given, settings as _settings, strategies as _st  # noqa: E402

_json_values = _st.recursive(
    _st.none() | _st.booleans() | _st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | _st.floats(allow_nan=False, allow_infinity=False) | _st.text(),
    lambda children: _st.lists(children, max_size=4) | _st.dictionaries(_st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@_settings(max_examples=400, deadline=None)
@_given(_st.dictionaries(_st.text(max_size=8), _json_values, max_size=6))
def test_canonical_bytes_equal_rfc8785_for_any_json_document(doc):
    from registry.credentials import canonical_bytes

    doc.pop("proof", None)
    try:
        expected = _rfc8785.dumps(doc)
    except _rfc8785.CanonicalizationError:
        return
    assert canonical_bytes(doc) == expected


def test_canonical_bytes_equal_rfc8785_on_tricky_strings_and_keys():
    from registry.credentials import canonical_bytes

    doc = {"\u00e9": 1, "z": "\u2028\u2029\x7f\x00\x1f\"\\/", "a": ["\U0001f600", "\ue000"], "\U0001f600": 2,
           "\ue000": 3, "n": -(2**53) + 1, "f": 1e21, "g": 0.1, "h": -0.0}
    assert canonical_bytes(doc) == _rfc8785.dumps(doc)


# --- what the parser says is plain is plain: the verifier hashes it without walking it -------
_json_numbers = _st.recursive(
    _st.none() | _st.booleans() | _st.integers() | _st.floats(allow_nan=False, allow_infinity=False)
    | _st.text(max_size=6),
    lambda children: _st.lists(children, max_size=3) | _st.dictionaries(_st.text(max_size=4), children, max_size=3),
    max_leaves=12,
)


@_settings(max_examples=400, deadline=None)
@_given(_st.dictionaries(_st.text(max_size=4), _json_numbers, max_size=5), _st.booleans(), _st.booleans())
def test_parse_json_with_plainness_never_calls_a_document_plain_that_is_not(doc, ascii_only, as_bytes):
    from registry.credentials import canonical_bytes, parse_json_with_plainness
    from registry.credentials.canonical import _plain

    text = json.dumps(doc, ensure_ascii=ascii_only)
    value, plain = parse_json_with_plainness(text.encode() if as_bytes else text, "test")
    assert value == doc
    if plain:
        assert _plain(value)
        value.pop("proof", None)
        assert canonical_bytes(value, plain=True) == _rfc8785.dumps(value)


def test_parse_json_with_plainness_reads_the_signs_of_a_document_that_is_not():
    from registry.credentials import parse_json_with_plainness

    assert parse_json_with_plainness(b'{"a": [1, "x", {"b": null}]}', "t") == ({"a": [1, "x", {"b": None}]}, True)
    for text in ('{"a": 1.5}', '{"a": 1e3}', '{"a": 9007199254740992}', '{"\\u00e9": 1}', '{"a": "\\u0041"}',
                 '{"é": 1}', '["é"]'):
        assert parse_json_with_plainness(text, "t")[1] is False, text
    # UTF-16 spells an escape, or a character such as U+4E00, in bytes that each look like ASCII.
    for text in ('{"\\ue000": 1, "\\ud83d\\ude00": 2}', '{"\u4e00": 1}', '{"a": 1}'):
        for encoding in ("utf-16-le", "utf-16-be", "utf-32-le"):
            assert parse_json_with_plainness(text.encode(encoding), "t")[1] is False, (text, encoding)


def test_the_made_once_encoder_writes_what_json_dumps_writes():
    # One public json.JSONEncoder, made once; there is no second path (the private C encoder) left.
    from registry.credentials import canonical as credentials

    doc = {"b": [1, True, None, {"y": "\u00e9\n\"", "x": -3}], "a": "\U0001f600", "": {}}
    expected = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert credentials._sorted_compact_json(doc) == expected
    with pytest.raises(TypeError, match="not JSON serializable"):
        credentials._sorted_compact_json({"a": object()})
