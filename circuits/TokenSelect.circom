pragma circom 2.1.6;

// TokenSelect(maxTokens): which of the certificate's listed tokens one import or exit moves, and its amount
// per listed token (docs/protocol.md §6, lib/accounting.ts: ImportStep/ExitStep.tokenIndex).
//
// Inputs: tracked (the item moves a token the balance tree tracks: non-native, non-zero amount), the moved
// token (originNetwork, originAddress), amount, the selector sel[maxTokens], and the token list (active flags,
// origin fields). Output: part[t] = amount if the item moves listed token t, else 0.
//
// Enforces: sel is one-hot when tracked and all zero when not (OneHot); the selected entry is active and names
// exactly the moved token (both origin fields). So a tracked item's amount is counted against exactly one
// listed entry of its own token, and an untracked item against none: a debit of an unlisted token has no
// witness.
// Leaves to the caller: tracked binary (a product of IsZero outputs); summing the parts per token.
include "OneHot.circom";
include "SelectBySel.circom";

template TokenSelect(maxTokens) {
    signal input tracked;
    signal input originNetwork;
    signal input originAddress;
    signal input amount;
    signal input sel[maxTokens];
    signal input tokenActive[maxTokens];
    signal input tokenOriginNetwork[maxTokens];
    signal input tokenOriginAddress[maxTokens];
    signal output part[maxTokens];

    component oneHot = OneHot(maxTokens);
    oneHot.sel <== sel;
    oneHot.enabled <== tracked;

    // With sel all zero (untracked) every selected value is 0 and the three constraints read 0 === 0.
    signal selActive <== SelectBySel(maxTokens)(sel, tokenActive);
    signal selNetwork <== SelectBySel(maxTokens)(sel, tokenOriginNetwork);
    signal selAddress <== SelectBySel(maxTokens)(sel, tokenOriginAddress);
    selActive === tracked;
    signal trackedNetwork <== tracked * originNetwork;
    signal trackedAddress <== tracked * originAddress;
    selNetwork === trackedNetwork;
    selAddress === trackedAddress;

    for (var t = 0; t < maxTokens; t++) {
        part[t] <== sel[t] * amount;
    }
}
