// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Source of other networks' exit roots that claims may be proven against.
/// @notice On an L2 this is the chain's ExitRootOracle (roots posted by its sequencer under the chain's policy);
/// on L1 it is the settlement hub's record of finalized exit roots.
interface IExitRootOracle {
    /// @notice Thrown when a claim names an entry the oracle does not hold.
    error UnknownExitRootEntry(uint256 entryId);

    /// @notice The network and exit root of entry `entryId`.
    /// @dev Reverts with UnknownExitRootEntry when there is no such entry.
    function exitRootOf(uint256 entryId) external view returns (uint32 networkId, uint256 exitRoot);
}
