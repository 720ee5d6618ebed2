"""Short share links on the verification page, in Chromium (the world of page_helpers.py).

A holder drops a verified credential, chooses how long the link lives, and gets
<verifier>/s/<id>#<key>: the browser encrypted the credential, the verifier stored ciphertext.
Someone opening the link in another browser sees the verdict; a damaged key or ciphertext says
so plainly. The key is never in anything the server received (the recorder keeps every request),
and links made by `credreg share` (registry/sharing) open on the page: one format, two makers.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_page import browser, check_rows, context, env, page, wait_verdict  # noqa: E402, F401 (fixtures)

from registry.sharing import links, posting  # noqa: E402

SCREENSHOT = Path("/tmp/page-share.png")
LINK = re.compile(r"(?P<base>http://127\.0\.0\.1:\d+)/s/(?P<id>[A-Za-z0-9_-]{12})#(?P<key>[A-Za-z0-9_-]{43})")


def drop(page, text: str) -> None:
    transfer = page.evaluate_handle(
        """text => { const dt = new DataTransfer();
                     dt.items.add(new File([text], "credential.json", {type: "application/json"}));
                     return dt; }""", text)
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


@pytest.fixture()
def stranger(browser, env):  # noqa: F811
    """Another person's browser: a fresh profile, no state shared with the holder's."""
    ctx = browser.new_context(locale="en-GB", timezone_id="UTC")
    ctx.set_default_timeout(10_000)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    ctx.requests = requests
    yield ctx
    ctx.close()


def opened(ctx, link: str):
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    p.goto(link)
    p.errors = errors
    return p


def test_a_dropped_credential_shared_by_short_link_opens_verified_in_another_browser(context, page, env, stranger):  # noqa: F811
    text = env.files["intro-to-sql"].read_text()
    doc = json.loads(text)
    drop(page, text)
    assert wait_verdict(page) == "valid"
    assert page.is_visible("#shorten") and not page.is_visible("#short")
    page.click("#shorten")
    page.select_option("#short-days", "1825")
    page.click("#short-make")
    page.wait_for_selector("#short-link")
    link = page.input_value("#short-link")
    match = LINK.fullmatch(link)
    assert match and match["base"] == env.url, link
    token = page.input_value("#short-token")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    page.click("#short-copy")
    page.wait_for_selector("#short-copied:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == link
    expires = datetime.fromisoformat(page.get_attribute("#short-expires", "datetime").replace("Z", "+00:00"))
    assert timedelta(days=1824) < expires - datetime.now(UTC) <= timedelta(days=1825)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # What the verifier got: the ciphertext of exactly the checked text, which the key opens.
    [created] = [s for s in env.recorder.seen if (s.method, s.path) == ("POST", "/v1/shares")]
    sent = json.loads(created.body)
    assert set(sent) == {"ciphertext", "expiresInDays"} and sent["expiresInDays"] == 1825
    assert links.open_sealed(links.from_b64url(sent["ciphertext"]), match["key"]).decode() == text
    assert doc["id"].encode() not in created.body and b"SQL" not in created.body

    other = opened(stranger, link)  # someone else opens it: no typing, the verdict shows
    assert wait_verdict(other) == "valid"
    assert all(cls == "pass" for _, cls, _ in check_rows(other))
    assert other.input_value("#json") == text
    assert "Introduction to SQL" in other.inner_text("#credential")
    assert other.errors == []

    # The key was never in anything the server received, nor in any URL either browser requested.
    key = match["key"]
    for seen in env.recorder.seen:
        assert key not in seen.raw_path + seen.query and key.encode() not in seen.body, seen
        assert "#" not in seen.raw_path, seen
    for url in context.requests + stranger.requests:
        assert key not in url and "#" not in url, url
    assert [(s.method, s.path) for s in env.recorder.seen if s.path.startswith(("/s/", "/v1/shares"))] == [
        ("POST", "/v1/shares"), ("GET", f"/s/{match['id']}"), ("GET", f"/v1/shares/{match['id']}")]


@pytest.mark.parametrize("damage", ["key", "ciphertext"])
def test_a_damaged_link_says_the_link_is_damaged_or_its_key_wrong(stranger, env, damage):
    text = env.files["intro-to-sql"].read_text()
    sealed = links.seal(text.encode())
    blob = bytearray(sealed.blob)
    key = sealed.key
    if damage == "key":
        key = ("B" if key[0] == "A" else "A") + key[1:]
    else:
        blob[-1] ^= 0x01
    import urllib.request

    request = urllib.request.Request(env.url + "/v1/shares", json.dumps({"ciphertext": links.b64url(bytes(blob))}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        url = json.loads(resp.read())["url"]
    env.recorder.seen.clear()
    p = opened(stranger, f"{url}#{key}")
    p.wait_for_selector("#error:has-text('damaged')")
    assert p.inner_text("#error").startswith("This link is damaged or its key is wrong")
    assert p.query_selector("#status") is None
    assert env.posts() == []  # nothing was verified
    assert p.errors == []


def test_a_deleted_or_mistyped_link_says_it_cannot_be_opened(stranger, env):
    shared = posting.share(env.url, env.files["intro-to-sql"].read_bytes())
    base, share_id, key = links.split_link(shared.link)
    import urllib.request

    request = urllib.request.Request(f"{base}/v1/shares/{share_id}", method="DELETE",
                                     headers={"Authorization": f"Bearer {shared.delete_token}"})
    assert urllib.request.urlopen(request, timeout=5).status == 204
    p = opened(stranger, shared.link)
    p.wait_for_selector("#error:has-text('cannot be opened')")
    assert "no share" in p.inner_text("#error")
    mistyped = opened(stranger, f"{base}/s/abc#{key}")
    mistyped.wait_for_selector("#error:has-text('cannot be opened')")
    assert "is not a share id" in mistyped.inner_text("#error")


def test_a_link_made_by_credreg_share_opens_verified_on_the_page(stranger, env):
    text = env.files["intro-to-sql"].read_text()
    shared = posting.share(env.url, text.encode(), days=30)
    assert urlsplit(shared.link).fragment and LINK.fullmatch(shared.link)
    p = opened(stranger, shared.link)
    assert wait_verdict(p) == "valid"
    assert p.input_value("#json") == text


def test_an_expired_link_says_it_has_expired(stranger, env):
    """The round trip's last leg in the browser: a share past its expiry no longer opens."""
    from sqlalchemy import update

    from registry.store.schema import shares
    from registry.store.shares import stamp

    shared = posting.share(env.url, env.files["intro-to-sql"].read_bytes(), days=1)
    _, share_id, _ = links.split_link(shared.link)
    with env.recorder.app.state.shares.store().engine.begin() as conn:
        conn.execute(update(shares).where(shares.c.id == share_id)
                     .values(expires_at=stamp(datetime.now(UTC) - timedelta(seconds=5))))
    p = opened(stranger, shared.link)
    p.wait_for_selector("#error:has-text('cannot be opened')")
    assert "expired" in p.inner_text("#error")
    assert p.query_selector("#status") is None
