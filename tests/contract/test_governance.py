"""Governance: accrediting issuers, managing their keys, suspending them. Owner only."""

import pytest
from ape.utils import ZERO_ADDRESS

# As registered by the `acme` and `globex` fixtures.
ACME_NAME = "Acme Academy"
ACME_DID = "did:web:acme.example"
GLOBEX_NAME = "Globex University"
GLOBEX_DID = "did:web:globex.example"


def read_issuer_as_transaction(registry, issuer_id, sender):
    """`issuer(issuerId)`, sent as a transaction: on anvil, Ape decodes a custom error from a
    reverted transaction but not from a reverted eth_call, and the view runs the same code."""
    return registry.issuer.transact(issuer_id, sender=sender)


# --------------------------------------------------------------------------- fresh registry


def test_fresh_registry_has_no_issuers_and_the_deployer_as_owner(registry, owner, key_a, reverts):
    assert registry.owner() == owner
    assert registry.pendingOwner() == ZERO_ADDRESS
    assert registry.issuerCount() == 0
    assert registry.issuerOfKey(key_a) == 0
    assert registry.issuerOfKey(ZERO_ADDRESS) == 0
    for issuer_id in (0, 1):
        with reverts(registry.RegistryUnknownIssuer, issuerId=issuer_id):
            read_issuer_as_transaction(registry, issuer_id, owner)


def test_registry_cannot_be_deployed_without_an_owner(project, owner, reverts):
    with reverts(project.CredentialRegistry.OwnableInvalidOwner, owner=ZERO_ADDRESS):
        owner.deploy(project.CredentialRegistry, ZERO_ADDRESS)


# --------------------------------------------------------------------------- registerIssuer


def test_register_issuer_records_it_with_its_first_key_and_emits_both_events(registry, owner, key_a):
    receipt = registry.registerIssuer(ACME_NAME, ACME_DID, key_a, sender=owner)

    assert receipt.events == [
        registry.IssuerRegistered(issuerId=1, name=ACME_NAME, did=ACME_DID),
        registry.IssuerKeyAdded(issuerId=1, key=key_a),
    ]
    assert registry.issuerCount() == 1
    assert registry.issuer(1) == (ACME_NAME, ACME_DID, False, 1)
    assert registry.issuerOfKey(key_a) == 1


def test_issuer_ids_count_up_from_one(registry, owner, key_a, key_b, accounts, reverts):
    registry.registerIssuer(ACME_NAME, ACME_DID, key_a, sender=owner)
    registry.registerIssuer(GLOBEX_NAME, GLOBEX_DID, key_b, sender=owner)
    receipt = registry.registerIssuer("Initech", "did:web:initech.example", accounts[4], sender=owner)

    assert receipt.events[0].issuerId == 3
    assert registry.issuerCount() == 3
    assert [registry.issuerOfKey(k) for k in (key_a, key_b, accounts[4])] == [1, 2, 3]
    assert registry.issuer(2) == (GLOBEX_NAME, GLOBEX_DID, False, 1)
    assert registry.issuer(3) == ("Initech", "did:web:initech.example", False, 1)
    with reverts(registry.RegistryUnknownIssuer, issuerId=4):
        read_issuer_as_transaction(registry, 4, owner)


def test_register_issuer_rejects_an_empty_name(registry, owner, key_a, reverts):
    with reverts(registry.RegistryEmptyName):
        registry.registerIssuer("", ACME_DID, key_a, sender=owner)
    assert registry.issuerCount() == 0


def test_register_issuer_rejects_an_empty_did(registry, owner, key_a, reverts):
    with reverts(registry.RegistryEmptyDid):
        registry.registerIssuer(ACME_NAME, "", key_a, sender=owner)
    assert registry.issuerCount() == 0


def test_register_issuer_rejects_the_zero_key(registry, owner, reverts):
    with reverts(registry.RegistryZeroKey):
        registry.registerIssuer(ACME_NAME, ACME_DID, ZERO_ADDRESS, sender=owner)
    assert registry.issuerCount() == 0


