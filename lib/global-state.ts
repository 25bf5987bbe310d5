/**
 * The global state the settlement hub commits to (docs/protocol.md §8): a sparse Merkle tree keyed by network id
 * whose leaf for network n is H(stateCommitment, nextHeight, lastCertificateId, historyRoot), 0 until n first
 * settles. Each network's history tree holds H(certificateId, newLocalExitRoot) at index = height.
 */
import { poseidon, zeroHash } from "./poseidon";
import { SparseMerkleTree, SmtUpdate } from "./smt";
import { MerkleProof } from "./exit-tree";
import { HistoryArchive, HistoryEntry, HistoryTree, historyLeaf } from "./history";
import { NetworkState, stateCommitment } from "./network-state";
import { PRODUCTION_PARAMS, TreeParams, nullifierDepth, validateParams } from "./params";

export { historyLeaf };
export type { HistoryArchive, HistoryEntry };

export interface GlobalParams extends TreeParams {
  /** Depth of each network's history tree (max 2^historyDepth - 1 finalized certificates per network). */
  historyDepth: number;
}

export const PRODUCTION_GLOBAL_PARAMS: GlobalParams = Object.freeze({ ...PRODUCTION_PARAMS, historyDepth: 32 });
/**
 * The instance that is set up (native development keys) for CI's end-to-end tests and the local devnet: 16
 * network ids (L1 + up to 15 chains), 2^20 - 1 exits and 2^20 - 1 finalized certificates per network, 256 balance
 * slots. Its certificate circuit (certificate_test: 4 imports, 8 exits, 4 dependencies) has ~110k constraints
 * (docs/benchmarks.md).
 */
export const DEVNET_PARAMS: GlobalParams = Object.freeze({ exitDepth: 20, balanceDepth: 8, networkBits: 4, historyDepth: 20 });

/** The state commitment of a network that has never settled (empty trees). */
export function genesisStateCommitment(p: TreeParams): bigint {
  return stateCommitment(zeroHash(p.exitDepth), 0, zeroHash(p.balanceDepth), zeroHash(nullifierDepth(p)));
}

/** One network's settled record: its accounted state, height, last id and history of finalized certificates. */
export class NetworkRecord {
  constructor(
    readonly networkId: number,
    readonly state: NetworkState,
    readonly nextHeight: bigint,
    readonly lastCertificateId: bigint,
    readonly history: HistoryTree,
  ) {}

  static genesis(networkId: number, p: GlobalParams, archive: HistoryArchive | null = null): NetworkRecord {
    return new NetworkRecord(networkId, new NetworkState(networkId, p), 0n, 0n, HistoryTree.empty(p.historyDepth, networkId, archive));
  }

  get settled(): boolean {
    return this.nextHeight > 0n;
  }

  /** Every history entry, in height order (O(height): for tests and small histories; see entry()). */
  get entries(): readonly HistoryEntry[] {
    return this.history.entries();
  }

  /** The history entry at `height` (below nextHeight). */
  entry(height: bigint): HistoryEntry {
    return this.history.entry(Number(height));
  }

  leafPreimage(): { stateCommitment: bigint; nextHeight: bigint; lastCertificateId: bigint; historyRoot: bigint } {
    return { stateCommitment: this.state.commitment(), nextHeight: this.nextHeight, lastCertificateId: this.lastCertificateId, historyRoot: this.history.root() };
  }

  /** The global-tree leaf: 0 for a network that never settled. */
  leaf(): bigint {
    if (!this.settled) return 0n;
    const p = this.leafPreimage();
    return poseidon([p.stateCommitment, p.nextHeight, p.lastCertificateId, p.historyRoot]);
  }

  historyProof(height: bigint): MerkleProof {
    return this.history.proof(Number(height));
  }

  /** The record after finalizing a certificate at nextHeight, with the network's new state (O(depth): see HistoryTree). */
  advance(newState: NetworkState, certificateId: bigint): NetworkRecord {
    const history = this.history.append({ certificateId, exitRoot: newState.exitRoot });
    return new NetworkRecord(this.networkId, newState, this.nextHeight + 1n, certificateId, history);
  }
}

export class GlobalState {
  readonly params: GlobalParams;
  private readonly tree: SparseMerkleTree;
  private readonly records: Map<number, NetworkRecord>;

  /**
   * `archive`: where the finalized history entries are kept durably (the coordinator's store). With it,
   * releaseHistory() lets memory drop old entries; without it every entry stays in memory.
   */
  constructor(params: GlobalParams, tree?: SparseMerkleTree, records?: Map<number, NetworkRecord>, readonly archive: HistoryArchive | null = null) {
    validateParams(params);
    if (!Number.isInteger(params.historyDepth) || params.historyDepth < 1 || params.historyDepth > 32) {
      throw new RangeError(`historyDepth must be 1..32, got ${params.historyDepth}`);
    }
    this.params = params;
    this.tree = tree ?? new SparseMerkleTree(params.networkBits);
    this.records = records ?? new Map();
  }

  root(): bigint {
    return this.tree.root();
  }

  record(networkId: number): NetworkRecord {
    if (!Number.isInteger(networkId) || networkId < 1 || networkId >= 2 ** this.params.networkBits) {
      throw new RangeError(`network ${networkId} is not a settling network id (1..2^${this.params.networkBits} - 1)`);
    }
    return this.records.get(networkId) ?? NetworkRecord.genesis(networkId, this.params, this.archive);
  }

  /** The finalized history entry of (networkId, height), if any. */
  finalized(networkId: number, height: bigint): HistoryEntry | undefined {
    const r = this.records.get(networkId);
    return r && height >= 0n && height < r.nextHeight ? r.entry(height) : undefined;
  }

  /** The network's history entries below `height` are durable in the archive: memory may let them go (none without one). */
  releaseHistory(networkId: number, height: bigint): void {
    if (this.archive && height > 0n) this.records.get(networkId)?.history.release(Number(height));
  }

  /** Siblings of network `networkId`'s leaf in the global tree. */
  leafProof(networkId: number): bigint[] {
    return this.tree.proof(BigInt(networkId)).siblings;
  }

  /** Replaces a network's record and returns the global-tree update. */
  put(record: NetworkRecord): SmtUpdate {
    this.records.set(record.networkId, record);
    return this.tree.set(BigInt(record.networkId), record.leaf());
  }

  clone(): GlobalState {
    return new GlobalState(this.params, this.tree.clone(), new Map(this.records), this.archive);
  }
}
