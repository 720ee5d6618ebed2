"""Baked badges (registry/sharing/baking.py): PNG and SVG round trips, and every hostile image refused
with a message naming what is wrong, before anything reaches the JSON parser unbounded."""

from __future__ import annotations

import json
import struct
import tracemalloc
import zlib

import pytest

from registry.credentials import parse_json_with_plainness
from registry.errors import BadInput
from registry.sharing import baking

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                         "name": "Données ]]> <b>&amp;</b>", "n": [[1]]},
                        separators=(",", ":"), ensure_ascii=False).encode()
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" '
       b'data-x="a>b"><circle cx="5" cy="5" r="4"/></svg>\n')


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), ctype) + body + struct.pack(">I", zlib.crc32(ctype + body))


def _png(*extra: bytes) -> bytes:
    """A 2x1 greyscale PNG, with ``extra`` chunks before IDAT."""
    ihdr = struct.pack(">IIBBBBB", 2, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + b"".join(extra)
            + _chunk(b"IDAT", zlib.compress(b"\x00\x10\x20")) + _chunk(b"IEND", b""))


def _itxt(text: bytes, keyword: bytes = b"openbadgecredential", compressed: bool = False) -> bytes:
    return _chunk(b"iTXt", keyword + b"\0" + (b"\1\0" if compressed else b"\0\0") + b"\0\0" + text)


def _pixels(png: bytes) -> bytes:
    """The image's decoded scanlines: a baked PNG must still be the same picture."""
    at, idat = 8, b""
    while True:
        length, ctype = struct.unpack_from(">I4s", png, at)
        body = png[at + 8:at + 8 + length]
        assert struct.unpack_from(">I", png, at + 8 + length)[0] == zlib.crc32(ctype + body)
        idat += body if ctype == b"IDAT" else b""
        at += 12 + length
        if ctype == b"IEND":
            assert at == len(png)
            return zlib.decompress(idat)


def test_png_round_trip_gives_back_the_exact_json_text_and_the_same_picture():
    baked = baking.bake_png(_png(), CREDENTIAL)
    assert baking.unbake(baked) == baking.Unbaked("png", CREDENTIAL)
    assert _pixels(baked) == _pixels(_png()) == b"\x00\x10\x20"
    # One uncompressed iTXt chunk, keyword openbadgecredential, last before IEND.
    assert baked.endswith(_itxt(CREDENTIAL) + _chunk(b"IEND", b""))
    value, _ = parse_json_with_plainness(baking.unbake_png(baked), "badge.png")
    assert value["name"] == "Données ]]> <b>&amp;</b>"


def test_rebaking_a_png_replaces_its_credential():
    again = baking.bake_png(baking.bake_png(_png(), b'{"old":1}'), CREDENTIAL)
    assert again.count(b"openbadgecredential") == 1
    assert baking.unbake_png(again) == CREDENTIAL


def test_svg_round_trip_gives_back_the_exact_json_text():
    baked = baking.bake_svg(SVG, CREDENTIAL)
    assert baking.unbake(baked) == baking.Unbaked("svg", CREDENTIAL)
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    # Right after the root's start tag (whose quoted ">" is not its end), the rest untouched.
    assert b'data-x="a>b" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA[' in baked
    assert baked.endswith(b'<circle cx="5" cy="5" r="4"/></svg>\n')


def test_rebaking_an_svg_replaces_its_credential_and_declares_the_prefix_once():
    again = baking.bake_svg(baking.bake_svg(SVG, b'{"old":1}'), CREDENTIAL)
    assert again.count(b"<openbadges:credential>") == 1
    assert again.count(b"xmlns:openbadges=") == 1
    assert baking.unbake_svg(again) == CREDENTIAL


def test_an_empty_svg_root_is_opened_to_hold_the_credential():
    baked = baking.bake_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>', CREDENTIAL)
    assert baked.endswith(b"</openbadges:credential></svg>")
    assert baking.unbake_svg(baked) == CREDENTIAL


def test_an_svg_baked_by_another_tool_with_whitespace_around_the_json_is_read():
    other = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">\n'
             b"  <openbadges:credential>\n    <![CDATA[\n" + b'{"a":"<b>"}' + b"\n    ]]>\n  </openbadges:credential>\n</svg>")
    assert baking.unbake_svg(other) == b'{"a":"<b>"}'


def test_a_compressed_chunk_within_the_limit_is_read():
    assert baking.unbake_png(_png(_itxt(zlib.compress(CREDENTIAL), compressed=True))) == CREDENTIAL


def _refused(data: bytes, *words: str) -> str:
    with pytest.raises(BadInput) as exc:
        baking.unbake(data, "badge")
    message = str(exc.value)
    assert message.startswith("badge: ") and all(w in message for w in words), message
    return message


def test_neither_png_nor_svg_is_refused():
    _refused(b"GIF89a....", "not a PNG or SVG")


def test_png_with_a_bad_crc_is_refused():
    baked = bytearray(baking.bake_png(_png(), CREDENTIAL))
    baked[baked.index(b"Donn")] ^= 1  # the credential edited, the CRC not
    _refused(bytes(baked), "bad CRC", "iTXt")


