"""`credreg inspect FILE`: a credential (or a baked badge's), its proofs decoded and its issuer DID, offline.

Nothing is checked on chain: what inspect can check without one, it does (the targetHash
against the hash recomputed from the document, the Merkle path against the root).
"""

from __future__ import annotations

from typing import Any

from registry.cli import output
from registry.cli.context import Context
from registry.cli.sharing import load_credential_or_badge
from registry.errors import BadInput, ExitCode

LEAF_POSITION = "not derivable offline: it follows from the path and the leaf count anchored on chain"
_PROOF_FIELDS = ("type", "cryptosuite", "id", "created", "verificationMethod", "proofPurpose", "previousProof")


def cmd_inspect(ctx: Context) -> int:
    from registry import credentials
    from registry.credentials import proofs

    path = ctx.args.file
    doc, baked = load_credential_or_badge(path)  # unreadable, not JSON, a hostile image: exit 2, naming the file
    credentials.validate({k: v for k, v in doc.items() if k != "proof"}, str(path))
    try:
        form = proofs.proof_format(doc)
        if form == 1:
            described = [_format_1(doc)]
        elif form == 2:
            described = [_format_2(doc, proof, f"proof[{n}]") for n, proof in enumerate(doc["proof"])]
        else:
            described = []
    except BadInput as exc:
        raise BadInput(f"{path}: {exc}") from None
    data = {"file": str(path), "credential": {k: v for k, v in doc.items() if k != "proof"},
            "issuer": _issuer(doc["issuer"]), "proofFormat": form, "proofs": described}
    text = output.inspection(data)
    if baked:
        data["unbakedFrom"] = str(path)
        text = f"unbaked from {path} ({baked.upper()} badge)\n{text}"
    ctx.emit(data, text)
    return ExitCode.OK


def _format_1(doc: dict) -> dict[str, Any]:
    from registry import credentials

    proof = doc["proof"]
    return {**_fields(proof), **_receipt(proof, credentials.target_hash_hex(doc))}


def _format_2(doc: dict, proof: object, name: str) -> dict[str, Any]:
    from registry.credentials import proofs

    if not isinstance(proof, dict):
        raise BadInput(f"{name}: must be an object, not {type(proof).__name__}")
    described = _fields(proof)
    if proof.get("cryptosuite") == proofs.MERKLE_CRYPTOSUITE:
        receipt = proofs.decode_receipt(proof.get("proofValue"), proof=name)
        described["receipt"] = _receipt(receipt, proofs.format_2_target_hash(doc).hex())
    return described


def _fields(proof: dict) -> dict[str, Any]:
    return {name: proof[name] for name in _PROOF_FIELDS if name in proof}


def _receipt(receipt: dict, computed: str) -> dict[str, Any]:
    """The receipt's fields, and what can be checked about them offline."""
    from registry.merkle.paths import parse_path, verify_path

    target, root, path = receipt.get("targetHash"), receipt.get("merkleRoot"), receipt.get("path")
    described: dict[str, Any] = {"targetHash": target, "computedTargetHash": computed,
                                 "targetHashMatches": target == computed, "merkleRoot": root}
    try:
        steps = parse_path(path)
        described["path"] = {"length": len(steps), "sides": ["left" if left else "right" for left, _ in steps]}
    except BadInput as exc:
        steps, described["path"] = None, {"error": str(exc)}
    try:  # from the recomputed hash: what matters is whether this document is under the root
        described["pathReachesRoot"] = steps is not None and verify_path(computed, steps, root)
    except BadInput:  # a merkleRoot that is not a digest
        described["pathReachesRoot"] = False
    described["leafPosition"] = LEAF_POSITION
    described["anchor"] = receipt.get("anchor")
    return described


def _issuer(issuer: object) -> dict[str, Any]:
    from registry.identity import did as dids

    described: dict[str, Any] = {"id": issuer.get("id"), "name": issuer.get("name")} \
        if isinstance(issuer, dict) else {"id": issuer}
    subject = described["id"]
    if isinstance(subject, str) and subject.startswith("did:key:"):
        described["method"] = "did:key"
        try:
            document = dids.did_key_document(subject)
            described["publicKeyMultibase"] = document["verificationMethod"][0]["publicKeyMultibase"]
            described["verificationMethod"] = document["verificationMethod"][0]["id"]
        except BadInput as exc:
            described["error"] = str(exc)
    elif isinstance(subject, str) and subject.startswith("did:web:"):
        described["method"] = "did:web"
        try:
            described["didDocumentUrl"] = dids.parse_did_web(subject).url
        except BadInput as exc:
            described["error"] = str(exc)
    return described
