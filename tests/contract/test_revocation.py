"""revokeCredentials and revokeRoot: only a current key of the root's issuer; for good."""

import hashlib

import pytest

ROOT = hashlib.sha256(b"batch 2025-06-01").digest()
OTHER_ROOT = hashlib.sha256(b"batch 2025-06-02").digest()
LEAVES = 1024  # four bitmap words


@pytest.fixture
def batch(registry, acme, key_a):
    """ROOT, anchored by issuer A's `key_a` with LEAVES leaves; returns the anchoring receipt."""
    return registry.anchorRoot(ROOT, LEAVES, sender=key_a)


def bits(*indices: int) -> int:
    return sum(1 << (i % 256) for i in indices)


# --------------------------------------------------------------------------- revokeCredentials


def test_revoke_credentials_marks_exactly_those_leaves(registry, acme, key_a, batch):
    receipt = registry.revokeCredentials(ROOT, [7, 3], 2, sender=key_a)

    assert receipt.events == [
        registry.CredentialsRevoked(issuerId=acme, root=ROOT, leafIndices=[7, 3], reason=2)
    ]
    assert [i for i in range(12) if registry.isRevoked(ROOT, i)] == [3, 7]
    assert registry.revocationWord(ROOT, 0) == bits(3, 7)
    assert registry.rootInfo(ROOT) == (acme, LEAVES, batch.timestamp, 0)


def test_revocations_across_word_boundaries_in_any_order(registry, key_a, batch):
    indices = [512, 255, 0, 1023, 256, 511]

    registry.revokeCredentials(ROOT, indices, 1, sender=key_a)

    for index in indices:
        assert registry.isRevoked(ROOT, index) is True, index
    for index in (1, 254, 257, 510, 513, 767, 768, 1022):
        assert registry.isRevoked(ROOT, index) is False, index
    assert [registry.revocationWord(ROOT, w) for w in range(5)] == [
        bits(0, 255),
        bits(256, 511),
        bits(512),
        bits(1023),
        0,
    ]


def test_later_revocations_keep_earlier_ones_in_the_same_word(registry, key_a, batch):
    registry.revokeCredentials(ROOT, [300], 1, sender=key_a)
    registry.revokeCredentials(ROOT, [301, 5], 1, sender=key_a)
    registry.revokeCredentials(ROOT, [299], 1, sender=key_a)

    assert registry.revocationWord(ROOT, 0) == bits(5)
    assert registry.revocationWord(ROOT, 1) == bits(299, 300, 301)


def test_revocations_of_one_root_do_not_touch_another(registry, acme, key_a, batch):
    registry.anchorRoot(OTHER_ROOT, LEAVES, sender=key_a)

    registry.revokeCredentials(ROOT, [0, 300], 1, sender=key_a)

    assert registry.isRevoked(OTHER_ROOT, 0) is False
    assert registry.isRevoked(OTHER_ROOT, 300) is False
    assert registry.revocationWord(OTHER_ROOT, 0) == 0


@pytest.mark.parametrize("reason", [0, 255])
def test_revocation_reason_is_passed_through(registry, acme, key_a, batch, reason):
    receipt = registry.revokeCredentials(ROOT, [1], reason, sender=key_a)
    assert receipt.events == [
        registry.CredentialsRevoked(issuerId=acme, root=ROOT, leafIndices=[1], reason=reason)
    ]


def test_last_leaf_of_the_largest_batch_can_be_revoked(registry, acme, key_a, reverts):
    last = 2**32 - 2
    registry.anchorRoot(ROOT, 2**32 - 1, sender=key_a)

    registry.revokeCredentials(ROOT, [last], 1, sender=key_a)

    assert registry.isRevoked(ROOT, last) is True
    assert registry.revocationWord(ROOT, last >> 8) == bits(last)
    with reverts(registry.RegistryLeafIndexOutOfRange, root=ROOT, leafIndex=2**32 - 1, leafCount=2**32 - 1):
        registry.revokeCredentials(ROOT, [2**32 - 1], 1, sender=key_a)


def test_index_at_leaf_count_is_out_of_range(registry, key_a, batch, reverts):
    registry.revokeCredentials(ROOT, [LEAVES - 1], 1, sender=key_a)
    with reverts(registry.RegistryLeafIndexOutOfRange, root=ROOT, leafIndex=LEAVES, leafCount=LEAVES):
        registry.revokeCredentials(ROOT, [LEAVES], 1, sender=key_a)
    assert registry.isRevoked(ROOT, LEAVES) is False


