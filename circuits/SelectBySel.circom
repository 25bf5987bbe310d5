pragma circom 2.1.6;

// SelectBySel(n): out = sum(sel[i] * values[i]), the value a one-hot selector picks (0 when none is selected).
//
// Enforces: out is that dot product (n multiplications).
// Leaves to the caller: that sel is one-hot (OneHot).
template SelectBySel(n) {
    signal input sel[n];
    signal input values[n];
    signal output out;

    signal acc[n + 1];
    acc[0] <== 0;
    for (var i = 0; i < n; i++) {
        acc[i + 1] <== acc[i] + sel[i] * values[i];
    }
    out <== acc[n];
}
