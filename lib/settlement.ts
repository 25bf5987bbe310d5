/**
 * What a certificate states for its settlement, and the public signals of its proof (circuits/CertificateProof.circom,
 * docs/protocol.md §9): every value a settlement needs to check a certificate against L1 without opening its id.
 *
 * A certificate states, for each dependency, the exit root its imports use (the source exit root of the imports
 * that name it; 0 for a dependency no import names), and the one L1 checkpoint its L1 imports are proven against
 * ((0, 0) without an L1 import). Both follow from the certificate's imports, so every party computes the same.
 */
import { Certificate, packParticipants, revisionOf } from "./certificate";

/** The lists a proof's public signals are padded to (the certificate circuit's shape). */
export interface StatementShape {
  maxDependencies: number;
  maxBundles: number;
}

/**
 * The number of public signals of a certificate proof of `shape`: 7 (certificateId, slotWord, both state
 * commitments, newLocalExitRoot, the checkpoint's number and root) + 3 per dependency + 2 per bundle leg. The hub's
 * `publicSignalsPerProof` (BatchSettlement.sol) and the instances' `expectPublicSignals` (circuits/instances.json).
 */
export function publicSignalCount(shape: StatementShape): number {
  return 7 + 3 * shape.maxDependencies + 2 * shape.maxBundles;
}

/** An L1 exit-root checkpoint of the L1 bridge: its number and the L1 exit tree's root it recorded. */
export interface L1Checkpoint {
  number: bigint;
  exitRoot: bigint;
}

export interface CertificateStatements {
  /** Per dependency, in the certificate's order: the exit root its imports use, or 0 if none names it. */
  dependencyExitRoots: bigint[];
  /** The L1 checkpoint of the L1 imports (all share it: the circuit refuses two), or (0, 0) without one. */
  checkpoint: L1Checkpoint;
}

/** slotWord = networkId + height * 2^32 + revision * 2^96 (injective: networkId < 2^32, height < 2^64). */
export function slotWord(c: { networkId: number; height: bigint; revision?: number }): bigint {
  return BigInt(c.networkId) + (c.height << 32n) + (BigInt(revisionOf(c)) << 96n);
}

/** dependencyWord = networkId + height * 2^32. */
export function dependencyWord(d: { networkId: number; height: bigint }): bigint {
  return BigInt(d.networkId) + (d.height << 32n);
}

/** legWord = participants + legIndex * 2^224 + legCount * 2^227 + success * 2^230. */
export function legWord(b: { legIndex: number; legCount: number; success: boolean; participants: readonly number[] }): bigint {
  return packParticipants(b.participants) + (BigInt(b.legIndex) << 224n) + (BigInt(b.legCount) << 227n) + ((b.success ? 1n : 0n) << 230n);
}

export function certificateStatements(c: Certificate): CertificateStatements {
  const dependencyExitRoots = c.dependencies.map((d) => {
    const imp = c.importedExits.find((i) => i.source.networkId === d.networkId && i.source.height === d.height && i.source.certificateId === d.certificateId);
    return imp ? imp.sourceExitRoot : 0n;
  });
  const l1 = c.importedExits.find((i) => i.source.networkId === 0);
  return { dependencyExitRoots, checkpoint: l1 ? { number: l1.source.height, exitRoot: l1.sourceExitRoot } : { number: 0n, exitRoot: 0n } };
}

/**
 * The public signals of the certificate's proof, in circuit order, padded to `shape`: certificateId, slotWord,
 * prevStateCommitment, newStateCommitment, newLocalExitRoot, checkpoint (number, exitRoot), per dependency
 * (word, certificateId, exitRoot), per bundle leg (bundleId, legWord).
 */
export function certificatePublicSignals(c: Certificate, certificateId: bigint, shape: StatementShape): bigint[] {
  if (c.dependencies.length > shape.maxDependencies || c.bundles.length > shape.maxBundles) {
    throw new RangeError(`the certificate has ${c.dependencies.length} dependencies and ${c.bundles.length} bundle legs; the shape holds ${shape.maxDependencies} and ${shape.maxBundles}`);
  }
  const st = certificateStatements(c);
  const out = [certificateId, slotWord(c), c.prevStateCommitment, c.newStateCommitment, c.newLocalExitRoot, st.checkpoint.number, st.checkpoint.exitRoot];
  for (let d = 0; d < shape.maxDependencies; d++) {
    const dep = c.dependencies[d];
    out.push(...(dep ? [dependencyWord(dep), dep.certificateId, st.dependencyExitRoots[d]] : [0n, 0n, 0n]));
  }
  for (let b = 0; b < shape.maxBundles; b++) {
    const leg = c.bundles[b];
    out.push(...(leg ? [leg.bundleId, legWord(leg)] : [0n, 0n]));
  }
  return out;
}
