/**
 * Messages between ProverPool (pool.ts) and its child processes (worker.ts).
 *
 * The IPC channel uses Node's default JSON serialization, which cannot carry bigints: every bigint crosses as a
 * decimal string (toJsonable on the way in, BigInt() on the solidity proof words on the way out).
 */
import type { Groth16Proof } from "../groth16";

/** Parent to child: prove one job. A worker gets at most one at a time. */
export interface ProveRequest {
  type: "prove";
  id: number;
  instance: string;
  input: Record<string, unknown>;
}

export interface ProveReply {
  type: "result";
  id: number;
  proof: Groth16Proof;
  publicSignals: string[];
  /** Decimal strings. */
  solidityProof: string[];
  /** Witness generation + proving time inside the worker. */
  ms: number;
}

/** The job failed inside the worker (bad input, missing artifacts...); the worker itself is fine. */
export interface FailReply {
  type: "error";
  id: number;
  error: { name: string; message: string; stack?: string };
}

export type WorkerRequest = ProveRequest;
export type WorkerReply = ProveReply | FailReply;

/** A copy of `v` that survives JSON: bigints become decimal strings, arrays and plain objects are walked. */
export function toJsonable(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(toJsonable);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonable(x);
    return out;
  }
  return v;
}
