"""A web3.py client for the deployed CredentialRegistry.

Reads return immutable typed records; writes simulate first (so a custom error comes back decoded,
before any gas is spent), price the transaction with EIP-1559 fees under an optional cap, sign
locally and wait for the receipt. Provider failures become :class:`ChainUnavailable`; reverts
become :class:`ChainError` or :class:`NotAuthorized` with the decoded error's name and arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import requests
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.logs import DISCARD
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3Exception

from registry.chain.artifact import load_artifact
from registry.errors import ChainError, ChainUnavailable, ConfigError, NotAuthorized

GWEI = 10**9
T = TypeVar("T")
# Errors that mean "this signer may not do that", as opposed to a bad request.
_AUTH_ERRORS = {"RegistryUnknownKey", "RegistryNotRootIssuer", "RegistryIssuerSuspended",
                "OwnableUnauthorizedAccount"}
_PROVIDER_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError,
                    TimeoutError, OSError)


class RootInfo(NamedTuple):
    issuer_id: int
    leaf_count: int
    anchored_at: int
    revoked_at: int

    @property
    def anchored(self) -> bool:
        return self.issuer_id != 0


class IssuerRecord(NamedTuple):
    id: int
    name: str
    did: str
    suspended: bool
    key_count: int


class Fees(NamedTuple):
    max_fee_wei: int
    priority_fee_wei: int


def connect(rpc_url: str, timeout: float = 10.0) -> Web3:
    """A Web3 on ``rpc_url`` that has answered once (else ChainUnavailable, exit code 3)."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    guarded(lambda: w3.eth.chain_id, f"cannot reach the chain at {rpc_url}")
    return w3


def guarded(call: Callable[[], T], what: str) -> T:
    """Run a provider call, turning transport failures into ChainUnavailable."""
    try:
        return call()
    except _PROVIDER_ERRORS as exc:
        raise ChainUnavailable(f"{what}: {type(exc).__name__}: {exc}") from None


def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table = {}
    for entry in load_artifact()["abi"]:
        if entry["type"] == "error":
            types = [i["type"] for i in entry["inputs"]]
            selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
            table[selector] = (entry["name"], [i["name"] for i in entry["inputs"]], types)
    return table


def decode_revert(data: str | bytes | None) -> tuple[str, dict[str, Any]] | None:
    """A custom error's name and arguments from revert data; None when it is not one of ours."""
    if not data:
        return None
    raw = HexBytes(data)
    entry = _error_table().get(bytes(raw[:4]))
    if entry is None:
        return None
    name, names, types = entry
    values = abi_decode(types, bytes(raw[4:]))
    return name, {n: (("0x" + v.hex()) if isinstance(v, bytes) else v) for n, v in zip(names, values)}


def _revert_error(exc: Exception, action: str) -> ChainError:
    data = getattr(exc, "data", None)
    decoded = decode_revert(data if isinstance(data, (str, bytes)) else None)
    if decoded is None:
        return ChainError(f"{action} reverted: {exc}")
    name, args = decoded
    detail = ", ".join(f"{k}={v}" for k, v in args.items())
    cls = NotAuthorized if name in _AUTH_ERRORS else ChainError
    return cls(f"{action} reverted: {name}({detail})")


class RegistryClient:
    """The registry at ``address`` on the chain ``w3`` is connected to."""

    def __init__(self, w3: Web3, address: str) -> None:
        try:
            self.address = to_checksum_address(address)
        except ValueError:
            raise ConfigError(f"registry address {address!r} is not an address") from None
        self.w3 = w3
        self.contract = w3.eth.contract(address=self.address, abi=load_artifact()["abi"])
        self.chain_id: int = guarded(lambda: w3.eth.chain_id, "reading the chain id")

    # ----------------------------------------------------------------- deploy
    @classmethod
    def deploy(cls, w3: Web3, signer: LocalAccount, owner: str | None = None,
               max_fee_gwei: float | None = None) -> tuple["RegistryClient", Any]:
        artifact = load_artifact()
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = send(w3, factory.constructor(owner or signer.address), signer, "deploy",
                       max_fee_gwei=max_fee_gwei)
        return cls(w3, receipt["contractAddress"]), receipt

    def require_code(self) -> None:
        code = guarded(lambda: self.w3.eth.get_code(self.address), "reading the registry's code")
        if len(code) == 0:
            raise ConfigError(f"no contract at {self.address} on chain {self.chain_id}: wrong --registry?")

    # ----------------------------------------------------------------- reads
    def _call(self, fn: Any, what: str) -> Any:
        try:
            return guarded(fn.call, what)
        except ContractLogicError as exc:
            raise _revert_error(exc, what) from None

    def issuer_of_key(self, key: str) -> int:
        return self._call(self.contract.functions.issuerOfKey(to_checksum_address(key)), "issuerOfKey")

    def issuer_count(self) -> int:
        return self._call(self.contract.functions.issuerCount(), "issuerCount")

    def issuer(self, issuer_id: int) -> IssuerRecord:
        name, did, suspended, keys = self._call(self.contract.functions.issuer(issuer_id), "issuer")
        return IssuerRecord(issuer_id, name, did, suspended, keys)

    def root_info(self, root: bytes) -> RootInfo:
        return RootInfo(*self._call(self.contract.functions.rootInfo(root), "rootInfo"))

    def is_revoked(self, root: bytes, leaf_index: int) -> bool:
        return self._call(self.contract.functions.isRevoked(root, leaf_index), "isRevoked")

    def revocation_word(self, root: bytes, word_index: int) -> int:
        return self._call(self.contract.functions.revocationWord(root, word_index), "revocationWord")

    # ----------------------------------------------------------------- writes
    def transact(self, name: str, args: list[Any], signer: LocalAccount, **kwargs: Any) -> Any:
        fn = getattr(self.contract.functions, name)(*args)
        return send(self.w3, fn, signer, name, **kwargs)

    def register_issuer(self, name: str, did: str, key: str, signer: LocalAccount, **kw: Any) -> tuple[int, Any]:
        receipt = self.transact("registerIssuer", [name, did, to_checksum_address(key)], signer, **kw)
        event = self.contract.events.IssuerRegistered().process_receipt(receipt, errors=DISCARD)[0]
        return event["args"]["issuerId"], receipt


