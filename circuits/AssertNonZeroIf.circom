pragma circom 2.1.6;

// AssertNonZeroIf(): when enabled == 1, `in` must be non-zero (it must have an inverse): in * inv === enabled.
// When enabled == 0 nothing is required (inv = 0 satisfies it). One constraint, used for the "!=" rules
// (SELF_IMPORT, SELF_EXIT, SELF_DEPENDENCY, networkId >= 1, distinct bundle ids).
//
// Enforces: enabled == 1 implies in != 0.
// Leaves to the caller: enabled must be binary (it is always an active flag, a boolean, or the constant 1).
//           With enabled not in {0, 1} the constraint still forces in != 0 whenever enabled != 0.
template AssertNonZeroIf() {
    signal input in;
    signal input enabled;

    signal inv;
    // Hint only; pinned by the constraint below (unique when enabled != 0; when enabled == 0 and in != 0 it
    // must be 0; only when both are 0 is it free, and then it influences nothing).
    inv <-- (enabled != 0 && in != 0) ? 1 / in : 0;
    in * inv === enabled;
}
