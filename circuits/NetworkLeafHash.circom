pragma circom 2.1.6;

// NetworkLeafHash(): the global-tree leaf of a network (docs/protocol.md §8):
//   leaf = Poseidon(stateCommitment, nextHeight, lastCertificateId, historyRoot).
//
// Enforces: nothing beyond the hash.
// Leaves to the caller: that the preimage is the network's (by checking the leaf under a root), and the
//           genesis convention (a never-settled network's leaf is 0, not this hash).
include "circomlib/circuits/poseidon.circom";

template NetworkLeafHash() {
    signal input stateCommitment;
    signal input nextHeight;
    signal input lastCertificateId;
    signal input historyRoot;
    signal output leaf;

    leaf <== Poseidon(4)([stateCommitment, nextHeight, lastCertificateId, historyRoot]);
}
