"""Where `credreg deploy` records the registry it deployed: ``$CREDREG_HOME/deployments.json``.

Keyed by chain id, so a home can hold an anvil and a Sepolia deployment side by side.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from registry.errors import ConfigError


class Deployment(NamedTuple):
    chain_id: int
    address: str
    block_number: int
    transaction_hash: str


def _path(home: Path) -> Path:
    return Path(home) / "deployments.json"


def _read(home: Path) -> dict:
    path = _path(home)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None


def recorded(home: Path, chain_id: int) -> Deployment | None:
    entry = _read(home).get(str(chain_id))
    return Deployment(chain_id, **entry) if entry else None


def resolve(home: Path, chain_id: int, address: str | None = None) -> tuple[str, int]:
    """The registry to use, and the block to read its history from: ``address`` when given
    (history from the recorded deployment block if it is that one, else 0), otherwise what
    `credreg deploy` recorded for this chain."""
    found = recorded(home, chain_id)
    if address:
        same = found is not None and found.address.lower() == address.lower()
        return address, found.block_number if same else 0
    if found is None:
        raise ConfigError(f"no registry for chain {chain_id}: pass --registry, set CREDREG_REGISTRY, "
                          f"or run `credreg deploy` (home {home})")
    return found.address, found.block_number


def record(home: Path, deployment: Deployment) -> None:
    data = _read(home)
    entry = deployment._asdict()
    del entry["chain_id"]
    data[str(deployment.chain_id)] = entry
    path = _path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