def test_png_with_two_credential_chunks_is_refused():
    _refused(_png(_itxt(CREDENTIAL), _itxt(CREDENTIAL)), "2 openbadgecredential chunks")
    with pytest.raises(BadInput, match="exactly one"):
        baking.bake_png(_png(_itxt(CREDENTIAL), _itxt(CREDENTIAL)), CREDENTIAL)


def test_png_truncated_or_without_credential_is_refused():
    _refused(_png()[:-12], "truncated")
    _refused(_png(), "without a baked credential")
    _refused(_png()[:20] + b"\xff\xff\xff\xff", "past the end")
    _refused(_png(_itxt(b"{}", keyword=b"openbadges")), "Open Badges 2.0")


def test_credential_chunk_over_the_limit_is_refused():
    _refused(_png(_itxt(b" " * (baking.MAX_CREDENTIAL_BYTES + 1))), "over the 1,048,576-byte limit")
    with pytest.raises(BadInput, match="credential of 1,048,577 bytes"):
        baking.bake_png(_png(), b" " * (baking.MAX_CREDENTIAL_BYTES + 1))


def test_image_over_the_limit_is_refused():
    _refused(_png() + b"\0" * baking.MAX_IMAGE_BYTES, "over the 8,388,608-byte limit")


def test_decompression_bomb_fails_fast_with_bounded_memory():
    # 200 MB of zeros in about 200 KB: it would inflate to 200 MB if read whole.
    squeezer = zlib.compressobj(9)
    bomb = b"".join(squeezer.compress(b"\0" * (1 << 20)) for _ in range(200)) + squeezer.flush()
    assert len(bomb) < 1 << 20
    png = _png(_itxt(bomb, compressed=True))
    tracemalloc.start()
    try:
        _refused(png, "inflates to over 1,048,576 bytes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_credential_in_a_jwt_is_named():
    _refused(_png(_itxt(b"eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2ln")), "VC-JWT")


@pytest.mark.parametrize("svg, words", [
    (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"/>', ["DOCTYPE"]),
    (b'<?xml version="1.0"?><!DOCTYPE svg SYSTEM "http://evil.example/x.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>',
     ["DOCTYPE"]),
    (b'<svg xmlns="http://www.w3.org/2000/svg">&xxe;</svg>', ["not a well-formed SVG", "undefined entity"]),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', ["<script>"]),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', ["event-handler"]),
    (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', ["root element is <html>"]),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><g>', ["not a well-formed SVG"]),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', ["without a baked credential"]),
])
def test_hostile_or_empty_svg_is_refused(svg, words):
    _refused(svg, *words)


def test_svg_in_utf_16_is_refused():
    with pytest.raises(BadInput, match="SVG must be UTF-8"):
        baking.unbake_svg("<svg xmlns='http://www.w3.org/2000/svg'/>".encode("utf-16"))


def test_svg_with_two_credential_elements_is_refused():
    once = baking.bake_svg(SVG, CREDENTIAL)
    element = once[once.index(b"<openbadges:credential>"):once.index(b"</openbadges:credential>") + 24]
    twice = once.replace(element, element + element)
    _refused(twice, "2 <openbadges:credential> elements")


def test_svg_credential_over_the_limit_is_refused():
    big = baking.bake_svg(SVG, b"1" * baking.MAX_CREDENTIAL_BYTES).replace(b"]]>", b"1]]>", 1)
    _refused(big, "over the 1,048,576-byte limit")


def test_svg_whose_openbadges_prefix_means_something_else_is_refused():
    _refused(b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://example.org/other">'
             b"<openbadges:credential>{}</openbadges:credential></svg>", "binds the prefix openbadges")


# --- the achievement's image as a data: URI (registry/sharing/images.py) -------------------------

def test_a_data_uri_image_round_trips_and_other_uris_are_not_baked():
    from registry.sharing import images

    assert images.image_of_data_uri(images.data_uri(_png(), "png"), "x") == ("png", _png())
    assert images.image_of_data_uri("data:image/svg+xml;utf8,%3Csvg%20xmlns='http://www.w3.org/2000/svg'/%3E",
                                    "x") == ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert images.image_of_data_uri("https://example.org/badge.png", "x") is None
    assert images.image_of_data_uri("data:image/gif;base64,R0lGOD", "x") is None
    with pytest.raises(BadInput, match="not valid base64"):
        images.image_of_data_uri("data:image/png;base64,!!", "x")
    with pytest.raises(BadInput, match="says image/png but does not hold one"):
        images.image_of_data_uri("data:image/png;base64,e30=", "x")


def test_badge_for_bakes_a_credential_file_whose_achievement_image_is_a_data_uri():
    from registry.sharing import images

    doc = {"credentialSubject": {"achievement": {"image": {"id": images.data_uri(_png(), "png"), "type": "Image"}}}}
    text = json.dumps(doc, separators=(",", ":")) + "\n"
    kind, badge = images.badge_for(text)
    assert kind == "png" and baking.unbake_png(badge) == text.strip().encode()
    assert images.badge_for('{"credentialSubject":{"achievement":{"image":"https://example.org/b.png"}}}') is None
    with pytest.raises(BadInput, match="over the 262,144-byte limit"):
        images.checked_image(_png() + b"\0" * images.MAX_EMBEDDED_IMAGE_BYTES, "big.png")
