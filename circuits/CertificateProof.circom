pragma circom 2.1.6;

// CertificateProof(exitDepth, balanceDepth, networkBits, maxImports, maxExits, maxDependencies, maxBundles, maxTokens):
// the per-certificate pessimistic proof (docs/protocol.md §9). Every input is private; the public signals are
// its outputs, in this order (lib/settlement.ts certificatePublicSignals computes them from the certificate):
//   certificateId (binds every certificate field, both state commitments and every named source root);
//   slotWord = networkId + height * 2^32 + revision * 2^96;
//   prevStateCommitment, newStateCommitment, newLocalExitRoot;
//   l1Checkpoint = (number, exitRoot) every L1 import is proven against, (0, 0) without one;
//   dependency[d] = (networkId + height * 2^32, certificateId, exitRoot the imports use or 0), zeros when padded;
//   bundleLeg[b] = (bundleId, participants + legIndex * 2^224 + legCount * 2^227 + success * 2^230), zeros when
//   padded.
// They are what a settlement needs to check the certificate against L1 without opening the id.
//
// Enforces: everything CertificateTransition enforces (lib/accounting.ts applyTransition + lib/certificate.ts
//   certificateId + the safety-relevant structural rules of §5); the outputs are those values (the ranges of
//   networkId < 2^32, height < 2^64, revision < 2^32, participants < 2^224, legIndex, legCount < 8 and success
//   binary come from CertificateTransition, so each packed word is injective).
// Leaves to the verifier: that the certificate with this id is the one it expects (signed by the network's
//   sequencer), that prevStateCommitment is the network's current state, that each dependency is settled or
//   finalized with the stated id and exit root, the L1 checkpoint is L1's, and each bundle complete (the
//   aggregation circuit, or a settlement reading these outputs).
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
    signal input dep_exitRoot[maxDependencies];
    signal input checkpointNumber;
    signal input checkpointExitRoot;
    signal input bundleCount;
    signal input bun_bundleId[maxBundles];
    signal input bun_legIndex[maxBundles];
    signal input bun_legCount[maxBundles];
    signal input bun_success[maxBundles];
    signal input bun_participants[maxBundles];
    signal output certificateId;
    signal output slotWord;
    signal output prevStateCommitment;
    signal output newStateCommitment;
    signal output newLocalExitRoot;
    signal output l1Checkpoint[2];
    signal output dependency[maxDependencies][3];
    signal output bundleLeg[maxBundles][2];

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
    transition.dep_exitRoot <== dep_exitRoot;
    transition.checkpointNumber <== checkpointNumber;
    transition.checkpointExitRoot <== checkpointExitRoot;
    transition.bundleCount <== bundleCount;
    transition.bun_bundleId <== bun_bundleId;
    transition.bun_legIndex <== bun_legIndex;
    transition.bun_legCount <== bun_legCount;
    transition.bun_success <== bun_success;
    transition.bun_participants <== bun_participants;
    certificateId <== transition.certificateId;
    slotWord <== networkId + height * (1 << 32) + revision * (1 << 96);
    prevStateCommitment <== transition.prevStateCommitment;
    newStateCommitment <== transition.newStateCommitment;
    newLocalExitRoot <== transition.newLocalExitRoot;
    l1Checkpoint[0] <== checkpointNumber;
    l1Checkpoint[1] <== checkpointExitRoot;
    for (var d = 0; d < maxDependencies; d++) {
        dependency[d][0] <== dep_networkId[d] + dep_height[d] * (1 << 32);
        dependency[d][1] <== dep_certificateId[d];
        dependency[d][2] <== dep_exitRoot[d];
    }
    for (var b = 0; b < maxBundles; b++) {
        bundleLeg[b][0] <== bun_bundleId[b];
        bundleLeg[b][1] <== bun_participants[b] + bun_legIndex[b] * (1 << 224) + bun_legCount[b] * (1 << 227) + bun_success[b] * (1 << 230);
    }
}
