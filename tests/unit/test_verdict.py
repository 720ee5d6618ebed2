"""A verdict as the HTTP answer publishes it (ARCHITECTURE.md, "A verdict")."""

from __future__ import annotations

from registry.verification.verdict import Check, Verdict


def test_a_verdict_becomes_the_published_dict_with_each_check_named_by_its_fields():
    checks = (Check("format", True, "an Open Badges 3.0 credential"), Check("integrity", False, "changed"))
    verdict = Verdict("invalid", checks, {"id": 1, "name": "A", "did": "did:web:a"}, None)
    assert verdict.as_dict() == {
        "status": "invalid",
        "checks": [{"name": "format", "passed": True, "detail": "an Open Badges 3.0 credential"},
                   {"name": "integrity", "passed": False, "detail": "changed"}],
        "issuer": {"id": 1, "name": "A", "did": "did:web:a"}, "anchor": None}
    assert [list(c) for c in verdict.as_dict()["checks"]] == [list(Check._fields)] * 2
