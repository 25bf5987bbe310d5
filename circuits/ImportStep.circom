pragma circom 2.1.6;

// ImportStep(exitDepth, networkBits): one imported exit of a certificate (docs/protocol.md §6,
// lib/accounting.ts applyImport), applied to the running nullifier root. The credit is done for the whole
// certificate per token by TokenSelect + TokenBalances.
//
// Enforces, when active == 1:
//   - the leaf is valid (ExitLeafHash ranges: INVALID_LEAF);
//   - an asset (leafType 0) moves a non-zero amount (ZERO_AMOUNT); a message may carry value 0;
//   - destinationNetwork == networkId (WRONG_DESTINATION), sourceNetwork != networkId (SELF_IMPORT);
//   - a message (leafType 1) has originNetwork == sourceNetwork (MESSAGE_ORIGIN_MISMATCH);
//   - the Merkle proof of leafHash at leafIndex leads to sourceExitRoot (INVALID_IMPORT_PROOF);
//   - the nullifier leaf at key sourceNetwork * 2^exitDepth + leafIndex (sourceNetwork < 2^networkBits,
//     leafIndex < 2^exitDepth: OUT_OF_RANGE; the key's bits are the two range decompositions, so it is
//     collision-free) is 0 under nullifierRoot and becomes 1 (DOUBLE_IMPORT has no witness);
//   - an L1 source (sourceNetwork == 0) has sourceCertificateId == 0; sourceHeight < 2^64 (BAD_HEIGHT).
// Enforces, when active == 0: every data field is 0 (a padded entry), and the root passes through unchanged.
// Outputs: leafHash, importHash = Poseidon(leafHash, sourceNetwork, leafIndex, sourceHeight,
//   sourceCertificateId, sourceExitRoot) (the item of importsHash, docs §5), isL1 (sourceNetwork == 0; 1 for a
//   padded entry), the new nullifier root; tracked = 1 when the import credits a token of the balance tree
//   (non-zero amount, not native: originNetwork != networkId), and that token (originNetwork, movedAddress):
//   (originNetwork, originAddress) for an asset, (originNetwork, 0) for a message (its value is the sending
//   network's gas coin).
// Leaves to the caller: active binary; networkId's range; the credit of `amount` of the moved token when
//   tracked; that a non-L1 source is one of the certificate's
//   dependencies (ImportSources) and that sourceExitRoot is legitimate (the aggregation circuit's concern).
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "ExitLeafHash.circom";
include "MerkleRootBits.circom";
include "MerkleUpdateBits.circom";
include "AssertNonZeroIf.circom";

template ImportStep(exitDepth, networkBits) {
    signal input networkId;
    signal input active;
    signal input nullifierRoot;

    signal input leafType;
    signal input originNetwork;
    signal input originAddress;
    signal input destinationNetwork;
    signal input destinationAddress;
    signal input amount;
    signal input metadataHash;
    signal input sourceNetwork;
    signal input leafIndex;
    signal input sourceHeight;
    signal input sourceCertificateId;
    signal input sourceExitRoot;
    signal input siblings[exitDepth];
    signal input nullifierSiblings[networkBits + exitDepth];

    signal output newNullifierRoot;
    signal output leafHash;
    signal output importHash;
    signal output isL1;
    signal output tracked;
    signal output movedAddress;

    // A padded entry is all zeros.
    signal inactive <== 1 - active;
    leafType * inactive === 0;
    originNetwork * inactive === 0;
    originAddress * inactive === 0;
    destinationNetwork * inactive === 0;
    destinationAddress * inactive === 0;
    amount * inactive === 0;
    metadataHash * inactive === 0;
    sourceNetwork * inactive === 0;
    leafIndex * inactive === 0;
    sourceHeight * inactive === 0;
    sourceCertificateId * inactive === 0;
    sourceExitRoot * inactive === 0;

    component leaf = ExitLeafHash();
    leaf.leafType <== leafType;
    leaf.originNetwork <== originNetwork;
    leaf.originAddress <== originAddress;
    leaf.destinationNetwork <== destinationNetwork;
    leaf.destinationAddress <== destinationAddress;
    leaf.amount <== amount;
    leaf.metadataHash <== metadataHash;
    leafHash <== leaf.out;

    // WRONG_DESTINATION, SELF_IMPORT, MESSAGE_ORIGIN_MISMATCH (a padded entry has leafType 0).
    (destinationNetwork - networkId) * active === 0;
    component notSelf = AssertNonZeroIf();
    notSelf.in <== sourceNetwork - networkId;
    notSelf.enabled <== active;
    leafType * (originNetwork - sourceNetwork) === 0;

    // Ranges of the nullifier key's parts; their bits are the key's path (leaf index low, network high).
    component sourceBits = Num2Bits(networkBits);
    sourceBits.in <== sourceNetwork;
    component indexBits = Num2Bits(exitDepth);
    indexBits.in <== leafIndex;
    component heightBits = Num2Bits(64);
    heightBits.in <== sourceHeight;

    // The leaf is in the source tree under the named root.
    component proof = MerkleRootBits(exitDepth);
    proof.leaf <== leafHash;
    proof.pathBits <== indexBits.out;
    proof.siblings <== siblings;
    (proof.root - sourceExitRoot) * active === 0;

    // Nullifier 0 -> 1 (0 -> 0 for a padded entry, whose path is then irrelevant).
    component nullifier = MerkleUpdateBits(networkBits + exitDepth);
    for (var i = 0; i < exitDepth; i++) {
        nullifier.pathBits[i] <== indexBits.out[i];
    }
    for (var i = 0; i < networkBits; i++) {
        nullifier.pathBits[exitDepth + i] <== sourceBits.out[i];
    }
    nullifier.oldLeaf <== 0;
    nullifier.newLeaf <== active;
    nullifier.siblings <== nullifierSiblings;
    (nullifier.oldRoot - nullifierRoot) * active === 0;
    newNullifierRoot <== nullifierRoot + active * (nullifier.newRoot - nullifierRoot);

    // An L1 exit is imported against a checkpoint: certificateId 0.
    component l1 = IsZero();
    l1.in <== sourceNetwork;
    isL1 <== l1.out;
    isL1 * sourceCertificateId === 0;

    // ZERO_AMOUNT: (isZero(amount) - inactive) * (1 - leafType) === 0. Active (inactive = 0): an asset needs
    // amount != 0, a message (leafType 1) is free. Padded (inactive = 1): amount is 0 (above), so the factor
    // isZero - inactive is 0. One constraint; relies on active being binary (the caller's) and leafType binary
    // (ExitLeafHash).
    component zeroAmount = IsZero();
    zeroAmount.in <== amount;
    (zeroAmount.out - inactive) * (1 - leafType) === 0;

    // The moved token is credited unless native or zero (a message without value; a padded entry has amount 0).
    component native = IsZero();
    native.in <== originNetwork - networkId;
    tracked <== (1 - zeroAmount.out) * (1 - native.out);
    movedAddress <== (1 - leafType) * originAddress;

    component item = Poseidon(6);
    item.inputs[0] <== leafHash;
    item.inputs[1] <== sourceNetwork;
    item.inputs[2] <== leafIndex;
    item.inputs[3] <== sourceHeight;
    item.inputs[4] <== sourceCertificateId;
    item.inputs[5] <== sourceExitRoot;
    importHash <== item.out;
}
