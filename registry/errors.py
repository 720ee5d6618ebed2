"""The one exception hierarchy of credreg.

Every error a user can cause or meet derives from :class:`CredregError` and carries the
:class:`ExitCode` the CLI returns for it (ARCHITECTURE.md). Messages name the file, field or value
at fault.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What `credreg` exits with; named once, here, beside the errors that carry them."""

    OK = 0
    FAILURE = 1  # failed, or not valid
    BAD_INPUT = 2  # usage error or input that cannot be used
    CHAIN_UNAVAILABLE = 3  # the chain cannot be read (or an anchor is not deep enough yet)
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class CredregError(Exception):
    """Base of every error credreg raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE


class BadInput(CredregError):
    """The user gave input that cannot be used (a file, a flag, a value)."""

    exit_code = ExitCode.BAD_INPUT


class InvalidCredential(BadInput):
    """A credential document is malformed or not an Open Badges 3.0 credential."""


class InvalidPathway(BadInput):
    """A pathway document is malformed: the message names the field at fault."""


class ConfigError(BadInput):
    """Configuration is missing or wrong (no registry address, no signer, bad URL)."""


class ChainUnavailable(CredregError):
    """The chain cannot be read or written: node down, timeout, wrong chain."""

    exit_code = ExitCode.CHAIN_UNAVAILABLE


class ChainError(CredregError):
    """The chain answered, but not as needed: a reverted or dropped transaction, a bad contract."""


class NotAuthorized(ChainError):
    """The signer may not do this on the registry (no issuer key, not the owner, wrong issuer)."""


class StoreError(CredregError):
    """The local store is unreadable or inconsistent."""
