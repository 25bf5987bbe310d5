pragma circom 2.1.6;

// TokenBalances(balanceDepth, maxTokens, maxImports, maxExits): the balance tree update of a whole certificate:
// one TokenBalance per listed token, applied in list order to the running root (docs/protocol.md §6,
// lib/accounting.ts applyTransition's `tokens`).
//
// Inputs: networkId, balanceRoot, active[maxTokens] (the list's active prefix, IsActivePrefix(tokenCount) of
// the caller, which TokenSelect reads too), the list tok_* (origin fields, slot, the slot's old holder and
// balance, its Merkle siblings), and each import's / exit's part per listed token (TokenSelect.part).
// Output: newBalanceRoot.
//
// Enforces:
//   - a padded entry is all zeros and changes nothing;
//   - a listed token is not native to the network (originNetwork != networkId): native tokens are not tracked;
//   - listed tokens are distinct (pairwise different keys: "a token listed twice" has no witness). Safety does
//     not rest on it (TokenBalance's argument covers a token in two slots); it keeps one entry per token, as the
//     model lists them;
//   - per token: after = before + sum(imports' parts) - sum(exits' parts), 0 <= after < 2^192 (TokenBalance).
//     Imports come before exits, so a final balance >= 0 is the same as no running balance below zero.
// Leaves to the caller: `active` is an active prefix (IsActivePrefix: binary, non-increasing, so tokenCount <=
//   maxTokens); each part comes from TokenSelect (so each item counts once, against its own token);
//   amounts < 2^128 (ExitLeafHash); networkId's range.
include "AssertNonZeroIf.circom";
include "TokenBalance.circom";

template TokenBalances(balanceDepth, maxTokens, maxImports, maxExits) {
    assert(maxTokens >= 1 && maxImports + maxExits < 1 << 60);
    signal input networkId;
    signal input balanceRoot;
    signal input active[maxTokens];
    signal input tok_originNetwork[maxTokens];
    signal input tok_originAddress[maxTokens];
    signal input tok_slot[maxTokens];
    signal input tok_slotKeyBefore[maxTokens];
    signal input tok_balBefore[maxTokens];
    signal input tok_balSiblings[maxTokens][balanceDepth];
    signal input importPart[maxImports][maxTokens];
    signal input exitPart[maxExits][maxTokens];
    signal output newBalanceRoot;

    component notNative[maxTokens];
    for (var t = 0; t < maxTokens; t++) {
        // A padded entry is all zeros (its parts are 0: TokenSelect never selects an inactive entry).
        (1 - active[t]) * tok_originNetwork[t] === 0;
        (1 - active[t]) * tok_originAddress[t] === 0;
        (1 - active[t]) * tok_slot[t] === 0;
        (1 - active[t]) * tok_slotKeyBefore[t] === 0;
        (1 - active[t]) * tok_balBefore[t] === 0;
        notNative[t] = AssertNonZeroIf();
        notNative[t].in <== tok_originNetwork[t] - networkId;
        notNative[t].enabled <== active[t];
    }

    signal chain[maxTokens + 1];
    chain[0] <== balanceRoot;
    component bal[maxTokens];
    var credit[maxTokens];
    var debit[maxTokens];
    for (var t = 0; t < maxTokens; t++) {
        credit[t] = 0;
        debit[t] = 0;
        for (var i = 0; i < maxImports; i++) {
            credit[t] += importPart[i][t];
        }
        for (var j = 0; j < maxExits; j++) {
            debit[t] += exitPart[j][t];
        }
        bal[t] = TokenBalance(balanceDepth);
        bal[t].enabled <== active[t];
        bal[t].balanceRoot <== chain[t];
        bal[t].originNetwork <== tok_originNetwork[t];
        bal[t].originAddress <== tok_originAddress[t];
        bal[t].slot <== tok_slot[t];
        bal[t].slotKeyBefore <== tok_slotKeyBefore[t];
        bal[t].balanceBefore <== tok_balBefore[t];
        bal[t].credit <== credit[t];
        bal[t].debit <== debit[t];
        bal[t].siblings <== tok_balSiblings[t];
        chain[t + 1] <== bal[t].newRoot;
    }
    newBalanceRoot <== chain[maxTokens];

    // Distinct keys: entry j (active) differs from every earlier entry. The list is a prefix, so an active j
    // has only active predecessors.
    component distinct[maxTokens][maxTokens];
    for (var j = 1; j < maxTokens; j++) {
        for (var i = 0; i < j; i++) {
            distinct[i][j] = AssertNonZeroIf();
            distinct[i][j].in <== bal[j].tokenKey - bal[i].tokenKey;
            distinct[i][j].enabled <== active[j];
        }
    }
}
