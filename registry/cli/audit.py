"""`credreg audit`: the deployed code against the published source, then every event replayed against state."""

from __future__ import annotations

from registry.cli import output
from registry.cli.context import Context
from registry.errors import ExitCode


def cmd_audit(ctx: Context) -> int:
    from registry.chain import deployments
    from registry.chain.artifact import load_artifact
    from registry.chain.indexer import Indexer

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
    data = {"registry": registry.address, "chainId": registry.chain_id, "bytecodeMatchesSource": code_ok,
            "compiler": artifact["compiler"]["version"], "owner": owner, "pendingOwner": pending,
            "fromBlock": start, "toBlock": snap.block, "issuers": [i._asdict() for i in issuers],
            "roots": len(snap.roots), "credentialsAnchored": sum(r.leaf_count for r in snap.roots.values()),
            "rootsRevoked": sum(1 for r in snap.roots.values() if r.revoked_at),
            "credentialsRevoked": sum(len(v) for v in snap.revoked.values()), "mismatches": mismatches}
    if ctx.args.public:
        from registry.status.auditing import audit_folder

        audits = [audit_folder(str(place), snap, (registry.chain_id, registry.address)) for place in ctx.args.public]
        data["statusLists"] = [{"place": a.place, "issuer": a.issuer, "lists": a.lists,
                                "revokedOnChain": a.revoked_on_chain, "setInLists": a.set_in_lists,
                                "mismatches": list(a.mismatches)} for a in audits]
        mismatches += [f"status lists {a.place}: {m}" for a in audits for m in a.mismatches]
    ctx.emit(data, output.audit(data, issuers))
    return ExitCode.OK if code_ok and not mismatches else ExitCode.FAILURE
