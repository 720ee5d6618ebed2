"""What `credreg` prints: JSON or text on stdout, and the text of verdicts, tables and reports.

Every command prints through :func:`emit`, so ``--json`` means the same everywhere. The wording
here is a contract: tests and scripts read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(data: dict[str, Any], text: str, as_json: bool) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text)


def issuer_table(issuers: list) -> str:
    lines = [f"{i.id:>4}  {i.name}  {i.did}  keys={i.key_count}{'  SUSPENDED' if i.suspended else ''}"
             for i in issuers]
    return "\n".join(lines) or "no issuers"


def anchor_report(report) -> str:
    """An anchoring run: the plan of a dry run, else one line per batch."""
    if report.dry_run:
        return (f"dry run: {report.queued:,} queued credentials -> {len(report.planned_batches)} batch(es) "
                f"{list(report.planned_batches)}; about {report.estimated_gas_per_batch or 0:,} gas each at up to "
                f"{(report.max_fee_wei or 0) / 1e9:.3f} gwei; {len(report.resumable)} unfinished batch(es) to resume; "
                f"nothing sent")
    lines = [f"{b.root}  {b.leaf_count:>9,}  {b.state:<9}  {b.transaction_hash or '-'}  block {b.block_number}"
             + (f"  ERROR {b.error}" if b.error else "") for b in report.batches]
    return "\n".join(lines) or "nothing to anchor"


def revocations(results: list[dict[str, Any]]) -> str:
    """One line per root: what was revoked now and what already was."""
    return "\n".join(
        f"root {r['root'][:16]}…: " + (("whole batch already revoked" if r.get("alreadyRevoked") is True
                                        else "whole batch revoked") if r.get("leafIndices") is None else
                                       f"revoked {len(r['leafIndices'])}, already revoked {len(r.get('alreadyRevoked', []))}")
        + (f" (tx {r['transactionHash']})" if r.get("transactionHash") else "") for r in results)


def status(home: Path, data: dict[str, Any], unfinished: list) -> str:
    """`credreg status`: counts, batches, unfinished batches and the journal, oldest entry first."""
    lines = [f"home {home}",
             "credentials: " + (", ".join(f"{n:,} {s}" for s, n in sorted(data["credentials"].items())) or "none"),
             "batches: " + (", ".join(f"{n} {s}" for s, n in data["batches"].items()) or "none")]
    lines += [f"  unfinished: {b.root[:16]}… {b.state} ({b.leaf_count:,})" for b in unfinished]
    lines += [f"  {j['at']}  {j['event']:<9} {j['detail'] or ''}" for j in reversed(data["journal"])]
    return "\n".join(lines)


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


def audit(data: dict[str, Any], issuers: list) -> str:
    """`credreg audit`: the code check, governance, the history's totals, issuers, mismatches."""
    version, pending = data["compiler"], data["pendingOwner"]
    lines = [f"registry {data['registry']} on chain {data['chainId']}",
             f"  code:    {'matches' if data['bytecodeMatchesSource'] else 'DOES NOT MATCH'} the published source "
             f"(solc {version}, standard-JSON input in the package)",
             f"  owner:   {data['owner']}" + (f" (pending transfer to {pending})" if int(pending, 16) else ""),
             f"  history: blocks {data['fromBlock']}-{data['toBlock']}: {data['roots']} roots, "
             f"{data['credentialsAnchored']:,} credentials anchored, {data['rootsRevoked']} roots and "
             f"{data['credentialsRevoked']:,} credentials revoked"]
    lines += [f"  issuer {i.id}: {i.name} ({i.did}), {i.key_count} key(s){', SUSPENDED' if i.suspended else ''}"
              for i in issuers]
    for a in data.get("statusLists", []):
        lines.append(f"  status lists {a['place']} ({a['issuer'] or 'unknown issuer'}): {a['lists']} list(s), "
                     f"{a['revokedOnChain']:,} revoked on chain, {a['setInLists']:,} set"
                     + ("" if a["mismatches"] else ": agree with the chain"))
    lines += [f"  MISMATCH {m}" for m in data["mismatches"]] or ["  events and state agree for every root"]
    return "\n".join(lines)


