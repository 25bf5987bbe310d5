pragma circom 2.1.6;

// SortedDependencies(n): the structural rules of a certificate's dependency list (docs/protocol.md §5,
// lib/certificate.ts validateCertificate) and its items for dependenciesHash.
//
// Enforces, for every active entry j:
//   - networkId[j] < 2^32 and height[j] < 2^64 (BAD_NETWORK / BAD_HEIGHT);
//   - networkId[j] != 0 (L1 checkpoints are not dependencies) and != ownNetworkId (SELF_DEPENDENCY);
//   - (networkId, height) strictly increasing: key = networkId * 2^64 + height (injective for these ranges),
//     key[j-1] < key[j] (DEPENDENCY_ORDER: sorted, no duplicates);
// and, for every padded entry, networkId = height = certificateId = 0.
// Outputs: items[j] = Poseidon(networkId, height, certificateId) (the items of dependenciesHash).
// Leaves to the caller: active[] binary and a prefix (IsActivePrefix); certificateId is any field element.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "AssertNonZeroIf.circom";

template SortedDependencies(n) {
    signal input ownNetworkId;
    signal input active[n];
    signal input networkId[n];
    signal input height[n];
    signal input certificateId[n];
    signal output items[n];

    component networkBits[n];
    component heightBits[n];
    component notL1[n];
    component notSelf[n];
    component ordered[n];
    component hash[n];
    for (var j = 0; j < n; j++) {
        networkId[j] * (1 - active[j]) === 0;
        height[j] * (1 - active[j]) === 0;
        certificateId[j] * (1 - active[j]) === 0;

        networkBits[j] = Num2Bits(32);
        networkBits[j].in <== networkId[j];
        heightBits[j] = Num2Bits(64);
        heightBits[j].in <== height[j];

        notL1[j] = AssertNonZeroIf();
        notL1[j].in <== networkId[j];
        notL1[j].enabled <== active[j];
        notSelf[j] = AssertNonZeroIf();
        notSelf[j].in <== networkId[j] - ownNetworkId;
        notSelf[j].enabled <== active[j];

        if (j > 0) {
            ordered[j] = LessThan(96);
            ordered[j].in[0] <== networkId[j - 1] * (1 << 64) + height[j - 1];
            ordered[j].in[1] <== networkId[j] * (1 << 64) + height[j];
            (1 - ordered[j].out) * active[j] === 0;
        }

        hash[j] = Poseidon(3);
        hash[j].inputs[0] <== networkId[j];
        hash[j].inputs[1] <== height[j];
        hash[j].inputs[2] <== certificateId[j];
        items[j] <== hash[j].out;
    }
}
