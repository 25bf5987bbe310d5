pragma circom 2.1.6;

// MerkleUpdate(depth): one leaf update at `index` of a binary Poseidon tree (docs/protocol.md §4), one shared
// sibling path: oldLeaf -> oldRoot and newLeaf -> newRoot (lib/smt.ts SparseMerkleTree.set / SmtUpdate).
//
// Enforces: 0 <= index < 2^depth (Num2Bits(depth)); oldRoot and newRoot are the folds of oldLeaf and newLeaf
//           along the same index and siblings.
// Leaves to the caller: comparing oldRoot with the current root (this template computes it, it does not
//           check it), and what the leaves may be.
include "circomlib/circuits/bitify.circom";
include "MerkleUpdateBits.circom";

template MerkleUpdate(depth) {
    assert(depth >= 1 && depth <= 253);
    signal input index;
    signal input oldLeaf;
    signal input newLeaf;
    signal input siblings[depth];
    signal output oldRoot;
    signal output newRoot;

    component indexBits = Num2Bits(depth);
    indexBits.in <== index;

    component update = MerkleUpdateBits(depth);
    update.pathBits <== indexBits.out;
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.siblings <== siblings;
    oldRoot <== update.oldRoot;
    newRoot <== update.newRoot;
}
