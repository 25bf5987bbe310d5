/**
 * The chain client: the process a chain operator runs next to its L2 node (PROTOCOL §2, §8). This class wires its
 * parts and runs their schedule; each part says what it does:
 *
 * - **Certificates** (chain/certifier.ts): every `batch.intervalMs` it certifies its bridge's new exits and claims,
 *   and proves them itself (chain/self-prover.ts) or leaves them to the coordinator's backup prover.
 * - **Relay** (chain/relayer.ts): other chains' exit roots reach its L2 oracle according to its policy, and L1
 *   checkpoints as network 0.
 * - **Rebuild** (chain/rebuilder.ts): when one of its certificates is rejected, it takes its L2 back and replays it
 *   without the bad roots, then certifies again at the freed heights with the next revision (chain/revisions.ts).
 * - **Resume** (chain/resume.ts): a restart picks up from the state file, reconciled with the L2 and the coordinator.
 * - **Opt-out**: its confirmed certificates are settled directly on L1 (chain/direct-settlement.ts).
 *
 * Its own certificates (chain/own-certificates.ts) and its place on the L2 (chain/l2-position.ts) are shared by
 * these parts; each piece of the state file has one writer, and `persist` puts the pieces together.
 */
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { ExitRootOracle__factory, SettlementHub__factory } from "../typechain-types";
import type { ExitRootOracle } from "../typechain-types";
import { BuiltCertificate, certificateFromJson, revisionOf, CertificateRef } from "../lib";
import type { SignedCertificate } from "../lib";
import { HubFinality } from "./hub-finality";
import { CertificateShape, shapeOf } from "../lib/witness/certificate";
import { enableFastPoseidon } from "../lib/poseidon";
import type { CoordinatorEvent } from "../coordinator/api";
import { createLogger, Logger } from "../coordinator/log";
import { getInstance } from "../zk/registry";
import { ChainConfig, PEER_SIGNED } from "./config";
import { PeerLink, PeerServer, sequencerVerifier } from "./peer";
import { CoordinatorLink } from "./coordinator-link";
import { L2Follower } from "./l2-follower";
import { DirectSettler } from "./direct-settlement";
import { ChainStateStore, STATE_FILE_VERSION } from "./state-file";
import { Certifier } from "./certifier";
import { L2Position } from "./l2-position";
import { OwnCertificate, OwnCertificates } from "./own-certificates";
import { Rebuild, Rebuilder } from "./rebuilder";
import { RelayedRoot, Relayer } from "./relayer";
import { resume, resumeWork } from "./resume";
import { Revisions } from "./revisions";
import { SelfProver } from "./self-prover";
import { SequencerQueue } from "./sequencer-queue";
import { ChainMetrics, MetricsServer, serveMetrics } from "./metrics";

export interface ChainClientEvents {
  /** A certificate was accepted by the coordinator. */
  onSubmitted?(c: BuiltCertificate): void;
  /** A root was posted to this chain's oracle. */
  onRootPosted?(r: { networkId: number; height: bigint; certificateId: bigint; exitRoot: bigint; entryId: bigint; status: string }): void;
  /** A rebuild finished; `failedClaims` are the claim transactions that no longer succeed. */
  onRebuilt?(r: { height: bigint; badSources: string[]; failedClaims: string[] }): void;
}

export class ChainClient {
  readonly l2: JsonRpcProvider;
  readonly sequencer: Wallet;
  private readonly signer: NonceManager;
  private readonly oracle: ExitRootOracle;
  private readonly follower: L2Follower;
  readonly link: CoordinatorLink;
  private readonly direct: DirectSettler | null;
  private readonly store: ChainStateStore;
  private readonly own: OwnCertificates;
  private readonly position: L2Position;
  private readonly revisions: Revisions;
  private readonly prover: SelfProver;
  private readonly relayer: Relayer;
  private readonly certifier: Certifier;
  private readonly rebuilder: Rebuilder;
  private timer: NodeJS.Timeout | null = null;
  private cycle: Promise<void> | null = null;
  private stopped = false;
  private domain: { chainId: bigint; verifyingContract: string } | null = null;
  /** Opt-out chains: L1's own record of finalized certificates (chain/hub-finality.ts). */
  private finality: HubFinality | null = null;
  private peerServer: PeerServer | null = null;
  private peerLink: PeerLink | null = null;
  private peerPort: number | null = null;
  readonly metrics: ChainMetrics;
  private metricsServer: MetricsServer | null = null;

