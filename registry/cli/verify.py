"""`credreg verify`: one credential (or pathway) file, or a baked badge image, checked against the chain directly, the verdict as the exit code."""

from __future__ import annotations

from registry.cli import output
from registry.cli.context import Context
from registry.cli.sharing import load_credential_or_badge
from registry.errors import ExitCode

# What each verdict exits with; every other status (invalid, revoked, expired) is a failure.
_EXIT = {"valid": ExitCode.OK, "unverifiable": ExitCode.CHAIN_UNAVAILABLE}


def chain_verdict(ctx: Context, doc: object):
    """The verdict on ``doc`` read from the chain directly (no verifier service)."""
    from registry.chain.view import DirectChainView
    from registry.credentials.proofs import claimed_anchor
    from registry.pathways import checking, is_pathway
    from registry.verification import verify

    # The transaction the proof names (format 1 or 2) tells the direct view where to look on chain.
    anchor = (claimed_anchor(doc) if isinstance(doc, dict) else None) or {}
    claimed = anchor.get("transactionHash") if isinstance(anchor.get("transactionHash"), str) else None
    view = DirectChainView(ctx.registry(), claimed_tx=claimed)
    # A pathway carries the same proof chain; only its format check differs.
    document = checking.PATHWAY if is_pathway(doc) else None
    return verify(doc, view, confirmations=ctx.args.confirmations, document=document)


def cmd_verify(ctx: Context) -> int:
    doc, baked = load_credential_or_badge(ctx.args.file)  # unreadable, not JSON, a hostile image: exit 2
    verdict = chain_verdict(ctx, doc)
    answer, text = verdict.as_dict(), output.render_verdict(verdict)
    if baked:  # say where the credential came from: the holder gave an image
        answer["unbakedFrom"] = str(ctx.args.file)
        text = f"unbaked from {ctx.args.file} ({baked.upper()} badge)\n{text}"
    ctx.emit(answer, text)
    return _EXIT.get(verdict.status, ExitCode.FAILURE)
