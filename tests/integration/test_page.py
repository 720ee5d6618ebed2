"""The verification page at `/`, in a real headless Chromium (Debian's) driven by Playwright.

Against a real chain: anvil, a deployed registry, an accredited issuer, the example credentials
issued and anchored through `credreg`, one of them revoked, and the real service with its event
indexer. What an HR person does: paste, choose or drop a credential, read the verdict, each check,
the issuer and the anchor; share a link that carries the credential in the URL fragment, which
the server must never see. Every test also checks that the page loads nothing from anywhere but
the verifier itself, and that it runs under the service's Content-Security-Policy without a single
violation of it; one test shows that the policy is enforced (an injected script does not run).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from registry.credentials import proofs
from registry.service.policy import PAGE_POLICY

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_helpers import (CHROMIUM, CHROMIUM_ARGS, ISSUER_DID, ISSUER_NAME, World,  # noqa: E402
                          fragment_credential, world)

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Debian chromium not installed at {CHROMIUM}", allow_module_level=True)

CHECKS = ["format", "integrity", "inclusion", "anchor", "issuer", "revocation", "validity"]
WITH_STATUS = [*CHECKS[:6], "status", "validity"]  # a credential with a status-list entry
SCREENSHOT = Path("/tmp/page-valid.png")


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def env(tmp_path_factory) -> World:
    with world(tmp_path_factory.mktemp("page") / "home") as w:
        yield w


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def context(browser, env):
    """A fresh browser profile; at the end, every request it made went to the verifier only."""
    ctx = browser.new_context(locale="en-GB", timezone_id="UTC", viewport={"width": 1000, "height": 900})
    ctx.set_default_timeout(10_000)
    # Every CSP violation on any page of this profile, as the page itself is told of them.
    ctx.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation', "
                        "(e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=env.url)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    ctx.requests = requests
    env.recorder.seen.clear()
    yield ctx
    ctx.close()
    assert requests, "the page made no request at all"
    origin = urlsplit(env.url)
    for url in requests:
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port) == ("http", "127.0.0.1", origin.port), \
            f"the page loaded something from outside the verifier: {url}"


@pytest.fixture()
def page(context, env):
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    # Chromium also reports each CSP violation on the console ("Refused to ... Content Security Policy").
    p.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    answer = p.goto(env.url + "/")
    assert answer.headers["content-security-policy"] == PAGE_POLICY  # the page runs under the policy
    yield p
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert violations(p) == [], "the page broke its own Content-Security-Policy"


# ---------------------------------------------------------------------------- helpers
def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def verdict_of(env: World, doc: dict) -> dict:
    """The service's own verdict (for comparing what the page shows)."""
    req = urllib.request.Request(env.url + "/v1/verify", json.dumps(doc).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def paste_and_check(page, text: str) -> None:
    page.fill("#json", text)
    page.click("#check")


def wait_verdict(page) -> str:
    page.wait_for_selector("#status[data-status]", timeout=10_000)
    return page.get_attribute("#status", "data-status")


def shared_link(page) -> str:
    """The link the page offers after "Copy shareable link" was clicked."""
    page.wait_for_selector("#share input")
    return page.input_value("#share input")


def share_payload(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def check_rows(page) -> list[tuple[str, str, str]]:
    """(check name, class pass/fail, mark) for every listed check, in order."""
    return [tuple(row) for row in page.eval_on_selector_all(
        "#result li[data-check]",
        "els => els.map(e => [e.dataset.check, e.className, e.querySelector('.mark').textContent])")]


# ---------------------------------------------------------------------------- tests
def test_paste_a_valid_credential_shows_the_verdict_checks_issuer_and_anchor(page, env):
    doc = env.credential("intro-to-sql")
    expected = verdict_of(env, doc)
    assert expected["status"] == "valid"
    env.recorder.seen.clear()

    paste_and_check(page, json.dumps(doc, indent=2))
    assert wait_verdict(page) == "valid"
    assert page.inner_text("#status h2") == "Valid"
    assert page.is_visible("#status")

    rows = check_rows(page)
    assert [r[0] for r in rows] == (WITH_STATUS if "credentialStatus" in doc else CHECKS)
    assert all(cls == "pass" and mark == "✓" for _, cls, mark in rows), rows
    for check in expected["checks"]:  # the plain-language detail of each check is there
        assert check["detail"] in page.inner_text(f'li[data-check="{check["name"]}"]')

    issuer = page.inner_text("#issuer")
    assert ISSUER_NAME in issuer and ISSUER_DID in issuer
    about = page.inner_text("#credential")  # what was checked, for whom, from the unchanged document
    assert doc["credentialSubject"]["achievement"]["name"] in about and "Kofi Mock" in about
    assert "16 May 2025" in about

    anchor = page.inner_text("#anchor")
    proof_anchor = proofs.read_receipt(doc)[0]["anchor"]
    assert str(proof_anchor["blockNumber"]) in anchor
    assert proof_anchor["transactionHash"] in anchor
    assert expected["anchor"]["transactionHash"] == proof_anchor["transactionHash"]
    assert env.registry in anchor
    # the time: machine-readable in <time datetime>, human-readable in the viewer's zone (UTC here)
    when = expected["anchor"]["anchoredAt"]
    assert page.get_attribute("#anchor time", "datetime") == when
    shown = page.inner_text("#anchor time")
    year, month, day, hh, mm = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)", when).groups()
    month_name = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"][int(month) - 1]
    assert year in shown and month_name in shown and str(int(day)) in shown and f"{hh}:{mm}" in shown, shown
    assert "UTC" in shown, f"the time should name its zone: {shown}"

    # the server saw exactly one verification, with the credential as its body
    posts = env.posts()
    assert [(p.path, p.query) for p in posts] == [("/v1/verify", "")]
    assert json.loads(posts[0].body) == doc

    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000


def test_choosing_a_file_shows_the_verdict(page, env):
    path = env.files["accessible-web-design"]
    page.set_input_files("#file", str(path))
    assert wait_verdict(page) == "valid"
    assert json.loads(page.input_value("#json")) == json.loads(path.read_text())
    assert all(cls == "pass" for _, cls, _ in check_rows(page))
    # choosing the same file again checks it again (the input does not swallow a repeat choice)
    page.evaluate("document.getElementById('result').replaceChildren()")
    page.set_input_files("#file", str(path))
    assert wait_verdict(page) == "valid"
    assert len(env.posts()) == 2


def test_dropping_a_file_shows_the_verdict(page, env):
    text = env.files["intro-to-sql"].read_text()
    transfer = page.evaluate_handle(
        """text => { const dt = new DataTransfer();
                     dt.items.add(new File([text], "credential.json", {type: "application/json"}));
                     return dt; }""", text)
    page.dispatch_event("#drop", "dragover", {"dataTransfer": transfer})
    assert "over" in page.get_attribute("#drop", "class")
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    assert wait_verdict(page) == "valid"
    assert "over" not in (page.get_attribute("#drop", "class") or "")
    assert json.loads(env.posts()[0].body) == json.loads(text)


def test_a_revoked_credential_is_revoked_with_the_failing_check_marked(page, env):
    paste_and_check(page, env.files[env.revoked].read_text())
    assert wait_verdict(page) == "revoked"
    assert page.inner_text("#status h2") == "Revoked"
    rows = check_rows(page)
    assert [r[0] for r in rows] == CHECKS[:6]
    assert all(cls == "pass" and mark == "✓" for _, cls, mark in rows[:-1]), rows
    assert rows[-1] == ("revocation", "fail", "✗")
    assert "revoked" in page.inner_text('li[data-check="revocation"]')
    assert ISSUER_NAME in page.inner_text("#issuer")  # who revoked it is still shown


def test_an_edited_credential_is_invalid(page, env):
    doc = env.credential("intro-to-sql")
    for ident in doc["credentialSubject"]["identifier"]:
        if ident["identityType"] == "name":
            ident["identityHash"] = "Somebody Else"
    paste_and_check(page, json.dumps(doc))
    assert wait_verdict(page) == "invalid"
    assert page.inner_text("#status h2") == "Not valid"
    assert check_rows(page) == [("format", "pass", "✓"), ("integrity", "fail", "✗")]
    assert "changed" in page.inner_text('li[data-check="integrity"]')
    assert page.query_selector("#issuer") is None and page.query_selector("#anchor") is None
    assert page.query_selector("#credential") is None  # an edited document's claims are not repeated


@pytest.mark.parametrize("text, message", [
    ("this is not a credential {", "not JSON"),
    ('[{"a": 1}]', "expected one JSON object"),
    ("", "not JSON"),
])
def test_garbage_gives_a_clear_error_and_no_verdict(page, env, text, message):
    # a verdict already on screen must not stay next to the error
    paste_and_check(page, env.files["intro-to-sql"].read_text())
    assert wait_verdict(page) == "valid"
    env.recorder.seen.clear()

    paste_and_check(page, text)
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert message in page.inner_text("#error")
    assert page.query_selector("#status") is None
    assert page.inner_text("#result").strip() == ""
    assert page.is_hidden("#copy"), "a link to the previous credential must not stay offered"
    assert env.posts() == []


def test_a_json_object_that_is_not_a_credential_is_invalid_on_format(page, env):
    paste_and_check(page, '{"hello": "world"}')
    assert wait_verdict(page) == "invalid"
    assert check_rows(page) == [("format", "fail", "✗")]


def test_the_shareable_link_carries_the_credential_in_the_fragment_only(context, page, env):
    doc = env.credential("intro-to-sql")
    paste_and_check(page, json.dumps(doc, indent=2))
    assert wait_verdict(page) == "valid"
    assert page.is_visible("#copy")
    page.click("#copy")
    link = shared_link(page)
    assert "copied" in page.inner_text("#share")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert link.startswith(env.url + "/#c=")
    assert fragment_credential(link) == doc

    fresh = context.new_page()  # someone opening the link: no typing, the verdict shows
    fresh.goto(link)
    assert wait_verdict(fresh) == "valid"
    assert all(cls == "pass" for _, cls, _ in check_rows(fresh))
    assert ISSUER_NAME in fresh.inner_text("#issuer")
    assert json.loads(fresh.input_value("#json")) == doc

    other = env.credential(env.revoked)  # another link opened in the same tab is checked too
    fresh.evaluate("h => { location.hash = h; }", "c=" + share_payload(other))
    fresh.wait_for_selector('#status[data-status="revoked"]')
    assert json.loads(fresh.input_value("#json")) == other

    # the fragment never left the browser: not in any request, not in anything the server saw
    payload = link.split("#c=", 1)[1]
    for url in context.requests:
        assert "#c=" not in url and payload[:40] not in url and "c=" not in urlsplit(url).query, url
    for seen in env.recorder.seen:
        assert payload[:40] not in seen.raw_path + seen.query and "#" not in seen.raw_path, seen
        assert seen.query == "", seen
    assert {(s.method, s.path) for s in env.recorder.seen if s.method == "GET"} <= {
        ("GET", "/"), ("GET", "/page.css"), ("GET", "/page.js"), ("GET", "/favicon.ico")}
    posts = env.posts()
    assert [p.path for p in posts] == ["/v1/verify"] * 3
    assert [json.loads(p.body) for p in posts] == [doc, doc, other]
    assert all(payload[:40].encode() not in p.body for p in posts)


def test_without_a_clipboard_the_link_is_offered_to_copy_by_hand(context, env):
    # plain http on a non-local host is not a secure context: there is no navigator.clipboard
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', { value: undefined })")
    p = context.new_page()
    p.goto(env.url + "/")
    paste_and_check(p, env.files["intro-to-sql"].read_text())
    assert wait_verdict(p) == "valid"
    p.click("#copy")
    assert fragment_credential(shared_link(p)) == env.credential("intro-to-sql")
    assert "Copy this link" in p.inner_text("#share")
    assert p.evaluate("document.activeElement === document.querySelector('#share input')")


def test_a_damaged_link_says_so_and_checks_nothing(context, env):
    p = context.new_page()
    p.goto(env.url + "/#c=%%%not-base64")
    p.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert "damaged" in p.inner_text("#error")
    assert p.query_selector("#status") is None
    assert env.posts() == []


def test_a_large_credential_still_gets_its_verdict_and_link(page, env):
    doc = env.credential("intro-to-sql")
    doc["credentialSubject"]["achievement"]["image"] = {  # an embedded badge image, as OB3 allows
        "id": "data:image/png;base64," + "iVBORw0KGgo" * 30_000, "type": "Image"}
    paste_and_check(page, json.dumps(doc))
    assert wait_verdict(page) == "invalid"  # changed after issuing, but a verdict all the same
    assert page.inner_text("#error") == ""
    page.click("#copy")
    assert fragment_credential(shared_link(page)) == doc


# ---------------------------------------------------------------------------- hostile use
def test_the_policy_is_enforced_an_injected_script_does_not_run(context, env):
    p = context.new_page()
    failed: list[tuple[str, str]] = []
    p.on("requestfailed", lambda r: failed.append((r.url, r.failure)))
    p.goto(env.url + "/")
    # The page works (its own files are allowed), then a script smuggled into it is blocked.
    paste_and_check(p, env.files["intro-to-sql"].read_text())
    assert wait_verdict(p) == "valid"
    assert p.evaluate("getComputedStyle(document.querySelector('#status')).color") == "rgb(255, 255, 255)"
    assert violations(p) == []
    p.evaluate("""() => {
        const inline = document.createElement("script");
        inline.textContent = "window.__ran = 'inline script'";
        document.body.append(inline);
        document.getElementById("result").insertAdjacentHTML("beforeend", `
            <img id="probe" src="/no-such-image" onerror="window.__ran = 'onerror'">
            <a id="link" href="javascript:window.__ran = 'javascript: URL'">x</a>
            <div id="styled" style="color: rgb(1, 2, 3)">styled</div>`);
        const other = document.createElement("script");  // the page's own script, from another origin
        other.src = location.origin.replace("127.0.0.1", "localhost") + "/page.js?elsewhere";
        document.head.append(other);
    }""")
    p.click("#link")
    p.wait_for_function("window.__violations.length >= 4")
    assert p.evaluate("window.__ran") is None
    # eval in a task of the page's own (Playwright's evaluate itself is exempt from the policy)
    assert p.evaluate("""() => new Promise((done) => setTimeout(() => {
        try { eval("1"); done("eval ran"); } catch (e) { done(e.name); } }))""") == "EvalError"
    assert p.evaluate("getComputedStyle(document.getElementById('styled')).color") != "rgb(1, 2, 3)"
    seen = " | ".join(violations(p))
    assert "script-src-elem inline" in seen and "script-src-attr inline" in seen, seen
    assert "script-src-elem http://localhost:" in seen and "style-src-attr inline" in seen, seen
    # The other origin's script was never fetched: blocked in the browser, not seen by the server.
    elsewhere = [url for url in context.requests if "elsewhere" in url]
    assert elsewhere, "the browser did not even try the other origin's script"
    assert [(url, why) for url, why in failed if "elsewhere" in url] == [(url, "csp") for url in elsewhere]
    assert not any("elsewhere" in seen.query for seen in env.recorder.seen)
    for url in elsewhere:  # the fixture checks that the page itself asked for nothing outside
        context.requests.remove(url)


def test_markup_in_what_the_page_shows_is_shown_as_text(page, env):
    # The error quotes what was pasted; it is text, never parsed as HTML.
    paste_and_check(page, '<img src="/x" onerror="window.__ran = 1">')
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert "not JSON" in page.inner_text("#error")
    assert page.query_selector("#error img") is None and page.evaluate("window.__ran") is None
    # A field of a credential the verifier quotes (its format check) is shown as text as well.
    doc = env.credential("intro-to-sql")
    doc["id"] = "<img src=/x onerror=window.__ran=2> <b>bold</b>"
    paste_and_check(page, json.dumps(doc))
    assert wait_verdict(page) == "invalid"
    assert doc["id"] in page.inner_text('li[data-check="format"]')  # quoted, as text
    assert page.query_selector("#result img, #result b") is None and page.evaluate("window.__ran") is None
