"""Issuer identity: the Ed25519 keystore, Multikey, did:key and did:web, and the DID document."""

from __future__ import annotations

import ast
import json
import pickle
import stat
from datetime import datetime, timezone
from pathlib import Path

import base58
import pytest
from eth_account import Account

from registry.chain.signer import load_signer
from registry.errors import BadInput, ConfigError
from registry.identity import did, keys, multikey
from registry.identity.keys import SigningKey

# The W3C vc-di-eddsa test vector's key pair (tests/unit/vectors/eddsa-rdfc-2022/keyPair.json).
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
FAST = 2**10  # scrypt N for tests; the default (2**18) takes a second per keystore


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


# --- the keystore ----------------------------------------------------------------------------

def test_a_keystore_round_trips(tmp_path, key):
    path = keys.save(key, tmp_path / "issuer.json", "correct horse", iterations=FAST)
    loaded = keys.load(path, "correct horse")
    assert loaded == key and loaded.public_multibase == key.public_multibase
    assert loaded.sign(b"data") == key.sign(b"data")  # Ed25519 is deterministic: the same secret


def test_the_keystore_is_scrypt_marked_ed25519_and_owner_only(tmp_path, key):
    path = keys.save(key, tmp_path / "issuer.json", "pw", iterations=FAST)
    document = json.loads(path.read_text())
    assert document["keyType"] == "Ed25519"
    assert document["publicKeyMultibase"] == key.public_multibase
    assert document["crypto"]["kdf"] == "scrypt" and document["crypto"]["cipher"] == "aes-128-ctr"
    assert "address" not in document
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.public_multibase(path) == key.public_multibase
    assert [p.name for p in tmp_path.iterdir()] == ["issuer.json"]  # no temporary file left


def test_the_default_kdf_is_the_ethereum_keystores_scrypt(key):
    assert keys.keystore_json(key, "pw")["crypto"]["kdfparams"]["n"] == 2**18


def test_saving_never_overwrites_a_key(tmp_path, key):
    path = keys.save(key, tmp_path / "issuer.json", "pw", iterations=FAST)
    with pytest.raises(BadInput, match=f"{path}: already exists"):
        keys.save(SigningKey.generate(), path, "pw", iterations=FAST)
    assert keys.load(path, "pw") == key


def test_a_wrong_password_is_a_config_error_naming_the_file(tmp_path, key):
    path = keys.save(key, tmp_path / "issuer.json", "pw", iterations=FAST)
    with pytest.raises(ConfigError, match=f"^{path}: wrong password"):
        keys.load(path, "not the password")


def test_an_ethereum_keystore_is_not_taken_for_a_signing_key(tmp_path):
    path = tmp_path / "eth.json"
    path.write_text(json.dumps(Account.encrypt(Account.create().key, "pw", kdf="scrypt", iterations=FAST)))
    with pytest.raises(ConfigError, match=f"^{path}: an Ethereum account's keystore, not an Ed25519"):
        keys.load(path, "pw")


def test_a_signing_key_is_not_taken_for_an_ethereum_keystore(tmp_path, key):
    path = keys.save(key, tmp_path / "issuer.json", "pw", iterations=FAST)
    with pytest.raises(ConfigError, match=f"^{path}: an Ed25519 signing key"):
        load_signer(path, password="pw")


@pytest.mark.parametrize("content, message", [
    ("not json", "not a JSON keystore"),
    ("[1]", "not a keystore"),
    ('{"crypto": {}, "version": 3}', "not an Ed25519 keystore"),
])
def test_unusable_files_are_config_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "k.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=f"^{path}: {message}"):
        keys.load(path, "pw")
    with pytest.raises(ConfigError, match=f"^{tmp_path / 'missing.json'}: cannot read"):
        keys.load(tmp_path / "missing.json", "pw")


def test_a_keystore_whose_public_key_was_swapped_is_refused(tmp_path, key):
    path = keys.save(key, tmp_path / "issuer.json", "pw", iterations=FAST)
    document = json.loads(path.read_text())
    document["publicKeyMultibase"] = VECTOR_PUBLIC
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match=f"^{path}: damaged keystore"):
        keys.load(path, "pw")


def test_the_secret_is_never_shown(tmp_path):
    key = SigningKey.from_secret_multibase(VECTOR_SECRET)
    seed = multikey.decode_secret(VECTOR_SECRET)
    shown = [repr(key), str(key), f"{key}", repr([key]), repr(vars(key) if hasattr(key, "__dict__") else "")]
    for text in shown:
        assert VECTOR_SECRET not in text and seed.hex() not in text
    assert repr(key) == f"SigningKey(publicKeyMultibase='{VECTOR_PUBLIC}')"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    # Nor in the messages of the errors a bad secret or a bad file raises.
    with pytest.raises(BadInput) as bad:
        multikey.decode_secret(VECTOR_SECRET[:-3])
    assert VECTOR_SECRET[:-3] not in str(bad.value)
    path = keys.save(key, tmp_path / "issuer.json", "pw", iterations=FAST)
    assert seed.hex() not in path.read_text() and VECTOR_SECRET not in path.read_text()
    with pytest.raises(ConfigError) as wrong:
        keys.load(path, "wrong")
    assert seed.hex() not in str(wrong.value)


