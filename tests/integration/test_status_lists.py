"""Revocation every verifier sees: status entries, `credreg publish`, the audit, the verifier's check.

On a real anvil node, with the real CLI (in-process; a real child process where one is killed), an issuer signs credentials under its
did:key (and, in one test, a did:web); each carries a BitstringStatusListEntry, and the public
folder `anchor` and `revoke` refresh holds the signed lists, their anchor maps and an index. The
chain is the source of truth: a revocation sent around credreg still shows after `publish`. The
audit catches lists edited, stale or signed by another key; a publish killed by SIGKILL
part-way leaves a folder that still verifies.
"""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ecosystem import standard_verifier_results  # noqa: E402

from issuer_helpers import PUBLIC_URL, cli_env, issued_files  # noqa: E402
from issuer_helpers import credreg as credreg_process  # noqa: E402
from issuer_helpers import credreg_background  # noqa: E402
from verifier_helpers import credreg  # noqa: E402

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.chain.view import DirectChainView  # noqa: E402
from registry.credentials import status_entry  # noqa: E402
from registry.dev.devchain import dev_account, free_port  # noqa: E402
from registry.identity import keys  # noqa: E402
from registry.status import bitstring, folder, lists  # noqa: E402
from registry.status.lookup import PublishedFolders  # noqa: E402
from registry.verification import verify  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
LIST_1 = f"{PUBLIC_URL}credentials/status/1.json"
ROSTER = ("--roster", str(EXAMPLES / "roster.csv"), "--achievement", str(EXAMPLES / "achievement.json"))


def _ok(env: dict[str, str], *argv: str) -> dict:
    code, out, err = credreg(env, *argv, "--json")
    assert code == 0, f"credreg {' '.join(argv)} exited {code}: {err}"
    return json.loads(out)


def _issuer(anvil, tmp_path: Path, registry: RegistryClient, owner, n: int, web: str | None = None):
    home = tmp_path / f"home{n}"
    account = dev_account(n)
    env = cli_env(anvil.url, home, account, registry)
    made = _ok(env, "issuer", "keygen", *(["--did-web", web] if web else []))
    if web:
        env.pop("CREDREG_PUBLIC_URL")  # a did:web issuer's lists go to its own domain by default
    registry.register_issuer(f"Academy {n}", made["did"], account.address, owner)
    return env, home, made["did"], account


@pytest.fixture()
def chain(anvil):
    owner = dev_account(0)
    registry, _ = RegistryClient.deploy(connect(anvil.url), owner)
    return registry, owner


@pytest.fixture()
def academy(anvil, tmp_path, chain):
    """An issuer with the three example files and the five-row roster issued and anchored."""
    registry, owner = chain
    env, home, did, account = _issuer(anvil, tmp_path, registry, owner, 1)
    _ok(env, "issue", str(EXAMPLES / "credentials"))
    _ok(env, "issue", *ROSTER)
    report = _ok(env, "anchor")
    assert report["published"]["lists"][0]["anchored"] == 8
    return env, home, did, account


def _docs(home: Path) -> dict[int, tuple[Path, dict]]:
    """The written credentials by status index."""
    out = {}
    for path in issued_files(home / "issued"):
        doc = json.loads(path.read_text())
        out[status_entry.read_entry(doc).index] = (path, doc)
    return out


def _list(home: Path, number: int = 1) -> lists.PublishedList:
    path = home / "public" / folder.list_path(number)
    return lists.read_list(json.loads(path.read_text()), str(path))


def _audit(env: dict[str, str], home: Path) -> tuple[int, dict]:
    code, out, err = credreg(env, "audit", "--public", str(home / "public"), "--json")
    assert code in (0, 1), err
    return code, json.loads(out)


