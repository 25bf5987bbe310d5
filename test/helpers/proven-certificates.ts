/**
 * Certificates with REAL certificate_test proofs, and batches of them for BatchSettlement.settleBatch (the harness
 * contracts/test/BatchSettlementHarness.sol or SettlementHub): what test/contracts/BatchSettlement.test.ts
 * and test/contracts/SettlementHub.batches.test.ts share.
 *
 * - `CertificateModel` builds certificates with the reference model (lib/certificate-builder.ts), keeping each
 *   network's head (state, height, exits), L1 deposits with their checkpoints, and forks (a certificate built on
 *   an earlier state, which does not advance the network);
 * - `proveAll` proves them with snarkjs (about a second each), cached in the OS temp directory under the zkey's
 *   hash and the certificate id, and checks that the proof's public signals are certificatePublicSignals;
 * - `BatchBuilder` signs them (EIP-712, the hub's domain), locates their dependencies (a slot of the batch or a
 *   leaf of a settled batch) into a `Settlement`, and settles it checking every effect against the model
 *   (lib/batch-settlement.ts: leaves, batch root, tips).
 *
 * Needs the certificate_test circuit (`npm run build:circuits -- --skip-production`). A model of another instance of
 * CertificateProof (`new CertificateModel("certificate_prod", PRODUCTION_PARAMS)`) needs that instance built
 * (`npm run build:circuits -- --only certificate_prod`).
 */
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BaseContract, ContractTransactionResponse, HDNodeWallet } from "ethers";
import {
  DEVNET_PARAMS, TreeParams, NetworkState, ExitTree, ExitLeaf, LeafType, BuiltCertificate, BundleLeg, ImportedExit, CertificateRef,
  buildCertificate, hashExitLeaf, fieldKeccak, certificatePublicSignals, publicSignalCount, signCertificate, batchLeaf, batchProof, batchRoot,
} from "../../lib";
import { certificateWitness } from "../../lib/witness";
import { artifactsFor, prove } from "../../zk/groth16";
import { DEVNET_CERTIFICATE, certificateShapeOf } from "../../zk/registry";
import type { CertificateShape } from "../../lib/witness/certificate";
import { ref } from "./world";
import type { BatchSettlement } from "../../typechain-types";

export const CERT = DEVNET_CERTIFICATE;
export const SHAPE = certificateShapeOf(CERT);
export const STATEMENT = { maxDependencies: SHAPE.maxDependencies, maxBundles: SHAPE.maxBundles };
/** Public signals per certificate_test proof: 7 + 3 D + 2 B. */
export const M = publicSignalCount(STATEMENT);
/** The scalar field (public signals) and base field (proof coordinates) moduli of BN254. */
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

// ------------------------------------------------------------------------------------------ the model
export interface Cert {
  name: string;
  /** The circuit instance that proves it, and that instance's shape. */
  instance: string;
  shape: CertificateShape;
  built: BuiltCertificate;
  /** The network's state before the certificate (the witness needs it) and after it (forks start there). */
  prev: NetworkState;
  /** The network's exits after the certificate, in leaf order. */
  exits: ExitLeaf[];
  signals: bigint[];
  proof: bigint[];
}
export const idOf = (c: Cert) => c.built.certificateId;
export const netOf = (c: Cert) => c.built.certificate.networkId;
export const heightOf = (c: Cert) => c.built.certificate.height;
export const exitRootOf = (c: Cert) => c.built.certificate.newLocalExitRoot;

export class CertificateModel {
  private readonly heads = new Map<number, { state: NetworkState; height: bigint; exits: ExitLeaf[] }>();
  readonly l1: ExitTree;
  private readonly l1Leaves: ExitLeaf[] = [];
  readonly checkpoints: bigint[] = [];
  readonly certs: Cert[] = [];
  readonly shape: CertificateShape;
  /** The statement's capacities (the public signals' shape): 7 + 3 maxDependencies + 2 maxBundles signals. */
  readonly statement: { maxDependencies: number; maxBundles: number };

  /** Certificates of `instance` (an instance of CertificateProof) over networks with tree parameters `params`. */
  constructor(readonly instance: string = CERT, readonly params: TreeParams = DEVNET_PARAMS) {
    this.shape = certificateShapeOf(instance);
    this.statement = { maxDependencies: this.shape.maxDependencies, maxBundles: this.shape.maxBundles };
    this.l1 = new ExitTree(params.exitDepth);
  }

