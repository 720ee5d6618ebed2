"""Request bodies in, answers out, for the routes that verify: a body read raw under a byte cap
and parsed strictly, and an answer written even when it quotes text that is not Unicode.

A body is refused over its byte limit before it is parsed (413), so a huge upload costs nothing;
one that has not arrived whole within ``body_timeout_seconds`` is refused with 408 and the
connection closed, so a client dribbling a body byte by byte (slow loris) holds a connection and a
buffer for that long at most; then it is parsed strictly (`credentials.parse_json_with_plainness`: no duplicate keys, no NaN).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, NamedTuple

from fastapi import HTTPException, Request, Response
from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError, to_json

from registry import credentials
from registry.errors import CredregError


class Body(NamedTuple):
    value: Any
    plain: bool  # plain JSON (see parse_json_with_plainness): hashing need not walk it
    unicode: bool  # no lone surrogate can be in its text, so pydantic can write what quotes it


async def read_json(request: Request, limit: int, malformed: int = 422) -> Body:
    """The body parsed as JSON, refusing more than ``limit`` bytes before reading them (413), and
    text that is not strict JSON with the status ``malformed``."""
    return parse_json(await read_bytes(request, limit), malformed)


async def read_bytes(request: Request, limit: int) -> bytes:
    """The body's bytes, refusing more than ``limit`` before reading them (413), and a body that
    takes longer than the app's ``body_timeout_seconds`` in all to arrive (408, connection closed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {int(declared):,} bytes is over the {limit:,}-byte limit")
    seconds = request.app.state.settings.body_timeout_seconds
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise HTTPException(413, f"body is over the {limit:,}-byte limit")
    except TimeoutError:
        # The rest of the body may still be on its way: the connection cannot be reused.
        raise HTTPException(408, f"the body did not arrive within {seconds:g} s",
                            headers={"Connection": "close"}) from None
    return bytes(body)


def parse_json(text: bytes, malformed: int = 422) -> Body:
    """``text`` parsed strictly (see the module), or HTTP ``malformed`` saying what is wrong."""
    try:
        value, plain = credentials.parse_json_with_plainness(text, "request body")
    except CredregError as exc:  # not JSON, duplicate keys, NaN, nested too deeply
        raise HTTPException(malformed, str(exc)) from None
    return Body(value, plain, plain or not _may_hold_a_lone_surrogate(text))


# A lone surrogate is valid JSON (the escape \ud800) but not Unicode. The document's own fields
# cannot carry one past the integrity check (RFC 8785 refuses it), but verdicts quote the proof's.
# json.loads reads one from an escape, from UTF-8 bytes that spell one (it decodes with
# surrogatepass), or from UTF-16 or UTF-32 text, which spells ASCII with NUL bytes.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_SURROGATE_UTF8 = re.compile(rb"\xed[\xa0-\xbf]")


def _may_hold_a_lone_surrogate(body: bytes) -> bool:
    """Whether the text parsed from ``body`` may hold a lone surrogate (a surrogate pair, such as
    an escaped emoji, is also reported: rare, and the slower writer handles it as well)."""
    # A search for one byte runs at memory speed; the patterns (each led by a literal, which the
    # regex engine looks for first) only run where it found something.
    return (b"\x00" in body
            or (b"\\" in body and _SURROGATE_ESCAPE.search(body) is not None)
            or (b"\xed" in body and _SURROGATE_UTF8.search(body) is not None))


def written_by_hand(adapter: TypeAdapter[Any], answer: Any, status_code: int) -> Response:
    """``answer`` validated against the route's model as FastAPI validates it, then written as
    FastAPI would, except that text which is not Unicode goes out escaped (by json.dumps), where
    pydantic's writer would fail. Only for bodies that may hold such text: see ``Body.unicode``."""
    data = adapter.dump_python(adapter.validate_python(answer), mode="json")
    try:
        content = to_json(data)
    except PydanticSerializationError:
        content = json.dumps(data, separators=(",", ":")).encode()
    return Response(content, status_code=status_code, media_type="application/json")


def written(adapter: TypeAdapter[Any], answer: Any, status_code: int = 200) -> Response:
    """``answer`` validated against the route's model and written, as FastAPI does with what a
    route returns (``validate_python``, then ``dump_json``), for a route that must have its
    answer's bytes before it returns. Unicode answers only: see ``written_by_hand``."""
    return Response(adapter.dump_json(adapter.validate_python(answer, from_attributes=True), by_alias=True),
                    status_code=status_code, media_type="application/json")
