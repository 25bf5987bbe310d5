// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IExitRootOracle} from "../interfaces/IExitRootOracle.sol";

/// @title A network's record of other networks' exit roots, posted by its sequencer with their provenance.
/// @notice Each entry names the certificate (networkId, height, certificateId) whose new local exit root it is,
/// or, for network 0, the L1 exit-root checkpoint (height = checkpoint number, certificateId = 0). Claims name
/// the entry they prove against; the entries a batch's claims used become its certificate's dependencies.
contract ExitRootOracle is AccessControl, IExitRootOracle {
    /// @notice Role of the accounts allowed to post roots (the chain's sequencer).
    bytes32 public constant POSTER_ROLE = keccak256("POSTER_ROLE");
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice A posted exit root and where it comes from.
    struct Entry {
        uint32 networkId;
        uint64 height;
        uint256 certificateId;
        uint256 exitRoot;
    }

    /// @notice Thrown when a root of this oracle's own network is posted (a network's own exits are not claimed).
    error OwnNetworkRoot(uint32 networkId);
    /// @notice Thrown when a posted value is not a BN254 field element.
    error NotFieldElement(uint256 value);

    /// @notice Emitted when a root is posted.
    event ExitRootPosted(
        uint256 indexed entryId, uint32 indexed networkId, uint64 height, uint256 certificateId, uint256 exitRoot
    );

    /// @notice The network this oracle serves.
    uint32 public immutable networkId;
    Entry[] private _entries;

    /// @param networkId_ The network this oracle lives on.
    /// @param admin Holder of DEFAULT_ADMIN_ROLE (grants and revokes posters).
    /// @param poster The first poster (the sequencer).
    constructor(uint32 networkId_, address admin, address poster) {
        networkId = networkId_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(POSTER_ROLE, poster);
    }

    /// @notice Records `exitRoot` of network `sourceNetwork` as committed by its certificate (height, certificateId).
    /// @return entryId The id claims use to name this root.
    function postExitRoot(uint32 sourceNetwork, uint64 height, uint256 certificateId, uint256 exitRoot)
        external
        onlyRole(POSTER_ROLE)
        returns (uint256 entryId)
    {
        if (sourceNetwork == networkId) revert OwnNetworkRoot(sourceNetwork);
        if (exitRoot >= FIELD_MODULUS) revert NotFieldElement(exitRoot);
        if (certificateId >= FIELD_MODULUS) revert NotFieldElement(certificateId);
        entryId = _entries.length;
        _entries.push(Entry(sourceNetwork, height, certificateId, exitRoot));
        emit ExitRootPosted(entryId, sourceNetwork, height, certificateId, exitRoot);
    }

    /// @inheritdoc IExitRootOracle
    function exitRootOf(uint256 entryId) external view returns (uint32, uint256) {
        if (entryId >= _entries.length) revert UnknownExitRootEntry(entryId);
        Entry storage e = _entries[entryId];
        return (e.networkId, e.exitRoot);
    }

    /// @notice The full entry `entryId`, with its provenance.
    function entry(uint256 entryId) external view returns (Entry memory) {
        if (entryId >= _entries.length) revert UnknownExitRootEntry(entryId);
        return _entries[entryId];
    }

    /// @notice Number of entries posted so far.
    function entryCount() external view returns (uint256) {
        return _entries.length;
    }
}