  /** Public signals per proof of this model's instance. */
  get signalsPerProof(): number {
    return publicSignalCount(this.statement);
  }

  head(n: number) {
    return this.heads.get(n) ?? { state: new NetworkState(n, this.params), height: 0n, exits: [] };
  }

  /** An L1 deposit to `to`, checkpointed at once; the import of it against that checkpoint. */
  depositFromL1(to: number, amount: bigint): ImportedExit {
    const leaf: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: to, destinationAddress: 0xb0bn, amount, metadataHash: fieldKeccak("0x") };
    this.l1Leaves.push(leaf);
    const index = this.l1.append(hashExitLeaf(leaf));
    this.checkpoints.push(this.l1.root());
    const number = BigInt(this.checkpoints.length - 1);
    return { leaf, leafIndex: index, source: { networkId: 0, height: number, certificateId: 0n }, sourceExitRoot: this.l1.root(), siblings: this.l1.proof(index).siblings };
  }

  /** Import of exit `leafIndex` of `src`'s network, proven against `root` (default: src's own exit root). */
  importFrom(src: Cert, leafIndex: number, root: Cert = src): ImportedExit {
    return {
      leaf: root.exits[leafIndex],
      leafIndex,
      source: ref(src.built),
      sourceExitRoot: exitRootOf(root),
      siblings: root.built.transition.state.exitTree.proof(leafIndex).siblings,
    };
  }

  /**
   * The next certificate of network `n` (advancing it), or with `after` a fork: a certificate built on the state
   * after `after` (null: genesis) at `height`, which does not advance the network.
   */
  build(name: string, n: number, batch: { imports?: ImportedExit[]; exits?: ExitLeaf[]; bundles?: BundleLeg[]; revision?: number; root?: number; extraDependencies?: CertificateRef[] }, fork?: { after: Cert | null; height: bigint }): Cert {
    const h = fork
      ? fork.after ? { state: fork.after.built.transition.state, height: fork.height, exits: fork.after.exits } : { state: new NetworkState(n, this.params), height: fork.height, exits: [] }
      : this.head(n);
    const built = buildCertificate(h.state, {
      height: h.height,
      revision: batch.revision,
      newStateRoot: "0x" + (batch.root ?? n * 100_000 + Number(h.height)).toString(16).padStart(64, "0"),
      imports: batch.imports ?? [],
      exits: batch.exits ?? [],
      bundles: batch.bundles,
      extraDependencies: batch.extraDependencies,
    });
    const signals = certificatePublicSignals(built.certificate, built.certificateId, this.statement);
    const c: Cert = { name, instance: this.instance, shape: this.shape, built, prev: h.state, exits: [...h.exits, ...(batch.exits ?? [])], signals, proof: [] };
    if (!fork) this.heads.set(n, { state: built.transition.state, height: h.height + 1n, exits: c.exits });
    this.certs.push(c);
    return c;
  }
}

/**
 * Proves every certificate with its instance (the native prover; cached in the OS temp directory under the zkey's
 * hash and the certificate id) and checks that the proof's public signals are certificatePublicSignals.
 */
export async function proveAll(certs: Cert[], progress?: (done: number, total: number, ms: number) => void): Promise<void> {
  for (const instance of new Set(certs.map((c) => c.instance))) {
    const mine = certs.filter((c) => c.instance === instance);
    const a = artifactsFor(instance);
    if (!a.zkey || !fs.existsSync(a.zkey)) {
      throw new Error(`${instance} is not built (${a.dir}): run npm run build:circuits -- ${a.instance.production ? `--only ${instance}` : "--skip-production"}`);
    }
    const tag = crypto.createHash("sha256").update(fs.readFileSync(a.vkey)).update(a.hash).digest("hex").slice(0, 16);
    const file = path.join(os.tmpdir(), `batch-settlement-${instance}-${tag}.json`);
    const cache: Record<string, string[]> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    for (const [k, c] of mine.entries()) {
      const key = idOf(c).toString(16);
      if (!cache[key]) {
        const t0 = Date.now();
        const r = await prove(instance, certificateWitness(c.prev, c.built, c.shape) as unknown as Record<string, unknown>);
        expect(r.publicSignals.map(BigInt), `${c.name}: the proof's public signals are certificatePublicSignals`).to.deep.equal(c.signals);
        cache[key] = r.solidityProof.map(String);
        // written after every proof: an interrupted run keeps what it proved
        fs.writeFileSync(file, JSON.stringify(cache));
        progress?.(k + 1, mine.length, Date.now() - t0);
      }
      c.proof = cache[key].map(BigInt);
    }
  }
}