def test_a_seed_must_be_32_bytes():
    with pytest.raises(BadInput, match="32 bytes, not 31"):
        SigningKey.from_seed(b"\x00" * 31)


# --- Multikey --------------------------------------------------------------------------------

def test_multikey_round_trips_the_vector_key():
    key = SigningKey.from_secret_multibase(VECTOR_SECRET)
    assert multikey.encode_public(key.public_key) == VECTOR_PUBLIC
    assert multikey.decode_public(VECTOR_PUBLIC) == key.public_key
    assert VECTOR_PUBLIC.startswith("z6Mk")


def test_multikey_round_trips_any_key(key):
    assert multikey.decode_public(multikey.encode_public(key.public_key)) == key.public_key


@pytest.mark.parametrize("value, message", [
    ("u7QE", "must start with 'z'"),
    (VECTOR_PUBLIC[1:], "must start with 'z'"),
    ("z0OIl", "not base58btc"),
    (VECTOR_SECRET, "not an Ed25519 key"),  # a secret key is not a public one
    ("zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "not an Ed25519 key"),  # secp256k1
    ("z" + base58.b58encode(b"\xed\x01" + b"\x01" * 31).decode(), "not 31"),
    (None, "must start with 'z'"),
])
def test_bad_multikeys_are_refused(value, message):
    with pytest.raises(BadInput, match=message):
        multikey.decode_public(value)


def test_only_32_byte_keys_are_encoded():
    with pytest.raises(BadInput, match="32 bytes"):
        multikey.encode_public(b"\x01" * 33)


# --- did:key ---------------------------------------------------------------------------------

def test_did_key_of_the_vector_key_is_the_known_one():
    assert did.did_key(VECTOR_PUBLIC) == f"did:key:{VECTOR_PUBLIC}"
    # The verificationMethod of the W3C vector's proof (proofConfigDataInt.json).
    assert did.did_key_verification_method(VECTOR_PUBLIC) == \
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_the_did_key_document_is_what_resolution_gives():
    subject = f"did:key:{VECTOR_PUBLIC}"
    method = f"{subject}#{VECTOR_PUBLIC}"
    assert did.did_key_document(subject) == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": subject,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": subject,
                                "publicKeyMultibase": VECTOR_PUBLIC}],
        "authentication": [method], "assertionMethod": [method],
        "capabilityDelegation": [method], "capabilityInvocation": [method],
    }


@pytest.mark.parametrize("value", ["did:web:academy.example", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
                                   "did:key:", 7])
def test_a_bad_did_key_is_refused(value):
    with pytest.raises(BadInput):
        did.did_key_document(value)


# --- did:web ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, host, port, path, url", [
    ("did:web:academy.example", "academy.example", None, (),
     "https://academy.example/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "w3c-ccg.github.io", None, ("user", "alice"),
     "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000", "example.com", 3000, (), "https://example.com:3000/.well-known/did.json"),
    ("did:web:example.com%3a3000:issuers:42", "example.com", 3000, ("issuers", "42"),
     "https://example.com:3000/issuers/42/did.json"),
    ("did:web:Academy.Example:a%20b", "academy.example", None, ("a b",),
     "https://academy.example/a b/did.json"),
    ("did:web:localhost%3A8443", "localhost", 8443, (), "https://localhost:8443/.well-known/did.json"),
])
def test_did_web_parses_to_its_document_url(value, host, port, path, url):
    parsed = did.parse_did_web(value)
    assert (parsed.host, parsed.port, parsed.path, parsed.url) == (host, port, path, url)


@pytest.mark.parametrize("value, message", [
    ("did:key:z6Mk", "not a did:web"),
    ("did:web:", "not a domain name"),
    ("did:web:exa_mple.com", "not a domain name"),
    ("did:web:-bad.example", "not a domain name"),
    ("did:web:academy..example", "not a domain name"),
    ("did:web:example.com:3000", None),  # valid: a path segment "3000", not a port
    ("did:web:example.com%3A99999", "not a port"),
    ("did:web:example.com%3Aport", "not a port"),
    ("did:web:example.com%2Fetc", "only the port"),
    ("did:web:academy.example/issuer", "no '/'"),
    ("did:web:academy.example:", "path segment ''"),
    ("did:web:academy.example::a", "path segment ''"),
    ("did:web:academy.example:..", "not a safe folder name"),
    ("did:web:academy.example:a%2Fb", "not a safe folder name"),
    ("did:web:academy.example:a b", "malformed path segment"),
    ("did:web:academy.example:a%5Cb", "not a safe folder name"),
    ("did:web:academy.example:a%00", "not a safe folder name"),
])
def test_did_web_validation(value, message):
    if message is None:
        assert did.parse_did_web(value).path == ("3000",)
        return
    with pytest.raises(BadInput, match=message):
        did.parse_did_web(value)


