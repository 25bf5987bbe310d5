pragma circom 2.1.6;

// Aggregation(exitDepth, balanceDepth, networkBits, historyDepth, maxImports, maxExits, maxDependencies,
//             maxBundles, maxTokens, slots): one epoch (docs/protocol.md §9).
//
// Enforces: for each active slot (a prefix of `slotCount` slots), the whole certificate transition
//           (CertificateTransition: chain-level accounting and the certificate id) and rules 1-4 of §9:
//           continuation of the network's settled state with contiguous heights (GlobalSlotUpdate, applied in
//           slot order to a running root from oldGlobalRoot to newGlobalRoot), exact dependency matches in the
//           epoch or in the old global state's history (FinalizedEntry), import roots equal to their source's
//           exit root or to the epoch's L1 checkpoint, complete and successful bundles (BundleCheck).
//           Public inputs, in order: oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, l1ExitRoot, then per slot
//           slotPublic[s] = (slotWord = networkId + height * 2^32 + revision * 2^96, certificateId,
//           newLocalExitRoot), all 0 for an unused slot (revision is the one the certificate id binds: the hub
//           checks the sequencer's signature and the licence of that revision).
// Leaves to the caller (the settlement hub): that oldGlobalRoot is the stored root, that l1ExitRoot is L1's
//           checkpoint number l1CheckpointNumber, that each slot's certificate is signed by its network's
//           sequencer and the network is active. An unused slot's private inputs must still satisfy
//           CertificateTransition (the witness builder puts an empty genesis certificate there); nothing of it
//           reaches the public inputs or the global state.
include "circomlib/circuits/comparators.circom";
include "CertificateTransition.circom";
include "GlobalSlotUpdate.circom";
include "FinalizedEntry.circom";
include "BundleCheck.circom";
include "IsActivePrefix.circom";
include "OneHot.circom";
include "SelectBySel.circom";
include "ZeroHash.circom";

