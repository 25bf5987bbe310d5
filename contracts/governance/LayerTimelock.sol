// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title The owner of the settlement hub: every privileged hub function goes through this timelock.
/// @notice OpenZeppelin's TimelockController without an admin (nobody can change its roles or delay except through
/// the timelock itself, i.e. after the delay). A privileged call is first scheduled (`CallScheduled`, visible to
/// everyone with its calldata), and can be executed only `minDelay` seconds later: users who disagree with a
/// scheduled change (a new verifier, a new sequencer, a readmission) have that long to withdraw.
contract LayerTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling and execution (docs/settlement.md: production at least 2 days).
    /// @param proposers Accounts that may schedule (and cancel) calls.
    /// @param executors Accounts that may execute ready calls; address(0) in the list lets anyone execute.
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