def test_register_issuer_rejects_a_did_another_issuer_holds(registry, owner, acme, key_b, reverts):
    with reverts(registry.RegistryDidInUse, did=ACME_DID, issuerId=acme):
        registry.registerIssuer(GLOBEX_NAME, ACME_DID, key_b, sender=owner)
    assert registry.issuerCount() == 1
    assert registry.issuerOfKey(key_b) == 0


def test_register_issuer_rejects_a_key_another_issuer_holds(registry, owner, acme, key_a, reverts):
    with reverts(registry.RegistryKeyInUse, key=key_a, issuerId=acme):
        registry.registerIssuer(GLOBEX_NAME, GLOBEX_DID, key_a, sender=owner)
    assert registry.issuerCount() == 1
    assert registry.issuerOfKey(key_a) == acme


def test_failed_registration_leaves_no_trace(registry, owner, acme, key_a, key_b, reverts):
    """The DID and the id of a registration that reverted on its key are still free."""
    with reverts(registry.RegistryKeyInUse, key=key_a, issuerId=acme):
        registry.registerIssuer(GLOBEX_NAME, GLOBEX_DID, key_a, sender=owner)

    receipt = registry.registerIssuer(GLOBEX_NAME, GLOBEX_DID, key_b, sender=owner)
    assert receipt.events[0] == registry.IssuerRegistered(issuerId=2, name=GLOBEX_NAME, did=GLOBEX_DID)


# --------------------------------------------------------------------------- addIssuerKey


def test_add_issuer_key_gives_the_issuer_a_second_key(registry, owner, acme, key_a, key_a2):
    receipt = registry.addIssuerKey(acme, key_a2, sender=owner)

    assert receipt.events == [registry.IssuerKeyAdded(issuerId=acme, key=key_a2)]
    assert registry.issuerOfKey(key_a2) == acme
    assert registry.issuerOfKey(key_a) == acme
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, False, 2)


@pytest.mark.parametrize("issuer_id", [0, 2, 2**32 - 1])
def test_add_issuer_key_rejects_an_unknown_issuer(registry, owner, acme, key_a2, issuer_id, reverts):
    with reverts(registry.RegistryUnknownIssuer, issuerId=issuer_id):
        registry.addIssuerKey(issuer_id, key_a2, sender=owner)
    assert registry.issuerOfKey(key_a2) == 0


def test_add_issuer_key_rejects_the_zero_key(registry, owner, acme, reverts):
    with reverts(registry.RegistryZeroKey):
        registry.addIssuerKey(acme, ZERO_ADDRESS, sender=owner)
    assert registry.issuerOfKey(ZERO_ADDRESS) == 0


def test_add_issuer_key_rejects_a_key_the_issuer_already_holds(registry, owner, acme, key_a, reverts):
    with reverts(registry.RegistryKeyInUse, key=key_a, issuerId=acme):
        registry.addIssuerKey(acme, key_a, sender=owner)
    assert registry.issuer(acme).keyCount == 1


def test_add_issuer_key_rejects_a_key_another_issuer_holds(registry, owner, acme, globex, key_b, reverts):
    with reverts(registry.RegistryKeyInUse, key=key_b, issuerId=globex):
        registry.addIssuerKey(acme, key_b, sender=owner)
    assert registry.issuerOfKey(key_b) == globex
    assert registry.issuer(acme).keyCount == 1


# --------------------------------------------------------------------------- removeIssuerKey


def test_remove_issuer_key_detaches_it_from_its_issuer(registry, owner, acme, key_a, key_a2):
    registry.addIssuerKey(acme, key_a2, sender=owner)

    receipt = registry.removeIssuerKey(key_a, sender=owner)

    assert receipt.events == [registry.IssuerKeyRemoved(issuerId=acme, key=key_a)]
    assert registry.issuerOfKey(key_a) == 0
    assert registry.issuerOfKey(key_a2) == acme
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, False, 1)


def test_issuer_can_lose_its_last_key_and_stay_registered(registry, owner, acme, key_a, key_a2):
    registry.removeIssuerKey(key_a, sender=owner)
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, False, 0)

    registry.addIssuerKey(acme, key_a2, sender=owner)
    assert registry.issuer(acme).keyCount == 1


