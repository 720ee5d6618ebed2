"""Published status lists held to the chain (``credreg audit --public DIR|URL``).

For one issuer's public folder (on disk or at its URL): every list named by its index is read,
its signature checked against a key the issuer's DID lists for assertions, and its set bits
compared with what the chain's events say of the credentials its anchor map places in it. A
mismatch is named: a bit the chain does not have, a revocation the list does not show, a list
signed by another key or edited after signing, a map that places an index under a root another
issuer anchored, a revoked leaf of a mapped root that no list covers.

The anchor map comes from the issuer. What the audit proves is that the lists agree with the
chain under that map; that the map agrees with the credentials is what credreg's verifier checks
on every credential it is shown that carries a status entry of a list it knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from registry.chain.indexer import IndexState
from registry.chain.view import IssuerView
from registry.errors import BadInput
from registry.status import folder, lists

_SHOWN = 5  # indices named per kind of mismatch; the count says how many more


@dataclass(frozen=True)
class FolderAudit:
    place: str
    issuer: str | None
    lists: int
    revoked_on_chain: int
    set_in_lists: int
    mismatches: tuple[str, ...]


def audit_folder(place: str, snapshot: IndexState, deployment: tuple[int, str] | None = None) -> FolderAudit:
    """Audit the public folder at ``place`` against the chain state ``snapshot``: the lists of
    ``deployment`` (chain id, registry), the one ``snapshot`` is of (a home anchoring on two
    chains publishes lists of each; the other's are audited against its own chain)."""
    problems: list[str] = []
    try:
        fetch, name = folder.fetcher(place)
        index = folder.read_json(fetch, folder.INDEX_PATH, name)
        did = index.get("issuer") if isinstance(index, Mapping) else None
        if not isinstance(did, str) or not isinstance(index.get("lists"), list):
            raise BadInput(f"{name}{folder.INDEX_PATH}: not a status-list index (issuer, lists)")
    except BadInput as exc:
        return FolderAudit(place, None, 0, 0, 0, (str(exc),))
    issuer = next((i for i in snapshot.issuers.values() if i.did == did), None)
    if issuer is None:
        return FolderAudit(place, did, 0, 0, 0, (f"{name}: issuer {did} is not registered in the registry",))
    did_document = _did_document(fetch, name, did, problems)
    revoked_total = set_total = 0
    covered: dict[str, set[int]] = {}  # root -> leaves some list maps
    entries = [e for e in index["lists"] if deployment is None or not isinstance(e, Mapping)
               or (e.get("chainId"), str(e.get("registry", "")).lower()) == (deployment[0], deployment[1].lower())]
    for n, entry in enumerate(entries):
        try:
            revoked, set_bits = _audit_list(fetch, name, entry, issuer, did_document, snapshot, covered, problems)
        except BadInput as exc:
            problems.append(f"list {n + 1}: {exc}")
            continue
        revoked_total += revoked
        set_total += set_bits
    for root, leaves in covered.items():
        record = snapshot.roots.get(root)
        chain = set(range(record.leaf_count)) if record and record.revoked_at else set(snapshot.revoked.get(root, ()))
        unmapped = sorted(chain - leaves)
        if unmapped:
            problems.append(f"root {root[:16]}…: {len(unmapped)} leaf/leaves revoked on chain in no list "
                            f"(leaves {_few(unmapped)})")
    return FolderAudit(place, did, len(entries), revoked_total, set_total, tuple(problems))


def _audit_list(fetch, name: str, entry: object, issuer: IssuerView, did_document, snapshot: IndexState,
                covered: dict[str, set[int]], problems: list[str]) -> tuple[int, int]:
    if not isinstance(entry, Mapping) or not all(isinstance(entry.get(k), str) for k in ("url", "file", "anchors")):
        raise BadInput("not {url, file, anchors}")
    document = folder.read_json(fetch, entry["file"], name)
    where = f"{name}{entry['file']}"
    published = lists.read_list(document, where)
    if published.url != entry["url"]:
        problems.append(f"{where}: id {published.url}, but the index names {entry['url']}")
    if published.issuer != issuer.did:
        problems.append(f"{where}: issued by {published.issuer}, not by {issuer.did}")
    why = lists.signed_by_issuer(document, issuer.did, did_document)
    if why:
        problems.append(f"{where}: {why}")
    anchors = folder.read_json(fetch, entry["anchors"], name)
    if not isinstance(anchors, Mapping) or anchors.get("list") != published.url:
        raise BadInput(f"{name}{entry['anchors']}: not the anchor map of {published.url}")
    placed = folder.holders(anchors.get("runs") or [], published.size, f"{name}{entry['anchors']}")
    expected: set[int] = set()
    foreign: set[str] = set()
    for index, (root, leaf) in placed.items():
        record = snapshot.roots.get(root)
        if record is None or record.issuer_id != issuer.id:
            foreign.add(root)
            continue
        covered.setdefault(root, set()).add(leaf)
        if record.revoked_at or leaf in snapshot.revoked.get(root, ()):
            expected.add(index)
    for root in sorted(foreign):
        problems.append(f"{where}: its map places credentials under root {root[:16]}…, which the chain does not "
                        f"hold for {issuer.name} ({issuer.did})")
    missing, extra = sorted(expected - published.revoked), sorted(published.revoked - expected)
    if missing:
        problems.append(f"{where}: {len(missing)} credential(s) revoked on chain not set in the list "
                        f"(indices {_few(missing)})")
    if extra:
        problems.append(f"{where}: {len(extra)} bit(s) set that the chain does not revoke (indices {_few(extra)})")
    return len(expected), len(published.revoked)


def _did_document(fetch, name: str, did: str, problems: list[str]) -> dict | None:
    if not did.startswith("did:web:"):
        return None  # a did:key is its own document
    errors = []
    for relative in folder.did_document_paths(did):
        try:
            document = folder.read_json(fetch, relative, name)
        except BadInput as exc:
            errors.append(str(exc))
            continue
        return document if isinstance(document, dict) else None
    problems.append(f"the DID document of {did}: {'; '.join(errors)}")
    return None


def _few(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:_SHOWN])
    return shown + (f" and {len(indices) - _SHOWN} more" if len(indices) > _SHOWN else "")
