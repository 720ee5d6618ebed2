"""`credreg issue`, `anchor`, `revoke` and `status`: an issuer's credentials from queue to chain."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

from registry.cli import output
from registry.cli.context import Context
from registry.cli.publishing import refresh_after
from registry.errors import ConfigError, ExitCode


def issuer_of_signer(registry, signer):
    """The accredited issuer whose key signs; NotAuthorized (exit 1) when there is none."""
    from registry.errors import NotAuthorized

    issuer_id = registry.issuer_of_key(signer.address)
    if issuer_id == 0:
        raise NotAuthorized(f"key {signer.address} is not a key of any accredited issuer on registry "
                            f"{registry.address} (chain {registry.chain_id})")
    issuer = registry.issuer(issuer_id)
    if issuer.suspended:
        raise NotAuthorized(f"issuer {issuer.id} ({issuer.name}) is suspended on registry {registry.address}")
    return issuer


def cmd_issue(ctx: Context) -> int:
    from registry import credentials
    from registry.store import NewCredential

    args = ctx.args
    if bool(args.roster) != bool(args.achievement):
        raise ConfigError("--roster and --achievement go together")
    if args.roster and args.paths:
        raise ConfigError("give either FILE|DIR arguments or --roster/--achievement, not both")
    if not args.roster and not args.paths:
        raise ConfigError("nothing to issue: give FILE|DIR arguments or --roster CSV --achievement JSON")
    if args.unsigned and args.signing_key:
        raise ConfigError("--unsigned and --signing-key contradict each other")
    if args.image and not args.roster:
        raise ConfigError("--image goes with --roster/--achievement: it becomes the achievement's image")
    # Read and validate everything before touching the chain or the store: all or nothing.
    if args.roster:
        docs = [(f"{args.roster}:row {i + 1}", d) for i, d in
                enumerate(credentials.from_roster(Path(args.roster), Path(args.achievement), args.valid_from))]
    else:
        docs = [(str(path), d) for path, d in credentials.load_paths(args.paths)]
    _check_images(docs, Path(args.image) if args.image else None)
    registry = ctx.registry()
    issuer = issuer_of_signer(registry, ctx.signer())
    if args.unsigned:
        print("credreg issue --unsigned: writing format 1 (no issuer signature), which only credreg's "
              "verifier checks; it is kept for a transition and will go", file=sys.stderr)
        items = []
        for source, doc in docs:
            prepared = credentials.prepare(doc, issuer.did, issuer.name, source)
            text = credentials.canonical_bytes(prepared)
            items.append(NewCredential(prepared["id"], hashlib.sha256(text).hexdigest(), issuer.did, text.decode(),
                                       source))
        method = None
    else:
        items, method = _signed(ctx, registry, issuer, docs)
    ctx.store().enqueue(items)
    ctx.emit({"queued": len(items), "issuer": issuer._asdict(), "signed": method is not None,
              "verificationMethod": method,
              "credentials": [{"id": i.credential_id, "targetHash": i.target_hash, "source": i.source,
                               "signature": i.signature_id} for i in items]},
             f"queued {len(items):,} credential{'s' if len(items) != 1 else ''} for {issuer.name} ({issuer.did})"
             f"{', signed by ' + method if method else ', unsigned'}; run `credreg anchor` to anchor them")
    return ExitCode.OK


def _check_images(docs: list[tuple[str, dict]], image: Path | None) -> None:
    """With ``image``, make it every achievement's image (a data: URI); then check each data: URI
    image is one `anchor --bake` can bake, so the nightly job meets no surprise."""
    from registry.cli.sharing import read_image
    from registry.sharing import images

    if image is not None:
        data = read_image(image)
        uri = images.data_uri(data, images.checked_image(data, str(image)))
        for _, doc in docs:
            doc["credentialSubject"]["achievement"]["image"] = {"id": uri, "type": "Image"}
    seen: set[str] = set()
    for source, doc in docs:
        uri = images.achievement_image(doc)
        if uri and uri not in seen:
            seen.add(uri)
            found = images.image_of_data_uri(uri, f"{source}: credentialSubject.achievement.image")
            if found is not None:
                images.checked_image(found[1], f"{source}: credentialSubject.achievement.image")


def _signed(ctx: Context, registry, issuer, docs: list[tuple[str, dict]]):
    """The credentials prepared and signed with the issuer's Ed25519 key, as queue items, and the
    key's DID URL. Preparing (validating) happens in the signing workers too."""
    from datetime import UTC, datetime

    from registry import credentials
    from registry.credentials import status_entry
    from registry.credentials._forked_signing import secure_all
    from registry.errors import BadInput
    from registry.identity import issuer_key, keys
    from registry.status import folder
    from registry.store import NewCredential

    # Also the path of completion credentials (`pathway award`, `anchor`'s award step), whose
    # commands have fewer of issue's flags.
    flag = getattr(ctx.args, "signing_key", None)
    found = issuer_key.find(ctx.home, issuer.did, Path(flag) if flag else None)
    key = keys.load(found.keystore, ctx.keystore_password(
        f"password for {found.keystore}: ",
        f"no password for the signing keystore {found.keystore}: set CREDREG_KEYSTORE_PASSWORD"))
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.perf_counter()
    say = (lambda line: print(line, file=sys.stderr, flush=True)) if len(docs) >= 10_000 else None
    if say:
        say(f"signing {len(docs):,} credentials with {found.verification_method}")

    for source, doc in docs:  # credreg's own entry is the one its lists and the chain keep true
        if "credentialStatus" in doc:
            raise BadInput(f"{source}: credentialStatus is set by credreg at issue time (a Bitstring Status "
                           "List entry of the issuer's); remove it")
    public_url = folder.public_url_for(issuer.did, getattr(ctx.args, "public_url", None) or ctx.settings.public_url)
    # Reserved in a transaction of their own before signing (the signature covers them): a run
    # that fails from here on leaves unused indices behind, never an index given twice.
    places = ctx.store().reserve_status(issuer.did, (registry.chain_id, registry.address), len(docs),
                                        status_entry.LIST_SIZE,
                                        lambda number: status_entry.list_url(public_url, number))

    def prepare(doc: dict, index: int) -> dict:
        prepared = credentials.prepare(doc, issuer.did, issuer.name, docs[index][0])
        place = places[index]
        prepared["credentialStatus"] = status_entry.StatusEntry(place.url, place.index).to_json()
        return prepared

    secured = secure_all([doc for _, doc in docs], key, found.verification_method, created,
                         workers=getattr(ctx.args, "workers", None), say=say, prepare=prepare)
    if say:
        elapsed = time.perf_counter() - started
        say(f"signed {len(secured):,} credentials in {elapsed:.1f} s ({len(secured) / elapsed:,.0f}/s); queueing")
    items = [NewCredential(s.credential_id, s.target_hash, issuer.did, s.text, source, s.signature_id,
                           place.list_id, place.index)
             for (source, _), s, place in zip(docs, secured, places, strict=True)]
    return items, found.verification_method


