pragma circom 2.1.6;

// MerkleRootBits(depth): root of a binary Poseidon Merkle tree (docs/protocol.md §4: node = H(left, right))
// from a leaf, the bits of its index (least-significant first = leaf level) and its siblings (bottom-up).
//
// Enforces: root = the fold of leaf with siblings, at level i the running node being the right child iff
//           pathBits[i] == 1 (one Switcher constraint + one Poseidon(2) per level).
// Leaves to the caller: pathBits[i] in {0, 1} (Switcher assumes a binary selector; a non-binary one yields
//           some unrelated root). Callers get the bits from Num2Bits / Num2Bits_strict, which constrain them.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/switcher.circom";

template MerkleRootBits(depth) {
    assert(depth >= 1);
    signal input leaf;
    signal input pathBits[depth];
    signal input siblings[depth];
    signal output root;

    signal node[depth + 1];
    component sw[depth];
    component hash[depth];
    node[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        // bit 0: (node, sibling); bit 1: (sibling, node)
        sw[i] = Switcher();
        sw[i].sel <== pathBits[i];
        sw[i].L <== node[i];
        sw[i].R <== siblings[i];
        hash[i] = Poseidon(2);
        hash[i].inputs[0] <== sw[i].outL;
        hash[i].inputs[1] <== sw[i].outR;
        node[i + 1] <== hash[i].out;
    }
    root <== node[depth];
}
