pragma circom 2.1.6;

// BundleLegs(n): the structural rules of a certificate's atomic-bundle legs (docs/protocol.md §5 BAD_BUNDLE,
// lib/certificate.ts validateCertificate) and their items for bundlesHash.
//
// Enforces, for every active entry k:
//   - legIndex < 2^16, legCount < 2^16, legIndex < legCount (hence legCount >= 1); success in {0, 1};
//   - bundleId differs from every earlier entry's (at most one leg per bundle in a certificate);
// and, for every padded entry, all four fields are 0.
// Outputs: items[k] = Poseidon(bundleId, legIndex, legCount, success) (the items of bundlesHash).
// Leaves to the caller: active[] binary and a prefix (IsActivePrefix); the epoch-wide bundle rules
//   (success == 1, exactly legCount legs) are the aggregation circuit's.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "AssertNonZeroIf.circom";

template BundleLegs(n) {
    signal input active[n];
    signal input bundleId[n];
    signal input legIndex[n];
    signal input legCount[n];
    signal input success[n];
    signal output items[n];

    component indexBits[n];
    component countBits[n];
    component inRange[n];
    component distinct[n][n];
    component hash[n];
    for (var k = 0; k < n; k++) {
        bundleId[k] * (1 - active[k]) === 0;
        legIndex[k] * (1 - active[k]) === 0;
        legCount[k] * (1 - active[k]) === 0;
        success[k] * (1 - active[k]) === 0;

        success[k] * (success[k] - 1) === 0;
        indexBits[k] = Num2Bits(16);
        indexBits[k].in <== legIndex[k];
        countBits[k] = Num2Bits(16);
        countBits[k].in <== legCount[k];
        inRange[k] = LessThan(16);
        inRange[k].in[0] <== legIndex[k];
        inRange[k].in[1] <== legCount[k];
        (1 - inRange[k].out) * active[k] === 0;

        for (var e = 0; e < k; e++) {
            distinct[k][e] = AssertNonZeroIf();
            distinct[k][e].in <== bundleId[k] - bundleId[e];
            distinct[k][e].enabled <== active[k];
        }

        hash[k] = Poseidon(4);
        hash[k].inputs[0] <== bundleId[k];
        hash[k].inputs[1] <== legIndex[k];
        hash[k].inputs[2] <== legCount[k];
        hash[k].inputs[3] <== success[k];
        items[k] <== hash[k].out;
    }
}
