/**
 * Direct settlement for an opt-out chain (policy bit 0 on L1): each of its certificates, once the coordinator
 * confirmed it, is settled from the sequencer's L1 account as a batch of one — never waiting for the layer's
 * epochs, so another chain's stall cannot delay it. `settleBatch` carries the certificate's own verified proof
 * (asked from the coordinator: the chain's or the backup prover's) and the model's locators of its finalized
 * dependencies (coordinator/batches.ts), planned on a mirror of L1 kept exactly as the coordinator keeps it
 * (coordinator/l1/view.ts), from the hub's events and the certificates' bodies (asked from the coordinator). It
 * touches only this chain's tip, so a batch of other chains being built and signed meanwhile stays valid, and so
 * does this one.
 */
import { revisionOf } from "../lib/certificate";
import { certificateFromJson } from "../lib/codec";
import type { BuiltCertificate, Certificate } from "../lib";
import { DEVNET_PARAMS } from "../lib/params";
import { L1Client } from "../coordinator/l1/client";
import { L1View } from "../coordinator/l1/view";
import type { Logger } from "../coordinator/log";
import { Groth16Proof, solidityProofOf } from "../zk/groth16";
import { BatchError } from "../lib/batch-settlement";
import { hubLocators, planBatch, HubSettlement } from "../coordinator/batches";
import type { ChainConfig } from "./config";
import type { CoordinatorLink } from "./coordinator-link";

export class DirectSettler {
  private readonly l1: L1Client;
  private readonly view = new L1View(DEVNET_PARAMS);
  private readonly bodies = new Map<bigint, Certificate>();
  private cursor = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(config: ChainConfig, private readonly link: CoordinatorLink, private readonly log: Logger) {
    this.l1 = new L1Client({ rpcUrl: config.l1.rpcUrl, hub: config.l1.hub, bridge: config.l1.bridge, settlerKey: config.l2.sequencerKey });
  }

  async start(): Promise<void> {
    await this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.l1.destroy();
  }

  /** Reads the hub's events up to the head into the mirror. */
  private async sync(): Promise<void> {
    const head = await this.l1.head();
    if (head <= this.cursor) return;
    const events = await this.l1.hubEvents(this.cursor + 1, head);
    for (const e of events) if (e.name === "BatchCertificateFinalized") await this.body(BigInt(e.args.certificateId as string));
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
   * A batch of one reads and writes only this chain's tip, but its plan may name a dependency this mirror has not
   * read yet, or revert at estimation while L1 moves: then read L1 again and plan again.
   */
  private async settleOne(built: BuiltCertificate, attempts = 6): Promise<void> {
    let transient = 0;
    for (let i = 1; ; ) {
      try {
        return await this.attempt(built);
      } catch (e) {
        // A certificate already settled (its transaction landed although its answer was lost) is done.
        if (await this.settledAlready(built).catch(() => false)) return;
        const stale = e instanceof BatchError || /revert|estimateGas/i.test(String((e as Error).message ?? e));
        if (stale) {
          if (i++ >= attempts) throw e;
          this.log.info("L1 moved while settling: planning again", { height: built.certificate.height, attempt: i - 1 });
          continue;
        }
        // A connection error (an overloaded node, a lost answer): this certificate must settle before the next one
        // can, so it is tried again rather than given up, with a growing pause.
        if (this.stopped) throw e;
        transient++;
        this.log.warn("direct settlement: L1 unreachable, trying again", { height: built.certificate.height, attempt: transient, error: e as Error });
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(transient, 5))));
      }
    }
  }

  /** The mirror (read again) has this chain at a height past the certificate's. */
  private async settledAlready(built: BuiltCertificate): Promise<boolean> {
    await this.sync();
    const c = built.certificate;
    return this.view.mirror.record(c.networkId).nextHeight > c.height;
  }

  /** A batch of one: settleBatch with the certificate's verified proof, planned on the mirror's batch state. */
  private async attempt(built: BuiltCertificate): Promise<void> {
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
      this.log.info("settled directly on L1", { height: c.height, tx: tx.hash, gasUsed: rc.gasUsed });
    });
    await this.sync();
  }

  /** The layer's signed rejection of the previous revision at this height (the hub finalizes revision r > 0 only with it). */
  private async licence(networkId: number, height: bigint, revision: number): Promise<string> {
    const v = await this.link.call<{ licence: string }>("getRejectionLicence", { networkId, height: "0x" + height.toString(16), revision });
    return v.licence;
  }
}
