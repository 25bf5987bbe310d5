pragma circom 2.1.0;

// Pipeline self-test circuit (instance `pipeline_probe` in circuits/instances.json): a Poseidon Merkle
// membership proof. Small on purpose: it exercises compile -> setup -> export -> prove -> verify (JS and
// on chain) in seconds. Not part of the protocol.
//
// Public inputs: root, leafIndex. Private: leaf, siblings[depth].
// Node hash: H(left, right) with circomlib Poseidon(2); bit i of leafIndex = 1 means the node is a right child.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/mux1.circom";

template PipelineProbe(depth) {
    signal input root;
    signal input leafIndex;
    signal input leaf;
    signal input siblings[depth];

    component bits = Num2Bits(depth);   // also range-checks leafIndex < 2^depth
    bits.in <== leafIndex;

    signal node[depth + 1];
    node[0] <== leaf;
    component left[depth];
    component right[depth];
    component hash[depth];
    for (var i = 0; i < depth; i++) {
        left[i] = Mux1();
        left[i].c[0] <== node[i];
        left[i].c[1] <== siblings[i];
        left[i].s <== bits.out[i];
        right[i] = Mux1();
        right[i].c[0] <== siblings[i];
        right[i].c[1] <== node[i];
        right[i].s <== bits.out[i];
        hash[i] = Poseidon(2);
        hash[i].inputs[0] <== left[i].out;
        hash[i].inputs[1] <== right[i].out;
        node[i + 1] <== hash[i].out;
    }
    root === node[depth];
}
