"""Baked badges (Open Badges 3.0, "Baked Badges"): a credential carried inside its badge image.

PNG: one uncompressed ``iTXt`` chunk with the keyword ``openbadgecredential`` before ``IEND``.
SVG: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root and one
``<openbadges:credential>`` element right after its start tag, the credential's JSON in CDATA.
Baking an image that holds a credential already replaces it.

Unbaking reads images from strangers, so everything is bounded before it is read: the image
(``MAX_IMAGE_BYTES``), the credential's text (``MAX_CREDENTIAL_BYTES``, also the cap on inflating
a compressed chunk, so a decompression bomb stops after that much output), every PNG chunk's CRC;
an SVG is parsed by expat with any DOCTYPE refused at the parser (no DTD, so no entity can be
declared, expanded or fetched) and no script. Each refusal is a BadInput naming what is wrong;
what comes out is the credential's JSON text, for the strict parser every credential goes through.
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple
from xml.parsers import expat

from registry.errors import BadInput

__all__ = ["MAX_CREDENTIAL_BYTES", "MAX_IMAGE_BYTES", "OB3_NAMESPACE", "PNG_KEYWORD", "Unbaked",
           "bake", "bake_png", "bake_svg", "image_kind", "unbake", "unbake_png", "unbake_svg"]

MAX_IMAGE_BYTES = 8 << 20
MAX_CREDENTIAL_BYTES = 1 << 20
PNG_KEYWORD = b"openbadgecredential"
OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_OB2_KEYWORD = b"openbadges"  # Open Badges 2.0's chunk: an assertion, not a 3.0 credential


class Unbaked(NamedTuple):
    kind: str  # "png" or "svg"
    text: bytes  # the credential's JSON text, as baked


def image_kind(data: bytes) -> str | None:
    """"png" or "svg" when ``data`` looks like one (PNG's signature; markup, which no JSON text
    starts with), else None: the caller reads it as JSON."""
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "svg"
    return None


def bake(image: bytes, credential: bytes, source: str = "image") -> tuple[str, bytes]:
    """(kind, the baked image) for a PNG or an SVG ``image``."""
    kind = image_kind(image)
    if kind == "png":
        return kind, bake_png(image, credential, source)
    if kind == "svg":
        return kind, bake_svg(image, credential, source)
    raise BadInput(f"{source}: not a PNG or SVG image")


def unbake(data: bytes, source: str = "image") -> Unbaked:
    """The credential baked into a PNG or SVG image; BadInput naming what is wrong otherwise."""
    kind = image_kind(data)
    if kind == "png":
        return Unbaked(kind, unbake_png(data, source))
    if kind == "svg":
        return Unbaked(kind, unbake_svg(data, source))
    raise BadInput(f"{source}: not a PNG or SVG image")


def _check_sizes(image: bytes, credential: bytes | None, source: str) -> None:
    if len(image) > MAX_IMAGE_BYTES:
        raise BadInput(f"{source}: image of {len(image):,} bytes is over the {MAX_IMAGE_BYTES:,}-byte limit")
    if credential is not None:
        if len(credential) > MAX_CREDENTIAL_BYTES:
            raise BadInput(f"{source}: credential of {len(credential):,} bytes is over the "
                           f"{MAX_CREDENTIAL_BYTES:,}-byte limit")
        try:
            credential.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{source}: the credential's text is not UTF-8") from None


# --- PNG -----------------------------------------------------------------------------------------

class _Chunk(NamedTuple):
    type: bytes
    data: bytes
    start: int  # offset of its length field
    end: int  # offset after its CRC


def _chunks(data: bytes, source: str) -> list[_Chunk]:
    """Every chunk of a PNG up to IEND, each CRC checked; BadInput for anything else."""
    if not data.startswith(_PNG_SIGNATURE):
        raise BadInput(f"{source}: not a PNG image (no PNG signature)")
    chunks: list[_Chunk] = []
    at = len(_PNG_SIGNATURE)
    while True:
        if at + 12 > len(data):
            raise BadInput(f"{source}: PNG truncated at byte {at:,} (no IEND chunk)")
        length, ctype = struct.unpack_from(">I4s", data, at)
        if length > 0x7FFFFFFF or at + 12 + length > len(data):
            raise BadInput(f"{source}: PNG chunk at byte {at:,} claims {length:,} bytes, past the end of the file")
        if not ctype.isalpha():
            raise BadInput(f"{source}: PNG chunk at byte {at:,} has a malformed type {ctype!r}")
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack_from(">I", data, at + 8 + length)
        if zlib.crc32(ctype + body) != crc:
            raise BadInput(f"{source}: PNG chunk {ctype.decode()} at byte {at:,} has a bad CRC (damaged or edited)")
        if not chunks and ctype != b"IHDR":
            raise BadInput(f"{source}: not a valid PNG (the first chunk is {ctype.decode()}, not IHDR)")
        chunks.append(_Chunk(ctype, body, at, at + 12 + length))
        at += 12 + length
        if ctype == b"IEND":
            return chunks


def _keyword(chunk: _Chunk) -> bytes | None:
    if chunk.type not in (b"iTXt", b"tEXt", b"zTXt"):
        return None
    return chunk.data.split(b"\0", 1)[0]


def _itxt_text(chunk: _Chunk, source: str) -> bytes:
    """The text of an ``openbadgecredential`` iTXt chunk; a compressed one is inflated up to
    MAX_CREDENTIAL_BYTES and refused beyond, without inflating the rest."""
    parts = chunk.data.partition(b"\0")[2]
    if len(parts) < 2:
        raise BadInput(f"{source}: malformed iTXt chunk {PNG_KEYWORD.decode()}")
    flag, method, rest = parts[0], parts[1], parts[2:]
    fields = rest.split(b"\0", 2)  # language tag, translated keyword, text
    if len(fields) != 3 or flag not in (0, 1):
        raise BadInput(f"{source}: malformed iTXt chunk {PNG_KEYWORD.decode()}")
    text = fields[2]
    if flag == 0:
        if len(text) > MAX_CREDENTIAL_BYTES:
            raise BadInput(f"{source}: the baked credential of {len(text):,} bytes is over the "
                           f"{MAX_CREDENTIAL_BYTES:,}-byte limit")
        return text
    if method != 0:
        raise BadInput(f"{source}: iTXt chunk {PNG_KEYWORD.decode()} uses unknown compression method {method}")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(text, MAX_CREDENTIAL_BYTES + 1)
    except zlib.error as exc:
        raise BadInput(f"{source}: compressed iTXt chunk {PNG_KEYWORD.decode()} does not inflate: {exc}") from None
    if len(out) > MAX_CREDENTIAL_BYTES or inflater.unconsumed_tail:
        raise BadInput(f"{source}: compressed iTXt chunk {PNG_KEYWORD.decode()} inflates to over "
                       f"{MAX_CREDENTIAL_BYTES:,} bytes (a decompression bomb?); refused")
    if not inflater.eof:
        raise BadInput(f"{source}: compressed iTXt chunk {PNG_KEYWORD.decode()} is truncated")
    return out


def _credential_chunks(chunks: list[_Chunk], source: str) -> list[_Chunk]:
    found = []
    for chunk in chunks:
        keyword = _keyword(chunk)
        if keyword == PNG_KEYWORD:
            if chunk.type != b"iTXt":
                raise BadInput(f"{source}: {PNG_KEYWORD.decode()} is in a {chunk.type.decode()} chunk; "
                               "Open Badges 3.0 puts it in an iTXt chunk")
            found.append(chunk)
    if len(found) > 1:
        raise BadInput(f"{source}: {len(found)} {PNG_KEYWORD.decode()} chunks; a baked PNG holds exactly one")
    return found


def unbake_png(data: bytes, source: str = "image") -> bytes:
    """The credential's JSON text from the PNG's ``openbadgecredential`` iTXt chunk."""
    _check_sizes(data, None, source)
    chunks = _chunks(data, source)
    found = _credential_chunks(chunks, source)
    if not found:
        if any(_keyword(c) == _OB2_KEYWORD for c in chunks):
            raise BadInput(f"{source}: holds an Open Badges 2.0 assertion (chunk {_OB2_KEYWORD.decode()}), "
                           "not an Open Badges 3.0 credential")
        raise BadInput(f"{source}: PNG without a baked credential (no iTXt chunk {PNG_KEYWORD.decode()})")
    return _json_text(_itxt_text(found[0], source), source)


def bake_png(image: bytes, credential: bytes, source: str = "image") -> bytes:
    """``image`` with ``credential`` in one uncompressed iTXt chunk before IEND (any credential
    chunk it held dropped)."""
    _check_sizes(image, credential, source)
    chunks = _chunks(image, source)
    _credential_chunks(chunks, source)  # two already: a hostile image, not one to re-bake
    body = PNG_KEYWORD + b"\0\0\0" + b"\0" + b"\0" + credential  # flag 0, method 0, no language, no translation
    itxt = struct.pack(">I4s", len(body), b"iTXt") + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    kept = b"".join(image[c.start:c.end] for c in chunks[:-1] if _keyword(c) != PNG_KEYWORD)
    return _PNG_SIGNATURE + kept + itxt + image[chunks[-1].start:chunks[-1].end]


# --- SVG -----------------------------------------------------------------------------------------

_CREDENTIAL = f"{OB3_NAMESPACE} credential"
_SVG_ROOT = "http://www.w3.org/2000/svg svg"


class _Svg(NamedTuple):
    root_start: int  # offset of the root's "<"
    root_tag_end: int  # offset after the root start tag's ">"
    root_empty: bool  # <svg .../>
    declares_prefix: bool  # the root binds openbadges to the OB 3.0 namespace already
    elements: tuple[tuple[int, int], ...]  # (start, end) offsets of each credential element
    texts: tuple[bytes, ...]  # each credential element's text


def _tag_end(data: bytes, at: int) -> int:
    """Offset after the ">" closing the tag that starts at ``at`` (a quoted ">" is not one)."""
    quote = 0
    for i in range(at, len(data)):
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in b"\"'":
            quote = c
        elif c == 0x3E:  # ">"
            return i + 1
    return len(data)


def _refuse(what: str):
    def handler(*_args: object) -> None:
        raise _Refused(what)
    return handler


class _Refused(Exception):
    pass


def _parse_svg(data: bytes, source: str) -> _Svg:
    """The SVG's structure, read by expat with DOCTYPE, entities and scripts refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput(f"{source}: SVG must be UTF-8 (this one is UTF-16)")
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
    # No DTD at all: entities can only be declared in one, so none can expand (billion laughs) or
    # point outside (XXE); the handlers refuse at the first token, before anything is resolved.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse("has a DOCTYPE (a DTD may declare entities); refused")
    parser.EntityDeclHandler = _refuse("declares an entity; refused")
    parser.UnparsedEntityDeclHandler = _refuse("declares an entity; refused")
    parser.ExternalEntityRefHandler = _refuse("refers to an external entity; refused")
    parser.ProcessingInstructionHandler = None
    depth = 0
    root: list[int] = []
    root_prefixes: dict[str, str] = {}
    pending: dict[str, str] = {}
    elements: list[tuple[int, int]] = []
    texts: list[bytes] = []
    open_credential: list[int] = []  # [start, depth] while inside a credential element
    text = bytearray()

    def on_namespace(prefix: str | None, uri: str) -> None:
        pending[prefix or ""] = uri

    def on_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        local = name.rsplit(" ", 1)[-1]
        if local.lower() == "script":
            raise _Refused("holds a <script> element; refused")
        if any(a.rsplit(" ", 1)[-1].lower().startswith("on") for a in attrs):
            raise _Refused(f"<{local}> has an event-handler (on…) attribute, which runs script; refused")
        start = parser.CurrentByteIndex
        if depth == 0:
            if name != _SVG_ROOT:
                raise _Refused(f"the root element is <{local}>, not an SVG <svg> (namespace http://www.w3.org/2000/svg)")
            root_prefixes.update(pending)
            root.extend((start, _tag_end(data, start)))
        pending.clear()
        depth += 1
        if name == _CREDENTIAL:
            if open_credential:
                raise _Refused("has an <openbadges:credential> inside another")
            open_credential.extend((start, depth))
            text.clear()
        elif open_credential:
            raise _Refused(f"<openbadges:credential> holds an element <{local}>; it holds only the credential's text")

    def on_end(name: str) -> None:
        nonlocal depth
        if open_credential and depth == open_credential[1]:
            start = open_credential[0]
            at = parser.CurrentByteIndex
            # An empty element <x/> reports its end where it starts.
            elements.append((start, _tag_end(data, at)))
            texts.append(bytes(text))
            open_credential.clear()
        depth -= 1

    def on_text(chunk: str) -> None:
        if open_credential:
            text.extend(chunk.encode("utf-8"))
            if len(text) > MAX_CREDENTIAL_BYTES:
                raise _Refused(f"the baked credential is over the {MAX_CREDENTIAL_BYTES:,}-byte limit")

    parser.StartNamespaceDeclHandler = on_namespace
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = on_text
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise BadInput(f"{source}: SVG {exc}") from None
    except expat.ExpatError as exc:
        raise BadInput(f"{source}: not a well-formed SVG (XML): {expat.ErrorString(exc.code)} at line "
                       f"{exc.lineno} column {exc.offset}") from None
    if len(elements) > 1:
        raise BadInput(f"{source}: SVG has {len(elements)} <openbadges:credential> elements; a baked SVG holds exactly one")
    prefix = root_prefixes.get("openbadges")
    if prefix is not None and prefix != OB3_NAMESPACE:
        raise BadInput(f"{source}: SVG binds the prefix openbadges to {prefix!r}, not {OB3_NAMESPACE}")
    root_start, root_end = root
    return _Svg(root_start, root_end, data[root_end - 2:root_end] == b"/>", prefix == OB3_NAMESPACE,
                tuple(elements), tuple(texts))


