/**
 * Certificates: a chain's signed batch header. See docs/protocol.md §5 for the normative encoding.
 *
 *   certificateId = Poseidon(networkId, height, revision, prevStateCommitment, newStateCommitment,
 *                            prevLocalExitRoot, newLocalExitRoot, newStateRootHi, newStateRootLo,
 *                            exitsHash, importsHash, dependenciesHash, bundlesHash)
 *   exitsHash        = hashList(exit leaf hashes)
 *   importsHash      = hashList(Poseidon(leafHash, sourceNetwork, leafIndex, sourceHeight, sourceCertificateId, sourceExitRoot))
 *   dependenciesHash = hashList(Poseidon(networkId, height, certificateId))
 *   bundlesHash      = hashList(Poseidon(bundleId, legIndex, legCount, success, packParticipants(participants)))
 *
 * The sequencer signs EIP-712 Certificate(uint32 networkId, uint64 height, uint32 revision, bytes32 certificateId).
 * A height's first certificate has revision 0; after the layer rejects revision r at a height (and signs
 * Rejection(networkId, height, r), the licence), the chain's rebuild there is revision r + 1. Two signatures for one
 * (networkId, height, revision) with different ids are an equivocation; an honest rebuild never is one.
 */
import { TypedDataEncoder, verifyTypedData, isHexString, getAddress } from "ethers";
import type { TypedDataDomain, Signer } from "ethers";
import { poseidon, hashList } from "./poseidon";
import { splitBytes32, toBytes32, isField } from "./field";
import { ExitLeaf, hashExitLeaf, isNetworkId, validateLeaf, InvalidLeafError } from "./exit-leaf";

/** Names one certificate of one network. For L1 (network 0): height = exit-root checkpoint number, certificateId = 0. */
export interface CertificateRef {
  networkId: number;
  height: bigint;
  certificateId: bigint;
}

export interface ImportedExit {
  leaf: ExitLeaf;
  leafIndex: number;
  /** The source certificate (or L1 checkpoint) whose new local exit root the proof is against. */
  source: CertificateRef;
  sourceExitRoot: bigint;
  siblings: bigint[];
}

export interface BundleLeg {
  bundleId: bigint;
  legIndex: number;
  legCount: number;
  success: boolean;
  /**
   * The network of every leg, in leg order (legCount entries): leg k must sit in a certificate of participants[k],
   * and every leg of a bundle names the same list, so no other chain can complete it (docs/protocol.md §5).
   */
  participants: number[];
}

/** At most this many legs per bundle: the participants' network ids (32 bits each) pack into one field element. */
export const MAX_BUNDLE_LEGS = 7;

/** participants[0] + participants[1] * 2^32 + ... (< 2^224): how the circuits and the certificate id take the list. */
export function packParticipants(participants: readonly number[]): bigint {
  return participants.reduce((acc, p, k) => acc + (BigInt(p) << BigInt(32 * k)), 0n);
}

export interface Certificate {
  networkId: number;
  height: bigint;
  /** uint32: 0 for a height's first certificate, r + 1 for the rebuild after the layer rejected revision r. Absent = 0. */
  revision?: number;
  prevStateCommitment: bigint;
  newStateCommitment: bigint;
  prevLocalExitRoot: bigint;
  newLocalExitRoot: bigint;
  /** The L2's own state root: opaque to the layer, bound into the id. */
  newStateRoot: string;
  bridgeExits: ExitLeaf[];
  importedExits: ImportedExit[];
  dependencies: CertificateRef[];
  bundles: BundleLeg[];
}

export interface SignedCertificate extends Certificate {
  signature: string;
}

export type CertificateFormatCode =
  | "BAD_NETWORK"
  | "BAD_HEIGHT"
  | "BAD_REVISION"
  | "BAD_FIELD"
  | "BAD_STATE_ROOT"
  | "BAD_LEAF"
  | "BAD_IMPORT"
  | "DEPENDENCY_ORDER"
  | "SELF_DEPENDENCY"
  | "MISSING_DEPENDENCY"
  | "DEPENDENCY_CONFLICT"
  | "BAD_BUNDLE"
  | "BAD_ENCODING";

export class CertificateFormatError extends Error {
  constructor(readonly code: CertificateFormatCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = "CertificateFormatError";
  }
}

const U64_MAX = (1n << 64n) - 1n;
export const MAX_REVISION = 2 ** 32 - 1;

/** A certificate's revision (absent = 0). */
export const revisionOf = (c: { revision?: number }): number => c.revision ?? 0;

export function hashImport(imp: ImportedExit): bigint {
  return poseidon([
    hashExitLeaf(imp.leaf),
    BigInt(imp.source.networkId),
    BigInt(imp.leafIndex),
    imp.source.height,
    imp.source.certificateId,
    imp.sourceExitRoot,
  ]);
}

export function hashDependency(d: CertificateRef): bigint {
  return poseidon([BigInt(d.networkId), d.height, d.certificateId]);
}

export function hashBundleLeg(b: BundleLeg): bigint {
  return poseidon([b.bundleId, BigInt(b.legIndex), BigInt(b.legCount), b.success ? 1n : 0n, packParticipants(b.participants)]);
}

