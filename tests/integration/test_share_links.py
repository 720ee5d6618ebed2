"""Encrypted share links on the verifier: POST /v1/shares, GET and DELETE /v1/shares/{id}, and
`credreg share` against a live `credreg serve`.

What the verifier stores is ciphertext only (invariant 13): the raw bytes of its database hold
neither the credential's id nor its name nor the client's address. A share expires, is deleted
with its token only, and the routes refuse what is not a share (413, 422, 429, 404) without a
server error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit"))

from chain_fakes import FakeView, anchored_format_2, prepared  # noqa: E402

from registry.service.app import Settings, create_app  # noqa: E402
from registry.sharing import links, posting  # noqa: E402
from registry.store.schema import shares  # noqa: E402
from registry.store.shares import stamp  # noqa: E402


@pytest.fixture()
def credential() -> dict:
    return anchored_format_2(FakeView(), [prepared()])[0]


def _client(home: Path, **settings) -> TestClient:
    return TestClient(create_app(Settings(home=home, **settings), view=FakeView()))


def _create(client: TestClient, plaintext: bytes, **fields) -> tuple[dict, str]:
    sealed = links.seal(plaintext)
    answer = client.post("/v1/shares", json={"ciphertext": links.b64url(sealed.blob), **fields})
    assert answer.status_code == 201, answer.text
    return answer.json(), sealed.key


def _raw_store(home: Path) -> bytes:
    """Every byte SQLite keeps of the store: the file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in home.glob("credreg.db*"))


def test_a_share_is_stored_read_back_and_opens_with_the_key_only_its_link_carries(tmp_path, credential):
    text = json.dumps(credential).encode()
    with _client(tmp_path) as client:
        created, key = _create(client, text, expiresInDays=30)
        assert set(created) == {"id", "url", "expiresAt", "deleteToken"}
        assert links.is_id(created["id"]) and created["url"] == f"http://testserver/s/{created['id']}"
        expires = datetime.fromisoformat(created["expiresAt"].replace("Z", "+00:00"))
        assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)
        got = client.get(f"/v1/shares/{created['id']}")
        assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
        assert links.open_sealed(links.from_b64url(got.json()["ciphertext"]), key) == text
        page = client.get(f"/s/{created['id']}")
        assert page.status_code == 200 and '<script src="/page.js">' in page.text
    raw = _raw_store(tmp_path)
    assert b"shares" in raw  # the table is there: the search below is over the right bytes
    for secret in (credential["id"], credential["name"], credential["credentialSubject"]["achievement"]["name"],
                   key, created["deleteToken"], "testclient"):
        assert secret.encode() not in raw, f"the store holds {secret!r} in the clear"
    assert links.token_hash(created["deleteToken"]).encode() in raw


def test_a_share_is_deleted_with_its_token_alone(tmp_path):
    with _client(tmp_path) as client:
        created, _ = _create(client, b"{}")
        route = f"/v1/shares/{created['id']}"
        assert client.delete(route).status_code == 401
        wrong = client.delete(route, headers={"Authorization": f"Bearer {links.new_token()}"})
        assert wrong.status_code == 403 and "not the delete token" in wrong.json()["detail"]
        assert client.get(route).status_code == 200
        right = client.delete(route, headers={"Authorization": f"Bearer {created['deleteToken']}"})
        assert right.status_code == 204 and right.content == b""
        gone = client.get(route)
        assert gone.status_code == 404 and "no share" in gone.json()["detail"]
        again = client.delete(route, headers={"Authorization": f"Bearer {created['deleteToken']}"})
        assert again.status_code == 404


def test_an_expired_share_is_not_served_and_is_purged_by_the_next_share(tmp_path):
    app = create_app(Settings(home=tmp_path), view=FakeView())
    with TestClient(app) as client:
        created, _ = _create(client, b"{}")
        engine = app.state.shares.store().engine
        with engine.begin() as conn:
            past = stamp(datetime.now(UTC) - timedelta(seconds=5))
            conn.execute(update(shares).where(shares.c.id == created["id"]).values(expires_at=past))
        expired = client.get(f"/v1/shares/{created['id']}")
        assert expired.status_code == 410 and "expired" in expired.json()["detail"]
        _create(client, b"{}")  # lazily purges what has expired
        assert client.get(f"/v1/shares/{created['id']}").status_code == 404


def test_a_client_over_its_hourly_shares_is_told_when_to_come_back(tmp_path):
    with _client(tmp_path, shares_per_hour=3) as client:
        for _ in range(3):
            _create(client, b"{}")
        refused = client.post("/v1/shares", json={"ciphertext": links.b64url(links.seal(b"{}").blob)})
        assert refused.status_code == 429 and "3 shares an hour" in refused.json()["detail"]
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600


def test_a_body_over_the_share_limit_is_refused_before_it_is_read(tmp_path):
    with _client(tmp_path, share_max_body_bytes=1000) as client:
        big = client.post("/v1/shares", json={"ciphertext": links.b64url(links.seal(b"x" * 2000).blob)})
        assert big.status_code == 413 and "1,000-byte limit" in big.json()["detail"]


@pytest.mark.parametrize("body", [
    b"[]", b'{"ciphertext": 5}', b'{"ciphertext": "a+b/"}', b'{"ciphertext": "AAAA"}',
    b'{"ciphertext": "AQ", "extra": 1}', b'{"expiresInDays": 3}',
    json.dumps({"ciphertext": links.b64url(b"\x02" + bytes(40))}).encode(),  # another version
    json.dumps({"ciphertext": links.b64url(links.seal(b"{}").blob), "expiresInDays": 0}).encode(),
    json.dumps({"ciphertext": links.b64url(links.seal(b"{}").blob), "expiresInDays": 3651}).encode(),
    json.dumps({"ciphertext": links.b64url(links.seal(b"{}").blob), "expiresInDays": True}).encode(),
    b'{"ciphertext": "AQ", "ciphertext": "AQ"}', b"not json"])
