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
  | { type: "status"; networkId: number; certificateId: string; height: string; from: CertificateStatus; to: CertificateStatus; rejection: RejectionView | null }
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

export interface CoordinatorApi {
  submitCertificate(certificate: SignedCertificate): Promise<SubmitResult>;
  submitProof(input: SubmitProofInput): Promise<SubmitResult>;
  getCertificate(certificateId: bigint, withBody?: boolean, withProof?: boolean): CertificateView;
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
  /** Returns an unsubscribe function. */
  subscribe(listener: (e: CoordinatorEvent) => void): () => void;
}
