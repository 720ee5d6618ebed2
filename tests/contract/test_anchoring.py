"""anchorRoot: only a current key of an accredited, non-suspended issuer; each root once, ever."""

import hashlib

import pytest

ROOT = hashlib.sha256(b"batch 2025-06-01").digest()
OTHER_ROOT = hashlib.sha256(b"batch 2025-06-02").digest()
ZERO_ROOT = bytes(32)
UNANCHORED = (0, 0, 0, 0)


def test_issuer_key_anchors_a_root(registry, acme, key_a):
    receipt = registry.anchorRoot(ROOT, 600, sender=key_a)

    assert receipt.events == [registry.RootAnchored(issuerId=acme, root=ROOT, leafCount=600)]
    assert registry.rootInfo(ROOT) == (acme, 600, receipt.timestamp, 0)
    assert registry.isRevoked(ROOT, 0) is False
    assert registry.isRevoked(ROOT, 599) is False
    assert registry.revocationWord(ROOT, 0) == 0


def test_root_never_anchored_reads_as_zeros(registry, acme):
    assert registry.rootInfo(ROOT) == UNANCHORED
    assert registry.isRevoked(ROOT, 0) is False
    assert registry.revocationWord(ROOT, 0) == 0


@pytest.mark.parametrize("leaf_count", [1, 2**32 - 1])
def test_anchor_accepts_any_positive_leaf_count(registry, acme, key_a, leaf_count):
    receipt = registry.anchorRoot(ROOT, leaf_count, sender=key_a)
    assert registry.rootInfo(ROOT) == (acme, leaf_count, receipt.timestamp, 0)


def test_every_current_key_of_the_issuer_can_anchor(registry, owner, acme, key_a, key_a2):
    registry.addIssuerKey(acme, key_a2, sender=owner)

    registry.anchorRoot(ROOT, 10, sender=key_a)
    receipt = registry.anchorRoot(OTHER_ROOT, 20, sender=key_a2)

    assert receipt.events == [registry.RootAnchored(issuerId=acme, root=OTHER_ROOT, leafCount=20)]
    assert registry.rootInfo(ROOT).issuerId == acme
    assert registry.rootInfo(OTHER_ROOT) == (acme, 20, receipt.timestamp, 0)


def test_roots_record_the_issuer_of_the_key(registry, acme, globex, key_a, key_b):
    registry.anchorRoot(ROOT, 10, sender=key_a)
    registry.anchorRoot(OTHER_ROOT, 10, sender=key_b)

    assert registry.rootInfo(ROOT).issuerId == acme
    assert registry.rootInfo(OTHER_ROOT).issuerId == globex


def test_zero_root_is_rejected(registry, acme, key_a, reverts):
    with reverts(registry.RegistryZeroRoot):
        registry.anchorRoot(ZERO_ROOT, 10, sender=key_a)
    assert registry.rootInfo(ZERO_ROOT) == UNANCHORED


def test_zero_leaf_count_is_rejected(registry, acme, key_a, reverts):
    with reverts(registry.RegistryZeroLeafCount):
        registry.anchorRoot(ROOT, 0, sender=key_a)
    assert registry.rootInfo(ROOT) == UNANCHORED


def test_unknown_key_cannot_anchor(registry, acme, outsider, reverts):
    with reverts(registry.RegistryUnknownKey, key=outsider):
        registry.anchorRoot(ROOT, 10, sender=outsider)
    assert registry.rootInfo(ROOT) == UNANCHORED


def test_owner_is_no_issuer_and_cannot_anchor(registry, owner, acme, reverts):
    with reverts(registry.RegistryUnknownKey, key=owner):
        registry.anchorRoot(ROOT, 10, sender=owner)


def test_removed_key_cannot_anchor(registry, owner, acme, key_a, reverts):
    registry.removeIssuerKey(key_a, sender=owner)

    with reverts(registry.RegistryUnknownKey, key=key_a):
        registry.anchorRoot(ROOT, 10, sender=key_a)
    assert registry.rootInfo(ROOT) == UNANCHORED


