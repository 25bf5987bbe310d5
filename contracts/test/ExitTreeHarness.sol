// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExitTreeLib} from "../libraries/ExitTreeLib.sol";
import {ExitLeafLib} from "../libraries/ExitLeafLib.sol";
import {ZeroHashes} from "../libraries/ZeroHashes.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";

/// @title Exposes the tree and leaf libraries to tests and measures Poseidon gas.
contract ExitTreeHarness {
    using ExitTreeLib for ExitTreeLib.Tree;

    ExitTreeLib.Tree private _tree;
    uint256 public immutable depth;
    uint256 public lastGas;

    constructor(uint256 depth_) {
        depth = depth_;
    }

    function append(uint256 leaf) external returns (uint256 index) {
        (index,) = _tree.append(depth, leaf);
    }

    /// @notice Appends like `append` and records in lastGas the append's `treeGas` (the part that depends on the tree).
    function appendMeasured(uint256 leaf) external returns (uint256 index) {
        (index, lastGas) = _tree.append(depth, leaf);
    }

    function appendGasBound() external pure returns (uint256) {
        return ExitTreeLib.APPEND_GAS_BOUND;
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

    /// @notice Gas of one PoseidonT3 and one PoseidonT5 hash (library call included), stored in lastGas as t3 << 128 | t5.
    function measurePoseidon() external returns (uint256 t3Gas, uint256 t5Gas) {
        // Warm both library accounts first, so the figures are per hash, not per first access.
        PoseidonT3.hash([uint256(3), uint256(4)]);
        PoseidonT5.hash([uint256(5), uint256(6), uint256(7), uint256(8)]);
        uint256 g = gasleft();
        PoseidonT3.hash([uint256(1), uint256(2)]);
        t3Gas = g - gasleft();
        g = gasleft();
        PoseidonT5.hash([uint256(1), uint256(2), uint256(3), uint256(4)]);
        t5Gas = g - gasleft();
        lastGas = (t3Gas << 128) | t5Gas;
    }
}
