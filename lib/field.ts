/**
 * BN254 scalar field helpers. Every value that enters a Poseidon hash, a tree or a circuit is a field element
 * (a bigint in [0, FIELD_MODULUS)). Inputs that are not are rejected, never silently reduced.
 */
import { keccak256, getBytes, toBeHex, isHexString } from "ethers";

export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export class FieldError extends Error {
  readonly code = "FIELD_OUT_OF_RANGE";
  constructor(what: string, value: unknown) {
    super(`${what} is not a field element: ${String(value)}`);
    this.name = "FieldError";
  }
}

export function isField(x: bigint): boolean {
  return x >= 0n && x < FIELD_MODULUS;
}

export function assertField(x: bigint, what = "value"): bigint {
  if (typeof x !== "bigint" || !isField(x)) throw new FieldError(what, x);
  return x;
}

/** True when 0 <= x < 2^bits. */
export function fitsBits(x: bigint, bits: number): boolean {
  return x >= 0n && x < 1n << BigInt(bits);
}

/**
 * Hashes arbitrary bytes (message calldata, token metadata) into a field element:
 * keccak256(bytes) >> 3, i.e. its top 253 bits, which is always below the modulus.
 * Keccak is used here only because no circuit ever opens these bytes.
 */
export function fieldKeccak(data: Uint8Array | string): bigint {
  const bytes = typeof data === "string" ? getBytes(data) : data;
  return BigInt(keccak256(bytes)) >> 3n;
}

/** 0x-prefixed, 32-byte, lower-case hex of a field element or uint256. */
export function toBytes32(x: bigint): string {
  return toBeHex(x, 32);
}

/** Parses a decimal or 0x-hex string (as found in JSON vectors and RPC input) into a bigint. */
export function parseBig(x: string | number | bigint, what = "value"): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x === "number") {
    if (!Number.isSafeInteger(x)) throw new FieldError(what, x);
    return BigInt(x);
  }
  if (typeof x === "string" && (/^[0-9]+$/.test(x) || /^0x[0-9a-fA-F]+$/.test(x))) return BigInt(x);
  throw new FieldError(what, x);
}

/** Splits a bytes32 into (hi, lo) 128-bit halves so that it fits in two field elements injectively. */
export function splitBytes32(x: string): [bigint, bigint] {
  if (!isHexString(x, 32)) throw new FieldError("bytes32", x);
  const v = BigInt(x);
  return [v >> 128n, v & ((1n << 128n) - 1n)];
}
