"""`credreg certificate FILE -o cert.pdf`: a one-page printable certificate of a valid credential.

The credential is verified against the chain here first (a certificate is never made for one
that is not valid), shared as an encrypted short link on the verifier (as `credreg share`), and
that link opened on the verifier's own page in headless Chromium, which prints the certificate
the page builds: achievement, recipient, issuer, dates, the short link and its QR code
(registry/sharing/certificate.py).
"""

from __future__ import annotations

import json

from registry.cli.context import Context
from registry.cli.sharing import load_credential_or_badge
from registry.cli.verify import chain_verdict
from registry.errors import ExitCode


def cmd_certificate(ctx: Context) -> int:
    from registry.sharing import certificate, posting

    path = ctx.args.file
    doc, baked = load_credential_or_badge(path)  # unreadable, not JSON, a hostile image: exit 2
    verdict = chain_verdict(ctx, doc)
    if verdict.status != "valid":
        failed = next((c for c in verdict.checks if not c.passed), None)
        why = f": {failed.name}: {failed.detail}" if failed else ""
        ctx.emit({"file": str(path), "status": verdict.status, "verdict": verdict.as_dict()},
                 f"no certificate: the credential is {verdict.status}{why}")
        return ExitCode.CHAIN_UNAVAILABLE if verdict.status == "unverifiable" else ExitCode.FAILURE
    plaintext = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() if baked else path.read_bytes()
    shared = posting.share(ctx.args.verifier or ctx.settings.verifier_url, plaintext, ctx.args.days)
    size = certificate.render(shared.link, ctx.args.out, paper=ctx.args.paper, browser=ctx.args.chromium)
    data = {"file": str(path), "pdf": str(ctx.args.out), "bytes": size, "pages": 1, "paper": ctx.args.paper,
            "link": shared.link, "expiresAt": shared.expires_at, "deleteToken": shared.delete_token}
    ctx.emit(data, "\n".join([
        f"certificate written to {ctx.args.out} ({size:,} bytes, one {ctx.args.paper.upper()} page)",
        f"  its link     {shared.link}",
        f"  expires      {shared.expires_at}",
        f"  delete token {shared.delete_token}  (deletes the link, and so what the QR code opens; shown only now)"]))
    return ExitCode.OK
