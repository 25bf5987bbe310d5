pragma circom 2.1.6;

// BundleCheck(n): the atomic-bundle rule over all n bundle-leg entries of an epoch (docs/protocol.md §9 rule 4):
// every active leg succeeded, and for every active leg exactly legCount active entries carry its bundleId, all
// with the same legCount, the same participants and pairwise different legIndex. Since every legIndex < legCount
// (checked by CertificateTransition), legCount distinct indices below legCount are all of them: no leg is missing;
// and since each leg sits in a certificate of participants[legIndex] (BundleLegs), one participant list for the
// whole bundle means each leg is in a certificate of the chain the bundle names for it.
//
// Enforces: the above, with active[i] binary.
// Leaves to the caller: which entries are active (slot active and entry inside the certificate's bundle list),
//           legIndex < legCount.
include "circomlib/circuits/comparators.circom";
include "AssertNonZeroIf.circom";

template BundleCheck(n) {
    signal input active[n];
    signal input bundleId[n];
    signal input legIndex[n];
    signal input legCount[n];
    signal input success[n];
    signal input participants[n];

    signal same[n][n];
    signal both[n][n];
    signal matched[n][n];
    for (var i = 0; i < n; i++) {
        active[i] * (active[i] - 1) === 0;
        active[i] * (success[i] - 1) === 0;
        for (var j = 0; j < n; j++) {
            same[i][j] <== IsEqual()([bundleId[i], bundleId[j]]);
            both[i][j] <== active[i] * active[j];
            matched[i][j] <== both[i][j] * same[i][j];
        }
    }
    for (var i = 0; i < n; i++) {
        var count = 0;
        for (var j = 0; j < n; j++) {
            count += matched[i][j];
            if (j > i) {
                matched[i][j] * (legCount[i] - legCount[j]) === 0;
                matched[i][j] * (participants[i] - participants[j]) === 0;
                AssertNonZeroIf()(legIndex[i] - legIndex[j], matched[i][j]);
            }
        }
        active[i] * (count - legCount[i]) === 0;
    }
}
