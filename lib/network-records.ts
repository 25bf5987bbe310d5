/**
 * The per-network records the layer keeps off chain (docs/protocol.md §8): for each network, its accounted state,
 * next height, last certificate id and history of finalized certificates (lib/history.ts: H(certificateId,
 * newLocalExitRoot) at index = height). The coordinator's L1 mirror (coordinator/l1/view.ts) advances them by
 * each certificate L1 settles, and its backup prover starts from them (coordinator/backup.ts). L1 keeps per network
 * only the tip of its settled chain (lib/batch-settlement.ts); nothing commits to these records on chain.
 */
import { HistoryArchive, HistoryEntry, HistoryTree, historyLeaf } from "./history";
import { NetworkState } from "./network-state";
import { LayerParams, validateParams } from "./params";

export { historyLeaf };
export type { HistoryArchive, HistoryEntry };

/** One network's settled record: its accounted state, height, last id and history of finalized certificates. */
export class NetworkRecord {
  constructor(
    readonly networkId: number,
    readonly state: NetworkState,
    readonly nextHeight: bigint,
    readonly lastCertificateId: bigint,
    readonly history: HistoryTree,
  ) {}

  static genesis(networkId: number, p: LayerParams, archive: HistoryArchive | null = null): NetworkRecord {
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

  /** The record after finalizing a certificate at nextHeight, with the network's new state (O(depth): see HistoryTree). */
  advance(newState: NetworkState, certificateId: bigint): NetworkRecord {
    const history = this.history.append({ certificateId, exitRoot: newState.exitRoot });
    return new NetworkRecord(this.networkId, newState, this.nextHeight + 1n, certificateId, history);
  }
}

/** The records of every network (genesis for one never settled). A value: put() replaces, clone() copies the map. */
export class NetworkRecords {
  readonly params: LayerParams;
  private readonly records: Map<number, NetworkRecord>;

  /**
   * `archive`: where the finalized history entries are kept durably (the coordinator's store). With it,
   * releaseHistory() lets memory drop old entries; without it every entry stays in memory.
   */
  constructor(params: LayerParams, records?: Map<number, NetworkRecord>, readonly archive: HistoryArchive | null = null) {
    validateParams(params);
    if (!Number.isInteger(params.historyDepth) || params.historyDepth < 1 || params.historyDepth > 32) {
      throw new RangeError(`historyDepth must be 1..32, got ${params.historyDepth}`);
    }
    this.params = params;
    this.records = records ?? new Map();
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

  /** Replaces a network's record. */
  put(record: NetworkRecord): void {
    this.records.set(record.networkId, record);
  }

  clone(): NetworkRecords {
    return new NetworkRecords(this.params, new Map(this.records), this.archive);
  }
}
