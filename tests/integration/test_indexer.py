"""The service's chain indexer against a real anvil node: completeness, persistence, the log
window, health. Each test drives its own Indexer with `poll_once` (no background thread), on a
Web3 of its own so a wrapped `get_logs` stays local to the test."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import requests
from web3 import Web3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from verifier_helpers import (  # noqa: E402, F401 (world: fixture)
    ACADEMY,
    DEAD_RPC,
    build_world,
    mine,
    receipt,
    root_of,
    world,
)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.chain.view import DirectChainView  # noqa: E402
from registry.dev.devchain import Anvil, dev_account  # noqa: E402
from registry.chain.indexer import Indexer  # noqa: E402
from registry.verification import verify  # noqa: E402

LABELS = ("sql", "batch2-a", "cross-issuer")


def indexer(world, **options) -> Indexer:
    options.setdefault("start_block", world.deploy_block)
    options.setdefault("reorg_depth", 2)
    return Indexer(connect(world.url), world.registry.address, **options)


def log_ranges(monkeypatch, ix: Indexer, refuse=lambda start, end, calls: False
               ) -> list[tuple[int, int, bool]]:
    """Record each get_logs range (from, to, answered); ``refuse`` makes the provider say no."""
    calls: list[tuple[int, int, bool]] = []
    real = ix.w3.eth.get_logs

    def get_logs(params):
        start, end = params["fromBlock"], params["toBlock"]
        if refuse(start, end, calls):
            calls.append((start, end, False))
            raise ValueError(f"query returned more than 10000 results ({start}-{end})")  # what providers say
        calls.append((start, end, True))
        return real(params)

    monkeypatch.setattr(ix.w3.eth, "get_logs", get_logs)
    return calls


def contiguous(ranges: list[tuple[int, int, bool]]) -> list[tuple[int, int]]:
    """The answered ranges, checked to tile one interval with no gap and no overlap."""
    answered = [(a, b) for a, b, ok in ranges if ok]
    for (_, end), (start, _) in zip(answered, answered[1:]):
        assert start == end + 1, f"gap or overlap between ranges: {answered}"
    return answered


def same_content(a: Indexer, b: Indexer) -> bool:
    x, y = a.snapshot, b.snapshot
    return (x.block, x.issuers, x.roots, x.revoked) == (y.block, y.issuers, y.roots, y.revoked)


# ---------------------------------------------------------------------------- what the index holds

def test_index_holds_every_issuer_root_and_revocation_as_the_chain_does(world):
    ix = indexer(world)
    ix.poll_once()
    assert ix.last_error is None and ix.snapshot.block == world.w3.eth.block_number
    direct = DirectChainView(world.registry)
    view = ix.view()
    assert view.chain_id == world.chain_id and view.registry == world.registry.address
    assert view.issuers() == direct.issuers() and len(view.issuers()) == 2
    for label in LABELS:
        doc = world.doc(label)
        root = root_of(doc)
        claimed = receipt(doc)["anchor"]["transactionHash"]
        assert view.root(root) == DirectChainView(world.registry, claimed).root(root)
        assert view.revoked_leaves(root) == direct.revoked_leaves(root)
    batch1 = root_of(world.doc("revoked"))
    assert [view.is_revoked(batch1, i) for i in range(7)] == [False] * 5 + [True, True]
    assert view.root(root_of(world.doc("batch2-a"))).revoked_at > 0


# ---------------------------------------------------------------------------- persistence

def test_persisted_state_resumes_where_it_stopped(world, tmp_path, monkeypatch):
    state = tmp_path / "index.json"
    first = indexer(world, state_file=state)
    first.poll_once()
    head = world.w3.eth.block_number
    saved = json.loads(state.read_text())
    assert saved["registry"] == world.registry.address and saved["state"]["block"] == head - 2

    again = indexer(world, state_file=state)
    assert again.settled.block == head - 2 > world.deploy_block  # not from the deployment block again
    assert again.settled.roots == first.settled.roots and again.settled.revoked == first.settled.revoked
    calls = log_ranges(monkeypatch, again)
    again.poll_once()
    assert calls and calls[0][0] == head - 1 and all(start > head - 2 for start, _, _ in calls)
    assert contiguous(calls)[-1][1] == head
    fresh = indexer(world)
    fresh.poll_once()
    assert same_content(again, fresh)

    # New events after the restart are read, saved, and the next restart resumes after them.
    doc = world.anchor_fresh("After restart")
    mine(world.url, 3)
    again.poll_once()
    assert again.view().root(root_of(doc)) is not None
    third = indexer(world, state_file=state)
    assert third.settled.block == world.w3.eth.block_number - 2
    assert root_of(doc) in third.settled.roots


def test_state_of_another_registry_is_not_loaded(world, tmp_path):
    state = tmp_path / "index.json"
    indexer(world, state_file=state).poll_once()
    other, receipt = RegistryClient.deploy(connect(world.url), dev_account(5))
    ix = Indexer(connect(world.url), other.address, start_block=receipt["blockNumber"], state_file=state)
    assert ix.settled.block == receipt["blockNumber"] - 1 and not ix.settled.roots and not ix.settled.issuers


@pytest.mark.parametrize("text", ["", "{", "not json", "[]", "null", '{"state": {}}',
                                  '{"registry": "REGISTRY", "state": {"block": 3}}'])
def test_unreadable_state_file_means_indexing_again_from_the_start(world, tmp_path, text):
    state = tmp_path / "index.json"
    state.write_text(text.replace("REGISTRY", world.registry.address))
    ix = indexer(world, state_file=state)
    assert ix.settled.block == world.deploy_block - 1
    ix.poll_once()
    fresh = indexer(world)
    fresh.poll_once()
    assert ix.last_error is None and same_content(ix, fresh)


def test_state_saved_from_another_chain_history_is_not_trusted(tmp_path):
    # A chain restarted from scratch (a dev node reset, or a reorganisation deeper than the
    # re-read window while the service was down) can hold the same registry at the same address.
    # Roots the saved state remembers from the old history must not count on the new one.
    state = tmp_path / "index.json"
    with Anvil() as old:
        before = build_world(old.url, tmp_path / "old", full=False)
        doc = before.doc("sql")
        mine(old.url, 5)
        ix = Indexer(connect(old.url), before.registry.address, start_block=before.deploy_block,
                     reorg_depth=2, state_file=state)
        ix.poll_once()
        assert root_of(doc) in ix.settled.roots and state.exists()
    with Anvil() as new:
        w3 = connect(new.url)
        registry, receipt = RegistryClient.deploy(w3, dev_account(0))
        assert registry.address == before.registry.address  # same deployer, same nonce, same address
        registry.register_issuer(*ACADEMY, dev_account(1).address, dev_account(0))
        mine(new.url, 10)
        ix = Indexer(w3, registry.address, start_block=receipt["blockNumber"], reorg_depth=2,
                     state_file=state)
        ix.poll_once()
        assert ix.last_error is None
        assert ix.view().root(root_of(doc)) is None, "a root of the old chain still counts on the new one"
        assert verify(doc, ix.view()).status == "invalid"


# ---------------------------------------------------------------------------- the log window

def test_log_window_shrinks_on_a_provider_error_then_grows_back(world, monkeypatch):
    ix = indexer(world, window=8)
    calls = log_ranges(monkeypatch, ix, refuse=lambda start, end, calls: not calls and end - start + 1 > 4)
    ix.poll_once()
    assert ix.last_error is None
    (start, end, answered), retried = calls[0], calls[1]
    assert (start, answered) == (world.deploy_block, False) and end - start + 1 > 4
    assert retried == (start, start + 3, True)  # half the window, from the same block
    assert ix.window == 8  # grown back once the provider answered
    assert contiguous(calls)[-1][1] == world.w3.eth.block_number
    fresh = indexer(world)
    fresh.poll_once()
    assert same_content(ix, fresh)


def test_every_event_is_read_when_the_provider_allows_only_narrow_ranges(world, monkeypatch):
    ix = indexer(world, window=5_000)
    calls = log_ranges(monkeypatch, ix, refuse=lambda start, end, calls: end - start + 1 > 3)
    ix.poll_once()
    assert ix.last_error is None
    answered = contiguous(calls)
    assert answered[0][0] == world.deploy_block and answered[-1][1] == world.w3.eth.block_number
    assert all(end - start + 1 <= 3 for start, end in answered)
    fresh = indexer(world)
    fresh.poll_once()
    assert same_content(ix, fresh)
    assert len(ix.snapshot.roots) == len(fresh.snapshot.roots) >= 3 and ix.snapshot.revoked


def test_a_node_that_cannot_be_reached_is_not_taken_for_a_too_wide_range(world, monkeypatch):
    ix = indexer(world, window=64)
    ix.poll_once()
    before = ix.snapshot
    mine(world.url, 4)

    def unreachable(params):
        raise requests.exceptions.ConnectionError("connection refused")

    monkeypatch.setattr(ix.w3.eth, "get_logs", unreachable)
    ix.poll_once()
    assert ix.window == 64 and ix.snapshot is before  # nothing half-read is served
    assert "ConnectionError" in ix.last_error


# ---------------------------------------------------------------------------- health

def test_health_before_the_node_ever_answers_is_not_ok(world):
    ix = Indexer(Web3(Web3.HTTPProvider(DEAD_RPC, request_kwargs={"timeout": 2})), world.registry.address)
    assert ix.health().ok is False and "not answered yet" in ix.health().reason
    ix.poll_once()
    health = ix.health()
    assert health.ok is False and ix.last_error
    assert verify(world.doc("sql"), ix.view()).status != "valid"


def test_health_reports_blocks_and_lag_then_goes_stale_without_the_node(world):
    ix = indexer(world, max_staleness=0.5)
    ix.poll_once()
    head = world.w3.eth.block_number
    health = ix.health()
    assert (health.ok, health.head_block, health.indexed_block, health.lag) == (True, head, head, 0)
    mine(world.url, 2)
    ix.poll_once()
    assert (ix.health().head_block, ix.health().indexed_block) == (head + 2, head + 2)
    assert verify(world.doc("sql"), ix.view()).status == "valid"

    ix.w3.provider = Web3.HTTPProvider(DEAD_RPC, request_kwargs={"timeout": 2})
    ix.poll_once()
    assert ix.last_error
    time.sleep(0.6)
    health = ix.health()
    assert health.ok is False and "no answer from the node" in health.reason
    assert health.indexed_block == head + 2  # what it last knew, reported as such
    verdict = verify(world.doc("sql"), ix.view())
    assert verdict.status == "unverifiable"


def test_index_that_cannot_read_logs_while_the_head_moves_on_is_not_healthy(world, monkeypatch):
    # The node answers eth_blockNumber but refuses eth_getLogs (rate-limited): the index stays
    # where it was while the head it has just read moves on. Within the time bound, the block
    # bound (max_lag) is what must make the view unhealthy, and /healthz must show the lag.
    ix = indexer(world, max_lag=2, max_staleness=60)
    ix.poll_once()
    indexed = ix.snapshot.block

    def rate_limited(params):
        raise requests.exceptions.HTTPError("429 Client Error: Too Many Requests")

    monkeypatch.setattr(ix.w3.eth, "get_logs", rate_limited)
    mine(world.url, 5)
    ix.poll_once()
    assert ix.last_error and ix.snapshot.block == indexed
    health = ix.health()
    assert (health.indexed_block, health.head_block) == (indexed, indexed + 5)
    assert health.lag == 5 and health.ok is False
