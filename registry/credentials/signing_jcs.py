"""The issuer's signature on a document that is not JSON-LD: W3C Data Integrity ``eddsa-jcs-2022``.

vc-di-eddsa §3.3: the proof configuration is the proof options without ``proofValue`` (given the
document's ``@context`` when it has one); both it and the document without ``proof`` are
canonicalized with RFC 8785 (JCS); ``hashData`` is sha256(canonical proof configuration) followed
by sha256(canonical document); the Ed25519 signature of ``hashData`` is the ``proofValue``,
``z`` + base58btc. Verifying does the inverse.

credreg signs pathways with it: a pathway is plain JSON, its terms defined by no JSON-LD context,
so ``eddsa-rdfc-2022`` (which canonicalizes the RDF a context gives the document) cannot sign it.
The signer is anything with ``sign(bytes) -> bytes`` (``registry.identity.keys.SigningKey``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.credentials._base58 import b58encode
from registry.credentials.signing import PROOF_TYPE, Signer, signature_proof
from registry.errors import BadInput

CRYPTOSUITE = "eddsa-jcs-2022"


def proof_configuration(document: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without ``proofValue``, with the document's ``@context`` if it has one."""
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != CRYPTOSUITE:
        raise BadInput(f"proof options: type must be {PROOF_TYPE!r} with cryptosuite {CRYPTOSUITE!r}")
    config = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def hash_data(document: Mapping[str, Any], config: Mapping[str, Any]) -> bytes:
    """``sha256(JCS(proof configuration)) + sha256(JCS(document without proof))``: what is signed."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return hashlib.sha256(rfc8785.dumps(dict(config))).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()


def create_proof(document: Mapping[str, Any], options: Mapping[str, Any], signer: Signer) -> dict[str, Any]:
    """The ``eddsa-jcs-2022`` proof of ``document`` (its ``proof``, if any, left out) for ``options``."""
    config = proof_configuration(document, options)
    proof = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
    proof["proofValue"] = "z" + b58encode(signer.sign(hash_data(document, config)))
    return proof


def verify(secured: Mapping[str, Any], public_key: bytes) -> bool:
    """Whether ``secured``'s ``eddsa-jcs-2022`` proof is a valid signature by the raw Ed25519 ``public_key``.

    ``proof`` is that proof, or a list holding exactly one such proof beside others (format 2:
    the anchor chained to it), checked over the document without ``proof``. Malformed proofs
    are not valid."""
    proof, signature = signature_proof(secured, CRYPTOSUITE)
    if proof is None or signature is None:
        return False
    document = {k: v for k, v in secured.items() if k != "proof"}
    if "@context" in proof and proof["@context"] != document.get("@context"):
        return False
    try:
        data = hash_data(document, proof_configuration(document, proof))
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError, BadInput):
        return False
    return True
