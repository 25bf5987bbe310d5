pragma circom 2.1.6;

// PrefixListHash(n): hashList (docs/protocol.md §1, lib/poseidon.ts hashList) of the active prefix of a
// fixed-capacity list: acc_0 = 0, acc_{i+1} = active[i] ? Poseidon(acc_i, items[i]) : acc_i; out = acc_n.
// Since active[] is a prefix, out = hashList(items[0..count)), independent of the capacity n.
//
// Enforces: the accumulation above (one Poseidon(2) + one selection constraint per slot).
// Leaves to the caller: active[] must be binary and a prefix of ones (use IsActivePrefix; ListHash does).
//           With a non-prefix active[] the value is still a well-defined hash of the selected items, but not
//           the model's hashList of a list.
include "circomlib/circuits/poseidon.circom";

template PrefixListHash(n) {
    assert(n >= 1);
    signal input active[n];
    signal input items[n];
    signal output out;

    signal acc[n + 1];
    component hash[n];
    acc[0] <== 0;
    for (var i = 0; i < n; i++) {
        hash[i] = Poseidon(2);
        hash[i].inputs[0] <== acc[i];
        hash[i].inputs[1] <== items[i];
        acc[i + 1] <== acc[i] + active[i] * (hash[i].out - acc[i]);
    }
    out <== acc[n];
}
