pragma circom 2.1.6;

// TokenBalance(balanceDepth): one token's balance change over a whole certificate, in the network's local
// balance tree (docs/protocol.md §4 and §6, lib/accounting.ts changeBalance):
//
//   tokenKey = Poseidon(originNetwork, originAddress)
//   slot     = any slot < 2^balanceDepth (the model takes the token's slot, or the next unused one)
//   old leaf = 0 if the slot is unused (slotKeyBefore == 0, balanceBefore == 0),
//              Poseidon(tokenKey, balanceBefore) if the token holds it (slotKeyBefore == tokenKey)
//   after    = balanceBefore + credit - debit, and after < 2^192
//   new leaf = Poseidon(tokenKey, after); newRoot = root with the new leaf (= balanceRoot when !enabled).
//
// Enforces:
//   - slot < 2^balanceDepth (its bits are the path) and the old leaf is under balanceRoot at it (when enabled);
//   - slotKeyBefore in {0, tokenKey}: a slot held by another token has no witness (its leaf is
//     Poseidon(otherKey, b), which neither 0 nor Poseidon(tokenKey, b') equals);
//   - an unused slot starts from balance 0;
//   - 0 <= after < 2^192 (Num2Bits(192)): a final balance below zero wraps to >= p - 2^192 (see the caller's
//     bounds), so OVERDRAW has no witness; nor has a final balance >= 2^192 (BALANCE_OVERFLOW);
//   - enabled binary.
// Leaves to the caller:
//   - credit and debit are sums of fewer than 2^60 amounts below 2^128 each (so below 2^188), and balanceBefore
//     < 2^192 by the tree invariant: then before + credit - debit never wraps the field except when negative;
//   - enabled = 0 for a padded entry (and credit = debit = 0 there);
//   - the tree invariant, which this template maintains: every non-zero leaf is Poseidon(key, b) with b < 2^192
//     (only this template writes the balance tree), so balanceBefore < 2^192 whenever the old leaf matches.
//
// Why a slot the chain chooses is safe (docs/protocol.md §6): a token may end up in two slots (the circuit
// accepts any unused slot for it, even if it holds another). Each slot is credited only by the certificate's
// imports of the token and debited only by its exits, and each slot's balance stays >= 0; the network's holding
// of the token is the sum over its slots, so it is >= 0 too, and a debit can never exceed what was imported.
// What no witness can do is move one token's balance into another token's slot: the leaf binds the full key.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "MerkleUpdateBits.circom";

template TokenBalance(balanceDepth) {
    assert(balanceDepth >= 1 && balanceDepth <= 64);
    signal input enabled;
    signal input balanceRoot;
    signal input originNetwork;
    signal input originAddress;
    signal input slot;
    signal input slotKeyBefore;
    signal input balanceBefore;
    signal input credit;
    signal input debit;
    signal input siblings[balanceDepth];
    signal output newRoot;
    signal output tokenKey;
    signal output balanceAfter;

    enabled * (enabled - 1) === 0;

    component key = Poseidon(2);
    key.inputs[0] <== originNetwork;
    key.inputs[1] <== originAddress;
    tokenKey <== key.out;

    component slotBits = Num2Bits(balanceDepth);
    slotBits.in <== slot;

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

    balanceAfter <== balanceBefore + credit - debit;
    component afterBits = Num2Bits(192);
    afterBits.in <== balanceAfter;

    component newLeafHash = Poseidon(2);
    newLeafHash.inputs[0] <== tokenKey;
    newLeafHash.inputs[1] <== balanceAfter;

    component update = MerkleUpdateBits(balanceDepth);
    update.pathBits <== slotBits.out;
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeafHash.out;
    update.siblings <== siblings;

    // The old leaf is in the tree (only checked when enabled; a padded entry ignores its witness).
    enabled * (update.oldRoot - balanceRoot) === 0;
    newRoot <== balanceRoot + enabled * (update.newRoot - balanceRoot);
}
