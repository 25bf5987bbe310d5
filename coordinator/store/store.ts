/**
 * The coordinator's durable store, behind a small interface so that a server database can follow the embedded
 * SQLite one (coordinator/store/sqlite.ts).
 *
 * Writes are batches of operations applied atomically. `commit` resolves only once the batch is durable (for
 * SQLite: the transaction committed with synchronous=FULL); batches that arrive while a commit is pending are
 * grouped into one transaction (group commit). Batches are applied in the order `commit` was called.
 * Reads are synchronous and see every batch that `commit` has accepted... only once it is durable: callers keep
 * their own in-memory view (the graph) and use the store to load it at start and to answer cold queries.
 */
import type {
  AbandonedRecord,
  CertificateRecord,
  CertificateStatus,
  EpochRecord,
  EquivocationRecord,
  JobRecord,
  NetworkRecordRow,
  ProofRecord,
  Rejection,
  SettlementRecord,
  StatusChange,
} from "../types";

export type WriteOp =
  /** A new certificate (insert; fails the batch if its id exists). */
  | { op: "insertCertificate"; record: CertificateRecord }
  /** A status change; also appended to the status history. */
  | { op: "setStatus"; change: StatusChange; at: number; epoch?: number | null; l1Tx?: string | null }
  | { op: "putProof"; proof: ProofRecord }
  | { op: "putEquivocation"; record: EquivocationRecord }
  /** A revision its chain abandoned (insert; the same (network, height, revision) twice fails the batch). */
  | { op: "putAbandoned"; record: AbandonedRecord }
  /** Insert or replace by id. */
  | { op: "putEpoch"; record: EpochRecord }
  /** Insert (id 0 = allocate) or replace by id. */
  | { op: "putJob"; record: JobRecord }
  | { op: "putSettlement"; record: SettlementRecord }
  | { op: "putNetwork"; record: NetworkRecordRow }
  | { op: "setMeta"; key: string; value: string }
  /** An L1 event applied to the view, kept so that a reorg can undo it (see StoredL1Event). */
  | { op: "putL1Event"; event: StoredL1Event }
  /** Forgets the recorded L1 events from `fromBlock` on (after a reorg). */
  | { op: "deleteL1EventsFrom"; fromBlock: number };

export interface StoredL1Event {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  name: string;
  /** The decoded arguments, JSON with bigints as decimal strings. */
  args: Record<string, unknown>;
}

export interface StatusHistoryEntry {
  certificateId: bigint;
  from: CertificateStatus;
  to: CertificateStatus;
  rejection: Rejection | null;
  at: number;
}

/** A certificate that names another (as a dependency) or a bundle: the reverse indexes of the store. */
export interface NamingCertificate {
  certificateId: bigint;
  networkId: number;
  height: bigint;
  status: CertificateStatus;
  seq: number;
}

export interface StoredBundleLeg extends NamingCertificate {
  legIndex: number;
  legCount: number;
}

export interface Store {
  /** Applies the batch atomically; resolves once it is durable. Rejects (and applies nothing) on any error. */
  commit(ops: WriteOp[]): Promise<void>;
  /** Waits for every accepted batch to be durable. */
  flush(): Promise<void>;
  /** Flushes, then closes. Later commits reject. */
  close(): Promise<void>;

  /** Allocates the next arrival sequence number (persisted by the next insertCertificate that uses it). */
  nextSeq(): number;
  /** Allocates ids for jobs, epochs and settlements (monotonic, persisted with the row that uses them). */
  nextId(table: "job" | "epoch" | "settlement"): number;

  getCertificate(certificateId: bigint): CertificateRecord | undefined;
  /** A certificate's status alone (cheap: no body to decode). */
  certificateStatus(certificateId: bigint): CertificateStatus | undefined;
  /** Every certificate in arrival order (seq); `live` = not Finalized and not Rejected. */
  listCertificates(filter?: { live?: boolean; networkId?: number; status?: CertificateStatus }): CertificateRecord[];
  countCertificates(): number;
  /** Certificates by network and status (the combinations that have any). */
  countByNetworkAndStatus(): { networkId: number; status: CertificateStatus; count: number }[];
  /** A network's `limit` certificates of the highest heights (all statuses), highest first, newest revision first. */
  recentCertificates(networkId: number, limit: number): CertificateRecord[];
  /** The certificates naming `certificateId` as a dependency, in arrival order. */
  dependentsOf(certificateId: bigint): NamingCertificate[];
  /** The certificates naming the bundle, with their legs, in arrival order. */
  bundleLegs(bundleId: bigint): StoredBundleLeg[];
  /** The Finalized certificates of a network at heights [from, to), in height order: its history entries. */
  finalizedHistory(networkId: number, from: bigint, to: bigint): { height: bigint; certificateId: bigint; exitRoot: bigint }[];
  statusHistory(certificateId: bigint): StatusHistoryEntry[];
  getProof(certificateId: bigint): ProofRecord | undefined;
  listEquivocations(): EquivocationRecord[];
  listAbandoned(): AbandonedRecord[];
  getEpoch(id: number): EpochRecord | undefined;
  /** The epoch with the highest id. */
  latestEpoch(): EpochRecord | undefined;
  listEpochs(filter?: { status?: EpochRecord["status"][] }): EpochRecord[];
  /** The `limit` newest epochs, newest first. */
  recentEpochs(limit: number): EpochRecord[];
  /** How many epochs are in each status (statuses without any are absent). */
  countEpochsByStatus(): Partial<Record<EpochRecord["status"], number>>;
  getJob(id: number): JobRecord | undefined;
  listJobs(filter?: { status?: JobRecord["status"][]; kind?: JobRecord["kind"] }): JobRecord[];
  listSettlements(epochId?: number): SettlementRecord[];
  listNetworks(): NetworkRecordRow[];
  getMeta(key: string): string | undefined;
  listL1Events(fromBlock?: number): StoredL1Event[];
}
