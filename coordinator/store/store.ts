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
  /** Every certificate in arrival order (seq); `live` = not Finalized and not Rejected. */
  listCertificates(filter?: { live?: boolean; networkId?: number; status?: CertificateStatus }): CertificateRecord[];
  countCertificates(): number;
  statusHistory(certificateId: bigint): StatusHistoryEntry[];
  getProof(certificateId: bigint): ProofRecord | undefined;
  listEquivocations(): EquivocationRecord[];
  listAbandoned(): AbandonedRecord[];
  getEpoch(id: number): EpochRecord | undefined;
  listEpochs(filter?: { status?: EpochRecord["status"][] }): EpochRecord[];
  getJob(id: number): JobRecord | undefined;
  listJobs(filter?: { status?: JobRecord["status"][]; kind?: JobRecord["kind"] }): JobRecord[];
  listSettlements(epochId?: number): SettlementRecord[];
  listNetworks(): NetworkRecordRow[];
  getMeta(key: string): string | undefined;
  listL1Events(fromBlock?: number): StoredL1Event[];
}
