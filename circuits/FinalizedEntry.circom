pragma circom 2.1.6;

// FinalizedEntry(networkBits, historyDepth): proves that certificate (networkId, height, certificateId) was
// finalized with exit root exitRoot before this epoch (docs/protocol.md §9 rule 2): its history leaf
// Poseidon(certificateId, exitRoot) is at index height of the history tree whose root is in the network's
// leaf under the epoch's old global root.
//
// Enforces, when enabled == 1: NetworkLeafHash(record) at index networkId under oldGlobalRoot; the history
//           leaf at index height under record.historyRoot. (A leaf at height >= nextHeight is empty in an
//           append-only history, and a Poseidon output is never 0, so the entry exists.)
//           When enabled == 0 nothing is required.
// Leaves to the caller: using exitRoot only when enabled.
include "circomlib/circuits/poseidon.circom";
include "MerkleRoot.circom";
include "NetworkLeafHash.circom";

template FinalizedEntry(networkBits, historyDepth) {
    signal input enabled;
    signal input oldGlobalRoot;
    signal input networkId;
    signal input height;
    signal input certificateId;
    signal input exitRoot;
    signal input stateCommitment;
    signal input nextHeight;
    signal input lastCertificateId;
    signal input historyRoot;
    signal input globalSiblings[networkBits];
    signal input historySiblings[historyDepth];

    signal leaf <== NetworkLeafHash()(stateCommitment, nextHeight, lastCertificateId, historyRoot);
    signal globalRoot <== MerkleRoot(networkBits)(leaf, networkId * enabled, globalSiblings);
    enabled * (globalRoot - oldGlobalRoot) === 0;

    signal entry <== Poseidon(2)([certificateId, exitRoot]);
    signal root <== MerkleRoot(historyDepth)(entry, height * enabled, historySiblings);
    enabled * (root - historyRoot) === 0;
}
