pragma circom 2.1.6;

// ExitTreeAppend(depth, n): appends the first `count` (<= n) of `leaves` to a local exit tree of `size` leaves
// (docs/protocol.md §4, lib/exit-tree.ts ExitTree.append): the new leaves go to slots size .. size+count-1.
//
// Inputs: oldRoot, size, count, leaves[n], siblings[depth] = the siblings (bottom-up) of slot `size` in the
// old tree (lib/exit-tree.ts ExitTree.appendProof). Outputs: newRoot, newSize = size + count.
//
// Enforces:
//   - 0 <= size < 2^depth, 0 <= count <= n;
//   - slot `size` is empty and the siblings are those of the old tree: MerkleRoot(0, size, siblings) == oldRoot;
//   - capacity (EXIT_TREE_FULL): newSize <= 2^depth - 1 (the model never uses the last slot);
//   - newRoot = the root of the old tree with leaves[k] at slot size + k for k < count.
// Relies on the invariant that every slot >= size of the old tree is empty (0). It holds because an exit
// tree starts empty (root zero(depth), size 0) and is only ever extended by this template, which writes
// exactly the slots below newSize. With it, every node right of the touched window is a zero-subtree
// constant, and every node left of it is a sibling on the path of slot `size` (checked against oldRoot).
//
// Cost ("window" method): the slots touched by the batch form, at level h, a window of consecutive nodes
// starting at floor(size / 2^h), at most width(h) = ceil((width(h-1) + 1) / 2) nodes wide (width(0) = n, so
// about n / 2^h + 1; 1 at the root). Level h is computed from level h-1 with two muxes per node on bit h-1 of
// size: when it is 1 the window's parent pairs are shifted by one and the leftmost pair takes the old tree's
// node siblings[h-1] as its left child; nodes right of the window are zero(h-1). Poseidon count: depth
// (emptiness check) + sum of widths (~ n + 2 * depth) instead of 2 * n * depth for n MerkleUpdates.
// For n = 1 (chosen at compile time) it is one MerkleUpdateBits at slot `size` (old leaf 0, new leaf the
// masked leaf): the same 2 * depth hashes, with 2 Switchers per level (one per fold) instead of the window's
// 3 (the emptiness fold's Switcher and two muxes), i.e. `depth` constraints fewer (ExitTreeAppend(8, 1):
// 3874 instead of 3882). Both are sound for the same reason (the invariant above).
// Leaves to the caller: what the leaves are (any field elements; padding entries are masked to 0 here).
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "MerkleRootBits.circom";
include "MerkleUpdateBits.circom";
include "IsActivePrefix.circom";
include "ZeroHash.circom";

template ExitTreeAppend(depth, n) {
    assert(depth >= 1 && depth <= 32);
    assert(n >= 1);
    signal input oldRoot;
    signal input size;
    signal input count;
    signal input leaves[n];
    signal input siblings[depth];
    signal output newRoot;
    signal output newSize;

    component sizeBits = Num2Bits(depth);
    sizeBits.in <== size;

    component prefix = IsActivePrefix(n);
    prefix.count <== count;
    newSize <== size + count;
    component newSizeBits = Num2Bits(depth);
    newSizeBits.in <== newSize;

    if (n == 1) {
        // One slot: a plain update of slot `size` from 0 (emptiness check) to the masked leaf.
        component single = MerkleUpdateBits(depth);
        single.pathBits <== sizeBits.out;
        single.oldLeaf <== 0;
        single.newLeaf <== prefix.active[0] * leaves[0];
        single.siblings <== siblings;
        single.oldRoot === oldRoot;
        newRoot <== single.newRoot;
    } else {
        // Slot `size` is empty in the old tree, and the siblings are the old tree's.
        component empty = MerkleRootBits(depth);
        empty.leaf <== 0;
        empty.pathBits <== sizeBits.out;
        empty.siblings <== siblings;
        empty.root === oldRoot;

        // Window widths and offsets into the flat node array (level 0 = the n new leaves).
        var width[depth + 1];
        var offset[depth + 1];
        width[0] = n;
        offset[0] = 0;
        var total = n;
        for (var h = 1; h <= depth; h++) {
            width[h] = h == depth ? 1 : (width[h - 1] + 2) \ 2;
            offset[h] = total;
            total += width[h];
        }

        signal node[total];
        for (var k = 0; k < n; k++) {
            node[k] <== prefix.active[k] * leaves[k];
        }

        // cand[t] = [left if bit 0, right if bit 0, left if bit 1, right if bit 1] for hashed node t.
        var hashed = total - n;
        signal cand[hashed][4];
        signal left[hashed];
        signal right[hashed];
        component hash[hashed];
        for (var h = 1; h <= depth; h++) {
            var below = offset[h - 1];
            var zero = zeroHash(h - 1);
            for (var k = 0; k < width[h]; k++) {
                var t = offset[h] + k - n;
                // bit 0: children 2k, 2k+1 of the level-(h-1) window; bit 1: children 2k-1, 2k, where child -1 is
                // the old node left of the window (siblings[h-1]). Children past the window are zero(h-1).
                if (2 * k < width[h - 1]) { cand[t][0] <== node[below + 2 * k]; } else { cand[t][0] <== zero; }
                if (2 * k + 1 < width[h - 1]) { cand[t][1] <== node[below + 2 * k + 1]; } else { cand[t][1] <== zero; }
                if (k == 0) { cand[t][2] <== siblings[h - 1]; } else { cand[t][2] <== node[below + 2 * k - 1]; }
                cand[t][3] <== cand[t][0];
                left[t] <== cand[t][0] + sizeBits.out[h - 1] * (cand[t][2] - cand[t][0]);
                right[t] <== cand[t][1] + sizeBits.out[h - 1] * (cand[t][3] - cand[t][1]);
                hash[t] = Poseidon(2);
                hash[t].inputs[0] <== left[t];
                hash[t].inputs[1] <== right[t];
                node[offset[h] + k] <== hash[t].out;
            }
        }
        newRoot <== node[offset[depth]];
    }
}