export function compareRefs(a: CertificateRef, b: CertificateRef): number {
  if (a.networkId !== b.networkId) return a.networkId - b.networkId;
  return a.height < b.height ? -1 : a.height > b.height ? 1 : 0;
}

/** Checks ranges and the structural rules of docs/protocol.md §5; throws CertificateFormatError. */
export function validateCertificate(c: Certificate): Certificate {
  if (!isNetworkId(c.networkId) || c.networkId === 0) throw new CertificateFormatError("BAD_NETWORK", `networkId ${c.networkId}`);
  if (typeof c.height !== "bigint" || c.height < 0n || c.height > U64_MAX) throw new CertificateFormatError("BAD_HEIGHT", `height ${c.height}`);
  const r = revisionOf(c);
  if (!Number.isInteger(r) || r < 0 || r > MAX_REVISION) throw new CertificateFormatError("BAD_REVISION", `revision ${c.revision}`);
  for (const f of ["prevStateCommitment", "newStateCommitment", "prevLocalExitRoot", "newLocalExitRoot"] as const) {
    if (typeof c[f] !== "bigint" || !isField(c[f])) throw new CertificateFormatError("BAD_FIELD", `${f} ${c[f]}`);
  }
  if (!isHexString(c.newStateRoot, 32)) throw new CertificateFormatError("BAD_STATE_ROOT", `newStateRoot ${c.newStateRoot}`);
  c.bridgeExits.forEach((l, i) => checkLeaf(l, `bridgeExits[${i}]`));
  c.importedExits.forEach((imp, i) => {
    checkLeaf(imp.leaf, `importedExits[${i}].leaf`);
    checkRef(imp.source, `importedExits[${i}].source`);
    if (!Number.isInteger(imp.leafIndex) || imp.leafIndex < 0 || imp.leafIndex >= 2 ** 32) {
      throw new CertificateFormatError("BAD_IMPORT", `importedExits[${i}].leafIndex ${imp.leafIndex}`);
    }
    if (!isField(imp.sourceExitRoot) || !imp.siblings.every(isField)) throw new CertificateFormatError("BAD_IMPORT", `importedExits[${i}] root or proof`);
    if (imp.source.networkId === 0 && imp.source.certificateId !== 0n) {
      throw new CertificateFormatError("BAD_IMPORT", `importedExits[${i}]: an L1 checkpoint has certificateId 0`);
    }
  });
  c.dependencies.forEach((d, i) => {
    checkRef(d, `dependencies[${i}]`);
    if (d.networkId === c.networkId) throw new CertificateFormatError("SELF_DEPENDENCY", `dependencies[${i}] names network ${d.networkId} itself`);
    if (d.networkId === 0) throw new CertificateFormatError("BAD_NETWORK", `dependencies[${i}]: L1 checkpoints are not dependencies`);
    if (i > 0 && compareRefs(c.dependencies[i - 1], d) >= 0) {
      throw new CertificateFormatError("DEPENDENCY_ORDER", `dependencies must be sorted by (networkId, height) without duplicates (at ${i})`);
    }
  });
  c.importedExits.forEach((imp, i) => {
    if (imp.source.networkId === 0) return;
    const dep = c.dependencies.find((d) => compareRefs(d, imp.source) === 0);
    if (!dep || dep.certificateId !== imp.source.certificateId) {
      throw new CertificateFormatError("MISSING_DEPENDENCY", `importedExits[${i}] source ${imp.source.networkId}/${imp.source.height} is not among the dependencies`);
    }
  });
  const seenBundles = new Set<bigint>();
  c.bundles.forEach((b, i) => {
    const ok =
      isField(b.bundleId) && Number.isInteger(b.legCount) && b.legCount >= 1 && b.legCount <= MAX_BUNDLE_LEGS &&
      Number.isInteger(b.legIndex) && b.legIndex >= 0 && b.legIndex < b.legCount && typeof b.success === "boolean" &&
      Array.isArray(b.participants) && b.participants.length === b.legCount && b.participants.every((p) => isNetworkId(p) && p !== 0);
    if (!ok) throw new CertificateFormatError("BAD_BUNDLE", `bundles[${i}]`);
    if (b.participants[b.legIndex] !== c.networkId) {
      throw new CertificateFormatError("BAD_BUNDLE", `bundles[${i}]: leg ${b.legIndex} belongs to network ${b.participants[b.legIndex]}, not ${c.networkId}`);
    }
    if (seenBundles.has(b.bundleId)) throw new CertificateFormatError("BAD_BUNDLE", `bundles[${i}] repeats bundle ${b.bundleId}`);
    seenBundles.add(b.bundleId);
  });
  return c;
}

function checkLeaf(l: ExitLeaf, where: string): void {
  try {
    validateLeaf(l);
  } catch (e) {
    if (e instanceof InvalidLeafError) throw new CertificateFormatError("BAD_LEAF", `${where}: ${e.message}`);
    throw e;
  }
}

