"""The collector's pause around the batch route (registry/credentials/_gc_pause.py) leaves the collector
as it found it, and changes no answer."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain_fakes import FakeView, anchored_format_1, anchored_format_2, prepared  # noqa: E402

from registry.credentials import _gc_pause  # noqa: E402
from registry.service.app import Settings, create_app  # noqa: E402
from registry.verification import verify  # noqa: E402


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after(collector_on):
    with _gc_pause.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_exception(collector_on):
    with pytest.raises(ValueError), _gc_pause.paused():
        raise ValueError("a batch refused")
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_collector_to_the_outer_one(collector_on):
    with _gc_pause.paused():
        with _gc_pause.paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_process_running_without_the_collector_keeps_it_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with _gc_pause.paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_the_batch_route_answers_as_verify_does_and_leaves_the_collector_on(collector_on):
    view = FakeView()
    docs = anchored_format_2(view, [prepared(), prepared("accessible-web-design")])
    docs += anchored_format_1(view, [prepared("workplace-first-aid")])
    docs += [{**docs[0], "name": "edited"}, "not a credential"]
    with TestClient(create_app(Settings(), view=view)) as client:
        answer = client.post("/v1/verify/batch", content=json.dumps(docs))
        refused = client.post("/v1/verify/batch", content=b'{"not": "a list"}')
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert [v["status"] for v in answer.json()] == ["valid", "valid", "valid", "invalid", "invalid"]
    assert answer.json() == [verify(d, view).as_dict() for d in docs]
    assert refused.status_code == 422
    assert gc.isenabled()