def cmd_anchor(ctx: Context) -> int:
    from registry.anchoring import AnchorJob, AnchorOptions

    args = ctx.args
    options = AnchorOptions(out_dir=Path(args.out) if args.out else ctx.home / "issued",
                            confirmations=args.confirmations, max_fee_gwei=args.max_fee_gwei,
                            max_batch=args.max_batch, dry_run=args.dry_run,
                            replace_after=args.replace_after, timeout=args.timeout, bake=_baker(args.bake))
    registry = ctx.registry()
    signer = ctx.signer()
    issuer = issuer_of_signer(registry, signer)
    awards, awarded_ok = [], True
    if not args.dry_run and not args.no_award:  # first, so the completion credentials join this run's batch
        from registry.cli.pathway_issuing import nightly_awards

        awards, awarded_ok = nightly_awards(ctx, registry, issuer)
    report = AnchorJob(ctx.store(), registry, signer, issuer, options).run()
    published, code = (None, ExitCode.OK) if args.dry_run else refresh_after(ctx, registry, issuer, "anchor")
    ctx.emit({"dryRun": report.dry_run, "queued": report.queued, "awards": awards,
              "plannedBatches": list(report.planned_batches), "estimatedGasPerBatch": report.estimated_gas_per_batch,
              "resumable": list(report.resumable),
              "batches": [b.__dict__ for b in report.batches], "published": published}, output.anchor_report(report))
    return ExitCode.OK if report.ok and code == ExitCode.OK and awarded_ok else ExitCode.FAILURE


