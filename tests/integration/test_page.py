"""The verification page at `/`, in a real headless Chromium (Debian's) driven by Playwright.

Against a real chain: anvil, a deployed registry, an accredited issuer, the example credentials
issued and anchored through `credreg`, one of them revoked, and the real service with its event
indexer. What an HR person does: paste, choose or drop a credential, read the verdict, each check,
the issuer and the anchor; share a link that carries the credential in the URL fragment, which
the server must never see. Every test also checks that the page loads nothing from anywhere but
the verifier itself, and that it runs under the service's Content-Security-Policy without a single
violation of it; one test shows that the policy is enforced (an injected script does not run).
And a stack against a pathway: the pathway and a learner's credentials chosen, dropped or pasted
together, the answer drawn as a tree (met steps filled, missing ones outlined, each met step
linking to the verdict of the credential that met it), what is missing, every credential's verdict.
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
from registry.service.routers.operations import ASSETS

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_helpers import (CHROMIUM, CHROMIUM_ARGS, ISSUER_DID, ISSUER_NAME, World,  # noqa: E402
                          fragment_credential, world)

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Debian chromium not installed at {CHROMIUM}", allow_module_level=True)

CHECKS = ["format", "integrity", "inclusion", "anchor", "issuer", "revocation", "validity"]
WITH_STATUS = [*CHECKS[:6], "status", "validity"]  # a credential with a status-list entry
SCREENSHOT = Path("/tmp/page-valid.png")
PATHWAY_SCREENSHOT = Path("/tmp/page-pathway.png")


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
        ("GET", "/"), ("GET", "/page.css"), ("GET", "/page.js"), ("GET", "/favicon.ico"),
        *(("GET", f"/{name}") for name in ASSETS)}  # the page's own files (credential view, QR code, print)
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


# ---------------------------------------------------------------------------- a stack against a pathway
def stack_nodes(page) -> dict[str, tuple[bool, str]]:
    """path -> (met, the box's class) for every requirement drawn."""
    return {path: (met == "true", cls) for path, met, cls in page.eval_on_selector_all(
        "#tree .node", "els => els.map(e => [e.dataset.path, e.dataset.met, e.className])")}


def wait_listed(page, count: int) -> None:
    page.wait_for_selector(f"#stack-list li:nth-child({count})")
    assert page.eval_on_selector_all("#stack-list li", "els => els.length") == count


def wait_stack(page) -> str:
    page.wait_for_selector("#pathway-status[data-status]", timeout=10_000)
    return page.get_attribute("#pathway-status", "data-status")


def test_a_complete_stack_is_drawn_as_a_tree_with_each_step_linking_to_its_credential(page, env):
    files = [env.stack[x] for x in ("pathway", "sql", "python", "aid")]
    page.set_input_files("#stack-files", [str(f) for f in files])
    wait_listed(page, 4)
    assert page.eval_on_selector_all("#stack-list li", "els => els.map(e => e.dataset.kind)") == [
        "pathway", "credential", "credential", "credential"]
    page.click("#stack-check")
    assert wait_stack(page) == "complete"
    assert page.inner_text("#pathway-status h2") == "Complete"
    nodes = stack_nodes(page)
    assert {path: met for path, (met, _) in nodes.items()} == {
        "requirement": True, "requirement.allOf[0]": True, "requirement.allOf[1]": True,
        "requirement.allOf[2]": True, "requirement.allOf[2].nOf[0]": False, "requirement.allOf[2].nOf[1]": True}
    assert "met" in nodes["requirement"][1].split() and "missing" in nodes["requirement.allOf[2].nOf[0]"][1].split()
    assert "1 of 2 met · 1 of 2 needed" in page.inner_text('.node[data-path="requirement.allOf[2]"] > .node-head')
    assert "3 of 3 met · All 3 needed" in page.inner_text('.node[data-path="requirement"] > .node-head')
    # met: filled green; missing: outlined, dashed
    met_style = page.eval_on_selector('.node[data-path="requirement.allOf[0]"]',
                                      "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopStyle]")
    missing_style = page.eval_on_selector('.node[data-path="requirement.allOf[2].nOf[0]"]',
                                          "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopStyle]")
    assert met_style == ["rgb(227, 244, 234)", "solid"] and missing_style == ["rgb(255, 255, 255)", "dashed"]
    assert page.query_selector('.node[data-path="requirement.allOf[2].nOf[0]"] a') is None
    # each met leaf links to the verdict of the credential that met it
    for path, name in (("requirement.allOf[0]", "sql.json"), ("requirement.allOf[1]", "python.json"),
                       ("requirement.allOf[2].nOf[1]", "aid.json")):
        link = page.query_selector(f'.node[data-path="{path}"] a.met-by')
        assert link.inner_text() == name
        target = link.get_attribute("href")
        assert page.inner_text(f"{target} .node-name") == name
        assert page.get_attribute(target, "data-counted") == "true"
        assert page.get_attribute(target, "data-status") == "valid"
        step = page.inner_text(f'.node[data-path="{path}"] > .node-head .node-name')
        assert f"Counts towards “{step}”" in page.inner_text(target)  # the step by its name, not its path
    page.click('.node[data-path="requirement.allOf[1]"] a.met-by')
    assert page.evaluate("location.hash") == page.get_attribute('.node[data-path="requirement.allOf[1]"] a', "href")
    assert page.query_selector("#missing") is None
    assert ISSUER_NAME in page.inner_text("#pathway") and "Junior Data Analyst Certificate" in page.inner_text("#pathway")
    posts = env.posts()
    assert [p.path for p in posts] == ["/v1/verify/pathway"]
    sent = json.loads(posts[0].body)
    assert sent["pathway"] == json.loads(env.stack["pathway"].read_text()) and "subject" not in sent
    assert sent["credentials"] == [json.loads(f.read_text()) for f in files[1:]]
    page.click('.node[data-path="requirement"] .node-name')  # back to the top for the picture
    page.locator("#stack").screenshot(path=str(PATHWAY_SCREENSHOT))
    assert PATHWAY_SCREENSHOT.stat().st_size > 10_000
    print(f"SCREENSHOT {PATHWAY_SCREENSHOT}")


def test_an_incomplete_stack_with_a_revoked_component_says_what_is_missing_and_why(page, env):
    text = {x: env.stack[x].read_text() for x in ("pathway", "sql-revoked", "python")}
    transfer = page.evaluate_handle(
        """files => { const dt = new DataTransfer();
                      for (const [name, text] of files) dt.items.add(new File([text], name, {type: "application/json"}));
                      return dt; }""", [[f"{k}.json", v] for k, v in text.items()])
    page.dispatch_event("#stack-drop", "drop", {"dataTransfer": transfer})
    wait_listed(page, 3)
    page.fill("#stack-json", env.stack["web"].read_text())  # and one pasted
    page.click("#stack-add")
    page.fill("#stack-subject", "did:example:learner-ada")
    page.click("#stack-check")
    assert wait_stack(page) == "incomplete"
    nodes = {path: met for path, (met, _) in stack_nodes(page).items()}
    assert nodes == {"requirement": False, "requirement.allOf[0]": False, "requirement.allOf[1]": True,
                     "requirement.allOf[2]": True, "requirement.allOf[2].nOf[0]": True,
                     "requirement.allOf[2].nOf[1]": False}
    assert page.eval_on_selector_all("#missing li", "els => els.map(e => e.textContent)") == [
        "Introduction to SQL for Reporting"]
    revoked = page.query_selector('.credential[data-status="revoked"]')
    assert revoked.get_attribute("data-counted") == "false"
    assert "sql-revoked.json" in revoked.inner_text() and "the credential is revoked" in revoked.inner_text()
    assert "revoked by the issuer" in revoked.inner_text()  # the failing check, in plain words
    link = page.query_selector('.node[data-path="requirement.allOf[2].nOf[0]"] a.met-by')
    assert link.inner_text() == "pasted 1"
    assert page.get_attribute(link.get_attribute("href"), "data-counted") == "true"
    sent = json.loads(env.posts()[0].body)
    assert sent["subject"] == {"id": "did:example:learner-ada"} and len(sent["credentials"]) == 3


def test_a_stack_request_the_verifier_refuses_is_an_error_not_a_verdict(page, env):
    page.click("#stack-check")  # nothing added yet
    assert "Add the pathway" in page.inner_text("#stack-error")
    page.set_input_files("#stack-files", [str(env.stack[x]) for x in ("pathway", "sql", "other-learner")])
    wait_listed(page, 3)
    page.click("#stack-check")  # two learners' credentials, and nobody said whose stack it is
    page.wait_for_selector("#stack-error:not(:empty)")  # (a polled function would need eval: the CSP refuses it)
    assert "name 2 learners" in page.inner_text("#stack-error")
    assert page.query_selector("#pathway-status") is None
    page.fill("#stack-subject", "did:example:bram")  # now it can be answered
    page.click("#stack-check")
    assert wait_stack(page) == "incomplete" and page.inner_text("#stack-error") == ""
    assert page.get_attribute('.node[data-path="requirement.allOf[2].nOf[0]"]', "data-met") == "true"
    page.click("#stack-clear")
    assert page.inner_text("#stack-result") == "" and page.query_selector("#stack-list li") is None


def test_a_stack_check_is_shared_by_a_link_that_carries_it_in_the_fragment_only(context, page, env):
    files = [env.stack[x] for x in ("pathway", "sql", "web")]
    page.set_input_files("#stack-files", [str(f) for f in files])
    wait_listed(page, 3)
    page.fill("#stack-subject", "did:example:learner-ada")
    page.click("#stack-check")
    assert wait_stack(page) == "incomplete"
    expected = stack_nodes(page)
    page.click("#stack-copy")
    page.wait_for_selector("#stack-share input")
    link = page.input_value("#stack-share input")
    assert link.startswith(env.url + "/#s=")
    data = link.split("#s=", 1)[1]
    shared = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode())
    assert shared == {"pathway": json.loads(files[0].read_text()),
                      "credentials": [json.loads(f.read_text()) for f in files[1:]],
                      "subject": {"id": "did:example:learner-ada"}, "names": ["sql.json", "web.json"]}

    fresh = context.new_page()  # someone opening the link sees the same check, the files named as before
    fresh.goto(link)
    assert wait_stack(fresh) == "incomplete"
    assert stack_nodes(fresh) == expected
    assert fresh.query_selector('.node[data-path="requirement.allOf[0]"] a.met-by').inner_text() == "sql.json"
    assert fresh.input_value("#stack-subject") == "did:example:learner-ada"
    assert violations(fresh) == []
    for url in context.requests:  # the fragment never left the browser
        assert "#s=" not in url and data[:40] not in url, url
    assert all(s.query == "" and data[:40] not in s.raw_path for s in env.recorder.seen)
    assert [p.path for p in env.posts()] == ["/v1/verify/pathway"] * 2

    damaged = context.new_page()
    damaged.goto(env.url + "/#s=%%%not-base64")
    damaged.wait_for_selector("#stack-error:not(:empty)")
    assert "damaged" in damaged.inner_text("#stack-error")
