"""Status lists, piece by piece: the entry, the bitstring, index allocation, anchor maps, the lookup,
and the public-file route. The whole flow against a real chain is tests/integration/test_status_lists.py."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from registry.credentials import status_entry
from registry.errors import BadInput, ConfigError
from registry.status import bitstring, folder, lists
from registry.status.lookup import PublishedFolders
from registry.store import Store

URL = "https://academy.example/credentials/status/1.json"
HERE = (31337, "0x" + "5" * 40)  # the deployment (chain id, registry) the lists mirror


# ---------------------------------------------------------------------------- the entry

def test_an_entry_round_trips_and_every_field_is_checked():
    entry = status_entry.StatusEntry(URL, 42)
    assert status_entry.read_entry({"credentialStatus": entry.to_json()}) == entry
    assert status_entry.read_entry({}) is None
    good = entry.to_json()
    cases = {
        "not one object": [good],
        "type": {**good, "type": "StatusList2021Entry"},
        "statusPurpose": {**good, "statusPurpose": "suspension"},
        "statusListCredential": {**good, "statusListCredential": "ftp://x/1"},
        "statusListIndex": {**good, "statusListIndex": "042"},
        "credentialStatus.id": {**good, "id": f"{URL}#43"},
        "unexpected": {**good, "extra": 1},
    }
    for needle, status in cases.items():
        with pytest.raises(BadInput, match=needle):
            status_entry.read_entry({"credentialStatus": status})
    for index in ("-1", "1e3", str(status_entry.LIST_SIZE), 7):
        with pytest.raises(BadInput, match="statusListIndex"):
            status_entry.read_entry({"credentialStatus": {**good, "statusListIndex": index}})


def test_list_urls_live_under_the_public_url_and_bad_public_urls_are_refused():
    assert status_entry.list_url("https://a.example/x", 3) == "https://a.example/x/credentials/status/3.json"
    assert folder.public_url_for("did:web:a.example:issuers:one", None) == "https://a.example/issuers/one/"
    assert folder.public_url_for("did:web:a.example%3A8443", None) == "https://a.example:8443/"
    assert folder.public_url_for("did:key:z6Mk", "http://127.0.0.1:8000") == "http://127.0.0.1:8000/"
    with pytest.raises(ConfigError, match="CREDREG_PUBLIC_URL"):
        folder.public_url_for("did:key:z6Mk", None)
    for bad in ("academy.example", "https://a.example/?q=1", "https://a.example/#x", "file:///srv"):
        with pytest.raises(BadInput, match="http"):
            folder.public_url_for("did:key:z6Mk", bad)


# ---------------------------------------------------------------------------- the bitstring

def _decode_by_spec(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_index_zero_is_the_left_most_bit_and_the_encoding_is_multibase_gzip():
    encoded = bitstring.encode(status_entry.LIST_SIZE, [0, 9, 131_071])
    assert encoded.startswith("u") and "=" not in encoded
    bits = _decode_by_spec(encoded)
    assert len(bits) == 16_384 and bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert sum(bin(b).count("1") for b in bits) == 3
    assert bitstring.decode(encoded) == bits and bitstring.set_bits(bits) == [0, 9, 131_071]
    assert bitstring.encode(16, [3]) == bitstring.encode(16, [3])  # no timestamp: the same bytes each time


def test_bad_or_hostile_encoded_lists_are_refused_before_they_are_held_in_memory():
    with pytest.raises(BadInput, match="outside a list"):
        bitstring.encode(16, [16])
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1 << 22))).decode().rstrip("=")
    with pytest.raises(BadInput, match="inflates past"):
        bitstring.decode(bomb, max_bytes=1 << 20)
    truncated = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64))[:-6]).decode().rstrip("=")
    for bad, needle in (("z123", "multibase"), ("u!!!", "base64url GZIP"), (truncated, "truncated"), (5, "multibase")):
        with pytest.raises(BadInput, match=needle):
            bitstring.decode(bad)


def test_a_list_credential_reads_back_and_its_signature_binds_it_to_the_issuer():
    from registry.identity import did as dids
    from registry.identity import keys

    key = keys.SigningKey.generate()
    did = dids.did_key(key.public_multibase)
    method = dids.did_key_verification_method(key.public_multibase)
    signed = lists.sign_list(lists.list_credential(URL, did, 131_072, [4, 2], "2026-12-01T00:00:00Z"),
                             key, method, "2026-12-01T00:00:00Z")
    published = lists.read_list(signed, "list")
    assert (published.url, published.issuer, published.size, published.revoked) == (URL, did, 131_072, {2, 4})
    assert lists.signed_by_issuer(signed, did, None) == ""
    other = keys.SigningKey.generate()
    assert "not by a key of the issuer" in lists.signed_by_issuer(signed, dids.did_key(other.public_multibase), None)
    edited = json.loads(json.dumps(signed))
    edited["credentialSubject"]["encodedList"] = bitstring.encode(131_072, [4])
    assert "changed after it was signed" in lists.signed_by_issuer(edited, did, None)
    with pytest.raises(BadInput, match="list: type"):
        lists.read_list({**signed, "type": ["VerifiableCredential"]}, "list")


# ---------------------------------------------------------------------------- allocation

def test_indices_are_handed_out_in_order_never_twice_and_a_new_list_starts_when_one_fills(tmp_path):
    store = Store.open(tmp_path)
    url_of = lambda n: f"https://a.example/credentials/status/{n}.json"  # noqa: E731
    first = store.reserve_status("did:key:a", HERE, 5, 8, url_of)
    assert [(r.url, r.index) for r in first] == [(url_of(1), i) for i in range(5)]
    second = store.reserve_status("did:key:a", HERE, 6, 8, url_of)  # 3 left in list 1, then list 2
    assert [(r.url, r.index) for r in second] == [(url_of(1), i) for i in (5, 6, 7)] + [(url_of(2), i) for i in range(3)]
    assert [(s.number, s.allocated) for s in store.status_lists("did:key:a")] == [(1, 8), (2, 3)]
    # A changed public URL starts a new list there; the old lists keep theirs.
    moved = store.reserve_status("did:key:a", HERE, 1, 8, lambda n: f"https://b.example/credentials/status/{n}.json")
    assert [(r.url, r.index) for r in moved] == [("https://b.example/credentials/status/3.json", 0)]
    # Another deployment of the same home (a Sepolia registry beside the local one) gets lists of
    # its own, numbered on; the first deployment's list goes on filling where it was.
    sepolia = (11155111, "0x" + "6" * 40)
    there = store.reserve_status("did:key:a", sepolia, 2, 8, url_of)
    assert [(r.url, r.index) for r in there] == [(url_of(4), 0), (url_of(4), 1)]
    back = store.reserve_status("did:key:a", HERE, 1, 8, lambda n: f"https://b.example/credentials/status/{n}.json")
    assert [(r.url, r.index) for r in back] == [("https://b.example/credentials/status/3.json", 1)]
    assert [s.number for s in store.status_lists("did:key:a", sepolia)] == [4]
    # Another issuer cannot take a list URL that is already somebody's.
    with pytest.raises(ConfigError, match="belongs to did:key:a"):
        store.reserve_status("did:key:b", HERE, 1, 8, url_of)


def test_anchor_maps_are_written_in_runs_and_read_back_exactly():
    entries = [(0, "aa", 0), (1, "aa", 1), (2, "aa", 2), (4, "aa", 3), (5, "bb", 0), (6, "bb", 1)]
    runs = folder.runs_of(entries)
    assert runs == [[0, 3, "aa", 0], [4, 1, "aa", 3], [5, 2, "bb", 0]]
    placed = folder.holders(runs, 8, "map")
    assert placed == {i: (r, leaf) for i, r, leaf in entries}
    for bad, needle in (([[0, 2, "aa", 0], [1, 1, "aa", 5]], "given to two"), ([[7, 2, "aa", 0]], "outside"),
                        ([[0, "1", "aa", 0]], "not \\[first index")):
        with pytest.raises(BadInput, match=needle):
            folder.holders(bad, 8, "map")


def test_the_lookup_reads_every_index_in_the_folder_and_sees_a_new_publish(tmp_path):
    def publish(site: Path, base: str, issuer: str, runs: list) -> None:
        here = site / base / "credentials" / "status"
        here.mkdir(parents=True, exist_ok=True)
        url = f"https://a.example/{base}credentials/status/1.json"
        (here / "1.anchors.json").write_text(json.dumps({"list": url, "runs": runs}))
        (here / "index.json").write_text(json.dumps({"issuer": issuer, "lists": [
            {"number": 1, "url": url, "file": "credentials/status/1.json",
             "anchors": "credentials/status/1.anchors.json"}]}))

    publish(tmp_path, "", "did:key:a", [[0, 3, "aa", 10]])
    publish(tmp_path, "issuers/b/", "did:web:a.example:issuers:b", [[0, 1, "cc", 0]])
    lookup = PublishedFolders([tmp_path], min_interval=0)
    assert lookup.list_issuer("https://a.example/credentials/status/1.json") == "did:key:a"
    assert lookup.holder("https://a.example/credentials/status/1.json", 2) == ("aa", 12)
    assert lookup.holder("https://a.example/credentials/status/1.json", 3) is None
    assert lookup.list_issuer("https://a.example/issuers/b/credentials/status/1.json") == "did:web:a.example:issuers:b"
    assert lookup.list_issuer("https://elsewhere.example/1.json") is None
    publish(tmp_path, "", "did:key:a", [[0, 5, "aa", 10]])
    assert lookup.holder("https://a.example/credentials/status/1.json", 4) == ("aa", 14)


# ---------------------------------------------------------------------------- the public-file route

def test_the_public_route_serves_files_of_the_folder_only(tmp_path):
    from registry.service.routers.public import _file

    site = tmp_path / "public"
    (site / ".well-known").mkdir(parents=True)
    (site / ".well-known" / "did.json").write_text("{}")
    (site / "credentials" / "status").mkdir(parents=True)
    (site / "credentials" / "status" / "1.json").write_text("{}")
    (site / "credentials" / "status" / ".1.json.x.tmp").write_text("{}")
    (tmp_path / "secret.json").write_text("{}")
    (site / "link.json").symlink_to(tmp_path / "secret.json")
    assert _file(site, ".well-known/did.json") == (site / ".well-known" / "did.json").resolve()
    assert _file(site, "credentials/status/1.json") is not None
    for bad in ("", "credentials/status", "../secret.json", "credentials/../../secret.json", "link.json",
                "credentials/status/.1.json.x.tmp", "credentials//status/1.json", ".git/config"):
        assert _file(site, bad) is None, bad


def test_runs_grouped_in_the_database_are_the_runs_of_the_rows_whatever_the_order(tmp_path):
    """``Store.status_runs`` (grouped in SQL) against ``runs_of`` over every row, on a store where
    indices and leaves interleave across two lists and three batches, with gaps and holes."""
    import random

    import sqlalchemy as sa

    from registry.store.schema import batches, credentials

    rng = random.Random(7)
    store = Store.open(tmp_path)
    url_of = lambda n: f"https://a.example/credentials/status/{n}.json"  # noqa: E731
    places = store.reserve_status("did:key:a", HERE, 300, 128, url_of)  # list 1 full, list 2 partly
    head = places[:40]
    rng.shuffle(head)  # a stretch issued out of order
    places[:40] = head
    del places[200:210]  # a failed run's gap
    with store.engine.begin() as conn:
        ids = [conn.execute(sa.insert(batches).values(
            root=f"{n:064x}", leaf_count=1, issuer_did="did:key:a", signer="0x" + "0" * 40, chain_id=1,
            registry="0x" + "0" * 40, out_dir="-", state="written", created_at="-", updated_at="-")
        ).inserted_primary_key[0] for n in range(1, 4)]
        leaf = {b: 0 for b in ids}
        for n, place in enumerate(places):
            batch = ids[0] if n < 90 else ids[1] if n < 230 else ids[2] if n % 7 else None
            values = {"credential_id": f"c{n}", "target_hash": f"{n:064x}", "issuer_did": "did:key:a", "queued_at": "-",
                      "state": "queued", "status_list": place.list_id, "status_index": place.index}
            if batch is not None:
                values |= {"batch_id": batch, "leaf_index": leaf[batch], "state": "batched"}
                leaf[batch] += 1
            conn.execute(sa.insert(credentials).values(**values))
    for status_list in store.status_lists("did:key:a"):
        expected = folder.runs_of(store.status_entries(status_list.id))
        assert [list(r) for r in store.status_runs(status_list.id)] == expected
        assert len(expected) > 3, expected  # the case is not trivial
