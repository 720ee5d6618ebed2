"""Reading a credential's proofs back: the format, and the receipt in a credreg-merkle-2026 proofValue."""

from __future__ import annotations

import base64
import hashlib

import pytest
import rfc8785

from registry.credentials import proofs
from registry.errors import BadInput

RECEIPT = {"targetHash": "ab" * 32, "merkleRoot": "cd" * 32, "path": [{"left": "ef" * 32}],
           "anchor": {"chainId": 31337, "registry": "0x" + "12" * 20, "transactionHash": "0x" + "34" * 32,
                      "blockNumber": 7}}


def _value(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_receipt_round_trips_as_unpadded_base64url_of_rfc8785_json():
    value = proofs.encode_receipt(RECEIPT)
    assert value.startswith("u") and "=" not in value and "+" not in value and "/" not in value
    assert base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4)) == rfc8785.dumps(RECEIPT)
    assert proofs.decode_receipt(value) == RECEIPT


@pytest.mark.parametrize("value, message", [
    (None, "must start with 'u'"),
    ("z" + proofs.encode_receipt(RECEIPT)[1:], "must start with 'u'"),
    ("uab+c", "not base64url without padding"),
    ("uabc=", "not base64url without padding"),
    ("uabcde", "not base64url without padding"),  # a length no base64 text has
    (_value(b"\xff\xfe"), "not UTF-8"),
    (_value(b'{"targetHash": '), "invalid JSON"),
    (_value(b'{"a": 1, "a": 2}'), "duplicate key"),
    (_value(b"[1, 2]"), "must hold a JSON object"),
    (_value(b'{"targetHash": "ab"}'), "has no merkleRoot, path, anchor"),
])
def test_a_bad_proof_value_is_bad_input_naming_the_proof(value, message):
    with pytest.raises(BadInput, match=message) as bad:
        proofs.decode_receipt(value, proof="proof[1]")
    assert str(bad.value).startswith("proof[1]: ")


def test_the_format_is_told_by_the_shape_of_proof():
    assert proofs.proof_format({}) is None
    assert proofs.proof_format({"proof": {"type": proofs.FORMAT_1_TYPE}}) == 1
    assert proofs.proof_format({"proof": []}) == 2
    with pytest.raises(BadInput, match="not str"):
        proofs.proof_format({"proof": "z..."})


def test_the_format_2_hash_covers_every_proof_but_the_anchor():
    signature = {"id": "urn:uuid:1", "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
    anchor = {"type": "DataIntegrityProof", "cryptosuite": proofs.MERKLE_CRYPTOSUITE, "proofValue": "u"}
    doc = {"id": "urn:uuid:c", "proof": [signature, anchor]}
    expected = hashlib.sha256(rfc8785.dumps({"id": "urn:uuid:c", "proof": [signature]})).digest()
    assert proofs.format_2_target_hash(doc) == expected
    assert proofs.format_2_target_hash({**doc, "proof": [signature]}) == expected
    assert proofs.format_2_target_hash({**doc, "proof": [{**signature, "proofValue": "zX"}, anchor]}) != expected


@pytest.mark.parametrize("extra", [{}, {"score": 0.5}, {"big": 2**53 - 1, "small": -(2**53 - 1)}, {"naïve": "é"}, {"nested": [[{"a": None}]]}])
def test_the_format_2_hash_takes_the_fast_path_only_where_it_is_rfc8785(extra):
    signature = {"id": "urn:uuid:1", "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
    doc = {"id": "urn:uuid:c", "name": "é\u2028\"x\"", **extra, "proof": [signature]}
    assert proofs.format_2_target_hash(doc) == hashlib.sha256(rfc8785.dumps(doc)).digest()


def test_a_format_2_credential_that_cannot_be_canonicalized_is_bad_input():
    with pytest.raises(BadInput, match="canonicalized"):
        proofs.format_2_target_hash({"bad": float("nan"), "proof": []})
    with pytest.raises(BadInput, match="a list"):
        proofs.format_2_target_hash({"proof": {}})


def test_the_claimed_anchor_is_read_from_either_format_and_none_when_unreadable():
    anchor = {"chainId": 31337, "registry": "0x" + "ab" * 20, "transactionHash": "0x" + "cd" * 32, "blockNumber": 3}
    receipt = {"targetHash": "00" * 32, "merkleRoot": "11" * 32, "path": [], "anchor": anchor}
    signature = {"id": "urn:uuid:1", "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
    merkle = {"type": "DataIntegrityProof", "cryptosuite": "credreg-merkle-2026",
              "proofValue": proofs.encode_receipt(receipt)}
    assert proofs.claimed_anchor({"proof": {"type": "CredregMerkleProof2026", "anchor": anchor}}) == anchor
    assert proofs.claimed_anchor({"proof": [signature, merkle]}) == anchor
    assert proofs.claimed_anchor({"proof": [signature, {**merkle, "proofValue": "u!!"}]}) is None
    assert proofs.claimed_anchor({"proof": [merkle, merkle]}) is None  # which one? verification says
    assert proofs.claimed_anchor({"proof": "text"}) is None and proofs.claimed_anchor({}) is None


def test_a_receipt_escaping_a_surrogate_is_refused_by_name():
    # RFC 8785 never escapes a surrogate, and a lone one could not be written back in a verdict.
    import base64

    from registry.credentials import proofs
    from registry.errors import BadInput

    text = b'{"anchor":{"registry":"0x\\ud800"},"merkleRoot":"","path":[],"targetHash":""}'
    value = "u" + base64.urlsafe_b64encode(text).decode().rstrip("=")
    with pytest.raises(BadInput, match=r"proof\[1\]: the receipt in proofValue escapes a surrogate"):
        proofs.decode_receipt(value, proof="proof[1]")


@pytest.mark.parametrize("text, message", [
    (b'{"a":1,"a":1}', "duplicate key"),  # compact and sorted, but not what it parses to
    (b'{"a":NaN}', "NaN is not valid JSON"),
    (b'{"a":Infinity}', "Infinity is not valid JSON"),
])
def test_the_fast_read_of_a_receipt_refuses_what_the_strict_reader_refuses(text, message):
    with pytest.raises(BadInput, match=message):
        proofs.decode_receipt(_value(text), proof="proof[1]")


def test_a_receipt_written_otherwise_than_credreg_writes_it_reads_the_same():
    import json

    spaced = json.dumps(RECEIPT, indent=2).encode()
    assert proofs.decode_receipt(_value(spaced)) == proofs.decode_receipt(proofs.encode_receipt(RECEIPT)) == RECEIPT
