// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementHub} from "../settlement/SettlementHub.sol";

/// @title A scripted stand-in for the hub's batch certificate verifier (tests of the hub's own logic only; it
/// proves nothing). It takes proofs of PUBLIC_INPUTS public inputs each and answers `accepts` for every batch.
contract TestBatchVerifier {
    /// @notice Number of public inputs of one proof (m), as the hub's constructor checks it.
    uint256 public immutable PUBLIC_INPUTS;
    /// @notice What verifyBatch answers.
    bool public accepts = true;

    constructor(uint256 publicInputs) {
        PUBLIC_INPUTS = publicInputs;
    }

    /// @notice Sets what verifyBatch answers.
    function setAccepts(bool yes) external {
        accepts = yes;
    }

    /// @notice `accepts`, whatever the proofs and public inputs.
    function verifyBatch(uint256[8][] calldata, uint256[] calldata) external view returns (bool) {
        return accepts;
    }
}

/// @title Reports an equivocation and cannot receive the reward (no receive or fallback function).
contract EthRejectingReporter {
    /// @notice Forwards an equivocation report to `hub`.
    function report(
        SettlementHub hub,
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 idA,
        bytes calldata sigA,
        uint256 idB,
        bytes calldata sigB
    ) external {
        hub.reportEquivocation(networkId, height, revision, idA, sigA, idB, sigB);
    }
}
