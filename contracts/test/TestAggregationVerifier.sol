// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAggregationVerifier} from "../interfaces/IAggregationVerifier.sol";
import {SettlementHub} from "../settlement/SettlementHub.sol";

/// @title A scripted stand-in for an aggregation verifier (tests of the hub's own logic only; it proves nothing).
/// @notice verifyProof is a view (the hub calls it with STATICCALL), so it cannot store what it receives. Instead:
/// Accept returns true, Reject returns false, Expect returns whether (proof, publicInputs) equal what `expect` set,
/// and Capture reverts with CapturedCall(proof, publicInputs), which the hub bubbles up: tests read the exact
/// public-input layout from the revert.
contract TestAggregationVerifier is IAggregationVerifier {
    enum Mode {
        Accept,
        Reject,
        Expect,
        Capture
    }

    /// @notice Carries the arguments of a verifyProof call in Capture mode.
    error CapturedCall(uint256[8] proof, uint256[] publicInputs);

    /// @notice The current behaviour.
    Mode public mode;
    /// @notice keccak256(abi.encode(proof, publicInputs)) that Expect mode accepts.
    bytes32 public expectedHash;
    /// @notice What developmentKeys() answers (a stand-in has no keys; tests choose).
    bool public claimsDevelopmentKeys;

    /// @notice Sets what developmentKeys() answers.
    function setDevelopmentKeys(bool yes) external {
        claimsDevelopmentKeys = yes;
    }

    /// @inheritdoc IAggregationVerifier
    function developmentKeys() external view returns (bool) {
        return claimsDevelopmentKeys;
    }

    /// @notice Sets the behaviour.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Switches to Expect mode: only exactly these arguments verify.
    function setExpected(uint256[8] calldata proof, uint256[] calldata publicInputs) external {
        expectedHash = keccak256(abi.encode(proof, publicInputs));
        mode = Mode.Expect;
    }

    /// @inheritdoc IAggregationVerifier
    function verifyProof(uint256[8] calldata proof, uint256[] calldata publicInputs) external view returns (bool) {
        Mode m = mode;
        if (m == Mode.Capture) revert CapturedCall(proof, publicInputs);
        if (m == Mode.Reject) return false;
        if (m == Mode.Expect) return keccak256(abi.encode(proof, publicInputs)) == expectedHash;
        return true;
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
