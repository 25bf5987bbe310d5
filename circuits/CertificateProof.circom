pragma circom 2.1.6;

// CertificateProof(exitDepth, balanceDepth, networkBits, maxImports, maxExits, maxDependencies, maxBundles, maxTokens):
// the per-certificate pessimistic proof (docs/protocol.md §9). Every input is private; the one public signal
// is the output certificateId, which binds every certificate field, both state commitments and every named
// source root.
//
// Enforces: everything CertificateTransition enforces (lib/accounting.ts applyTransition + lib/certificate.ts
//   certificateId + the safety-relevant structural rules of §5).
// Leaves to the verifier: that the certificate with this id is the one it expects (signed by the network's
//   sequencer), that prevStateCommitment is the network's current state and that each named source root is
//   legitimate (the aggregation circuit checks both; a standalone verifier must learn them with the id's
//   preimage).
include "CertificateTransition.circom";

template CertificateProof(exitDepth, balanceDepth, networkBits, maxImports, maxExits, maxDependencies, maxBundles, maxTokens) {
    signal input networkId;
    signal input height;
    signal input revision;
    signal input newStateRootHi;
    signal input newStateRootLo;
    signal input exitRoot;
    signal input exitCount;
    signal input balanceRoot;
    signal input nullifierRoot;
    signal input importCount;
    signal input imp_leafType[maxImports];
    signal input imp_originNetwork[maxImports];
    signal input imp_originAddress[maxImports];
    signal input imp_destinationNetwork[maxImports];
    signal input imp_destinationAddress[maxImports];
    signal input imp_amount[maxImports];
    signal input imp_metadataHash[maxImports];
    signal input imp_sourceNetwork[maxImports];
    signal input imp_leafIndex[maxImports];
    signal input imp_sourceHeight[maxImports];
    signal input imp_sourceCertificateId[maxImports];
    signal input imp_sourceExitRoot[maxImports];
    signal input imp_siblings[maxImports][exitDepth];
    signal input imp_nullifierSiblings[maxImports][networkBits + exitDepth];
    signal input imp_tokenSel[maxImports][maxTokens];
    signal input bridgeExitCount;
    signal input ex_leafType[maxExits];
    signal input ex_originNetwork[maxExits];
    signal input ex_originAddress[maxExits];
    signal input ex_destinationNetwork[maxExits];
    signal input ex_destinationAddress[maxExits];
    signal input ex_amount[maxExits];
    signal input ex_metadataHash[maxExits];
    signal input ex_tokenSel[maxExits][maxTokens];
    signal input exitAppendSiblings[exitDepth];
    signal input tokenCount;
    signal input tok_originNetwork[maxTokens];
    signal input tok_originAddress[maxTokens];
    signal input tok_slot[maxTokens];
    signal input tok_slotKeyBefore[maxTokens];
    signal input tok_balBefore[maxTokens];
    signal input tok_balSiblings[maxTokens][balanceDepth];
    signal input dependencyCount;
    signal input dep_networkId[maxDependencies];
    signal input dep_height[maxDependencies];
    signal input dep_certificateId[maxDependencies];
    signal input bundleCount;
    signal input bun_bundleId[maxBundles];
    signal input bun_legIndex[maxBundles];
    signal input bun_legCount[maxBundles];
    signal input bun_success[maxBundles];
    signal input bun_participants[maxBundles];
    signal output certificateId;

    component transition = CertificateTransition(exitDepth, balanceDepth, networkBits, maxImports, maxExits, maxDependencies, maxBundles, maxTokens);
    transition.networkId <== networkId;
    transition.height <== height;
    transition.revision <== revision;
    transition.newStateRootHi <== newStateRootHi;
    transition.newStateRootLo <== newStateRootLo;
    transition.exitRoot <== exitRoot;
    transition.exitCount <== exitCount;
    transition.balanceRoot <== balanceRoot;
    transition.nullifierRoot <== nullifierRoot;
    transition.importCount <== importCount;
    transition.imp_leafType <== imp_leafType;
    transition.imp_originNetwork <== imp_originNetwork;
    transition.imp_originAddress <== imp_originAddress;
    transition.imp_destinationNetwork <== imp_destinationNetwork;
    transition.imp_destinationAddress <== imp_destinationAddress;
    transition.imp_amount <== imp_amount;
    transition.imp_metadataHash <== imp_metadataHash;
    transition.imp_sourceNetwork <== imp_sourceNetwork;
    transition.imp_leafIndex <== imp_leafIndex;
    transition.imp_sourceHeight <== imp_sourceHeight;
    transition.imp_sourceCertificateId <== imp_sourceCertificateId;
    transition.imp_sourceExitRoot <== imp_sourceExitRoot;
    transition.imp_siblings <== imp_siblings;
    transition.imp_nullifierSiblings <== imp_nullifierSiblings;
    transition.imp_tokenSel <== imp_tokenSel;
    transition.bridgeExitCount <== bridgeExitCount;
    transition.ex_leafType <== ex_leafType;
    transition.ex_originNetwork <== ex_originNetwork;
    transition.ex_originAddress <== ex_originAddress;
    transition.ex_destinationNetwork <== ex_destinationNetwork;
    transition.ex_destinationAddress <== ex_destinationAddress;
    transition.ex_amount <== ex_amount;
    transition.ex_metadataHash <== ex_metadataHash;
    transition.ex_tokenSel <== ex_tokenSel;
    transition.exitAppendSiblings <== exitAppendSiblings;
    transition.tokenCount <== tokenCount;
    transition.tok_originNetwork <== tok_originNetwork;
    transition.tok_originAddress <== tok_originAddress;
    transition.tok_slot <== tok_slot;
    transition.tok_slotKeyBefore <== tok_slotKeyBefore;
    transition.tok_balBefore <== tok_balBefore;
    transition.tok_balSiblings <== tok_balSiblings;
    transition.dependencyCount <== dependencyCount;
    transition.dep_networkId <== dep_networkId;
    transition.dep_height <== dep_height;
    transition.dep_certificateId <== dep_certificateId;
    transition.bundleCount <== bundleCount;
    transition.bun_bundleId <== bun_bundleId;
    transition.bun_legIndex <== bun_legIndex;
    transition.bun_legCount <== bun_legCount;
    transition.bun_success <== bun_success;
    transition.bun_participants <== bun_participants;
    certificateId <== transition.certificateId;
}
