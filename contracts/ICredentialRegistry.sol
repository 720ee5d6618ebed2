// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICredentialRegistry
/// @notice Events and errors of the credreg registry, declared once. The registry anchors one
/// Merkle root per batch of micro-credentials and records revocations. Only roots, counts and
/// leaf positions go on chain; no personal data.
interface ICredentialRegistry {
    // --- events ---
    event IssuerRegistered(uint32 indexed issuerId, string name, string did);
    event IssuerKeyAdded(uint32 indexed issuerId, address indexed key);
    event IssuerKeyRemoved(uint32 indexed issuerId, address indexed key);
    event IssuerSuspended(uint32 indexed issuerId, bool suspended);
    event RootAnchored(uint32 indexed issuerId, bytes32 indexed root, uint32 leafCount);
    event CredentialsRevoked(uint32 indexed issuerId, bytes32 indexed root, uint32[] leafIndices, uint8 reason);
    event RootRevoked(uint32 indexed issuerId, bytes32 indexed root, uint8 reason);

    // --- errors ---
    error RegistryZeroKey();
    error RegistryEmptyName();
    error RegistryEmptyDid();
    error RegistryDidInUse(string did, uint32 issuerId);
    error RegistryKeyInUse(address key, uint32 issuerId);
    error RegistryUnknownIssuer(uint32 issuerId);
    error RegistryUnknownKey(address key);
    error RegistryIssuerSuspended(uint32 issuerId);
    error RegistryZeroRoot();
    error RegistryZeroLeafCount();
    error RegistryRootAlreadyAnchored(bytes32 root, uint32 issuerId);
    error RegistryUnknownRoot(bytes32 root);
    error RegistryNotRootIssuer(bytes32 root, uint32 callerIssuerId, uint32 rootIssuerId);
    error RegistryNoLeafIndices();
    error RegistryLeafIndexOutOfRange(bytes32 root, uint32 leafIndex, uint32 leafCount);
    error RegistryCredentialAlreadyRevoked(bytes32 root, uint32 leafIndex);
    error RegistryRootAlreadyRevoked(bytes32 root);
    error RegistryRenounceDisabled();

    // --- governance (owner) ---
    function registerIssuer(string calldata name, string calldata did, address key) external returns (uint32 issuerId);
    function setIssuerSuspended(uint32 issuerId, bool suspended) external;
    function addIssuerKey(uint32 issuerId, address key) external;
    function removeIssuerKey(address key) external;

    // --- issuers ---
    function anchorRoot(bytes32 root, uint32 leafCount) external;
    function revokeCredentials(bytes32 root, uint32[] calldata leafIndices, uint8 reason) external;
    function revokeRoot(bytes32 root, uint8 reason) external;

    // --- views ---
    function issuerOfKey(address key) external view returns (uint32 issuerId);
    function issuerCount() external view returns (uint32);
    function issuer(uint32 issuerId)
        external
        view
        returns (string memory name, string memory did, bool suspended, uint32 keyCount);
    function rootInfo(bytes32 root)
        external
        view
        returns (uint32 issuerId, uint32 leafCount, uint64 anchoredAt, uint64 revokedAt);
    function isRevoked(bytes32 root, uint32 leafIndex) external view returns (bool);
    function revocationWord(bytes32 root, uint256 wordIndex) external view returns (uint256);
}
