pragma circom 2.1.6;

// IsActivePrefix(n): the "active prefix" flags of a fixed-capacity list holding `count` entries
// (docs/protocol.md §9: lists are padded after an active prefix): active[i] = 1 for i < count, else 0.
//
// Enforces: every active[i] is binary; active[i] = 1 implies active[i-1] = 1 (a prefix); the number of ones
//           equals count. Together these pin active[] uniquely and force 0 <= count <= n (a count outside
//           [0, n], e.g. p - 1, has no witness).
// Leaves to the caller: nothing (count is any field element).
template IsActivePrefix(n) {
    assert(n >= 1);
    signal input count;
    signal output active[n];

    var sum = 0;
    for (var i = 0; i < n; i++) {
        // Hint only; pinned by the three constraints below.
        active[i] <-- (i < count) ? 1 : 0;
        active[i] * (active[i] - 1) === 0;
        if (i > 0) {
            active[i] * (1 - active[i - 1]) === 0;
        }
        sum += active[i];
    }
    sum === count;
}
