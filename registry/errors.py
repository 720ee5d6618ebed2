"""The one exception hierarchy of credreg.

Every error a user can cause or meet derives from :class:`CredregError` and carries the exit
code the CLI returns for it (ARCHITECTURE.md: 1 failure, 2 bad input, 3 chain unreachable).
Messages name the file, field or value at fault.
"""

from __future__ import annotations


class CredregError(Exception):
    """Base of every error credreg raises on purpose."""

    exit_code: int = 1


class BadInput(CredregError):
    """The user gave input that cannot be used (a file, a flag, a value)."""

    exit_code = 2


class InvalidCredential(BadInput):
    """A credential document is malformed or not an Open Badges 3.0 credential."""


class ConfigError(BadInput):
    """Configuration is missing or wrong (no registry address, no signer, bad URL)."""


class ChainUnavailable(CredregError):
    """The chain cannot be read or written: node down, timeout, wrong chain."""

    exit_code = 3


class ChainError(CredregError):
    """The chain answered, but not as needed: a reverted or dropped transaction, a bad contract."""


class NotAuthorized(ChainError):
    """The signer may not do this on the registry (no issuer key, not the owner, wrong issuer)."""


class StoreError(CredregError):
    """The local store is unreadable or inconsistent."""
