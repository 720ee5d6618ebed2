"""Random sequences of registry operations against a Python model of the registry.

Every step tries one operation, allowed or forbidden. The model predicts its outcome: the
exact custom error with its arguments, or success with the exact events. (Allowed operations
are sent as transactions; forbidden ones are run as an eth_call from the same sender on the
same state, see `RegistryMachine.send`.) After every step the
chain must match the model for everything the step named (its key, issuer, root and leaves,
whether or not the step succeeded), every credential and batch ever revoked must still read
as revoked (nothing un-revokes), and at the end of each example the whole state (every key,
issuer and root, every bitmap word, sampled leaves) must match.

Each Hypothesis example deploys a fresh registry (Ape's per-test isolation does not reset the
chain between examples), so the test runs as one Ape test on either network.
"""

import ast
import hashlib
import re
import sys
from dataclasses import dataclass, field

import ape
import hypothesis.strategies as st
from ape.utils import ZERO_ADDRESS
from eth_abi import decode as abi_decode
from eth_tester.exceptions import TransactionFailed
from eth_utils import is_address, keccak, to_checksum_address, to_hex
from hexbytes import HexBytes
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

N_KEYS = 4  # key i is accounts[1 + i]
OUTSIDER = N_KEYS  # accounts[1 + N_KEYS] never holds a key
ZERO_KEY = -1  # stands for the zero address
ROOTS = [hashlib.sha256(f"batch {i}".encode()).digest() for i in range(3)]
ZERO_ROOT = bytes(32)
NAMES = ["Acme Academy", "Globex University", "Initech", ""]
DIDS = ["did:web:acme.example", "did:web:globex.example", "did:web:initech.example", ""]
LEAF_COUNTS = [1, 5, 257, 600]  # 600 spans three bitmap words
BOUNDARIES = [0, 1, 254, 255, 256, 257, 511, 512, 599, 600]
MAX_ISSUER_ID = 4  # ids drawn from 0..4: 0 and unregistered ids are unknown issuers

accounts_incl_outsider = st.integers(0, N_KEYS)
keys_incl_zero = st.integers(ZERO_KEY, N_KEYS - 1)
reasons = st.integers(0, 255)
mostly = st.integers(0, 3).map(bool)  # True three times in four: pick a choice that can succeed

Expected = tuple[str, dict] | None  # (custom error name, its arguments), or None for success


@dataclass
class IssuerModel:
    name: str
    did: str
    suspended: bool = False
    keys: set[str] = field(default_factory=set)


@dataclass
class RootModel:
    issuer_id: int
    leaf_count: int
    anchored_at: int
    revoked_at: int = 0
    revoked: set[int] = field(default_factory=set)

    @property
    def words(self) -> int:
        return (self.leaf_count + 255) // 256

    def word(self, w: int) -> int:
        return sum(1 << (i & 0xFF) for i in self.revoked if i >> 8 == w)


class ChainReader:
    """Plain eth_calls: the reads after each step, and the dry runs of forbidden operations.

    Ape's own paths are slow for a test that makes hundreds of them: a contract read costs a
    code check and two more requests, and on anvil a reverted transaction costs about half a
    second (ape-foundry replays it and renders its call trace). So this encodes with Ape, calls
    the node directly and decodes with the contract's ABI.
    """

    def __init__(self, contract, reader: str):
        self._contract = contract
        self._provider = ape.chain.provider
        self._reader = reader
        self._errors = {keccak(text=e.selector)[:4]: e for e in contract.contract_type.errors}

    def __call__(self, method: str, *args):
        handler = getattr(self._contract, method)
        raw = self._provider.make_request("eth_call", [self._request(self._reader, handler, args), "latest"])
        values = abi_decode([o.canonical_type for o in handler.abis[0].outputs], HexBytes(raw))
        return values[0] if len(values) == 1 else tuple(values)

    def revert(self, sender: str, method: str, *args) -> tuple[str, dict] | None:
        """The custom error (name, arguments) that `method(*args)` from `sender` reverts with on
        the current state, or None when it would succeed."""
        request = self._request(sender, getattr(self._contract, method), args)
        try:
            response = self._provider.web3.provider.make_request("eth_call", [request, "latest"])
        except TransactionFailed as err:  # eth-tester raises, with the revert data's repr
            match = re.fullmatch(r"execution reverted: (b'.*'|b\".*\")", str(err), re.DOTALL)
            assert match, f"{method}: not a custom error: {err}"
            data = ast.literal_eval(match[1])
        else:
            if "error" not in response:
                return None
            data = HexBytes(response["error"]["data"])  # anvil answers with the revert data
        error = self._errors.get(bytes(data[:4]))
        assert error is not None, f"{method}: reverted with unknown data 0x{bytes(data).hex()}"
        values = abi_decode([i.canonical_type for i in error.inputs], bytes(data[4:]))
        return error.name, {i.name: _normalise(v) for i, v in zip(error.inputs, values, strict=True)}

    def _request(self, sender: str, handler, args) -> dict:
        return {"from": sender, "to": self._contract.address, "data": to_hex(handler.encode_input(*args))}