// ------------------------------------------------------------------------------------------ batches
export interface Locator {
  batchId: bigint;
  index: bigint;
  exitRoot: bigint;
  siblings: string[];
}
export interface SlotAuth {
  signature: string;
  licence: string;
  dependencies: Locator[];
}
export interface Settlement {
  proofs: bigint[][];
  publicSignals: bigint[];
  slots: SlotAuth[];
}

/** The model's leaf and tree (lib/batch-settlement.ts): the hub must agree with them. */
export const leafHash = (c: Cert) => batchLeaf({ networkId: netOf(c), height: heightOf(c), certificateId: idOf(c), exitRoot: exitRootOf(c) });
export function batchTree(leaves: string[]): { root: string; siblings: string[][] } {
  return { root: batchRoot(leaves), siblings: leaves.map((_, i) => batchProof(leaves, i)) };
}

/** What settling needs of a BatchSettlement (the harness or SettlementHub). */
export type BatchSettler = BaseContract &
  Pick<BatchSettlement, "settleBatch" | "batchCount" | "batchRoot" | "isSettledLeaf" | "tip" | "tipOf">;

/** Signs and locates batches for one hub (EIP-712 `domain`), and remembers where settled certificates are. */
export class BatchBuilder {
  /** Settled certificates by id: where their leaf is. */
  readonly settled = new Map<bigint, Locator>();
  /** Each settlement's gas, in order. */
  readonly gas: { name: string; count: number; gasUsed: bigint }[] = [];

  constructor(
    readonly sequencers: Map<number, HDNodeWallet>,
    readonly domain: { chainId: bigint; verifyingContract: string },
  ) {}

  async signatureOf(c: Cert, signer: HDNodeWallet = this.sequencers.get(netOf(c))!): Promise<string> {
    return (await signCertificate(signer, this.domain, c.built.certificate)).signature;
  }

  /** Where dependency `d` of a slot is: a slot of `certs`, or a settled leaf (else a locator that finds nothing). */
  locate(d: CertificateRef, certs: Cert[]): Locator {
    const j = certs.findIndex((c) => idOf(c) === d.certificateId);
    if (j >= 0) return { batchId: 0n, index: BigInt(j), exitRoot: 0n, siblings: [] };
    return this.settled.get(d.certificateId) ?? { batchId: 0n, index: 0n, exitRoot: 0n, siblings: [] };
  }

  async settlement(certs: Cert[]): Promise<Settlement> {
    const slots: SlotAuth[] = [];
    for (const c of certs) {
      slots.push({ signature: await this.signatureOf(c), licence: "0x", dependencies: c.built.certificate.dependencies.map((d) => this.locate(d, certs)) });
    }
    return { proofs: certs.map((c) => c.proof), publicSignals: certs.flatMap((c) => c.signals), slots };
  }

  /** Settles `certs` as one batch on `hub`, checks its effects and records its leaves and gas; returns the batch id. */
  async settle(hub: BatchSettler, name: string, certs: Cert[], s?: Settlement): Promise<bigint> {
    s ??= await this.settlement(certs);
    const tx: ContractTransactionResponse = await hub.settleBatch(s);
    const rc = (await tx.wait())!;
    const batchId = await hub.batchCount();
    const tree = batchTree(certs.map(leafHash));
    expect(await hub.batchRoot(batchId)).to.equal(tree.root);
    await expect(tx).to.emit(hub, "BatchSettled").withArgs(batchId, tree.root, certs.length);
    for (const [i, c] of certs.entries()) {
      await expect(tx).to.emit(hub, "BatchCertificateFinalized").withArgs(netOf(c), heightOf(c), idOf(c), exitRootOf(c), batchId, i);
      this.settled.set(idOf(c), { batchId, index: BigInt(i), exitRoot: exitRootOf(c), siblings: tree.siblings[i] });
      expect(await hub.isSettledLeaf(batchId, i, leafHash(c), tree.siblings[i])).to.equal(true);
    }
    for (const n of new Set(certs.map(netOf))) {
      const last = certs.filter((c) => netOf(c) === n).at(-1)!;
      expect(await hub.tip(n)).to.equal(await hub.tipOf(last.built.certificate.newStateCommitment, heightOf(last) + 1n));
    }
    this.gas.push({ name, count: certs.length, gasUsed: rc.gasUsed });
    return batchId;
  }
}