def test_what_is_not_a_share_is_refused_with_a_reason(tmp_path, body):
    with _client(tmp_path) as client:
        answer = client.post("/v1/shares", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["detail"]


@pytest.mark.parametrize("share_id", ["x", "AAAAAAAAAAA", "AAAAAAAAAAAAA", "AAAAAAAAAAA=", "AAAAAAAA%2F..", "%00" * 12])
def test_an_id_that_cannot_be_a_share_is_a_clear_404(tmp_path, share_id):
    with _client(tmp_path) as client:
        got = client.get(f"/v1/shares/{share_id}")
        deleted = client.delete(f"/v1/shares/{share_id}", headers={"Authorization": "Bearer x"})
        page = client.get(f"/s/{share_id}")
    assert got.status_code == 404 and "is not a share id" in got.json()["detail"]
    assert deleted.status_code == 404
    assert page.status_code == 404 and "/page.js" in page.text


def test_a_verifier_that_serves_no_share_opens_no_store(tmp_path):
    with _client(tmp_path) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/shares/AAAAAAAAAAAA").status_code == 404  # a well-formed id: opens it
    assert (tmp_path / "credreg.db").exists()
    with _client(tmp_path / "other") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/shares/bad").status_code == 404  # malformed: answered without a store
    assert not (tmp_path / "other" / "credreg.db").exists()


# ---------------------------------------------------------------------------- `credreg share` and `credreg serve`
@pytest.fixture(scope="module")
def served(anvil, dev_accounts, tmp_path_factory):
    """`credreg serve` on a free port, against a fresh registry on the module's anvil."""
    from registry.chain.client import RegistryClient, connect
    from registry.dev.devchain import free_port

    registry, _ = RegistryClient.deploy(connect(anvil.url), dev_accounts[0])
    home = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    server = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--port", str(port),
                               "--rpc-url", anvil.url, "--registry", registry.address, "--home", str(home)],
                              env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the verifier did not start"
                time.sleep(0.3)
        yield url, home
    finally:
        server.terminate()
        server.wait(timeout=30)


def _share_cli(*argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    return subprocess.run([sys.executable, "-m", "registry.cli", "share", *argv], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_credreg_share_prints_a_link_whose_fragment_opens_the_files_credential(served, credential, tmp_path):
    url, home = served
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential, indent=2))
    qr = tmp_path / "link.svg"
    done = _share_cli(str(path), "--verifier", url, "--days", "30", "--qr", str(qr), "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    link = answer["link"]
    base, share_id, key = links.split_link(link)
    assert base == url and share_id == answer["id"] and answer["linkLength"] == len(link)
    assert posting.fetch(link) == path.read_bytes()
    assert key.encode() not in _raw_store(home) and b"Introduction to SQL" not in _raw_store(home)
    assert answer["qr"]["file"] == str(qr) and 1 <= answer["qr"]["version"] <= 40
    svg = qr.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert _decoded_qr(qr, tmp_path / "link.png") == link


def _decoded_qr(svg: Path, png: Path) -> str:
    """What a QR reader reads from the SVG, drawn by Chromium (zbarimg reads no SVG itself)."""
    chromium = Path("/usr/bin/chromium")
    if shutil.which("zbarimg") is None or not chromium.exists():
        pytest.skip("zbarimg or chromium is not installed: the QR code was written but not decoded")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(svg.as_uri())
            page.screenshot(path=str(png))
        finally:
            browser.close()
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    return decoded.stdout.strip()


def test_credreg_share_prints_the_link_expiry_and_token_for_people(served, credential, tmp_path):
    url, _ = served
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential))
    done = _share_cli(str(path), "--verifier", url)
    assert done.returncode == 0, done.stderr
    first, *rest = done.stdout.splitlines()
    assert first.startswith(f"{url}/s/") and "#" in first
    assert posting.fetch(first) == path.read_bytes()
    assert any("expires" in line for line in rest) and any("delete token" in line for line in rest)


def test_credreg_share_refuses_a_file_that_is_not_a_credential_and_a_verifier_that_is_down(tmp_path):
    from registry.dev.devchain import free_port

    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1, "a": 2}')
    done = _share_cli(str(bad), "--verifier", "http://127.0.0.1:9")
    assert done.returncode == 2 and "bad.json" in done.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps(anchored_format_2(FakeView(), [prepared()])[0]))
    down = _share_cli(str(good), "--verifier", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "cannot be reached" in down.stderr


def test_workers_opening_a_new_store_at_once_all_get_it(tmp_path):
    """`serve --workers N` on a fresh home: each worker's first share migrates the store; the
    losers of that race (alembic's "table already exists") try again and find it made."""
    code = ("import sys; from pathlib import Path; from registry.service.settings import Settings; "
            "from registry.service.share_store import _opened; "
            "print(_opened(Settings(home=Path(sys.argv[1]))).share('AAAAAAAAAAAA'))")
    for attempt in range(3):
        home = tmp_path / str(attempt)
        workers = [subprocess.Popen([sys.executable, "-c", code, str(home)], cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(3)]
        results = [w.communicate(timeout=60) for w in workers]
        assert [w.returncode for w in workers] == [0, 0, 0], [err[-300:] for _, err in results]
        assert [out.strip() for out, _ in results] == ["None"] * 3
