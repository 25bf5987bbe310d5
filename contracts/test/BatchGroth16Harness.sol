// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BatchGroth16} from "../libraries/BatchGroth16.sol";

/// @title Test harness: BatchGroth16 with a verification key given by the caller (synthetic keys of any size).
contract BatchGroth16Harness {
    function verify(BatchGroth16.VerifyingKey memory vk, uint256[8][] calldata proofs, uint256[] calldata publicInputs) external view returns (bool) {
        return BatchGroth16.verify(vk, proofs, publicInputs);
    }
}
