/**
 * A network's history tree (docs/protocol.md §8): one leaf H(certificateId, exitRoot) per finalized certificate, at
 * index = height; append-only, binary, Poseidon, zero leaf 0, at most 2^depth - 1 leaves (like the exit tree).
 *
 * A HistoryTree is an immutable value: a NetworkRecord holds one, and advancing the record appends to a new one.
 * The versions of one history share a HistoryLog, the append-only store of entries and complete tree nodes; a
 * version owns only its size and its frontier (one node per level), from which its root and its append proof
 * follow. So an append costs O(depth), never a copy of the history, and every version reads the log's prefix
 * below its own size, on which all versions sharing the log agree. Appending where the log already holds a
 * different entry (two versions diverged: one advanced and then dropped, another settled) gives the appending
 * version a log of its own with the common prefix.
 *
 * Memory: by default the log keeps every entry. With an archive (where finalized entries are kept durably: the
 * coordinator's store), release(height) lets the log drop the entries and the low levels of the whole blocks of
 * 2^BLOCK_BITS leaves below that height. The nodes from height BLOCK_BITS up stay (one node per block and the levels
 * above: about 80 bytes per 256 entries), so roots and proofs never need the whole history again; a released
 * block is read back from the archive, and checked against its stored node, when an entry or a proof inside it is
 * asked for.
 */
import { hash2, poseidon, zeroHash } from "./poseidon";
import type { MerkleProof } from "./exit-tree";

export interface HistoryEntry {
  certificateId: bigint;
  exitRoot: bigint;
}

export function historyLeaf(e: HistoryEntry): bigint {
  return poseidon([e.certificateId, e.exitRoot]);
}

/** The entries of network `networkId`'s history at heights [from, to), in height order (all of them: they are final). */
export type HistoryArchive = (networkId: number, from: number, to: number) => HistoryEntry[];

export class HistoryFullError extends Error {
  readonly code = "HISTORY_FULL";
  constructor(depth: number) {
    super(`history tree of depth ${depth} is full`);
  }
}

/** Leaves per block, as a power of two: the unit in which released entries leave memory and are read back. */
export const BLOCK_BITS = 8;
/** Released blocks whose low levels are kept after a read, for reads that come in runs (a batch's dependencies). */
const ARCHIVE_CACHE_BLOCKS = 4;

// Indices reach 2^32, beyond JS's 32-bit bitwise operators: use arithmetic.
const pow2 = (h: number): number => 2 ** h;
const bit = (x: number, h: number): boolean => Math.floor(x / pow2(h)) % 2 === 1;
const sameEntry = (a: HistoryEntry, b: HistoryEntry): boolean => a.certificateId === b.certificateId && a.exitRoot === b.exitRoot;

class HistoryLog {
  /** Entry i is entries[i - base]; the entries below base were released to the archive. */
  private entries: HistoryEntry[] = [];
  private base = 0;
  /**
   * nodes[h][j - offset(h)] is complete node j at height h (all its 2^h leaves are in the log); below height
   * `blockBits` the offset is base >> h (released blocks' low levels are gone), from `blockBits` up it is 0.
   */
  private readonly nodes: bigint[][];
  private readonly blockBits: number;
  private readonly archived = new Map<number, { entries: HistoryEntry[]; levels: bigint[][] }>();

  constructor(
    readonly depth: number,
    readonly networkId: number,
    readonly archive: HistoryArchive | null,
  ) {
    this.blockBits = Math.min(BLOCK_BITS, depth);
    this.nodes = Array.from({ length: depth + 1 }, () => []);
  }

  get length(): number {
    return this.base + this.entries.length;
  }

  /** Entries below this index are no longer in memory. */
  get released(): number {
    return this.base;
  }

  entry(i: number): HistoryEntry {
    if (i >= this.base) return this.entries[i - this.base];
    const b = Math.floor(i / pow2(this.blockBits));
    return this.readBlock(b).entries[i - b * pow2(this.blockBits)];
  }

  /** Records `e` at index `i` (= the appending version's size); false if the log holds another entry there. */
  put(i: number, e: HistoryEntry): boolean {
    if (i === this.length) {
      this.entries.push(e);
      return true;
    }
    return sameEntry(this.entry(i), e);
  }

  /** A new log holding this one's first `count` entries (and the nodes over them). */
  fork(count: number): HistoryLog {
    if (count < this.base) throw new RangeError(`history of network ${this.networkId}: cannot diverge at ${count}, below the released height ${this.base}`);
    this.build();
    const f = new HistoryLog(this.depth, this.networkId, this.archive);
    f.base = this.base;
    f.entries = this.entries.slice(0, count - this.base);
    for (let h = 0; h <= this.depth; h++) f.nodes[h] = this.nodes[h].slice(0, Math.floor(count / pow2(h)) - this.offset(h));
    return f;
  }

  /** Complete node j at height h. */
  node(h: number, j: number): bigint {
    this.build();
    const k = j - this.offset(h);
    if (k >= 0) return this.nodes[h][k];
    const b = Math.floor(j / pow2(this.blockBits - h));
    return this.readBlock(b).levels[h][j - b * pow2(this.blockBits - h)];
  }

  /** Drops the entries and low levels of the whole blocks below `below` (they must be in the archive). */
  release(below: number): void {
    const size = pow2(this.blockBits);
    const newBase = Math.floor(Math.min(below, this.length) / size) * size;
    if (newBase <= this.base) return;
    if (!this.archive) throw new Error(`history of network ${this.networkId}: nothing to read released entries back from (no archive)`);
    this.build();
    for (let h = 0; h < this.blockBits; h++) this.nodes[h].splice(0, Math.floor(newBase / pow2(h)) - this.offset(h));
    this.entries.splice(0, newBase - this.base);
    this.base = newBase;
  }

