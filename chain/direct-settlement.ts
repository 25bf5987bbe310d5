/**
 * Direct settlement for an opt-out chain (policy bit 0 on L1): each of its certificates, once the coordinator
 * confirmed it, is settled from the sequencer's L1 account — never waiting for the layer's batches or epochs, so
 * another chain's stall cannot delay it. L1 is mirrored exactly as the coordinator does (coordinator/l1/view.ts),
 * from the hub's events and the certificates' bodies (asked from the coordinator).
 *
 * - Hub in Batches mode: a batch of one, `settleBatch` with the certificate's own verified proof (asked from the
 *   coordinator: the chain's or the backup prover's) and the model's locators of its finalized dependencies
 *   (coordinator/batches.ts). It touches only this chain's tip, so a batch of other chains being built and signed
 *   meanwhile stays valid, and so does this one.
 * - Hub in Epochs mode: proven with the one-slot aggregation instance against L1's global state, `settleDirect`.
 */
import { revisionOf } from "../lib/certificate";
import { certificateFromJson } from "../lib/codec";
import type { BuiltCertificate, Certificate } from "../lib";
import { DEVNET_PARAMS } from "../lib/global-state";
import { aggregationWitness } from "../lib/witness/aggregation";
import { CertificateShape, circuitInputToJson, shapeOf } from "../lib/witness/certificate";
import { L1Client } from "../coordinator/l1/client";
import { L1View } from "../coordinator/l1/view";
import type { Logger } from "../coordinator/log";
import { ProverPool } from "../zk/prover/pool";
import { Groth16Proof, solidityProofOf } from "../zk/groth16";
import { BatchError } from "../lib/batch-settlement";
import { hubLocators, planBatch, HubSettlement } from "../coordinator/batches";
import { getInstance } from "../zk/registry";
import type { ChainConfig } from "./config";
import type { CoordinatorLink } from "./coordinator-link";

export class DirectSettler {
  private readonly l1: L1Client;
  private readonly view = new L1View(DEVNET_PARAMS);
  private readonly pool: ProverPool;
  private readonly bodies = new Map<bigint, Certificate>();
  private cursor = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private batchesMode: boolean | null = null;

  constructor(private readonly config: ChainConfig, private readonly link: CoordinatorLink, private readonly log: Logger) {
    this.l1 = new L1Client({ rpcUrl: config.l1.rpcUrl, hub: config.l1.hub, bridge: config.l1.bridge, settlerKey: config.l2.sequencerKey });
    this.pool = new ProverPool({ workers: 1, log });
  }

  async start(): Promise<void> {
    this.batchesMode = (await this.l1.settlementMode()) === "Batches";
    await this.sync();
  }

  async stop(): Promise<void> {
    await this.pool.close();
    this.l1.destroy();
  }

  /** Reads the hub's events up to the head into the mirror. */
  private async sync(): Promise<void> {
    const head = await this.l1.head();
    if (head <= this.cursor) return;
    const events = await this.l1.hubEvents(this.cursor + 1, head);
    for (const e of events) if (e.name === "CertificateFinalized" || e.name === "BatchCertificateFinalized") await this.body(BigInt(e.args.certificateId as string));
    await this.view.apply(events, (id) => this.bodies.get(id), (n) => this.l1.checkpointRoot(n));
    this.cursor = head;
  }

  private async body(id: bigint): Promise<void> {
    if (this.bodies.has(id)) return;
    const v = await this.link.call<{ certificate: unknown }>("getCertificate", { certificateId: "0x" + id.toString(16), withBody: true });
    this.bodies.set(id, certificateFromJson(v.certificate));
  }

  /** Settles certificates one at a time, in the order they were confirmed. */
  settle(built: BuiltCertificate): Promise<unknown> {
    this.bodies.set(built.certificateId, built.certificate);
    this.queue = this.queue.then(() => this.settleOne(built)).catch((e) => this.log.warn("direct settlement failed", { height: built.certificate.height, error: e as Error }));
    return this.queue;
  }

