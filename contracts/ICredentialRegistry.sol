// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICredentialRegistry
/// @notice Events, errors and functions of the credreg registry, declared and documented once.
/// The registry anchors one Merkle root per batch of micro-credentials and records revocations.
/// Only roots, counts and leaf positions go on chain; no personal data.
/// @dev Issuer ids count from 1; 0 means "no issuer" wherever an id is returned. The owner
/// functions revert with Ownable's `OwnableUnauthorizedAccount` for any other caller, before any
/// check listed here. Each function lists its errors in the order it checks them.
interface ICredentialRegistry {
    // --- events ---

    /// @notice An issuer was accredited.
    /// @dev Emitted by {registerIssuer}, followed by {IssuerKeyAdded} for the issuer's first key.
    /// @param issuerId The new issuer's id.
    /// @param name The issuer's display name, as given.
    /// @param did The issuer's DID, which verifiers match against a credential's issuer.
    event IssuerRegistered(uint32 indexed issuerId, string name, string did);

    /// @notice A key now anchors and revokes for an issuer.
    /// @dev Emitted by {registerIssuer} (the first key) and by {addIssuerKey}.
    /// @param issuerId The issuer the key belongs to.
    /// @param key The key's address.
    event IssuerKeyAdded(uint32 indexed issuerId, address indexed key);

    /// @notice A key no longer belongs to its issuer; it can neither anchor nor revoke.
    /// @dev Emitted by {removeIssuerKey}. Roots the key anchored stay as they are.
    /// @param issuerId The issuer the key belonged to.
    /// @param key The key's address.
    event IssuerKeyRemoved(uint32 indexed issuerId, address indexed key);

    /// @notice An issuer was suspended (its keys can no longer anchor) or reinstated.
    /// @dev Emitted by every {setIssuerSuspended} call, also when the flag does not change.
    /// @param issuerId The issuer.
    /// @param suspended True when suspended from now on, false when reinstated.
    event IssuerSuspended(uint32 indexed issuerId, bool suspended);

    /// @notice The Merkle root of a batch of credentials was anchored.
    /// @dev Emitted by {anchorRoot}; the block's timestamp is the root's `anchoredAt`.
    /// @param issuerId The issuer whose key anchored the root.
    /// @param root The batch's Merkle root.
    /// @param leafCount How many credentials (leaves) the batch holds.
    event RootAnchored(uint32 indexed issuerId, bytes32 indexed root, uint32 leafCount);

    /// @notice Credentials of one batch were revoked, for good.
    /// @dev Emitted by {revokeCredentials}, once per call.
    /// @param issuerId The issuer that anchored `root`.
    /// @param root The batch's Merkle root.
    /// @param leafIndices The leaf positions revoked, in the order given; none was revoked before.
    /// @param reason The issuer's reason code (by convention 0 unspecified, 1 issued in error,
    /// 2 superseded, 3 fraud, 4 holder's request).
    event CredentialsRevoked(uint32 indexed issuerId, bytes32 indexed root, uint32[] leafIndices, uint8 reason);

    /// @notice A whole batch was revoked, for good: every credential under `root` counts as revoked.
    /// @dev Emitted by {revokeRoot}; the block's timestamp is the root's `revokedAt`.
    /// @param issuerId The issuer that anchored `root`.
    /// @param root The batch's Merkle root.
    /// @param reason The issuer's reason code, as in {CredentialsRevoked}.
    event RootRevoked(uint32 indexed issuerId, bytes32 indexed root, uint8 reason);

    // --- errors ---

    /// @notice The zero address cannot be an issuer's key.
    /// @dev Raised by {registerIssuer} and {addIssuerKey}.
    error RegistryZeroKey();

    /// @notice An issuer needs a name.
    /// @dev Raised by {registerIssuer} when `name` is empty.
    error RegistryEmptyName();

    /// @notice An issuer needs a DID.
    /// @dev Raised by {registerIssuer} when `did` is empty.
    error RegistryEmptyDid();

    /// @notice The DID already names an issuer; a DID names one issuer only.
    /// @dev Raised by {registerIssuer}.
    /// @param did The DID given.
    /// @param issuerId The issuer that already holds it.
    error RegistryDidInUse(string did, uint32 issuerId);

    /// @notice The key already belongs to an issuer; a key belongs to at most one.
    /// @dev Raised by {registerIssuer} and {addIssuerKey}, also when `issuerId` is the issuer the
    /// key was being added to.
    /// @param key The key given.
    /// @param issuerId The issuer it belongs to.
    error RegistryKeyInUse(address key, uint32 issuerId);

    /// @notice No issuer has this id.
    /// @dev Raised by {setIssuerSuspended}, {addIssuerKey} and {issuer} for 0 or an id above
    /// {issuerCount}.
    /// @param issuerId The id given.
    error RegistryUnknownIssuer(uint32 issuerId);

