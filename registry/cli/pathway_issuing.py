"""`credreg pathway publish` and `credreg pathway award`: the issuer's side of pathways."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from registry.cli.context import Context
from registry.errors import BadInput, ExitCode


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
    from registry import credentials
    from registry.cli.issuing import issuer_of_signer

    args = ctx.args
    if args.email is not None and "@" not in args.email:
        raise BadInput(f"--email {args.email!r} is not an email address")
    pathway_doc = credentials.load_file(args.pathway)
    presented = [credentials.load_file(path) for path in args.with_files or ()]
    registry = ctx.registry()
    issuer = issuer_of_signer(registry, ctx.signer())
    outcome = award(ctx, registry, issuer, pathway_doc, str(args.pathway), presented, args.email, args.dry_run,
                    chain_view(ctx, registry))
    ctx.emit(outcome, award_text(outcome))
    return ExitCode.OK


def chain_view(ctx: Context, registry):
    """One indexed view of the registry for every check of a run (an RPC call per credential
    would make an issuer's whole store slow to check)."""
    from registry.chain import deployments
    from registry.chain.indexer import Indexer
    from registry.errors import ChainUnavailable

    _, start = deployments.resolve(ctx.home, registry.chain_id, registry.address)
    indexer = Indexer(registry.w3, registry.address, start_block=start, reorg_depth=0)
    indexer.poll_once()
    if indexer.last_error:
        raise ChainUnavailable(f"reading the registry's events: {indexer.last_error}")
    return indexer.view()


def award(ctx: Context, registry, issuer, pathway_doc: dict, source: str, presented: list[dict],
          email: str | None, dry_run: bool, view) -> dict:
    """Queue the completion credential of ``pathway_doc`` for each learner whose stack (the
    store's anchored credentials, plus ``presented``) completes it and who has not had it yet;
    the award row and the queued credential go in one transaction. The answer, as data."""
    import json

    from registry.anchoring._crashpoints import checkpoint
    from registry.anchoring.writer import anchored_texts
    from registry.cli.issuing import _signed
    from registry.errors import NotAuthorized
    from registry.pathways import awarding, check, checking, document
    from registry.verification import verify

    verdict = verify(pathway_doc, view, document=checking.PATHWAY)
    if verdict.status != "valid":
        failed = next((c.detail for c in verdict.checks if not c.passed), verdict.status)
        what = "withdrawn (revoked on chain)" if verdict.status == "revoked" else verdict.status
        raise NotAuthorized(f"{source}: the pathway is {what}: {failed}; nothing awarded")
    pathway = document.read(pathway_doc, source)
    if pathway.issuer != issuer.did:
        raise NotAuthorized(f"{source}: a pathway of {pathway.issuer}; the signer is of issuer {issuer.name} "
                            f"({issuer.did}), which awards its own pathways only")
    store = ctx.store()
    # Parsed as stored first: only the credentials that may count are rebuilt as anchored.
    rows = [row for row in store.written_documents(issuer.did, awarding.needles(pathway))
            if awarding.may_count(pathway, json.loads(row.document), email is not None)]
    stored = [json.loads(text) for _, text in anchored_texts(store, rows)]
    already = store.pathway_awards(issuer.did, pathway.id)
    complete, incomplete, done = [], [], []
    for learner in awarding.learners(pathway, stored, presented, email):
        if learner.key in already:
            done.append({"learner": learner.label, "credential": already[learner.key]})
            continue
        result = check(pathway_doc, list(learner.stack), view, subject=learner.subject)
        if result.status == "complete":
            complete.append((learner, result))
        else:
            incomplete.append({"learner": learner.label, "status": result.status, "missing": list(result.missing)})
    data = {"pathway": {"id": pathway.id, "name": pathway.name, "version": pathway.version, "source": source},
            "dryRun": dry_run, "alreadyAwarded": done, "incomplete": incomplete, "awarded": [], "wouldAward": [],
            # --with credentials that name no learner by id: only --email can place them
            "unplaced": 0 if email is not None else sum(1 for d in presented if not awarding.subject_id(d))}
    if dry_run or not complete:
        data["wouldAward"] = [{"learner": learner.label, "components": [u.id for u in r.credentials if u.counted]}
                              for learner, r in complete] if dry_run else []
        return data
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    docs = [(f"{source}: completion for {learner.label}", awarding.completion_credential(pathway_doc, r, learner, now))
            for learner, r in complete]
    items, _ = _signed(ctx, registry, issuer, docs)
    checkpoint("award-signed")
    for item, (learner, result) in zip(items, complete, strict=True):
        if store.enqueue_award(item, pathway.id, learner.key):  # False: a run beside this one gave it
            data["awarded"].append({"learner": learner.label, "credential": item.credential_id,
                                    "targetHash": item.target_hash,
                                    "components": [u.id for u in result.credentials if u.counted]})
        checkpoint("award-queued")
    return data


def nightly_awards(ctx: Context, registry, issuer) -> tuple[list[dict], bool]:
    """`credreg anchor`'s first step: award every anchored pathway of the issuer still standing
    in the store, so the completion credentials go into this run's batch. (What each pathway
    gave or why it failed, whether all went well.) A pathway that fails is said and skipped:
    anchoring what is queued must not wait for it."""
    import json
    import sys

    from registry.anchoring.writer import anchored_texts
    from registry.errors import CredregError

    store = ctx.store()
    standing = [p for p in store.pathways(issuer.did) if p.state == "issued" and not p.revoked]
    if not standing:
        return [], True
    view = chain_view(ctx, registry)
    results, ok = [], True
    for found in standing:
        [(_, text)] = anchored_texts(store, store.written_documents(issuer.did, [], ids=[found.credential_id]))
        try:
            data = award(ctx, registry, issuer, json.loads(text), f"pathway {found.credential_id}", [], None,
                         False, view)
        except CredregError as exc:
            ok = False
            results.append({"pathway": {"id": found.credential_id}, "error": str(exc)})
            print(f"credreg anchor: pathway {found.credential_id}: nothing awarded: {exc}", file=sys.stderr)
            continue
        results.append(data)
        if not ctx.json:
            print(award_text(data), file=sys.stderr)
    return results, ok


def award_text(data: dict) -> str:
    p = data["pathway"]
    name = f"{p['name']} ({p['id']})"
    lines = [f"  awarded to {a['learner']}: {a['credential']} ({len(a['components'])} components)"
             for a in data["awarded"]]
    lines += [f"  would award to {a['learner']} ({len(a['components'])} components)" for a in data["wouldAward"]]
    if data["dryRun"]:
        head = f"dry run, {name}: {len(data['wouldAward'])} learner(s) would receive it; nothing queued"
    else:
        head = f"{name}: {len(data['awarded'])} completion credential(s) queued for the next anchor"
    tail = f"; {len(data['alreadyAwarded'])} already awarded, {len(data['incomplete'])} not complete"
    if data.get("unplaced"):
        tail += f"; {data['unplaced']} --with credential(s) name no credentialSubject.id (give --email)"
    return "\n".join([head + tail, *lines])