def test_did_web_from_the_keygen_argument():
    assert did.did_web("academy.example:issuers:1") == "did:web:academy.example:issuers:1"
    with pytest.raises(BadInput, match="did:web:https://academy.example"):
        did.did_web("https://academy.example")


# --- the did:web DID document ----------------------------------------------------------------

ISSUER = "did:web:academy.example"
ADDRESS = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


def test_the_did_web_document_lists_keys_revoked_ones_marked_and_the_anchoring_address():
    old, current, compromised = (SigningKey.generate().public_multibase for _ in range(3))
    revoked_at = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    document = did.did_web_document(ISSUER, [
        did.KeyRecord(old),  # rotated out, not compromised: its credentials keep verifying
        did.KeyRecord(compromised, revoked=revoked_at),
        did.KeyRecord(current),
    ], anchoring=(31337, ADDRESS))
    assert document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                                    "https://w3id.org/security/suites/secp256k1recovery-2020/v2"]
    assert document["id"] == ISSUER
    assert document["verificationMethod"] == [
        {"id": f"{ISSUER}#{old}", "type": "Multikey", "controller": ISSUER, "publicKeyMultibase": old},
        {"id": f"{ISSUER}#{compromised}", "type": "Multikey", "controller": ISSUER,
         "publicKeyMultibase": compromised, "revoked": "2026-03-01T12:00:00Z"},
        {"id": f"{ISSUER}#{current}", "type": "Multikey", "controller": ISSUER, "publicKeyMultibase": current},
        {"id": f"{ISSUER}#blockchainAccountId", "type": "EcdsaSecp256k1RecoveryMethod2020",
         "controller": ISSUER, "blockchainAccountId": "eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},
    ]
    assert document["assertionMethod"] == [f"{ISSUER}#{old}", f"{ISSUER}#{current}"]
    assert did.verification_method_id(ISSUER, current) == f"{ISSUER}#{current}"


def test_without_an_anchoring_address_the_document_needs_no_secp256k1_context():
    document = did.did_web_document(ISSUER, [did.KeyRecord(VECTOR_PUBLIC)])
    assert document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    assert [m["type"] for m in document["verificationMethod"]] == ["Multikey"]


@pytest.mark.parametrize("keys_, anchoring, message", [
    ([], None, "at least one signing key"),
    (["z6Mk"], None, "publicKeyMultibase"),
    ([VECTOR_PUBLIC, VECTOR_PUBLIC], None, "listed twice"),
    ([VECTOR_PUBLIC], (0, ADDRESS), "not a chain id"),
    ([VECTOR_PUBLIC], (1, "0x1234"), "not an Ethereum address"),
])
def test_a_bad_did_document_is_refused(keys_, anchoring, message):
    with pytest.raises(BadInput, match=message):
        did.did_web_document(ISSUER, [did.KeyRecord(k) for k in keys_], anchoring=anchoring)


def test_a_revocation_time_needs_a_time_zone():
    with pytest.raises(BadInput, match="time zone"):
        did.did_web_document(ISSUER, [did.KeyRecord(VECTOR_PUBLIC, revoked=datetime(2026, 1, 1))])


@pytest.mark.parametrize("subject, where", [
    ("did:web:academy.example", ".well-known/did.json"),
    ("did:web:academy.example%3A8443:issuers:a%20b", "issuers/a b/did.json"),
])
def test_the_did_document_is_written_where_the_public_folder_serves_it(tmp_path, subject, where):
    document = did.did_web_document(subject, [did.KeyRecord(VECTOR_PUBLIC)])
    written = did.write_did_document(tmp_path / "public", document)
    assert written == tmp_path / "public" / where
    assert json.loads(written.read_text()) == document
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    document["assertionMethod"] = []
    did.write_did_document(tmp_path / "public", document)  # replaced in place
    assert json.loads(written.read_text())["assertionMethod"] == []
    assert sorted(p.name for p in written.parent.iterdir()) == ["did.json"]


# --- the layout ------------------------------------------------------------------------------

def test_identity_imports_only_the_errors():
    package = Path(did.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.name} has no opening docstring"
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        rooms = {name.split(".")[1] for name in imported if name.startswith("registry.")}
        assert rooms <= {"errors", "identity"}, f"{path.name} imports {sorted(rooms)}"
