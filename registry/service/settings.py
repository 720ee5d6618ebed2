"""Settings: everything the CLI and the verifier service read from the environment, in one class.

Each field is read from ``CREDREG_<NAME>`` (``CREDREG_RPC_URL``, ``CREDREG_HOME``, ...). The CLI
builds one :class:`Settings`, lays its flags over it, and hands it on; ``credreg serve`` passes it
to its worker processes as an object, so nothing rewrites ``os.environ``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from registry.service.origins import origin

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


class Settings(BaseSettings):
    """Read from the environment: CREDREG_RPC_URL, CREDREG_REGISTRY, CREDREG_CONFIRMATIONS, ..."""

    # An empty variable counts as unset, as it always has for the CLI (CREDREG_HOME= means ./.credreg).
    model_config = SettingsConfigDict(env_prefix="CREDREG_", extra="ignore", frozen=True, env_ignore_empty=True)

    rpc_url: str = DEFAULT_RPC_URL
    registry: str | None = None  # default: the address `credreg deploy` recorded in home
    home: Path = Path(".credreg")
    store_url: str | None = None  # default: SQLite in home
    # The signer: a raw key, or the password of the keystore given with --keystore. Secret types
    # keep them out of every repr, log line and error message (invariant 9).
    private_key: SecretStr | None = None
    keystore_password: SecretStr | None = None
    # The issuer's public folder: the URL it is served at (status-list URLs are made under it;
    # default for a did:web issuer: its origin) and, for `credreg serve`, the folder to serve.
    public_url: str | None = None
    public_dir: Path | None = None
    debug: bool = False  # the CLI prints full tracebacks (as `credreg --debug` does)
    # The verifier.
    confirmations: int = Field(1, ge=1)
    max_lag_blocks: int = Field(10, ge=0)
    max_staleness_seconds: float = Field(30.0, gt=0)
    poll_interval: float = Field(1.0, gt=0)
    reorg_depth: int = Field(12, ge=0)
    start_block: int | None = None  # default: the recorded deployment block, else 0
    max_body_bytes: int = Field(1 << 20, ge=1)
    max_batch: int = Field(1000, ge=1)
    max_batch_body_bytes: int = Field(16 << 20, ge=1)
    # Batches verified in a thread beside the event loop (service/_batch_lane.py); off: on the loop.
    batch_lane: bool = True
    # Hostile use (README, "Hostile use"). A body must arrive whole within this many seconds (408).
    body_timeout_seconds: float = Field(10.0, gt=0)
    # Origins whose pages may call the API (CORS); none by default. CREDREG_CORS_ORIGINS is
    # comma-separated (https://a.example,https://b.example) or a JSON list; `*` for any origin.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    metrics_port: int | None = Field(None, ge=1, le=65535)  # /metrics on this port only (serve --metrics-port)
    # Encrypted share links (routers/shares.py). A share's body holds a credential of up to
    # max_body_bytes, encrypted and base64url'd (4/3 of it), so its cap is half as much again.
    share_max_body_bytes: int = Field(3 << 19, ge=1)
    shares_per_hour: int = Field(60, ge=1)  # per client address (hashed), 429 beyond
    share_default_days: int = Field(365, ge=1, le=3650)
    share_base_url: str | None = None  # where links point (default: the URL the request came to)
    # Keys the hash of a client's address in the store; default: a random key kept in home.
    share_client_key: SecretStr | None = None
    # `credreg share`: the verifier it stores the share on.
    verifier_url: str = "http://127.0.0.1:8000"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value) if value.lstrip().startswith("[") else [v for v in value.split(",") if v.strip()]
        if isinstance(value, list | tuple):
            return tuple(origin(v.strip()) if isinstance(v, str) else v for v in value)
        return value
