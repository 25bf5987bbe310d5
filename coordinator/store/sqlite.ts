/**
 * The coordinator's embedded store: SQLite through better-sqlite3, with WAL and synchronous=FULL so that a batch
 * whose `commit` resolved survives a crash of the process or of the machine.
 *
 * Group commit: the batches passed to `commit` within a short window (or until `maxBatchOps` operations are
 * queued) share one SQLite transaction, hence one fsync. Each caller's batch runs inside its own SAVEPOINT, so a
 * failing batch is undone alone while the others of the group still commit. better-sqlite3 is synchronous: the
 * transaction blocks the event loop while it runs, and the window is what lets concurrent callers share it.
 *
 * Operations are encoded when `commit` is called, not when the group runs: a caller may keep mutating its
 * in-memory records, and the store must write them as they were at the call.
 *
 * Encoding: bigints as decimal TEXT (heights zero-padded to 20 digits so that text order is numeric order),
 * bigint arrays as JSON arrays of decimal strings, certificates with lib/codec.ts (signature in its own column).
 */
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { isHexString } from "ethers";
import { validateCertificate } from "../../lib/certificate";
import type { BundleLeg, SignedCertificate } from "../../lib/certificate";
import { certificateFromJson, certificateToJson, refFromJson, refToJson } from "../../lib/codec";
import { STATUSES } from "../types";
import type {
  CertificateRecord,
  CertificateStatus,
  EpochRecord,
  AbandonedRecord,
  EquivocationRecord,
  JobRecord,
  NetworkRecordRow,
  ProofRecord,
  ProofSource,
  Rejection,
  SettlementRecord,
} from "../types";
import type { NamingCertificate, StatusHistoryEntry, Store, StoredBundleLeg, StoredL1Event, WriteOp } from "./store";

export interface SqliteStoreOptions {
  /** How long the first queued batch waits for others to join its transaction (default 2 ms; 0 = same tick). */
  groupWindowMs?: number;
  /** A group runs at once when this many operations are queued (default 2000). */
  maxBatchOps?: number;
  /** How long to wait for a lock held by another connection (default 5000 ms). */
  busyTimeoutMs?: number;
}

export interface SqliteStoreStats {
  /** Group transactions committed. */
  transactions: number;
  /** Caller batches committed. */
  batches: number;
  /** Caller batches rejected. */
  failedBatches: number;
}

/** Time the group transactions held the event loop (better-sqlite3 is synchronous; COMMIT includes the fsync). */
export interface SqliteCommitTimings {
  /** Group transactions run (committed or not). */
  groups: number;
  totalMs: number;
  maxMs: number;
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
  }
}

export const SCHEMA_VERSION_KEY = "schema_version";

// ------------------------------------------------------------------------------------------------ schema

const STATUS_SQL = STATUSES.map((s) => `'${s}'`).join(", ");
/** Not Finalized and not Rejected; the partial index certificates_live is defined by this very condition. */
const LIVE_CONDITION = "status NOT IN ('Finalized', 'Rejected')";

/**
 * MIGRATIONS[v - 1] takes the schema from version v - 1 to v: SQL, or a function for what SQL alone cannot do.
 * Never edit one that has shipped: append.
 */
const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `
  CREATE TABLE certificates (
    certificate_id TEXT PRIMARY KEY,
    network_id INTEGER NOT NULL,
    height TEXT NOT NULL,
    body TEXT NOT NULL,
    signature TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${STATUS_SQL})),
    rejection TEXT,
    seq INTEGER NOT NULL UNIQUE,
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    epoch INTEGER,
    l1_tx TEXT,
    proof_source TEXT CHECK (proof_source IN ('chain', 'backup'))
  );
  CREATE INDEX certificates_network_height ON certificates (network_id, height);
  CREATE INDEX certificates_status ON certificates (status);
  -- Start-up loads the live certificates in seq order: once most rows are final, this visits only the live ones.
  CREATE INDEX certificates_live ON certificates (seq) WHERE ${LIVE_CONDITION};

  CREATE TABLE status_history (
    id INTEGER PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates (certificate_id),
    from_status TEXT NOT NULL CHECK (from_status IN (${STATUS_SQL})),
    to_status TEXT NOT NULL CHECK (to_status IN (${STATUS_SQL})),
    rejection TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX status_history_certificate ON status_history (certificate_id, id);

  CREATE TABLE proofs (
    certificate_id TEXT PRIMARY KEY REFERENCES certificates (certificate_id),
    source TEXT NOT NULL CHECK (source IN ('chain', 'backup')),
    proof TEXT NOT NULL,
    public_signals TEXT NOT NULL,
    at INTEGER NOT NULL
  );

  CREATE TABLE equivocations (
    network_id INTEGER NOT NULL,
    height TEXT NOT NULL,
    id_a TEXT NOT NULL,
    sig_a TEXT NOT NULL,
    id_b TEXT NOT NULL,
    sig_b TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    report_tx TEXT,
    report_status TEXT NOT NULL,
    PRIMARY KEY (network_id, height, id_a, id_b)
  );

  CREATE TABLE epochs (
    id INTEGER PRIMARY KEY,
    certificate_ids TEXT NOT NULL,
    old_root TEXT NOT NULL,
    new_root TEXT NOT NULL,
    l1_checkpoint_number TEXT NOT NULL,
    l1_exit_root TEXT NOT NULL,
    slot_capacity INTEGER NOT NULL,
    status TEXT NOT NULL,
    proof TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    l1_epoch INTEGER,
    l1_tx TEXT,
    failure TEXT
  );
  CREATE INDEX epochs_status ON epochs (status);

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    progress REAL NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    error TEXT
  );
  CREATE INDEX jobs_status ON jobs (status);

  CREATE TABLE settlements (
    id INTEGER PRIMARY KEY,
    epoch_id INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,
    raw_tx TEXT NOT NULL,
    status TEXT NOT NULL,
    block_number INTEGER,
    block_hash TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    error TEXT
  );
  CREATE INDEX settlements_epoch ON settlements (epoch_id, id);

  CREATE TABLE networks (
    network_id INTEGER PRIMARY KEY,
    sequencer TEXT NOT NULL,
    policy_flags INTEGER NOT NULL,
    stake TEXT NOT NULL,
    ejected INTEGER NOT NULL,
    registered_block INTEGER NOT NULL
  );

  CREATE TABLE l1_events (
    block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    tx_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    PRIMARY KEY (block_number, log_index)
  );
  `,
  // 2: certificate revisions (docs/protocol.md §5): equivocation evidence is per (network, height, revision);
  // revisions a chain abandoned before the layer held them.
  `
  ALTER TABLE equivocations ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE abandoned (
    network_id INTEGER NOT NULL,
    height TEXT NOT NULL,
    revision INTEGER NOT NULL,
    certificate_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (network_id, height, revision)
  );
  `,
  // 3: who names a certificate, which certificates name a bundle (what memory forgets answers from here)
  (db) => reverseIndexes(db),
];

