"""`credreg issuer ...`: governance, the registry owner accrediting issuers and managing their keys."""

from __future__ import annotations

from registry.cli import output
from registry.cli.context import Context
from registry.errors import ExitCode


def cmd_issuer_register(ctx: Context) -> int:
    registry = ctx.registry()
    issuer_id, receipt = registry.register_issuer(ctx.args.name, ctx.args.did, ctx.args.key, ctx.signer())
    ctx.emit({"issuerId": issuer_id, "name": ctx.args.name, "did": ctx.args.did, "key": ctx.args.key,
              "transactionHash": receipt["transactionHash"].hex()},
             f"registered issuer {issuer_id}: {ctx.args.name} ({ctx.args.did}), key {ctx.args.key}")
    return ExitCode.OK


def cmd_issuer_list(ctx: Context) -> int:
    registry = ctx.registry()
    issuers = [registry.issuer(i) for i in range(1, registry.issuer_count() + 1)]
    ctx.emit({"issuers": [i._asdict() for i in issuers]}, output.issuer_table(issuers))
    return ExitCode.OK


def cmd_issuer_key(ctx: Context) -> int:
    registry = ctx.registry()
    if ctx.args.action == "add-key":
        receipt = registry.transact("addIssuerKey", [ctx.args.issuer_id, ctx.args.key], ctx.signer())
        text = f"added key {ctx.args.key} to issuer {ctx.args.issuer_id}"
    else:
        receipt = registry.transact("removeIssuerKey", [ctx.args.key], ctx.signer())
        text = f"removed key {ctx.args.key}"
    ctx.emit({"key": ctx.args.key, "transactionHash": receipt["transactionHash"].hex()}, text)
    return ExitCode.OK


def cmd_issuer_suspend(ctx: Context) -> int:
    suspended = ctx.args.action == "suspend"
    receipt = ctx.registry().transact("setIssuerSuspended", [ctx.args.issuer_id, suspended], ctx.signer())
    ctx.emit({"issuerId": ctx.args.issuer_id, "suspended": suspended,
              "transactionHash": receipt["transactionHash"].hex()},
             f"issuer {ctx.args.issuer_id} {'suspended' if suspended else 'reinstated'}")
    return ExitCode.OK
