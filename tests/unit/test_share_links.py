"""The share-link format (registry/sharing/links.py): what is sealed opens with its key only, a
changed byte or another key is refused as a damaged link, ids and tokens have their shapes."""

from __future__ import annotations

import base64
import re

import pytest

from registry.errors import BadInput
from registry.sharing import links

CREDENTIAL = b'{"id": "urn:uuid:4b1e7f4e-1111-4222-8333-944455556666", "name": "Introduction to SQL"}'


def test_a_sealed_credential_opens_with_its_key_to_the_same_bytes():
    sealed = links.seal(CREDENTIAL)
    assert links.open_sealed(sealed.blob, sealed.key) == CREDENTIAL


def test_the_blob_is_version_nonce_ciphertext_and_tag_and_holds_no_plaintext():
    sealed = links.seal(CREDENTIAL)
    assert sealed.blob[0] == links.VERSION == 1
    assert len(sealed.blob) == 1 + 12 + len(CREDENTIAL) + 16
    assert b"urn:uuid" not in sealed.blob and b"SQL" not in sealed.blob


def test_every_share_gets_a_fresh_key_and_nonce():
    first, second = links.seal(CREDENTIAL), links.seal(CREDENTIAL)
    assert first.key != second.key
    assert first.blob[1:13] != second.blob[1:13]
    assert len(base64.urlsafe_b64decode(first.key + "=")) == 32


@pytest.mark.parametrize("where", [0, 1, 12, 13, -1])
def test_a_changed_byte_anywhere_is_a_damaged_link(where):
    sealed = links.seal(CREDENTIAL)
    blob = bytearray(sealed.blob)
    blob[where] ^= 0x01
    with pytest.raises(BadInput, match="this link is damaged or its key is wrong"):
        links.open_sealed(bytes(blob), sealed.key)


def test_a_truncated_blob_is_a_damaged_link():
    sealed = links.seal(CREDENTIAL)
    for cut in (0, 5, 28, len(sealed.blob) - 1):
        with pytest.raises(BadInput, match="damaged"):
            links.open_sealed(sealed.blob[:cut], sealed.key)


def test_another_key_is_refused():
    sealed, other = links.seal(CREDENTIAL), links.seal(CREDENTIAL)
    with pytest.raises(BadInput, match="this link is damaged or its key is wrong"):
        links.open_sealed(sealed.blob, other.key)


@pytest.mark.parametrize("key", ["", "short", "A" * 42, "A" * 44, "+" * 43, "=" * 43])
def test_a_key_of_the_wrong_shape_is_refused(key):
    with pytest.raises(BadInput, match="damaged"):
        links.open_sealed(links.seal(CREDENTIAL).blob, key)


def test_ids_are_12_random_base64url_characters_and_tokens_43():
    ids = {links.new_id() for _ in range(200)}
    assert len(ids) == 200 and all(re.fullmatch(r"[A-Za-z0-9_-]{12}", i) for i in ids)
    assert all(links.is_id(i) for i in ids)
    tokens = {links.new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)


@pytest.mark.parametrize("text", ["", "abc", "A" * 11, "A" * 13, "AAAAAAAAAAA=", "AAAAAA/AAAAA", "../../etc/pa"])
def test_anything_else_is_not_an_id(text):
    assert not links.is_id(text)


def test_only_the_tokens_hash_is_kept_and_it_matches_that_token_alone():
    token = links.new_token()
    stored = links.token_hash(token)
    assert token not in stored and re.fullmatch(r"[0-9a-f]{64}", stored)
    assert links.token_matches(token, stored)
    assert not links.token_matches(links.new_token(), stored)


def test_a_link_splits_back_into_its_base_id_and_key():
    sealed = links.seal(CREDENTIAL)
    url = links.link("https://verify.example/", "AbCdEfGh_-12", sealed.key)
    assert url == f"https://verify.example/s/AbCdEfGh_-12#{sealed.key}"
    assert links.split_link(url) == ("https://verify.example", "AbCdEfGh_-12", sealed.key)
    with pytest.raises(BadInput, match="not a share link"):
        links.split_link("https://verify.example/s/short#key")


@pytest.mark.parametrize("text", ["a+b", "ab=", "a", "a b"])
def test_base64url_is_read_strictly(text):
    with pytest.raises(BadInput):
        links.from_b64url(text)
