"""`credreg share FILE`: an encrypted short link to a credential, stored on a verifier.

The file is read and checked strictly, encrypted here with a fresh key, and only the ciphertext
is sent; the key goes into the link's fragment (registry/sharing/links.py). With ``--qr`` the
full link is also written as a QR code (SVG, made offline by segno).
"""

from __future__ import annotations

from registry.cli.context import Context
from registry.errors import BadInput, ExitCode


def cmd_share(ctx: Context) -> int:
    from registry import credentials
    from registry.sharing import posting

    path = ctx.args.file
    doc = credentials.load_file(path)  # unreadable, not JSON, duplicate keys: exit 2, naming the file
    credentials.validate({k: v for k, v in doc.items() if k != "proof"}, str(path))
    if "proof" not in doc:
        raise BadInput(f"{path}: has no proof: share the issued file (with its proof embedded)")
    verifier = ctx.args.verifier or ctx.settings.verifier_url
    shared = posting.share(verifier, path.read_bytes(), ctx.args.days)
    data = {"file": str(path), "link": shared.link, "id": shared.id, "expiresAt": shared.expires_at,
            "deleteToken": shared.delete_token, "linkLength": len(shared.link)}
    if ctx.args.qr is not None:
        data["qr"] = _write_qr(shared.link, ctx.args.qr)
    lines = [shared.link, f"  expires      {shared.expires_at}",
             f"  delete token {shared.delete_token}  (keep it: it deletes the share, and is shown only now)",
             f"  {len(shared.link)} characters; the key after '#' never reaches the verifier"]
    if "qr" in data:
        lines.append(f"  QR code      {data['qr']['file']} (version {data['qr']['version']}, "
                     f"error correction {data['qr']['error']})")
    ctx.emit(data, "\n".join(lines))
    return ExitCode.OK


def _write_qr(link: str, out) -> dict:
    import segno

    qr = segno.make_qr(link, error="m")
    try:
        qr.save(out, kind="svg", scale=4, border=4, title="credreg share link")
    except OSError as exc:
        raise BadInput(f"{out}: cannot write the QR code: {exc.strerror}") from None
    return {"file": str(out), "version": qr.version, "error": qr.error}