def _normalise(value):
    return to_checksum_address(value) if isinstance(value, str) and is_address(value) else value


class RegistryMachine(RuleBasedStateMachine):
    def __init__(self, project, owner, accounts):
        super().__init__()
        self.owner = owner
        self.accounts = accounts  # keys 0..N_KEYS-1, then the outsider
        self.signer = {a.address: a for a in accounts}
        self.registry = owner.deploy(project.CredentialRegistry, owner)
        self.read = ChainReader(self.registry, owner.address)
        self.issuers: dict[int, IssuerModel] = {}
        self.issuer_of_key: dict[str, int] = {}
        self.roots: dict[bytes, RootModel] = {}
        # What the last step named, for the checks after it.
        self.touched_keys: set[str] = set()
        self.touched_issuers: set[int] = set()
        self.touched_leaves: dict[bytes, set[int]] = {}
        # Everything ever revoked, kept apart from the model, so that a model bug cannot hide an
        # un-revocation.
        self.ever_revoked: dict[bytes, set[int]] = {}
        self.ever_revoked_roots: set[bytes] = set()

    # ------------------------------------------------------------------ helpers

    def key(self, index: int) -> str:
        return ZERO_ADDRESS if index == ZERO_KEY else self.accounts[index].address

    def touch(self, keys=(), issuers=(), root: bytes | None = None, leaves=()):
        self.touched_keys.update(k for k in keys if k != ZERO_ADDRESS)
        self.touched_issuers.update(i for i in issuers if i in self.issuers)
        if root is not None and root != ZERO_ROOT:
            self.touched_leaves.setdefault(root, set()).update(leaves)

    def send(self, expected: Expected, method: str, *args, sender):
        """An operation the model allows is sent as a transaction from `sender` (an account or
        a key's address), and its receipt returned. One the model forbids is run as an eth_call
        from `sender` on the same state, which must revert with exactly the expected custom
        error and arguments. (Forbidden operations are about half the steps; as transactions
        they would make the test several times slower on anvil. The example tests send every
        forbidden operation as a real transaction.)"""
        address = getattr(sender, "address", sender)
        if expected is None:
            return getattr(self.registry, method)(*args, sender=self.signer.get(address, sender))
        error_name, inputs = expected
        inputs = {name: _normalise(getattr(v, "address", v)) for name, v in inputs.items()}
        actual = self.read.revert(address, method, *args)
        assert actual == (error_name, inputs), f"{method} from {address}: expected {expected}, got {actual}"
        return None

    def pick_issuer(self, data) -> int:
        if self.issuers and data.draw(mostly, label="registered issuer"):
            return data.draw(st.sampled_from(sorted(self.issuers)), label="issuer_id")
        return data.draw(st.integers(0, MAX_ISSUER_ID), label="issuer_id")

    def pick_sender_for(self, data, issuer_id: int) -> str:
        """Mostly a current key of `issuer_id`; else a key of another issuer, or any account."""
        own = sorted(self.issuers[issuer_id].keys)
        if own and data.draw(mostly, label="issuer's key"):
            return data.draw(st.sampled_from(own), label="key")
        others = sorted(k for k, i in self.issuer_of_key.items() if i != issuer_id)
        if others and data.draw(st.booleans(), label="another issuer's key"):
            return data.draw(st.sampled_from(others), label="key")
        return self.key(data.draw(accounts_incl_outsider, label="account"))

    # ------------------------------------------------------------------ governance

    @initialize(
        leaf_counts=st.tuples(st.sampled_from(LEAF_COUNTS), st.sampled_from(LEAF_COUNTS)),
        rotate_first=st.booleans(),
        suspend_second=st.booleans(),
    )
    def two_issuers_with_a_batch_each(self, leaf_counts, rotate_first, suspend_second):
        """Issuer 1 with key 0 anchors ROOTS[0], issuer 2 with key 1 anchors ROOTS[1]; then,
        maybe, issuer 1 rotates from key 0 to key 2 and issuer 2 is suspended. Every sequence
        can go straight to revocation, and many start from the cases that matter most: a
        rotated-out key, a key that anchored nothing, a suspended issuer."""
        for i in (0, 1):
            self.register(NAMES[i], DIDS[i], self.key(i))
            self.anchor(self.key(i), ROOTS[i], leaf_counts[i])
        if rotate_first:
            self.add_key(1, self.key(2))
            self.remove_key(self.key(0))
        if suspend_second:
            self.suspend(2, True)

    @rule(data=st.data())
    def govern(self, data):
        """One of the owner's operations, with arguments that mostly work."""
        operations = ["register_issuer", "add_issuer_key", "remove_issuer_key", "set_issuer_suspended"]
        getattr(self, data.draw(st.sampled_from(operations), label="operation"))(data)

    def register_issuer(self, data):
        """Name, DID and key drawn from small pools, so that they collide."""
        name = data.draw(st.sampled_from(NAMES), label="name")
        did = data.draw(st.sampled_from(DIDS), label="did")
        self.register(name, did, self.key(data.draw(keys_incl_zero, label="key")))

    def register(self, name: str, did: str, address: str):
        did_holder = next((i for i, m in self.issuers.items() if m.did == did), 0)
        expected: Expected = None
        if not name:
            expected = "RegistryEmptyName", {}
        elif not did:
            expected = "RegistryEmptyDid", {}
        elif did_holder:
            expected = "RegistryDidInUse", {"did": did, "issuerId": did_holder}
        elif address == ZERO_ADDRESS:
            expected = "RegistryZeroKey", {}
        elif address in self.issuer_of_key:
            expected = "RegistryKeyInUse", {"key": address, "issuerId": self.issuer_of_key[address]}
        self.touch(keys=[address], issuers=[self.issuer_of_key.get(address, 0)])
        receipt = self.send(expected, "registerIssuer", name, did, address, sender=self.owner)
        if receipt is None:
            return
        issuer_id = len(self.issuers) + 1
        self.issuers[issuer_id] = IssuerModel(name, did, keys={address})
        self.issuer_of_key[address] = issuer_id
        self.touch(issuers=[issuer_id])
        assert receipt.events == [
            self.registry.IssuerRegistered(issuerId=issuer_id, name=name, did=did),
            self.registry.IssuerKeyAdded(issuerId=issuer_id, key=address),
        ]

    def add_issuer_key(self, data):
        self.add_key(self.pick_issuer(data), self.key(data.draw(keys_incl_zero, label="key")))

    def add_key(self, issuer_id: int, address: str):
        expected: Expected = None
        if issuer_id not in self.issuers:
            expected = "RegistryUnknownIssuer", {"issuerId": issuer_id}
        elif address == ZERO_ADDRESS:
            expected = "RegistryZeroKey", {}
        elif address in self.issuer_of_key:
            expected = "RegistryKeyInUse", {"key": address, "issuerId": self.issuer_of_key[address]}
        self.touch(keys=[address], issuers=[issuer_id, self.issuer_of_key.get(address, 0)])
        receipt = self.send(expected, "addIssuerKey", issuer_id, address, sender=self.owner)
        if receipt is None:
            return
        self.issuers[issuer_id].keys.add(address)
        self.issuer_of_key[address] = issuer_id
        assert receipt.events == [self.registry.IssuerKeyAdded(issuerId=issuer_id, key=address)]

    def remove_issuer_key(self, data):
        """Mostly a key some issuer holds."""
        if self.issuer_of_key and data.draw(mostly, label="held key"):
            self.remove_key(data.draw(st.sampled_from(sorted(self.issuer_of_key)), label="key"))
        else:
            self.remove_key(self.key(data.draw(accounts_incl_outsider, label="account")))

    def remove_key(self, address: str):
        issuer_id = self.issuer_of_key.get(address, 0)
        expected: Expected = None if issuer_id else ("RegistryUnknownKey", {"key": address})
        self.touch(keys=[address], issuers=[issuer_id])
        receipt = self.send(expected, "removeIssuerKey", address, sender=self.owner)
        if receipt is None:
            return
        self.issuers[issuer_id].keys.remove(address)
        del self.issuer_of_key[address]
        assert receipt.events == [self.registry.IssuerKeyRemoved(issuerId=issuer_id, key=address)]

    def set_issuer_suspended(self, data):
        """Mostly a suspension; reinstating is the rarer move."""
        self.suspend(self.pick_issuer(data), data.draw(mostly, label="suspended"))

    def suspend(self, issuer_id: int, suspended: bool):
        expected: Expected = None
        if issuer_id not in self.issuers:
            expected = "RegistryUnknownIssuer", {"issuerId": issuer_id}
        self.touch(issuers=[issuer_id])
        receipt = self.send(expected, "setIssuerSuspended", issuer_id, suspended, sender=self.owner)
        if receipt is None:
            return
        self.issuers[issuer_id].suspended = suspended
        assert receipt.events == [self.registry.IssuerSuspended(issuerId=issuer_id, suspended=suspended)]

    @rule(data=st.data())
    def govern_without_being_the_owner(self, data):
        """Keys and the outsider try the owner's calls, with arguments that would otherwise work."""
        sender = self.key(data.draw(accounts_incl_outsider, label="account"))
        methods = ["registerIssuer", "addIssuerKey", "removeIssuerKey", "setIssuerSuspended"]
        method = data.draw(st.sampled_from(methods), label="method")
        taken = {m.did for m in self.issuers.values()}
        free_did = next(d for d in [*DIDS[:-1], "did:web:mallory.example"] if d not in taken)
        held_key = next(iter(sorted(self.issuer_of_key)), self.key(0))
        args = {
            "registerIssuer": ("Mallory", free_did, self.key(OUTSIDER)),
            "addIssuerKey": (1, self.key(OUTSIDER)),
            "removeIssuerKey": (held_key,),
            "setIssuerSuspended": (1, not self.issuers[1].suspended),
        }[method]
        self.touch(
            keys=[sender, self.key(OUTSIDER), held_key],
            issuers=[1, self.issuer_of_key.get(held_key, 0)],
        )
        self.send(("OwnableUnauthorizedAccount", {"account": sender}), method, *args, sender=sender)

    # ------------------------------------------------------------------ anchoring

    @rule(data=st.data())
    def anchor_root(self, data):
        """From a current key mostly; the root may be zero or taken, the count zero."""
        if self.issuer_of_key and data.draw(mostly, label="current key"):
            sender = data.draw(st.sampled_from(sorted(self.issuer_of_key)), label="key")
        else:
            sender = self.key(data.draw(accounts_incl_outsider, label="account"))
        root = data.draw(st.sampled_from([*ROOTS, ZERO_ROOT]), label="root")
        leaf_count = data.draw(st.sampled_from([0, *LEAF_COUNTS]), label="leaf_count")
        self.anchor(sender, root, leaf_count)

    def anchor(self, sender: str, root: bytes, leaf_count: int):
        issuer_id = self.issuer_of_key.get(sender, 0)
        expected: Expected = None
        if root == ZERO_ROOT:
            expected = "RegistryZeroRoot", {}
        elif leaf_count == 0:
            expected = "RegistryZeroLeafCount", {}
        elif issuer_id == 0:
            expected = "RegistryUnknownKey", {"key": sender}
        elif self.issuers[issuer_id].suspended:
            expected = "RegistryIssuerSuspended", {"issuerId": issuer_id}
        elif root in self.roots:
            expected = "RegistryRootAlreadyAnchored", {"root": root, "issuerId": self.roots[root].issuer_id}
        self.touch(keys=[sender], root=root)
        receipt = self.send(expected, "anchorRoot", root, leaf_count, sender=sender)
        if receipt is None:
            return
        self.roots[root] = RootModel(issuer_id, leaf_count, receipt.timestamp)
        assert receipt.timestamp > 0
        assert receipt.events == [
            self.registry.RootAnchored(issuerId=issuer_id, root=root, leafCount=leaf_count)
        ]

    # ------------------------------------------------------------------ revocation

    def caller_may_revoke(self, sender: str, root: bytes) -> Expected:
        """The checks revokeCredentials and revokeRoot share, in the contract's order."""
        caller = self.issuer_of_key.get(sender, 0)
        if caller == 0:
            return "RegistryUnknownKey", {"key": sender}
        record = self.roots.get(root)
        if record is None:
            return "RegistryUnknownRoot", {"root": root}
        if record.issuer_id != caller:
            return "RegistryNotRootIssuer", {
                "root": root,
                "callerIssuerId": caller,
                "rootIssuerId": record.issuer_id,
            }
        if record.revoked_at:
            return "RegistryRootAlreadyRevoked", {"root": root}
        return None

    def pick_root_and_sender(self, data) -> tuple[bytes, str]:
        """Mostly an anchored root and a current key of its issuer; else anything."""
        if self.roots and data.draw(mostly, label="anchored root"):
            root = data.draw(st.sampled_from(sorted(self.roots)), label="root")
            return root, self.pick_sender_for(data, self.roots[root].issuer_id)
        root = data.draw(st.sampled_from(ROOTS), label="root")
        return root, self.key(data.draw(accounts_incl_outsider, label="account"))

    @rule(data=st.data())
    def revoke_credentials(self, data):
        """Indices mostly in range, sometimes at the leaf count, repeated or already revoked."""
        root, sender = self.pick_root_and_sender(data)
        reason = data.draw(reasons, label="reason")
        leaf_count = self.roots[root].leaf_count if root in self.roots else 600
        index = st.one_of(
            st.integers(0, leaf_count - 1),
            st.sampled_from([b for b in BOUNDARIES if b < leaf_count]),
        )
        indices = data.draw(st.lists(index, min_size=1, max_size=4), label="indices")
        twists = ["none", "empty", "past the end", "repeated", "none", "none", "none", "none"]
        twist = data.draw(st.sampled_from(twists), label="twist")
        if twist == "empty":
            indices = []
        elif twist == "past the end":
            indices.insert(data.draw(st.integers(0, len(indices)), label="at"), leaf_count)
        elif twist == "repeated":
            indices.insert(data.draw(st.integers(0, len(indices)), label="at"), indices[0])

        expected = ("RegistryNoLeafIndices", {}) if not indices else self.caller_may_revoke(sender, root)
        if expected is None:
            record = self.roots[root]
            seen = set(record.revoked)
            for i in indices:
                if i >= record.leaf_count:
                    expected = "RegistryLeafIndexOutOfRange", {
                        "root": root,
                        "leafIndex": i,
                        "leafCount": leaf_count,
                    }
                    break
                if i in seen:
                    expected = "RegistryCredentialAlreadyRevoked", {"root": root, "leafIndex": i}
                    break
                seen.add(i)
        self.touch(keys=[sender], root=root, leaves=indices)
        receipt = self.send(expected, "revokeCredentials", root, indices, reason, sender=sender)
        if receipt is None:
            return
        record = self.roots[root]
        record.revoked.update(indices)
        self.ever_revoked.setdefault(root, set()).update(indices)
        assert receipt.events == [
            self.registry.CredentialsRevoked(
                issuerId=record.issuer_id, root=root, leafIndices=indices, reason=reason
            )
        ]

    @rule(data=st.data())
    def revoke_root(self, data):
        root, sender = self.pick_root_and_sender(data)
        reason = data.draw(reasons, label="reason")
        self.touch(keys=[sender], root=root)
        receipt = self.send(self.caller_may_revoke(sender, root), "revokeRoot", root, reason, sender=sender)
        if receipt is None:
            return
        record = self.roots[root]
        record.revoked_at = receipt.timestamp
        self.ever_revoked_roots.add(root)
        assert receipt.timestamp > 0
        assert receipt.events == [
            self.registry.RootRevoked(issuerId=record.issuer_id, root=root, reason=reason)
        ]

    # ------------------------------------------------------------------ checks

    def check_keys(self, keys):
        for key in keys:
            assert self.read("issuerOfKey", key) == self.issuer_of_key.get(key, 0), key

    def check_issuers(self, issuer_ids):
        assert self.read("issuerCount") == len(self.issuers)
        for issuer_id in issuer_ids:
            m = self.issuers[issuer_id]
            assert self.read("issuer", issuer_id) == (m.name, m.did, m.suspended, len(m.keys)), issuer_id

    def check_root(self, root: bytes, leaves=(), limit: int | None = 4):
        """rootInfo, every bitmap word, and isRevoked on `leaves`, both ends of the batch and the
        latest revoked leaf (the first `limit` of these)."""
        m = self.roots.get(root)
        info = self.read("rootInfo", root)
        if m is None:
            assert info == (0, 0, 0, 0), root.hex()
            assert self.read("isRevoked", root, 0) is False
            return
        assert info == (m.issuer_id, m.leaf_count, m.anchored_at, m.revoked_at), root.hex()
        words = [self.read("revocationWord", root, w) for w in range(m.words)]
        assert words == [m.word(w) for w in range(m.words)], root.hex()
        sample = dict.fromkeys([*sorted(leaves), 0, m.leaf_count - 1, *sorted(m.revoked)[-1:]])
        for index in list(sample)[:limit]:
            expected = bool(m.revoked_at) or index in m.revoked
            assert self.read("isRevoked", root, index) is expected, (root.hex(), index)

    @invariant()
    def chain_matches_model_where_the_step_acted(self):
        self.check_keys(sorted(self.touched_keys))
        self.check_issuers(sorted(self.touched_issuers))
        for root, leaves in sorted(self.touched_leaves.items()):
            self.check_root(root, leaves)
        self.touched_keys, self.touched_issuers, self.touched_leaves = set(), set(), {}

    @invariant()
    def nothing_revoked_ever_reads_as_valid_again(self):
        for root in sorted(self.ever_revoked_roots):
            assert self.read("rootInfo", root)[3] != 0, root.hex()
        for root, indices in sorted(self.ever_revoked.items()):
            words = {w: self.read("revocationWord", root, w) for w in {i >> 8 for i in indices}}
            for i in indices:
                assert words[i >> 8] >> (i & 0xFF) & 1, (root.hex(), i)

    def teardown(self):
        """The whole state, once per example; skipped when a step failed, to keep its report."""
        if sys.exc_info()[0] is not None:
            return
        assert to_checksum_address(self.read("owner")) == self.owner.address
        self.check_keys([self.key(i) for i in range(N_KEYS + 1)])
        self.check_issuers(sorted(self.issuers))
        for root in ROOTS:
            self.check_root(root, BOUNDARIES, limit=None)
            if root in self.roots:  # nothing written past the end of the batch
                assert self.read("revocationWord", root, self.roots[root].words) == 0


def test_registry_matches_its_model_under_random_operations(project, owner, accounts):
    run_state_machine_as_test(
        lambda: RegistryMachine(project, owner, [accounts[1 + i] for i in range(N_KEYS + 1)]),
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
