/**
 * The append-only local exit tree (Poseidon, binary, zero leaf 0). The root is kept with a frontier
 * (one node per level, as the Solidity ExitTree library does: amortised ~1 hash per append); full levels are
 * built lazily, only when a Merkle proof is asked for. A tree holds at most 2^depth - 1 leaves: the frontier
 * cannot represent the completely full tree (the Solidity library has the same limit).
 */
import { hash2, zeroHash } from "./poseidon";
import { assertField } from "./field";

export class ExitTreeFullError extends Error {
  readonly code = "EXIT_TREE_FULL";
  constructor(depth: number) {
    super(`exit tree of depth ${depth} is full`);
  }
}

export interface MerkleProof {
  leaf: bigint;
  index: number;
  siblings: bigint[];
}

// Indices reach 2^32, beyond JS's 32-bit bitwise operators: use arithmetic.
function bit(x: number, h: number): boolean {
  return Math.floor(x / 2 ** h) % 2 === 1;
}
function siblingIndex(i: number): number {
  return i % 2 === 0 ? i + 1 : i - 1;
}

export class ExitTree {
  readonly depth: number;
  private readonly frontier: bigint[];
  private readonly leaves: bigint[] = [];
  /** levels[h][i]: node i at height h, valid for the first `built` leaves. */
  private levels: bigint[][];
  private built = 0;
  /** The root of the current leaves: a state commitment asks for it several times per certificate. */
  private cachedRoot: bigint | null = null;

  constructor(depth: number) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new RangeError(`exit tree depth 1..32, got ${depth}`);
    this.depth = depth;
    this.frontier = new Array(depth).fill(0n);
    this.levels = Array.from({ length: depth + 1 }, () => []);
  }

  get count(): number {
    return this.leaves.length;
  }

  leaf(index: number): bigint {
    if (index < 0 || index >= this.leaves.length) throw new RangeError(`no exit leaf ${index}`);
    return this.leaves[index];
  }

  allLeaves(): readonly bigint[] {
    return this.leaves;
  }

  /** Appends a leaf and returns its index. */
  append(leaf: bigint): number {
    assertField(leaf, "exit leaf");
    if (this.leaves.length + 1 >= 2 ** this.depth) throw new ExitTreeFullError(this.depth);
    const index = this.leaves.length;
    this.leaves.push(leaf);
    this.cachedRoot = null;
    let size = index + 1;
    let node = leaf;
    for (let h = 0; h < this.depth; h++) {
      if (bit(size, h)) {
        this.frontier[h] = node;
        return index;
      }
      node = hash2(this.frontier[h], node);
    }
    return index; // the tree is now exactly full
  }

  root(): bigint {
    this.cachedRoot ??= this.computeRoot();
    return this.cachedRoot;
  }

  private computeRoot(): bigint {
    let node = 0n;
    const size = this.leaves.length;
    for (let h = 0; h < this.depth; h++) {
      node = bit(size, h) ? hash2(this.frontier[h], node) : hash2(node, zeroHash(h));
    }
    return node;
  }

  /** Merkle proof of leaf `index` against the current root. */
  proof(index: number): MerkleProof {
    if (index < 0 || index >= this.leaves.length) throw new RangeError(`no exit leaf ${index}`);
    this.build();
    const siblings: bigint[] = [];
    let i = index;
    for (let h = 0; h < this.depth; h++) {
      siblings.push(this.node(h, siblingIndex(i)));
      i = Math.floor(i / 2);
    }
    return { leaf: this.leaves[index], index, siblings };
  }

  /** Siblings of the first empty slot (index = count): what a circuit needs to append at the right edge. */
  appendProof(): bigint[] {
    this.build();
    const siblings: bigint[] = [];
    let i = this.leaves.length;
    for (let h = 0; h < this.depth; h++) {
      siblings.push(this.node(h, siblingIndex(i)));
      i = Math.floor(i / 2);
    }
    return siblings;
  }

  /** An independent copy (the arrays are copied, nothing is hashed again). */
  clone(): ExitTree {
    const t = new ExitTree(this.depth);
    for (const l of this.leaves) t.leaves.push(l);
    t.frontier.splice(0, this.depth, ...this.frontier);
    t.levels = this.levels.map((l) => l.slice());
    t.built = this.built;
    t.cachedRoot = this.cachedRoot;
    return t;
  }

  private node(h: number, i: number): bigint {
    const level = this.levels[h];
    return i < level.length ? level[i] : zeroHash(h);
  }

  /** Extends the stored levels to cover every leaf appended since the last build. */
  private build(): void {
    const n = this.leaves.length;
    if (this.built === n) return;
    for (let i = this.built; i < n; i++) this.levels[0][i] = this.leaves[i];
    let from = this.built;
    let to = n; // exclusive, at height h
    for (let h = 1; h <= this.depth; h++) {
      from = Math.floor(from / 2);
      to = Math.ceil(to / 2);
      const below = this.levels[h - 1];
      const level = this.levels[h];
      for (let i = from; i < to; i++) {
        const l = below[2 * i] ?? zeroHash(h - 1);
        const r = 2 * i + 1 < below.length ? below[2 * i + 1] : zeroHash(h - 1);
        level[i] = hash2(l, r);
      }
    }
    this.built = n;
  }
}

/** Root implied by a leaf, its index and its siblings (bottom-up). */
export function computeMerkleRoot(leaf: bigint, index: number | bigint, siblings: readonly bigint[]): bigint {
  let node = leaf;
  let i = BigInt(index);
  for (const s of siblings) {
    node = (i & 1n) === 0n ? hash2(node, s) : hash2(s, node);
    i >>= 1n;
  }
  if (i !== 0n) throw new RangeError(`index ${index} does not fit a tree of depth ${siblings.length}`);
  return node;
}

export function verifyMerkleProof(root: bigint, leaf: bigint, index: number | bigint, siblings: readonly bigint[]): boolean {
  try {
    return computeMerkleRoot(leaf, index, siblings) === root;
  } catch {
    return false;
  }
}

/** Root of an exit tree holding exactly these leaves (reference computation, no frontier). */
export function exitRootOf(depth: number, leaves: readonly bigint[]): bigint {
  const t = new ExitTree(depth);
  for (const l of leaves) t.append(l);
  return t.root();
}
