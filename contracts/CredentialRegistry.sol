// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ICredentialRegistry} from "./ICredentialRegistry.sol";
import {RevocationBitmap} from "./RevocationBitmap.sol";

/// @title CredentialRegistry
/// @notice Anchors Merkle roots of micro-credential batches for accredited issuers and records
/// revocations, irreversibly. Governance (an Ownable2Step owner, a multisig in production)
/// accredits issuers and manages their keys; issuers anchor and revoke with their keys.
/// @dev Functions, events and errors are documented in {ICredentialRegistry}.
contract CredentialRegistry is ICredentialRegistry, Ownable2Step {
    using RevocationBitmap for RevocationBitmap.Bitmap;

    /// @dev One storage slot: bool (1) + uint32 (4) = 5 bytes; name and did live in their own slots.
    struct Issuer {
        bool suspended;
        uint32 keyCount;
        string name;
        string did;
    }

    /// @dev One storage slot: 4 + 4 + 8 + 8 = 24 bytes, so anchoring writes one fresh slot.
    struct RootRecord {
        uint32 issuerId;
        uint32 leafCount;
        uint64 anchoredAt;
        uint64 revokedAt;
    }

    uint32 private _issuerCount;
    mapping(uint32 issuerId => Issuer) private _issuers;
    mapping(address key => uint32 issuerId) private _issuerOfKey;
    mapping(bytes32 didHash => uint32 issuerId) private _issuerOfDid;
    mapping(bytes32 root => RootRecord) private _roots;
    /// @dev Revocation bitmap per root: 256 leaf positions per storage word (see RevocationBitmap).
    mapping(bytes32 root => RevocationBitmap.Bitmap) private _revoked;

    /// @param initialOwner Governance: accredits issuers and manages their keys.
    constructor(address initialOwner) Ownable(initialOwner) {}

    // ------------------------------------------------------------------ governance

    /// @inheritdoc ICredentialRegistry
    function registerIssuer(string calldata name, string calldata did, address key)
        external
        onlyOwner
        returns (uint32 issuerId)
    {
        if (bytes(name).length == 0) revert RegistryEmptyName();
        if (bytes(did).length == 0) revert RegistryEmptyDid();
        bytes32 didHash = keccak256(bytes(did));
        uint32 holder = _issuerOfDid[didHash];
        // A DID names one issuer only: verifiers bind credentials to issuers by DID.
        if (holder != 0) revert RegistryDidInUse(did, holder);
        issuerId = ++_issuerCount;
        Issuer storage record = _issuers[issuerId];
        record.name = name;
        record.did = did;
        _issuerOfDid[didHash] = issuerId;
        emit IssuerRegistered(issuerId, name, did);
        _addKey(issuerId, key);
    }

    /// @inheritdoc ICredentialRegistry
    function setIssuerSuspended(uint32 issuerId, bool suspended) external onlyOwner {
        _requireIssuer(issuerId);
        _issuers[issuerId].suspended = suspended;
        emit IssuerSuspended(issuerId, suspended);
    }

    /// @inheritdoc ICredentialRegistry
    function addIssuerKey(uint32 issuerId, address key) external onlyOwner {
        _requireIssuer(issuerId);
        _addKey(issuerId, key);
    }

    /// @inheritdoc ICredentialRegistry
    function removeIssuerKey(address key) external onlyOwner {
        uint32 issuerId = _issuerOfKey[key];
        if (issuerId == 0) revert RegistryUnknownKey(key);
        delete _issuerOfKey[key];
        _issuers[issuerId].keyCount -= 1;
        emit IssuerKeyRemoved(issuerId, key);
    }

    /// @notice Disabled: without an owner nobody could suspend an issuer or remove a compromised
    /// key again. Hand governance over with transferOwnership + acceptOwnership instead.
    /// @dev Always reverts with RegistryRenounceDisabled.
    function renounceOwnership() public override onlyOwner {
        revert RegistryRenounceDisabled();
    }

    // ------------------------------------------------------------------ issuers

    /// @inheritdoc ICredentialRegistry
    function anchorRoot(bytes32 root, uint32 leafCount) external {
        if (root == bytes32(0)) revert RegistryZeroRoot();
        if (leafCount == 0) revert RegistryZeroLeafCount();
        uint32 issuerId = _callerIssuer();
        if (_issuers[issuerId].suspended) revert RegistryIssuerSuspended(issuerId);
        _anchorRoot(issuerId, root, leafCount);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeCredentials(bytes32 root, uint32[] calldata leafIndices, uint8 reason) external {
        if (leafIndices.length == 0) revert RegistryNoLeafIndices();
        RootRecord memory record = _requireRootOfCaller(root);
        _revokeCredentials(root, record, leafIndices);
        emit CredentialsRevoked(record.issuerId, root, leafIndices, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeRoot(bytes32 root, uint8 reason) external {
        RootRecord memory record = _requireRootOfCaller(root);
        _roots[root].revokedAt = uint64(block.timestamp);
        emit RootRevoked(record.issuerId, root, reason);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICredentialRegistry
    function issuerOfKey(address key) external view returns (uint32 issuerId) {
        return _issuerOfKey[key];
    }

    /// @inheritdoc ICredentialRegistry
    function issuerCount() external view returns (uint32) {
        return _issuerCount;
    }

    /// @inheritdoc ICredentialRegistry
    function issuer(uint32 issuerId)
        external
        view
        returns (string memory name, string memory did, bool suspended, uint32 keyCount)
    {
        _requireIssuer(issuerId);
        Issuer storage record = _issuers[issuerId];
        return (record.name, record.did, record.suspended, record.keyCount);
    }

    /// @inheritdoc ICredentialRegistry
    function rootInfo(bytes32 root)
        external
        view
        returns (uint32 issuerId, uint32 leafCount, uint64 anchoredAt, uint64 revokedAt)
    {
        RootRecord memory record = _roots[root];
        return (record.issuerId, record.leafCount, record.anchoredAt, record.revokedAt);
    }

    /// @inheritdoc ICredentialRegistry
    function isRevoked(bytes32 root, uint32 leafIndex) external view returns (bool) {
        if (_roots[root].revokedAt != 0) return true;
        return _revoked[root].get(leafIndex);
    }

    /// @inheritdoc ICredentialRegistry
    function revocationWord(bytes32 root, uint256 wordIndex) external view returns (uint256) {
        return _revoked[root].word(wordIndex);
    }

    // ------------------------------------------------------------------ internals

    function _addKey(uint32 issuerId, address key) private {
        if (key == address(0)) revert RegistryZeroKey();
        uint32 holder = _issuerOfKey[key];
        if (holder != 0) revert RegistryKeyInUse(key, holder);
        _issuerOfKey[key] = issuerId;
        _issuers[issuerId].keyCount += 1;
        emit IssuerKeyAdded(issuerId, key);
    }

    function _anchorRoot(uint32 issuerId, bytes32 root, uint32 leafCount) private {
        RootRecord storage record = _roots[root];
        if (record.issuerId != 0) revert RegistryRootAlreadyAnchored(root, record.issuerId);
        // One fresh slot, written in one go.
        _roots[root] = RootRecord(issuerId, leafCount, uint64(block.timestamp), 0);
        emit RootAnchored(issuerId, root, leafCount);
    }

    /// @dev Sets the bits a word at a time, so contiguous indices cost one storage write per 256.
    function _revokeCredentials(bytes32 root, RootRecord memory record, uint32[] calldata leafIndices) private {
        RevocationBitmap.Bitmap storage bitmap = _revoked[root];
        uint256 wordIndex = type(uint256).max;
        // Explicitly zero, though never used as such: a uint32 index's word is below the start
        // value of wordIndex, so the first index always loads its word from storage.
        uint256 word = 0;
        for (uint256 i = 0; i < leafIndices.length; ++i) {
            uint32 leafIndex = leafIndices[i];
            if (leafIndex >= record.leafCount) {
                revert RegistryLeafIndexOutOfRange(root, leafIndex, record.leafCount);
            }
            (uint256 w, uint256 bit) = RevocationBitmap.locate(leafIndex);
            if (w != wordIndex) {
                if (wordIndex != type(uint256).max) bitmap.setWord(wordIndex, word);
                wordIndex = w;
                word = bitmap.word(w);
            }
            if (word & bit != 0) revert RegistryCredentialAlreadyRevoked(root, leafIndex);
            word |= bit;
        }
        bitmap.setWord(wordIndex, word);
    }

    function _requireIssuer(uint32 issuerId) private view {
        if (issuerId == 0 || issuerId > _issuerCount) revert RegistryUnknownIssuer(issuerId);
    }

    function _callerIssuer() private view returns (uint32 issuerId) {
        issuerId = _issuerOfKey[msg.sender];
        if (issuerId == 0) revert RegistryUnknownKey(msg.sender);
    }

    /// @dev The root's record, when the caller is a current key of the issuer that anchored it
    /// and the root is not revoked as a whole.
    function _requireRootOfCaller(bytes32 root) private view returns (RootRecord memory record) {
        uint32 callerIssuer = _callerIssuer();
        record = _roots[root];
        if (record.issuerId == 0) revert RegistryUnknownRoot(root);
        if (record.issuerId != callerIssuer) revert RegistryNotRootIssuer(root, callerIssuer, record.issuerId);
        if (record.revokedAt != 0) revert RegistryRootAlreadyRevoked(root);
    }
}
