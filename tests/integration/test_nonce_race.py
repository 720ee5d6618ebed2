"""One-off transactions (`credreg revoke`, `issuer register`, ...) survive another process sending
from the same key between their reading of the nonce and their sending (chain.client.send): the
nonce is read again and the transaction signed anew, a bounded number of times, and then a clear
error says why. On a real anvil; the race is made by handing the first reading a stale nonce."""

from __future__ import annotations

import pytest

from registry.chain import client as chain_client
from registry.chain.client import RegistryClient, connect
from registry.errors import ChainError


@pytest.fixture()
def registry(anvil, dev_accounts):
    registry, _ = RegistryClient.deploy(connect(anvil.url), dev_accounts[0])
    return registry


def _stale_nonces(monkeypatch, w3, times: int) -> list[int]:
    """The next ``times`` nonce readings answer one below the real one (a nonce already used)."""
    real = w3.eth.get_transaction_count
    handed: list[int] = []

    def reading(address, block="latest"):
        nonce = real(address, block)
        if len(handed) < times:
            nonce -= 1
        handed.append(nonce)
        return nonce

    monkeypatch.setattr(w3.eth, "get_transaction_count", reading)
    return handed


def test_a_nonce_taken_meanwhile_is_read_again(registry, dev_accounts, monkeypatch):
    owner = dev_accounts[0]
    handed = _stale_nonces(monkeypatch, registry.w3, times=1)
    issuer_id, receipt = registry.register_issuer("Academy", "did:web:academy.example", dev_accounts[1].address, owner)
    assert receipt["status"] == 1 and issuer_id == 1
    assert len(handed) == 2 and handed[1] == handed[0] + 1  # refused once, then sent with the fresh nonce
    assert registry.w3.eth.get_transaction_count(owner.address) == handed[1] + 1


def test_a_key_kept_busy_gives_up_with_a_clear_error(registry, dev_accounts, monkeypatch):
    _stale_nonces(monkeypatch, registry.w3, times=chain_client.NONCE_ATTEMPTS)
    with pytest.raises(ChainError, match="taken by another transaction of .* 3 times in a row; is another "
                                         "process sending from this key"):
        registry.register_issuer("Academy", "did:web:academy.example", dev_accounts[1].address, dev_accounts[0])
    assert registry.issuer_of_key(dev_accounts[1].address) == 0  # nothing was sent
