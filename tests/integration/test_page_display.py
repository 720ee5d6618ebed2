"""What the verification page shows for a verified credential (credential-view.js), in Chromium.

The world of test_page.py (anvil, a registry, an accredited issuer, the example credentials issued
and anchored through `credreg`, one revoked, the real service), with two credentials of these tests
issued beside the examples (tests/integration/display_credentials): one with alignments, results,
evidence, a validUntil, an https badge image and a hashed e-mail of a known address, one with a
`data:` badge image. Every display field of each is on the page; the e-mail box matches the right
address only, in the browser; an https image is a link and never fetched; the QR code decodes (with
zbarimg, Debian's zbar-tools) to the link; the LinkedIn link carries the credential's fields; the
printed certificate is one page on A4 and on Letter and shows the QR code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.credentials.roster import identity_hash

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_helpers import EXAMPLES, ISSUER_DID, ISSUER_NAME, World, world  # noqa: E402
from test_page import browser, context, page, paste_and_check, wait_verdict  # noqa: E402,F401

sync_api = pytest.importorskip("playwright.sync_api")

OWN = Path(__file__).resolve().parent / "display_credentials"
FULL = "data-analysis-with-results"  # alignments, results, evidence, validUntil, https image, hashed e-mail
WITH_IMAGE = "intro-to-sql-with-image"  # a data: image
FULL_EMAIL = "ada.example@example.org"
STEMS = sorted([p.stem for p in EXAMPLES.glob("*.json")] + [p.stem for p in OWN.glob("*.json")])
CHECK_WORDS = {"integrity": "not been changed since it was issued", "revocation": "not withdrawn",
               "anchor": "blockchain", "issuer": "accredited", "validity": "dates", "format": "Open Badges 3.0",
               "inclusion": "batch", "status": "status"}
ZBARIMG = shutil.which("zbarimg")
GHOSTSCRIPT = shutil.which("gs")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> World:
    folder = tmp_path_factory.mktemp("display-examples")
    for source in [*EXAMPLES.glob("*.json"), *OWN.glob("*.json")]:
        shutil.copy(source, folder / source.name)
    with world(tmp_path_factory.mktemp("display") / "home", examples=folder) as w:
        yield w


# ---------------------------------------------------------------------------- helpers
def show(page, env: World, stem: str) -> dict:
    doc = env.credential(stem)
    paste_and_check(page, json.dumps(doc))
    assert wait_verdict(page) == ("revoked" if stem == env.revoked else "valid")
    return doc


def field(page, name: str) -> str:
    return page.inner_text(f'[data-field="{name}"]')


def short_link(env: World) -> str:
    """A link of the length a short share link (…/s/ID#KEY) has, for the QR code and the certificate."""
    return f"{env.url}/s/Xk3vQ9LmT2#k=b7Jc4pV0yHq8sWn1ZrE5tUa6dGf2iKo9lMx3NjB7eYw"


def share(page, link: str, doc: dict) -> dict:
    return page.evaluate("([link, doc]) => renderShareExtras(link, doc)", [link, doc])


def decode_qr(page, selector: str, png: Path) -> list[str]:
    """What zbarimg reads in a screenshot of the QR code at SELECTOR, drawn at 4 px a module or more."""
    page.eval_on_selector(selector, "svg => { const n = svg.viewBox.baseVal.width; "
                          "svg.style.width = svg.style.height = `${Math.max(4 * n, 240)}px`; }")
    page.locator(selector).screenshot(path=str(png))
    return zbar(png)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def zbar(png: Path) -> list[str]:
    out = subprocess.run([ZBARIMG, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(png)],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.splitlines()


def qr_in_pdf(pdf: Path) -> list[str]:
    """What zbarimg reads on the PDF's page, rendered by Ghostscript at 200 dpi."""
    png = pdf.with_suffix(".png")
    subprocess.run([GHOSTSCRIPT, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pnggray", "-r200",
                    f"-sOutputFile={png}", str(pdf)], check=True, timeout=60)
    return zbar(png)


# ---------------------------------------------------------------------------- what is shown
@pytest.mark.parametrize("stem", STEMS)
def test_every_display_field_of_each_credential_is_on_the_page(page, env, stem):
    doc = show(page, env, stem)
    subject = doc["credentialSubject"]
    a = subject["achievement"]
    names = [i["identityHash"] for i in subject.get("identifier", []) if i["identityType"] == "name" and not i["hashed"]]
    if names:
        assert field(page, "recipient") == names[0] and names[0] in page.inner_text("#credential")
    if "id" in subject:
        assert field(page, "subject-id") == subject["id"]
    if "description" in doc:
        assert field(page, "credential-description") == doc["description"]
    if any(i["identityType"] == "emailAddress" for i in subject.get("identifier", [])):
        assert "Check the candidate's e-mail" in page.inner_text("#recipient")
    assert field(page, "achievement-name") == a["name"]
    assert field(page, "achievement-description") == a["description"]
    criteria = a["criteria"]
    if "narrative" in criteria:  # Markdown is shown as it is written, as text
        assert page.eval_on_selector('[data-field="criteria-narrative"]', "e => e.textContent") == criteria["narrative"]
    if "id" in criteria:
        assert page.get_attribute('[data-field="criteria-id"] a', "href") == criteria["id"]
    for key, name in [("achievementType", "achievement-type"), ("humanCode", "human-code"), ("fieldOfStudy", "field-of-study")]:
        if key in a:
            assert field(page, name) == a[key]
    if "creditsAvailable" in a:
        assert field(page, "credits") == str(a["creditsAvailable"])
    if "tag" in a:
        assert page.eval_on_selector_all('[data-field="tags"] .tag', "es => es.map(e => e.textContent)") == a["tag"]
    for al in a.get("alignment", []):
        item = page.locator(f'#alignments li[data-alignment="{al["targetName"]}"]').inner_text()
        assert all(al[k] in item for k in ("targetFramework", "targetCode", "targetDescription") if k in al), item
        assert page.get_attribute(f'#alignments li[data-alignment="{al["targetName"]}"] a', "href") == al["targetUrl"]
    descriptions = {d["id"]: d for d in a.get("resultDescription", [])}
    for result in subject.get("result", []):
        desc = descriptions[result["resultDescription"]]
        item = page.locator(f'#results li[data-result="{desc["name"]}"]').inner_text()
        if "value" in result:
            assert result["value"] in item and f'{desc["valueMin"]}–{desc["valueMax"]}' in item
        if "achievedLevel" in result:
            level = next(lv["name"] for lv in desc["rubricCriterionLevel"] if lv["id"] == result["achievedLevel"])
            assert level in item
    for ev in doc.get("evidence", []):
        item = page.locator(f'#evidence li[data-evidence="{ev["name"]}"]')
        for key in ("description", "narrative"):
            assert ev[key] in item.inner_text()
        assert item.locator("a").get_attribute("href") == ev["id"]
    assert field(page, "issuer-name") == ISSUER_NAME and field(page, "issuer-did") == ISSUER_DID
    assert "accredited" in page.inner_text("#issuer-profile")
    assert field(page, "valid-from") in page.inner_text("#validity-text")
    if "validUntil" in doc:
        assert field(page, "valid-until") in page.inner_text("#validity-text")
    else:
        assert field(page, "valid-until") == "no end date"
    for check in page.eval_on_selector_all("li[data-check]", "es => es.map(e => [e.dataset.check, e.querySelector('.why').textContent])"):
        assert CHECK_WORDS[check[0]] in check[1], check  # every check says what it means
    # a valid one can be shared and printed; a revoked one is shown, but not offered as a certificate
    assert (page.query_selector("#print") is not None) == (stem != env.revoked)
    page.screenshot(path=f"/tmp/page-display-{stem}.png", full_page=True)
    print(f"screenshot /tmp/page-display-{stem}.png")


def test_the_validity_wording_says_expired_and_not_yet_valid(page, env):
    show(page, env, "intro-to-sql")
    wording = page.evaluate("""() => { const view = (d) => { const v = credentialView({status: 'valid', checks: []}, d);
                                          return v.details.find((c) => c.id === 'validity').querySelector('#validity-text').textContent; };
                                        return [view({validFrom: '2020-01-01T00:00:00Z', validUntil: '2021-01-01T00:00:00Z'}),
                                                view({validFrom: '2999-01-01T00:00:00Z'})]; }""")
    assert wording[0].startswith("Expired: it was valid from 1 January 2020 until 1 January 2021")
    assert wording[1].startswith("Not yet valid: it becomes valid on 1 January 2999")


def test_the_email_box_says_match_for_the_right_address_only_checked_in_the_browser(page, env):
    doc = show(page, env, FULL)
    ident = doc["credentialSubject"]["identifier"][0]
    assert ident["identityHash"] == identity_hash(FULL_EMAIL, ident["salt"])  # what the page must recompute
    env.recorder.seen.clear()
    for typed, match in [(f"  {FULL_EMAIL.upper()} ", "true"), ("ada.other@example.org", "false"), (FULL_EMAIL, "true")]:
        page.fill("#email-check-0", typed)
        page.click("#email-check-button-0")
        page.wait_for_selector(f'#email-result-0[data-match="{match}"]')
        answer = page.inner_text("#email-result-0")
        assert answer.startswith("✓ Match" if match == "true" else "✗ No match"), answer
    assert env.recorder.seen == [], "the address was sent somewhere"


def test_an_https_image_is_a_link_never_fetched_and_a_data_image_is_shown(context, page, env):
    doc = show(page, env, FULL)
    url = doc["credentialSubject"]["achievement"]["image"]["id"]
    assert page.get_attribute("#achievement-image-link a", "href") == url
    assert page.query_selector("#achievement img") is None
    show(page, env, WITH_IMAGE)
    image = page.locator("#achievement-image")
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert page.evaluate("document.getElementById('achievement-image').naturalWidth") == 2  # drawn: the CSP allows data:
    assert not [u for u in context.requests if "learn.example.org" in u], context.requests
    assert all(s.path != urlsplit(url).path for s in env.recorder.seen)


# ---------------------------------------------------------------------------- QR code and LinkedIn
@pytest.mark.skipif(ZBARIMG is None, reason="zbarimg (Debian's zbar-tools) is not installed")
def test_the_qr_code_decodes_to_the_link(page, env):
    doc = show(page, env, FULL)
    fragment = page.input_value("#share-extras-link")
    assert fragment.startswith(env.url + "/#c=")
    fits = page.get_attribute("#qr", "data-qr-version")
    print(f"fragment link: {len(fragment)} characters, QR version {fits}")
    if fits is None:  # kilobytes: no QR code holds it, and the page says so
        assert f"{len(fragment)} characters long, too long for a QR code" in page.inner_text("#share-extras")
    else:
        assert decode_qr(page, "#qr svg", Path("/tmp/page-display-qr-fragment.png")) == [fragment]
    link = short_link(env)
    shown = share(page, link, doc)
    version = int(page.get_attribute("#qr", "data-qr-version"))
    assert shown == {"version": version, "length": len(link)}
    print(f"short link: {len(link)} characters, QR version {version}")
    assert decode_qr(page, "#qr svg", Path("/tmp/page-display-qr.png")) == [link]
    print("screenshot /tmp/page-display-qr.png")
    longer = fragment[:1200]  # a link of a size in between still makes a code that reads back
    share(page, longer, doc)
    version = int(page.get_attribute("#qr", "data-qr-version"))
    print(f"a {len(longer)}-character link: QR version {version}")
    assert decode_qr(page, "#qr svg", Path("/tmp/page-display-qr-long.png")) == [longer]


@pytest.mark.parametrize("stem", [FULL, "intro-to-sql"])
def test_the_linkedin_link_carries_the_credentials_fields(page, env, stem):
    doc = show(page, env, stem)
    link = short_link(env)
    share(page, link, doc)
    href = page.get_attribute("#linkedin", "href")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    expected = {"startTask": "CERTIFICATION_NAME", "name": doc["credentialSubject"]["achievement"]["name"],
                "organizationName": ISSUER_NAME, "issueYear": doc["validFrom"][:4],
                "issueMonth": str(int(doc["validFrom"][5:7])), "certUrl": link, "certId": doc["id"]}
    if "validUntil" in doc:
        expected |= {"expirationYear": doc["validUntil"][:4], "expirationMonth": str(int(doc["validUntil"][5:7]))}
    assert {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()} == expected
    assert all(len(v) == 1 for v in parse_qs(parts.query).values())


# ---------------------------------------------------------------------------- the printed certificate
def test_the_certificate_prints_on_one_page_of_a4_and_letter_with_its_qr_code(page, env):
    doc = show(page, env, FULL)
    page.evaluate("() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; }")
    page.click("#print")
    assert page.evaluate("window.__printed") == 1
    assert not page.is_visible("#certificate")  # on screen it is not shown
    link = short_link(env)
    share(page, link, doc)
    page.emulate_media(media="print")
    assert page.is_visible("#certificate") and page.is_visible("#cert-qr svg")
    for hidden in ("#drop", "#json", "#stack", "#status", "li[data-check]", "#share-extras"):
        assert not page.is_visible(hidden), hidden
    text = page.inner_text("#certificate")
    achievement = doc["credentialSubject"]["achievement"]
    for part in (achievement["name"], ISSUER_NAME, ISSUER_DID, "27 June 2025", "27 June 2028", link,
                 f"Verify at {env.url}: open the link or scan the code"):
        assert part in text, part
    assert "e-mail address" in text  # a hashed identity: the certificate names no one it cannot
    version = page.get_attribute("#cert-qr", "data-qr-version")
    page.screenshot(path="/tmp/page-display-certificate.png", full_page=True)
    for size in ("A4", "Letter"):
        pdf = page.pdf(format=size, print_background=True)
        out = Path(f"/tmp/certificate-{size.lower()}.pdf")
        out.write_bytes(pdf)
        assert pdf_pages(pdf) == 1, (size, pdf_pages(pdf))
        if ZBARIMG and GHOSTSCRIPT:  # the printed page shows a QR code that reads as the link
            assert qr_in_pdf(out) == [link], size
        print(f"{out}: {len(pdf)} bytes, 1 page, QR version {version}"
              f"{', decoded by zbarimg from its Ghostscript rendering' if ZBARIMG and GHOSTSCRIPT else ''}")
    print("screenshot /tmp/page-display-certificate.png")


def test_a_certificate_with_a_long_fragment_link_still_fits_one_page(page, env):
    show(page, env, "intro-to-sql")  # the page's own link: the credential in the fragment, kilobytes
    page.emulate_media(media="print")
    assert "Kofi Mock" in page.inner_text("#certificate")
    for size in ("A4", "Letter"):
        assert pdf_pages(page.pdf(format=size)) == 1, size


# ---------------------------------------------------------------------------- `credreg certificate`
def _certificate(env: World, tmp_path: Path, stem: str, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / f"{stem}.pdf"
    run_env = {**os.environ, "CREDREG_RPC_URL": env.rpc_url, "CREDREG_REGISTRY": env.registry,
               "CREDREG_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "registry.cli", "certificate", str(env.files[stem]), "-o", str(out),
                           "--verifier", env.url, "--json", *extra], env=run_env, capture_output=True, text=True,
                          timeout=180)
    return done, out


@pytest.mark.parametrize("paper, size", [("a4", b"594.96 841.92"), ("letter", b"612 792")])
def test_credreg_certificate_prints_one_page_whose_qr_code_opens_its_short_link(env, tmp_path, paper, size):
    env.recorder.seen.clear()
    done, out = _certificate(env, tmp_path, "intro-to-sql", "--paper", paper)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    pdf = out.read_bytes()
    assert pdf_pages(pdf) == 1 and answer["pages"] == 1 and answer["bytes"] == len(pdf)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and abs(float(box.group(1)) - float(size.split()[0])) < 1 and abs(float(box.group(2)) - float(size.split()[1])) < 1
    link = answer["link"]
    assert re.fullmatch(re.escape(env.url) + r"/s/[A-Za-z0-9_-]{12}#[A-Za-z0-9_-]{43}", link)
    key = link.split("#", 1)[1]
    assert not any(key in (s.raw_path + s.query) or key.encode() in s.body for s in env.recorder.seen)
    if ZBARIMG and GHOSTSCRIPT:
        assert qr_in_pdf(out) == [link]  # the printed QR code is the short link, query-free
    print(f"CERTIFICATE {out} ({len(pdf):,} bytes, {paper})")


def test_no_certificate_for_a_credential_that_is_not_valid(env, tmp_path):
    done, out = _certificate(env, tmp_path, env.revoked)
    assert done.returncode == 1 and json.loads(done.stdout)["status"] == "revoked"
    assert not out.exists()


# ---------------------------------------------------------------------------- baked badges on the page
def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", len(body), kind) + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


_TINY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>\n'


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_baked_badge_dropped_on_the_page_is_read_out_and_shown_verified(page, env, tmp_path, kind):
    """bake -> the page: the verifier reads the credential out of the image (POST /v1/unbake),
    and the page checks and shows it as it does a JSON file."""
    from registry.sharing import baking

    stem = "intro-to-sql"
    text = env.files[stem].read_bytes()
    _, baked = baking.bake(_tiny_png() if kind == "png" else _TINY_SVG, text)
    badge = tmp_path / f"badge.{kind}"
    badge.write_bytes(baked)
    page.goto(env.url + "/")
    page.set_input_files("#file", str(badge))
    assert wait_verdict(page) == "valid"
    assert page.inner_text("#unbaked") == f"Read out of the badge image badge.{kind}."
    assert json.loads(page.input_value("#json")) == json.loads(text)
    assert env.credential(stem)["credentialSubject"]["achievement"]["name"] in page.inner_text("#result")
    page.screenshot(path=f"/tmp/page-display-baked-{kind}.png", full_page=True)


def test_a_hostile_badge_dropped_on_the_page_gets_a_clear_message(page, env, tmp_path):
    from registry.sharing import baking

    _, once = baking.bake(_tiny_png(), env.files["intro-to-sql"].read_bytes())
    iend = once.rindex(b"IEND") - 4
    start = once.index(b"iTXt") - 4
    length = int.from_bytes(once[start:start + 4], "big")
    chunk = once[start:start + 12 + length]
    twice = once[:iend] + chunk + once[iend:]  # two credential chunks: which one is the badge's?
    badge = tmp_path / "twice.png"
    badge.write_bytes(twice)
    page.goto(env.url + "/")
    page.set_input_files("#file", str(badge))
    page.wait_for_function("document.querySelector('#error').textContent.length > 0")
    message = page.inner_text("#error")
    assert message == ("No credential could be read from this badge image: the image: 2 openbadgecredential "
                       "chunks; a baked PNG holds exactly one"), message
    assert not page.query_selector("#status[data-status]")
