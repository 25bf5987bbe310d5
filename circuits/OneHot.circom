pragma circom 2.1.6;

// OneHot(n): a selector vector: every sel[i] is binary and they sum to `enabled` (so exactly one is 1 when
// enabled == 1, none when enabled == 0). Outputs the selected index.
//
// Enforces: sel[i] in {0, 1}; sum(sel) == enabled.
// Leaves to the caller: enabled must be binary; what the selected entry must satisfy.
template OneHot(n) {
    signal input sel[n];
    signal input enabled;
    signal output index;

    var sum = 0;
    var idx = 0;
    for (var i = 0; i < n; i++) {
        sel[i] * (sel[i] - 1) === 0;
        sum += sel[i];
        idx += i * sel[i];
    }
    sum === enabled;
    index <== idx;
}
