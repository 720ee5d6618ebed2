"""Issuer identity: Ed25519 signing keys (encrypted at rest) and the issuer's DID documents.

One module per job:

- :mod:`~registry.identity.multikey`: an Ed25519 public key as a Multikey ``publicKeyMultibase``
  (``z6Mk…``) and back;
- :mod:`~registry.identity.keys`: :class:`SigningKey`, generated or loaded from an encrypted
  keystore file (scrypt + AES-128-CTR, the Ethereum keystore format, marked as Ed25519);
- :mod:`~registry.identity.did`: ``did:key`` and ``did:web`` identifiers and DID documents.

The package imports only :mod:`registry.errors` and third-party packages (ARCHITECTURE.md, "Layout").
"""
