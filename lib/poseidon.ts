/**
 * Poseidon over BN254 with circomlib's parameters (the same function as circomlib's `Poseidon(n)` template
 * and poseidon-solidity's `PoseidonT{n+1}`). poseidon-lite is the implementation (pure TS, no WASM);
 * test/lib/poseidon.test.ts checks it against circomlibjs and circomlib's published values.
 */
import * as P from "poseidon-lite";
import { assertField } from "./field";

type Fn = (inputs: bigint[]) => bigint;
let BY_ARITY: Record<number, Fn> = {
  1: P.poseidon1, 2: P.poseidon2, 3: P.poseidon3, 4: P.poseidon4, 5: P.poseidon5, 6: P.poseidon6,
  7: P.poseidon7, 8: P.poseidon8, 9: P.poseidon9, 10: P.poseidon10, 11: P.poseidon11, 12: P.poseidon12,
  13: P.poseidon13, 14: P.poseidon14, 15: P.poseidon15, 16: P.poseidon16,
};

let counter = 0;
/** Number of Poseidon permutations computed so far in this process (for benchmarks). */
export function poseidonCount(): number {
  return counter;
}

/** Poseidon of 1..16 field elements. Throws FieldError on an input outside the field. */
export function poseidon(inputs: bigint[]): bigint {
  const fn = BY_ARITY[inputs.length];
  if (!fn) throw new RangeError(`Poseidon takes 1..16 inputs, got ${inputs.length}`);
  for (let i = 0; i < inputs.length; i++) assertField(inputs[i], `poseidon input ${i}`);
  counter++;
  return fn(inputs);
}

/** The tree node hash: Poseidon(left, right). Hot path: inputs are trusted tree nodes. */
export function hash2(left: bigint, right: bigint): bigint {
  counter++;
  return BY_ARITY[2]([left, right]);
}

let fast: Promise<void> | null = null;
/**
 * Switches this process to circomlibjs's optimized Poseidon (same function, 3-5x faster than poseidon-lite,
 * but it must be built asynchronously). Long-running processes (coordinator, chain client) call it at start;
 * test/lib/poseidon.test.ts checks both backends against each other.
 */
export function enableFastPoseidon(): Promise<void> {
  fast ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildPoseidon } = require("circomlibjs");
    const h = await buildPoseidon();
    const fn: Fn = (xs) => h.F.toObject(h(xs));
    const table: Record<number, Fn> = {};
    for (let n = 1; n <= 16; n++) table[n] = fn;
    BY_ARITY = table;
  })();
  return fast;
}

/** Which Poseidon backend computes hashes in this process. */
export function poseidonBackend(): "poseidon-lite" | "circomlibjs" {
  return BY_ARITY[2] === P.poseidon2 ? "poseidon-lite" : "circomlibjs";
}

/** zeros[h] = root of an empty subtree of height h, with the zero leaf 0. */
export function zeroHashes(depth: number): bigint[] {
  const z: bigint[] = [0n];
  for (let h = 0; h < depth; h++) z.push(hash2(z[h], z[h]));
  return z;
}

const ZEROS = zeroHashes(256);
export function zeroHash(height: number): bigint {
  if (height < 0 || height > 256) throw new RangeError(`zero hash height ${height}`);
  return ZEROS[height];
}

/**
 * Hash of a variable-length list: acc_0 = 0, acc_{i+1} = Poseidon(acc_i, item_i); the empty list hashes to 0.
 * Circuits reproduce it with fixed slots and an "active" prefix, so the value does not depend on capacity.
 */
export function hashList(items: bigint[]): bigint {
  let acc = 0n;
  for (const it of items) acc = poseidon([acc, it]);
  return acc;
}
