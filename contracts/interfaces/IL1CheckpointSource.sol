// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title What the settlement hub reads from the L1 UnifiedBridge (network 0): its exit-root checkpoints.
/// @dev A subset of UnifiedBridge's external interface; declared separately so that the hub does not depend on the
/// bridge's code (and its linked Poseidon libraries).
interface IL1CheckpointSource {
    /// @notice The bridge's network id (0 for L1).
    function networkId() external view returns (uint32);

    /// @notice The exit-root oracle the bridge proves claims against.
    function oracle() external view returns (address);

    /// @notice Root and exit count of checkpoint `number`; reverts for an unknown number.
    function checkpoint(uint256 number) external view returns (uint256 root, uint256 count);

    /// @notice Number of checkpoints recorded.
    function checkpointCount() external view returns (uint256);
}
