/**
 * Tree and circuit parameters. Every instance of the system (contracts, circuits, coordinator, chain client)
 * is built for one TreeParams. Production: exit trees of depth 32 (2^32 - 1 exits per network), balance trees
 * of depth 16 (65,536 distinct foreign tokens per network), network ids below 2^16 (docs/protocol.md §4).
 */
export interface TreeParams {
  /** Local exit tree depth (append-only, max 2^exitDepth exits per network). */
  exitDepth: number;
  /** Local balance tree depth: a network holds at most 2^balanceDepth distinct foreign tokens, one per slot. */
  balanceDepth: number;
  /** Bits of a network id inside the nullifier key; network ids must be < 2^networkBits. */
  networkBits: number;
}

export const PRODUCTION_PARAMS: TreeParams = Object.freeze({ exitDepth: 32, balanceDepth: 16, networkBits: 16 });
/** Small instance: circuits for it set up and prove inside CI's time. */
export const TEST_PARAMS: TreeParams = Object.freeze({ exitDepth: 8, balanceDepth: 8, networkBits: 2 });

/** The tree parameters plus the depth of each network's history of finalized certificates (lib/network-records.ts). */
export interface LayerParams extends TreeParams {
  /** Depth of each network's history tree (max 2^historyDepth - 1 finalized certificates per network). */
  historyDepth: number;
}

export const PRODUCTION_LAYER_PARAMS: LayerParams = Object.freeze({ ...PRODUCTION_PARAMS, historyDepth: 32 });
/**
 * The instance that is set up (native development keys) for CI's end-to-end tests and the local devnet: 16
 * network ids (L1 + up to 15 chains), 2^20 - 1 exits and 2^20 - 1 finalized certificates per network, 256 balance
 * slots. Its certificate circuit (certificate_test: 4 imports, 8 exits, 4 dependencies) has 110,308 constraints.
 */
export const DEVNET_PARAMS: LayerParams = Object.freeze({ exitDepth: 20, balanceDepth: 8, networkBits: 4, historyDepth: 20 });

/** Nullifier tree depth: the key is sourceNetwork * 2^exitDepth + leafIndex, so it is collision-free. */
export function nullifierDepth(p: TreeParams): number {
  return p.networkBits + p.exitDepth;
}

export function validateParams(p: TreeParams): TreeParams {
  const ok = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
  if (!ok(p.exitDepth, 1, 32)) throw new RangeError(`exitDepth must be 1..32, got ${p.exitDepth}`);
  if (!ok(p.balanceDepth, 1, 64)) throw new RangeError(`balanceDepth must be 1..64, got ${p.balanceDepth}`);
  if (!ok(p.networkBits, 1, 32)) throw new RangeError(`networkBits must be 1..32, got ${p.networkBits}`);
  return p;
}

/** Amounts in exit leaves are < 2^128; balances are kept < 2^192 so that no sum or difference wraps the field. */
export const AMOUNT_BITS = 128;
export const BALANCE_BITS = 192;
