/**
 * Certificates: a chain's signed batch header. See docs/protocol.md §5 for the normative encoding.
 *
 *   certificateId = Poseidon(networkId, height, prevStateCommitment, newStateCommitment,
 *                            prevLocalExitRoot, newLocalExitRoot, newStateRootHi, newStateRootLo,
 *                            exitsHash, importsHash, dependenciesHash, bundlesHash)
 *   exitsHash        = hashList(exit leaf hashes)
 *   importsHash      = hashList(Poseidon(leafHash, sourceNetwork, leafIndex, sourceHeight, sourceCertificateId, sourceExitRoot))
 *   dependenciesHash = hashList(Poseidon(networkId, height, certificateId))
 *   bundlesHash      = hashList(Poseidon(bundleId, legIndex, legCount, success))
 *
 * The sequencer signs EIP-712 Certificate(uint32 networkId, uint64 height, bytes32 certificateId).
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
}

export interface Certificate {
  networkId: number;
  height: bigint;
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
  return poseidon([b.bundleId, BigInt(b.legIndex), BigInt(b.legCount), b.success ? 1n : 0n]);
}

export function compareRefs(a: CertificateRef, b: CertificateRef): number {
  if (a.networkId !== b.networkId) return a.networkId - b.networkId;
  return a.height < b.height ? -1 : a.height > b.height ? 1 : 0;
}

/** Checks ranges and the structural rules of docs/protocol.md §5; throws CertificateFormatError. */
export function validateCertificate(c: Certificate): Certificate {
  if (!isNetworkId(c.networkId) || c.networkId === 0) throw new CertificateFormatError("BAD_NETWORK", `networkId ${c.networkId}`);
  if (typeof c.height !== "bigint" || c.height < 0n || c.height > U64_MAX) throw new CertificateFormatError("BAD_HEIGHT", `height ${c.height}`);
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
      isField(b.bundleId) && Number.isInteger(b.legCount) && b.legCount >= 1 && b.legCount < 2 ** 16 &&
      Number.isInteger(b.legIndex) && b.legIndex >= 0 && b.legIndex < b.legCount && typeof b.success === "boolean";
    if (!ok) throw new CertificateFormatError("BAD_BUNDLE", `bundles[${i}]`);
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
// EIP-712 signature over (networkId, height, certificateId)

export const EIP712_NAME = "AggregationLayer";
export const EIP712_VERSION = "1";
export const CERTIFICATE_TYPES = {
  Certificate: [
    { name: "networkId", type: "uint32" },
    { name: "height", type: "uint64" },
    { name: "certificateId", type: "bytes32" },
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

export interface SignedHeader {
  networkId: number;
  height: bigint;
  certificateId: bigint;
  signature: string;
}

function headerValue(h: { networkId: number; height: bigint; certificateId: bigint }) {
  return { networkId: h.networkId, height: h.height, certificateId: toBytes32(h.certificateId) };
}

export function headerDigest(domain: SigningDomain, h: { networkId: number; height: bigint; certificateId: bigint }): string {
  return TypedDataEncoder.hash(eip712Domain(domain), CERTIFICATE_TYPES, headerValue(h));
}

export async function signHeader(signer: Signer, domain: SigningDomain, h: { networkId: number; height: bigint; certificateId: bigint }): Promise<string> {
  return signer.signTypedData(eip712Domain(domain), CERTIFICATE_TYPES, headerValue(h));
}

export async function signCertificate(signer: Signer, domain: SigningDomain, c: Certificate): Promise<SignedCertificate> {
  const signature = await signHeader(signer, domain, { networkId: c.networkId, height: c.height, certificateId: certificateId(c) });
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

/** Two headers signed by `sequencer` for one (networkId, height) with different ids: an equivocation proof. */
export function isEquivocation(domain: SigningDomain, sequencer: string, a: SignedHeader, b: SignedHeader): boolean {
  if (a.networkId !== b.networkId || a.height !== b.height || a.certificateId === b.certificateId) return false;
  const s = getAddress(sequencer);
  return recoverHeaderSigner(domain, a) === s && recoverHeaderSigner(domain, b) === s;
}
