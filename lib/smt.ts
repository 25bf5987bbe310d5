/**
 * Sparse Merkle tree (Poseidon, binary, zero leaf 0, fixed depth) used for local balances and nullifiers.
 * Only non-empty nodes are stored. A leaf's path is its index, least-significant bit at the leaf level.
 * Membership, non-membership (leaf == 0) and update proofs are all the same shape: the leaf's siblings.
 */
import { hash2, zeroHash } from "./poseidon";
import { assertField } from "./field";
import { computeMerkleRoot } from "./exit-tree";

export interface SmtProof {
  index: bigint;
  leaf: bigint;
  siblings: bigint[];
}

/** Everything a circuit needs to check one leaf update: the siblings are shared by old and new root. */
export interface SmtUpdate {
  index: bigint;
  oldLeaf: bigint;
  newLeaf: bigint;
  siblings: bigint[];
  oldRoot: bigint;
  newRoot: bigint;
}

export class SparseMerkleTree {
  readonly depth: number;
  /** key `${height}:${index}` -> node; absent means the zero subtree of that height. */
  private nodes: Map<string, bigint>;

  constructor(depth: number, nodes?: Map<string, bigint>) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 248) throw new RangeError(`SMT depth 1..248, got ${depth}`);
    this.depth = depth;
    this.nodes = nodes ?? new Map();
  }

  root(): bigint {
    return this.node(this.depth, 0n);
  }

  get(index: bigint): bigint {
    this.checkIndex(index);
    return this.node(0, index);
  }

  proof(index: bigint): SmtProof {
    this.checkIndex(index);
    const siblings: bigint[] = [];
    let i = index;
    for (let h = 0; h < this.depth; h++) {
      siblings.push(this.node(h, i ^ 1n));
      i >>= 1n;
    }
    return { index, leaf: this.node(0, index), siblings };
  }

  /** Sets a leaf (0 deletes it) and returns the update proof. */
  set(index: bigint, value: bigint): SmtUpdate {
    this.checkIndex(index);
    assertField(value, "SMT leaf");
    const oldRoot = this.root();
    const { leaf: oldLeaf, siblings } = this.proof(index);
    let node = value;
    let i = index;
    this.put(0, i, node);
    for (let h = 0; h < this.depth; h++) {
      const s = siblings[h];
      node = (i & 1n) === 0n ? hash2(node, s) : hash2(s, node);
      i >>= 1n;
      this.put(h + 1, i, node);
    }
    return { index, oldLeaf, newLeaf: value, siblings, oldRoot, newRoot: node };
  }

  /** Number of stored (non-empty) nodes, for memory accounting. */
  get size(): number {
    return this.nodes.size;
  }

  clone(): SparseMerkleTree {
    return new SparseMerkleTree(this.depth, new Map(this.nodes));
  }

  private node(h: number, i: bigint): bigint {
    return this.nodes.get(`${h}:${i}`) ?? zeroHash(h);
  }

  private put(h: number, i: bigint, v: bigint): void {
    if (v === zeroHash(h)) this.nodes.delete(`${h}:${i}`);
    else this.nodes.set(`${h}:${i}`, v);
  }

  private checkIndex(index: bigint): void {
    if (typeof index !== "bigint" || index < 0n || index >= 1n << BigInt(this.depth)) {
      throw new RangeError(`SMT index ${index} outside a tree of depth ${this.depth}`);
    }
  }
}

export function verifySmtProof(root: bigint, p: SmtProof): boolean {
  try {
    return computeMerkleRoot(p.leaf, p.index, p.siblings) === root;
  } catch {
    return false;
  }
}

/** Checks an update proof: the old leaf is under oldRoot and the new leaf, at the same place, gives newRoot. */
export function verifySmtUpdate(u: SmtUpdate): boolean {
  try {
    return (
      computeMerkleRoot(u.oldLeaf, u.index, u.siblings) === u.oldRoot &&
      computeMerkleRoot(u.newLeaf, u.index, u.siblings) === u.newRoot
    );
  } catch {
    return false;
  }
}

/** Root of an SMT with exactly these leaves (reference computation). */
export function smtRootOf(depth: number, leaves: Iterable<[bigint, bigint]>): bigint {
  const t = new SparseMerkleTree(depth);
  for (const [i, v] of leaves) t.set(i, v);
  return t.root();
}

export { zeroHash };