def test_one_index_out_of_range_revokes_nothing(registry, key_a, batch, reverts):
    with reverts(registry.RegistryLeafIndexOutOfRange, root=ROOT, leafIndex=5000, leafCount=LEAVES):
        registry.revokeCredentials(ROOT, [1, 300, 5000, 2], 1, sender=key_a)
    assert [registry.revocationWord(ROOT, w) for w in range(2)] == [0, 0]


def test_already_revoked_index_is_rejected(registry, key_a, batch, reverts):
    registry.revokeCredentials(ROOT, [42], 1, sender=key_a)

    with reverts(registry.RegistryCredentialAlreadyRevoked, root=ROOT, leafIndex=42):
        registry.revokeCredentials(ROOT, [43, 42], 1, sender=key_a)
    assert registry.isRevoked(ROOT, 43) is False


@pytest.mark.parametrize(
    "indices, duplicate",
    [([9, 9], 9), ([1, 2, 1], 1), ([256, 0, 256], 256), ([700, 3, 511, 700], 700)],
    ids=["adjacent", "same word", "word revisited", "several words"],
)
def test_duplicate_index_within_one_call_is_rejected(registry, key_a, batch, indices, duplicate, reverts):
    with reverts(registry.RegistryCredentialAlreadyRevoked, root=ROOT, leafIndex=duplicate):
        registry.revokeCredentials(ROOT, indices, 1, sender=key_a)
    assert [registry.revocationWord(ROOT, w) for w in range(3)] == [0, 0, 0]


def test_empty_index_list_is_rejected(registry, key_a, batch, reverts):
    with reverts(registry.RegistryNoLeafIndices):
        registry.revokeCredentials(ROOT, [], 1, sender=key_a)


def test_unknown_root_cannot_be_revoked(registry, acme, key_a, reverts):
    with reverts(registry.RegistryUnknownRoot, root=OTHER_ROOT):
        registry.revokeCredentials(OTHER_ROOT, [0], 1, sender=key_a)
    with reverts(registry.RegistryUnknownRoot, root=OTHER_ROOT):
        registry.revokeRoot(OTHER_ROOT, 1, sender=key_a)
    assert registry.rootInfo(OTHER_ROOT) == (0, 0, 0, 0)


def test_unknown_key_cannot_revoke(registry, key_a, batch, outsider, owner, reverts):
    for sender in (outsider, owner):
        with reverts(registry.RegistryUnknownKey, key=sender):
            registry.revokeCredentials(ROOT, [0], 1, sender=sender)
        with reverts(registry.RegistryUnknownKey, key=sender):
            registry.revokeRoot(ROOT, 1, sender=sender)
    assert registry.isRevoked(ROOT, 0) is False


def test_removed_key_cannot_revoke_what_it_anchored(registry, owner, acme, key_a, key_a2, batch, reverts):
    registry.addIssuerKey(acme, key_a2, sender=owner)
    registry.removeIssuerKey(key_a, sender=owner)

    with reverts(registry.RegistryUnknownKey, key=key_a):
        registry.revokeCredentials(ROOT, [0], 1, sender=key_a)
    with reverts(registry.RegistryUnknownKey, key=key_a):
        registry.revokeRoot(ROOT, 1, sender=key_a)
    assert registry.isRevoked(ROOT, 0) is False
    assert registry.rootInfo(ROOT).revokedAt == 0


def test_rotated_in_key_can_revoke_what_the_old_key_anchored(registry, owner, acme, key_a, key_a2, batch):
    registry.addIssuerKey(acme, key_a2, sender=owner)
    registry.removeIssuerKey(key_a, sender=owner)

    receipt = registry.revokeCredentials(ROOT, [5], 3, sender=key_a2)
    assert receipt.events == [
        registry.CredentialsRevoked(issuerId=acme, root=ROOT, leafIndices=[5], reason=3)
    ]
    assert registry.isRevoked(ROOT, 5) is True

    receipt = registry.revokeRoot(ROOT, 4, sender=key_a2)
    assert receipt.events == [registry.RootRevoked(issuerId=acme, root=ROOT, reason=4)]


def test_any_current_key_of_the_issuer_can_revoke(registry, owner, acme, key_a, key_a2, batch):
    registry.addIssuerKey(acme, key_a2, sender=owner)

    registry.revokeCredentials(ROOT, [1], 1, sender=key_a2)
    registry.revokeCredentials(ROOT, [2], 1, sender=key_a)

    assert registry.revocationWord(ROOT, 0) == bits(1, 2)


def test_key_of_another_issuer_cannot_revoke_credentials(registry, acme, globex, key_b, batch, reverts):
    with reverts(registry.RegistryNotRootIssuer, root=ROOT, callerIssuerId=globex, rootIssuerId=acme):
        registry.revokeCredentials(ROOT, [0], 1, sender=key_b)
    assert registry.isRevoked(ROOT, 0) is False


