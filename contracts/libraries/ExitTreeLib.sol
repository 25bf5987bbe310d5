// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {ZeroHashes} from "./ZeroHashes.sol";

/// @title Append-only Poseidon Merkle tree whose append costs at most one hash, whatever the leaf index.
/// @notice The tree is the one of lib/exit-tree.ts (same root after every append); only the way it is kept differs.
/// A plain frontier (one node per level) hashes one level per trailing one-bit of the new index on append: 0 to
/// depth - 1 Poseidon hashes (~20k gas each), so the gas of an exit depended on how many exits preceded it, and a
/// wallet's gas estimate made before another exit landed was short. Here the leaves are kept as complete subtrees
/// in order, at most two per height (`left[h]`, `right[h]`; `pending` holds their count per height, 2 bits each):
/// a redundant binary counter whose digits are those counts. Each append first merges the two subtrees of the
/// lowest height that holds two (one hash), then adds the leaf as a subtree of height 0. This keeps the counter
/// regular (reading the heights upward and skipping digits 1, every 2 comes right after a 0), so no digit exceeds
/// 2 and the merge never lands on a height that already holds two (checked exhaustively up to 2^22 appends and by
/// test/contracts/ExitTree.test.ts against the model). The root folds the subtrees bottom-up: `depth` hashes plus
/// one per pending merge. A tree holds at most 2^depth - 1 leaves, as the model's (`ExitTreeFull`).
library ExitTreeLib {
    uint256 internal constant MAX_DEPTH = 32;

    /// @notice Upper bound on an append's `treeGas`, at any index and depth (docs/gas.md): one PoseidonT3 through a
    /// cold library account (measured 19,584 gas warm, bounded here by 25,000), three storage writes that may each
    /// set a zero slot (3 x 22,100), three cold reads (3 x 2,100) and the arithmetic (5,000). The bridge keeps this
    /// much gas in hand per exit, so that a gas estimate is valid at every index (UnifiedBridge._appendExit).
    uint256 internal constant APPEND_GAS_BOUND = 25_000 + 3 * 22_100 + 3 * 2_100 + 5_000;

    /// @dev Bit 2h + 1 of `pending` is set exactly when height h holds two subtrees (its digit is 2 = 0b10).
    uint256 private constant TWOS = 0xAAAAAAAAAAAAAAAA;

    /// @notice Thrown when appending to a tree that holds 2^depth - 1 leaves.
    error ExitTreeFull(uint256 depth);
    /// @notice Thrown when a proof's length differs from the tree depth or its index does not fit it.
    error MalformedMerkleProof(uint256 index, uint256 length);

    /// @dev left[h]: the first (leftmost) complete subtree of height h, meaningful when h's digit is >= 1;
    /// right[h]: the second, meaningful when the digit is 2; count: the number of leaves; pending: the digits
    /// (complete subtrees held per height: 0, 1 or 2), 2 bits per height, height 0 lowest. count and pending share
    /// one storage slot.
    struct Tree {
        uint256[MAX_DEPTH] left;
        uint256[MAX_DEPTH] right;
        uint64 count;
        uint64 pending;
    }

    /// @notice Appends `leaf`: at most one Poseidon hash. Returns its index and `treeGas`, the gas of the part whose
    /// cost depends on what the tree holds (the merge, the storage writes). Memory is laid out the same way on
    /// every path (the hash input is allocated on all of them, and the memory the library call may touch is paid
    /// before the measurement), so the caller's code after the append costs the same whatever the tree held.
    function append(Tree storage t, uint256 depth, uint256 leaf) internal returns (uint256 index, uint256 treeGas) {
        index = t.count;
        if (index + 1 >= (uint256(1) << depth)) revert ExitTreeFull(depth);
        uint256[2] memory pair;
        uint256 freeMemory;
        assembly ("memory-safe") {
            // Scratch write past the free memory pointer, beyond the library call's arguments and result (68 and
            // 32 bytes at the pointer): that memory is paid here, on every path, not inside the measurement.
            freeMemory := mload(0x40)
            mstore(add(freeMemory, 0xc0), 0)
        }
        uint256 gasStart = gasleft();
        uint256 digits = t.pending;
        uint256 twos = digits & TWOS;
        if (twos != 0) {
            // Merge the lowest height holding two subtrees. Two subtrees of height h hold 2^(h+1) <= count leaves,
            // so h + 1 < depth <= MAX_DEPTH; by regularity height h + 1 holds 0 or 1 subtree.
            uint256 h = _lowestSetBit(twos) >> 1;
            (pair[0], pair[1]) = (t.left[h], t.right[h]);
            uint256 node = PoseidonT3.hash(pair);
            // Cannot wrap: digit h is 2 (bits 0b10), so subtracting 2 << 2h clears it.
            unchecked {
                digits -= uint256(2) << (2 * h);
            }
            if ((digits >> (2 * (h + 1))) & 3 == 0) t.left[h + 1] = node;
            else t.right[h + 1] = node;
            digits += uint256(1) << (2 * (h + 1));
        }
        // The leaf: after the merge the digit of height 0 is 0 or 1 (a 2 there would have been the lowest).
        if (digits & 3 == 0) t.left[0] = leaf;
        else t.right[0] = leaf;
        // Fits: every digit stays <= 2 within 2 bits (regularity), and count < 2^depth <= 2^32.
        t.pending = uint64(digits + 1);
        t.count = uint64(index + 1);
        treeGas = gasStart - gasleft();
        assembly ("memory-safe") {
            // The library call leaves its result allocated (the free memory pointer moved past it) on the merge
            // path only; the result is already on the stack, so release it: the caller's memory then looks the
            // same after every append.
            mstore(0x40, freeMemory)
        }
    }

    /// @notice The current root: the subtrees folded bottom-up, each height's pairs merged into a carry, with the
    /// last node of a height (the frontier node) combined with the zero subtree to its right.
    function root(Tree storage t, uint256 depth) internal view returns (uint256 node) {
        uint256 digits = t.pending;
        // `node`: root of the part of the tree right of (and including) the frontier node of the current height.
        bool carrying;
        uint256 carry;
        for (uint256 h = 0; h < depth; ++h) {
            uint256 d = (digits >> (2 * h)) & 3;
            // The subtrees of height h, left to right: left[h], right[h] (d of them), then the carry from below.
            bool hasFrontier;
            uint256 frontier;
            if (d == 2) {
                uint256 merged = PoseidonT3.hash([t.left[h], t.right[h]]);
                (hasFrontier, frontier) = (carrying, carry);
                (carrying, carry) = (true, merged);
            } else if (d == 1) {
                if (carrying) carry = PoseidonT3.hash([t.left[h], carry]);
                else (hasFrontier, frontier) = (true, t.left[h]);
            } else if (carrying) {
                (hasFrontier, frontier) = (true, carry);
                carrying = false;
            }
            node = hasFrontier ? PoseidonT3.hash([frontier, node]) : PoseidonT3.hash([node, ZeroHashes.zero(h)]);
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

    /// @dev Index of the lowest set bit of `x` (x != 0, x < 2^64), by halving.
    function _lowestSetBit(uint256 x) private pure returns (uint256 r) {
        if (x & 0xFFFFFFFF == 0) (r, x) = (r + 32, x >> 32);
        if (x & 0xFFFF == 0) (r, x) = (r + 16, x >> 16);
        if (x & 0xFF == 0) (r, x) = (r + 8, x >> 8);
        if (x & 0xF == 0) (r, x) = (r + 4, x >> 4);
        if (x & 0x3 == 0) (r, x) = (r + 2, x >> 2);
        if (x & 0x1 == 0) r += 1;
    }
}
