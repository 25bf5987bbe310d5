/**
 * The coordinator's shared vocabulary: certificate statuses and rejection reasons (docs/protocol.md §6 and
 * ../shared/design PROTOCOL §6), the stable error codes of the API, and the rows the store persists.
 *
 * Every module of coordinator/ speaks these types; nothing else defines a status or an error code.
 */
import type { CertificateRef, SignedCertificate } from "../lib/certificate";

// ------------------------------------------------------------------------------------------------ statuses

export const STATUSES = ["PreConfirmed", "Proven", "Confirmed", "InEpoch", "Settling", "Finalized", "Rejected"] as const;
export type CertificateStatus = (typeof STATUSES)[number];

/** Progress order of the live statuses; Rejected is outside it (-1). */
export const STATUS_RANK: Readonly<Record<CertificateStatus, number>> = Object.freeze({
  PreConfirmed: 1,
  Proven: 2,
  Confirmed: 3,
  InEpoch: 4,
  Settling: 5,
  Finalized: 6,
  Rejected: -1,
});

/** Confirmed or further along: a state other chains may rely on under the "confirmed" policy. */
export const isConfirmedOrLater = (s: CertificateStatus): boolean => STATUS_RANK[s] >= STATUS_RANK.Confirmed;

export const REJECTION_CODES = [
  /** The chain signed another certificate for the same height (both headers are kept as evidence). */
  "EQUIVOCATION",
  /** No valid proof arrived (from the chain or the backup prover) before the proof deadline. */
  "PROOF_TIMEOUT",
  /** A dependency was rejected; `cause` names it, `root` the rejection that started the cascade. */
  "DEPENDENCY_REJECTED",
  /** The certificate at the previous height of the same chain was rejected. */
  "PREDECESSOR_REJECTED",
  /** A leg of one of its bundles failed or was rejected. */
  "BUNDLE_FAILED",
  /** Not every leg of one of its bundles arrived before the bundle deadline. */
  "BUNDLE_DEADLINE",
  /** The chain was ejected on L1. */
  "NETWORK_EJECTED",
  /** The backup prover found that the certificate's transition is not valid (e.g. an overdraw). */
  "TRANSITION_INVALID",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export interface Rejection {
  code: RejectionCode;
  detail: string;
  /** The certificate whose rejection caused this one (DEPENDENCY_REJECTED, PREDECESSOR_REJECTED, BUNDLE_FAILED). */
  cause?: CertificateRef;
  /** The first certificate of the cascade. */
  root?: CertificateRef;
}

/** One status change, as the graph computes it and the store records it. */
export interface StatusChange {
  certificateId: bigint;
  networkId: number;
  height: bigint;
  from: CertificateStatus;
  to: CertificateStatus;
  rejection?: Rejection;
}

// ------------------------------------------------------------------------------------------------ errors

/**
 * Stable API error codes. JSON-RPC's own codes for transport errors; application codes from 1000. The `reason`
 * is the machine-readable name (the key); never renumber, only add.
 */
export const ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,

  // submitCertificate
  BAD_CERTIFICATE: 1001,
  BAD_SIGNATURE: 1002,
  UNKNOWN_NETWORK: 1003,
  NETWORK_EJECTED: 1004,
  HEIGHT_GAP: 1005,
  STATE_MISMATCH: 1006,
  UNKNOWN_DEPENDENCY: 1007,
  DEPENDENCY_REJECTED: 1008,
  DEPENDENCY_NOT_ALLOWED: 1009,
  EQUIVOCATION: 1010,
  DUPLICATE_CERTIFICATE: 1011,
  EXCEEDS_CIRCUIT: 1012,
  BUNDLE_FAILED: 1013,
  /** An L1 import names a checkpoint the L1 bridge does not have, with another root, or two checkpoints. */
  UNKNOWN_L1_CHECKPOINT: 1014,
  /** The import's source root is not the new exit root of the dependency it names. */
  IMPORT_ROOT_MISMATCH: 1015,
  /**
   * The revision is not the height's next one: 0 for a height's first certificate, r + 1 once the layer rejected
   * revision r there (`data.expected`); or another revision is live at this height (`data.live`).
   */
  REVISION_NOT_LICENSED: 1016,

  // submitProof
  UNKNOWN_CERTIFICATE: 1101,
  INVALID_PROOF: 1102,
  PUBLIC_SIGNALS_MISMATCH: 1103,
  PROOF_NOT_NEEDED: 1104,

  // queries and admin
  UNKNOWN_EPOCH: 1201,
  NOT_ALLOWED: 1202,
  /** getRejectionLicence: the layer has not rejected that revision, or it holds no layer key. */
  NO_LICENCE: 1203,

  // service
  RATE_LIMITED: 1301,
  REQUEST_TOO_LARGE: 1302,
  SHUTTING_DOWN: 1303,
  UNAVAILABLE: 1304,
} as const;
export type ErrorReason = keyof typeof ERROR_CODES;

