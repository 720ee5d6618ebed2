"""A prepared credential made ready for the ecosystem's verifiers at issue time (format 2).

Two things are added to the document :func:`~registry.credentials.prepare` returns, then it is
signed:

- the 1EdTech JSON Schema it conforms to, as ``credentialSchema`` of type
  ``1EdTechJsonSchemaValidator2019``, with 1EdTech's extensions context (which defines that type)
  as a further ``@context`` entry: without it the term would be undefined and a safe-mode JSON-LD
  processor would refuse the credential;
- the issuer's ``eddsa-rdfc-2022`` Data Integrity proof (:mod:`~registry.credentials.signing`),
  with a fresh ``urn:uuid`` id, which the anchor proof names as its ``previousProof``.

:class:`SecuredCredential` carries what the store keeps: the JSON text with the signature proof
as its last member (``store.schema.documents`` says why) and the ``targetHash`` the anchor
commits to, the sha256 of the RFC 8785 form of the signed credential (ARCHITECTURE.md, format 2).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from registry.credentials.canonical import rfc8785_bytes
from registry.credentials.signing import CRYPTOSUITE, PROOF_TYPE, Signer, create_proof

EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
SCHEMA_ID = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"


@dataclass(frozen=True)
class SecuredCredential:
    credential_id: str
    text: str  # the signed credential ("proof": [the signature]) as the store keeps it: proof last
    target_hash: str  # hex sha256 of the RFC 8785 form of the signed credential
    signature_id: str

    def document(self) -> dict[str, Any]:
        return json.loads(self.text)


def with_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` naming the 1EdTech schema, with the context that defines its type."""
    contexts = list(doc["@context"])
    if EXTENSIONS_CONTEXT not in contexts:
        contexts.append(EXTENSIONS_CONTEXT)
    schemas = doc.get("credentialSchema", [])
    schemas = list(schemas) if isinstance(schemas, list) else [schemas]
    if not any(isinstance(s, dict) and s.get("id") == SCHEMA_ID for s in schemas):
        schemas.append({"id": SCHEMA_ID, "type": SCHEMA_TYPE})
    return {**doc, "@context": contexts, "credentialSchema": schemas}


def signature_options(verification_method: str, created: str, proof_id: str | None = None) -> dict[str, str]:
    """The options of an issuer's signature proof (vc-di-eddsa), with a fresh id unless given."""
    return {"id": proof_id or f"urn:uuid:{uuid.uuid4()}", "type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE,
            "created": created, "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}


def secure(prepared: dict[str, Any], signer: Signer, verification_method: str, created: str) -> SecuredCredential:
    """``prepared`` (no proof) with the schema reference and signed by ``signer``."""
    body = with_schema({k: v for k, v in prepared.items() if k != "proof"})
    proof = create_proof(body, signature_options(verification_method, created), signer)
    document = {**body, "proof": [proof]}
    body_text = rfc8785_bytes(body).decode()
    text = f'{body_text[:-1]},"proof":[{rfc8785_bytes(proof).decode()}]}}'
    return SecuredCredential(body["id"], text, hashlib.sha256(rfc8785_bytes(document)).hexdigest(), proof["id"])
