"""The proofs a credential carries, read back: which format, and the Merkle receipt inside each.

Two formats (ARCHITECTURE.md, "The proof embedded in a credential"):

- format 1: ``proof`` is one ``CredregMerkleProof2026`` object holding the receipt's fields
  (``targetHash``, ``merkleRoot``, ``path``, ``anchor``) itself;
- format 2: ``proof`` is a list of W3C Data Integrity proofs; the ``credreg-merkle-2026`` one
  carries the receipt in ``proofValue``: ``u`` (multibase base64url) and the base64url, without
  padding, of the receipt's RFC 8785 JSON text.

This module decodes and encodes that ``proofValue`` and computes the hash each format anchors.
It reads documents; it checks nothing against a chain (that is :mod:`registry.verification`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import rfc8785

from registry.credentials._receipt_fast import b64url_bytes, canonical_receipt
from registry.credentials.canonical import rfc8785_bytes, target_hash
from registry.credentials.loading import parse_json_with_plainness
from registry.errors import BadInput

FORMAT_1_TYPE = "CredregMerkleProof2026"
MERKLE_CRYPTOSUITE = "credreg-merkle-2026"
DATA_INTEGRITY_PROOF = "DataIntegrityProof"
RECEIPT_FIELDS = ("targetHash", "merkleRoot", "path", "anchor")

# RFC 8785 text never escapes a surrogate; a lone one (valid JSON, not Unicode) could not even be
# written back in a verdict. A receipt holds hex, numbers and an address: refusing every
# surrogate escape costs nothing legitimate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def proof_format(doc: Mapping[str, Any]) -> int | None:
    """1 for one proof object, 2 for a list of proofs, None without a proof; BadInput otherwise."""
    proof = doc.get("proof")
    if proof is None:
        return None
    if isinstance(proof, Mapping):
        return 1
    if isinstance(proof, list):
        return 2
    raise BadInput(f"proof must be an object (format 1) or a list of proofs (format 2), not {type(proof).__name__}")


def decode_receipt(proof_value: object, *, proof: str = "proof") -> dict[str, Any]:
    """The Merkle receipt in a ``credreg-merkle-2026`` ``proofValue``; BadInput naming ``proof``."""
    if not isinstance(proof_value, str) or not proof_value.startswith("u"):
        raise BadInput(f"{proof}: proofValue must start with 'u' (multibase base64url)")
    raw = b64url_bytes(proof_value[1:])  # C speed: see _receipt_fast
    if raw is None:
        raise BadInput(f"{proof}: proofValue is not base64url without padding")
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw):
        raise BadInput(f"{proof}: the receipt in proofValue escapes a surrogate: not RFC 8785 JSON")
    receipt = canonical_receipt(raw)  # written as credreg writes it: the C parser may read it
    if receipt is None:  # not as credreg writes it: the strict reader, which names what is wrong
        try:
            receipt, _ = parse_json_with_plainness(raw.decode("utf-8"), f"{proof}: proofValue")
        except UnicodeDecodeError:
            raise BadInput(f"{proof}: proofValue is not UTF-8 JSON") from None
    if not isinstance(receipt, dict):
        raise BadInput(f"{proof}: proofValue must hold a JSON object, not {type(receipt).__name__}")
    missing = [name for name in RECEIPT_FIELDS if name not in receipt]
    if missing:
        raise BadInput(f"{proof}: the receipt in proofValue has no {', '.join(missing)}")
    return receipt


def claimed_anchor(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``anchor`` object the document's proof claims, in either format, or None when there is
    none that can be read. A hint only (where to look on chain): verification checks it all."""
    proof = doc.get("proof")
    if isinstance(proof, Mapping):
        anchor = proof.get("anchor")
    elif isinstance(proof, list):
        anchors = [p for p in proof if isinstance(p, Mapping) and p.get("cryptosuite") == MERKLE_CRYPTOSUITE]
        try:
            anchor = decode_receipt(anchors[0].get("proofValue")).get("anchor") if len(anchors) == 1 else None
        except BadInput:
            anchor = None
    else:
        anchor = None
    return anchor if isinstance(anchor, Mapping) else None


def read_receipt(doc: Mapping[str, Any], source: str = "credential") -> tuple[Mapping[str, Any], bytes]:
    """The Merkle receipt a credential carries, in either format, and the hash it must commit to
    (computed here, never taken from the receipt); BadInput naming ``source`` when there is none.
    A reading for tools (revoke, inspect); the verifier checks far more."""
    fmt = proof_format(doc)
    if fmt == 1:
        return doc["proof"], target_hash(doc)
    if fmt == 2:
        anchors = [p for p in doc["proof"] if isinstance(p, Mapping) and p.get("cryptosuite") == MERKLE_CRYPTOSUITE]
        if len(anchors) != 1:
            raise BadInput(f"{source}: {len(anchors)} {MERKLE_CRYPTOSUITE} proofs, not one: not anchored by credreg")
        return decode_receipt(anchors[0].get("proofValue"), proof=f"{source}: proof"), format_2_target_hash(doc)
    raise BadInput(f"{source}: no proof in this credential: not anchored yet")


def anchor_proof(receipt: Mapping[str, Any], previous_proof: str, verification_method: str,
                 created: str) -> dict[str, str]:
    """The ``credreg-merkle-2026`` proof of format 2 for ``receipt``, chained to ``previous_proof``.

    The anchoring job writes the same object as text, fast (``anchoring.writer``); this is its
    plain form for tools and tests, and a test holds the two to the same bytes."""
    return {"created": created, "cryptosuite": MERKLE_CRYPTOSUITE, "previousProof": previous_proof,
            "proofPurpose": "assertionMethod", "proofValue": encode_receipt(receipt), "type": DATA_INTEGRITY_PROOF,
            "verificationMethod": verification_method}


def encode_receipt(receipt: Mapping[str, Any]) -> str:
    """The ``proofValue`` of a receipt: ``u`` + base64url, unpadded, of its RFC 8785 JSON."""
    return "u" + base64.urlsafe_b64encode(rfc8785.dumps(dict(receipt))).decode("ascii").rstrip("=")


def format_2_target_hash(doc: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """What a format-2 anchor commits to: sha256 of RFC 8785 of the credential with only its
    ``credreg-merkle-2026`` proofs taken out of the ``proof`` list (so it covers the signature).

    The verifier hashes every format-2 credential it is shown with this, so it takes the same C
    encoder fast path as :func:`~registry.credentials.target_hash` (``plain`` as there)."""
    proofs = doc.get("proof")
    if not isinstance(proofs, list):
        raise BadInput("a format-2 credential's proof must be a list")
    kept = [p for p in proofs if not (isinstance(p, Mapping) and p.get("cryptosuite") == MERKLE_CRYPTOSUITE)]
    return hashlib.sha256(rfc8785_bytes({**doc, "proof": kept}, plain=plain)).digest()
