"""`credreg pathway publish` and `credreg pathway award`: the issuer's side of pathways."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from registry.cli.context import Context
from registry.errors import ExitCode


def signing_key(ctx: Context, did: str):
    """The issuer's Ed25519 signing key and its DID URL, found as `credreg issue` finds them."""
    from registry.identity import issuer_key, keys

    flag = getattr(ctx.args, "signing_key", None)
    found = issuer_key.find(ctx.home, did, Path(flag) if flag else None)
    key = keys.load(found.keystore, ctx.keystore_password(
        f"password for {found.keystore}: ",
        f"no password for the signing keystore {found.keystore}: set CREDREG_KEYSTORE_PASSWORD"))
    return key, found.verification_method


def cmd_pathway_publish(ctx: Context) -> int:
    from registry import credentials
    from registry.cli.issuing import issuer_of_signer
    from registry.pathways import publishing
    from registry.store import NewCredential

    path = ctx.args.file
    doc = credentials.load_file(path)  # strict: duplicate keys, NaN refused (exit 2)
    registry = ctx.registry()
    issuer = issuer_of_signer(registry, ctx.signer())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    prepared = publishing.prepare(doc, issuer.did, issuer.name, now, str(path))
    key, method = signing_key(ctx, issuer.did)
    secured = publishing.secure(prepared, key, method, now)
    ctx.store().enqueue([NewCredential(secured.credential_id, secured.target_hash, issuer.did, secured.text,
                                       str(path), secured.signature_id)])
    version = prepared.get("version")
    ctx.emit({"queued": 1, "issuer": issuer._asdict(), "verificationMethod": method,
              "pathway": {"id": secured.credential_id, "version": version, "name": prepared["name"],
                          "validFrom": prepared["validFrom"], "targetHash": secured.target_hash,
                          "source": str(path), "signature": secured.signature_id}},
             f"queued pathway {prepared['name']!r} ({secured.credential_id}"
             f"{', version ' + version if version else ''}) for {issuer.name} ({issuer.did}), signed by "
             f"{method} (eddsa-jcs-2022); run `credreg anchor` to anchor it")
    return ExitCode.OK


def cmd_pathway_award(ctx: Context) -> int:
    from registry.errors import BadInput

    raise BadInput("credreg pathway award: not built yet")
