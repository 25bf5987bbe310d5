pragma circom 2.1.6;

// CertificateTransition(exitDepth, balanceDepth, networkBits, maxImports, maxExits, maxDependencies,
// maxBundles, maxTokens): the whole certificate rule: lib/accounting.ts applyTransition (docs/protocol.md §6) on the
// network's old state, the structural rules of §5 that matter for safety, and lib/certificate.ts
// certificateId. The certificate circuit (CertificateProof) and the aggregation circuit (one per slot)
// instantiate it.
//
// Inputs (private): the certificate and the transition witnesses, lists padded with all-zero entries after
// their active prefix (lib/witness/certificate.ts certificateWitness builds them from the model):
//   networkId, height, revision, newStateRootHi, newStateRootLo;
//   old state: exitRoot, exitCount, balanceRoot, nullifierRoot;
//   importCount, imp_*[maxImports] (leaf, source, Merkle proof, nullifier path, token selector);
//   bridgeExitCount, ex_*[maxExits] (leaf, token selector), exitAppendSiblings[exitDepth] (siblings of slot
//   exitCount in the exit tree before the batch: imports do not touch the exit tree);
//   tokenCount, tok_*[maxTokens] (the distinct tracked tokens the certificate moves, each with its balance
//   slot, the slot's old holder and balance, and its Merkle siblings in the tree as the earlier entries left it);
//   dependencyCount, dep_*[maxDependencies] (with the exit root the imports use for each: dep_exitRoot, 0 for a
//   dependency no import names); bundleCount, bun_*[maxBundles]; checkpointNumber, checkpointExitRoot (the
//   L1 checkpoint every L1 import is proven against; both 0 when there is none).
// Outputs: prevStateCommitment, newStateCommitment, prevLocalExitRoot, newLocalExitRoot, newExitCount,
//   newBalanceRoot, newNullifierRoot, exitsHash, importsHash, dependenciesHash, bundlesHash, certificateId,
//   imp_active[], imp_isL1[], ex_active[], dep_active[], bun_active[] (flags for the aggregation circuit).
//
// Enforces:
//   - 1 <= networkId < 2^networkBits, height < 2^64, revision < 2^32, newStateRootHi/Lo < 2^128 (the bytes32 split);
//   - every count <= its capacity, padded entries all-zero (IsActivePrefix + the steps);
//   - imports in order on the running nullifier root, then exits (ImportStep, ExitStep: destinations, origins,
//     Merkle proofs, nullifiers 0 -> 1);
//   - balances per token, not per item (TokenSelect, TokenBalances): each tracked item counts against the one
//     listed entry of its token; per listed token after = before + imports - exits with 0 <= after < 2^192;
//     listed tokens distinct and not native;
//   - the exits appended in order at exitCount (ExitTreeAppend, with EXIT_TREE_FULL);
//   - dependencies sorted, unique, not L1, not self (SortedDependencies); every non-L1 import source among
//     them with the same id and the dependency's stated exit root (ImportSources); L1 sources with
//     certificateId 0, all at the one stated checkpoint (checkpointNumber, checkpointExitRoot; both 0 without an
//     L1 import); bundle legs well formed, each
//     in a certificate of the network the bundle names for it (BundleLegs);
//   - stateCommitment = H(localExitRoot, exitCount, balanceRoot, nullifierRoot) before and after, and the
//     certificate id of §5 over all of it.
// Leaves to the caller: whether the old state is the network's current one and whether each named source
//   root / dependency / L1 checkpoint is legitimate (the aggregation circuit's or the settlement's job);
//   nothing else.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "IsActivePrefix.circom";
include "PrefixListHash.circom";
include "AssertNonZeroIf.circom";
include "ImportStep.circom";
include "ExitStep.circom";
include "TokenSelect.circom";
include "TokenBalances.circom";
include "ExitTreeAppend.circom";
include "SortedDependencies.circom";
include "BundleLegs.circom";
include "ImportSources.circom";
include "CertificateIdHash.circom";

