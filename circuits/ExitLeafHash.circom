pragma circom 2.1.6;

// ExitLeafHash(): the hash of one exit leaf (docs/protocol.md §3, lib/exit-leaf.ts validateLeaf + hashExitLeaf):
//
//   word = leafType + originNetwork * 2^8 + destinationNetwork * 2^40 + amount * 2^72
//   out  = Poseidon(word, originAddress, destinationAddress, metadataHash)
//
// Enforces the leaf's validity (INVALID_LEAF): leafType in {0, 1}, originNetwork and destinationNetwork
//           < 2^32, originAddress and destinationAddress < 2^160, amount < 2^128. With these ranges the packing
//           is injective (the fields occupy disjoint bit ranges of a < 2^200 integer, far below p), so `out`
//           binds every field.
// Leaves to the caller: metadataHash is any field element (as in the model); every rule that depends on
//           which network handles the leaf (destination, origin of a message).
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

template ExitLeafHash() {
    signal input leafType;
    signal input originNetwork;
    signal input originAddress;
    signal input destinationNetwork;
    signal input destinationAddress;
    signal input amount;
    signal input metadataHash;
    signal output out;

    leafType * (leafType - 1) === 0;

    component originNetworkBits = Num2Bits(32);
    originNetworkBits.in <== originNetwork;
    component destinationNetworkBits = Num2Bits(32);
    destinationNetworkBits.in <== destinationNetwork;
    component originAddressBits = Num2Bits(160);
    originAddressBits.in <== originAddress;
    component destinationAddressBits = Num2Bits(160);
    destinationAddressBits.in <== destinationAddress;
    component amountBits = Num2Bits(128);
    amountBits.in <== amount;

    component hash = Poseidon(4);
    hash.inputs[0] <== leafType + originNetwork * (1 << 8) + destinationNetwork * (1 << 40) + amount * (1 << 72);
    hash.inputs[1] <== originAddress;
    hash.inputs[2] <== destinationAddress;
    hash.inputs[3] <== metadataHash;
    out <== hash.out;
}
