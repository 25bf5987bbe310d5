/**
 * One network's accounted state: local exit tree, local balance tree and nullifier tree, plus the
 * preimages of the balance leaves (which token holds which slot, with what balance).
 *
 *   stateCommitment = Poseidon(localExitRoot, exitCount, balanceRoot, nullifierRoot)
 */
import { ExitTree } from "./exit-tree";
import { SparseMerkleTree } from "./smt";
import { poseidon } from "./poseidon";
import { TreeParams, nullifierDepth, validateParams } from "./params";
import { TokenId, balanceSlot, tokenKey } from "./token";

export interface BalanceEntry {
  token: TokenId;
  key: bigint;
  balance: bigint;
}

export class NetworkState {
  readonly networkId: number;
  readonly params: TreeParams;
  readonly exitTree: ExitTree;
  readonly balances: SparseMerkleTree;
  readonly nullifiers: SparseMerkleTree;
  /** slot -> the token that holds it and its balance (the balance leaf's preimage). */
  readonly balanceBook: Map<bigint, BalanceEntry>;
  /** The last commitment and what it was computed from: an epoch asks for it several times per certificate. */
  private memo: { parts: bigint[]; value: bigint } | null = null;

  constructor(networkId: number, params: TreeParams, parts?: { exitTree: ExitTree; balances: SparseMerkleTree; nullifiers: SparseMerkleTree; balanceBook: Map<bigint, BalanceEntry> }) {
    validateParams(params);
    if (!Number.isInteger(networkId) || networkId < 0 || networkId >= 2 ** params.networkBits) {
      throw new RangeError(`network id ${networkId} does not fit ${params.networkBits} bits`);
    }
    this.networkId = networkId;
    this.params = params;
    this.exitTree = parts?.exitTree ?? new ExitTree(params.exitDepth);
    this.balances = parts?.balances ?? new SparseMerkleTree(params.balanceDepth);
    this.nullifiers = parts?.nullifiers ?? new SparseMerkleTree(nullifierDepth(params));
    this.balanceBook = parts?.balanceBook ?? new Map();
  }

  get exitRoot(): bigint {
    return this.exitTree.root();
  }

  commitment(): bigint {
    const parts = [this.exitTree.root(), BigInt(this.exitTree.count), this.balances.root(), this.nullifiers.root()];
    if (!this.memo || this.memo.parts.some((p, i) => p !== parts[i])) this.memo = { parts, value: stateCommitment(parts[0], this.exitTree.count, parts[2], parts[3]) };
    return this.memo.value;
  }

  balanceOf(token: TokenId): bigint {
    const key = tokenKey(token);
    const entry = this.balanceBook.get(balanceSlot(key, this.params.balanceDepth));
    return entry && entry.key === key ? entry.balance : 0n;
  }

  nullifierIndex(sourceNetwork: number, leafIndex: number): bigint {
    return nullifierKey(this.params, sourceNetwork, leafIndex);
  }

  isImported(sourceNetwork: number, leafIndex: number): boolean {
    return this.nullifiers.get(this.nullifierIndex(sourceNetwork, leafIndex)) !== 0n;
  }

  clone(): NetworkState {
    const book = new Map<bigint, BalanceEntry>();
    for (const [k, v] of this.balanceBook) book.set(k, { ...v });
    return new NetworkState(this.networkId, this.params, {
      exitTree: this.exitTree.clone(),
      balances: this.balances.clone(),
      nullifiers: this.nullifiers.clone(),
      balanceBook: book,
    });
  }
}

export function stateCommitment(exitRoot: bigint, exitCount: number, balanceRoot: bigint, nullifierRoot: bigint): bigint {
  return poseidon([exitRoot, BigInt(exitCount), balanceRoot, nullifierRoot]);
}

/** Nullifier key of an imported exit: sourceNetwork * 2^exitDepth + leafIndex (collision-free by construction). */
export function nullifierKey(params: TreeParams, sourceNetwork: number, leafIndex: number): bigint {
  if (!Number.isInteger(sourceNetwork) || sourceNetwork < 0 || sourceNetwork >= 2 ** params.networkBits) {
    throw new RangeError(`source network ${sourceNetwork} does not fit ${params.networkBits} bits`);
  }
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= 2 ** params.exitDepth) {
    throw new RangeError(`leaf index ${leafIndex} does not fit ${params.exitDepth} bits`);
  }
  return (BigInt(sourceNetwork) << BigInt(params.exitDepth)) + BigInt(leafIndex);
}

/** The value of a set nullifier leaf. */
export const NULLIFIER_SET = 1n;