/** The one error type the API turns into a JSON-RPC error object {code, message, data: {reason, ...data}}. */
export class CoordinatorError extends Error {
  readonly code: number;
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "CoordinatorError";
    this.code = ERROR_CODES[reason];
  }
}

// ------------------------------------------------------------------------------------------------ records

export type ProofSource = "chain" | "backup";

export interface CertificateRecord {
  certificateId: bigint;
  networkId: number;
  height: bigint;
  certificate: SignedCertificate;
  status: CertificateStatus;
  rejection: Rejection | null;
  /** Arrival order (monotonic across restarts): the tie-break of epoch selection. */
  seq: number;
  receivedAt: number;
  updatedAt: number;
  epoch: number | null;
  l1Tx: string | null;
  proofSource: ProofSource | null;
}

export interface ProofRecord {
  certificateId: bigint;
  source: ProofSource;
  /** snarkjs proof object. */
  proof: unknown;
  publicSignals: string[];
  at: number;
}

/**
 * A certificate its chain abandoned before the layer held it (refused, or never answered): the layer recorded
 * that revision as rejected at that height, which licenses the next one (docs/protocol.md §5).
 */
export interface AbandonedRecord {
  networkId: number;
  height: bigint;
  revision: number;
  certificateId: bigint;
  /** The sequencer's signature of the header: the chain itself asked. */
  signature: string;
  at: number;
}

/** Two signed headers for one height and one revision: the evidence kept for reportEquivocation. */
export interface EquivocationRecord {
  networkId: number;
  height: bigint;
  revision: number;
  idA: bigint;
  sigA: string;
  idB: bigint;
  sigB: string;
  detectedAt: number;
  /** L1 transaction of the report, once sent. */
  reportTx: string | null;
  reportStatus: "pending" | "sent" | "confirmed" | "failed";
}

/**
 * An epoch's status: "proved" once built (its certificates' proofs are stored; nothing is proven for an epoch),
 * "settling" once its settleBatch is signed, then "settled", or "failed" / "abandoned" (its certificates went back to
 * Confirmed).
 */
export const EPOCH_STATUSES = ["proved", "settling", "settled", "failed", "abandoned"] as const;
export type EpochStatus = (typeof EPOCH_STATUSES)[number];

/** An epoch: one settleBatch transaction of up to `epochs.batchSize` certificates (coordinator/batches.ts). */
export interface EpochRecord {
  /** The coordinator's epoch number (its own sequence, not the hub's batch id). */
  id: number;
  /** The certificates in slot order. */
  certificateIds: bigint[];
  /** The batch's Merkle root (lib/batch-settlement.ts batchRoot), as planned when the epoch was built. */
  newRoot: bigint;
  status: EpochStatus;
  createdAt: number;
  updatedAt: number;
  /** The hub's batch id once settled. */
  l1Epoch: number | null;
  l1Tx: string | null;
  failure: string | null;
}

export type JobKind = "certificate";
export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled";

export interface JobRecord {
  id: number;
  kind: JobKind;
  /** The certificate id (decimal). */
  subject: string;
  status: JobStatus;
  attempts: number;
  /** 0..1 */
  progress: number;
  createdAt: number;
  updatedAt: number;
  error: string | null;
}

export type SettlementStatus = "signed" | "sent" | "mined" | "confirmed" | "reverted" | "dropped";

/** One L1 transaction attempt of a settlement; the signed raw transaction is stored before it is broadcast. */
export interface SettlementRecord {
  id: number;
  epochId: number;
  nonce: number;
  txHash: string;
  rawTx: string;
  status: SettlementStatus;
  blockNumber: number | null;
  blockHash: string | null;
  createdAt: number;
  updatedAt: number;
  error: string | null;
}

/** A chain as L1 registers it (rebuilt from the hub's events). */
export interface NetworkRecordRow {
  networkId: number;
  sequencer: string;
  policyFlags: number;
  stake: bigint;
  ejected: boolean;
  registeredBlock: number;
}

/** Policy bit 0 on L1: the chain settles its own certificates (batches of one) and never joins the layer's epochs. */
export const POLICY_DIRECT_SETTLEMENT = 1;
