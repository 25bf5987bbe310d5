pragma circom 2.1.6;

// ListHash(n): hashList (docs/protocol.md §1) of the first `count` of n items, as lib/poseidon.ts hashList
// computes it on items[0..count); the padding items are ignored whatever they hold.
//
// Enforces: 0 <= count <= n (IsActivePrefix), out = hashList(items[0..count)).
// Leaves to the caller: what the items are (any field elements), and whether padding items must be zero.
include "IsActivePrefix.circom";
include "PrefixListHash.circom";

template ListHash(n) {
    signal input count;
    signal input items[n];
    signal output out;

    component prefix = IsActivePrefix(n);
    prefix.count <== count;
    component list = PrefixListHash(n);
    list.active <== prefix.active;
    list.items <== items;
    out <== list.out;
}
