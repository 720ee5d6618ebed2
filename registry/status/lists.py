"""``BitstringStatusListCredential`` documents (W3C Bitstring Status List v1.0): made, signed, read back.

A list credential is a VC 2.0 credential of the issuer's, signed ``eddsa-rdfc-2022`` like the
credentials it covers (``registry.credentials.signing``), whose subject carries the
``encodedList``. Every term is in the VC 2.0 context, the only one it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.credentials import signing
from registry.credentials.securing import signature_options
from registry.errors import BadInput
from registry.identity import did as dids
from registry.identity import multikey
from registry.status import bitstring

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
LIST_TYPE = "BitstringStatusListCredential"
SUBJECT_TYPE = "BitstringStatusList"


def list_credential(url: str, issuer_did: str, size: int, revoked: Iterable[int], valid_from: str) -> dict[str, Any]:
    """The unsigned list credential at ``url`` with the ``revoked`` indices set."""
    return {"@context": [VC_CONTEXT], "id": url, "type": ["VerifiableCredential", LIST_TYPE],
            "issuer": issuer_did, "validFrom": valid_from,
            "credentialSubject": {"id": f"{url}#list", "type": SUBJECT_TYPE, "statusPurpose": "revocation",
                                  "encodedList": bitstring.encode(size, revoked)}}


def sign_list(document: dict[str, Any], signer: signing.Signer, verification_method: str,
              created: str) -> dict[str, Any]:
    """``document`` with the issuer's ``eddsa-rdfc-2022`` proof as its ``proof``."""
    return signing.sign(document, signature_options(verification_method, created), signer)


@dataclass(frozen=True)
class PublishedList:
    """A list credential read back: its URL, issuer, size in bits and the indices set."""

    url: str
    issuer: str
    size: int
    revoked: frozenset[int]
    verification_method: str | None


def read_list(document: object, source: str) -> PublishedList:
    """The list a published document holds; BadInput naming ``source`` and the field otherwise."""
    def bad(message: str) -> BadInput:
        return BadInput(f"{source}: {message}")

    if not isinstance(document, Mapping):
        raise bad("not a JSON object")
    types = document.get("type")
    if not isinstance(types, list) or LIST_TYPE not in types:
        raise bad(f"type: not a {LIST_TYPE}")
    url, issuer, subject = document.get("id"), document.get("issuer"), document.get("credentialSubject")
    if not isinstance(url, str):
        raise bad("id: missing")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise bad("issuer: missing")
    if not isinstance(subject, Mapping) or subject.get("type") != SUBJECT_TYPE:
        raise bad(f"credentialSubject: not a {SUBJECT_TYPE}")
    if subject.get("statusPurpose") != "revocation":
        raise bad(f"credentialSubject.statusPurpose: {subject.get('statusPurpose')!r}, not 'revocation'")
    try:
        bits = bitstring.decode(subject.get("encodedList"))
    except BadInput as exc:
        raise bad(f"credentialSubject.{exc}") from None
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
    return PublishedList(url, issuer, len(bits) * 8, frozenset(bitstring.set_bits(bits)),
                         method if isinstance(method, str) else None)


def signed_by_issuer(document: Mapping[str, Any], issuer_did: str, did_document: Mapping[str, Any] | None) -> str:
    """Why the list's signature is not the issuer's, or "" when it is: a key the issuer's DID lists
    for assertions (did:key: the key itself; did:web: ``did_document``) made a valid proof."""
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
    if not isinstance(method, str) or not method.startswith(f"{issuer_did}#"):
        return f"signed by {method!r}, not by a key of the issuer {issuer_did}"
    public = _assertion_key(issuer_did, method, did_document)
    if public is None:
        return f"{method} is not a key the issuer's DID document lists for assertions"
    try:
        ok = signing.verify(document, public)
    except BadInput as exc:
        return f"the signature cannot be checked: {exc}"
    return "" if ok else f"the signature by {method} does not verify: the list was changed after it was signed"


def _assertion_key(issuer_did: str, method: str, did_document: Mapping[str, Any] | None) -> bytes | None:
    fragment = method.split("#", 1)[1]
    try:
        if issuer_did.startswith("did:key:"):
            return multikey.decode_public(fragment) if issuer_did == dids.did_key(fragment) else None
        if did_document is None or did_document.get("id") != issuer_did:
            return None
        if method not in (did_document.get("assertionMethod") or []):
            return None
        for vm in did_document.get("verificationMethod") or []:
            if isinstance(vm, Mapping) and vm.get("id") == method and vm.get("type") == "Multikey":
                return multikey.decode_public(vm.get("publicKeyMultibase"))
    except BadInput:
        return None
    return None