template CertificateTransition(exitDepth, balanceDepth, networkBits, maxImports, maxExits, maxDependencies, maxBundles, maxTokens) {
    assert(networkBits >= 1 && networkBits <= 32);
    assert(exitDepth >= 1 && exitDepth <= 32);
    assert(maxImports >= 1 && maxExits >= 1 && maxDependencies >= 1 && maxBundles >= 1 && maxTokens >= 1);

    // ---- certificate header and old state
    signal input networkId;
    signal input height;
    signal input revision;
    signal input newStateRootHi;
    signal input newStateRootLo;
    signal input exitRoot;
    signal input exitCount;
    signal input balanceRoot;
    signal input nullifierRoot;

    // ---- imported exits
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

    // ---- bridge exits
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

    // ---- the distinct tracked tokens and their balance witnesses
    signal input tokenCount;
    signal input tok_originNetwork[maxTokens];
    signal input tok_originAddress[maxTokens];
    signal input tok_slot[maxTokens];
    signal input tok_slotKeyBefore[maxTokens];
    signal input tok_balBefore[maxTokens];
    signal input tok_balSiblings[maxTokens][balanceDepth];

    // ---- dependencies and bundle legs
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

    signal output prevStateCommitment;
    signal output newStateCommitment;
    signal output prevLocalExitRoot;
    signal output newLocalExitRoot;
    signal output newExitCount;
    signal output newBalanceRoot;
    signal output newNullifierRoot;
    signal output exitsHash;
    signal output importsHash;
    signal output dependenciesHash;
    signal output bundlesHash;
    signal output certificateId;
    signal output imp_active[maxImports];
    signal output imp_isL1[maxImports];
    signal output ex_active[maxExits];
    signal output dep_active[maxDependencies];
    signal output bun_active[maxBundles];

    // ---- header ranges: 1 <= networkId < 2^networkBits, height < 2^64, revision < 2^32, the two halves of newStateRoot
    component networkIdBits = Num2Bits(networkBits);
    networkIdBits.in <== networkId;
    component networkIdNonZero = AssertNonZeroIf();
    networkIdNonZero.in <== networkId;
    networkIdNonZero.enabled <== 1;
    component heightBits = Num2Bits(64);
    heightBits.in <== height;
    component revisionBits = Num2Bits(32);
    revisionBits.in <== revision;
    component stateRootHiBits = Num2Bits(128);
    stateRootHiBits.in <== newStateRootHi;
    component stateRootLoBits = Num2Bits(128);
    stateRootLoBits.in <== newStateRootLo;

    // ---- active prefixes (count <= capacity)
    component importPrefix = IsActivePrefix(maxImports);
    importPrefix.count <== importCount;
    imp_active <== importPrefix.active;
    component exitPrefix = IsActivePrefix(maxExits);
    exitPrefix.count <== bridgeExitCount;
    ex_active <== exitPrefix.active;
    component depPrefix = IsActivePrefix(maxDependencies);
    depPrefix.count <== dependencyCount;
    dep_active <== depPrefix.active;
    component bundlePrefix = IsActivePrefix(maxBundles);
    bundlePrefix.count <== bundleCount;
    bun_active <== bundlePrefix.active;

    // ---- the token list (its active prefix feeds the selectors; the tree update takes the items' parts)
    component tokenPrefix = IsActivePrefix(maxTokens);
    tokenPrefix.count <== tokenCount;
    component tokens = TokenBalances(balanceDepth, maxTokens, maxImports, maxExits);
    tokens.networkId <== networkId;
    tokens.balanceRoot <== balanceRoot;
    tokens.active <== tokenPrefix.active;
    tokens.tok_originNetwork <== tok_originNetwork;
    tokens.tok_originAddress <== tok_originAddress;
    tokens.tok_slot <== tok_slot;
    tokens.tok_slotKeyBefore <== tok_slotKeyBefore;
    tokens.tok_balBefore <== tok_balBefore;
    tokens.tok_balSiblings <== tok_balSiblings;

    // ---- imports, in order, on the running nullifier root; each credits its listed token
    signal nullifierChain[maxImports + 1];
    nullifierChain[0] <== nullifierRoot;
    component imp[maxImports];
    component impToken[maxImports];
    for (var i = 0; i < maxImports; i++) {
        imp[i] = ImportStep(exitDepth, networkBits);
        imp[i].networkId <== networkId;
        imp[i].active <== importPrefix.active[i];
        imp[i].nullifierRoot <== nullifierChain[i];
        imp[i].leafType <== imp_leafType[i];
        imp[i].originNetwork <== imp_originNetwork[i];
        imp[i].originAddress <== imp_originAddress[i];
        imp[i].destinationNetwork <== imp_destinationNetwork[i];
        imp[i].destinationAddress <== imp_destinationAddress[i];
        imp[i].amount <== imp_amount[i];
        imp[i].metadataHash <== imp_metadataHash[i];
        imp[i].sourceNetwork <== imp_sourceNetwork[i];
        imp[i].leafIndex <== imp_leafIndex[i];
        imp[i].sourceHeight <== imp_sourceHeight[i];
        imp[i].sourceCertificateId <== imp_sourceCertificateId[i];
        imp[i].sourceExitRoot <== imp_sourceExitRoot[i];
        imp[i].siblings <== imp_siblings[i];
        imp[i].nullifierSiblings <== imp_nullifierSiblings[i];
        nullifierChain[i + 1] <== imp[i].newNullifierRoot;
        imp_isL1[i] <== imp[i].isL1;

        impToken[i] = TokenSelect(maxTokens);
        impToken[i].tracked <== imp[i].tracked;
        impToken[i].originNetwork <== imp_originNetwork[i];
        impToken[i].originAddress <== imp[i].movedAddress;
        impToken[i].amount <== imp_amount[i];
        impToken[i].sel <== imp_tokenSel[i];
        impToken[i].tokenActive <== tokenPrefix.active;
        impToken[i].tokenOriginNetwork <== tok_originNetwork;
        impToken[i].tokenOriginAddress <== tok_originAddress;
        tokens.importPart[i] <== impToken[i].part;
    }

    // ---- exits, in order, each debiting its listed token; then appended as one batch
    component ex[maxExits];
    component exToken[maxExits];
    for (var j = 0; j < maxExits; j++) {
        ex[j] = ExitStep();
        ex[j].networkId <== networkId;
        ex[j].active <== exitPrefix.active[j];
        ex[j].leafType <== ex_leafType[j];
        ex[j].originNetwork <== ex_originNetwork[j];
        ex[j].originAddress <== ex_originAddress[j];
        ex[j].destinationNetwork <== ex_destinationNetwork[j];
        ex[j].destinationAddress <== ex_destinationAddress[j];
        ex[j].amount <== ex_amount[j];
        ex[j].metadataHash <== ex_metadataHash[j];

        exToken[j] = TokenSelect(maxTokens);
        exToken[j].tracked <== ex[j].tracked;
        exToken[j].originNetwork <== ex_originNetwork[j];
        exToken[j].originAddress <== ex[j].movedAddress;
        exToken[j].amount <== ex_amount[j];
        exToken[j].sel <== ex_tokenSel[j];
        exToken[j].tokenActive <== tokenPrefix.active;
        exToken[j].tokenOriginNetwork <== tok_originNetwork;
        exToken[j].tokenOriginAddress <== tok_originAddress;
        tokens.exitPart[j] <== exToken[j].part;
    }
    component append = ExitTreeAppend(exitDepth, maxExits);
    append.oldRoot <== exitRoot;
    append.size <== exitCount;
    append.count <== bridgeExitCount;
    for (var j = 0; j < maxExits; j++) {
        append.leaves[j] <== ex[j].leafHash;
    }
    append.siblings <== exitAppendSiblings;

    // ---- dependencies, import sources, bundle legs
    component deps = SortedDependencies(maxDependencies);
    deps.ownNetworkId <== networkId;
    deps.active <== depPrefix.active;
    deps.networkId <== dep_networkId;
    deps.height <== dep_height;
    deps.certificateId <== dep_certificateId;

    component sources = ImportSources(maxImports, maxDependencies);
    for (var i = 0; i < maxImports; i++) {
        sources.isL1[i] <== imp[i].isL1;
    }
    sources.sourceNetwork <== imp_sourceNetwork;
    sources.sourceHeight <== imp_sourceHeight;
    sources.sourceCertificateId <== imp_sourceCertificateId;
    sources.sourceExitRoot <== imp_sourceExitRoot;
    sources.dep_networkId <== dep_networkId;
    sources.dep_height <== dep_height;
    sources.dep_certificateId <== dep_certificateId;
    sources.dep_exitRoot <== dep_exitRoot;

    // L1 imports: all at the stated checkpoint; without one, the checkpoint is (0, 0). noL1[i + 1] = no active
    // L1 import among the first i + 1 (a padded import has isL1 = 1 but is not active).
    signal impL1[maxImports];
    signal noL1[maxImports + 1];
    noL1[0] <== 1;
    for (var i = 0; i < maxImports; i++) {
        impL1[i] <== importPrefix.active[i] * imp[i].isL1;
        impL1[i] * (imp_sourceHeight[i] - checkpointNumber) === 0;
        impL1[i] * (imp_sourceExitRoot[i] - checkpointExitRoot) === 0;
        noL1[i + 1] <== noL1[i] * (1 - impL1[i]);
    }
    noL1[maxImports] * checkpointNumber === 0;
    noL1[maxImports] * checkpointExitRoot === 0;

    component bundles = BundleLegs(maxBundles);
    bundles.networkId <== networkId;
    bundles.active <== bundlePrefix.active;
    bundles.bundleId <== bun_bundleId;
    bundles.legIndex <== bun_legIndex;
    bundles.legCount <== bun_legCount;
    bundles.success <== bun_success;
    bundles.participants <== bun_participants;

    // ---- list hashes (active prefixes only)
    component exitsList = PrefixListHash(maxExits);
    exitsList.active <== exitPrefix.active;
    for (var j = 0; j < maxExits; j++) {
        exitsList.items[j] <== ex[j].leafHash;
    }
    exitsHash <== exitsList.out;
    component importsList = PrefixListHash(maxImports);
    importsList.active <== importPrefix.active;
    for (var i = 0; i < maxImports; i++) {
        importsList.items[i] <== imp[i].importHash;
    }
    importsHash <== importsList.out;
    component depsList = PrefixListHash(maxDependencies);
    depsList.active <== depPrefix.active;
    depsList.items <== deps.items;
    dependenciesHash <== depsList.out;
    component bundlesList = PrefixListHash(maxBundles);
    bundlesList.active <== bundlePrefix.active;
    bundlesList.items <== bundles.items;
    bundlesHash <== bundlesList.out;

    // ---- state commitments and the certificate id
    newBalanceRoot <== tokens.newBalanceRoot;
    newNullifierRoot <== nullifierChain[maxImports];
    prevLocalExitRoot <== exitRoot;
    newLocalExitRoot <== append.newRoot;
    newExitCount <== append.newSize;

    component prevCommitment = Poseidon(4);
    prevCommitment.inputs[0] <== exitRoot;
    prevCommitment.inputs[1] <== exitCount;
    prevCommitment.inputs[2] <== balanceRoot;
    prevCommitment.inputs[3] <== nullifierRoot;
    prevStateCommitment <== prevCommitment.out;
    component newCommitment = Poseidon(4);
    newCommitment.inputs[0] <== newLocalExitRoot;
    newCommitment.inputs[1] <== newExitCount;
    newCommitment.inputs[2] <== newBalanceRoot;
    newCommitment.inputs[3] <== newNullifierRoot;
    newStateCommitment <== newCommitment.out;

    component id = CertificateIdHash();
    id.networkId <== networkId;
    id.height <== height;
    id.revision <== revision;
    id.prevStateCommitment <== prevStateCommitment;
    id.newStateCommitment <== newStateCommitment;
    id.prevLocalExitRoot <== prevLocalExitRoot;
    id.newLocalExitRoot <== newLocalExitRoot;
    id.newStateRootHi <== newStateRootHi;
    id.newStateRootLo <== newStateRootLo;
    id.exitsHash <== exitsHash;
    id.importsHash <== importsHash;
    id.dependenciesHash <== dependenciesHash;
    id.bundlesHash <== bundlesHash;
    certificateId <== id.out;
}
