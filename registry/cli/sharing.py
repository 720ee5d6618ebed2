"""`credreg bake`, and reading a credential from a file that may be a baked badge (`credreg verify`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from registry.cli.context import Context
from registry.errors import BadInput, ExitCode, InvalidCredential

_SNIFF_BYTES = 4096  # enough to tell a PNG's signature or an SVG's "<" from a JSON text


def load_credential_or_badge(path: Path) -> tuple[dict[str, Any], str | None]:
    """The credential in ``path`` and, when the file is a baked PNG or SVG, its kind ("png",
    "svg"); a JSON file is loaded as always (``credentials.load_file``), an image is unbaked and
    its credential's text goes through the same strict parser."""
    from registry import credentials
    from registry.sharing import baking

    try:
        with path.open("rb") as f:
            kind = baking.image_kind(f.read(_SNIFF_BYTES))
    except OSError:
        kind = None  # load_file names what is wrong (no such file, a directory, unreadable)
    if kind is None:
        return credentials.load_file(path), None
    return _unbaked(path, read_image(path)), kind


def read_image(path: Path) -> bytes:
    """An image file's bytes, refused unread over the baking limit."""
    from registry.credentials.loading import read_bytes
    from registry.sharing.baking import MAX_IMAGE_BYTES

    return read_bytes(path, MAX_IMAGE_BYTES, "image")


def _unbaked(path: Path, data: bytes) -> dict[str, Any]:
    from registry import credentials
    from registry.sharing import baking

    source = f"{path} (the credential baked into it)"
    doc, _ = credentials.parse_json_with_plainness(baking.unbake(data, str(path)).text, source)
    if not isinstance(doc, dict):
        raise InvalidCredential(f"{source}: must be a JSON object")
    return doc


def compact_text(doc: dict[str, Any]) -> bytes:
    """The credential as compact JSON text: what a baked image holds. Re-serialising keeps its
    meaning (every proof covers the parsed document, not its bytes)."""
    try:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only an escape can spell it
        return json.dumps(doc, separators=(",", ":")).encode("ascii")


def cmd_bake(ctx: Context) -> int:
    from registry import credentials
    from registry.anchoring.files import AtomicDirectory
    from registry.sharing import baking

    args = ctx.args
    doc = credentials.load_file(args.credential)  # not JSON, not an object: exit 2
    image = read_image(args.image)
    kind = baking.image_kind(image)
    if kind is None:
        raise BadInput(f"{args.image}: not a PNG or SVG image")
    out = Path(args.out) if args.out else args.credential.with_suffix(f".{kind}")
    if out.suffix.lower() != f".{kind}":
        raise BadInput(f"{out}: the image is {kind.upper()}, so the baked file must end in .{kind}")
    if out.is_dir():
        raise BadInput(f"{out}: is a directory; give the baked file's name with -o")
    if out.exists() and not args.force:
        raise BadInput(f"{out}: exists already; give --force to replace it, or another name with -o")
    if not out.parent.is_dir():
        raise BadInput(f"{out.parent}: no such directory")
    _, baked = baking.bake(image, compact_text(doc), str(args.image))
    with AtomicDirectory(out.parent) as folder:  # seen whole or not at all
        folder.write(out.name, baked)
    ctx.emit({"baked": str(out), "kind": kind, "credential": str(args.credential), "image": str(args.image),
              "bytes": len(baked)},
             f"baked {args.credential} into {out} ({kind.upper()}, {len(baked):,} bytes); anyone can check it "
             f"with `credreg verify {out}`")
    return ExitCode.OK