    /// @notice The key belongs to no issuer (never added, or removed).
    /// @dev Raised by {removeIssuerKey} for its `key`, and by {anchorRoot}, {revokeCredentials}
    /// and {revokeRoot} for their caller.
    /// @param key The key.
    error RegistryUnknownKey(address key);

    /// @notice The issuer is suspended, so its keys cannot anchor.
    /// @dev Raised by {anchorRoot}. A suspended issuer can still revoke.
    /// @param issuerId The caller's issuer.
    error RegistryIssuerSuspended(uint32 issuerId);

    /// @notice The zero root cannot be anchored.
    /// @dev Raised by {anchorRoot}.
    error RegistryZeroRoot();

    /// @notice A batch must hold at least one credential.
    /// @dev Raised by {anchorRoot} when `leafCount` is 0.
    error RegistryZeroLeafCount();

    /// @notice The root is anchored already; a root is anchored once, by any issuer.
    /// @dev Raised by {anchorRoot}, also when the caller's own issuer anchored it.
    /// @param root The root given.
    /// @param issuerId The issuer that anchored it.
    error RegistryRootAlreadyAnchored(bytes32 root, uint32 issuerId);

    /// @notice The root was never anchored.
    /// @dev Raised by {revokeCredentials} and {revokeRoot}.
    /// @param root The root given.
    error RegistryUnknownRoot(bytes32 root);

    /// @notice Only the issuer that anchored a root can revoke under it.
    /// @dev Raised by {revokeCredentials} and {revokeRoot} when the caller's key belongs to
    /// another issuer.
    /// @param root The root given.
    /// @param callerIssuerId The caller's issuer.
    /// @param rootIssuerId The issuer that anchored `root`.
    error RegistryNotRootIssuer(bytes32 root, uint32 callerIssuerId, uint32 rootIssuerId);

    /// @notice A revocation must name at least one leaf position.
    /// @dev Raised by {revokeCredentials} when `leafIndices` is empty.
    error RegistryNoLeafIndices();

    /// @notice The batch has no credential at this leaf position.
    /// @dev Raised by {revokeCredentials} when an index is not below the root's leaf count. The
    /// first index of the list that fails a check is reported; nothing of the call is revoked.
    /// @param root The root given.
    /// @param leafIndex The position out of range.
    /// @param leafCount How many credentials the batch holds.
    error RegistryLeafIndexOutOfRange(bytes32 root, uint32 leafIndex, uint32 leafCount);

    /// @notice The credential at this leaf position is revoked already.
    /// @dev Raised by {revokeCredentials} when an index was revoked before or is listed twice. The
    /// first index of the list that fails a check is reported; nothing of the call is revoked.
    /// @param root The root given.
    /// @param leafIndex The position revoked already.
    error RegistryCredentialAlreadyRevoked(bytes32 root, uint32 leafIndex);

    /// @notice The whole batch is revoked already; nothing under it can be revoked again.
    /// @dev Raised by {revokeCredentials} and {revokeRoot}.
    /// @param root The root given.
    error RegistryRootAlreadyRevoked(bytes32 root);

    /// @notice The registry cannot be left without an owner: nobody could then suspend an issuer
    /// or remove a compromised key. Hand governance over with transferOwnership + acceptOwnership.
    /// @dev Raised by every renounceOwnership call.
    error RegistryRenounceDisabled();

    // --- governance (owner) ---

    /// @notice Accredits an issuer with its first key.
    /// @dev Owner only. Emits {IssuerRegistered} and {IssuerKeyAdded}. Reverts with
    /// {RegistryEmptyName}, {RegistryEmptyDid}, {RegistryDidInUse}, {RegistryZeroKey} or
    /// {RegistryKeyInUse}.
    /// @param name The issuer's display name; not empty.
    /// @param did The issuer's DID; not empty and not any other issuer's.
    /// @param key The issuer's first key; not zero and not any issuer's key.
    /// @return issuerId The new issuer's id, counting from 1 (0 means "no issuer").
    function registerIssuer(string calldata name, string calldata did, address key) external returns (uint32 issuerId);

    /// @notice Suspends an issuer (its keys can no longer anchor) or reinstates it.
    /// @dev Owner only. Roots already anchored keep counting; a suspended issuer can still revoke.
    /// Emits {IssuerSuspended}. Reverts with {RegistryUnknownIssuer}.
    /// @param issuerId The issuer.
    /// @param suspended True to suspend, false to reinstate.
    function setIssuerSuspended(uint32 issuerId, bool suspended) external;

    /// @notice Adds a key to an issuer, for rotation or for a second signer.
    /// @dev Owner only. A key belongs to at most one issuer. Emits {IssuerKeyAdded}.
    /// Reverts with {RegistryUnknownIssuer}, {RegistryZeroKey} or {RegistryKeyInUse}.
    /// @param issuerId The issuer.
    /// @param key The new key; not zero and not any issuer's key.
    function addIssuerKey(uint32 issuerId, address key) external;