def inspection(data: dict[str, Any]) -> str:
    """`credreg inspect`: the credential, the issuer's DID, then each proof and its receipt."""
    credential, issuer = data["credential"], data["issuer"]
    types = credential.get("type")
    lines = [f"credential {credential.get('id', '(no id)')}",
             f"  type:       {', '.join(types) if isinstance(types, list) else types}",
             f"  name:       {credential.get('name')}",
             f"  valid:      from {credential.get('validFrom', '-')} until {credential.get('validUntil', '-')}",
             f"issuer {issuer.get('id')}" + (f" ({issuer['name']})" if issuer.get("name") else "")]
    for label, key in (("method", "method"), ("key", "publicKeyMultibase"), ("vm", "verificationMethod"),
                       ("document", "didDocumentUrl"), ("PROBLEM", "error")):
        if key in issuer:
            lines.append(f"  {label + ':':<11} {issuer[key]}")
    form = data["proofFormat"]
    if form is None:
        lines.append("no proof: not anchored yet")
    else:
        lines.append(f"proof format {form}: {len(data['proofs'])} proof(s)")
    for n, proof in enumerate(data["proofs"]):
        lines.append(f"  proof {n}: {proof.get('type')}" + (f" {proof['cryptosuite']}" if "cryptosuite" in proof else ""))
        for key in ("id", "created", "verificationMethod", "proofPurpose", "previousProof"):
            if key in proof:
                lines.append(f"    {key + ':':<19} {proof[key]}")
        receipt = proof.get("receipt", proof if "targetHash" in proof else None)
        if receipt is not None:
            lines += _receipt_lines(receipt)
    return "\n".join(lines)


def _receipt_lines(receipt: dict[str, Any]) -> list[str]:
    path, anchor = receipt["path"], receipt.get("anchor")
    matches = "matches the document" if receipt["targetHashMatches"] else \
        f"DOES NOT MATCH the document's {receipt['computedTargetHash']}"
    lines = [f"    {'targetHash:':<19} {receipt['targetHash']} ({matches})",
             f"    {'merkleRoot:':<19} {receipt['merkleRoot']}",
             "    path:               " + (f"PROBLEM {path['error']}" if "error" in path else
                                          f"{path['length']} step(s); the sibling's side, from the leaf up: {', '.join(path['sides']) or '-'}"),
             f"    {'reaches the root:':<19} {'yes' if receipt['pathReachesRoot'] else 'NO'}",
             f"    {'leaf position:':<19} {receipt['leafPosition']}"]
    if isinstance(anchor, dict):
        lines.append(f"    {'anchor:':<19} chain {anchor.get('chainId')}, registry {anchor.get('registry')}, "
                     f"tx {anchor.get('transactionHash')}, block {anchor.get('blockNumber')}")
    else:
        lines.append(f"    {'anchor:':<19} {anchor!r}")
    return lines


def published(report) -> str:
    """`credreg publish` (and the refresh `revoke` and `anchor` end with): one line per list."""
    lines = [f"public folder {report.out_dir} for {report.issuer}, as of block {report.block}:"]
    if report.did_document:
        lines.append(f"  DID document {report.did_document}")
    lines += [f"  list {r.number}: {r.url}  {r.anchored:,} anchored, {r.revoked:,} revoked, {r.bytes:,} bytes"
              for r in report.lists] or ["  no status lists yet (nothing issued signed)"]
    return "\n".join(lines)


def pathway_check(data: dict[str, Any], names: list[str]) -> str:
    """`credreg pathway check`: the status, the requirement tree (✓ met, ✗ missing, each leaf's
    credential file), what is missing, and each credential's verdict and why it did or did not count."""
    p = data["pathway"]
    title = f"{p['name']} ({p['id']}{', version ' + p['version'] if p.get('version') else ''})" if p["id"] \
        else "the pathway"
    lines = [f"{data['status'].upper()}  {title}", f"  {data['detail']}"]
    verdict = p["verdict"]
    issuer = verdict.get("issuer")
    lines.append(f"  pathway: {verdict['status']}" + (f", published by {issuer['name']} ({issuer['did']})"
                                                       if issuer else ""))
    if data["requirement"] is not None:
        lines.append("requirement:")
        lines += _requirement_lines(data["requirement"], names, 1)
    if data["missing"]:
        lines.append("missing:")
        lines += [f"  - {m}" for m in data["missing"]]
    lines.append("credentials:" if data["credentials"] else "credentials: none presented")
    for use in data["credentials"]:
        v = use["verdict"]
        name = names[use["index"]] if use["index"] < len(names) else f"credential {use['index']}"
        lines.append(f"  {'✓' if use['counted'] else '✗'} {name}: {v['status']}; {use['reason']}")
        failed = next((c for c in v["checks"] if not c["passed"]), None)
        if failed:
            lines.append(f"      {failed['name']}: {failed['detail']}")
    return "\n".join(lines)


def _requirement_lines(node: dict[str, Any], names: list[str], depth: int) -> list[str]:
    pad, mark = "  " * depth, "✓" if node["met"] else "✗"
    label = node["name"] or node.get("achievement") or node["path"]
    if node["kind"] == "achievement":
        at = node["credential"]
        met = f"met by {names[at] if at < len(names) else f'credential {at}'}" if at is not None else "missing"
        return [f"{pad}{mark} {label}: {met}"]
    what = f"all of {len(node['children'])}" if node["kind"] == "allOf" else \
        f"{node['needed']} of {len(node['children'])}"
    lines = [f"{pad}{mark} {label} ({what} needed, {node['metCount']} met)"]
    for child in node["children"]:
        lines += _requirement_lines(child, names, depth + 1)
    return lines
