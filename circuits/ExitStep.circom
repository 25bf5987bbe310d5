pragma circom 2.1.6;

// ExitStep(): the checks of one bridge exit of a certificate (docs/protocol.md §6, lib/accounting.ts applyExit).
// The append to the exit tree is done for the whole batch by ExitTreeAppend (with the capacity check
// EXIT_TREE_FULL), the debit for the whole certificate per token by TokenSelect + TokenBalances.
//
// Enforces, when active == 1:
//   - the leaf is valid (ExitLeafHash ranges: INVALID_LEAF);
//   - an asset (leafType 0) moves a non-zero amount (ZERO_AMOUNT); a message may carry value 0;
//   - destinationNetwork != networkId (SELF_EXIT);
//   - a message (leafType 1) has originNetwork == networkId (MESSAGE_ORIGIN_MISMATCH);
// Enforces, when active == 0: every leaf field is 0 (a padded entry).
// Outputs: leafHash (the leaf to append and the item of exitsHash); tracked = 1 when the exit debits a token of
//   the balance tree (non-zero amount, not native: originNetwork != networkId), and that token
//   (originNetwork, movedAddress): (originNetwork, originAddress) for an asset, (originNetwork, 0) for a message.
// Leaves to the caller: active binary; networkId's range; appending leafHash to the exit tree; the debit of
//   `amount` of the moved token when tracked (a balance below zero has no witness there: OVERDRAW).
include "circomlib/circuits/comparators.circom";
include "ExitLeafHash.circom";
include "AssertNonZeroIf.circom";

template ExitStep() {
    signal input networkId;
    signal input active;

    signal input leafType;
    signal input originNetwork;
    signal input originAddress;
    signal input destinationNetwork;
    signal input destinationAddress;
    signal input amount;
    signal input metadataHash;

    signal output leafHash;
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

    component leaf = ExitLeafHash();
    leaf.leafType <== leafType;
    leaf.originNetwork <== originNetwork;
    leaf.originAddress <== originAddress;
    leaf.destinationNetwork <== destinationNetwork;
    leaf.destinationAddress <== destinationAddress;
    leaf.amount <== amount;
    leaf.metadataHash <== metadataHash;
    leafHash <== leaf.out;

    // SELF_EXIT, MESSAGE_ORIGIN_MISMATCH (a padded entry has leafType 0).
    component notSelf = AssertNonZeroIf();
    notSelf.in <== destinationNetwork - networkId;
    notSelf.enabled <== active;
    leafType * (originNetwork - networkId) === 0;

    // ZERO_AMOUNT: (isZero(amount) - inactive) * (1 - leafType) === 0. Active (inactive = 0): an asset needs
    // amount != 0, a message (leafType 1) is free. Padded (inactive = 1): amount is 0 (above), so the factor
    // isZero - inactive is 0. One constraint; relies on active being binary (the caller's) and leafType binary
    // (ExitLeafHash).
    component zeroAmount = IsZero();
    zeroAmount.in <== amount;
    (zeroAmount.out - inactive) * (1 - leafType) === 0;

    // The moved token is debited unless native or zero (a message without value; a padded entry has amount 0).
    component native = IsZero();
    native.in <== originNetwork - networkId;
    tracked <== (1 - zeroAmount.out) * (1 - native.out);
    movedAddress <== (1 - leafType) * originAddress;
}
