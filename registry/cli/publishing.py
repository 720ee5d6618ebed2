"""`credreg publish`, and the refresh of the issuer's public folder that `revoke` and `anchor` end with."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from registry.cli import output
from registry.cli.context import Context
from registry.errors import ExitCode


def cmd_publish(ctx: Context) -> int:
    from registry.cli.issuing import issuer_of_signer

    registry = ctx.registry()
    issuer = issuer_of_signer(registry, ctx.signer())
    report = refresh(ctx, registry, issuer, Path(ctx.args.out) if ctx.args.out else None, required=True)
    ctx.emit(_data(report), output.published(report))
    return ExitCode.OK


def refresh(ctx: Context, registry, issuer, out_dir: Path | None, *, required: bool = False):
    """Publish the issuer's folder from the chain as it is now; None (nothing done) when the issuer
    has no status lists and ``required`` is false: an issuer that only ever queued unsigned
    credentials has nothing to mirror."""
    from registry.chain import deployments
    from registry.chain.indexer import Indexer
    from registry.errors import ChainUnavailable
    from registry.identity import did as dids
    from registry.identity import issuer_key, keys
    from registry.status import publishing

    store = ctx.store()
    if not required and not store.status_lists(issuer.did, (registry.chain_id, registry.address)):
        return None
    out_dir = out_dir or ctx.home / "public"
    did_document = None
    if issuer.did.startswith("did:web:"):
        source = dids.parse_did_web(issuer.did).document_path(ctx.home / "public")
        if source.exists():
            did_document = _read_json(source)
    _, start = deployments.resolve(ctx.home, registry.chain_id, registry.address)
    indexer = Indexer(registry.w3, registry.address, start_block=start, reorg_depth=0)
    indexer.poll_once()
    if indexer.last_error:
        raise ChainUnavailable(f"reading the registry's events: {indexer.last_error}")
    signing_key = getattr(ctx.args, "signing_key", None)
    found = issuer_key.find(ctx.home, issuer.did, Path(signing_key) if signing_key else None)
    key = keys.load(found.keystore, ctx.keystore_password(
        f"password for {found.keystore}: ",
        f"no password for the signing keystore {found.keystore}: set CREDREG_KEYSTORE_PASSWORD"))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    say = (lambda line: print(line, file=sys.stderr, flush=True)) if not ctx.json else None
    return publishing.publish(store, indexer.snapshot, issuer.id, issuer.did, registry.chain_id, registry.address,
                              key, found.verification_method, out_dir, now, did_document, say)


def refresh_after(ctx: Context, registry, issuer, what: str) -> tuple[dict | None, int]:
    """The refresh `revoke` and `anchor` end with: (its report as data, the exit code it adds).
    A failure is said plainly and makes the command fail (1): the chain has the change, the
    issuer's lists do not show it yet, and re-running the command (or `credreg publish`) fixes it."""
    from registry.errors import CredregError

    out = getattr(ctx.args, "public_out", None)
    try:
        report = refresh(ctx, registry, issuer, Path(out) if out else None)
    except CredregError as exc:
        print(f"credreg {what}: done on chain, but the public folder was not refreshed: {exc}\n"
              "  the issuer's status lists do not show it yet: run `credreg publish`", file=sys.stderr)
        return {"error": str(exc)}, ExitCode.FAILURE
    if report is None:
        return None, ExitCode.OK
    if not ctx.json:
        print(output.published(report), file=sys.stderr)
    return _data(report), ExitCode.OK


def _data(report) -> dict:
    return {"out": report.out_dir, "issuer": report.issuer, "block": report.block,
            "didDocument": report.did_document,
            "lists": [{"number": r.number, "url": r.url, "anchored": r.anchored, "revoked": r.revoked,
                       "bytes": r.bytes} for r in report.lists]}


def _read_json(path: Path) -> dict:
    import json

    from registry.errors import BadInput

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the DID document: {exc}") from None
