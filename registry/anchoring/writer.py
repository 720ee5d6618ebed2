"""A batch's credential files: each credential's document with its proof, one atomic file each.

Up to a million files a night, so the loop computes per file only what differs (the leaf's path
comes rendered from the tree, in leaf order), and large batches are split between forked writer
processes that share the tree copy-on-write.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256

import rfc8785

from registry.anchoring._crashpoints import checkpoint
from registry.anchoring.files import AtomicDirectory
from registry.credentials.proofs import DATA_INTEGRITY_PROOF, FORMAT_1_TYPE, MERKLE_CRYPTOSUITE
from registry.errors import ChainError, CredregError
from registry.identity.did import blockchain_account_id
from registry.merkle.tree import MerkleTree, build_tree
from registry.store import Batch, Store, StoredDocument

_UUID_ID = re.compile(r"urn:uuid:[0-9a-fA-F-]{1,36}")


def credential_file_name(credential_id: str) -> str:
    """``<uuid>.json`` for urn:uuid ids; otherwise a digest, so no id can escape ``--out``."""
    if _UUID_ID.fullmatch(credential_id):
        return f"{credential_id[9:].lower()}.json"
    return sha256(credential_id.encode()).hexdigest()[:32] + ".json"


@dataclass(frozen=True)
class ChainedProof:
    """The parts of a format-2 anchor proof that all of a batch's credentials share.

    Everything is RFC 8785 text already (keys in order, no spaces), so each file's proof is the
    batch's parts with its own ``previousProof``, path and ``targetHash`` put in.
    """

    created: str
    verification_method: str
    receipt_head: str  # '{"anchor":{…},"merkleRoot":"…","path":'


@dataclass(frozen=True)
class WriteSpec:
    """What a writer process needs to write its range of a batch."""

    store_url: str
    batch_id: int
    out_dir: str
    proof_head: str  # format 1: the proof object's text up to its per-leaf members
    chained: ChainedProof | None = None  # format 2
    bake: Callable[[str], tuple[str, bytes] | None] | None = None  # AnchorOptions.bake


def _chained_proof(parts: ChainedProof, signature_id: str, target: str, path: str) -> str:
    """The ``credreg-merkle-2026`` proof of one leaf, as RFC 8785 text."""
    # The tree renders paths as json.dumps does ('{"left": "…"}, {…}'); RFC 8785 has no spaces,
    # and hex digests hold neither pattern.
    compact = path.replace('": "', '":"').replace("}, {", "},{")
    receipt = f'{parts.receipt_head}{compact},"targetHash":"{target}"}}'.encode()
    value = base64.urlsafe_b64encode(receipt).rstrip(b"=").decode()
    return (f'{{"created":"{parts.created}","cryptosuite":"{MERKLE_CRYPTOSUITE}",'
            f'"previousProof":"{signature_id}","proofPurpose":"assertionMethod","proofValue":"u{value}",'
            f'"type":"{DATA_INTEGRITY_PROOF}","verificationMethod":"{parts.verification_method}"}}')


def document_text(spec: WriteSpec, cid: str, target: str, doc: str, signature_id: str | None, path: str) -> str:
    """One credential's file: its stored text with the anchor proof put in (``path`` as the tree
    renders it). A signed credential (format 2) is stored ending in its ``"proof":[<signature>]}``:
    the anchor proof joins that list. An unsigned one (format 1) gets its single proof object."""
    head = spec.proof_head
    if signature_id is None:
        return f'{doc[:-1]},"proof":{head}"targetHash":"{target}","path":{path}}}}}\n'
    if spec.chained is None or not doc.endswith("}]}"):
        raise CredregError(f"batch {spec.batch_id}: credential {cid} is signed but its stored text "
                           "does not end with its signature proof; store damaged?")
    return f'{doc[:-2]},{_chained_proof(spec.chained, signature_id, target, path)}]}}\n'


def proof_parts(batch: Batch) -> tuple[str, ChainedProof]:
    """What every file of a confirmed batch shares: the format-1 proof's head, the format-2 parts."""
    anchor = {"chainId": batch.chain_id, "registry": batch.registry,
              "transactionHash": batch.tx_hash, "blockNumber": batch.block_number}
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(batch.anchored_at))
    head = (f'{{"type":"{FORMAT_1_TYPE}","created":"{created}","proofPurpose":"assertionMethod",'
            f'"merkleRoot":"{batch.root}","anchor":{json.dumps(anchor, separators=(",", ":"))},')
    # Format 2 (signed credentials): the receipt's members in RFC 8785 order, up to the path.
    receipt_head = f'{{"anchor":{rfc8785.dumps(anchor).decode()},"merkleRoot":"{batch.root}","path":'
    chained = ChainedProof(created, f"did:pkh:{blockchain_account_id(batch.chain_id, batch.signer)}"
                           "#blockchainAccountId", receipt_head)
    return head, chained


