/**
 * One network's accounted state: local exit tree, local balance tree and nullifier tree, plus the
 * preimages of the balance leaves (which token holds which slot, with what balance).
 *
 *   stateCommitment = Poseidon(localExitRoot, exitCount, balanceRoot, nullifierRoot)
 */
import { ExitTree } from "./exit-tree";
import { SparseMerkleTree } from "./smt";
import { poseidon, zeroHash } from "./poseidon";
import { TreeParams, nullifierDepth, validateParams } from "./params";
import { TokenId, tokenKey } from "./token";

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
  /** slot -> the token that holds it and its balance (the balance leaf's preimage); written by setBalance. */
  private readonly book: Map<bigint, BalanceEntry>;
  /** tokenKey -> its slot (the inverse of balanceBook). */
  private readonly slots = new Map<bigint, bigint>();
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
    this.book = parts?.balanceBook ?? new Map();
    for (const [slot, e] of this.book) this.slots.set(e.key, slot);
  }

  get balanceBook(): ReadonlyMap<bigint, BalanceEntry> {
    return this.book;
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
    const slot = this.slots.get(tokenKey(token));
    return slot === undefined ? 0n : this.balanceBook.get(slot)!.balance;
  }

  /** The slot that holds the token with this key, or undefined when the network never held it. */
  slotOf(key: bigint): bigint | undefined {
    return this.slots.get(key);
  }

  /**
   * The slot a token takes when it is first credited: slots are handed out in order (0, 1, 2, ...) and never
   * freed (a balance of 0 keeps its slot), so this is the number of tokens ever held; null when the tree is full.
   */
  nextFreeSlot(): bigint | null {
    const next = BigInt(this.balanceBook.size);
    return next < 1n << BigInt(this.params.balanceDepth) ? next : null;
  }

  /** Records the token's balance in its slot (the caller has written the leaf into `balances`). */
  setBalance(slot: bigint, entry: BalanceEntry): void {
    this.book.set(slot, entry);
    this.slots.set(entry.key, slot);
  }

  nullifierIndex(sourceNetwork: number, leafIndex: number): bigint {
    return nullifierKey(this.params, sourceNetwork, leafIndex);
  }

  isImported(sourceNetwork: number, leafIndex: number): boolean {
    return this.nullifiers.get(this.nullifierIndex(sourceNetwork, leafIndex)) !== 0n;
  }

  clone(): NetworkState {
    const book = new Map<bigint, BalanceEntry>();
    for (const [k, v] of this.book) book.set(k, { ...v });
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

/** The state commitment of a network that has never settled (empty trees): where its tip starts on L1. */
export function genesisStateCommitment(p: TreeParams): bigint {
  return stateCommitment(zeroHash(p.exitDepth), 0, zeroHash(p.balanceDepth), zeroHash(nullifierDepth(p)));
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
