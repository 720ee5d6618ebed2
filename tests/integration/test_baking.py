"""Baked badges end to end, against a real anvil node: `credreg issue --image` and an achievement
with a data: URI image, `credreg anchor --bake` writing a badge beside each credential file,
`credreg bake`, and the badges verified by `credreg verify` and by POST /v1/verify."""

from __future__ import annotations

import base64
import json
import struct
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from verifier_helpers import (  # noqa: E402
    EXAMPLES,
    build_world,
    cli_ok,
    credreg,
    running_service,
    synced,
)

from registry.anchoring import credential_file_name  # noqa: E402
from registry.sharing import baking  # noqa: E402

ROSTER = "name,email,id,validFrom,validUntil\nAda Example,ada@example.org,,2025-06-27T09:00:00Z,\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), ctype) + body + struct.pack(">I", zlib.crc32(ctype + body))


PNG = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + _chunk(b"IDAT", zlib.compress(b"\x00\x80")) + _chunk(b"IEND", b""))


class Baked:
    def __init__(self, world, png: Path, svg: Path, png_json: Path, svg_json: Path):
        self.world, self.png, self.svg, self.png_json, self.svg_json = world, png, svg, png_json, svg_json


@pytest.fixture(scope="module")
def baked(anvil, tmp_path_factory) -> Baked:
    """Two roster credentials, one with a PNG image (--image), one whose achievement document has an
    SVG data: URI, issued and anchored with --bake."""
    root = tmp_path_factory.mktemp("baking")
    world = build_world(anvil.url, root / "home", full=False)
    (root / "roster.csv").write_text(ROSTER)
    (root / "badge.png").write_bytes(PNG)
    achievement = json.loads((EXAMPLES.parent / "achievement.json").read_text())
    png_issue = cli_ok(world.env(), "issue", "--roster", str(root / "roster.csv"),
                       "--achievement", str(EXAMPLES.parent / "achievement.json"), "--image", str(root / "badge.png"))
    achievement["image"] = {"id": "data:image/svg+xml;base64," + base64.b64encode(SVG).decode(), "type": "Image"}
    (root / "achievement-svg.json").write_text(json.dumps(achievement))
    svg_issue = cli_ok(world.env(), "issue", "--roster", str(root / "roster.csv"),
                       "--achievement", str(root / "achievement-svg.json"))
    report = cli_ok(world.env(), "anchor", "--bake")
    assert [b["state"] for b in report["batches"]] == ["written"], report
    issued = world.home / "issued"
    png_json = issued / credential_file_name(png_issue["credentials"][0]["id"])
    svg_json = issued / credential_file_name(svg_issue["credentials"][0]["id"])
    return Baked(world, png_json.with_suffix(".png"), svg_json.with_suffix(".svg"), png_json, svg_json)


def _env(world) -> dict[str, str]:
    return {"CREDREG_RPC_URL": world.url, "CREDREG_HOME": str(world.home), "CREDREG_REGISTRY": world.registry.address}


def test_anchor_bake_writes_a_badge_beside_each_credential_holding_its_file_text(baked):
    assert baking.unbake(baked.png.read_bytes()) == ("png", baked.png_json.read_bytes().strip())
    assert baking.unbake(baked.svg.read_bytes()) == ("svg", baked.svg_json.read_bytes().strip())
    # The credential from the first world (no image) got no badge.
    issued = sorted(p.suffix for p in (baked.world.home / "issued").iterdir())
    assert issued.count(".png") == 1 and issued.count(".svg") == 1
    image = json.loads(baked.png_json.read_text())["credentialSubject"]["achievement"]["image"]
    assert image == {"id": "data:image/png;base64," + base64.b64encode(PNG).decode(), "type": "Image"}


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_cli_verify_of_a_baked_badge_is_valid_and_says_it_was_unbaked(baked, kind):
    path = getattr(baked, kind)
    code, out, err = credreg(_env(baked.world), "verify", str(path))
    assert code == 0, err
    assert out.startswith(f"unbaked from {path} ({kind.upper()} badge)\nVALID")
    code, out, _ = credreg(_env(baked.world), "verify", str(path), "--json")
    verdict = json.loads(out)
    assert (code, verdict["status"], verdict["unbakedFrom"]) == (0, "valid", str(path))


def test_cli_inspect_of_a_baked_badge_shows_the_credential_inside(baked):
    code, out, err = credreg(_env(baked.world), "inspect", str(baked.svg))
    assert code == 0 and out.startswith(f"unbaked from {baked.svg} (SVG badge)\ncredential urn:uuid:"), err
    data = json.loads(credreg(_env(baked.world), "inspect", str(baked.svg), "--json")[1])
    assert data["unbakedFrom"] == str(baked.svg) and data["proofFormat"] == 2


def _tampered(image: bytes) -> bytes:
    doc = json.loads(baking.unbake(image).text)
    doc["credentialSubject"]["achievement"]["name"] = "Rocket Science – Level 9"
    return baking.bake(image, json.dumps(doc).encode())[1]


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_tampered_baked_credential_is_invalid(baked, kind, tmp_path):
    path = tmp_path / f"tampered.{kind}"
    path.write_bytes(_tampered(getattr(baked, kind).read_bytes()))
    code, out, _ = credreg(_env(baked.world), "verify", str(path), "--json")
    assert (code, json.loads(out)["status"]) == (1, "invalid")


