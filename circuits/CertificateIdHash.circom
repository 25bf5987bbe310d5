pragma circom 2.1.6;

// CertificateIdHash(): the certificate id (docs/protocol.md §5, lib/certificate.ts certificateId):
//
//   out = Poseidon(networkId, height, revision, prevStateCommitment, newStateCommitment, prevLocalExitRoot,
//                  newLocalExitRoot, newStateRootHi, newStateRootLo, exitsHash, importsHash,
//                  dependenciesHash, bundlesHash)
//
// Enforces: only the hash.
// Leaves to the caller: every range (networkId, height < 2^64, revision < 2^32, newStateRootHi/Lo < 2^128 so
//           that the split of the bytes32 is injective) and how each list hash is computed (CertificateTransition
//           does all that).
include "circomlib/circuits/poseidon.circom";

template CertificateIdHash() {
    signal input networkId;
    signal input height;
    signal input revision;
    signal input prevStateCommitment;
    signal input newStateCommitment;
    signal input prevLocalExitRoot;
    signal input newLocalExitRoot;
    signal input newStateRootHi;
    signal input newStateRootLo;
    signal input exitsHash;
    signal input importsHash;
    signal input dependenciesHash;
    signal input bundlesHash;
    signal output out;

    component hash = Poseidon(13);
    hash.inputs[0] <== networkId;
    hash.inputs[1] <== height;
    hash.inputs[2] <== revision;
    hash.inputs[3] <== prevStateCommitment;
    hash.inputs[4] <== newStateCommitment;
    hash.inputs[5] <== prevLocalExitRoot;
    hash.inputs[6] <== newLocalExitRoot;
    hash.inputs[7] <== newStateRootHi;
    hash.inputs[8] <== newStateRootLo;
    hash.inputs[9] <== exitsHash;
    hash.inputs[10] <== importsHash;
    hash.inputs[11] <== dependenciesHash;
    hash.inputs[12] <== bundlesHash;
    out <== hash.out;
}