    /// @notice Removes a key from its issuer; the key can then neither anchor nor revoke.
    /// @dev Owner only. Roots the key anchored stay as they are. Emits {IssuerKeyRemoved}.
    /// Reverts with {RegistryUnknownKey}.
    /// @param key The key to remove.
    function removeIssuerKey(address key) external;

    // --- issuers ---

    /// @notice Anchors the Merkle root of a batch of `leafCount` credentials.
    /// @dev Caller: a current key of an accredited, non-suspended issuer. A root is anchored once,
    /// by anyone. Emits {RootAnchored}. Reverts with {RegistryZeroRoot}, {RegistryZeroLeafCount},
    /// {RegistryUnknownKey}, {RegistryIssuerSuspended} or {RegistryRootAlreadyAnchored}.
    /// @param root The batch's Merkle root; not zero.
    /// @param leafCount How many credentials the batch holds; not zero.
    function anchorRoot(bytes32 root, uint32 leafCount) external;

    /// @notice Revokes credentials of one batch by their leaf positions, for good.
    /// @dev Caller: a current key of the issuer that anchored `root` (any of its keys, also after
    /// rotation; also while suspended). Every index must be below the root's leaf count and not yet
    /// revoked; a call revokes all its indices or none. Emits {CredentialsRevoked}. Reverts with
    /// {RegistryNoLeafIndices}, {RegistryUnknownKey}, {RegistryUnknownRoot}, {RegistryNotRootIssuer},
    /// {RegistryRootAlreadyRevoked}, {RegistryLeafIndexOutOfRange} or
    /// {RegistryCredentialAlreadyRevoked}.
    /// @param root The batch's Merkle root.
    /// @param leafIndices The leaf positions to revoke, in any order; contiguous ones cost least.
    /// @param reason A reason code, recorded in the event only.
    function revokeCredentials(bytes32 root, uint32[] calldata leafIndices, uint8 reason) external;

    /// @notice Revokes a whole batch, for good: every credential under `root` counts as revoked.
    /// @dev Caller: a current key of the issuer that anchored `root`. Emits {RootRevoked}.
    /// Reverts with {RegistryUnknownKey}, {RegistryUnknownRoot}, {RegistryNotRootIssuer} or
    /// {RegistryRootAlreadyRevoked}.
    /// @param root The batch's Merkle root.
    /// @param reason A reason code, recorded in the event only.
    function revokeRoot(bytes32 root, uint8 reason) external;

    // --- views ---

    /// @notice The issuer a key belongs to; 0 when it belongs to none.
    /// @param key The key.
    /// @return issuerId The key's issuer, or 0.
    function issuerOfKey(address key) external view returns (uint32 issuerId);

    /// @notice How many issuers were ever registered; ids run from 1 to this number.
    /// @return The number of issuers registered.
    function issuerCount() external view returns (uint32);

    /// @notice An issuer's record. Reverts with {RegistryUnknownIssuer}.
    /// @param issuerId The issuer.
    /// @return name The issuer's display name.
    /// @return did The issuer's DID.
    /// @return suspended Whether the issuer is suspended.
    /// @return keyCount How many keys the issuer has now.
    function issuer(uint32 issuerId)
        external
        view
        returns (string memory name, string memory did, bool suspended, uint32 keyCount);

    /// @notice What the registry holds of a root; all zero for a root never anchored.
    /// @param root The batch's Merkle root.
    /// @return issuerId The issuer that anchored it.
    /// @return leafCount How many credentials the batch holds.
    /// @return anchoredAt When it was anchored (block timestamp).
    /// @return revokedAt When it was revoked as a whole (block timestamp), 0 if not.
    function rootInfo(bytes32 root)
        external
        view
        returns (uint32 issuerId, uint32 leafCount, uint64 anchoredAt, uint64 revokedAt);

    /// @notice Whether the credential at `leafIndex` under `root` is revoked, by itself or with
    /// its whole batch. False for a root never anchored.
    /// @param root The batch's Merkle root.
    /// @param leafIndex The credential's leaf position.
    /// @return True when revoked.
    function isRevoked(bytes32 root, uint32 leafIndex) external view returns (bool);

    /// @notice One word of a root's revocation bitmap (leaf positions 256*wordIndex onwards),
    /// so that a verifier can read 256 positions in one call. A whole-root revocation is not in
    /// the bitmap: check rootInfo's revokedAt (or use isRevoked, which covers both).
    /// @param root The batch's Merkle root.
    /// @param wordIndex Which word: position `p` is bit `p % 256` of word `p / 256`.
    /// @return The word; bit `i` set means position `256 * wordIndex + i` is revoked.
    function revocationWord(bytes32 root, uint256 wordIndex) external view returns (uint256);
}