def test_every_credential_carries_its_own_index_of_one_list_and_the_signature_covers_it(academy):
    env, home, did, _ = academy
    docs = _docs(home)
    assert sorted(docs) == list(range(8))  # in order, from 0, none twice
    for index, (_, doc) in docs.items():
        assert doc["credentialStatus"] == {
            "id": f"{LIST_1}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(index), "statusListCredential": LIST_1}
    # The signature covers the entry: moved to another index, the anchor's hash breaks (and the
    # signature, which the standard verifiers check, with it).
    path, doc = docs[3]
    doc["credentialStatus"] = status_entry.StatusEntry(LIST_1, 4).to_json()
    path.write_text(json.dumps(doc))
    code, out, _ = credreg(env, "verify", str(path), "--json")
    assert code == 1 and json.loads(out)["status"] == "invalid"


def test_the_published_folder_holds_signed_lists_an_anchor_map_and_an_index(academy):
    env, home, did, _ = academy
    published = _list(home)
    assert published.url == LIST_1 and published.issuer == did
    assert published.size == status_entry.LIST_SIZE == 131_072 and published.revoked == frozenset()
    document = json.loads((home / "public" / folder.list_path(1)).read_text())
    assert lists.signed_by_issuer(document, did, None) == ""
    index = json.loads((home / "public" / folder.INDEX_PATH).read_text())
    assert index["issuer"] == did and [e["url"] for e in index["lists"]] == [LIST_1]
    anchors = json.loads((home / "public" / folder.anchors_path(1)).read_text())
    placed = folder.holders(anchors["runs"], published.size, "map")
    for index_, (_, doc) in _docs(home).items():
        from registry.credentials.proofs import read_receipt
        from registry.merkle import paths as merkle

        receipt = read_receipt(doc)[0]
        assert placed[index_][0] == receipt["merkleRoot"]
        assert placed[index_][1] == merkle.leaf_index(merkle.parse_path(receipt["path"]), 8)
    assert _audit(env, home)[0] == 0


def test_revocations_by_file_by_id_by_root_and_from_outside_credreg_all_show_in_the_list(anvil, tmp_path, chain,
                                                                                       academy):
    registry, owner = chain
    env, home, did, account = academy
    docs = _docs(home)
    _ok(env, "revoke", str(docs[1][0]))
    assert _list(home).revoked == {1}
    _ok(env, "revoke", docs[6][1]["id"])
    assert _list(home).revoked == {1, 6}
    # Sent around credreg with the issuer's key (another machine): the chain has it, publish shows it.
    from registry.credentials.proofs import read_receipt
    from registry.merkle import paths as merkle

    receipt = read_receipt(docs[2][1])[0]
    leaf = merkle.leaf_index(merkle.parse_path(receipt["path"]), 8)
    registry.transact("revokeCredentials", [bytes.fromhex(receipt["merkleRoot"]), [leaf], 0], account)
    assert _list(home).revoked == {1, 6}  # not yet: nothing has published since
    _ok(env, "publish")
    assert _list(home).revoked == {1, 2, 6}
    # A second batch, revoked whole by root with a second key of the issuer, after the first was removed.
    _ok(env, "issue", *ROSTER)
    _ok(env, "anchor")
    second = {i: d for i, d in _docs(home).items() if i >= 8}
    assert sorted(second) == [8, 9, 10, 11, 12]
    new_key = dev_account(7)
    issuer_id = registry.issuer_of_key(account.address)
    registry.transact("addIssuerKey", [issuer_id, new_key.address], owner)
    registry.transact("removeIssuerKey", [account.address], owner)
    rotated = {**env, "CREDREG_PRIVATE_KEY": "0x" + bytes(new_key.key).hex()}
    root = read_receipt(second[9][1])[0]["merkleRoot"]
    _ok(rotated, "revoke", "--root", root)
    assert _list(home).revoked == {1, 2, 6, 8, 9, 10, 11, 12}
    # credreg's verifier agrees, from the chain; the neighbours stay valid.
    for index, (path, _) in _docs(home).items():
        code, out, _ = credreg(env, "verify", str(path), "--json")
        verdict = json.loads(out)
        assert verdict["status"] == ("revoked" if index in {1, 2, 6, 8, 9, 10, 11, 12} else "valid"), (index, verdict)
        if verdict["status"] == "valid":
            [status] = [c for c in verdict["checks"] if c["name"] == "status"]
            assert "read from the chain" in status["detail"] and "not fetched" in status["detail"]
    assert _audit(rotated, home)[0] == 0
    # And the ecosystem's two verifiers, reading the lists from the folder `credreg serve` serves.
    revoked = {1, 2, 6, 8, 9, 10, 11, 12}
    with _serving(env, home) as base:
        for verifier in ("dbvc", "dcc"):
            docs = _docs(home)
            results = standard_verifier_results(verifier, [docs[i][0] for i in sorted(docs)], serve={PUBLIC_URL: base})
            said = {i: (r["verified"], r["revoked"]) for i, r in zip(sorted(docs), results, strict=True)}
            assert said == {i: (i not in revoked, i in revoked) for i in docs}, (verifier, results)


@contextmanager
def _serving(env: dict[str, str], home: Path):
    """`credreg serve --public` on the home's public folder, on a free port: its base URL."""
    port = free_port()
    server = credreg_background(env, "serve", "--port", str(port), "--public", str(home / "public"))
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_healthy(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_audit_names_a_list_edited_by_hand_one_missing_a_revocation_and_one_signed_by_another_key(academy):
    env, home, did, _ = academy
    docs = _docs(home)
    path = home / "public" / folder.list_path(1)
    before_revoke = path.read_bytes()
    _ok(env, "revoke", str(docs[4][0]))
    good = path.read_bytes()
    assert _audit(env, home)[0] == 0

    # 1. Missing a revocation: the list from before, still signed by the issuer.
    path.write_bytes(before_revoke)
    code, report = _audit(env, home)
    assert code == 1 and any("revoked on chain not set in the list (indices 4)" in m for m in report["mismatches"])

    # 2. Edited by hand: bit 5 set too, the signature left as it was.
    document = json.loads(good)
    document["credentialSubject"]["encodedList"] = bitstring.encode(status_entry.LIST_SIZE, [4, 5])
    path.write_text(json.dumps(document))
    code, report = _audit(env, home)
    text = " ".join(report["mismatches"])
    assert code == 1 and "changed after it was signed" in text and "set that the chain does not revoke (indices 5)" in text

    # 3. Right bits, but signed by another key (even one named as the issuer's).
    other = keys.SigningKey.generate()
    document = json.loads(good)
    document.pop("proof")
    method = json.loads(good)["proof"]["verificationMethod"]
    resigned = lists.sign_list(document, other, method, "2026-12-01T00:00:00Z")
    path.write_text(json.dumps(resigned))
    code, report = _audit(env, home)
    assert code == 1 and any("does not verify" in m for m in report["mismatches"])
    resigned = lists.sign_list(document, other, f"did:key:{other.public_multibase}#{other.public_multibase}",
                               "2026-12-01T00:00:00Z")
    path.write_text(json.dumps(resigned))
    code, report = _audit(env, home)
    assert code == 1 and any("not by a key of the issuer" in m for m in report["mismatches"])

    path.write_bytes(good)
    assert _audit(env, home)[0] == 0


def test_a_publish_killed_part_way_leaves_a_folder_that_still_verifies_and_the_next_run_finishes(academy):
    env, home, did, _ = academy
    # Two lists, so that the kill falls between them: the current one is full after these.
    from registry.store import Store

    store = Store.open(home)
    [current] = store.status_lists(did)
    with store.engine.begin() as conn:
        from sqlalchemy import update

        from registry.store.schema import status_lists

        conn.execute(update(status_lists).values(allocated=current.size - 1))
    _ok(env, "issue", *ROSTER)  # 1 in list 1 (its last index), 4 in list 2
    _ok(env, "anchor")
    assert [len(json.loads((home / "public" / folder.INDEX_PATH).read_text())["lists"])] == [2]
    docs = _docs(home)
    last = next(d for i, d in docs.items() if i == current.size - 1)
    before = {n: (home / "public" / folder.list_path(n)).read_bytes() for n in (1, 2)}
    killed = credreg_process(env, "revoke", str(last[0]), kill_at="publish-list")
    assert killed.returncode == -9, killed.stderr  # SIGKILL after list 1 was replaced, before list 2 and the index
    after = {n: (home / "public" / folder.list_path(n)).read_bytes() for n in (1, 2)}
    assert after[1] != before[1] and after[2] == before[2]
    assert not list((home / "public" / "credentials" / "status").glob(".*.tmp"))  # no half-written file
    for n in (1, 2):
        document = json.loads(after[n])
        assert lists.signed_by_issuer(document, did, None) == ""
    assert current.size - 1 in _list(home, 1).revoked
    _ok(env, "publish")
    assert _audit(env, home)[0] == 0


def test_the_verifier_calls_an_entry_of_another_issuers_list_or_of_an_index_another_credential_holds_invalid(
        anvil, tmp_path, chain, academy):
    registry, owner = chain
    env, home, did, _ = academy
    published = PublishedFolders([home / "public"], min_interval=0)

    def check(doc, status_lists=published):
        view = DirectChainView(registry)  # a fresh one each time: it keeps the head it first read
        view.status_lists = status_lists
        return verify(doc, view)

    docs = _docs(home)
    verdict = check(docs[3][1])
    assert verdict.status == "valid"
    [status] = [c for c in verdict.checks if c.name == "status"]
    assert "its published map agrees" in status.detail

    # Another issuer's credential pointing at the academy's list (signed and anchored by its own issuer).
    env2, home2, did2, _ = _issuer(anvil, tmp_path, registry, owner, 2)
    _issue_with_entry(env2, home2, LIST_1, 5)
    [(path2, doc2)] = [(p, json.loads(p.read_text())) for p in issued_files(home2 / "issued")]
    verdict = check(doc2)
    assert verdict.status == "invalid" and verdict.checks[-1].name == "status"
    assert f"a status list of another issuer ({did})" in verdict.checks[-1].detail

    # The academy's own credential claiming index 5, which the map gives another of its credentials.
    _issue_with_entry(env, home, LIST_1, 5, into=tmp_path / "dup")
    [(_, dup)] = [(p, json.loads(p.read_text())) for p in issued_files(tmp_path / "dup")]
    verdict = check(dup)
    assert verdict.status == "invalid" and "gives to another credential" in verdict.checks[-1].detail
    # Without the published folders the verifier cannot tell, and says where revocation comes from.
    assert check(dup, None).status == "valid"


def _issue_with_entry(env: dict[str, str], home: Path, url: str, index: int, into: Path | None = None) -> None:
    """Queue one credential whose status entry is set by hand (as a faulty or hostile issuer
    would), signed and anchored through the real job."""
    import sqlalchemy as sa

    from registry.credentials import securing
    from registry.identity import issuer_key
    from registry.store import Store
    from registry.store.schema import credentials, documents

    source = json.loads(sorted((EXAMPLES / "credentials").glob("*.json"))[0].read_text())
    source.pop("id", None)  # a fresh id each time
    (home.parent / "one.json").write_text(json.dumps(source))
    _ok(env, "issue", str(home.parent / "one.json"))
    store = Store.open(home)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(credentials.c.credential_id, credentials.c.issuer_did)
                           .where(credentials.c.state == "queued")).one()
        text = conn.execute(sa.select(documents.c.document).where(documents.c.credential_id == row[0])).scalar_one()
    doc = json.loads(text)
    doc.pop("proof")
    doc["credentialStatus"] = status_entry.StatusEntry(url, index).to_json()
    found = issuer_key.find(home, row[1])
    key = keys.load(found.keystore, env["CREDREG_KEYSTORE_PASSWORD"])
    secured = securing.secure(doc, key, found.verification_method, "2026-12-01T00:00:00Z")
    with store.engine.begin() as conn:
        conn.execute(sa.update(credentials).where(credentials.c.credential_id == row[0])
                     .values(target_hash=secured.target_hash))
        conn.execute(sa.update(documents).where(documents.c.credential_id == row[0])
                     .values(document=secured.text, signature_id=secured.signature_id))
    args = ["anchor"] + (["--out", str(into), "--public-out", str(into / "public")] if into else [])
    _ok(env, *args)
    if into is None:
        return
    shutil.rmtree(into / "public")


@pytest.mark.parametrize("verifier", ["dbvc", "dcc"])
def test_a_revocation_on_chain_is_seen_by_the_standard_verifiers_from_the_folder_credreg_serves(academy, verifier):
    env, home, did, _ = academy
    docs = _docs(home)
    _ok(env, "revoke", str(docs[2][0]))  # its refresh is all it takes: no separate publish
    with _serving(env, home) as base:
        results = standard_verifier_results(verifier, [docs[2][0], docs[3][0]], serve={PUBLIC_URL: base})
        revoked, neighbour = results
        assert revoked["verified"] is False and revoked["revoked"] is True, revoked
        assert neighbour["verified"] is True and neighbour["revoked"] is False, neighbour
        # Served as a static host would, with an ETag to revalidate against and no stale cache.
        with urllib.request.urlopen(base + folder.list_path(1)) as response:
            etag, cache = response.headers["ETag"], response.headers["Cache-Control"]
            assert json.loads(response.read())["id"] == LIST_1
        assert cache == "no-cache" and etag
        request = urllib.request.Request(base + folder.list_path(1), headers={"If-None-Match": etag})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(request)
        assert not_modified.value.code == 304
        for path in ("../credreg.db", "credentials/status/", ".credreg", "keys/"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(base + path)
            assert missing.value.code == 404
        code, out, err = credreg(env, "audit", "--public", base, "--json")  # the audit over HTTP too
        assert code == 0 and json.loads(out)["statusLists"][0]["revokedOnChain"] == 1, err
        # While it serves: one `credreg revoke` and the next check sees it (no cache lifetime to wait out).
        _ok(env, "revoke", docs[3][1]["id"])
        [again] = standard_verifier_results(verifier, [docs[3][0]], serve={PUBLIC_URL: base})
        assert again["verified"] is False and again["revoked"] is True, again
        with urllib.request.urlopen(urllib.request.Request(base + folder.list_path(1),
                                                           headers={"If-None-Match": etag})) as response:
            assert response.status == 200 and response.headers["ETag"] != etag


def _wait_healthy(base: str, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"credreg serve exited {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(base + "healthz", timeout=1) as response:
                if json.loads(response.read())["ok"]:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"credreg serve at {base} not healthy within {timeout:.0f} s")
