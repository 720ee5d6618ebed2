"""Two-step ownership transfer (OpenZeppelin Ownable2Step): the new owner must accept."""

from ape.utils import ZERO_ADDRESS


def test_transfer_ownership_only_nominates_the_new_owner(registry, owner, accounts):
    new_owner = accounts[5]

    receipt = registry.transferOwnership(new_owner, sender=owner)

    assert receipt.events == [registry.OwnershipTransferStarted(previousOwner=owner, newOwner=new_owner)]
    assert registry.owner() == owner
    assert registry.pendingOwner() == new_owner


def test_nominated_owner_cannot_govern_before_accepting(registry, owner, accounts, key_a, reverts):
    new_owner = accounts[5]
    registry.transferOwnership(new_owner, sender=owner)

    with reverts(registry.OwnableUnauthorizedAccount, account=new_owner):
        registry.registerIssuer("Acme Academy", "did:web:acme.example", key_a, sender=new_owner)


def test_previous_owner_keeps_governing_until_the_transfer_is_accepted(registry, owner, accounts, key_a):
    registry.transferOwnership(accounts[5], sender=owner)

    registry.registerIssuer("Acme Academy", "did:web:acme.example", key_a, sender=owner)
    assert registry.issuerOfKey(key_a) == 1


def test_accepting_hands_over_governance(registry, owner, accounts, key_a, reverts):
    new_owner = accounts[5]
    registry.transferOwnership(new_owner, sender=owner)

    receipt = registry.acceptOwnership(sender=new_owner)

    assert receipt.events == [registry.OwnershipTransferred(previousOwner=owner, newOwner=new_owner)]
    assert registry.owner() == new_owner
    assert registry.pendingOwner() == ZERO_ADDRESS
    registry.registerIssuer("Acme Academy", "did:web:acme.example", key_a, sender=new_owner)
    with reverts(registry.OwnableUnauthorizedAccount, account=owner):
        registry.setIssuerSuspended(1, True, sender=owner)
    with reverts(registry.OwnableUnauthorizedAccount, account=owner):
        registry.transferOwnership(owner, sender=owner)


def test_only_the_nominated_owner_can_accept(registry, owner, accounts, outsider, reverts):
    registry.transferOwnership(accounts[5], sender=owner)

    for sender in (outsider, owner):
        with reverts(registry.OwnableUnauthorizedAccount, account=sender):
            registry.acceptOwnership(sender=sender)
    assert registry.owner() == owner
    assert registry.pendingOwner() == accounts[5]


def test_accept_without_a_pending_transfer_reverts(registry, owner, outsider, reverts):
    with reverts(registry.OwnableUnauthorizedAccount, account=outsider):
        registry.acceptOwnership(sender=outsider)
    assert registry.owner() == owner


def test_transfer_ownership_is_owner_only(registry, owner, outsider, key_a, acme, reverts):
    for sender in (outsider, key_a):
        with reverts(registry.OwnableUnauthorizedAccount, account=sender):
            registry.transferOwnership(sender, sender=sender)
    assert registry.owner() == owner
    assert registry.pendingOwner() == ZERO_ADDRESS


def test_a_new_nomination_replaces_the_pending_one(registry, owner, accounts, reverts):
    first, second = accounts[5], accounts[6]
    registry.transferOwnership(first, sender=owner)
    registry.transferOwnership(second, sender=owner)

    assert registry.pendingOwner() == second
    with reverts(registry.OwnableUnauthorizedAccount, account=first):
        registry.acceptOwnership(sender=first)
    registry.acceptOwnership(sender=second)
    assert registry.owner() == second


def test_nominating_the_zero_address_cancels_a_pending_transfer(registry, owner, accounts, reverts):
    registry.transferOwnership(accounts[5], sender=owner)

    registry.transferOwnership(ZERO_ADDRESS, sender=owner)

    assert registry.pendingOwner() == ZERO_ADDRESS
    with reverts(registry.OwnableUnauthorizedAccount, account=accounts[5]):
        registry.acceptOwnership(sender=accounts[5])
    assert registry.owner() == owner


def test_renounce_ownership_is_owner_only(registry, owner, outsider, key_a, acme, reverts):
    for sender in (outsider, key_a):
        with reverts(registry.OwnableUnauthorizedAccount, account=sender):
            registry.renounceOwnership(sender=sender)
    assert registry.owner() == owner


def test_owner_cannot_renounce_and_leave_the_registry_ungoverned(registry, owner, reverts):
    with reverts(registry.RegistryRenounceDisabled):
        registry.renounceOwnership(sender=owner)
    assert registry.owner() == owner