def test_remove_issuer_key_rejects_a_key_of_nobody(registry, owner, acme, outsider, reverts):
    with reverts(registry.RegistryUnknownKey, key=outsider):
        registry.removeIssuerKey(outsider, sender=owner)
    with reverts(registry.RegistryUnknownKey, key=ZERO_ADDRESS):
        registry.removeIssuerKey(ZERO_ADDRESS, sender=owner)


def test_remove_issuer_key_rejects_a_key_already_removed(registry, owner, acme, key_a, reverts):
    registry.removeIssuerKey(key_a, sender=owner)
    with reverts(registry.RegistryUnknownKey, key=key_a):
        registry.removeIssuerKey(key_a, sender=owner)
    assert registry.issuer(acme).keyCount == 0


def test_removed_key_can_be_given_to_another_issuer(registry, owner, acme, globex, key_a):
    registry.removeIssuerKey(key_a, sender=owner)

    receipt = registry.addIssuerKey(globex, key_a, sender=owner)

    assert receipt.events == [registry.IssuerKeyAdded(issuerId=globex, key=key_a)]
    assert registry.issuerOfKey(key_a) == globex
    assert registry.issuer(globex).keyCount == 2


# --------------------------------------------------------------------------- setIssuerSuspended


def test_suspend_and_reinstate_an_issuer(registry, owner, acme):
    receipt = registry.setIssuerSuspended(acme, True, sender=owner)
    assert receipt.events == [registry.IssuerSuspended(issuerId=acme, suspended=True)]
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, True, 1)

    receipt = registry.setIssuerSuspended(acme, False, sender=owner)
    assert receipt.events == [registry.IssuerSuspended(issuerId=acme, suspended=False)]
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, False, 1)


def test_suspension_keeps_the_issuers_keys(registry, owner, acme, key_a, key_a2):
    registry.setIssuerSuspended(acme, True, sender=owner)
    registry.addIssuerKey(acme, key_a2, sender=owner)

    assert registry.issuerOfKey(key_a) == acme
    assert registry.issuerOfKey(key_a2) == acme
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, True, 2)


@pytest.mark.parametrize("issuer_id", [0, 2])
def test_set_issuer_suspended_rejects_an_unknown_issuer(registry, owner, acme, issuer_id, reverts):
    with reverts(registry.RegistryUnknownIssuer, issuerId=issuer_id):
        registry.setIssuerSuspended(issuer_id, True, sender=owner)


# --------------------------------------------------------------------------- owner only

GOVERNANCE_CALLS = {
    "registerIssuer": lambda registry, acme, key, sender: registry.registerIssuer(
        GLOBEX_NAME, GLOBEX_DID, key, sender=sender
    ),
    "addIssuerKey": lambda registry, acme, key, sender: registry.addIssuerKey(acme, key, sender=sender),
    "removeIssuerKey": lambda registry, acme, key, sender: registry.removeIssuerKey(key, sender=sender),
    "setIssuerSuspended": lambda registry, acme, key, sender: registry.setIssuerSuspended(
        acme, True, sender=sender
    ),
}


@pytest.mark.parametrize("call", GOVERNANCE_CALLS.values(), ids=GOVERNANCE_CALLS.keys())
@pytest.mark.parametrize("who", ["outsider", "issuer key"])
def test_governance_is_owner_only(registry, acme, key_a, outsider, call, who, reverts):
    """Neither an outsider nor an issuer's own key can govern; `removeIssuerKey` is tried on a
    held key, the others on a free one, so only the access check can stop them."""
    sender = outsider if who == "outsider" else key_a
    key = key_a if call is GOVERNANCE_CALLS["removeIssuerKey"] else outsider
    with reverts(registry.OwnableUnauthorizedAccount, account=sender):
        call(registry, acme, key, sender)

    assert registry.issuerCount() == 1
    assert registry.issuer(acme) == (ACME_NAME, ACME_DID, False, 1)
    assert registry.issuerOfKey(key_a) == acme
    assert registry.issuerOfKey(outsider) == 0