  /**
   * Epochs and other chains' direct settlements move the same global root: a proof made against a root that
   * moved while it was being computed reverts with StaleGlobalRoot at estimation. Then: read L1 again, prove again.
   */
  private async settleOne(built: BuiltCertificate, attempts = 6): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        return await this.attempt(built);
      } catch (e) {
        // Batches: a dependency this mirror has not read yet, or a revert at estimation (read L1 again, plan again).
        const stale = this.batchesMode ? e instanceof BatchError || /revert|estimateGas/i.test(String((e as Error).message ?? e)) : /StaleGlobalRoot|0x5ac193f6/.test(String((e as Error).message ?? e));
        if (!stale || i >= attempts) throw e;
        this.log.info("the global root moved while proving: proving again", { height: built.certificate.height, attempt: i });
      }
    }
  }

  private async attempt(built: BuiltCertificate): Promise<void> {
    if (this.batchesMode ?? (await this.l1.settlementMode()) === "Batches") return this.attemptBatch(built);
    await this.sync();
    if (this.view.diverged) throw new Error(`L1 mirror diverged: ${this.view.diverged}`);
    const c = built.certificate;
    const l1Import = c.importedExits.find((m) => m.source.networkId === 0);
    const cp = l1Import ? { number: l1Import.source.height, exitRoot: l1Import.sourceExitRoot } : await this.l1.latestCheckpoint();
    // kept by the view: the sync after the settlement moves the mirror with this result instead of running the rules again
    const epoch = this.view.epochResult([built.certificateId], () => [c], cp, 1);
    const shape = shapeOf(getInstance(this.config.circuits.direct).params as unknown as CertificateShape);
    const input = circuitInputToJson(aggregationWitness(epoch, DEVNET_PARAMS, { ...shape, slots: 1 }) as unknown as Record<string, unknown>);
    const r = await this.pool.prove({ instance: this.config.circuits.direct, input });
    const revision = revisionOf(c);
    const licence = revision > 0 ? await this.licence(c.networkId, c.height, revision - 1) : "0x";
    const slot = { networkId: c.networkId, height: c.height, revision, certificateId: built.certificateId, newLocalExitRoot: c.newLocalExitRoot, signature: await this.signature(built), licence };
    const data = this.l1.hubInterface.encodeFunctionData("settleDirect", [r.solidityProof, epoch.oldRoot, epoch.newRoot, cp.number, slot]);
    await this.l1.exclusive(async () => {
      const tx = await this.l1.signHubCall(data);
      await this.l1.broadcast(tx.raw);
      const rc = await this.l1.provider.waitForTransaction(tx.hash);
      if (rc?.status !== 1) throw new Error(`settleDirect ${tx.hash} reverted`);
      this.log.info("settled directly on L1", { height: c.height, tx: tx.hash, gasUsed: rc.gasUsed, proveMs: Math.round(r.ms) });
    });
    await this.sync();
  }

  /** A batch of one: settleBatch with the certificate's verified proof, planned on the mirror's batch state. */
  private async attemptBatch(built: BuiltCertificate): Promise<void> {
    await this.sync();
    if (this.view.diverged) throw new Error(`L1 mirror diverged: ${this.view.diverged}`);
    const c = built.certificate;
    const plan = await planBatch(this.view, [{ certificate: c, certificateId: built.certificateId }], (n) => this.l1.checkpointRoot(n));
    const v = await this.link.call<{ certificate: { signature: string }; proof: { proof: unknown; publicSignals: string[] } | null }>("getCertificate", {
      certificateId: "0x" + built.certificateId.toString(16), withBody: true, withProof: true,
    });
    if (!v.proof) throw new Error(`the coordinator holds no proof of certificate ${built.certificateId}`);
    const revision = revisionOf(c);
    const licence = revision > 0 ? await this.licence(c.networkId, c.height, revision - 1) : "0x";
    const settlement: HubSettlement = {
      proofs: [solidityProofOf(v.proof.proof as Groth16Proof)],
      publicSignals: v.proof.publicSignals.map(BigInt),
      slots: [{ signature: v.certificate.signature, licence, dependencies: hubLocators(plan, 0) }],
    };
    const data = this.l1.hubInterface.encodeFunctionData("settleBatch", [settlement]);
    await this.l1.exclusive(async () => {
      const tx = await this.l1.signHubCall(data);
      await this.l1.broadcast(tx.raw);
      const rc = await this.l1.provider.waitForTransaction(tx.hash);
      if (rc?.status !== 1) throw new Error(`settleBatch ${tx.hash} reverted`);
      this.log.info("settled directly on L1", { height: c.height, tx: tx.hash, gasUsed: rc.gasUsed, batch: true });
    });
    await this.sync();
  }

  /** The layer's signed rejection of the previous revision at this height (the hub finalizes revision r > 0 only with it). */
  private async licence(networkId: number, height: bigint, revision: number): Promise<string> {
    const v = await this.link.call<{ licence: string }>("getRejectionLicence", { networkId, height: "0x" + height.toString(16), revision });
    return v.licence;
  }

  private async signature(built: BuiltCertificate): Promise<string> {
    const v = await this.link.call<{ certificate: { signature: string } }>("getCertificate", { certificateId: "0x" + built.certificateId.toString(16), withBody: true });
    return v.certificate.signature;
  }
}
