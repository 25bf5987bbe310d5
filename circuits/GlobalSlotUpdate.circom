pragma circom 2.1.6;

// GlobalSlotUpdate(networkBits, historyDepth): one aggregation slot's effect on the
// global state (docs/protocol.md §8, §9 rule 1). Given the running global root and the network's old leaf
// preimage (or the genesis flag), it checks the certificate continues the network exactly and returns the
// running root after the network's leaf is replaced by
//   Poseidon(newStateCommitment, nextHeight + 1, certificateId, historyRoot')
// where historyRoot' has Poseidon(certificateId, newLocalExitRoot) appended at index nextHeight.
//
// Enforces, when enabled == 1: the old leaf (0 for genesis, else NetworkLeafHash of the preimage) is at
//           index networkId under runningRoot; genesis implies the genesis preimage (genesisStateCommitment,
//           0, 0, zero(historyDepth)); height == nextHeight; prevStateCommitment == stateCommitment; the
//           history slot at nextHeight is empty under historyRoot and nextHeight + 1 < 2^historyDepth (the
//           last slot is never used, as in lib/exit-tree.ts); nextRoot is the updated root.
//           When enabled == 0: nextRoot == runningRoot and nothing else is required.
// Leaves to the caller: genesisStateCommitment (a constant), that prevStateCommitment/newStateCommitment/certificateId/newLocalExitRoot are the
//           certificate's (CertificateTransition computes them), networkId < 2^networkBits is enforced here
//           by the Merkle index decomposition.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "MerkleUpdate.circom";
include "NetworkLeafHash.circom";
include "ZeroHash.circom";

template GlobalSlotUpdate(networkBits, historyDepth) {
    // The state commitment of a never-settled network (a constant of the instance, computed once by the caller).
    signal input genesisStateCommitment;
    signal input enabled;
    signal input runningRoot;
    signal input networkId;
    signal input height;
    signal input prevStateCommitment;
    signal input newStateCommitment;
    signal input certificateId;
    signal input newLocalExitRoot;
    // The network's record before this slot.
    signal input isGenesis;
    signal input stateCommitment;
    signal input nextHeight;
    signal input lastCertificateId;
    signal input historyRoot;
    signal input globalSiblings[networkBits];
    signal input historySiblings[historyDepth];
    signal output nextRoot;

    enabled * (enabled - 1) === 0;
    isGenesis * (isGenesis - 1) === 0;
    // Genesis record: the empty-trees state, height 0, no certificate, an empty history.
    isGenesis * (stateCommitment - genesisStateCommitment) === 0;
    isGenesis * nextHeight === 0;
    isGenesis * lastCertificateId === 0;
    isGenesis * (historyRoot - zeroHash(historyDepth)) === 0;

    signal preimageLeaf <== NetworkLeafHash()(stateCommitment, nextHeight, lastCertificateId, historyRoot);
    signal oldLeaf <== (1 - isGenesis) * preimageLeaf;

    // The certificate continues the network.
    enabled * (height - nextHeight) === 0;
    enabled * (prevStateCommitment - stateCommitment) === 0;

    // History append at index nextHeight (< 2^historyDepth - 1).
    signal room <== LessThan(historyDepth + 1)([(nextHeight + 1) * enabled, 1 << historyDepth]);
    enabled * (1 - room) === 0;
    signal entry <== Poseidon(2)([certificateId, newLocalExitRoot]);
    component history = MerkleUpdate(historyDepth);
    history.index <== nextHeight * enabled;
    history.oldLeaf <== 0;
    history.newLeaf <== entry;
    history.siblings <== historySiblings;
    enabled * (history.oldRoot - historyRoot) === 0;

    signal newLeaf <== NetworkLeafHash()(newStateCommitment, nextHeight + 1, certificateId, history.newRoot);
    component global = MerkleUpdate(networkBits);
    global.index <== networkId;
    global.oldLeaf <== oldLeaf;
    global.newLeaf <== newLeaf;
    global.siblings <== globalSiblings;
    enabled * (global.oldRoot - runningRoot) === 0;

    nextRoot <== runningRoot + enabled * (global.newRoot - runningRoot);
}