def test_suspended_issuer_cannot_anchor(registry, owner, acme, key_a, key_a2, reverts):
    registry.addIssuerKey(acme, key_a2, sender=owner)
    registry.setIssuerSuspended(acme, True, sender=owner)

    for key in (key_a, key_a2):
        with reverts(registry.RegistryIssuerSuspended, issuerId=acme):
            registry.anchorRoot(ROOT, 10, sender=key)
    assert registry.rootInfo(ROOT) == UNANCHORED


def test_reinstated_issuer_can_anchor_again(registry, owner, acme, key_a):
    registry.setIssuerSuspended(acme, True, sender=owner)
    registry.setIssuerSuspended(acme, False, sender=owner)

    receipt = registry.anchorRoot(ROOT, 10, sender=key_a)
    assert registry.rootInfo(ROOT) == (acme, 10, receipt.timestamp, 0)


def test_suspending_one_issuer_does_not_stop_another(registry, owner, acme, globex, key_b):
    registry.setIssuerSuspended(acme, True, sender=owner)

    registry.anchorRoot(ROOT, 10, sender=key_b)
    assert registry.rootInfo(ROOT).issuerId == globex


def test_same_issuer_cannot_anchor_a_root_twice(registry, acme, key_a, reverts):
    first = registry.anchorRoot(ROOT, 10, sender=key_a)

    with reverts(registry.RegistryRootAlreadyAnchored, root=ROOT, issuerId=acme):
        registry.anchorRoot(ROOT, 99, sender=key_a)
    assert registry.rootInfo(ROOT) == (acme, 10, first.timestamp, 0)


def test_another_issuer_cannot_anchor_a_root_already_anchored(registry, acme, globex, key_a, key_b, reverts):
    first = registry.anchorRoot(ROOT, 10, sender=key_a)

    with reverts(registry.RegistryRootAlreadyAnchored, root=ROOT, issuerId=acme):
        registry.anchorRoot(ROOT, 99, sender=key_b)
    assert registry.rootInfo(ROOT) == (acme, 10, first.timestamp, 0)


def test_revoked_root_cannot_be_anchored_again(registry, acme, key_a, reverts):
    """Re-anchoring must not be a way to clear a batch's revocation."""
    first = registry.anchorRoot(ROOT, 10, sender=key_a)
    revoked = registry.revokeRoot(ROOT, 1, sender=key_a)

    with reverts(registry.RegistryRootAlreadyAnchored, root=ROOT, issuerId=acme):
        registry.anchorRoot(ROOT, 10, sender=key_a)
    assert registry.rootInfo(ROOT) == (acme, 10, first.timestamp, revoked.timestamp)


def test_anchored_roots_outlive_the_removal_of_their_key(registry, owner, acme, key_a):
    anchored = registry.anchorRoot(ROOT, 10, sender=key_a)

    registry.removeIssuerKey(key_a, sender=owner)

    assert registry.rootInfo(ROOT) == (acme, 10, anchored.timestamp, 0)
    assert registry.isRevoked(ROOT, 0) is False


def test_anchored_roots_outlive_the_suspension_of_their_issuer(registry, owner, acme, key_a):
    anchored = registry.anchorRoot(ROOT, 10, sender=key_a)

    registry.setIssuerSuspended(acme, True, sender=owner)

    assert registry.rootInfo(ROOT) == (acme, 10, anchored.timestamp, 0)
    assert registry.isRevoked(ROOT, 0) is False


def test_anchored_roots_stay_with_their_issuer_when_the_key_moves(registry, owner, acme, globex, key_a):
    anchored = registry.anchorRoot(ROOT, 10, sender=key_a)

    registry.removeIssuerKey(key_a, sender=owner)
    registry.addIssuerKey(globex, key_a, sender=owner)

    assert registry.rootInfo(ROOT) == (acme, 10, anchored.timestamp, 0)
