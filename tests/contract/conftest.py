"""Fixtures for the contract suite, run by `ape test` on the in-process network and on anvil.

Ape isolates every test (a chain snapshot per fixture scope), so the session-scoped registry is
fresh for each test, and the issuers registered by function-scoped fixtures vanish afterwards.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import ape
import pytest
from ape.exceptions import CustomError
from eth_abi import decode as abi_decode
from eth_utils import is_address, keccak, to_checksum_address


@pytest.fixture(scope="session")
def owner(accounts):
    """Registry governance (a multisig in production)."""
    return accounts[0]


@pytest.fixture(scope="session")
def key_a(accounts):
    """Issuer A's first key."""
    return accounts[1]


@pytest.fixture(scope="session")
def key_a2(accounts):
    """A second key for issuer A, used for rotation."""
    return accounts[2]


@pytest.fixture(scope="session")
def key_b(accounts):
    """Issuer B's key."""
    return accounts[3]


@pytest.fixture(scope="session")
def outsider(accounts):
    """An account that is neither the owner nor anybody's key."""
    return accounts[9]


@pytest.fixture(scope="session")
def registry(project, owner):
    return owner.deploy(project.CredentialRegistry, owner)


@pytest.fixture
def acme(registry, owner, key_a) -> int:
    """Issuer A, accredited with `key_a`; returns its id."""
    receipt = registry.registerIssuer("Acme Academy", "did:web:acme.example", key_a, sender=owner)
    return receipt.events[0].issuerId


@pytest.fixture
def globex(registry, owner, key_b, acme) -> int:
    """Issuer B, accredited with `key_b` after issuer A; returns its id."""
    receipt = registry.registerIssuer("Globex University", "did:web:globex.example", key_b, sender=owner)
    return receipt.events[0].issuerId


@pytest.fixture(scope="session")
def reverts() -> Callable[..., AbstractContextManager]:
    """`ape.reverts`, made exact.

    `ape.reverts(registry.SomeError, ...)` lets any revert pass that Ape could not decode into a
    custom error (on anvil, Ape decodes reverted transactions but neither reverted deployments
    nor reverted eth_calls), and it skips an argument name the error does not have. This
    wrapper insists on the named custom error with every named argument, decoding raw revert
    data itself when Ape did not, and fails on a revert it cannot decode at all.
    """

    @contextmanager
    def _reverts(error: type, **inputs) -> Iterator:
        with ape.reverts(error, **inputs) as info:
            yield info
        err = info.value
        if isinstance(err, CustomError):
            # Compared by name: Ape builds a fresh error class per contract container, so the
            # raised error is not always an instance of the class the test holds.
            assert type(err).__name__ == error.__name__, f"expected {error.__name__}, got {err!r}"
            actual = err.inputs
        else:
            actual = _decode_raw_revert(error, err)
        unknown = set(inputs) - set(actual)
        assert not unknown, f"{error.__name__} has no argument(s) {sorted(unknown)}"
        for name, expected in inputs.items():
            assert _normalise(actual[name]) == _normalise(expected), (
                f"{error.__name__}: {name} is {actual[name]!r}, expected {expected!r}"
            )

    return _reverts


def _decode_raw_revert(error: type, err: Exception) -> dict:
    """The arguments of `error` from the raw revert data of `err`; fails unless it is `error`."""
    candidates = (getattr(getattr(err, "base_err", None), "data", None), getattr(err, "revert_message", None))
    hex_data = [c for c in candidates if isinstance(c, str) and re.fullmatch(r"0x([0-9a-fA-F]{2})+", c)]
    data = bytes.fromhex(hex_data[0][2:]) if hex_data else None
    assert data is not None, f"expected {error.__name__}, got an undecodable revert: {err!r}"
    abi = error.abi
    selector = keccak(text=abi.selector)[:4]
    assert data[:4] == selector, f"expected {error.__name__}, got revert data 0x{data.hex()}"
    values = abi_decode([i.canonical_type for i in abi.inputs], data[4:])
    return {i.name: v for i, v in zip(abi.inputs, values, strict=True)}


def _normalise(value):
    """Accounts, checksummed and lowercase addresses compare equal; so do bytes and HexBytes."""
    if hasattr(value, "address"):
        value = value.address
    if isinstance(value, str) and is_address(value):
        return to_checksum_address(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return value
