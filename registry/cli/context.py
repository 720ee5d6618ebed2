"""What every command is handed: the parsed flags laid over one Settings, and the objects built from them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.cli import output
from registry.errors import ConfigError

if TYPE_CHECKING:  # pydantic-settings costs `credreg --help` a fifth of a second: imported when a command runs
    from registry.service.settings import Settings


def load_settings(args: argparse.Namespace) -> Settings:
    """``Settings()`` from the ``CREDREG_*`` environment, with the flags given on the command line over it."""
    from pydantic import ValidationError

    from registry.service.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"CREDREG_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"bad setting: {problems}") from None
    # An empty flag counts as not given, as an empty --home always has.
    flags = {"home": Path(args.home) if args.home else None, "rpc_url": args.rpc_url, "registry": args.registry}
    return settings.model_copy(update={name: value for name, value in flags.items() if value})


class Context:
    """The flags, the Settings (the only source of configuration), and lazily built chain objects."""

    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        self.args = args
        self.settings = settings
        self.json: bool = args.json
        self._w3 = None

    @property
    def home(self) -> Path:
        return self.settings.home

    @property
    def w3(self):
        if self._w3 is None:
            from registry.chain.client import connect

            self._w3 = connect(self.settings.rpc_url)
        return self._w3

    def signer(self):
        from registry.chain.signer import load_signer

        key, password = self.settings.private_key, self.settings.keystore_password
        return load_signer(self.args.keystore, private_key=key.get_secret_value() if key else None,
                           password=password.get_secret_value() if password else None)

    def registry(self):
        """The registry client: --registry / CREDREG_REGISTRY, else what deploy recorded."""
        from registry.chain import deployments
        from registry.chain.client import RegistryClient

        address, _ = deployments.resolve(self.home, self.w3.eth.chain_id, self.settings.registry)
        client = RegistryClient(self.w3, address)
        client.require_code()
        return client

    def store(self):
        """The local store: CREDREG_STORE_URL, else SQLite in the home."""
        from registry.store import Store

        return Store.open(self.home, self.settings.store_url)

    def keystore_password(self, prompt: str, missing: str, *, new: bool = False) -> str:
        """CREDREG_KEYSTORE_PASSWORD, else asked on a terminal (twice, and not empty, for a ``new``
        keystore); ConfigError ``missing`` when there is neither."""
        secret = self.settings.keystore_password
        if secret is not None:
            return secret.get_secret_value()
        if not sys.stdin.isatty():
            raise ConfigError(missing)
        from getpass import getpass

        password = getpass(prompt)
        if new and not password:
            raise ConfigError("the keystore password must not be empty")
        if new and getpass("again: ") != password:
            raise ConfigError("the two passwords differ")
        return password

    def emit(self, data: dict[str, Any], text: str) -> None:
        output.emit(data, text, self.json)