def test_key_of_another_issuer_cannot_revoke_the_batch(registry, acme, globex, key_b, batch, reverts):
    with reverts(registry.RegistryNotRootIssuer, root=ROOT, callerIssuerId=globex, rootIssuerId=acme):
        registry.revokeRoot(ROOT, 1, sender=key_b)
    assert registry.rootInfo(ROOT).revokedAt == 0
    assert registry.isRevoked(ROOT, 0) is False


def test_key_moved_to_another_issuer_cannot_revoke_its_former_issuers_roots(
    registry, owner, acme, globex, key_a, batch, reverts
):
    registry.removeIssuerKey(key_a, sender=owner)
    registry.addIssuerKey(globex, key_a, sender=owner)

    with reverts(registry.RegistryNotRootIssuer, root=ROOT, callerIssuerId=globex, rootIssuerId=acme):
        registry.revokeCredentials(ROOT, [0], 1, sender=key_a)
    with reverts(registry.RegistryNotRootIssuer, root=ROOT, callerIssuerId=globex, rootIssuerId=acme):
        registry.revokeRoot(ROOT, 1, sender=key_a)


def test_suspended_issuer_can_still_revoke(registry, owner, acme, key_a, batch):
    """By design: suspension stops new anchors, not the clean-up of old ones."""
    registry.setIssuerSuspended(acme, True, sender=owner)

    registry.revokeCredentials(ROOT, [8], 1, sender=key_a)
    receipt = registry.revokeRoot(ROOT, 2, sender=key_a)

    assert registry.isRevoked(ROOT, 8) is True
    assert registry.rootInfo(ROOT) == (acme, LEAVES, batch.timestamp, receipt.timestamp)


def test_revoked_credential_stays_revoked_after_key_removal_and_suspension(
    registry, owner, acme, key_a, batch
):
    registry.revokeCredentials(ROOT, [11], 1, sender=key_a)

    registry.removeIssuerKey(key_a, sender=owner)
    registry.setIssuerSuspended(acme, True, sender=owner)
    registry.setIssuerSuspended(acme, False, sender=owner)

    assert registry.isRevoked(ROOT, 11) is True


# --------------------------------------------------------------------------- revokeRoot


def test_revoke_root_revokes_every_credential_of_the_batch(registry, acme, key_a, batch):
    registry.revokeCredentials(ROOT, [3], 1, sender=key_a)

    receipt = registry.revokeRoot(ROOT, 9, sender=key_a)

    assert receipt.events == [registry.RootRevoked(issuerId=acme, root=ROOT, reason=9)]
    assert registry.rootInfo(ROOT) == (acme, LEAVES, batch.timestamp, receipt.timestamp)
    assert receipt.timestamp != 0
    for index in (0, 3, 255, 256, LEAVES - 1):
        assert registry.isRevoked(ROOT, index) is True, index


def test_revoke_root_leaves_the_bitmap_as_it_was(registry, key_a, batch):
    """The bitmap holds individual revocations only; a verifier reading revocationWord must also
    look at rootInfo's revokedAt."""
    registry.revokeCredentials(ROOT, [3], 1, sender=key_a)
    registry.revokeRoot(ROOT, 1, sender=key_a)

    assert registry.revocationWord(ROOT, 0) == bits(3)
    assert registry.revocationWord(ROOT, 1) == 0


def test_revoke_root_touches_no_other_root(registry, acme, key_a, batch):
    registry.anchorRoot(OTHER_ROOT, 10, sender=key_a)

    registry.revokeRoot(ROOT, 1, sender=key_a)

    assert registry.rootInfo(OTHER_ROOT).revokedAt == 0
    assert registry.isRevoked(OTHER_ROOT, 0) is False


def test_root_cannot_be_revoked_twice(registry, acme, key_a, batch, reverts):
    first = registry.revokeRoot(ROOT, 1, sender=key_a)

    with reverts(registry.RegistryRootAlreadyRevoked, root=ROOT):
        registry.revokeRoot(ROOT, 2, sender=key_a)
    assert registry.rootInfo(ROOT) == (acme, LEAVES, batch.timestamp, first.timestamp)


def test_credentials_of_a_revoked_root_cannot_be_revoked_again(registry, key_a, batch, reverts):
    registry.revokeRoot(ROOT, 1, sender=key_a)

    with reverts(registry.RegistryRootAlreadyRevoked, root=ROOT):
        registry.revokeCredentials(ROOT, [0], 1, sender=key_a)
    assert registry.revocationWord(ROOT, 0) == 0
