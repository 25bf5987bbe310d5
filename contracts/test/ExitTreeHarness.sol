// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExitTreeLib} from "../libraries/ExitTreeLib.sol";
import {ExitLeafLib} from "../libraries/ExitLeafLib.sol";
import {ZeroHashes} from "../libraries/ZeroHashes.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";

/// @title Exposes the tree and leaf libraries to tests and measures Poseidon gas.
contract ExitTreeHarness {
    using ExitTreeLib for ExitTreeLib.Tree;

    ExitTreeLib.Tree private _tree;
    uint256 public immutable depth;
    uint256 public lastGas;

    constructor(uint256 depth_) {
        depth = depth_;
    }

    function append(uint256 leaf) external returns (uint256) {
        return _tree.append(depth, leaf);
    }

    function root() external view returns (uint256) {
        return _tree.root(depth);
    }

    function count() external view returns (uint256) {
        return _tree.count;
    }

    function computeRoot(uint256 leaf, uint256 index, uint256[] calldata siblings) external pure returns (uint256) {
        return ExitTreeLib.computeRoot(leaf, index, siblings);
    }

    function zero(uint256 height) external pure returns (uint256) {
        return ZeroHashes.zero(height);
    }

    function leafHash(
        uint8 leafType,
        uint32 originNetwork,
        address originAddress,
        uint32 destinationNetwork,
        address destinationAddress,
        uint256 amount,
        uint256 metadataHash
    ) external pure returns (uint256) {
        return ExitLeafLib.hash(leafType, originNetwork, originAddress, destinationNetwork, destinationAddress, amount, metadataHash);
    }

    function fieldKeccak(bytes calldata data) external pure returns (uint256) {
        return ExitLeafLib.fieldKeccak(data);
    }

    /// @notice Gas of one PoseidonT3 and one PoseidonT6 hash (library call included), stored in lastGas as t3 << 128 | t6.
    function measurePoseidon() external returns (uint256 t3Gas, uint256 t6Gas) {
        uint256 g = gasleft();
        PoseidonT3.hash([uint256(1), uint256(2)]);
        t3Gas = g - gasleft();
        g = gasleft();
        PoseidonT6.hash([uint256(1), uint256(2), uint256(3), uint256(4), uint256(5)]);
        t6Gas = g - gasleft();
        lastGas = (t3Gas << 128) | t6Gas;
    }
}