def batch_tree(store: Store, batch: Batch) -> MerkleTree:
    """The batch's tree rebuilt from its stored leaves (and salt), checked against its root."""
    leaves = [bytes.fromhex(h) for h in store.leaf_hashes(batch.id)]
    tree = build_tree(leaves + ([bytes.fromhex(batch.salt)] if batch.salt else []))
    if tree.root_hex != batch.root:
        raise ChainError(f"batch {batch.root}: the stored leaves give root {tree.root_hex}; store damaged?")
    return tree


def anchored_texts(store: Store, rows: Iterable[StoredDocument]) -> Iterator[tuple[str, str]]:
    """(credential id, its file's text) of chosen credentials of written batches, each as the job
    wrote it, for readers (pathway awards) that must not depend on where the files went. Each
    batch's tree is rebuilt once; a leaf's path is the tree's, rendered as the job renders it."""
    trees: dict[int, tuple[MerkleTree, WriteSpec]] = {}
    for row in rows:
        if row.batch_id not in trees:
            batch = store.batch(row.batch_id)
            head, chained = proof_parts(batch)
            trees[row.batch_id] = (batch_tree(store, batch), WriteSpec("", batch.id, "", head, chained))
        tree, spec = trees[row.batch_id]
        path = next(tree.proofs_json(row.leaf_index, row.leaf_index + 1))
        yield row.credential_id, document_text(spec, row.credential_id, row.target_hash, row.document,
                                               row.signature_id, path)


def write_range(spec: WriteSpec, tree: MerkleTree, start: int, stop: int,
                 say: Callable[[str], None] | None) -> None:
    """Write the files of leaves [start, stop): document + proof (:func:`document_text`), each
    file atomically."""
    from sqlalchemy import create_engine

    store = Store(create_engine(spec.store_url))
    step = max(1, (stop - start) // 10)
    # Per file, only what differs is computed: this loop runs a million times a night.
    written = 0
    rows = store.batch_documents(spec.batch_id, start, stop)
    with AtomicDirectory(spec.out_dir) as out:
        # The store yields leaves in order, as the tree hands out their paths.
        for n, ((leaf, cid, target, doc, signature_id), path) in enumerate(zip(rows, tree.proofs_json(start, stop))):
            if leaf != start + n:
                break
            text = document_text(spec, cid, target, doc, signature_id, path)
            name = credential_file_name(cid)
            out.write(name, text.encode())
            if spec.bake is not None and (badge := spec.bake(text)) is not None:
                out.write(f"{name[:-5]}.{badge[0]}", badge[1])  # beside it: <uuid>.png or <uuid>.svg
            written = n + 1
            if n == (stop - start) // 2:
                checkpoint("writing")
            if say and stop - start >= 10_000 and n and n % step == 0:
                say(f"  files: {n * 100 // (stop - start)} % of {stop - start:,}")
    store.engine.dispose()
    if written != stop - start:
        raise CredregError(f"batch {spec.batch_id}: the store has no credential at leaf {start + written}; "
                           "the batch cannot be written until it does")


def write_parallel(spec: WriteSpec, tree: MerkleTree, count: int, workers: int,
                    say: Callable[[str], None]) -> None:
    if workers <= 1:
        write_range(spec, tree, 0, count, say)
        return
    bounds = [count * i // workers for i in range(workers + 1)]
    ctx = multiprocessing.get_context("fork")  # the tree is shared copy-on-write, not pickled
    procs = [ctx.Process(target=write_range, args=(spec, tree, bounds[i], bounds[i + 1], say if i == 0 else None))
             for i in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise CredregError(f"writing credential files failed (worker exit codes {failed}); run again to finish")
