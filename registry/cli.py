"""`credreg`: the command line. It parses, calls the library and prints; nothing else.

Every command takes --json, --rpc-url, --registry, --home and --keystore (ARCHITECTURE.md).
Exit codes: 0 success, 1 failure or not valid, 2 usage error or bad input, 3 chain unreachable.
Heavy imports happen inside the commands, so `credreg --help` is instant.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry.errors import ConfigError, CredregError

DEFAULT_RPC = "http://127.0.0.1:8545"
EPILOG = """\
environment:
  CREDREG_RPC_URL            JSON-RPC endpoint (default http://127.0.0.1:8545)
  CREDREG_REGISTRY           registry address (default: the one `credreg deploy` recorded)
  CREDREG_HOME               state folder: store, deployments, issued files (default ./.credreg)
  CREDREG_PRIVATE_KEY        signing key (or --keystore FILE with CREDREG_KEYSTORE_PASSWORD)

exit codes: 0 success, 1 failure or not valid, 2 usage error or bad input, 3 chain unreachable
"""


class Context:
    """What every command needs: resolved options, lazily built chain objects, and output."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json: bool = args.json
        self.home = Path(args.home or os.environ.get("CREDREG_HOME") or ".credreg")
        self.rpc_url: str = args.rpc_url or os.environ.get("CREDREG_RPC_URL") or DEFAULT_RPC
        self._w3 = None

    @property
    def w3(self):
        if self._w3 is None:
            from registry.chain.client import connect

            self._w3 = connect(self.rpc_url)
        return self._w3

    def signer(self):
        from registry.chain.signer import load_signer

        return load_signer(self.args.keystore)

    def registry(self):
        """The registry client: --registry / CREDREG_REGISTRY, else what deploy recorded."""
        from registry.chain import deployments
        from registry.chain.client import RegistryClient

        configured = self.args.registry or os.environ.get("CREDREG_REGISTRY")
        address, _ = deployments.resolve(self.home, self.w3.eth.chain_id, configured)
        client = RegistryClient(self.w3, address)
        client.require_code()
        return client

    def emit(self, data: dict[str, Any], text: str) -> None:
        print(json.dumps(data, indent=2, default=str) if self.json else text)


# ---------------------------------------------------------------------------- commands

def cmd_deploy(ctx: Context) -> int:
    from registry.chain import deployments
    from registry.chain.client import RegistryClient

    chain_id = ctx.w3.eth.chain_id
    if ctx.args.reuse:
        found = deployments.recorded(ctx.home, chain_id)
        if found and len(ctx.w3.eth.get_code(found.address)) > 0:
            ctx.emit({**found._asdict(), "reused": True}, found.address)
            return 0
    signer = ctx.signer()
    client, receipt = RegistryClient.deploy(ctx.w3, signer, owner=ctx.args.owner,
                                            max_fee_gwei=ctx.args.max_fee_gwei)
    record = deployments.Deployment(chain_id, client.address, receipt["blockNumber"],
                                    "0x" + receipt["transactionHash"].hex().removeprefix("0x"))
    deployments.record(ctx.home, record)
    ctx.emit({**record._asdict(), "reused": False, "gasUsed": receipt["gasUsed"]}, client.address)
    return 0


def cmd_issuer_register(ctx: Context) -> int:
    registry = ctx.registry()
    issuer_id, receipt = registry.register_issuer(ctx.args.name, ctx.args.did, ctx.args.key, ctx.signer())
    ctx.emit({"issuerId": issuer_id, "name": ctx.args.name, "did": ctx.args.did, "key": ctx.args.key,
              "transactionHash": receipt["transactionHash"].hex()},
             f"registered issuer {issuer_id}: {ctx.args.name} ({ctx.args.did}), key {ctx.args.key}")
    return 0


def cmd_issuer_list(ctx: Context) -> int:
    registry = ctx.registry()
    issuers = [registry.issuer(i) for i in range(1, registry.issuer_count() + 1)]
    lines = [f"{i.id:>4}  {i.name}  {i.did}  keys={i.key_count}{'  SUSPENDED' if i.suspended else ''}"
             for i in issuers]
    ctx.emit({"issuers": [i._asdict() for i in issuers]}, "\n".join(lines) or "no issuers")
    return 0


def cmd_issuer_key(ctx: Context) -> int:
    registry = ctx.registry()
    if ctx.args.action == "add-key":
        receipt = registry.transact("addIssuerKey", [ctx.args.issuer_id, ctx.args.key], ctx.signer())
        text = f"added key {ctx.args.key} to issuer {ctx.args.issuer_id}"
    else:
        receipt = registry.transact("removeIssuerKey", [ctx.args.key], ctx.signer())
        text = f"removed key {ctx.args.key}"
    ctx.emit({"key": ctx.args.key, "transactionHash": receipt["transactionHash"].hex()}, text)
    return 0


def cmd_issuer_suspend(ctx: Context) -> int:
    suspended = ctx.args.action == "suspend"
    receipt = ctx.registry().transact("setIssuerSuspended", [ctx.args.issuer_id, suspended], ctx.signer())
    ctx.emit({"issuerId": ctx.args.issuer_id, "suspended": suspended,
              "transactionHash": receipt["transactionHash"].hex()},
             f"issuer {ctx.args.issuer_id} {'suspended' if suspended else 'reinstated'}")
    return 0


def _issuer_of_signer(ctx: Context, registry, signer):
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


def _store(ctx: Context):
    from registry.store import Store

    return Store.open(ctx.home, os.environ.get("CREDREG_STORE_URL"))


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
    # Read and validate everything before touching the chain or the store: all or nothing.
    if args.roster:
        docs = [(f"{args.roster}:row {i + 1}", d) for i, d in
                enumerate(credentials.from_roster(Path(args.roster), Path(args.achievement), args.valid_from))]
    else:
        docs = [(str(path), d) for path, d in credentials.load_paths(args.paths)]
    registry = ctx.registry()
    issuer = _issuer_of_signer(ctx, registry, ctx.signer())
    items = []
    for source, doc in docs:
        prepared = credentials.prepare(doc, issuer.did, issuer.name, source)
        text = credentials.canonical_bytes(prepared)
        items.append(NewCredential(prepared["id"], hashlib.sha256(text).hexdigest(), issuer.did,
                                   text.decode(), source))
    _store(ctx).enqueue(items)
    ctx.emit({"queued": len(items), "issuer": issuer._asdict(),
              "credentials": [{"id": i.credential_id, "targetHash": i.target_hash, "source": i.source}
                              for i in items]},
             f"queued {len(items):,} credential{'s' if len(items) != 1 else ''} for {issuer.name} ({issuer.did}); "
             f"run `credreg anchor` to anchor them")
    return 0


def cmd_anchor(ctx: Context) -> int:
    from registry.anchoring import AnchorJob, AnchorOptions

    args = ctx.args
    options = AnchorOptions(out_dir=Path(args.out) if args.out else ctx.home / "issued",
                            confirmations=args.confirmations, max_fee_gwei=args.max_fee_gwei,
                            max_batch=args.max_batch, dry_run=args.dry_run,
                            replace_after=args.replace_after, timeout=args.timeout)
    registry = ctx.registry()
    signer = ctx.signer()
    issuer = _issuer_of_signer(ctx, registry, signer)
    report = AnchorJob(_store(ctx), registry, signer, issuer, options).run()
    if report.dry_run:
        text = (f"dry run: {report.queued:,} queued credentials -> {len(report.planned_batches)} batch(es) "
                f"{list(report.planned_batches)}; about {report.estimated_gas_per_batch or 0:,} gas each at up to "
                f"{(report.max_fee_wei or 0) / 1e9:.3f} gwei; {len(report.resumable)} unfinished batch(es) to resume; "
                f"nothing sent")
    else:
        lines = [f"{b.root}  {b.leaf_count:>9,}  {b.state:<9}  {b.transaction_hash or '-'}  block {b.block_number}"
                 + (f"  ERROR {b.error}" if b.error else "") for b in report.batches]
        text = "\n".join(lines) or "nothing to anchor"
    ctx.emit({"dryRun": report.dry_run, "queued": report.queued,
              "plannedBatches": list(report.planned_batches), "estimatedGasPerBatch": report.estimated_gas_per_batch,
              "resumable": list(report.resumable),
              "batches": [b.__dict__ for b in report.batches]}, text)
    return 0 if report.ok else 1


def _revocation_target(ctx: Context, registry, store, target: str) -> tuple[str, int]:
    """(root hex, leaf index) of a credential given as a file or as an id in the store."""
    from registry import credentials
    from registry.errors import BadInput
    from registry.merkle import paths as merkle

    path = Path(target)
    if path.is_file():
        doc = credentials.load_file(path)
        proof = doc.get("proof")
        if not isinstance(proof, dict) or not isinstance(proof.get("merkleRoot"), str):
            raise BadInput(f"{path}: no credreg proof (proof.merkleRoot) in this credential")
        root = proof["merkleRoot"].lower().removeprefix("0x")
        info = registry.root_info(bytes.fromhex(root))
        if not info.anchored:
            raise BadInput(f"{path}: root {root} is not anchored on registry {registry.address}")
        if not merkle.verify_path(credentials.target_hash(doc), proof.get("path", []), root):
            raise BadInput(f"{path}: the proof's path does not lead from the document to root {root}")
        return root, merkle.leaf_index(proof["path"], info.leaf_count)
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
    registry, store, signer = ctx.registry(), _store(ctx), ctx.signer()
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
    text = "\n".join(
        f"root {r['root'][:16]}…: " + (("whole batch already revoked" if r.get("alreadyRevoked") is True
                                        else "whole batch revoked") if r.get("leafIndices") is None else
                                       f"revoked {len(r['leafIndices'])}, already revoked {len(r.get('alreadyRevoked', []))}")
        + (f" (tx {r['transactionHash']})" if r.get("transactionHash") else "") for r in results)
    ctx.emit({"revocations": results, "reason": args.reason}, text)
    return 0


def cmd_status(ctx: Context) -> int:
    store = _store(ctx)
    counts = store.counts()
    batches = store.batches()
    unfinished = [b for b in batches if b.state not in ("written", "failed")]
    data = {"home": str(ctx.home), "credentials": counts,
            "batches": {s: sum(1 for b in batches if b.state == s) for s in sorted({b.state for b in batches})},
            "unfinished": [{"root": b.root, "state": b.state, "leafCount": b.leaf_count, "txHashes": list(b.tx_hashes)}
                           for b in unfinished],
            "journal": store.journal(10)}
    lines = [f"home {ctx.home}",
             "credentials: " + (", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())) or "none"),
             "batches: " + (", ".join(f"{n} {s}" for s, n in data["batches"].items()) or "none")]
    lines += [f"  unfinished: {b.root[:16]}… {b.state} ({b.leaf_count:,})" for b in unfinished]
    lines += [f"  {j['at']}  {j['event']:<9} {j['detail'] or ''}" for j in reversed(data["journal"])]
    ctx.emit(data, "\n".join(lines))
    return 0


def render_verdict(verdict) -> str:
    """A verdict in plain language, one line per check."""
    lines = [f"{verdict.status.upper()}"]
    for check in verdict.checks:
        lines.append(f"  {'ok ' if check.passed else 'NO '} {check.name:<10} {check.detail}")
    if verdict.issuer:
        lines.append(f"  issuer: {verdict.issuer['name']} ({verdict.issuer['did']})")
    if verdict.anchor:
        a = verdict.anchor
        lines.append(f"  anchor: block {a['blockNumber']} on chain {a['chainId']}, {a['anchoredAt']}, tx {a['transactionHash']}")
    return "\n".join(lines)


def cmd_verify(ctx: Context) -> int:
    from registry import credentials
    from registry.chain.view import DirectChainView
    from registry.verification import verify

    doc = credentials.load_file(ctx.args.file)  # unreadable or not JSON: exit 2
    proof = doc.get("proof") if isinstance(doc.get("proof"), dict) else {}
    anchor = proof.get("anchor") if isinstance(proof.get("anchor"), dict) else {}
    claimed = anchor.get("transactionHash") if isinstance(anchor.get("transactionHash"), str) else None
    view = DirectChainView(ctx.registry(), claimed_tx=claimed)
    verdict = verify(doc, view, confirmations=ctx.args.confirmations)
    ctx.emit(verdict.as_dict(), render_verdict(verdict))
    return {"valid": 0, "unverifiable": 3}.get(verdict.status, 1)


def cmd_serve(ctx: Context) -> int:
    import uvicorn

    # Workers are separate processes: they read their settings from the environment.
    os.environ["CREDREG_RPC_URL"] = ctx.rpc_url
    os.environ["CREDREG_HOME"] = str(ctx.home)
    if ctx.args.registry:
        os.environ["CREDREG_REGISTRY"] = ctx.args.registry
    if ctx.args.confirmations:
        os.environ["CREDREG_CONFIRMATIONS"] = str(ctx.args.confirmations)
    ctx.registry()  # fail now, with a clear message and exit code, if there is nothing to serve
    print(f"credreg verifier on http://{ctx.args.host}:{ctx.args.port}/  (API docs at /docs)", file=sys.stderr)
    uvicorn.run("registry.service.app:create_app", factory=True, host=ctx.args.host, port=ctx.args.port,
                workers=ctx.args.workers, log_level="warning", access_log=False)
    return 0


def cmd_audit(ctx: Context) -> int:
    """Deployed code against the published source, then every event replayed against state."""
    from registry.chain import deployments
    from registry.chain.artifact import load_artifact
    from registry.service.indexer import Indexer

    registry = ctx.registry()
    w3 = registry.w3
    artifact = load_artifact()
    deployed = "0x" + bytes(w3.eth.get_code(registry.address)).hex()
    code_ok = deployed == artifact["deployedBytecode"]
    fn = registry.contract.functions
    owner, pending = fn.owner().call(), fn.pendingOwner().call()
    _, start = deployments.resolve(ctx.home, registry.chain_id, registry.address)
    indexer = Indexer(w3, registry.address, start_block=start, reorg_depth=0)
    indexer.poll_once()
    if indexer.last_error:
        from registry.errors import ChainUnavailable

        raise ChainUnavailable(f"reading the registry's events: {indexer.last_error}")
    snap = indexer.snapshot
    mismatches = []
    for root, record in snap.roots.items():
        info = registry.root_info(bytes.fromhex(root))
        if (info.issuer_id, info.leaf_count) != (record.issuer_id, record.leaf_count) or \
                bool(info.revoked_at) != bool(record.revoked_at):
            mismatches.append(f"root {root}: events say issuer {record.issuer_id}, {record.leaf_count} leaves; "
                              f"state says issuer {info.issuer_id}, {info.leaf_count} leaves")
    issuers = [registry.issuer(i) for i in range(1, registry.issuer_count() + 1)]
    revoked_leaves = sum(len(v) for v in snap.revoked.values())
    data = {"registry": registry.address, "chainId": registry.chain_id, "bytecodeMatchesSource": code_ok,
            "compiler": artifact["compiler"]["version"], "owner": owner, "pendingOwner": pending,
            "fromBlock": start, "toBlock": snap.block, "issuers": [i._asdict() for i in issuers],
            "roots": len(snap.roots), "credentialsAnchored": sum(r.leaf_count for r in snap.roots.values()),
            "rootsRevoked": sum(1 for r in snap.roots.values() if r.revoked_at),
            "credentialsRevoked": revoked_leaves, "mismatches": mismatches}
    lines = [f"registry {registry.address} on chain {registry.chain_id}",
             f"  code:    {'matches' if code_ok else 'DOES NOT MATCH'} the published source "
             f"(solc {artifact['compiler']['version']}, standard-JSON input in the package)",
             f"  owner:   {owner}" + (f" (pending transfer to {pending})" if int(pending, 16) else ""),
             f"  history: blocks {start}-{snap.block}: {len(snap.roots)} roots, "
             f"{data['credentialsAnchored']:,} credentials anchored, {data['rootsRevoked']} roots and "
             f"{revoked_leaves:,} credentials revoked"]
    lines += [f"  issuer {i.id}: {i.name} ({i.did}), {i.key_count} key(s){', SUSPENDED' if i.suspended else ''}"
              for i in issuers]
    lines += [f"  MISMATCH {m}" for m in mismatches] or ["  events and state agree for every root"]
    ctx.emit(data, "\n".join(lines))
    return 0 if code_ok and not mismatches else 1


# ---------------------------------------------------------------------------- parser

def _address(value: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not is_address(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an Ethereum address")
    return to_checksum_address(value)


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("common options")
    group.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    group.add_argument("--rpc-url", help="JSON-RPC endpoint (CREDREG_RPC_URL, default %s)" % DEFAULT_RPC)
    group.add_argument("--registry", help="registry address (CREDREG_REGISTRY, default: recorded by deploy)")
    group.add_argument("--home", help="state folder (CREDREG_HOME, default ./.credreg)")
    group.add_argument("--keystore", type=Path, help="encrypted keystore of the signer "
                       "(password: CREDREG_KEYSTORE_PASSWORD); default: CREDREG_PRIVATE_KEY")


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def command(register: Callable[[argparse._SubParsersAction], None]):
    COMMANDS.append(register)
    return register


def _add(sub, name: str, func: Callable[[Context], int], help: str, description: str | None = None):
    parser = sub.add_parser(name, help=help, description=description or help, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(parser)
    parser.set_defaults(func=func)
    return parser


@command
def _deploy(sub) -> None:
    p = _add(sub, "deploy", cmd_deploy, "deploy the registry; print and record its address",
             "Deploy CredentialRegistry from the compiled artifact in the package (no compiler needed),\n"
             "print its address and record it in $CREDREG_HOME/deployments.json for this chain.")
    p.add_argument("--owner", type=_address, help="governance owner (default: the signer); a multisig in production")
    p.add_argument("--reuse", action="store_true", help="keep the recorded registry if it is still on chain")
    p.add_argument("--max-fee-gwei", type=float, help="cap on the fee per gas")


@command
def _issuer(sub) -> None:
    p = sub.add_parser("issuer", help="accredit and manage issuers (registry owner)",
                       description="Governance: accredit issuers, manage their keys, suspend them.")
    isub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    reg = _add(isub, "register", cmd_issuer_register, "accredit an issuer with its first key")
    reg.add_argument("--name", required=True, help="the issuer's display name")
    reg.add_argument("--did", required=True, help="the issuer's DID, e.g. did:web:academy.example")
    reg.add_argument("--key", required=True, type=_address, help="the issuer's first signing key (address)")
    _add(isub, "list", cmd_issuer_list, "list the accredited issuers")
    for action, text in (("add-key", "add a signing key to an issuer"), ("remove-key", "remove a signing key")):
        k = _add(isub, action, cmd_issuer_key, text)
        if action == "add-key":
            k.add_argument("issuer_id", type=int, metavar="ISSUER_ID")
        k.add_argument("key", type=_address, metavar="ADDRESS")
    for action, text in (("suspend", "suspend an issuer: its keys can no longer anchor"),
                         ("reinstate", "lift a suspension")):
        _add(isub, action, cmd_issuer_suspend, text).add_argument("issuer_id", type=int, metavar="ISSUER_ID")


@command
def _issue_cmd(sub) -> None:
    p = _add(sub, "issue", cmd_issue, "validate and queue Open Badges 3.0 credentials",
             "Validate Open Badges 3.0 credentials and queue them for the next `credreg anchor`.\n"
             "Each gets a random urn:uuid id if it has none, and the signer's issuer (DID, name) from\n"
             "the chain. All or nothing: one bad file and nothing is queued.\n\n"
             "examples:\n  credreg issue examples/credentials/\n"
             "  credreg issue --roster examples/roster.csv --achievement examples/achievement.json")
    p.add_argument("paths", nargs="*", metavar="FILE|DIR", help="credential files, or folders of *.json")
    p.add_argument("--roster", help="CSV of learners (name, email or id, optional validFrom/validUntil)")
    p.add_argument("--achievement", help="JSON of the Achievement every roster row earns")
    p.add_argument("--valid-from", help="validFrom for roster rows without one (default: now)")


def _number(kind: type, low: float, high: float | None = None, what: str = "a number", bound: str | None = None):
    """An argparse type: ``kind`` in [low, high], with an error that names the value."""
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}") from None
        if number < low or (high is not None and number > high) or number != number:
            limit = bound or (f"between {low} and {high}" if high is not None else f"at least {low}")
            raise argparse.ArgumentTypeError(f"{value!r} must be {limit}")
        return number
    return parse


_positive_int = _number(int, 1, what="a whole number")
_positive_float = _number(float, 1e-9, what="a number", bound="above 0")
_reason = _number(int, 0, 255, what="a reason code (0-255)")


@command
def _anchor_cmd(sub) -> None:
    p = _add(sub, "anchor", cmd_anchor, "anchor every queued credential; write each with its proof",
             "The nightly job: batch the queue into Merkle trees, anchor each root, wait for confirmations,\n"
             "and write every credential with its proof into --out. Crash-safe: run it again after any\n"
             "failure and it finishes the work without anchoring anything twice.\n\n"
             "example (cron):\n  credreg anchor --confirmations 3 --max-fee-gwei 30 --out /srv/credentials/out")
    p.add_argument("--confirmations", type=_positive_int, default=1, help="blocks deep before files are written (default 1)")
    p.add_argument("--max-fee-gwei", type=_positive_float, help="cap on the fee per gas, replacements included")
    p.add_argument("--out", help="where credential files go (default $CREDREG_HOME/issued)")
    p.add_argument("--dry-run", action="store_true", help="show the batches, gas and fees; send and write nothing")
    p.add_argument("--max-batch", type=_positive_int, default=1_000_000, help="credentials per batch (default 1,000,000)")
    p.add_argument("--replace-after", type=_positive_float, default=60.0,
                   help="seconds before a stuck transaction is replaced with a higher fee (default 60)")
    p.add_argument("--timeout", type=_positive_float, default=900.0,
                   help="seconds to wait for mining before leaving the batch to the next run (default 900)")


@command
def _revoke_cmd(sub) -> None:
    p = _add(sub, "revoke", cmd_revoke, "revoke credentials, or a whole batch by its root",
             "Revoke for good, on chain. Targets are credential files (with their proof) or credential ids\n"
             "in the store; the indices of one batch go in one transaction. --root revokes a whole batch.\n\n"
             "reason codes (convention): 0 unspecified, 1 issued in error, 2 superseded, 3 fraud,\n"
             "4 holder's request")
    p.add_argument("targets", nargs="*", metavar="FILE|CREDENTIAL_ID")
    p.add_argument("--root", help="revoke the whole batch with this Merkle root")
    p.add_argument("--reason", type=_reason, default=0, help="reason code 0-255 (default 0)")


@command
def _status_cmd(sub) -> None:
    _add(sub, "status", cmd_status, "the queue, the batches and the last journal entries")


@command
def _verify_cmd(sub) -> None:
    p = _add(sub, "verify", cmd_verify, "verify a credential file against the registry",
             "Verify a credential: its hash, its Merkle path, the on-chain root and issuer, revocation and\n"
             "validity period, reading the chain directly.\n\n"
             "exit codes: 0 valid, 1 not valid (invalid, revoked, expired), 2 unreadable file,\n"
             "3 unverifiable (chain unreachable or anchor not deep enough yet)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--confirmations", type=_positive_int, default=1, help="blocks deep an anchor must be (default 1)")


@command
def _serve_cmd(sub) -> None:
    p = _add(sub, "serve", cmd_serve, "serve the verifier: HTTP API and the verification page",
             "Serve POST /v1/verify, /v1/verify/batch, /v1/issuers, /v1/roots/{root}, /healthz, /metrics\n"
             "and the page at /. Verdicts come from an index of the registry's events, kept fresh in the\n"
             "background; when the chain cannot be read they are `unverifiable`, never `valid`.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--confirmations", type=_positive_int, help="blocks deep an anchor must be (default 1)")


@command
def _audit_cmd(sub) -> None:
    _add(sub, "audit", cmd_audit, "check the deployed registry's code and replay its whole history",
         "For auditors: compare the deployed bytecode with the source published in the package, show\n"
         "governance (owner, pending owner) and issuers, replay every event since deployment and check\n"
         "it against the contract's state. Exit 0 when all agree, 1 otherwise.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="credreg",
        description="credreg: anchor micro-credentials on chain in Merkle batches, and verify them.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A presented file can quote text that is not Unicode (a lone surrogate spelled as a JSON
    # escape) into a verdict; print it escaped rather than fail with the answer half-written.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2 (argparse)
    ctx = Context(args)
    try:
        return args.func(ctx)
    except CredregError as exc:
        if ctx.json:
            print(json.dumps({"error": str(exc), "kind": type(exc).__name__, "exitCode": exc.exit_code}))
        print(f"credreg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("credreg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `credreg status | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
