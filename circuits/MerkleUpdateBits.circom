pragma circom 2.1.6;

// MerkleUpdateBits(depth): one leaf update in a binary Poseidon tree: the same path (bits + siblings) folded
// with the old leaf gives oldRoot and with the new leaf gives newRoot (lib/smt.ts SmtUpdate). Because the
// siblings are shared, every other leaf of the tree is unchanged by the update.
//
// Enforces: oldRoot = root(oldLeaf, pathBits, siblings), newRoot = root(newLeaf, pathBits, siblings).
// Leaves to the caller: pathBits[i] in {0, 1} (see MerkleRootBits), and comparing oldRoot with the root the
//           update must start from.
include "MerkleRootBits.circom";

template MerkleUpdateBits(depth) {
    signal input pathBits[depth];
    signal input oldLeaf;
    signal input newLeaf;
    signal input siblings[depth];
    signal output oldRoot;
    signal output newRoot;

    component before = MerkleRootBits(depth);
    before.leaf <== oldLeaf;
    before.pathBits <== pathBits;
    before.siblings <== siblings;
    oldRoot <== before.root;

    component after = MerkleRootBits(depth);
    after.leaf <== newLeaf;
    after.pathBits <== pathBits;
    after.siblings <== siblings;
    newRoot <== after.root;
}