def fees(w3: Web3, max_fee_gwei: float | None = None, bump: int = 0) -> Fees:
    """EIP-1559 fees: twice the base fee plus a tip, raised by ``bump`` replacements of 12.5 %,
    never above the cap. ChainError when the cap is below what the next block will charge."""
    base = guarded(lambda: w3.eth.get_block("latest")["baseFeePerGas"], "reading the base fee")
    tip = guarded(lambda: w3.eth.max_priority_fee, "reading the priority fee")
    tip = max(tip, 1)
    for _ in range(bump):
        tip = tip * 9 // 8 + 1
    max_fee = 2 * base + tip
    for _ in range(bump):
        max_fee = max_fee * 9 // 8 + 1
    if max_fee_gwei is not None:
        cap = int(max_fee_gwei * GWEI)
        if cap < base:
            raise ChainError(f"the base fee is {base / GWEI:.3f} gwei, above --max-fee-gwei "
                             f"{max_fee_gwei}: nothing sent; try again later or raise the cap")
        max_fee = min(max_fee, cap)
        tip = min(tip, max_fee - base) if max_fee > base else 0
    return Fees(max_fee, tip)


def build_transaction(w3: Web3, fn: Any, sender: str, action: str, *, nonce: int | None = None,
                      fee: Fees | None = None, gas: int | None = None) -> dict[str, Any]:
    """The unsigned transaction for ``fn``, simulated first so a revert comes back decoded."""
    params: dict[str, Any] = {"from": sender, "chainId": guarded(lambda: w3.eth.chain_id, action)}
    try:
        estimate = guarded(lambda: fn.estimate_gas({"from": sender}), f"estimating {action}")
    except (ContractCustomError, ContractLogicError) as exc:
        raise _revert_error(exc, action) from None
    fee = fee or fees(w3)
    params.update(
        gas=gas or estimate * 6 // 5 + 10_000,
        maxFeePerGas=fee.max_fee_wei,
        maxPriorityFeePerGas=fee.priority_fee_wei,
        nonce=nonce if nonce is not None else guarded(
            lambda: w3.eth.get_transaction_count(sender, "pending"), "reading the nonce"),
    )
    return fn.build_transaction(params)


# What a node says when the nonce read for a transaction was taken by another one of the same key
# meanwhile (the nightly job and a `credreg revoke` of the same issuer key, say).
_NONCE_TAKEN = ("nonce too low", "nonce is too low", "replacement transaction underpriced")
NONCE_ATTEMPTS = 3


def send(w3: Web3, fn: Any, signer: LocalAccount, action: str, *, max_fee_gwei: float | None = None,
         timeout: float = 120.0) -> Any:
    """Simulate, sign, send and wait for one transaction; ChainError if it reverts. When another
    sender of the same key takes the nonce between our reading and our sending, the nonce is
    read again and the transaction signed anew (at most NONCE_ATTEMPTS times)."""
    for attempt in range(1, NONCE_ATTEMPTS + 1):
        tx = build_transaction(w3, fn, signer.address, action, fee=fees(w3, max_fee_gwei))
        signed = signer.sign_transaction(tx)
        try:
            tx_hash = guarded(lambda raw=signed.raw_transaction: w3.eth.send_raw_transaction(raw), f"sending {action}")
            break
        except Web3Exception as exc:
            text = str(exc).lower()
            if not any(s in text for s in _NONCE_TAKEN):
                raise ChainError(f"sending {action}: {exc}") from None
            if attempt == NONCE_ATTEMPTS:
                raise ChainError(f"sending {action}: nonce {tx['nonce']} was taken by another transaction of "
                                 f"{signer.address} {NONCE_ATTEMPTS} times in a row; is another process sending "
                                 "from this key? Try again when it is done") from None
    try:
        receipt = guarded(lambda: w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout),
                          f"waiting for {action}")
    except TimeExhausted:
        raise ChainError(f"{action}: transaction {tx_hash.hex()} not mined within {timeout:.0f} s") from None
    except Web3Exception as exc:
        raise ChainError(f"{action}: {exc}") from None
    if receipt["status"] != 1:
        raise ChainError(f"{action}: transaction {receipt['transactionHash'].hex()} reverted")
    return receipt
