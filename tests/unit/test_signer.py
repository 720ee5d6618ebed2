"""The signer comes from the environment or an encrypted keystore, and is never echoed."""

import json

import pytest
from eth_account import Account

from registry.chain.signer import load_signer
from registry.errors import ConfigError

KEY = "0x" + "11" * 32


def test_signer_from_environment():
    assert load_signer(private_key=KEY).address == Account.from_key(KEY).address


def test_missing_signer_says_how_to_provide_one():
    with pytest.raises(ConfigError, match="CREDREG_PRIVATE_KEY"):
        load_signer(private_key=None)


def test_malformed_key_error_does_not_echo_the_key():
    bad = "0x" + "ab" * 31 + "zz"
    with pytest.raises(ConfigError) as info:
        load_signer(private_key=bad)
    assert bad not in str(info.value) and "ab" * 31 not in str(info.value)


def test_keystore_unlocks_with_the_password_from_the_environment(tmp_path):
    path = tmp_path / "k.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "pw", kdf="scrypt", iterations=2**10)))
    assert load_signer(path, password="pw").address == Account.from_key(KEY).address
    with pytest.raises(ConfigError, match="wrong password"):
        load_signer(path, password="nope")


def test_keystore_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.json"):
        load_signer(tmp_path / "missing.json", password="pw")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json"):
        load_signer(bad, password="pw")