template Aggregation(exitDepth, balanceDepth, networkBits, historyDepth, maxImports, maxExits, maxDependencies, maxBundles, maxTokens, slots) {
    var S = slots;
    var I = maxImports;
    var E = maxExits;
    var D = maxDependencies;
    var B = maxBundles;
    var T = maxTokens;
    var nullifierDepth = networkBits + exitDepth;

    // ---------------------------------------------------------------- public inputs (this order is the ABI)
    signal input oldGlobalRoot;
    signal input newGlobalRoot;
    signal input l1CheckpointNumber;
    signal input l1ExitRoot;
    signal input slotPublic[S][3];

    // ---------------------------------------------------------------- certificates (CertificateTransition inputs per slot)
    signal input slotCount;
    signal input networkId[S];
    signal input height[S];
    signal input revision[S];
    signal input newStateRootHi[S];
    signal input newStateRootLo[S];
    signal input exitRoot[S];
    signal input exitCount[S];
    signal input balanceRoot[S];
    signal input nullifierRoot[S];
    signal input importCount[S];
    signal input imp_leafType[S][I];
    signal input imp_originNetwork[S][I];
    signal input imp_originAddress[S][I];
    signal input imp_destinationNetwork[S][I];
    signal input imp_destinationAddress[S][I];
    signal input imp_amount[S][I];
    signal input imp_metadataHash[S][I];
    signal input imp_sourceNetwork[S][I];
    signal input imp_leafIndex[S][I];
    signal input imp_sourceHeight[S][I];
    signal input imp_sourceCertificateId[S][I];
    signal input imp_sourceExitRoot[S][I];
    signal input imp_siblings[S][I][exitDepth];
    signal input imp_nullifierSiblings[S][I][nullifierDepth];
    signal input imp_tokenSel[S][I][T];
    signal input bridgeExitCount[S];
    signal input ex_leafType[S][E];
    signal input ex_originNetwork[S][E];
    signal input ex_originAddress[S][E];
    signal input ex_destinationNetwork[S][E];
    signal input ex_destinationAddress[S][E];
    signal input ex_amount[S][E];
    signal input ex_metadataHash[S][E];
    signal input ex_tokenSel[S][E][T];
    signal input exitAppendSiblings[S][exitDepth];
    signal input tokenCount[S];
    signal input tok_originNetwork[S][T];
    signal input tok_originAddress[S][T];
    signal input tok_slot[S][T];
    signal input tok_slotKeyBefore[S][T];
    signal input tok_balBefore[S][T];
    signal input tok_balSiblings[S][T][balanceDepth];
    signal input dependencyCount[S];
    signal input dep_networkId[S][D];
    signal input dep_height[S][D];
    signal input dep_certificateId[S][D];
    signal input dep_exitRoot[S][D];
    signal input checkpointNumber[S];
    signal input checkpointExitRoot[S];
    signal input bundleCount[S];
    signal input bun_bundleId[S][B];
    signal input bun_legIndex[S][B];
    signal input bun_legCount[S][B];
    signal input bun_success[S][B];
    signal input bun_participants[S][B];

    // ---------------------------------------------------------------- global-state witnesses
    signal input rec_isGenesis[S];
    signal input rec_stateCommitment[S];
    signal input rec_nextHeight[S];
    signal input rec_lastCertificateId[S];
    signal input rec_historyRoot[S];
    signal input globalSiblings[S][networkBits];
    signal input historySiblings[S][historyDepth];
    // Dependencies: in this epoch (one-hot slot selector) or finalized (record + proofs under oldGlobalRoot).
    signal input dep_inEpoch[S][D];
    signal input dep_slotSel[S][D][S];
    signal input fin_exitRoot[S][D];
    signal input fin_stateCommitment[S][D];
    signal input fin_nextHeight[S][D];
    signal input fin_lastCertificateId[S][D];
    signal input fin_historyRoot[S][D];
    signal input fin_globalSiblings[S][D][networkBits];
    signal input fin_historySiblings[S][D][historyDepth];
    // Imports: which dependency is the source (one-hot; none for an L1 import).
    signal input imp_depSel[S][I][D];

    signal active[S] <== IsActivePrefix(S)(slotCount);

    // ---------------------------------------------------------------- per-slot transitions
    component ct[S];
    for (var s = 0; s < S; s++) {
        ct[s] = CertificateTransition(exitDepth, balanceDepth, networkBits, I, E, D, B, T);
        ct[s].networkId <== networkId[s];
        ct[s].height <== height[s];
        ct[s].revision <== revision[s];
        ct[s].newStateRootHi <== newStateRootHi[s];
        ct[s].newStateRootLo <== newStateRootLo[s];
        ct[s].exitRoot <== exitRoot[s];
        ct[s].exitCount <== exitCount[s];
        ct[s].balanceRoot <== balanceRoot[s];
        ct[s].nullifierRoot <== nullifierRoot[s];
        ct[s].importCount <== importCount[s];
        ct[s].imp_leafType <== imp_leafType[s];
        ct[s].imp_originNetwork <== imp_originNetwork[s];
        ct[s].imp_originAddress <== imp_originAddress[s];
        ct[s].imp_destinationNetwork <== imp_destinationNetwork[s];
        ct[s].imp_destinationAddress <== imp_destinationAddress[s];
        ct[s].imp_amount <== imp_amount[s];
        ct[s].imp_metadataHash <== imp_metadataHash[s];
        ct[s].imp_sourceNetwork <== imp_sourceNetwork[s];
        ct[s].imp_leafIndex <== imp_leafIndex[s];
        ct[s].imp_sourceHeight <== imp_sourceHeight[s];
        ct[s].imp_sourceCertificateId <== imp_sourceCertificateId[s];
        ct[s].imp_sourceExitRoot <== imp_sourceExitRoot[s];
        ct[s].imp_siblings <== imp_siblings[s];
        ct[s].imp_nullifierSiblings <== imp_nullifierSiblings[s];
        ct[s].imp_tokenSel <== imp_tokenSel[s];
        ct[s].bridgeExitCount <== bridgeExitCount[s];
        ct[s].ex_leafType <== ex_leafType[s];
        ct[s].ex_originNetwork <== ex_originNetwork[s];
        ct[s].ex_originAddress <== ex_originAddress[s];
        ct[s].ex_destinationNetwork <== ex_destinationNetwork[s];
        ct[s].ex_destinationAddress <== ex_destinationAddress[s];
        ct[s].ex_amount <== ex_amount[s];
        ct[s].ex_metadataHash <== ex_metadataHash[s];
        ct[s].ex_tokenSel <== ex_tokenSel[s];
        ct[s].exitAppendSiblings <== exitAppendSiblings[s];
        ct[s].tokenCount <== tokenCount[s];
        ct[s].tok_originNetwork <== tok_originNetwork[s];
        ct[s].tok_originAddress <== tok_originAddress[s];
        ct[s].tok_slot <== tok_slot[s];
        ct[s].tok_slotKeyBefore <== tok_slotKeyBefore[s];
        ct[s].tok_balBefore <== tok_balBefore[s];
        ct[s].tok_balSiblings <== tok_balSiblings[s];
        ct[s].dependencyCount <== dependencyCount[s];
        ct[s].dep_networkId <== dep_networkId[s];
        ct[s].dep_height <== dep_height[s];
        ct[s].dep_certificateId <== dep_certificateId[s];
        // The certificate's own statements; rule 3 below pins every import root to the epoch's checkpoint or
        // to its dependency's real exit root, so these agree with them.
        ct[s].dep_exitRoot <== dep_exitRoot[s];
        ct[s].checkpointNumber <== checkpointNumber[s];
        ct[s].checkpointExitRoot <== checkpointExitRoot[s];
        ct[s].bundleCount <== bundleCount[s];
        ct[s].bun_bundleId <== bun_bundleId[s];
        ct[s].bun_legIndex <== bun_legIndex[s];
        ct[s].bun_legCount <== bun_legCount[s];
        ct[s].bun_success <== bun_success[s];
        ct[s].bun_participants <== bun_participants[s];

        // Public slot values: the certificate's, or 0 for an unused slot.
        // (networkId < 2^32, height < 2^64, revision < 2^32 are range-checked by the transition: the word is unique.)
        slotPublic[s][0] === active[s] * (networkId[s] + height[s] * (1 << 32) + revision[s] * (1 << 96));
        slotPublic[s][1] === active[s] * ct[s].certificateId;
        slotPublic[s][2] === active[s] * ct[s].newLocalExitRoot;
    }

    // ---------------------------------------------------------------- rule 1: global state, in slot order
    // The state of a network that never settled: empty exit, balance and nullifier trees (docs §8).
    signal genesis <== Poseidon(4)([zeroHash(exitDepth), 0, zeroHash(balanceDepth), zeroHash(nullifierDepth)]);
    signal running[S + 1];
    running[0] <== oldGlobalRoot;
    component upd[S];
    for (var s = 0; s < S; s++) {
        upd[s] = GlobalSlotUpdate(networkBits, historyDepth);
        upd[s].genesisStateCommitment <== genesis;
        upd[s].enabled <== active[s];
        upd[s].runningRoot <== running[s];
        upd[s].networkId <== networkId[s];
        upd[s].height <== height[s];
        upd[s].prevStateCommitment <== ct[s].prevStateCommitment;
        upd[s].newStateCommitment <== ct[s].newStateCommitment;
        upd[s].certificateId <== ct[s].certificateId;
        upd[s].newLocalExitRoot <== ct[s].newLocalExitRoot;
        upd[s].isGenesis <== rec_isGenesis[s];
        upd[s].stateCommitment <== rec_stateCommitment[s];
        upd[s].nextHeight <== rec_nextHeight[s];
        upd[s].lastCertificateId <== rec_lastCertificateId[s];
        upd[s].historyRoot <== rec_historyRoot[s];
        upd[s].globalSiblings <== globalSiblings[s];
        upd[s].historySiblings <== historySiblings[s];
        running[s + 1] <== upd[s].nextRoot;
    }
    newGlobalRoot === running[S];

    // ---------------------------------------------------------------- rule 2: dependencies
    signal slotActiveValues[S];
    signal slotNetworkValues[S];
    signal slotHeightValues[S];
    signal slotIdValues[S];
    signal slotExitRootValues[S];
    for (var k = 0; k < S; k++) {
        slotActiveValues[k] <== active[k];
        slotNetworkValues[k] <== networkId[k];
        slotHeightValues[k] <== height[k];
        slotIdValues[k] <== ct[k].certificateId;
        slotExitRootValues[k] <== ct[k].newLocalExitRoot;
    }
    signal depActive[S][D];
    signal depInEpoch[S][D];
    signal depFinalized[S][D];
    signal depExitRoot[S][D];
    signal depPick[S][D];
    signal selActive[S][D];
    signal selNetwork[S][D];
    signal selHeight[S][D];
    signal selId[S][D];
    signal selExitRoot[S][D];
    component depSel[S][D];
    component fin[S][D];
    for (var s = 0; s < S; s++) {
        for (var d = 0; d < D; d++) {
            depActive[s][d] <== active[s] * ct[s].dep_active[d];
            dep_inEpoch[s][d] * (dep_inEpoch[s][d] - 1) === 0;
            depInEpoch[s][d] <== depActive[s][d] * dep_inEpoch[s][d];
            depFinalized[s][d] <== depActive[s][d] - depInEpoch[s][d];

            depSel[s][d] = OneHot(S);
            depSel[s][d].sel <== dep_slotSel[s][d];
            depSel[s][d].enabled <== depInEpoch[s][d];
            // The selected slot is active and is exactly (networkId, height, certificateId).
            selActive[s][d] <== SelectBySel(S)(dep_slotSel[s][d], slotActiveValues);
            selNetwork[s][d] <== SelectBySel(S)(dep_slotSel[s][d], slotNetworkValues);
            selHeight[s][d] <== SelectBySel(S)(dep_slotSel[s][d], slotHeightValues);
            selId[s][d] <== SelectBySel(S)(dep_slotSel[s][d], slotIdValues);
            selExitRoot[s][d] <== SelectBySel(S)(dep_slotSel[s][d], slotExitRootValues);
            depInEpoch[s][d] * (selActive[s][d] - 1) === 0;
            depInEpoch[s][d] * (selNetwork[s][d] - dep_networkId[s][d]) === 0;
            depInEpoch[s][d] * (selHeight[s][d] - dep_height[s][d]) === 0;
            depInEpoch[s][d] * (selId[s][d] - dep_certificateId[s][d]) === 0;

            fin[s][d] = FinalizedEntry(networkBits, historyDepth);
            fin[s][d].enabled <== depFinalized[s][d];
            fin[s][d].oldGlobalRoot <== oldGlobalRoot;
            fin[s][d].networkId <== dep_networkId[s][d];
            fin[s][d].height <== dep_height[s][d];
            fin[s][d].certificateId <== dep_certificateId[s][d];
            fin[s][d].exitRoot <== fin_exitRoot[s][d];
            fin[s][d].stateCommitment <== fin_stateCommitment[s][d];
            fin[s][d].nextHeight <== fin_nextHeight[s][d];
            fin[s][d].lastCertificateId <== fin_lastCertificateId[s][d];
            fin[s][d].historyRoot <== fin_historyRoot[s][d];
            fin[s][d].globalSiblings <== fin_globalSiblings[s][d];
            fin[s][d].historySiblings <== fin_historySiblings[s][d];

            // The dependency's exit root: from its slot, or from its finalized history leaf.
            depPick[s][d] <== depInEpoch[s][d] * selExitRoot[s][d];
            depExitRoot[s][d] <== depPick[s][d] + depFinalized[s][d] * fin_exitRoot[s][d];
        }
    }

    // ---------------------------------------------------------------- rule 3: import roots
    component impSel[S][I];
    signal impActive[S][I];
    signal impL1[S][I];
    signal impOther[S][I];
    signal depNetworkValues[S][D];
    signal depHeightValues[S][D];
    signal depIdValues[S][D];
    signal srcNetwork[S][I];
    signal srcHeight[S][I];
    signal srcId[S][I];
    signal srcRoot[S][I];
    for (var s = 0; s < S; s++) {
        for (var d = 0; d < D; d++) {
            depNetworkValues[s][d] <== dep_networkId[s][d];
            depHeightValues[s][d] <== dep_height[s][d];
            depIdValues[s][d] <== dep_certificateId[s][d];
        }
        for (var i = 0; i < I; i++) {
            impActive[s][i] <== active[s] * ct[s].imp_active[i];
            impL1[s][i] <== impActive[s][i] * ct[s].imp_isL1[i];
            impOther[s][i] <== impActive[s][i] - impL1[s][i];
            // An L1 import is against the epoch's checkpoint.
            impL1[s][i] * (imp_sourceHeight[s][i] - l1CheckpointNumber) === 0;
            impL1[s][i] * (imp_sourceExitRoot[s][i] - l1ExitRoot) === 0;
            // Any other import is against the exit root of the dependency it names.
            impSel[s][i] = OneHot(D);
            impSel[s][i].sel <== imp_depSel[s][i];
            impSel[s][i].enabled <== impOther[s][i];
            srcNetwork[s][i] <== SelectBySel(D)(imp_depSel[s][i], depNetworkValues[s]);
            srcHeight[s][i] <== SelectBySel(D)(imp_depSel[s][i], depHeightValues[s]);
            srcId[s][i] <== SelectBySel(D)(imp_depSel[s][i], depIdValues[s]);
            srcRoot[s][i] <== SelectBySel(D)(imp_depSel[s][i], depExitRoot[s]);
            impOther[s][i] * (srcNetwork[s][i] - imp_sourceNetwork[s][i]) === 0;
            impOther[s][i] * (srcHeight[s][i] - imp_sourceHeight[s][i]) === 0;
            impOther[s][i] * (srcId[s][i] - imp_sourceCertificateId[s][i]) === 0;
            impOther[s][i] * (srcRoot[s][i] - imp_sourceExitRoot[s][i]) === 0;
        }
    }

    // ---------------------------------------------------------------- rule 4: bundles
    component bundles = BundleCheck(S * B);
    for (var s = 0; s < S; s++) {
        for (var b = 0; b < B; b++) {
            bundles.active[s * B + b] <== active[s] * ct[s].bun_active[b];
            bundles.bundleId[s * B + b] <== bun_bundleId[s][b];
            bundles.legIndex[s * B + b] <== bun_legIndex[s][b];
            bundles.legCount[s * B + b] <== bun_legCount[s][b];
            bundles.success[s * B + b] <== bun_success[s][b];
            bundles.participants[s * B + b] <== bun_participants[s][b];
        }
    }
}
