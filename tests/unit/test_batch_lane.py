"""The batch lane (registry/service/_batch_lane.py): a single request is answered while a batch
is being verified in the same worker, and the batch's answer is what verify gives.

No timing: the batch is held inside verification (the chain view blocks on an event when asked
for the batch's root) and the test records what happened first. Run on the event loop, as it was
before the lane, the held batch holds the loop and the single is answered only after the release.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain_fakes import FakeView, anchored_format_2, prepared  # noqa: E402

from registry.service.app import Settings, create_app  # noqa: E402
from registry.verification import verify  # noqa: E402


class HeldView(FakeView):
    """A view that holds whoever asks for ``held_root`` until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.held_root = ""
        self.entered, self.release = threading.Event(), threading.Event()

    def root(self, root: str):
        if self.held_root and root.lower().removeprefix("0x") == self.held_root:
            self.entered.set()
            self.release.wait(10)
        return super().root(root)


def _root(doc) -> str:
    from chain_fakes import receipt_of

    return receipt_of(doc)["merkleRoot"]


def _run(lane: bool, copies: int = 1) -> tuple[list[str], list[dict], dict, list[dict], HeldView]:
    view = HeldView()
    batch = anchored_format_2(view, [prepared(), prepared("accessible-web-design")]) * copies
    single = anchored_format_2(view, [prepared("workplace-first-aid")])[0]
    order: list[str] = []
    answers: dict[str, object] = {}
    with TestClient(create_app(Settings(batch_lane=lane), view=view)) as client:
        view.held_root = _root(batch[0])

        def send_batch() -> None:
            answers["batch"] = client.post("/v1/verify/batch", content=json.dumps(batch)).json()
            order.append("batch answered")

        sender = threading.Thread(target=send_batch)
        sender.start()
        assert view.entered.wait(10), "the batch never reached the chain view"

        def release_later() -> None:
            # Lets a loop held by the batch go on (without the lane); the test then fails on order.
            if not single_done.wait(3):
                order.append("batch released")
                view.release.set()

        single_done = threading.Event()
        releaser = threading.Thread(target=release_later)
        releaser.start()
        answers["single"] = client.post("/v1/verify", content=json.dumps(single)).json()
        order.append("single answered")
        single_done.set()
        view.release.set()
        releaser.join()
        sender.join(20)
    view.held_root = ""
    return order, answers["batch"], answers["single"], batch, view


def test_a_single_request_is_answered_while_a_batch_is_verified():
    order, batch_answer, single_answer, batch, view = _run(lane=True)
    assert order == ["single answered", "batch answered"]
    assert single_answer["status"] == "valid"
    assert batch_answer == [verify(d, view).as_dict() for d in batch]
    assert [v["status"] for v in batch_answer] == ["valid", "valid"]


def test_a_bulk_batch_runs_on_the_loop_so_the_worker_stops_accepting():
    """Over the lane's byte limit a batch takes the worker whole, as before the lane (see the
    module: other workers then get the new connections)."""
    from registry.service._batch_lane import MAX_BYTES

    copies = 1 + MAX_BYTES // len(json.dumps(anchored_format_2(HeldView(), [prepared(), prepared()])))
    order, batch_answer, single_answer, batch, _ = _run(lane=True, copies=copies)
    assert len(json.dumps(batch)) > MAX_BYTES
    assert order[0] == "batch released"
    assert {v["status"] for v in batch_answer} == {"valid"} and single_answer["status"] == "valid"


def test_without_the_lane_the_single_waits_for_the_batch():
    """What the lane is for: on the loop, the held batch holds the single too (the bench's
    `--no-batch-lane` A/B)."""
    order, batch_answer, single_answer, _, _ = _run(lane=False)
    assert order[0] == "batch released"
    assert single_answer["status"] == "valid" and [v["status"] for v in batch_answer] == ["valid", "valid"]


def test_the_lane_thread_ends_with_the_app():
    view = FakeView()
    batch = anchored_format_2(view, [prepared()])
    with TestClient(create_app(Settings(), view=view)) as client:
        assert client.post("/v1/verify/batch", content=json.dumps(batch)).json()[0]["status"] == "valid"
        assert [t for t in threading.enumerate() if t.name.startswith("credreg-batch")]
    assert not [t for t in threading.enumerate() if t.name.startswith("credreg-batch") and t.is_alive()]


@pytest.fixture(autouse=True)
def _switch_interval():
    was = sys.getswitchinterval()
    yield
    sys.setswitchinterval(was)
