/**
 * What the coordinator node offers its API layer (coordinator/rpc/): typed inputs already decoded and validated by
 * the RPC schemas, JSON-ready views out. Every failure is a CoordinatorError (coordinator/types.ts).
 */
import type { SignedCertificate } from "../lib/certificate";
import type { Json } from "../lib/codec";
import type { CertificateStatus, ProofSource, Rejection } from "./types";

export interface Groth16ProofJson {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

export interface SubmitProofInput {
  certificateId: bigint;
  proof: Groth16ProofJson;
  /** Decimal strings, circuit order. */
  publicSignals: string[];
}

export interface SubmitResult {
  /** 0x-hex */
  certificateId: string;
  status: CertificateStatus;
}

/** A certificate reference in views: network id, height and id as 0x-hex. */
export interface RefView {
  networkId: number;
  height: string;
  certificateId: string;
}

export interface RejectionView {
  code: Rejection["code"];
  detail: string;
  cause?: RefView;
  root?: RefView;
}

export interface CertificateView {
  certificateId: string;
  networkId: number;
  height: string;
  status: CertificateStatus;
  rejection: RejectionView | null;
  dependencies: RefView[];
  dependents: RefView[];
  epoch: number | null;
  l1Tx: string | null;
  proofSource: ProofSource | null;
  newLocalExitRoot: string;
  receivedAt: number;
  updatedAt: number;
  /** The full certificate (lib/codec JSON), only when asked for. */
  certificate?: Json;
  /**
   * The verified certificate proof (snarkjs proof object and its public signals), only when asked for (withProof)
   * and once there is one: what a batch settles with (an opt-out chain's direct settlement, chain/direct-settlement.ts).
   */
  proof?: { proof: unknown; publicSignals: string[] } | null;
  /**
   * The certificate's status changes in order (the store's status history), only when asked for (withHistory). Its
   * arrival as PreConfirmed is `receivedAt` and is not repeated here.
   */
  history?: StatusHistoryView[];
}

export interface StatusHistoryView {
  from: CertificateStatus;
  to: CertificateStatus;
  rejection: RejectionView | null;
  /** Unix ms. */
  at: number;
}

export interface NetworkView {
  networkId: number;
  registered: boolean;
  sequencer: string | null;
  policyFlags: number;
  optOut: boolean;
  ejected: boolean;
  stake: string;
  /** Next height the coordinator accepts. */
  nextHeight: string;
  /** Latest certificate per status class (null if none). */
  latest: { preConfirmed: RefView | null; confirmed: RefView | null; finalized: RefView | null };
}

/** An epoch: one settleBatch transaction of up to `epochs.batchSize` certificates (docs/api.md, getEpoch). */
export interface EpochView {
  id: number;
  /** "proved" (built), "settling", "settled", "failed" or "abandoned". */
  status: string;
  /** The certificates in slot order. */
  certificates: RefView[];
  /** The batch's Merkle root (keccak, docs/protocol.md §9). */
  newRoot: string;
  /** The hub's batch id once settled. */
  l1Epoch: number | null;
  l1Tx: string | null;
  failure: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Pushed to subscribers (subscribe / WebSocket notifications). */
export type CoordinatorEvent =
  /** A status change; a new certificate is from PreConfirmed to PreConfirmed and carries its `dependencies`. */
  | { type: "status"; networkId: number; certificateId: string; height: string; from: CertificateStatus; to: CertificateStatus; rejection: RejectionView | null; dependencies?: RefView[] }
  /** A new exit root of a chain became available at a status (PreConfirmed, Confirmed or Finalized). */
  | { type: "exitRoot"; networkId: number; height: string; certificateId: string; exitRoot: string; status: CertificateStatus };

export interface HealthView {
  ok: boolean;
  /** "starting" | "running" | "stopping" */
  state: string;
  l1: { connected: boolean; block: number | null; lagBlocks: number | null };
  store: { certificates: number };
  provers: { busy: number; queued: number };
  uptimeSec: number;
}

/** One certificate of the dashboard's recent window (getDashboard). */
export interface DashboardCertificateView {
  certificateId: string;
  networkId: number;
  height: string;
  revision: number;
  status: CertificateStatus;
  rejection: RejectionView | null;
  dependencies: RefView[];
  epoch: number | null;
  receivedAt: number;
  updatedAt: number;
}

/** One chain as the dashboard shows it (getDashboard). */
export interface DashboardChainView {
  networkId: number;
  sequencer: string;
  policyFlags: number;
  /** Policy bit 0: the chain settles its own certificates directly on L1 and never joins the layer's epochs. */
  optOut: boolean;
  ejected: boolean;
  /** Wei, decimal. */
  stake: string;
  /** Next height the coordinator accepts (hex). */
  nextHeight: string;
  /** The newest height (hex) at least pre-confirmed, confirmed, finalized; null if none. */
  latest: { preConfirmed: string | null; confirmed: string | null; finalized: string | null };
  /** Heights pre-confirmed but not finalized yet: newest pre-confirmed height minus newest finalized height. */
  finalityLagHeights: number;
  /** The chain's lowest certificate not finalized yet (null: none in progress) and how long ago it arrived. */
  oldestUnfinalized: { height: string; certificateId: string; ageMs: number } | null;
  /** All the chain's certificates by status (the window shows only the newest). */
  counts: Record<CertificateStatus, number>;
}

/** An epoch as the dashboard lists it (getDashboard). */
export interface DashboardEpochView {
  id: number;
  /** "proved" (built: its certificates' proofs are stored), "settling", "settled", "failed" or "abandoned". */
  status: string;
  size: number;
  l1Epoch: number | null;
  l1Tx: string | null;
  /** Gas the settlement transaction used (decimal), read from its L1 receipt; null until known. */
  gasUsed: string | null;
  /** Why it failed or was abandoned. */
  failure: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * What the dashboard (GET /dashboard) draws, in one bounded answer: the chains, the recent window of certificates
 * (the newest `window` per chain, whatever their status), counts for all the rest, the recent epochs, the backup
 * prover and L1. Live changes follow over the WebSocket subscription (status events).
 */
export interface DashboardView {
  /** Unix ms when it was taken. */
  at: number;
  /** "starting" | "running" | "stopping" | "failed" */
  state: string;
  uptimeSec: number;
  l1: { connected: boolean; block: number | null; lagBlocks: number | null; diverged: boolean };
  /** The coordinator's backup prover (certificates are proven by their chains; this proves for a chain that is late). */
  provers: { enabled: boolean; workers: number; busy: number; queued: number; jobs: { id: number; certificateId: string; status: string; createdAt: number }[] };
  /** Every certificate by status. */
  totals: Record<CertificateStatus, number> & { total: number };
  chains: DashboardChainView[];
  /** Registered chains left out of `chains` (past the answer's bound). */
  chainsOmitted: number;
  /** Certificates per chain in `certificates` (at most the window asked for; less when many chains share the bound). */
  window: number;
  certificates: DashboardCertificateView[];
  epochs: { counts: Partial<Record<string, number>>; recent: DashboardEpochView[] };
}

export interface CoordinatorApi {
  submitCertificate(certificate: SignedCertificate): Promise<SubmitResult>;
  submitProof(input: SubmitProofInput): Promise<SubmitResult>;
  getCertificate(certificateId: bigint, withBody?: boolean, withProof?: boolean, withHistory?: boolean): CertificateView;
  getLatestCertificate(networkId: number, minStatus: CertificateStatus): CertificateView | null;
  getNetwork(networkId: number): NetworkView;
  /**
   * The layer's signed rejection of `revision` at (networkId, height) (hex, 65 bytes): the licence a chain needs to
   * settle revision + 1 there (docs/protocol.md §5). Throws NO_LICENCE if the layer has not rejected that revision.
   */
  licence(networkId: number, height: bigint, revision: number): string;
  /**
   * The chain abandons its signed certificate that the layer does not hold (refused, or given up on): that revision
   * counts as rejected at its height; returns the licence for the next one.
   */
  abandon(certificate: SignedCertificate): Promise<{ licence: string; nextRevision: number }>;
  /** The latest epoch when id is omitted (null if there is none). */
  getEpoch(id?: number): EpochView | null;
  /** Admin: build an epoch now (same as the timer's tick). Returns the epoch id or null if nothing was ready. */
  triggerEpoch(): Promise<number | null>;
  health(): HealthView;
  /** The dashboard's snapshot: the newest `window` certificates per chain (bounded), and summaries of everything else. */
  getDashboard(window: number): DashboardView;
  /** Returns an unsubscribe function. */
  subscribe(listener: (e: CoordinatorEvent) => void): () => void;
}
