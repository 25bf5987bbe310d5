// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {ZeroHashes} from "./ZeroHashes.sol";

/// @title Append-only Poseidon Merkle tree kept as a frontier (one node per level), as in lib/exit-tree.ts.
/// @notice Appending costs one hash per trailing one-bit of the new size (about one on average); the root is
/// computed on demand with `depth` hashes. A tree holds at most 2^depth - 1 leaves: the frontier cannot
/// represent the completely full tree.
library ExitTreeLib {
    uint256 internal constant MAX_DEPTH = 32;

    /// @notice Thrown when appending to a tree that holds 2^depth - 1 leaves.
    error ExitTreeFull(uint256 depth);
    /// @notice Thrown when a proof's length differs from the tree depth or its index does not fit it.
    error MalformedMerkleProof(uint256 index, uint256 length);

    struct Tree {
        uint256[MAX_DEPTH] branch;
        uint256 count;
    }

    /// @notice Appends `leaf` and returns its index.
    function append(Tree storage t, uint256 depth, uint256 leaf) internal returns (uint256 index) {
        index = t.count;
        if (index + 1 >= (uint256(1) << depth)) revert ExitTreeFull(depth);
        uint256 size = index + 1;
        t.count = size;
        uint256 node = leaf;
        for (uint256 h = 0; h < depth; ++h) {
            if ((size >> h) & 1 == 1) {
                t.branch[h] = node;
                return index;
            }
            node = PoseidonT3.hash([t.branch[h], node]);
        }
        // Unreachable: size < 2^depth has a one-bit below `depth`.
    }

    /// @notice The current root.
    function root(Tree storage t, uint256 depth) internal view returns (uint256 node) {
        uint256 size = t.count;
        for (uint256 h = 0; h < depth; ++h) {
            if ((size >> h) & 1 == 1) node = PoseidonT3.hash([t.branch[h], node]);
            else node = PoseidonT3.hash([node, ZeroHashes.zero(h)]);
        }
    }

    /// @notice Root implied by `leaf` at `index` with bottom-up `siblings`.
    function computeRoot(uint256 leaf, uint256 index, uint256[] calldata siblings) internal pure returns (uint256 node) {
        uint256 depth = siblings.length;
        if (depth > MAX_DEPTH || index >> depth != 0) revert MalformedMerkleProof(index, depth);
        node = leaf;
        for (uint256 h = 0; h < depth; ++h) {
            node = (index >> h) & 1 == 0 ? PoseidonT3.hash([node, siblings[h]]) : PoseidonT3.hash([siblings[h], node]);
        }
    }
}
