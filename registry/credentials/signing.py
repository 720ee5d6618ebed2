"""The issuer's signature on a credential: W3C Data Integrity ``eddsa-rdfc-2022`` (vc-di-eddsa).

Creating a proof: the proof configuration is the proof options without ``proofValue``, given the
document's ``@context``; both it and the document without ``proof`` are canonicalized with
RDFC-1.0 (pyld's URDNA2015, the same algorithm, to N-Quads); ``hashData`` is the sha256 of the
canonical proof configuration followed by the sha256 of the canonical document; the Ed25519
signature of ``hashData`` is the ``proofValue``, ``z`` + base58btc. Verifying does the inverse.

JSON-LD processing reads only the contexts shipped in ``contexts/`` (listed in :data:`CONTEXTS`):
no network at issue or verify time, and any other context URL is a :class:`BadInput` naming it.
The signer is anything with ``sign(bytes) -> bytes`` (``registry.identity.keys.SigningKey``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

from registry.credentials._base58 import b58encode
from registry.credentials._dataset_template import DatasetTemplates
from registry.credentials._jsonld_memo import MemoProcessor, canonical_proof_configuration
from registry.errors import BadInput

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"
_CONTEXT_DIR = Path(__file__).with_name("contexts")
# Context URL -> file in contexts/ (contexts/README.md records where each copy comes from).
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
}
_NORMALIZE = {"algorithm": "URDNA2015", "format": "application/n-quads"}


class Signer(Protocol):
    def sign(self, data: bytes) -> bytes: ...


@cache
def _context(url: str) -> dict:
    return json.loads((_CONTEXT_DIR / CONTEXTS[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict | None = None) -> dict:
    """pyld's document loader: the shipped copy of a known context, else BadInput naming ``url``."""
    if url not in CONTEXTS:
        raise BadInput(f"unknown JSON-LD context {url}: credreg reads only the contexts it ships "
                       f"({', '.join(CONTEXTS)})")
    # A copy: pyld must not be able to change the cached context. The tag lets pyld keep its
    # resolved form for the next document (these files never change while credreg runs).
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context(url)), "tag": "static"}


_PROCESSOR = MemoProcessor()  # pyld, with processed contexts remembered: see _jsonld_memo
# pyld's normalize, from a template of the document's RDF dataset when its shape allows: see _dataset_template
_TEMPLATES = DatasetTemplates(_PROCESSOR, {**_NORMALIZE, "documentLoader": document_loader})


def canonicalize(document: dict) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD ``document``, with the shipped contexts only."""
    try:
        return _TEMPLATES.normalize(document)
    except jsonld.JsonLdError as exc:
        chain = _causes(exc)
        for cause in chain:
            if isinstance(cause, BadInput):
                raise cause from None
        # The innermost JSON-LD error says what is wrong; the outer ones only where it happened.
        inner = [c for c in chain if isinstance(c, jsonld.JsonLdError)][-1]
        code = f" ({inner.code})" if inner.code else ""
        raise BadInput(f"JSON-LD processing failed: {inner.args[0] if inner.args else inner.type}{code}") from None


def _causes(exc: BaseException) -> list[BaseException]:
    # pyld wraps what the loader raised, sometimes several levels deep, as the __cause__.
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def proof_configuration(document: dict, options: dict) -> dict:
    """The proof configuration: ``options`` without ``proofValue``, with the document's ``@context``."""
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != CRYPTOSUITE:
        raise BadInput(f"proof options: type must be {PROOF_TYPE!r} with cryptosuite {CRYPTOSUITE!r}")
    if "@context" not in document:
        raise BadInput("document: no @context")
    config = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
    config["@context"] = document["@context"]
    return config


def hash_data(document: dict, config: dict) -> bytes:
    """``sha256(canonical proof configuration) + sha256(canonical document)``: what is signed."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return (hashlib.sha256(canonical_proof_configuration(config, canonicalize).encode("utf-8")).digest()
            + hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest())


def create_proof(document: dict, options: dict, signer: Signer) -> dict:
    """The ``eddsa-rdfc-2022`` proof of ``document`` (its ``proof``, if any, left out) for ``options``."""
    config = proof_configuration(document, options)
    signature = signer.sign(hash_data(document, config))
    proof = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
    proof["proofValue"] = "z" + b58encode(signature)
    return proof


def sign(document: dict, options: dict, signer: Signer) -> dict:
    """A copy of ``document`` secured with its ``eddsa-rdfc-2022`` proof as ``proof``."""
    secured = {k: v for k, v in document.items() if k != "proof"}
    secured["proof"] = create_proof(document, options, signer)
    return secured


def verify(secured: dict, public_key: bytes) -> bool:
    """Whether ``secured``'s ``eddsa-rdfc-2022`` proof is a valid signature by the raw Ed25519 ``public_key``.

    ``proof`` is that proof, or a list holding exactly one such proof beside others (format 2:
    the anchor chained to it), which is then checked over the document without ``proof``, as a
    proof that names no ``previousProof`` is. The key is the caller's to resolve from the proof's
    ``verificationMethod``; malformed proofs are not valid, an unknown context is BadInput.
    """
    proof, signature = signature_proof(secured, CRYPTOSUITE)
    if proof is None or signature is None:
        return False
    document = {k: v for k, v in secured.items() if k != "proof"}
    if "@context" in proof:
        # vc-di-eddsa: the document's contexts must start with the proof's, which then stand for them.
        if not _starts_with(secured.get("@context"), proof["@context"]):
            return False
        document["@context"] = proof["@context"]
    data = hash_data(document, proof_configuration(document, proof))
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_proof(secured: Mapping[str, Any], cryptosuite: str) -> tuple[Mapping[str, Any] | None, bytes | None]:
    """The issuer's ``cryptosuite`` proof of ``secured`` and its decoded Ed25519 signature, (None,
    None) when there is not exactly one well-formed such proof. ``proof`` is that proof, or a list
    holding it beside others (format 2: the anchor chained to it); a proof that names a
    ``previousProof`` is not an issuer's first signature."""
    proof: Any = secured.get("proof")
    if isinstance(proof, list):
        ours = [p for p in proof if isinstance(p, Mapping) and p.get("cryptosuite") == cryptosuite]
        proof = ours[0] if len(ours) == 1 else None
    if not isinstance(proof, Mapping) or proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != cryptosuite \
            or "previousProof" in proof:
        return None, None
    signature = _decode_proof_value(proof.get("proofValue"))
    return (proof, signature) if signature is not None else (None, None)


def _decode_proof_value(value: object) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("z"):
        return None
    try:
        raw = base58.b58decode(value[1:])
    except ValueError:
        return None
    return raw if len(raw) == 64 else None


def _starts_with(context: object, prefix: object) -> bool:
    as_list = lambda c: c if isinstance(c, list) else [c]  # noqa: E731
    context, prefix = as_list(context), as_list(prefix)
    return context[: len(prefix)] == prefix