/**
 * Version 3: who names a certificate as a dependency, and which certificates name a bundle. The coordinator's memory
 * forgets settled certificates; these answer for them (a certificate's dependents, a failed or taken bundle leg).
 * Rows are written with each certificate; the certificates already stored are indexed here from their bodies.
 */
function reverseIndexes(db: Database.Database): void {
  db.exec(`
    CREATE TABLE certificate_dependencies (
      dependency_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      certificate_id TEXT NOT NULL REFERENCES certificates (certificate_id),
      PRIMARY KEY (dependency_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE bundle_legs (
      bundle_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      leg_index INTEGER NOT NULL,
      leg_count INTEGER NOT NULL,
      certificate_id TEXT NOT NULL REFERENCES certificates (certificate_id),
      PRIMARY KEY (bundle_id, seq, leg_index)
    ) WITHOUT ROWID;
  `);
  // pages, not one iterator: better-sqlite3 refuses writes on a connection while a read is still being stepped
  const page = db.prepare("SELECT certificate_id, seq, body, signature FROM certificates WHERE seq > ? ORDER BY seq LIMIT 1000");
  const statements = { dependency: db.prepare(SQL.insertDependency), leg: db.prepare(SQL.insertBundleLeg) };
  for (let after = 0; ; ) {
    const rows = page.all(after) as Pick<CertificateRow, "certificate_id" | "seq" | "body" | "signature">[];
    if (rows.length === 0) break;
    for (const r of rows) {
      const c = certificateFromJson({ ...JSON.parse(r.body), signature: r.signature });
      for (const p of reverseIndexParams(r.certificate_id, r.seq, c)) statements[p.kind].run(p.params);
    }
    after = rows[rows.length - 1].seq;
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;

function schemaVersion(db: Database.Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(SCHEMA_VERSION_KEY) as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

function migrate(db: Database.Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const current = schemaVersion(db);
  if (!Number.isInteger(current) || current > SCHEMA_VERSION) {
    throw new StoreError(`database schema version ${current} is not supported by this coordinator (which knows up to ${SCHEMA_VERSION})`);
  }
  const setVersion = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
    const m = MIGRATIONS[v - 1];
    db.transaction(() => {
      if (typeof m === "string") db.exec(m);
      else m(db);
      setVersion.run(SCHEMA_VERSION_KEY, String(v));
    }).immediate();
  }
}

// ------------------------------------------------------------------------------------------------ encoding

const U64_LIMIT = 1n << 64n;
const HEIGHT_DIGITS = 20; // 2^64 - 1 has 20 decimal digits

const dec = (x: bigint): string => x.toString();

function heightText(h: bigint): string {
  if (typeof h !== "bigint" || h < 0n || h >= U64_LIMIT) throw new StoreError(`height ${h} is not a uint64`);
  return h.toString().padStart(HEIGHT_DIGITS, "0");
}

const bigsToText = (xs: readonly bigint[]): string => JSON.stringify(xs.map(dec));
const bigsFromText = (s: string): bigint[] => (JSON.parse(s) as string[]).map((x) => BigInt(x));

function rejectionToText(r: Rejection | null | undefined): string | null {
  if (!r) return null;
  return JSON.stringify({ code: r.code, detail: r.detail, cause: r.cause && refToJson(r.cause), root: r.root && refToJson(r.root) });
}

function rejectionFromText(s: string | null): Rejection | null {
  if (s === null) return null;
  const o = JSON.parse(s) as { code: Rejection["code"]; detail: string; cause?: unknown; root?: unknown };
  const r: Rejection = { code: o.code, detail: o.detail };
  // Optional keys stay absent rather than undefined, so that records compare equal to what was written.
  if (o.cause !== undefined) r.cause = refFromJson(o.cause, "rejection.cause");
  if (o.root !== undefined) r.root = refFromJson(o.root, "rejection.root");
  return r;
}

/** JSON for caller-supplied objects; a bigint inside is a caller bug (the interface asks for decimal strings). */
function jsonText(x: unknown, what: string): string {
  try {
    return JSON.stringify(x);
  } catch (e) {
    throw new StoreError(`${what} is not JSON-serialisable: ${(e as Error).message}`, { cause: e });
  }
}

const bit = (b: boolean): number => (b ? 1 : 0);

// ------------------------------------------------------------------------------------------------ rows

interface CertificateRow {
  certificate_id: string;
  network_id: number;
  height: string;
  body: string;
  signature: string;
  status: CertificateStatus;
  rejection: string | null;
  seq: number;
  received_at: number;
  updated_at: number;
  epoch: number | null;
  l1_tx: string | null;
  proof_source: ProofSource | null;
}

function certificateFromRow(r: CertificateRow): CertificateRecord {
  const certificate = certificateFromJson({ ...JSON.parse(r.body), signature: r.signature }) as SignedCertificate;
  return {
    certificateId: BigInt(r.certificate_id),
    networkId: r.network_id,
    height: BigInt(r.height),
    certificate,
    status: r.status,
    rejection: rejectionFromText(r.rejection),
    seq: r.seq,
    receivedAt: r.received_at,
    updatedAt: r.updated_at,
    epoch: r.epoch,
    l1Tx: r.l1_tx,
    proofSource: r.proof_source,
  };
}

interface HistoryRow {
  certificate_id: string;
  from_status: CertificateStatus;
  to_status: CertificateStatus;
  rejection: string | null;
  at: number;
}

const historyFromRow = (r: HistoryRow): StatusHistoryEntry => ({
  certificateId: BigInt(r.certificate_id),
  from: r.from_status,
  to: r.to_status,
  rejection: rejectionFromText(r.rejection),
  at: r.at,
});

interface ProofRow {
  certificate_id: string;
  source: ProofSource;
  proof: string;
  public_signals: string;
  at: number;
}

const proofFromRow = (r: ProofRow): ProofRecord => ({
  certificateId: BigInt(r.certificate_id),
  source: r.source,
  proof: JSON.parse(r.proof),
  publicSignals: JSON.parse(r.public_signals) as string[],
  at: r.at,
});

interface EquivocationRow {
  network_id: number;
  height: string;
  revision: number;
  id_a: string;
  sig_a: string;
  id_b: string;
  sig_b: string;
  detected_at: number;
  report_tx: string | null;
  report_status: EquivocationRecord["reportStatus"];
}

const equivocationFromRow = (r: EquivocationRow): EquivocationRecord => ({
  networkId: r.network_id,
  height: BigInt(r.height),
  revision: r.revision,
  idA: BigInt(r.id_a),
  sigA: r.sig_a,
  idB: BigInt(r.id_b),
  sigB: r.sig_b,
  detectedAt: r.detected_at,
  reportTx: r.report_tx,
  reportStatus: r.report_status,
});

/**
 * An epochs row. old_root, l1_checkpoint_number, l1_exit_root, slot_capacity and proof belong to the retired
 * aggregation path (an epoch proven against a global root): the schema keeps them, epochParams writes them as
 * zeros (slot_capacity: the certificate count, proof: NULL) and nothing reads them.
 */
interface EpochRow {
  id: number;
  certificate_ids: string;
  new_root: string;
  status: EpochRecord["status"];
  created_at: number;
  updated_at: number;
  l1_epoch: number | null;
  l1_tx: string | null;
  failure: string | null;
}

const epochFromRow = (r: EpochRow): EpochRecord => ({
  id: r.id,
  certificateIds: bigsFromText(r.certificate_ids),
  newRoot: BigInt(r.new_root),
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  l1Epoch: r.l1_epoch,
  l1Tx: r.l1_tx,
  failure: r.failure,
});

interface JobRow {
  id: number;
  kind: JobRecord["kind"];
  subject: string;
  status: JobRecord["status"];
  attempts: number;
  progress: number;
  created_at: number;
  updated_at: number;
  error: string | null;
}

const jobFromRow = (r: JobRow): JobRecord => ({
  id: r.id,
  kind: r.kind,
  subject: r.subject,
  status: r.status,
  attempts: r.attempts,
  progress: r.progress,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  error: r.error,
});

interface SettlementRow {
  id: number;
  epoch_id: number;
  nonce: number;
  tx_hash: string;
  raw_tx: string;
  status: SettlementRecord["status"];
  block_number: number | null;
  block_hash: string | null;
  created_at: number;
  updated_at: number;
  error: string | null;
}

const settlementFromRow = (r: SettlementRow): SettlementRecord => ({
  id: r.id,
  epochId: r.epoch_id,
  nonce: r.nonce,
  txHash: r.tx_hash,
  rawTx: r.raw_tx,
  status: r.status,
  blockNumber: r.block_number,
  blockHash: r.block_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  error: r.error,
});

interface NetworkRow {
  network_id: number;
  sequencer: string;
  policy_flags: number;
  stake: string;
  ejected: number;
  registered_block: number;
}

const networkFromRow = (r: NetworkRow): NetworkRecordRow => ({
  networkId: r.network_id,
  sequencer: r.sequencer,
  policyFlags: r.policy_flags,
  stake: BigInt(r.stake),
  ejected: r.ejected !== 0,
  registeredBlock: r.registered_block,
});

interface L1EventRow {
  block_number: number;
  log_index: number;
  block_hash: string;
  tx_hash: string;
  name: string;
  args: string;
}

const l1EventFromRow = (r: L1EventRow): StoredL1Event => ({
  blockNumber: r.block_number,
  blockHash: r.block_hash,
  logIndex: r.log_index,
  txHash: r.tx_hash,
  name: r.name,
  args: JSON.parse(r.args) as Record<string, unknown>,
});

interface NamingRow {
  certificate_id: string;
  network_id: number;
  height: string;
  status: CertificateStatus;
  seq: number;
}

const namingFromRow = (r: NamingRow): NamingCertificate => ({
  certificateId: BigInt(r.certificate_id),
  networkId: r.network_id,
  height: BigInt(r.height),
  status: r.status,
  seq: r.seq,
});

// ------------------------------------------------------------------------------------------------ SQL

const SQL = {
  insertCertificate: `INSERT INTO certificates (certificate_id, network_id, height, body, signature, status, rejection, seq,
      received_at, updated_at, epoch, l1_tx, proof_source)
    VALUES (@id, @networkId, @height, @body, @signature, @status, @rejection, @seq, @receivedAt, @updatedAt, @epoch, @l1Tx, @proofSource)`,
  insertDependency: "INSERT OR IGNORE INTO certificate_dependencies (dependency_id, seq, certificate_id) VALUES (@dependencyId, @seq, @id)",
  insertBundleLeg: `INSERT OR IGNORE INTO bundle_legs (bundle_id, seq, leg_index, leg_count, certificate_id)
    VALUES (@bundleId, @seq, @legIndex, @legCount, @id)`,
  certificateState: "SELECT status, network_id, height FROM certificates WHERE certificate_id = ?",
  updateStatus: `UPDATE certificates SET status = @to, rejection = @rejection, updated_at = @at,
      epoch = CASE WHEN @setEpoch THEN @epoch ELSE epoch END,
      l1_tx = CASE WHEN @setL1Tx THEN @l1Tx ELSE l1_tx END
    WHERE certificate_id = @id`,
  insertHistory: `INSERT INTO status_history (certificate_id, from_status, to_status, rejection, at)
    VALUES (@id, @from, @to, @rejection, @at)`,
  putProof: `INSERT INTO proofs (certificate_id, source, proof, public_signals, at) VALUES (@id, @source, @proof, @publicSignals, @at)
    ON CONFLICT (certificate_id) DO UPDATE SET source = excluded.source, proof = excluded.proof,
      public_signals = excluded.public_signals, at = excluded.at`,
  putAbandoned: `INSERT INTO abandoned (network_id, height, revision, certificate_id, signature, at)
    VALUES (@networkId, @height, @revision, @certificateId, @signature, @at)`,
  putEquivocation: `INSERT INTO equivocations (network_id, height, revision, id_a, sig_a, id_b, sig_b, detected_at, report_tx, report_status)
    VALUES (@networkId, @height, @revision, @idA, @sigA, @idB, @sigB, @detectedAt, @reportTx, @reportStatus)
    ON CONFLICT (network_id, height, id_a, id_b) DO UPDATE SET sig_a = excluded.sig_a, sig_b = excluded.sig_b,
      detected_at = excluded.detected_at, report_tx = excluded.report_tx, report_status = excluded.report_status`,
  putEpoch: `INSERT OR REPLACE INTO epochs (id, certificate_ids, old_root, new_root, l1_checkpoint_number, l1_exit_root, slot_capacity,
      status, proof, created_at, updated_at, l1_epoch, l1_tx, failure)
    VALUES (@id, @certificateIds, @oldRoot, @newRoot, @l1CheckpointNumber, @l1ExitRoot, @slotCapacity, @status, @proof,
      @createdAt, @updatedAt, @l1Epoch, @l1Tx, @failure)`,
  putJob: `INSERT OR REPLACE INTO jobs (id, kind, subject, status, attempts, progress, created_at, updated_at, error)
    VALUES (@id, @kind, @subject, @status, @attempts, @progress, @createdAt, @updatedAt, @error)`,
  putSettlement: `INSERT OR REPLACE INTO settlements (id, epoch_id, nonce, tx_hash, raw_tx, status, block_number, block_hash,
      created_at, updated_at, error)
    VALUES (@id, @epochId, @nonce, @txHash, @rawTx, @status, @blockNumber, @blockHash, @createdAt, @updatedAt, @error)`,
  putNetwork: `INSERT OR REPLACE INTO networks (network_id, sequencer, policy_flags, stake, ejected, registered_block)
    VALUES (@networkId, @sequencer, @policyFlags, @stake, @ejected, @registeredBlock)`,
  setMeta: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  putL1Event: `INSERT OR REPLACE INTO l1_events (block_number, log_index, block_hash, tx_hash, name, args)
    VALUES (@blockNumber, @logIndex, @blockHash, @txHash, @name, @args)`,
  deleteL1EventsFrom: "DELETE FROM l1_events WHERE block_number >= ?",
} as const;

const ID_TABLES = { job: "jobs", epoch: "epochs", settlement: "settlements" } as const;
type IdTable = keyof typeof ID_TABLES;

// ------------------------------------------------------------------------------------------------ the store

/** One operation, encoded at `commit` time; runs against the open transaction. */
type Applier = () => void;

interface QueuedBatch {
  appliers: Applier[];
  resolve: () => void;
  reject: (e: Error) => void;
}

type Params = Record<string, string | number | null>;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly groupWindowMs: number;
  private readonly maxBatchOps: number;
  private readonly statements = new Map<string, Database.Statement>();
  private queue: QueuedBatch[] = [];
  private queuedOps = 0;
  private cancelTimer: (() => void) | null = null;
  private closed = false;
  private seqCounter: number;
  private readonly idCounters: Record<IdTable, number>;
  private readonly counts: SqliteStoreStats = { transactions: 0, batches: 0, failedBatches: 0 };
  private readonly timings: SqliteCommitTimings = { groups: 0, totalMs: 0, maxMs: 0 };

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.groupWindowMs = opts.groupWindowMs ?? 2;
    this.maxBatchOps = opts.maxBatchOps ?? 2000;
    this.db = new Database(path);
    try {
      this.db.pragma(`busy_timeout = ${Math.floor(opts.busyTimeoutMs ?? 5000)}`);
      // A file system without shared memory keeps the old mode silently: refuse rather than run without WAL.
      const mode = this.db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal" && !this.db.memory) throw new StoreError(`${path}: cannot use WAL (journal_mode is ${mode})`);
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      migrate(this.db);
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.seqCounter = this.maxOf("certificates", "seq");
    this.idCounters = { job: this.maxOf(ID_TABLES.job, "id"), epoch: this.maxOf(ID_TABLES.epoch, "id"), settlement: this.maxOf(ID_TABLES.settlement, "id") };
  }

  // -------------------------------------------------------------------------------------------- writes

  commit(ops: WriteOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError("the store is closed"));
    let appliers: Applier[];
    try {
      appliers = ops.map((op, i) => this.encodeLabelled(i, op));
    } catch (e) {
      this.counts.failedBatches++;
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ appliers, resolve, reject });
      this.queuedOps += ops.length;
      if (this.queuedOps >= this.maxBatchOps) this.runGroup();
      else this.schedule();
    });
  }

  flush(): Promise<void> {
    if (!this.closed) this.runGroup();
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.runGroup();
    this.closed = true;
    this.db.close();
    return Promise.resolve();
  }

  nextSeq(): number {
    return ++this.seqCounter;
  }

  nextId(table: IdTable): number {
    return ++this.idCounters[table];
  }

  /** Counters of the group commit (for tests and metrics). */
  stats(): SqliteStoreStats {
    return { ...this.counts };
  }

  /** How long the group transactions blocked the event loop (for benchmarks: scripts/bench-coordinator.ts). */
  commitTimings(): SqliteCommitTimings {
    return { ...this.timings };
  }

  /** Reads one pragma's value, e.g. pragma("journal_mode") (for diagnostics and tests). */
  pragma(name: string): unknown {
    return this.open().pragma(name, { simple: true });
  }

  private schedule(): void {
    if (this.cancelTimer) return;
    if (this.groupWindowMs > 0) {
      const t = setTimeout(() => this.runGroup(), this.groupWindowMs);
      this.cancelTimer = () => clearTimeout(t);
    } else {
      const t = setImmediate(() => this.runGroup());
      this.cancelTimer = () => clearImmediate(t);
    }
  }

  private runGroup(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    const group = this.queue;
    this.queue = [];
    this.queuedOps = 0;
    if (group.length === 0) return;
    const t0 = performance.now();
    const outcomes = this.applyGroup(group);
    const ms = performance.now() - t0;
    this.timings.groups++;
    this.timings.totalMs += ms;
    if (ms > this.timings.maxMs) this.timings.maxMs = ms;
    group.forEach((b, i) => {
      const e = outcomes[i];
      if (e) {
        this.counts.failedBatches++;
        b.reject(e);
      } else {
        this.counts.batches++;
        b.resolve();
      }
    });
  }

  /** One transaction for the whole group; the error of each failed batch, or null, in group order. */
  private applyGroup(group: QueuedBatch[]): (Error | null)[] {
    try {
      this.sql("BEGIN IMMEDIATE").run();
      const outcomes = group.map((b) => this.applyBatch(b));
      this.sql("COMMIT").run();
      this.counts.transactions++;
      return outcomes;
    } catch (e) {
      this.rollbackQuietly();
      const err = new StoreError(`group transaction failed, none of its ${group.length} batches was applied: ${(e as Error).message}`, { cause: e });
      return group.map(() => err);
    }
  }

  /** The group is already being rejected with the original error; a failing rollback must not hide it. */
  private rollbackQuietly(): void {
    try {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
    } catch {
      // nothing more to undo from here: SQLite rolls back an unfinished transaction when the connection closes
    }
  }

  private applyBatch(b: QueuedBatch): Error | null {
    this.sql("SAVEPOINT batch").run();
    try {
      for (const apply of b.appliers) apply();
      this.sql("RELEASE batch").run();
      return null;
    } catch (e) {
      // Some errors (disk full, I/O) make SQLite abandon the whole transaction: then no batch of the group survives.
      if (!this.db.inTransaction) throw e;
      this.sql("ROLLBACK TO batch").run();
      this.sql("RELEASE batch").run();
      return e as Error;
    }
  }

  /** Encodes `op`; any error, of the encoding or of the application, names the operation. */
  private encodeLabelled(index: number, op: WriteOp): Applier {
    const label = (e: unknown) =>
      new StoreError(`batch rejected, nothing of it applied: operation ${index} (${op.op}): ${(e as Error).message}`, { cause: e });
    let apply: Applier;
    try {
      apply = this.encode(op);
    } catch (e) {
      throw label(e);
    }
    return () => {
      try {
        apply();
      } catch (e) {
        throw label(e);
      }
    };
  }

  private encode(op: WriteOp): Applier {
    switch (op.op) {
      case "insertCertificate":
        return this.encodeInsertCertificate(op.record);
      case "setStatus":
        return this.encodeSetStatus(op);
      case "putProof":
        return this.run(SQL.putProof, proofParams(op.proof));
      case "putEquivocation":
        return this.run(SQL.putEquivocation, equivocationParams(op.record));
      case "putAbandoned": {
        const r = op.record;
        return this.run(SQL.putAbandoned, { networkId: r.networkId, height: heightText(r.height), revision: r.revision, certificateId: dec(r.certificateId), signature: r.signature, at: r.at });
      }
      case "putEpoch":
        this.bump("epoch", op.record.id);
        return this.run(SQL.putEpoch, epochParams(op.record));
      case "putJob":
        return this.run(SQL.putJob, jobParams(op.record, op.record.id === 0 ? this.nextId("job") : this.bump("job", op.record.id)));
      case "putSettlement":
        this.bump("settlement", op.record.id);
        return this.run(SQL.putSettlement, settlementParams(op.record));
      case "putNetwork":
        return this.run(SQL.putNetwork, networkParams(op.record));
      case "setMeta":
        return this.encodeSetMeta(op.key, op.value);
      case "putL1Event":
        return this.run(SQL.putL1Event, l1EventParams(op.event));
      case "deleteL1EventsFrom":
        return () => void this.sql(SQL.deleteL1EventsFrom).run(op.fromBlock);
      default:
        throw new StoreError(`unknown operation ${(op as { op: unknown }).op}`);
    }
  }

  private run(sql: string, params: Params): Applier {
    return () => void this.sql(sql).run(params);
  }

  /** Ids written explicitly must never be handed out again by nextId. */
  private bump(table: IdTable, id: number): number {
    if (!Number.isSafeInteger(id) || id <= 0) throw new StoreError(`${table} id ${id} is not a positive integer`);
    this.idCounters[table] = Math.max(this.idCounters[table], id);
    return id;
  }

  private encodeInsertCertificate(r: CertificateRecord): Applier {
    const params = certificateParams(r);
    const indexed = reverseIndexParams(params.id as string, r.seq, r.certificate);
    this.seqCounter = Math.max(this.seqCounter, r.seq);
    return () => {
      try {
        this.sql(SQL.insertCertificate).run(params);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw new StoreError(`certificate ${params.id} already exists`, { cause: e });
        if (code === "SQLITE_CONSTRAINT_UNIQUE") throw new StoreError(`seq ${params.seq} is already used by another certificate`, { cause: e });
        throw e;
      }
      for (const p of indexed) this.sql(p.kind === "dependency" ? SQL.insertDependency : SQL.insertBundleLeg).run(p.params);
    };
  }

  private encodeSetStatus(op: Extract<WriteOp, { op: "setStatus" }>): Applier {
    const c = op.change;
    const params: Params = {
      id: dec(c.certificateId),
      from: c.from,
      to: c.to,
      rejection: rejectionToText(c.rejection),
      at: op.at,
      // undefined leaves the column as it is, null clears it.
      setEpoch: bit(op.epoch !== undefined),
      epoch: op.epoch ?? null,
      setL1Tx: bit(op.l1Tx !== undefined),
      l1Tx: op.l1Tx ?? null,
    };
    const expected = { networkId: c.networkId, height: heightText(c.height) };
    return () => {
      this.checkStatus(params.id as string, c.from, expected);
      this.sql(SQL.updateStatus).run(params);
      this.sql(SQL.insertHistory).run(params);
    };
  }

  /** The optimistic check of setStatus: a mismatch means the caller's in-memory view and the store diverged. */
  private checkStatus(id: string, from: CertificateStatus, expected: { networkId: number; height: string }): void {
    const row = this.sql(SQL.certificateState).get(id) as { status: CertificateStatus; network_id: number; height: string } | undefined;
    if (!row) throw new StoreError(`certificate ${id} does not exist`);
    if (row.network_id !== expected.networkId || row.height !== expected.height) {
      throw new StoreError(`certificate ${id} is network ${row.network_id} height ${BigInt(row.height)}, not network ${expected.networkId} height ${BigInt(expected.height)}`);
    }
    if (row.status !== from) throw new StoreError(`certificate ${id} is ${row.status}, not ${from} as the status change assumes`);
  }

  private encodeSetMeta(key: string, value: string): Applier {
    if (key === SCHEMA_VERSION_KEY) throw new StoreError(`meta key ${key} is reserved for the store`);
    if (typeof key !== "string" || typeof value !== "string") throw new StoreError("meta keys and values are strings");
    return () => void this.sql(SQL.setMeta).run(key, value);
  }

  // -------------------------------------------------------------------------------------------- reads

  getCertificate(certificateId: bigint): CertificateRecord | undefined {
    const row = this.sql("SELECT * FROM certificates WHERE certificate_id = ?").get(dec(certificateId)) as CertificateRow | undefined;
    return row && certificateFromRow(row);
  }

  certificateStatus(certificateId: bigint): CertificateStatus | undefined {
    const row = this.sql(SQL.certificateState).get(dec(certificateId)) as { status: CertificateStatus } | undefined;
    return row?.status;
  }

  listCertificates(filter: { live?: boolean; networkId?: number; status?: CertificateStatus } = {}): CertificateRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.live) where.push(LIVE_CONDITION);
    if (filter.networkId !== undefined) {
      where.push("network_id = ?");
      args.push(filter.networkId);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      args.push(filter.status);
    }
    const rows = this.sql(`SELECT * FROM certificates ${whereClause(where)} ORDER BY seq`).all(...args) as CertificateRow[];
    return rows.map(certificateFromRow);
  }

  countCertificates(): number {
    return (this.sql("SELECT COUNT(*) AS n FROM certificates").get() as { n: number }).n;
  }

  countByNetworkAndStatus(): { networkId: number; status: CertificateStatus; count: number }[] {
    const rows = this.sql("SELECT network_id, status, COUNT(*) AS n FROM certificates GROUP BY network_id, status").all() as { network_id: number; status: CertificateStatus; n: number }[];
    return rows.map((r) => ({ networkId: r.network_id, status: r.status, count: r.n }));
  }

  recentCertificates(networkId: number, limit: number): CertificateRecord[] {
    if (!(limit > 0)) return [];
    const rows = this.sql("SELECT * FROM certificates WHERE network_id = ? ORDER BY height DESC, seq DESC LIMIT ?").all(networkId, Math.floor(limit)) as CertificateRow[];
    return rows.map(certificateFromRow);
  }

  dependentsOf(certificateId: bigint): NamingCertificate[] {
    const rows = this.sql(`SELECT c.certificate_id, c.network_id, c.height, c.status, c.seq FROM certificate_dependencies d
      JOIN certificates c ON c.certificate_id = d.certificate_id WHERE d.dependency_id = ? ORDER BY d.seq`).all(dec(certificateId)) as NamingRow[];
    return rows.map(namingFromRow);
  }

  bundleLegs(bundleId: bigint): StoredBundleLeg[] {
    const rows = this.sql(`SELECT c.certificate_id, c.network_id, c.height, c.status, c.seq, b.leg_index, b.leg_count FROM bundle_legs b
      JOIN certificates c ON c.certificate_id = b.certificate_id WHERE b.bundle_id = ? ORDER BY b.seq, b.leg_index`).all(dec(bundleId)) as (NamingRow & { leg_index: number; leg_count: number })[];
    return rows.map((r) => ({ ...namingFromRow(r), legIndex: r.leg_index, legCount: r.leg_count }));
  }

  finalizedHistory(networkId: number, from: bigint, to: bigint): { height: bigint; certificateId: bigint; exitRoot: bigint }[] {
    if (to <= from) return [];
    const rows = this.sql(`SELECT certificate_id, height, json_extract(body, '$.newLocalExitRoot') AS exit_root FROM certificates
      WHERE network_id = ? AND height >= ? AND height < ? AND status = 'Finalized' ORDER BY height`).all(networkId, heightText(from), heightText(to)) as { certificate_id: string; height: string; exit_root: string }[];
    return rows.map((r) => ({ height: BigInt(r.height), certificateId: BigInt(r.certificate_id), exitRoot: BigInt(r.exit_root) }));
  }

  statusHistory(certificateId: bigint): StatusHistoryEntry[] {
    const rows = this.sql("SELECT * FROM status_history WHERE certificate_id = ? ORDER BY id").all(dec(certificateId)) as HistoryRow[];
    return rows.map(historyFromRow);
  }

  getProof(certificateId: bigint): ProofRecord | undefined {
    const row = this.sql("SELECT * FROM proofs WHERE certificate_id = ?").get(dec(certificateId)) as ProofRow | undefined;
    return row && proofFromRow(row);
  }

  listAbandoned(): AbandonedRecord[] {
    const rows = this.sql("SELECT * FROM abandoned ORDER BY at, network_id, height, revision").all() as { network_id: number; height: string; revision: number; certificate_id: string; signature: string; at: number }[];
    return rows.map((r) => ({ networkId: r.network_id, height: BigInt(r.height), revision: r.revision, certificateId: BigInt(r.certificate_id), signature: r.signature, at: r.at }));
  }

  listEquivocations(): EquivocationRecord[] {
    const rows = this.sql("SELECT * FROM equivocations ORDER BY detected_at, network_id, height, id_a, id_b").all() as EquivocationRow[];
    return rows.map(equivocationFromRow);
  }

  getEpoch(id: number): EpochRecord | undefined {
    const row = this.sql("SELECT * FROM epochs WHERE id = ?").get(id) as EpochRow | undefined;
    return row && epochFromRow(row);
  }

  latestEpoch(): EpochRecord | undefined {
    const row = this.sql("SELECT * FROM epochs ORDER BY id DESC LIMIT 1").get() as EpochRow | undefined;
    return row && epochFromRow(row);
  }

  listEpochs(filter: { status?: EpochRecord["status"][] } = {}): EpochRecord[] {
    if (filter.status?.length === 0) return [];
    const where = filter.status ? [`status IN (${placeholders(filter.status.length)})`] : [];
    const rows = this.sql(`SELECT * FROM epochs ${whereClause(where)} ORDER BY id`).all(...(filter.status ?? [])) as EpochRow[];
    return rows.map(epochFromRow);
  }

  recentEpochs(limit: number): EpochRecord[] {
    if (!(limit > 0)) return [];
    const rows = this.sql("SELECT * FROM epochs ORDER BY id DESC LIMIT ?").all(Math.floor(limit)) as EpochRow[];
    return rows.map(epochFromRow);
  }

  countEpochsByStatus(): Partial<Record<EpochRecord["status"], number>> {
    const rows = this.sql("SELECT status, COUNT(*) AS n FROM epochs GROUP BY status").all() as { status: EpochRecord["status"]; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  getJob(id: number): JobRecord | undefined {
    const row = this.sql("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row && jobFromRow(row);
  }

  listJobs(filter: { status?: JobRecord["status"][]; kind?: JobRecord["kind"] } = {}): JobRecord[] {
    if (filter.status?.length === 0) return [];
    const where: string[] = [];
    const args: string[] = [];
    if (filter.status) {
      where.push(`status IN (${placeholders(filter.status.length)})`);
      args.push(...filter.status);
    }
    if (filter.kind !== undefined) {
      where.push("kind = ?");
      args.push(filter.kind);
    }
    const rows = this.sql(`SELECT * FROM jobs ${whereClause(where)} ORDER BY id`).all(...args) as JobRow[];
    return rows.map(jobFromRow);
  }

  listSettlements(epochId?: number): SettlementRecord[] {
    const rows = (
      epochId === undefined
        ? this.sql("SELECT * FROM settlements ORDER BY id").all()
        : this.sql("SELECT * FROM settlements WHERE epoch_id = ? ORDER BY id").all(epochId)
    ) as SettlementRow[];
    return rows.map(settlementFromRow);
  }

  listNetworks(): NetworkRecordRow[] {
    return (this.sql("SELECT * FROM networks ORDER BY network_id").all() as NetworkRow[]).map(networkFromRow);
  }

  getMeta(key: string): string | undefined {
    const row = this.sql("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  listL1Events(fromBlock = 0): StoredL1Event[] {
    const rows = this.sql("SELECT * FROM l1_events WHERE block_number >= ? ORDER BY block_number, log_index").all(fromBlock) as L1EventRow[];
    return rows.map(l1EventFromRow);
  }

  // -------------------------------------------------------------------------------------------- plumbing

  private open(): Database.Database {
    if (this.closed) throw new StoreError("the store is closed");
    return this.db;
  }

  /** Statements are prepared once and reused: preparing is most of the cost of a small query. */
  private sql(source: string): Database.Statement {
    const db = this.open();
    let s = this.statements.get(source);
    if (!s) {
      s = db.prepare(source);
      this.statements.set(source, s);
    }
    return s;
  }

  private maxOf(table: string, column: string): number {
    return (this.db.prepare(`SELECT COALESCE(MAX(${column}), 0) AS n FROM ${table}`).get() as { n: number }).n;
  }
}

const whereClause = (conditions: string[]): string => (conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");
const placeholders = (n: number): string => new Array(n).fill("?").join(", ");

// ------------------------------------------------------------------------------------------------ parameters

function certificateParams(r: CertificateRecord): Params {
  const { signature, ...unsigned } = r.certificate;
  if (unsigned.networkId !== r.networkId || unsigned.height !== r.height) {
    throw new StoreError(`certificate ${r.certificateId}: the record's network/height differ from the certificate's`);
  }
  if (typeof signature !== "string" || !isHexString(signature, 65)) throw new StoreError(`certificate ${r.certificateId} has no valid signature`);
  if (!Number.isSafeInteger(r.seq) || r.seq <= 0) throw new StoreError(`certificate ${r.certificateId}: seq ${r.seq} is not a positive integer`);
  // Refuse on write what certificateFromJson would refuse on read: a bad row would stop the next start-up.
  validateCertificate(unsigned);
  return {
    id: dec(r.certificateId),
    networkId: r.networkId,
    height: heightText(r.height),
    body: JSON.stringify(certificateToJson(unsigned)),
    signature,
    status: r.status,
    rejection: rejectionToText(r.rejection),
    seq: r.seq,
    receivedAt: r.receivedAt,
    updatedAt: r.updatedAt,
    epoch: r.epoch,
    l1Tx: r.l1Tx,
    proofSource: r.proofSource,
  };
}

/** The reverse-index rows of a certificate: one per dependency, one per bundle leg. */
function reverseIndexParams(id: string, seq: number, c: { dependencies: readonly { certificateId: bigint }[]; bundles: readonly BundleLeg[] }): { kind: "dependency" | "leg"; params: Params }[] {
  return [
    ...c.dependencies.map((d) => ({ kind: "dependency" as const, params: { dependencyId: dec(d.certificateId), seq, id } })),
    ...c.bundles.map((b) => ({ kind: "leg" as const, params: { bundleId: dec(b.bundleId), seq, legIndex: b.legIndex, legCount: b.legCount, id } })),
  ];
}

const proofParams = (p: ProofRecord): Params => ({
  id: dec(p.certificateId),
  source: p.source,
  proof: jsonText(p.proof, "proof"),
  publicSignals: jsonText(p.publicSignals, "publicSignals"),
  at: p.at,
});

const equivocationParams = (r: EquivocationRecord): Params => ({
  networkId: r.networkId,
  height: heightText(r.height),
  revision: r.revision,
  idA: dec(r.idA),
  sigA: r.sigA,
  idB: dec(r.idB),
  sigB: r.sigB,
  detectedAt: r.detectedAt,
  reportTx: r.reportTx,
  reportStatus: r.reportStatus,
});

const epochParams = (r: EpochRecord): Params => ({
  id: r.id,
  certificateIds: bigsToText(r.certificateIds),
  oldRoot: "0",
  newRoot: dec(r.newRoot),
  l1CheckpointNumber: "0",
  l1ExitRoot: "0",
  slotCapacity: r.certificateIds.length,
  status: r.status,
  proof: null,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  l1Epoch: r.l1Epoch,
  l1Tx: r.l1Tx,
  failure: r.failure,
});

const jobParams = (r: JobRecord, id: number): Params => ({
  id,
  kind: r.kind,
  subject: r.subject,
  status: r.status,
  attempts: r.attempts,
  progress: r.progress,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  error: r.error,
});

const settlementParams = (r: SettlementRecord): Params => ({
  id: r.id,
  epochId: r.epochId,
  nonce: r.nonce,
  txHash: r.txHash,
  rawTx: r.rawTx,
  status: r.status,
  blockNumber: r.blockNumber,
  blockHash: r.blockHash,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  error: r.error,
});

const networkParams = (r: NetworkRecordRow): Params => ({
  networkId: r.networkId,
  sequencer: r.sequencer,
  policyFlags: r.policyFlags,
  stake: dec(r.stake),
  ejected: bit(r.ejected),
  registeredBlock: r.registeredBlock,
});

const l1EventParams = (e: StoredL1Event): Params => ({
  blockNumber: e.blockNumber,
  logIndex: e.logIndex,
  blockHash: e.blockHash,
  txHash: e.txHash,
  name: e.name,
  args: jsonText(e.args, "L1 event args"),
});

/** Opens (creating and migrating if needed) a store at `path`; ":memory:" gives a private in-memory database. */
export function openSqliteStore(path: string, opts?: { groupWindowMs?: number; maxBatchOps?: number }): SqliteStore {
  return new SqliteStore(path, opts);
}
