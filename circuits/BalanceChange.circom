pragma circom 2.1.6;

// BalanceChange(balanceDepth): credit or debit `amount` of token (originNetwork, originAddress) in a network's
// local balance tree (docs/protocol.md §4, lib/accounting.ts changeBalance):
//
//   tokenKey = Poseidon(originNetwork, originAddress)
//   slot     = the low balanceDepth bits of tokenKey (strict decomposition: no alias tokenKey + p)
//   old leaf = 0 if the slot is unused (slotKeyBefore == 0, balanceBefore == 0),
//              Poseidon(tokenKey, balanceBefore) if the token holds it (slotKeyBefore == tokenKey)
//   after    = balanceBefore + amount (credit) or balanceBefore - amount (debit), and after < 2^192
//   new leaf = Poseidon(tokenKey, after); newRoot = root with the new leaf (= balanceRoot when !enabled).
//
// Enforces:
//   - the old leaf is under balanceRoot at the token's slot (when enabled);
//   - slotKeyBefore in {0, tokenKey}: a slot held by another token has no witness (its leaf is
//     Poseidon(otherKey, b), which neither 0 nor Poseidon(tokenKey, b') equals: BALANCE_SLOT_COLLISION);
//   - an unused slot starts from balance 0;
//   - 0 <= after < 2^192 (Num2Bits(192)). A debit below zero wraps to >= p - 2^128 > 2^192, so OVERDRAW has
//     no witness; a credit to >= 2^192 is BALANCE_OVERFLOW and has no witness either;
//   - enabled and isDebit are binary.
// Leaves to the caller:
//   - originNetwork < 2^32, originAddress < 2^160, amount < 2^128 (the leaf's range checks, ExitLeafHash);
//     with amount < 2^128 and balanceBefore < 2^192 no sum wraps the field;
//   - enabled = 0 when the model moves nothing (zero amount, native token, inactive entry): with enabled = 1
//     and amount = 0 this template would still write the leaf Poseidon(tokenKey, before) into an unused slot;
//   - the tree invariant, which this template maintains: every non-zero leaf is Poseidon(key, b) with b < 2^192
//     (only this template writes the balance tree), so balanceBefore < 2^192 whenever the old leaf matches.
// When !enabled the root is unchanged and the path is not checked: any witness (e.g. all zeros) is accepted.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "MerkleUpdateBits.circom";

template BalanceChange(balanceDepth) {
    assert(balanceDepth >= 1 && balanceDepth <= 248);
    signal input balanceRoot;
    signal input originNetwork;
    signal input originAddress;
    signal input amount;
    signal input isDebit;
    signal input enabled;
    signal input slotKeyBefore;
    signal input balanceBefore;
    signal input siblings[balanceDepth];
    signal output newRoot;
    signal output tokenKey;
    signal output balanceAfter;

    isDebit * (isDebit - 1) === 0;
    enabled * (enabled - 1) === 0;

    component key = Poseidon(2);
    key.inputs[0] <== originNetwork;
    key.inputs[1] <== originAddress;
    tokenKey <== key.out;

    // The slot: low bits of the unique (strict) binary decomposition of tokenKey.
    component keyBits = Num2Bits_strict();
    keyBits.in <== tokenKey;

    // Who held the slot: nobody (slotKeyBefore == 0) or this token. tokenKey != 0 (a Poseidon preimage of 0
    // is infeasible), so `used` is exactly "the old leaf is Poseidon(tokenKey, balanceBefore)".
    component unused = IsZero();
    unused.in <== slotKeyBefore;
    signal used <== 1 - unused.out;
    used * (slotKeyBefore - tokenKey) === 0;
    unused.out * balanceBefore === 0;

    component oldLeafHash = Poseidon(2);
    oldLeafHash.inputs[0] <== tokenKey;
    oldLeafHash.inputs[1] <== balanceBefore;
    signal oldLeaf <== used * oldLeafHash.out;

    // after = before + delta - 2 * isDebit * delta, delta = enabled * amount (a disabled change moves nothing,
    // so a padded or native entry never trips the range check below).
    signal delta <== enabled * amount;
    signal debit <== isDebit * delta;
    balanceAfter <== balanceBefore + delta - 2 * debit;
    component afterBits = Num2Bits(192);
    afterBits.in <== balanceAfter;

    component newLeafHash = Poseidon(2);
    newLeafHash.inputs[0] <== tokenKey;
    newLeafHash.inputs[1] <== balanceAfter;

    component update = MerkleUpdateBits(balanceDepth);
    for (var i = 0; i < balanceDepth; i++) {
        update.pathBits[i] <== keyBits.out[i];
    }
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeafHash.out;
    update.siblings <== siblings;

    // The old leaf is in the tree (only checked when enabled; a disabled change ignores its witness).
    enabled * (update.oldRoot - balanceRoot) === 0;
    newRoot <== balanceRoot + enabled * (update.newRoot - balanceRoot);
}
