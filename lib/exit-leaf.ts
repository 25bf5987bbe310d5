/**
 * Exit leaves: one per bridge exit, appended to the source network's local exit tree.
 *
 *   word = leafType + originNetwork * 2^8 + destinationNetwork * 2^40 + amount * 2^72     (200 bits)
 *   leaf = Poseidon(word, originAddress, destinationAddress, metadataHash)
 *
 * Packing the small fields and the (128-bit) amount keeps the leaf at four inputs, so Solidity hashes it with
 * poseidon-solidity's PoseidonT5 (~56k gas; five inputs would cost 232k, see docs/gas.md). Asset leaves: (originNetwork, originAddress) is the token identity, amount its quantity,
 * metadataHash = fieldKeccak(abi.encode(name, symbol, decimals)). Message leaves: originNetwork is the sending
 * network, originAddress the sender, amount the value in the sending network's gas coin, metadataHash =
 * fieldKeccak(calldata).
 */
import { poseidon } from "./poseidon";
import { fitsBits, isField } from "./field";
import { AMOUNT_BITS } from "./params";

export enum LeafType {
  Asset = 0,
  Message = 1,
}

export interface ExitLeaf {
  leafType: LeafType;
  originNetwork: number;
  originAddress: bigint;
  destinationNetwork: number;
  destinationAddress: bigint;
  amount: bigint;
  metadataHash: bigint;
}

export class InvalidLeafError extends Error {
  readonly code = "INVALID_LEAF";
  constructor(reason: string) {
    super(`invalid exit leaf: ${reason}`);
    this.name = "InvalidLeafError";
  }
}

export function isNetworkId(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n < 2 ** 32;
}

/** Throws InvalidLeafError unless every field is in its range. */
export function validateLeaf(l: ExitLeaf): ExitLeaf {
  if (l.leafType !== LeafType.Asset && l.leafType !== LeafType.Message) throw new InvalidLeafError(`leafType ${l.leafType}`);
  if (!isNetworkId(l.originNetwork)) throw new InvalidLeafError(`originNetwork ${l.originNetwork}`);
  if (!isNetworkId(l.destinationNetwork)) throw new InvalidLeafError(`destinationNetwork ${l.destinationNetwork}`);
  if (!fitsBits(l.originAddress, 160)) throw new InvalidLeafError(`originAddress ${l.originAddress}`);
  if (!fitsBits(l.destinationAddress, 160)) throw new InvalidLeafError(`destinationAddress ${l.destinationAddress}`);
  if (!fitsBits(l.amount, AMOUNT_BITS)) throw new InvalidLeafError(`amount ${l.amount} needs more than ${AMOUNT_BITS} bits`);
  if (!isField(l.metadataHash)) throw new InvalidLeafError(`metadataHash ${l.metadataHash}`);
  return l;
}

/** The leaf's first input: leafType | originNetwork << 8 | destinationNetwork << 40 | amount << 72. */
export function packLeafWord(l: Pick<ExitLeaf, "leafType" | "originNetwork" | "destinationNetwork" | "amount">): bigint {
  return BigInt(l.leafType) + (BigInt(l.originNetwork) << 8n) + (BigInt(l.destinationNetwork) << 40n) + (l.amount << 72n);
}

export function hashExitLeaf(l: ExitLeaf): bigint {
  validateLeaf(l);
  return poseidon([packLeafWord(l), l.originAddress, l.destinationAddress, l.metadataHash]);
}