def unbake_svg(data: bytes, source: str = "image") -> bytes:
    """The credential's JSON text from the SVG's ``<openbadges:credential>`` element."""
    _check_sizes(data, None, source)
    svg = _parse_svg(data, source)
    if not svg.texts:
        if b"openbadges:assertion" in data:
            raise BadInput(f"{source}: holds an Open Badges 2.0 assertion, not an Open Badges 3.0 credential")
        raise BadInput(f"{source}: SVG without a baked credential (no <openbadges:credential> element in "
                       f"namespace {OB3_NAMESPACE})")
    return _json_text(svg.texts[0].strip(b" \t\r\n"), source)


def _json_text(text: bytes, source: str) -> bytes:
    # The spec also allows a VC-JWT (compact JWS) here; credreg's credentials are JSON.
    if text.startswith(b"ey") and text.count(b".") == 2 and b"{" not in text:
        raise BadInput(f"{source}: the baked credential is a VC-JWT (compact JWS); credreg reads JSON credentials")
    return text


def _cdata(text: bytes) -> bytes:
    # "]]>" would end the section: split it across two, which a parser joins back.
    return b"<![CDATA[" + text.replace(b"]]>", b"]]]]><![CDATA[>") + b"]]>"


def bake_svg(image: bytes, credential: bytes, source: str = "image") -> bytes:
    """``image`` with ``credential`` in one ``<openbadges:credential>`` right after the root's
    start tag (any credential element it held dropped)."""
    _check_sizes(image, credential, source)
    svg = _parse_svg(image, source)
    element = b"<openbadges:credential>" + _cdata(credential) + b"</openbadges:credential>"
    out = bytearray(image)
    for start, end in reversed(svg.elements):  # from the end, so earlier offsets hold
        del out[start:end]
    head = bytes(out[svg.root_start:svg.root_tag_end])
    head = head[:-2].rstrip() if svg.root_empty else head[:-1]  # the start tag without its ">" or "/>"
    if not svg.declares_prefix:
        head += b' xmlns:openbadges="' + OB3_NAMESPACE.encode() + b'"'
    closing = b"</svg>" if svg.root_empty else b""  # <svg .../> becomes <svg ...>credential</svg>
    out[svg.root_start:svg.root_tag_end] = head + b">" + element + closing
    return bytes(out)