function checkRef(r: CertificateRef, where: string): void {
  if (!isNetworkId(r.networkId)) throw new CertificateFormatError("BAD_NETWORK", `${where}.networkId ${r.networkId}`);
  if (typeof r.height !== "bigint" || r.height < 0n || r.height > U64_MAX) throw new CertificateFormatError("BAD_HEIGHT", `${where}.height ${r.height}`);
  if (typeof r.certificateId !== "bigint" || !isField(r.certificateId)) throw new CertificateFormatError("BAD_FIELD", `${where}.certificateId`);
}

export function certificateId(c: Certificate): bigint {
  validateCertificate(c);
  const [hi, lo] = splitBytes32(c.newStateRoot);
  return poseidon([
    BigInt(c.networkId),
    c.height,
    BigInt(revisionOf(c)),
    c.prevStateCommitment,
    c.newStateCommitment,
    c.prevLocalExitRoot,
    c.newLocalExitRoot,
    hi,
    lo,
    hashList(c.bridgeExits.map(hashExitLeaf)),
    hashList(c.importedExits.map(hashImport)),
    hashList(c.dependencies.map(hashDependency)),
    hashList(c.bundles.map(hashBundleLeg)),
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// EIP-712 signatures: the sequencer's over (networkId, height, revision, certificateId); the layer's rejection

export const EIP712_NAME = "AggregationLayer";
export const EIP712_VERSION = "1";
export const CERTIFICATE_TYPES = {
  Certificate: [
    { name: "networkId", type: "uint32" },
    { name: "height", type: "uint64" },
    { name: "revision", type: "uint32" },
    { name: "certificateId", type: "bytes32" },
  ],
};
/** The layer's signed rejection of a revision at a height: the licence for the next revision there. */
export const REJECTION_TYPES = {
  Rejection: [
    { name: "networkId", type: "uint32" },
    { name: "height", type: "uint64" },
    { name: "revision", type: "uint32" },
  ],
};

/** The domain is bound to L1 (its chain id) and the settlement hub that checks the signatures. */
export interface SigningDomain {
  chainId: bigint | number;
  verifyingContract: string;
}

export function eip712Domain(d: SigningDomain): TypedDataDomain {
  return { name: EIP712_NAME, version: EIP712_VERSION, chainId: d.chainId, verifyingContract: getAddress(d.verifyingContract) };
}

/** What the sequencer signs: revision absent = 0. */
export interface Header {
  networkId: number;
  height: bigint;
  revision?: number;
  certificateId: bigint;
}

export interface SignedHeader extends Header {
  signature: string;
}

function headerValue(h: Header) {
  return { networkId: h.networkId, height: h.height, revision: revisionOf(h), certificateId: toBytes32(h.certificateId) };
}

export function headerDigest(domain: SigningDomain, h: Header): string {
  return TypedDataEncoder.hash(eip712Domain(domain), CERTIFICATE_TYPES, headerValue(h));
}

export async function signHeader(signer: Signer, domain: SigningDomain, h: Header): Promise<string> {
  return signer.signTypedData(eip712Domain(domain), CERTIFICATE_TYPES, headerValue(h));
}

export async function signCertificate(signer: Signer, domain: SigningDomain, c: Certificate): Promise<SignedCertificate> {
  const signature = await signHeader(signer, domain, { networkId: c.networkId, height: c.height, revision: revisionOf(c), certificateId: certificateId(c) });
  return { ...c, signature };
}

/** The address that signed the header, or null when the signature is malformed. */
export function recoverHeaderSigner(domain: SigningDomain, h: SignedHeader): string | null {
  try {
    return verifyTypedData(eip712Domain(domain), CERTIFICATE_TYPES, headerValue(h), h.signature);
  } catch {
    return null;
  }
}

/**
 * Two headers signed by `sequencer` for one (networkId, height, revision) with different ids: an equivocation
 * proof. Headers of different revisions of one height are not: a rebuild after the layer's rejection.
 */
export function isEquivocation(domain: SigningDomain, sequencer: string, a: SignedHeader, b: SignedHeader): boolean {
  if (a.networkId !== b.networkId || a.height !== b.height || revisionOf(a) !== revisionOf(b) || a.certificateId === b.certificateId) return false;
  const s = getAddress(sequencer);
  return recoverHeaderSigner(domain, a) === s && recoverHeaderSigner(domain, b) === s;
}

/** The layer's rejection of `revision` at (networkId, height): the licence for revision + 1 there. */
export interface RejectionHeader {
  networkId: number;
  height: bigint;
  revision: number;
}

export async function signRejection(layer: Signer, domain: SigningDomain, r: RejectionHeader): Promise<string> {
  return layer.signTypedData(eip712Domain(domain), REJECTION_TYPES, { networkId: r.networkId, height: r.height, revision: r.revision });
}

/** The address that signed the rejection, or null when the signature is malformed. */
export function recoverRejectionSigner(domain: SigningDomain, r: RejectionHeader, signature: string): string | null {
  try {
    return verifyTypedData(eip712Domain(domain), REJECTION_TYPES, { networkId: r.networkId, height: r.height, revision: r.revision }, signature);
  } catch {
    return null;
  }
}
