"""Merkle batches: identical to blockcerts-merkletools, and positions that cannot be forged.

Every size from 1 to 2,000 is built both ways; paths are compared for every leaf up to 300 leaves
and for a sample above. ``leaf_index`` is checked for every leaf of odd and even trees, and
tampered paths must not be accepted at any position.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import time

import pytest
from blockcerts_merkletools import MerkleTools
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.errors import BadInput
from registry.merkle import _forked
from registry.merkle import tree as tree_module
from registry.merkle.paths import leaf_index, parse_path, verify_path
from registry.merkle.tree import MerkleTree, build_tree


def _leaves(count: int, seed: int = 0) -> list[bytes]:
    blob = random.Random(seed * 1_000_003 + count).randbytes(32 * count)
    return [blob[k : k + 32] for k in range(0, len(blob), 32)]


def _merkletools(leaves: list[bytes]) -> MerkleTools:
    tools = MerkleTools()
    tools.add_leaf([leaf.hex() for leaf in leaves])
    tools.make_tree()
    return tools


def _assert_same_as_merkletools(leaves: list[bytes], indices) -> None:
    tools, tree = _merkletools(leaves), build_tree(leaves)
    count = len(leaves)
    assert tree.root_hex == tools.get_merkle_root(), f"root of {count} leaves"
    assert tree.root == bytes.fromhex(tree.root_hex) and tree.leaf_count == count
    texts = list(tree.proofs_json())
    for index in indices:
        expected = tools.get_proof(index)
        assert tree.proof(index) == expected, f"proof of leaf {index} of {count}"
        assert texts[index] == json.dumps(expected), f"proofs_json text of leaf {index} of {count}"
        assert leaf_index(expected, count) == index, f"leaf_index of leaf {index} of {count}"


def _accepted_at(target: bytes, path: list[dict[str, str]], root: bytes, count: int) -> int | None:
    """The position a verifier would accept ``path`` for, or None if it rejects it."""
    try:
        if not verify_path(target, path, root):
            return None
        return leaf_index(path, count)
    except BadInput:
        return None


# --- equality with MerkleTools -----------------------------------------------------------------


@pytest.mark.parametrize("first", range(1, 301, 50))
def test_every_proof_matches_merkletools_up_to_300_leaves(first):
    for count in range(first, first + 50):
        _assert_same_as_merkletools(_leaves(count), range(count))


@pytest.mark.parametrize("first", range(301, 2001, 100))
def test_root_and_sampled_proofs_match_merkletools_up_to_2000_leaves(first):
    for count in range(first, min(first + 100, 2001)):
        sample = {0, 1, count // 2, count - 2, count - 1, *random.Random(count).sample(range(count), 6)}
        _assert_same_as_merkletools(_leaves(count), sorted(sample))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=200), st.data())
def test_any_leaves_even_repeated_ones_give_merkletools_root_and_paths(leaves, data):
    indices = data.draw(st.lists(st.integers(0, len(leaves) - 1), min_size=1, max_size=10))
    _assert_same_as_merkletools(leaves, indices)
    tree = build_tree(leaves)
    for index in indices:
        assert MerkleTools().validate_proof(tree.proof(index), leaves[index].hex(), tree.root_hex)
        assert verify_path(leaves[index], tree.proof(index), tree.root)


def test_single_leaf_tree_is_its_own_root_with_an_empty_path():
    leaf = _leaves(1)[0]
    tree = build_tree([leaf])
    assert tree.root == leaf and _merkletools([leaf]).get_proof(0) == []
    assert tree.proof(0) == [] and list(tree.proofs_json()) == ["[]"]
    assert leaf_index([], 1) == 0 and verify_path(leaf, [], leaf)


@pytest.mark.parametrize("count", [1023, 1024, 1025, 2047, 3001])
def test_proofs_json_of_one_leaf_is_json_dumps_of_proof_in_any_order_of_calls(count):
    tree = build_tree(_leaves(count))
    expected = [json.dumps(tree.proof(i)) for i in range(count)]
    shuffled = random.Random(count).sample(range(count), count)
    orders = [range(count), range(count - 1, -1, -1), range(500, count), shuffled]
    edges = [i for i in (0, 1, 1022, 1023, 1024, 1025, 2047, 2048, count - 2, count - 1) if i < count]
    for order in orders:
        # Each call renders a whole block of 1,024 paths: a spread of ~64 leaves per order.
        for index in [*order[:: max(1, len(order) // 64)], *edges]:
            assert list(tree.proofs_json(index, index + 1)) == [expected[index]], index
    assert all(json.loads(text) == tree.proof(i) for i, text in enumerate(expected))


@pytest.mark.parametrize("count", [1, 2, 3, 1023, 1024, 1025, 3001])
def test_proofs_json_hands_out_every_path_of_a_range_in_leaf_order(count):
    tree = build_tree(_leaves(count))
    expected = [json.dumps(tree.proof(i)) for i in range(count)]
    assert list(tree.proofs_json()) == expected
    edges = {0, 1, count // 2, 1023, 1024, 1025, 2048, count - 1, count}
    for start in sorted(e for e in edges if e <= count):
        for stop in sorted(e for e in edges | {start} if start <= e <= count):
            assert list(tree.proofs_json(start, stop)) == expected[start:stop], (start, stop)


def test_proofs_json_refuses_a_range_outside_the_tree():
    tree = build_tree(_leaves(10))
    for start, stop in [(-1, 3), (0, 11), (5, 4), (0.0, 3), (0, "3")]:
        with pytest.raises(IndexError, match="out of range for 10 leaves"):
            tree.proofs_json(start, stop)


def test_large_tree_hashed_in_two_processes_matches_one_process_and_merkletools():
    leaves = _leaves(70_001)
    assert tree_module._hash_tree(leaves, fork=True) == tree_module._hash_tree(leaves, fork=False)
    edges = [0, 1, 32_767, 32_768, 65_535, 65_536, 69_999, 70_000]
    sample = edges + random.Random(7).sample(range(70_001), 40)
    _assert_same_as_merkletools(leaves, sample)


def test_a_failed_hashing_child_is_made_up_for_in_the_parent(monkeypatch):
    parent, real_climb = os.getpid(), tree_module._climb

    def climb_that_dies_in_the_child(*args):
        if os.getpid() != parent:
            raise MemoryError("simulated")
        return real_climb(*args)

    leaves = _leaves(1 << 16)
    expected = tree_module._hash_tree(leaves, fork=False)
    monkeypatch.setattr(tree_module, "_climb", climb_that_dies_in_the_child)
    assert tree_module._hash_tree(leaves, fork=True) == expected


def test_the_most_chunks_a_tree_is_cut_into_hash_alike_in_two_processes():
    leaves = _leaves((1 << 17) - 1)  # 32 chunks of 2**12 leaves, the last one short of a leaf
    assert tree_module._hash_tree(leaves, fork=True) == tree_module._hash_tree(leaves, fork=False)


def test_chunks_a_hashing_child_took_but_never_finished_are_hashed_in_the_parent(monkeypatch):
    parent, real_climb, climbs = os.getpid(), tree_module._climb, []

    def climb_that_dies_in_the_childs_third_chunk(*args):
        if os.getpid() == parent:
            time.sleep(0.02)  # a slow parent: the child takes several chunks meanwhile
        else:
            climbs.append(1)  # the child's own copy of the list
            if len(climbs) == 3:
                os._exit(3)
        return real_climb(*args)

    leaves = _leaves(70_001)  # 18 chunks of 2**12 leaves, the last one partial
    expected = tree_module._hash_tree(leaves, fork=False)
    monkeypatch.setattr(tree_module, "_climb", climb_that_dies_in_the_childs_third_chunk)
    assert tree_module._hash_tree(leaves, fork=True) == expected
    child = _forked.unreaped.pop()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 3  # it did die, after two chunks


# --- leaf positions ------------------------------------------------------------------------------


def test_leaf_index_recovers_every_position_of_odd_and_even_trees():
    for count in range(1, 301):
        tree = build_tree(_leaves(count, seed=1))
        for index in range(count):
            assert leaf_index(tree.proof(index), count) == index, (count, index)


@pytest.mark.parametrize("counts", [range(1, 301), [1023, 1024, 1025, 2047, 2048, 2049, 5001]])
def test_every_path_the_builder_renders_parses_reaches_the_root_and_gives_back_its_leaf(counts):
    # The fast builder held against the plain module the verifier uses, promoted nodes included.
    for count in counts:
        leaves = _leaves(count, seed=3)
        tree = build_tree(leaves)
        for index, text in enumerate(tree.proofs_json()):
            steps = parse_path(json.loads(text))
            assert verify_path(leaves[index], steps, tree.root), (count, index)
            assert leaf_index(steps, count) == index, (count, index)


def test_duplicate_leaves_keep_their_own_positions():
    leaves = _leaves(9)
    leaves[7] = leaves[2]
    tree = build_tree(leaves)
    assert [leaf_index(tree.proof(i), 9) for i in (2, 7)] == [2, 7]
    assert all(verify_path(leaves[2], tree.proof(i), tree.root) for i in (2, 7))


def _tamperings(path: list[dict[str, str]]):
    for k, step in enumerate(path):
        ((side, value),) = step.items()
        yield "side swapped", [*path[:k], {"right" if side == "left" else "left": value}, *path[k + 1 :]]
        yield "step removed", path[:k] + path[k + 1 :]
    for k in range(len(path) + 1):
        yield "step added", [*path[:k], {"left": "ab" * 32}, *path[k:]]
        if k < len(path):
            yield "step repeated", [*path[: k + 1], path[k], *path[k + 1 :]]
    for k in range(len(path) - 1):
        yield "steps reordered", [*path[:k], path[k + 1], path[k], *path[k + 2 :]]
    if len(path) > 2:
        yield "path reversed", path[::-1]


@pytest.mark.parametrize("count", [2, 3, 5, 6, 7, 8, 13, 64, 100, 101])
def test_tampered_paths_are_accepted_at_no_position(count):
    leaves = _leaves(count, seed=2)
    tree = build_tree(leaves)
    for index in range(count):
        path = tree.proof(index)
        assert _accepted_at(leaves[index], path, tree.root, count) == index
        for how, tampered in _tamperings(path):
            assert _accepted_at(leaves[index], tampered, tree.root, count) is None, (count, index, how)


def test_a_path_of_the_wrong_length_for_the_leaf_count_is_rejected():
    tree = build_tree(_leaves(6))
    path = tree.proof(0)  # 3 steps
    with pytest.raises(BadInput, match="at most"):
        leaf_index(path + [{"left": "00" * 32}], 6)
    with pytest.raises(BadInput, match="too short"):
        leaf_index(path[:2], 6)
    # In 3 leaves, a top step saying "right child" leads to leaf 2, which is promoted at the
    # bottom level: a bottom step cannot be there.
    with pytest.raises(BadInput, match="more than"):
        leaf_index([{"right": "00" * 32}, {"left": "11" * 32}], 3)


@pytest.mark.parametrize(
    "step",
    [{}, {"left": "ab" * 32, "right": "cd" * 32}, {"up": "ab" * 32}, {"left": 5}, {"left": b"\xab" * 32},
     {"left": "AB" * 32}, {"left": "0x" + "ab" * 31}, {"left": "ab" * 31}, {"left": "zz" * 32},
     ["left", "ab" * 32], "left"],
)
def test_malformed_steps_are_bad_input(step):
    with pytest.raises(BadInput):
        leaf_index([step], 2)
    with pytest.raises(BadInput):
        verify_path("ab" * 32, [step], "cd" * 32)


@pytest.mark.parametrize("path", [{"left": "ab" * 32}, "ab" * 32, None, 7])
def test_a_path_that_is_not_a_list_is_bad_input(path):
    with pytest.raises(BadInput):
        leaf_index(path, 2)
    with pytest.raises(BadInput):
        verify_path("ab" * 32, path, "cd" * 32)


@pytest.mark.parametrize("count", [0, -1, 1.5, "3", None])
def test_leaf_count_must_be_a_positive_integer(count):
    with pytest.raises(BadInput):
        leaf_index([], count)


# --- verify_path --------------------------------------------------------------------------------


def test_verify_path_takes_bytes_or_hex_and_says_false_for_another_root():
    leaves = _leaves(5)
    tree = build_tree(leaves)
    path = tree.proof(3)
    assert verify_path(leaves[3], path, tree.root)
    assert verify_path(leaves[3].hex(), path, tree.root_hex)
    assert verify_path(bytearray(leaves[3]), path, memoryview(tree.root))
    assert not verify_path(leaves[2], path, tree.root)
    assert not verify_path(leaves[3], path, leaves[0])


@pytest.mark.parametrize("bad", ["ab" * 31, "0x" + "ab" * 32, "AB" * 32, b"\x00" * 31, 17, None])
def test_verify_path_rejects_a_malformed_target_or_root(bad):
    with pytest.raises(BadInput):
        verify_path(bad, [], "ab" * 32)
    with pytest.raises(BadInput):
        verify_path("ab" * 32, [], bad)


# --- building -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "leaves",
    [[], [b"\x00" * 31], [b"\x00" * 32, b"\x00" * 33], ["ab" * 32], [32], [None],
     b"\x00" * 64, "ab" * 32, None, 5],
)
def test_build_tree_rejects_bad_leaves(leaves):
    with pytest.raises(BadInput):
        build_tree(leaves)


def test_build_tree_accepts_any_bytes_like_leaf_and_a_tuple():
    leaves = _leaves(3)
    expected = build_tree(leaves).root
    assert build_tree((bytearray(leaves[0]), memoryview(leaves[1]), leaves[2])).root == expected


def test_a_tree_cannot_be_changed_or_made_without_build_tree():
    tree = build_tree(_leaves(4))
    with pytest.raises(AttributeError):
        tree._root = b"\x00" * 32
    with pytest.raises(TypeError):
        MerkleTree()
    assert "leaf_count=4" in repr(tree)


def test_a_tree_survives_pickling_for_a_worker_process():
    tree = build_tree(_leaves(1500))
    copy = pickle.loads(pickle.dumps(tree))
    assert copy.root == tree.root and copy.leaf_count == 1500
    assert list(copy.proofs_json()) == list(tree.proofs_json())


@pytest.mark.parametrize("index", [-1, 4, 1024, 10**9])
def test_an_index_outside_the_tree_is_an_index_error(index):
    tree = build_tree(_leaves(4))
    with pytest.raises(IndexError):
        tree.proof(index)
    with pytest.raises(IndexError):
        tree.proofs_json(index, index + 1)


def test_an_index_that_is_not_an_int_is_a_type_error():
    tree = build_tree(_leaves(4))
    for index in ("1", 1.5):
        with pytest.raises(TypeError):
            tree.proof(index)