  private offset(h: number): number {
    return h < this.blockBits ? Math.floor(this.base / pow2(h)) : 0;
  }

  /** Extends every level's complete nodes to cover every entry in the log (about one hash per entry, amortised). */
  private build(): void {
    const leaves = this.nodes[0];
    for (let i = this.offset(0) + leaves.length; i < this.length; i++) leaves.push(historyLeaf(this.entries[i - this.base]));
    for (let h = 1; h <= this.depth; h++) {
      const below = this.nodes[h - 1];
      const level = this.nodes[h];
      const lowBelow = this.offset(h - 1);
      for (let j = this.offset(h) + level.length; j < Math.floor(this.length / pow2(h)); j++) {
        level.push(hash2(below[2 * j - lowBelow], below[2 * j + 1 - lowBelow]));
      }
    }
  }

  /** A released block's entries and levels below blockBits, from the archive, checked against the node kept for it. */
  private readBlock(b: number): { entries: HistoryEntry[]; levels: bigint[][] } {
    const cached = this.archived.get(b);
    if (cached) return cached;
    const size = pow2(this.blockBits);
    const entries = this.archive!(this.networkId, b * size, (b + 1) * size);
    if (entries.length !== size) throw new Error(`history of network ${this.networkId}: the archive has ${entries.length} of the ${size} entries of block ${b}`);
    const levels = [entries.map(historyLeaf)];
    for (let h = 1; h <= this.blockBits; h++) {
      const below = levels[h - 1];
      levels.push(Array.from({ length: below.length / 2 }, (_, j) => hash2(below[2 * j], below[2 * j + 1])));
    }
    if (levels[this.blockBits][0] !== this.nodes[this.blockBits][b]) throw new Error(`history of network ${this.networkId}: the archive's block ${b} does not hash to the node kept for it`);
    const block = { entries, levels };
    this.archived.set(b, block);
    if (this.archived.size > ARCHIVE_CACHE_BLOCKS) this.archived.delete(this.archived.keys().next().value!);
    return block;
  }
}

export class HistoryTree {
  private cachedEdge: bigint[] | null = null;

  private constructor(
    private readonly log: HistoryLog,
    /** Number of leaves: the network's next height. */
    readonly count: number,
    /** frontier[h]: the last complete left node at height h (see ExitTree). */
    private readonly frontier: readonly bigint[],
  ) {}

  static empty(depth: number, networkId = 0, archive: HistoryArchive | null = null): HistoryTree {
    if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new RangeError(`history depth 1..32, got ${depth}`);
    return new HistoryTree(new HistoryLog(depth, networkId, archive), 0, new Array<bigint>(depth).fill(0n));
  }

  get depth(): number {
    return this.log.depth;
  }

  /** This version plus one entry. */
  append(e: HistoryEntry): HistoryTree {
    if (this.count + 1 >= pow2(this.depth)) throw new HistoryFullError(this.depth);
    let log = this.log;
    if (!log.put(this.count, e)) {
      log = log.fork(this.count);
      log.put(this.count, e);
    }
    const frontier = this.frontier.slice();
    const size = this.count + 1;
    let node = historyLeaf(e);
    for (let h = 0; h < this.depth; h++) {
      if (bit(size, h)) {
        frontier[h] = node;
        break;
      }
      node = hash2(frontier[h], node);
    }
    return new HistoryTree(log, size, frontier);
  }

  root(): bigint {
    return this.edge()[this.depth];
  }

  entry(index: number): HistoryEntry {
    this.check(index);
    return this.log.entry(index);
  }

  /** The leaf hash at `index`. */
  leaf(index: number): bigint {
    return historyLeaf(this.entry(index));
  }

  /** Every entry, in height order (reads released ones back from the archive: for tests and small histories). */
  entries(): HistoryEntry[] {
    return Array.from({ length: this.count }, (_, i) => this.log.entry(i));
  }

  /** Merkle proof of leaf `index` against this version's root. */
  proof(index: number): MerkleProof {
    this.check(index);
    const edge = this.edge();
    const siblings: bigint[] = [];
    for (let h = 0; h < this.depth; h++) {
      const j = (Math.floor(index / pow2(h)) % 2 === 0 ? 1 : -1) + Math.floor(index / pow2(h));
      const lo = j * pow2(h);
      if (lo + pow2(h) <= this.count) siblings.push(this.log.node(h, j));
      else if (lo < this.count) siblings.push(edge[h]);
      else siblings.push(zeroHash(h));
    }
    return { leaf: this.leaf(index), index, siblings };
  }

  /** Siblings of the first empty slot (index = count): what a circuit needs to append at the right edge. */
  appendProof(): bigint[] {
    return Array.from({ length: this.depth }, (_, h) => (bit(this.count, h) ? this.frontier[h] : zeroHash(h)));
  }

  /** The entries below `height` are durable in the archive: memory may let the whole blocks below it go. */
  release(height: number): void {
    this.log.release(Math.min(height, this.count));
  }

  /** Entries below this index are read back from the archive (for tests and diagnostics). */
  get releasedBelow(): number {
    return this.log.released;
  }

  /**
   * edge[h]: the node at height h over the slot `count` (the first empty one), partial or empty; edge[depth] is the
   * root. The same walk as ExitTree.root, keeping each level's value (once per version: versions never change).
   */
  private edge(): bigint[] {
    if (!this.cachedEdge) {
      const edge = [0n];
      for (let h = 0; h < this.depth; h++) edge.push(bit(this.count, h) ? hash2(this.frontier[h], edge[h]) : hash2(edge[h], zeroHash(h)));
      this.cachedEdge = edge;
    }
    return this.cachedEdge;
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`no history entry ${index}`);
  }
}
