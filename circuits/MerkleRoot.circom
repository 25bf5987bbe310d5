pragma circom 2.1.6;

// MerkleRoot(depth): root of the binary Poseidon tree (docs/protocol.md §4) holding `leaf` at `index`, given
// the leaf's siblings bottom-up (lib/exit-tree.ts computeMerkleRoot).
//
// Enforces: 0 <= index < 2^depth (Num2Bits(depth), a unique decomposition since depth <= 253 < log2 p), and
//           root = the fold of leaf along the bits of index.
// Leaves to the caller: comparing `root` with whatever root it must equal (this template only computes it).
include "circomlib/circuits/bitify.circom";
include "MerkleRootBits.circom";

template MerkleRoot(depth) {
    assert(depth >= 1 && depth <= 253);
    signal input leaf;
    signal input index;
    signal input siblings[depth];
    signal output root;

    component indexBits = Num2Bits(depth);
    indexBits.in <== index;

    component path = MerkleRootBits(depth);
    path.leaf <== leaf;
    path.pathBits <== indexBits.out;
    path.siblings <== siblings;
    root <== path.root;
}
