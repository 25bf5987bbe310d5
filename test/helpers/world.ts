/**
 * A small model-only world for tests: an L1 exit tree with checkpoints and chains that build certificates with
 * the reference model (lib/certificate-builder.ts), keeping each chain's latest state.
 */
import {
  ExitTree, ExitLeaf, LeafType, NetworkState, LayerParams, L1Checkpoint, ImportedExit, CertificateRef, BundleLeg,
  buildCertificate, BuiltCertificate, hashExitLeaf, fieldKeccak,
} from "../../lib";

export class ModelWorld {
  readonly l1: ExitTree;
  readonly l1Leaves: ExitLeaf[] = [];
  private checkpoints: L1Checkpoint[] = [];
  readonly chains = new Map<number, NetworkState>();
  readonly heights = new Map<number, bigint>();

  constructor(readonly params: LayerParams) {
    this.l1 = new ExitTree(params.exitDepth);
  }

  chain(networkId: number): NetworkState {
    let s = this.chains.get(networkId);
    if (!s) {
      s = new NetworkState(networkId, this.params);
      this.chains.set(networkId, s);
      this.heights.set(networkId, 0n);
    }
    return s;
  }

  /** An L1 deposit (asset exit of network 0) and its leaf index. */
  deposit(leaf: Partial<ExitLeaf> & { destinationNetwork: number; amount: bigint }): number {
    const full: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationAddress: 0xb0bn, metadataHash: fieldKeccak("0x"), ...leaf };
    this.l1Leaves.push(full);
    return this.l1.append(hashExitLeaf(full));
  }

  checkpoint(): L1Checkpoint {
    const cp = { number: BigInt(this.checkpoints.length), exitRoot: this.l1.root() };
    this.checkpoints.push(cp);
    return cp;
  }

  /** Import of L1 exit `index` against checkpoint `cp` (which must contain it). */
  importFromL1(index: number, cp: L1Checkpoint): ImportedExit {
    if (cp.exitRoot !== this.l1.root()) throw new Error("importFromL1 proves against the latest checkpoint only");
    return { leaf: this.l1Leaves[index], leafIndex: index, source: { networkId: 0, height: cp.number, certificateId: 0n }, sourceExitRoot: cp.exitRoot, siblings: this.l1.proof(index).siblings };
  }

  /** Import of exit `leafIndex` of `source`, proven against that certificate's new exit root. */
  importFrom(source: BuiltCertificate, leafIndex: number): ImportedExit {
    const tree = source.transition.state.exitTree;
    return {
      leaf: this.exitLeafOf(source, leafIndex),
      leafIndex,
      source: ref(source),
      sourceExitRoot: source.certificate.newLocalExitRoot,
      siblings: tree.proof(leafIndex).siblings,
    };
  }

  /** Builds the chain's next certificate and advances its state. */
  certify(networkId: number, batch: { imports?: ImportedExit[]; exits?: ExitLeaf[]; extraDependencies?: CertificateRef[]; bundles?: BundleLeg[]; newStateRoot?: string } = {}): BuiltCertificate {
    const state = this.chain(networkId);
    const height = this.heights.get(networkId)!;
    const built = buildCertificate(state, {
      height,
      newStateRoot: batch.newStateRoot ?? "0x" + (networkId * 1000 + Number(height)).toString(16).padStart(64, "0"),
      imports: batch.imports ?? [],
      exits: batch.exits ?? [],
      extraDependencies: batch.extraDependencies,
      bundles: batch.bundles,
    });
    this.chains.set(networkId, built.transition.state);
    this.heights.set(networkId, height + 1n);
    this.exitsByCert.set(built.certificateId, [...(this.exitsOf(networkId)), ...(batch.exits ?? [])]);
    this.allExits.set(networkId, [...(this.exitsOf(networkId)), ...(batch.exits ?? [])]);
    return built;
  }

  private exitsByCert = new Map<bigint, ExitLeaf[]>();
  private allExits = new Map<number, ExitLeaf[]>();
  private exitsOf(networkId: number): ExitLeaf[] {
    return this.allExits.get(networkId) ?? [];
  }
  private exitLeafOf(source: BuiltCertificate, leafIndex: number): ExitLeaf {
    const leaves = this.exitsByCert.get(source.certificateId);
    if (!leaves || !leaves[leafIndex]) throw new Error(`no exit ${leafIndex} in network ${source.certificate.networkId}'s tree at that certificate`);
    return leaves[leafIndex];
  }
}

export function ref(b: BuiltCertificate): CertificateRef {
  return { networkId: b.certificate.networkId, height: b.certificate.height, certificateId: b.certificateId };
}

export function assetExit(to: number, amount: bigint, token: { originNetwork: number; originAddress: bigint } = { originNetwork: 0, originAddress: 0n }, destinationAddress = 0xca401n): ExitLeaf {
  return { leafType: LeafType.Asset, ...token, destinationNetwork: to, destinationAddress, amount, metadataHash: fieldKeccak("0x") };
}
