"""``credreg publish``: the issuer's status lists mirrored from the chain into its public folder.

The chain is the source of truth: a credential's bit is set when the registry's events (read
from the deployment block by the same indexer the verifier uses) revoke its leaf or its whole
root, whoever sent the revocation and from wherever. The store supplies what the chain cannot:
which credential holds which status index, and under which (root, leaf) it was anchored. Only
roots the chain says this issuer anchored count; a credential not anchored yet keeps its bit clear.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.chain.indexer import IndexState
from registry.credentials.signing import Signer
from registry.errors import BadInput, ConfigError
from registry.credentials import status_entry
from registry.status import folder, lists


@dataclass(frozen=True)
class PublishedListReport:
    number: int
    url: str
    anchored: int  # credentials of the list under a root the chain holds
    revoked: int
    bytes: int  # of the signed list credential as written


@dataclass(frozen=True)
class PublishReport:
    out_dir: str
    issuer: str
    block: int
    lists: tuple[PublishedListReport, ...]
    did_document: str | None


def publish(store, snapshot: IndexState, issuer_id: int, issuer_did: str, chain_id: int, registry: str,
            signer: Signer, verification_method: str, out_dir: Path, now: str,
            did_document: Mapping[str, Any] | None = None,
            say: Callable[[str], None] | None = None) -> PublishReport:
    """Build, sign and write every status list of the issuer as the chain has it at ``snapshot``."""
    deployment = (chain_id, registry)
    ours_lists = store.status_lists(issuer_did, deployment)
    _check_folder_is_ours(out_dir, ours_lists, issuer_did)
    revoked_roots = {root for root, record in snapshot.roots.items()
                     if record.issuer_id == issuer_id and record.revoked_at}
    ours = {root for root, record in snapshot.roots.items() if record.issuer_id == issuer_id}
    files, reports = [], []
    for status_list in ours_lists:
        # A batch not (or no longer) on chain counts for nothing: its credentials were never delivered.
        runs = [run for run in store.status_runs(status_list.id) if run[2] in ours]
        revoked = []
        for first, count, root, first_leaf in runs:
            if root in revoked_roots:
                revoked.extend(range(first, first + count))
                continue
            revoked += [first + leaf - first_leaf for leaf in snapshot.revoked.get(root, ())
                        if first_leaf <= leaf < first_leaf + count]
        credential = lists.sign_list(
            lists.list_credential(status_list.url, issuer_did, status_list.size, revoked, now),
            signer, verification_method, now)
        anchors = {"list": status_list.url, "issuer": issuer_did, "chainId": chain_id, "registry": registry,
                   "block": snapshot.block, "runs": [list(run) for run in runs]}
        files.append(folder.ListFiles(status_list.number, credential, anchors))
        reports.append(PublishedListReport(status_list.number, status_list.url, sum(r[1] for r in runs), len(revoked),
                                           len(folder.to_bytes(credential))))
    public_url = _public_url(files) if files else None
    entries = [{**folder.index_entry(f, public_url), "chainId": chain_id, "registry": registry} for f in files]
    if public_url is not None:  # the lists of the home's other deployments stay listed as they were
        entries = sorted(entries + _other_deployments(out_dir, public_url, deployment), key=lambda e: e["number"])
    index = {"issuer": issuer_did, "block": snapshot.block, "updated": now, "lists": entries}
    written = folder.write(out_dir, public_url, index, files, did_document, say)
    did_path = str(written[0]) if did_document is not None else None
    return PublishReport(str(out_dir), issuer_did, snapshot.block, tuple(reports), did_path)


def _other_deployments(site_root: Path, public_url: str, deployment: tuple[int, str]) -> list[dict[str, Any]]:
    """The index entries of lists of the issuer's other deployments, as the last publish there left them."""
    index = folder.issuer_folder(site_root, public_url) / folder.INDEX_PATH
    if not index.exists():
        return []
    try:
        entries = json.loads(index.read_text(encoding="utf-8")).get("lists") or []
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return []  # _check_folder_is_ours has refused a file that is not ours
    return [e for e in entries if isinstance(e, dict) and (e.get("chainId"), e.get("registry")) != deployment]


def _public_url(files: list[folder.ListFiles]) -> str:
    """The issuer's public URL now: the one its newest list was made under."""
    newest = files[-1]
    return newest.credential["id"].removesuffix(status_entry.list_path(newest.number))


def _check_folder_is_ours(site_root: Path, status_lists, issuer_did: str) -> None:
    """Refuse to write over another issuer's files (two issuers in one home, one public URL)."""
    if not status_lists:
        return
    newest = status_lists[-1]
    index = folder.issuer_folder(site_root, newest.url.removesuffix(status_entry.list_path(newest.number)))
    index = index / folder.INDEX_PATH
    if not index.exists():
        return
    try:
        owner = json.loads(index.read_text(encoding="utf-8")).get("issuer")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        raise BadInput(f"{index}: exists but is not a status-list index credreg wrote; move it away") from None
    if owner != issuer_did:
        raise ConfigError(f"{index} is the status-list index of {owner}: give {issuer_did} its own public URL "
                          "(CREDREG_PUBLIC_URL) or its own folder (--out, or --public-out on revoke and anchor)")
