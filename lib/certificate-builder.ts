/**
 * Builds a certificate from a network's state and a batch's bridge activity, applying the accounting rule
 * (lib/accounting.ts) so that the certificate's commitments are exactly what the certificate circuit proves.
 */
import { applyTransition, TransitionResult } from "./accounting";
import { Certificate, CertificateRef, BundleLeg, ImportedExit, CertificateFormatError, certificateId, compareRefs, validateCertificate } from "./certificate";
import { ExitLeaf } from "./exit-leaf";
import { NetworkState } from "./network-state";

export interface BatchInput {
  height: bigint;
  /** The height's revision: 0 (the default) first, r + 1 to rebuild after the layer rejected revision r. */
  revision?: number;
  /** The L2's own state root after the batch (bytes32 hex). */
  newStateRoot: string;
  imports: ImportedExit[];
  exits: ExitLeaf[];
  /** Dependencies beyond the import sources, e.g. a call that read another chain's state. */
  extraDependencies?: CertificateRef[];
  bundles?: BundleLeg[];
}

export interface BuiltCertificate {
  certificate: Certificate;
  certificateId: bigint;
  transition: TransitionResult;
}

/** Import sources (L1 checkpoints excluded) plus the explicit ones, de-duplicated and sorted by (networkId, height). */
export function deriveDependencies(imports: readonly ImportedExit[], extra: readonly CertificateRef[] = []): CertificateRef[] {
  const byKey = new Map<string, CertificateRef>();
  for (const ref of [...imports.map((i) => i.source), ...extra]) {
    if (ref.networkId === 0) continue;
    const key = `${ref.networkId}/${ref.height}`;
    const seen = byKey.get(key);
    if (seen && seen.certificateId !== ref.certificateId) {
      throw new CertificateFormatError("DEPENDENCY_CONFLICT", `two certificates named for network ${ref.networkId} at height ${ref.height}`);
    }
    byKey.set(key, { networkId: ref.networkId, height: ref.height, certificateId: ref.certificateId });
  }
  return [...byKey.values()].sort(compareRefs);
}

export function buildCertificate(state: NetworkState, input: BatchInput): BuiltCertificate {
  const transition = applyTransition(
    state,
    input.imports.map((i) => ({ leaf: i.leaf, sourceNetwork: i.source.networkId, leafIndex: i.leafIndex, sourceExitRoot: i.sourceExitRoot, siblings: i.siblings })),
    input.exits,
  );
  const certificate: Certificate = validateCertificate({
    networkId: state.networkId,
    height: input.height,
    ...(input.revision !== undefined ? { revision: input.revision } : {}),
    prevStateCommitment: state.commitment(),
    newStateCommitment: transition.state.commitment(),
    prevLocalExitRoot: state.exitRoot,
    newLocalExitRoot: transition.state.exitRoot,
    newStateRoot: input.newStateRoot,
    bridgeExits: [...input.exits],
    importedExits: [...input.imports],
    dependencies: deriveDependencies(input.imports, input.extraDependencies),
    bundles: [...(input.bundles ?? [])],
  });
  return { certificate, certificateId: certificateId(certificate), transition };
}
