// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";

/// @title Exit leaf encoding (docs/protocol.md §3), identical to lib/exit-leaf.ts.
/// @notice leaf = Poseidon(leafType | originNetwork << 8 | destinationNetwork << 40 | amount << 72,
///                         originAddress, destinationAddress, keccak256(metadata) >> 3)
library ExitLeafLib {
    uint8 internal constant LEAF_ASSET = 0;
    uint8 internal constant LEAF_MESSAGE = 1;
    /// @notice Amounts are below 2^128 so that no balance sum wraps the field in the certificate circuit.
    uint256 internal constant MAX_AMOUNT = type(uint128).max;

    /// @notice keccak256 of bytes reduced to a field element by keeping its top 253 bits.
    function fieldKeccak(bytes calldata data) internal pure returns (uint256) {
        return uint256(keccak256(data)) >> 3;
    }

    function fieldKeccakMem(bytes memory data) internal pure returns (uint256) {
        return uint256(keccak256(data)) >> 3;
    }

    function hash(
        uint8 leafType,
        uint32 originNetwork,
        address originAddress,
        uint32 destinationNetwork,
        address destinationAddress,
        uint256 amount,
        uint256 metadataHash
    ) internal pure returns (uint256) {
        // Callers bound amount by MAX_AMOUNT (2^128 - 1), so the packed word has at most 200 bits.
        uint256 word =
            uint256(leafType) | (uint256(originNetwork) << 8) | (uint256(destinationNetwork) << 40) | (amount << 72);
        return PoseidonT5.hash([word, uint256(uint160(originAddress)), uint256(uint160(destinationAddress)), metadataHash]);
    }
}