  constructor(readonly config: ChainConfig, readonly log: Logger = createLogger({ level: config.log.level }, `chain-${config.networkId}`), private readonly events: ChainClientEvents = {}) {
    this.l2 = new JsonRpcProvider(config.l2.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.l2.pollingInterval = 100;
    this.sequencer = new Wallet(config.l2.sequencerKey, this.l2);
    this.signer = new NonceManager(this.sequencer);
    this.oracle = ExitRootOracle__factory.connect(config.l2.oracle, this.signer);
    this.follower = new L2Follower(this.l2, config.l2.bridge, config.l2.oracle, config.networkId);
    this.link = new CoordinatorLink(config.coordinator.url, config.coordinator.wsUrl, log);
    const shape = shapeOf(getInstance(config.circuits.certificate).params as unknown as CertificateShape);
    this.direct = config.policy.mode === "optOut" ? new DirectSettler(config, this.link, log.child("direct")) : null;
    this.store = new ChainStateStore(config.stateFile ?? `data/chain-${config.networkId}.json`);

    const persist = () => this.persist();
    const stopped = () => this.stopped;
    const queue = new SequencerQueue();
    const metrics = (this.metrics = new ChainMetrics(config.networkId));
    this.own = new OwnCertificates(config.networkId, this.store.file);
    this.position = new L2Position(this.l2, this.follower);
    this.revisions = new Revisions(this.link, persist);
    this.prover = new SelfProver(config, shape, this.link, log, stopped, metrics);
    this.relayer = new Relayer(config, this.oracle, this.link, queue, log, events, stopped, metrics);
    const parts = { config, log, link: this.link, follower: this.follower, sequencer: this.sequencer, own: this.own, position: this.position, revisions: this.revisions, prover: this.prover, events, metrics, persist, stopped };
    this.rebuilder = new Rebuilder({ ...parts, l2: this.l2, signer: this.signer, oracle: this.oracle, relayer: this.relayer, queue, cycle: () => this.cycle });
    this.certifier = new Certifier({
      ...parts,
      shape,
      domain: () => this.domain!,
      publish: (c) => this.peerServer?.publish(c),
      rebuilding: () => this.rebuilder.busy,
      rebuild: (height, badSources) => this.rebuilder.start(height, badSources),
    });
  }

  get networkId(): number {
    return this.config.networkId;
  }

  get nextHeight(): bigint {
    return this.own.height;
  }

  /** Live certificates of this chain, by id. */
  get certificates(): ReadonlyMap<bigint, OwnCertificate> {
    return this.own.byId;
  }

  /** Finished rebuilds, oldest first (what the operator's log also says). */
  get rebuilds(): Rebuild[] {
    return this.rebuilder.history;
  }

  /** Whether a certificate is written ahead and not yet acknowledged by the coordinator (one at a time). */
  get awaitingAcknowledgement(): boolean {
    return this.own.submitting !== null;
  }

  /** The port of this chain's peer feed, once started (null without one). */
  get peerFeedPort(): number | null {
    return this.peerPort;
  }

  /** The URL of this client's metrics endpoint, once started (null without one: `metrics` not configured). */
  get metricsUrl(): string | null {
    return this.metricsServer?.url ?? null;
  }

  /** Refs of the sources this client will never relay again. */
  get bannedSources(): string[] {
    return this.relayer.bannedSources;
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  /** Set once resume() has restored (or freshly started) the whole state: stop() saves it only then. */
  private resumed = false;

  async start(): Promise<void> {
    await enableFastPoseidon();
    // First: a port that is taken fails the start before the client does anything on the chains.
    if (this.config.metrics) this.metricsServer = await serveMetrics(this.metrics, this.config.metrics.host, this.config.metrics.port);
    const hub = this.config.l1.hub;
    const l1 = new JsonRpcProvider(this.config.l1.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.domain = { chainId: (await l1.getNetwork()).chainId, verifyingContract: hub };
    const sequencers = await this.peerSequencers(l1).finally(() => l1.destroy());
    if (this.config.policy.mode === "optOut") {
      this.finality = new HubFinality(new JsonRpcProvider(this.config.l1.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 }), hub);
      this.relayer.checkFinalityWith(this.finality);
    }
    const rejected = await resume({ networkId: this.networkId, log: this.log, store: this.store, link: this.link, follower: this.follower, own: this.own, position: this.position, relayer: this.relayer, revisions: this.revisions, rebuilder: this.rebuilder, persist: () => this.persist() });
    this.resumed = true;
    await this.startPeering(sequencers);
    this.link.subscribe((e) => this.onCoordinatorEvent(e), () => void this.relayer.catchUp());
    await this.direct?.start();
    resumeWork({ own: this.own, prover: this.prover, direct: this.direct, rebuilder: this.rebuilder }, rejected);
    this.schedule();
    this.log.info("chain client running", { networkId: this.networkId, policy: this.config.policy.mode, proving: this.config.proving.self, nextHeight: this.own.height, stateFile: this.store.file });
  }

  /** The L1-registered sequencers of this chain's peers (peerToPeer): a peer's feed is believed only with their signature. */
  private async peerSequencers(l1: JsonRpcProvider): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (this.config.policy.mode !== "peerToPeer") return out;
    const hub = SettlementHub__factory.connect(this.config.l1.hub, l1);
    for (const p of this.config.policy.peers) {
      const info = await hub.networks(p.networkId);
      if (!info.active) throw new Error(`peer network ${p.networkId} is not an active network on L1`);
      out.set(p.networkId, info.sequencer);
    }
    return out;
  }

  private async startPeering(sequencers: Map<number, string>): Promise<void> {
    if (this.config.peerFeed) {
      this.peerServer = new PeerServer({ host: this.config.peerFeed.host, port: this.config.peerFeed.port, log: this.log.child("peer-feed") });
      this.peerPort = await this.peerServer.start();
      // A certificate written ahead before a stop goes out again to peers too (they drop repeats).
      const submitting = this.own.submitting;
      if (submitting) this.peerServer.publish(certificateFromJson(submitting.certificate) as SignedCertificate);
    }
    if (this.config.policy.mode === "peerToPeer") {
      this.peerLink = new PeerLink({
        peers: this.config.policy.peers,
        verify: sequencerVerifier(this.domain!, sequencers),
        onCertificate: (c, id) => void this.relayer.relay({ networkId: c.networkId, height: c.height, certificateId: id, exitRoot: c.newLocalExitRoot }, PEER_SIGNED),
        log: this.log.child("peers"),
      });
      this.peerLink.start();
    }
  }

  /** The state file, from the parts that own its pieces. */
  private persist(): void {
    const { revisions, abandoning } = this.revisions.stored();
    this.store.save({
      version: STATE_FILE_VERSION,
      networkId: this.networkId,
      startBlock: this.position.startBlock,
      certificates: this.own.stored(),
      submitting: this.own.submitting,
      snapshots: this.position.stored(),
      banned: this.relayer.bannedSources,
      rebuilds: this.rebuilder.stored(),
      revisions,
      abandoning,
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.cycle = this.runCycle().finally(() => {
        this.cycle = null;
        this.schedule();
      });
    }, this.config.batch.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.link.close();
    this.peerLink?.close();
    await this.cycle?.catch(() => undefined);
    await this.rebuilder.settled();
    await this.prover.close();
    await this.direct?.stop();
    await this.peerServer?.close();
    await this.metricsServer?.close();
    this.finality?.close();
    // Only a client that resumed holds the whole state: after a failed restore, what it holds is part of the
    // file, and saving it would drop the rest (the certificates after the failure, the one written ahead).
    if (this.resumed && this.position.startBlock >= 0) this.persist();
    this.l2.destroy();
    this.log.info("chain client stopped");
  }

  private async runCycle(): Promise<void> {
    try {
      if (this.rebuilder.busy) return;
      await this.relayer.relayL1Checkpoints();
      await this.certifier.certify();
    } catch (e) {
      if (!this.stopped) this.log.warn("cycle failed", { error: e as Error });
    }
  }

  /** Reads new blocks, cuts certificates, submits them. */
  certify(): Promise<void> {
    return this.certifier.certify();
  }

  async relay(r: RelayedRoot, status: string): Promise<void> {
    return this.relayer.relay(r, status);
  }

  /**
   * Turns proving of this chain's own certificates off (a lazy or failing prover: the devnet's cascade) or back
   * on, in which case every certificate still waiting for a proof is proven now.
   */
  setProving(on: boolean): void {
    this.prover.setEnabled(on, [...this.own.byId.values()].filter((c) => c.status === "PreConfirmed"));
  }

  // ------------------------------------------------------------------------------------------------ coordinator feed

  /** Other chains' roots go to the relayer; this chain's own status changes to the parts that act on them. */
  private onCoordinatorEvent(e: CoordinatorEvent): void {
    if (e.type === "exitRoot") {
      if (e.networkId !== this.networkId) void this.relayer.relay({ networkId: e.networkId, height: BigInt(e.height), certificateId: BigInt(e.certificateId), exitRoot: BigInt(e.exitRoot) }, e.status);
      return;
    }
    if (e.networkId !== this.networkId) return;
    const own = this.own.byId.get(BigInt(e.certificateId));
    if (!own) return;
    this.own.setStatus(own, e.to);
    if (e.to === "Confirmed") void this.direct?.settle(own.built);
    if (e.to === "Rejected") {
      this.revisions.bump(own.built.certificate.height, revisionOf(own.built.certificate));
      // A queued or running proof of a rejected certificate only delays the ones still wanted.
      this.prover.abort(own.built.certificateId);
      this.rebuilder.onRejected(BigInt(e.height), e.rejection, own.built.certificateId);
    }
  }
}

export type { CertificateRef };
