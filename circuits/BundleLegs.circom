pragma circom 2.1.6;

// BundleLegs(n): the structural rules of a certificate's atomic-bundle legs (docs/protocol.md §5 BAD_BUNDLE,
// lib/certificate.ts validateCertificate) and their items for bundlesHash.
//
// Enforces, for every active entry k:
//   - 1 <= legCount <= 7 (MAX_BUNDLE_LEGS), legIndex < legCount; success in {0, 1};
//   - participants (the legs' network ids packed 32 bits each, leg 0 lowest) fits 7 ids, names no network past
//     legCount, and names this certificate's network for this leg: participants[legIndex] == networkId, so a leg
//     can only sit in a certificate of the chain the bundle names for it;
//   - bundleId differs from every earlier entry's (at most one leg per bundle in a certificate);
// and, for every padded entry, all five fields are 0.
// Outputs: items[k] = Poseidon(bundleId, legIndex, legCount, success, participants) (the items of bundlesHash).
// Leaves to the caller: active[] binary and a prefix (IsActivePrefix); networkId's range; the epoch-wide bundle
//   rules (success == 1, exactly legCount legs, one participant list per bundle) are the aggregation circuit's.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "AssertNonZeroIf.circom";

template BundleLegs(n) {
    var MAX_LEGS = 7;
    signal input networkId;
    signal input active[n];
    signal input bundleId[n];
    signal input legIndex[n];
    signal input legCount[n];
    signal input success[n];
    signal input participants[n];
    signal output items[n];

    component indexBits[n];
    component countBits[n];
    component inRange[n];
    component partBits[n];
    component isLeg[n][MAX_LEGS];
    component pastEnd[n][MAX_LEGS];
    component distinct[n][n];
    component hash[n];
    signal chunk[n][MAX_LEGS];
    signal picked[n][MAX_LEGS];
    for (var k = 0; k < n; k++) {
        bundleId[k] * (1 - active[k]) === 0;
        legIndex[k] * (1 - active[k]) === 0;
        legCount[k] * (1 - active[k]) === 0;
        success[k] * (1 - active[k]) === 0;
        participants[k] * (1 - active[k]) === 0;

        success[k] * (success[k] - 1) === 0;
        // legIndex, legCount < 8 and legIndex < legCount (so legCount >= 1 for an active entry)
        indexBits[k] = Num2Bits(3);
        indexBits[k].in <== legIndex[k];
        countBits[k] = Num2Bits(3);
        countBits[k].in <== legCount[k];
        inRange[k] = LessThan(3);
        inRange[k].in[0] <== legIndex[k];
        inRange[k].in[1] <== legCount[k];
        (1 - inRange[k].out) * active[k] === 0;

        // participants = sum chunk[i] * 2^(32 i), each chunk < 2^32 (the bits pin the chunks)
        partBits[k] = Num2Bits(32 * MAX_LEGS);
        partBits[k].in <== participants[k];
        var pick = 0;
        for (var i = 0; i < MAX_LEGS; i++) {
            var c = 0;
            for (var b = 0; b < 32; b++) c += partBits[k].out[32 * i + b] * (1 << b);
            chunk[k][i] <== c;
            // no participant past the last leg
            pastEnd[k][i] = LessThan(3);
            pastEnd[k][i].in[0] <== i;
            pastEnd[k][i].in[1] <== legCount[k];
            chunk[k][i] * (1 - pastEnd[k][i].out) === 0;
            // the chunk of this leg
            isLeg[k][i] = IsEqual();
            isLeg[k][i].in[0] <== i;
            isLeg[k][i].in[1] <== legIndex[k];
            picked[k][i] <== isLeg[k][i].out * chunk[k][i];
            pick += picked[k][i];
        }
        active[k] * (pick - networkId) === 0;

        for (var e = 0; e < k; e++) {
            distinct[k][e] = AssertNonZeroIf();
            distinct[k][e].in <== bundleId[k] - bundleId[e];
            distinct[k][e].enabled <== active[k];
        }

        hash[k] = Poseidon(5);
        hash[k].inputs[0] <== bundleId[k];
        hash[k].inputs[1] <== legIndex[k];
        hash[k].inputs[2] <== legCount[k];
        hash[k].inputs[3] <== success[k];
        hash[k].inputs[4] <== participants[k];
        items[k] <== hash[k].out;
    }
}
