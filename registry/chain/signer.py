"""Where the signing key comes from: ``CREDREG_PRIVATE_KEY`` or an encrypted keystore.

The caller reads the key or the keystore's password (the CLI: from its Settings) and passes them
in; this module never reads the environment. Invariant 9: the key is never logged, printed or
written. Errors say which source failed and why, never what the key was.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry.errors import ConfigError

KEY_ENV = "CREDREG_PRIVATE_KEY"
PASSWORD_ENV = "CREDREG_KEYSTORE_PASSWORD"


def load_signer(keystore: Path | None = None, *, private_key: str | None = None,
                password: str | None = None) -> LocalAccount:
    """The signer from ``keystore`` (unlocked with ``password``, else a prompt), else ``private_key``.

    The messages name ``CREDREG_PRIVATE_KEY`` and ``CREDREG_KEYSTORE_PASSWORD``: where the values
    are read from.
    """
    if keystore is not None:
        return _from_keystore(Path(keystore), password)
    raw = (private_key or "").strip()
    if not raw:
        raise ConfigError(f"no signer: set {KEY_ENV} or pass --keystore FILE (with {PASSWORD_ENV})")
    try:
        return Account.from_key(raw)
    except Exception:
        # Say nothing about the value: it may be a real key with a typo.
        raise ConfigError(f"{KEY_ENV} is not a valid private key (expected 32 bytes of hex)") from None


def _from_keystore(path: Path, password: str | None) -> LocalAccount:
    try:
        keystore = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read keystore: {exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"{path}: not a JSON keystore") from None
    if isinstance(keystore, dict) and keystore.get("keyType") == "Ed25519":
        # An issuer's signing key (registry.identity.keys) decrypts too, to the wrong kind of key.
        raise ConfigError(f"{path}: an Ed25519 signing key, not an Ethereum account's keystore")
    if password is None:
        if not sys.stdin.isatty():
            raise ConfigError(f"{path}: set {PASSWORD_ENV} to unlock the keystore")
        password = getpass.getpass(f"Password for {path}: ")
    try:
        return Account.from_key(Account.decrypt(keystore, password))
    except ValueError:
        raise ConfigError(f"{path}: wrong password or damaged keystore") from None