def _baker(bake: bool):
    """`anchor --bake`: what makes each written file's badge (registry/sharing/images.py)."""
    if not bake:
        return None
    from registry.sharing.images import badge_for

    return badge_for


def _revocation_target(ctx: Context, registry, store, target: str) -> tuple[str, int]:
    """(root hex, leaf index) of a credential given as a file or as an id in the store."""
    from registry import credentials
    from registry.merkle import paths as merkle
    from registry.errors import BadInput

    path = Path(target)
    if path.is_file():
        from registry.credentials.proofs import read_receipt

        doc = credentials.load_file(path)
        receipt, computed = read_receipt(doc, str(path))
        root = receipt.get("merkleRoot")
        if not isinstance(root, str) or len(root.lower().removeprefix("0x")) != 64:
            raise BadInput(f"{path}: the proof's merkleRoot is not a 32-byte hex root")
        root = root.lower().removeprefix("0x")
        info = registry.root_info(bytes.fromhex(root))
        if not info.anchored:
            raise BadInput(f"{path}: root {root} is not anchored on registry {registry.address}")
        if not merkle.verify_path(computed, receipt.get("path", []), root):
            raise BadInput(f"{path}: the proof's path does not lead from the document to root {root}")
        return root, merkle.leaf_index(receipt["path"], info.leaf_count)
    found = store.find_credential(target)
    if found is None:
        raise BadInput(f"{target}: neither a file nor a credential id in the store ({ctx.home})")
    if found.root is None or found.state != "issued":
        raise BadInput(f"{target}: not anchored yet (state {found.state}); nothing to revoke on chain")
    return found.root, found.leaf_index


def cmd_revoke(ctx: Context) -> int:
    from registry.errors import BadInput

    args = ctx.args
    if bool(args.root) == bool(args.targets):
        raise ConfigError("give credential files or ids, or --root ROOT (not both)")
    registry, store, signer = ctx.registry(), ctx.store(), ctx.signer()
    results = []
    if args.root:
        root = args.root.lower().removeprefix("0x")
        if len(root) != 64 or any(c not in "0123456789abcdef" for c in root):
            raise BadInput(f"--root {args.root!r} is not a 32-byte hex root")
        if registry.root_info(bytes.fromhex(root)).revoked_at:
            results.append({"root": root, "leafIndices": None, "alreadyRevoked": True})
        else:
            receipt = registry.transact("revokeRoot", [bytes.fromhex(root), args.reason], signer)
            tx = "0x" + bytes(receipt["transactionHash"]).hex()
            store.record_revocation(root, None, args.reason, tx)
            results.append({"root": root, "leafIndices": None, "transactionHash": tx})
    else:
        by_root: dict[str, set[int]] = {}
        for target in args.targets:
            root, leaf = _revocation_target(ctx, registry, store, target)
            by_root.setdefault(root, set()).add(leaf)
        for root, leaves in by_root.items():
            fresh = sorted(i for i in leaves if not registry.is_revoked(bytes.fromhex(root), i))
            if not fresh:
                results.append({"root": root, "leafIndices": [], "alreadyRevoked": sorted(leaves)})
                continue
            receipt = registry.transact("revokeCredentials", [bytes.fromhex(root), fresh, args.reason], signer)
            tx = "0x" + bytes(receipt["transactionHash"]).hex()
            store.record_revocation(root, fresh, args.reason, tx)
            results.append({"root": root, "leafIndices": fresh, "transactionHash": tx,
                            "alreadyRevoked": sorted(leaves - set(fresh))})
    published, code = refresh_after(ctx, registry, issuer_of_signer(registry, signer), "revoke")
    ctx.emit({"revocations": results, "reason": args.reason, "published": published}, output.revocations(results))
    return code


def cmd_status(ctx: Context) -> int:
    store = ctx.store()
    counts = store.counts()
    batches = store.batches()
    unfinished = [b for b in batches if b.state not in ("written", "failed")]
    data = {"home": str(ctx.home), "credentials": counts,
            "batches": {s: sum(1 for b in batches if b.state == s) for s in sorted({b.state for b in batches})},
            "unfinished": [{"root": b.root, "state": b.state, "leafCount": b.leaf_count, "txHashes": list(b.tx_hashes)}
                           for b in unfinished],
            "journal": store.journal(10)}
    ctx.emit(data, output.status(ctx.home, data, unfinished))
    return ExitCode.OK
