"""A pathway made ready to queue: issuer and ``validFrom`` set, validated, signed ``eddsa-jcs-2022``.

The issuer is the signer's, from the chain (a file naming another issuer is refused: the anchor
would bind the pathway to whoever queued it); ``validFrom`` is now when the file has none; a file
with a ``proof`` is refused (publishing signs it). The signature is W3C Data Integrity
``eddsa-jcs-2022`` (:mod:`registry.credentials.signing_jcs`), the proof shaped as a credential's
signature (ARCHITECTURE.md, format 2, proof 1). The store keeps the signed text with its proof
last, as it keeps a signed credential, so the anchoring job appends the anchor proof to it, and
``targetHash`` is what :func:`registry.credentials.proofs.format_2_target_hash` recomputes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from registry.credentials import signing_jcs
from registry.credentials.canonical import rfc8785_bytes
from registry.credentials.securing import SecuredCredential, signature_options
from registry.credentials.signing import Signer
from registry.errors import InvalidPathway
from registry.pathways import document as pathway_document


def prepare(doc: Mapping[str, Any], issuer_did: str, issuer_name: str, now: str,
            source: str | None = None) -> dict[str, Any]:
    """``doc`` as it will be signed: the on-chain issuer, ``validFrom`` (``now`` when absent); read
    with :func:`registry.pathways.document.read`, so a bad field raises InvalidPathway naming it."""
    where = f"{source}: " if source else ""
    if "proof" in doc:
        raise InvalidPathway(f"{where}proof: a pathway to publish carries no proof (publishing signs it, "
                             "anchoring adds the anchor)")
    named = doc.get("issuer")
    named_id = named.get("id") if isinstance(named, Mapping) else named
    if named is not None and named_id != issuer_did:
        raise InvalidPathway(f"{where}issuer: names {named_id!r}, but the signer's key is of issuer "
                             f"{issuer_name} ({issuer_did}); a pathway is published by the issuer it names")
    out = dict(doc)
    out["issuer"] = {"id": issuer_did, "name": issuer_name}
    out.setdefault("validFrom", now)
    pathway_document.read(out, source)
    return out


def secure(prepared: Mapping[str, Any], signer: Signer, verification_method: str, created: str) -> SecuredCredential:
    """``prepared`` signed ``eddsa-jcs-2022``: its text (proof last), targetHash and signature id."""
    options = signature_options(verification_method, created) | {"cryptosuite": signing_jcs.CRYPTOSUITE}
    body = dict(prepared)
    proof = signing_jcs.create_proof(body, options, signer)
    body_text = rfc8785_bytes(body).decode()
    text = f'{body_text[:-1]},"proof":[{rfc8785_bytes(proof).decode()}]}}'
    target = hashlib.sha256(rfc8785_bytes({**body, "proof": [proof]})).hexdigest()
    return SecuredCredential(body["id"], text, target, proof["id"])