def test_cli_verify_of_a_hostile_image_exits_2_naming_the_fault(baked, tmp_path):
    path = tmp_path / "two.png"
    image = baked.png.read_bytes()
    itxt_at = image.index(b"iTXt") - 4
    path.write_bytes(image[:-12] + image[itxt_at:-12] + image[-12:])  # the credential chunk twice
    code, _, err = credreg(_env(baked.world), "verify", str(path))
    assert code == 2 and "2 openbadgecredential chunks" in err, err
    svg = tmp_path / "evil.svg"
    svg.write_bytes(b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>')
    code, _, err = credreg(_env(baked.world), "verify", str(svg))
    assert code == 2 and "DOCTYPE" in err, err


def test_credreg_bake_writes_a_badge_that_verifies_and_never_overwrites_without_force(baked, tmp_path):
    credential = tmp_path / "ada.json"
    credential.write_text(json.dumps(json.loads(baked.png_json.read_text()), indent=2))  # pretty: baked compact
    (tmp_path / "plain.svg").write_bytes(SVG)
    out = cli_ok(_env(baked.world), "bake", str(credential), str(tmp_path / "plain.svg"))
    assert out["baked"] == str(tmp_path / "ada.svg") and out["kind"] == "svg"
    text = baking.unbake((tmp_path / "ada.svg").read_bytes()).text
    assert json.loads(text) == json.loads(credential.read_text()) and b"\n" not in text
    code, _, err = credreg(_env(baked.world), "bake", str(credential), str(tmp_path / "plain.svg"))
    assert code == 2 and "exists already" in err and "--force" in err
    assert cli_ok(_env(baked.world), "bake", str(credential), str(tmp_path / "plain.svg"), "--force")["kind"] == "svg"
    code, _, _ = credreg(_env(baked.world), "verify", str(tmp_path / "ada.svg"))
    assert code == 0
    code, _, err = credreg(_env(baked.world), "bake", str(credential), str(credential))
    assert code == 2 and "not a PNG or SVG" in err


def test_issue_refuses_an_image_that_cannot_be_baked_before_queueing(baked, tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "bad.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>')
    code, _, err = credreg(baked.world.env(), "issue", "--roster", str(tmp_path / "roster.csv"),
                           "--achievement", str(EXAMPLES.parent / "achievement.json"), "--image", str(tmp_path / "bad.svg"))
    assert code == 2 and "<script>" in err, err
    code, _, err = credreg(baked.world.env(), "issue", str(baked.png_json), "--image", str(tmp_path / "bad.svg"))
    assert code == 2 and "--image goes with --roster" in err, err


@pytest.fixture(scope="module")
def service(baked, tmp_path_factory):
    with running_service(baked.world, tmp_path_factory.mktemp("service")) as client:
        synced(client, baked.world)
        yield client


@pytest.mark.parametrize("kind, mime", [("png", "image/png"), ("svg", "image/svg+xml")])
def test_post_verify_reads_a_baked_badge_by_its_content_type(baked, service, kind, mime):
    image = getattr(baked, kind).read_bytes()
    answer = service.post("/v1/verify", content=image, headers={"content-type": mime})
    assert answer.status_code == 200 and answer.json()["status"] == "valid", answer.text
    answer = service.post("/v1/verify", content=_tampered(image), headers={"content-type": mime})
    assert answer.status_code == 200 and answer.json()["status"] == "invalid"


@pytest.mark.parametrize("body, mime, named", [
    (b'{"a": 1}', "image/png", "not a PNG image"),
    (PNG, "image/svg+xml", "not an SVG image"),
    (PNG, "image/png", "without a baked credential"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "image/svg+xml", "event-handler"),
    (b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml; charset=utf-8",
     "DOCTYPE"),
    (baking.bake_png(PNG, b"[1, 2]"), "image/png", "must be a JSON object"),
    (baking.bake_png(PNG, b"{nope"), "image/png", "invalid JSON"),
])
def test_post_verify_refuses_a_bad_or_hostile_image_with_422_naming_why(service, body, mime, named):
    answer = service.post("/v1/verify", content=body, headers={"content-type": mime})
    assert answer.status_code == 422 and named in answer.text, answer.text


def test_post_verify_of_json_under_any_other_content_type_is_unchanged(baked, service):
    for mime in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        answer = service.post("/v1/verify", content=baked.png_json.read_bytes(), headers={"content-type": mime})
        assert answer.status_code == 200 and answer.json()["status"] == "valid", mime


@pytest.mark.parametrize("kind, mime", [("png", "image/png"), ("svg", "image/svg+xml")])
def test_post_unbake_gives_the_page_the_credential_inside_a_badge(baked, service, kind, mime):
    answer = service.post("/v1/unbake", content=getattr(baked, kind).read_bytes(), headers={"content-type": mime})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == json.loads(baking.unbake(getattr(baked, kind).read_bytes()).text)


@pytest.mark.parametrize("body, mime, status, named", [
    (b'{"a": 1}', "application/json", 415, "Content-Type image/png or image/svg+xml"),
    (PNG, "image/png", 422, "without a baked credential"),
    (b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", 422, "DOCTYPE"),
    (baking.bake_png(PNG, b"[1, 2]"), "image/png", 422, "holds no JSON object"),
])
def test_post_unbake_refuses_what_holds_no_credential_naming_why(service, body, mime, status, named):
    answer = service.post("/v1/unbake", content=body, headers={"content-type": mime})
    assert answer.status_code == status and named in answer.text, answer.text
