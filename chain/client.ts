/**
 * The chain client: the process a chain operator runs next to its L2 node (PROTOCOL §2, §8).
 *
 * - **Certificates** (chain/certifier.ts): every `batch.intervalMs` it reads its bridge's new exits and claims (chain/l2-follower.ts),
 *   cuts them into certificates that fit the certificate circuit (exits, imports, dependencies, chains per
 *   certificate, one L1 checkpoint), builds them with the reference model, signs, submits, and proves them
 *   itself (or leaves them to the coordinator's backup prover).
 * - **Relay**: other chains' exit roots reach its L2 oracle according to its policy — pre-confirmed, confirmed
 *   or finalized only (opt-out) — and allow/deny lists; L1 checkpoints are relayed as network 0.
 * - **Rebuild**: when one of its certificates is rejected because of a dependency, it takes its L2 back to the
 *   snapshot at the end of its last good certificate and replays the blocks after it, with the oracle post of the
 *   bad root replaced by a void one (same nonce, root 0): claims against that root now fail and are reported;
 *   everything else happens again. It then submits again at the freed height.
 * - **Opt-out**: its confirmed certificates are settled directly on L1 (chain/direct-settlement.ts).
 *
 * The L2 is a Hardhat node: snapshots (evm_snapshot / evm_revert) are how "take the L2 back" is done locally.
 * A production L2 would re-execute its batches from its own last good block instead.
 */
import { JsonRpcProvider, NonceManager, Transaction, Wallet } from "ethers";
import { ExitRootOracle__factory, SettlementHub__factory } from "../typechain-types";
import type { ExitRootOracle } from "../typechain-types";
import { BuiltCertificate, certificateFromJson, revisionOf, CertificateRef } from "../lib";
import type { SignedCertificate } from "../lib";
import { HubFinality } from "./hub-finality";
import type { CertificateShape } from "../lib/witness/certificate";
import { enableFastPoseidon } from "../lib/poseidon";
import type { CertificateView, CoordinatorEvent, RejectionView } from "../coordinator/api";
import { createLogger, Logger } from "../coordinator/log";
import { getInstance } from "../zk/registry";
import { ChainConfig, PEER_SIGNED } from "./config";
import { PeerLink, PeerServer, sequencerVerifier } from "./peer";
import { CoordinatorLink, RpcError } from "./coordinator-link";
import { L2Follower } from "./l2-follower";
import { DirectSettler } from "./direct-settlement";
import { ChainStateError, ChainStateFile, ChainStateStore, STATE_FILE_VERSION } from "./state-file";
import { SelfProver } from "./self-prover";
import { RelayedRoot, Relayer } from "./relayer";
import { OwnCertificate, OwnCertificates } from "./own-certificates";
import { L2Position } from "./l2-position";
import { Revisions } from "./revisions";
import { Certifier } from "./certifier";
import { SequencerQueue } from "./sequencer-queue";
import { hex, refKey } from "./refs";

interface RejectedOwn {
  height: bigint;
  rejection: RejectionView | null;
}

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
  private readonly prover: SelfProver;
  private readonly certifier: Certifier;
  private readonly direct: DirectSettler | null;
  private readonly own: OwnCertificates;
  private readonly position: L2Position;
  private readonly revisions: Revisions;
  private readonly queue = new SequencerQueue();
  private readonly relayer: Relayer;
  private timer: NodeJS.Timeout | null = null;
  private cycle: Promise<void> | null = null;
  private rebuilding: Promise<void> | null = null;
  private stopped = false;
  /** Finished rebuilds, oldest first (what the operator's log also says). */
  readonly rebuilds: { height: bigint; badSources: string[]; failedClaims: string[]; at: number }[] = [];
  private domain: { chainId: bigint; verifyingContract: string } | null = null;
  private readonly store: ChainStateStore;
  /** Opt-out chains: L1's own record of finalized certificates (chain/hub-finality.ts). */
  private finality: HubFinality | null = null;
  private peerServer: PeerServer | null = null;
  private peerLink: PeerLink | null = null;
  private peerPort: number | null = null;

  constructor(readonly config: ChainConfig, readonly log: Logger = createLogger({ level: config.log.level }, `chain-${config.networkId}`), private readonly events: ChainClientEvents = {}) {
    this.l2 = new JsonRpcProvider(config.l2.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.l2.pollingInterval = 100;
    this.sequencer = new Wallet(config.l2.sequencerKey, this.l2);
    this.signer = new NonceManager(this.sequencer);
    this.oracle = ExitRootOracle__factory.connect(config.l2.oracle, this.signer);
    this.follower = new L2Follower(this.l2, config.l2.bridge, config.l2.oracle, config.networkId);
    this.link = new CoordinatorLink(config.coordinator.url, config.coordinator.wsUrl, log);
    const p = getInstance(config.circuits.certificate).params as Record<string, number>;
    const shape: CertificateShape = { maxImports: p.maxImports, maxExits: p.maxExits, maxDependencies: p.maxDependencies, maxBundles: p.maxBundles };
    this.prover = new SelfProver(config, shape, this.link, log, () => this.stopped);
    this.relayer = new Relayer(config, this.oracle, this.link, this.queue, log, events, () => this.stopped);
    this.direct = config.policy.mode === "optOut" ? new DirectSettler(config, this.link, log.child("direct")) : null;
    this.store = new ChainStateStore(config.stateFile ?? `data/chain-${config.networkId}.json`);
    this.own = new OwnCertificates(config.networkId, this.store.file);
    this.position = new L2Position(this.l2, this.follower);
    this.revisions = new Revisions(this.link, () => this.persist());
    this.certifier = new Certifier({
      config,
      log,
      link: this.link,
      follower: this.follower,
      sequencer: this.sequencer,
      shape,
      own: this.own,
      position: this.position,
      revisions: this.revisions,
      prover: this.prover,
      events,
      domain: () => this.domain!,
      publish: (c) => this.peerServer?.publish(c),
      persist: () => this.persist(),
      stopped: () => this.stopped,
      rebuilding: () => this.rebuilding !== null,
      rebuild: (height, badSources) => this.startRebuild(height, badSources),
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

  // ------------------------------------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    await enableFastPoseidon();
    const hub = this.config.l1.hub;
    const l1 = new JsonRpcProvider(this.config.l1.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.domain = { chainId: (await l1.getNetwork()).chainId, verifyingContract: hub };
    const sequencers = await this.peerSequencers(l1).finally(() => l1.destroy());
    if (this.config.policy.mode === "optOut") {
      this.finality = new HubFinality(new JsonRpcProvider(this.config.l1.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 }), hub);
      this.relayer.checkFinalityWith(this.finality);
    }
    const rejected = await this.resume();
    await this.startPeering(sequencers);
    this.link.subscribe((e) => this.onCoordinatorEvent(e), () => void this.relayer.catchUp());
    await this.direct?.start();
    this.resumeWork(rejected);
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

  /** Whether a certificate is written ahead and not yet acknowledged by the coordinator (one at a time). */
  get awaitingAcknowledgement(): boolean {
    return this.own.submitting !== null;
  }

  /** The port of this chain's peer feed, once started (null without one). */
  get peerFeedPort(): number | null {
    return this.peerPort;
  }

  /**
   * A fresh start (no state file, and the coordinator has no certificate of this network), or a restart from the
   * state file, reconciled with the L2 (the blocks it certified are still there), the oracle (which roots this
   * client relayed) and the coordinator (every live certificate known to it; statuses are read from it).
   * Returns the lowest certificate the coordinator rejected while the client was away.
   */
  private async resume(): Promise<RejectedOwn | null> {
    const saved = this.store.load(this.networkId);
    if (saved) return this.restore(saved);
    const latest = await this.link.call<{ height: string } | null>("getLatestCertificate", { networkId: this.networkId, minStatus: "PreConfirmed" });
    if (latest)
      throw new ChainStateError(this.store.file, `not found, but network ${this.networkId} already has certificates up to height ${BigInt(latest.height)}: start the client with the state file of the run that signed them`);
    await this.position.startFresh();
    this.persist();
    return null;
  }

  private async restore(saved: ChainStateFile): Promise<RejectedOwn | null> {
    this.position.restore(saved.startBlock, saved.snapshots);
    this.relayer.ban(saved.banned);
    this.rebuilds.push(...saved.rebuilds.map((r) => ({ ...r, height: BigInt(r.height) })));
    this.revisions.restore(saved.revisions, saved.abandoning);
    this.own.restore(saved.certificates, saved.submitting);
    this.position.rereadFromStart(this.own.certifiedEvents());
    const last = saved.certificates[saved.certificates.length - 1];
    if (last) {
      const b = await this.follower.block(last.toBlock).catch(() => null);
      if (b?.hash !== last.toBlockHash)
        throw new ChainStateError(this.store.file, `the L2 no longer has block ${last.toBlock} (${last.toBlockHash}) that height ${this.own.height - 1n} certified: was the L2 node reset?`);
    }
    await this.relayer.recoverPosts(this.position.startBlock);
    const rejected = await this.reconcileStatuses();
    this.persist();
    this.log.info("resumed from the state file", { nextHeight: this.own.height, live: this.own.byId.size, submitting: this.own.submitting !== null, rejected: rejected?.height });
    return rejected;
  }

  private async reconcileStatuses(): Promise<RejectedOwn | null> {
    let rejected: RejectedOwn | null = null;
    for (const c of this.own.live()) {
      let v: CertificateView;
      try {
        v = await this.link.call<CertificateView>("getCertificate", { certificateId: hex(c.built.certificateId) });
      } catch (e) {
        if (e instanceof RpcError && e.reason === "UNKNOWN_CERTIFICATE")
          throw new ChainStateError(this.store.file, `the coordinator does not know certificate ${hex(c.built.certificateId)} (height ${c.built.certificate.height}): the file belongs to another deployment`);
        throw e;
      }
      this.own.setStatus(c, v.status);
      if (v.status === "Rejected") this.revisions.bump(c.built.certificate.height, revisionOf(c.built.certificate));
      if (v.status === "Rejected" && !rejected) rejected = { height: c.built.certificate.height, rejection: v.rejection };
    }
    return rejected;
  }

  /** What a restart picks up: proofs still owed, direct settlements, a rebuild for a rejection missed while away. */
  private resumeWork(rejected: RejectedOwn | null): void {
    for (const c of this.own.byId.values()) {
      if (c.status === "PreConfirmed" && this.prover.enabled) void this.prover.prove(c.built, c.prev);
      if (c.status === "Confirmed") void this.direct?.settle(c.built);
    }
    if (rejected) this.onOwnRejected(rejected.height, rejected.rejection);
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
      rebuilds: this.rebuilds.map((r) => ({ ...r, height: r.height.toString() })),
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
    await this.rebuilding?.catch(() => undefined);
    await this.prover.close();
    await this.direct?.stop();
    await this.peerServer?.close();
    this.finality?.close();
    if (this.position.startBlock >= 0) this.persist();
    this.l2.destroy();
    this.log.info("chain client stopped");
  }

  private async runCycle(): Promise<void> {
    try {
      if (this.rebuilding) return;
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

  /**
   * Turns proving of this chain's own certificates off (a lazy or failing prover: the devnet's cascade) or back
   * on, in which case every certificate still waiting for a proof is proven now.
   */
  setProving(on: boolean): void {
    this.prover.setEnabled(on, [...this.own.byId.values()].filter((c) => c.status === "PreConfirmed"));
  }

  // ------------------------------------------------------------------------------------------------ coordinator feed, relay

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
      this.onOwnRejected(BigInt(e.height), e.rejection);
    }
  }

  private onOwnRejected(height: bigint, rejection: RejectionView | null): void {
    if (!rejection) return;
    // A dependency's fault: rebuild without it. Its own missing proof: rebuild as it was (new blocks, new
    // certificate ids) and submit again. Later heights are rejected with it and rebuilt by the same pass.
    if (rejection.code === "DEPENDENCY_REJECTED" || rejection.code === "BUNDLE_FAILED") this.startRebuild(height, rejection.cause ? [refKey(rejection.cause)] : []);
    else if (rejection.code === "PROOF_TIMEOUT") this.startRebuild(height, []);
  }

  async relay(r: RelayedRoot, status: string): Promise<void> {
    return this.relayer.relay(r, status);
  }

  // ------------------------------------------------------------------------------------------------ rebuild

  private startRebuild(height: bigint, badSources: string[]): void {
    if (this.rebuilding || this.stopped) return;
    this.rebuilding = this.rebuild(height, badSources)
      .catch((e) => this.log.error("rebuild failed", { error: e as Error }))
      .finally(() => (this.rebuilding = null));
  }

  /** Takes the L2 back to the end of certificate `height - 1` and replays what followed without the bad roots. */
  private async rebuild(height: bigint, badSources: string[]): Promise<void> {
    await this.cycle?.catch(() => undefined);
    await this.queue.run(async () => {
      // Every relayed root whose certificate is now rejected goes, not only the one this rejection names: a
      // cascade rejects several at once, and one rebuild replaces all of this chain's certificates from `height`.
      for (const k of this.relayer.posted) {
        const [networkId, , certificateId] = k.split("/");
        if (networkId === "0" || badSources.includes(k)) continue;
        const v = await this.link.call<{ status: string }>("getCertificate", { certificateId: hex(BigInt(certificateId)) }).catch(() => null);
        if (v?.status === "Rejected") badSources.push(k);
      }
      this.relayer.ban(badSources);
      // The latest snapshot at or before the end of height - 1; certificates between it and `height` were
      // accepted, so their events come back in the replay and are skipped (they are already certified).
      const snap = this.position.snapshotBefore(height);
      const head = await this.follower.head();
      const txs = await this.blockTransactions(snap.block + 1, head);
      await this.position.revertTo(snap);
      this.signer.reset();
      const voidTx = new Set(badSources.map((b) => this.relayer.postTxOf(b)).filter((x): x is string => !!x));
      const failedClaims: string[] = [];
      // A marker transaction first: the rebuilt blocks then never reproduce a rejected certificate byte for byte
      // (an identical certificate has the rejected one's id). The sequencer's own transactions are re-signed
      // with the nonces that follow it; everyone else's are replayed as they were signed.
      const me = this.sequencer.address.toLowerCase();
      let nonce = await this.l2.getTransactionCount(this.sequencer.address, "latest");
      await (await this.sequencer.sendTransaction({ to: this.sequencer.address, value: 0n, nonce: nonce++ })).wait();
      for (const tx of txs) {
        const mine = tx.from!.toLowerCase() === me;
        // Another sender's nonce already taken: that transaction (or a newer one of its sender) is in the chain.
        if (!mine && (await this.l2.getTransactionCount(tx.from!, "latest")) > tx.nonce) continue;
        const raw = mine ? await this.resign(tx, nonce++, voidTx.has(tx.hash!)) : tx.serialized;
        try {
          const sent = await this.l2.broadcastTransaction(raw);
          this.relayer.replayed(tx.hash!, sent.hash);
          const rc = await this.l2.waitForTransaction(sent.hash);
          if (rc?.status === 0 && tx.to?.toLowerCase() === this.config.l2.bridge.toLowerCase()) failedClaims.push(tx.hash!);
        } catch (e) {
          // Hardhat's automine answers a reverting transaction with an error (it is mined, and fails).
          const toBridge = tx.to?.toLowerCase() === this.config.l2.bridge.toLowerCase();
          if (toBridge && /revert/i.test(String((e as Error).message))) failedClaims.push(tx.hash!);
          else this.log.warn("replay: transaction not re-included", { tx: tx.hash, error: e as Error });
        }
      }
      this.signer.reset();
      // Back to the state after height - 1. The replaced certificates were rejected by the layer (the cascade is
      // done before the rebuild starts): their proofs are not wanted and their revisions are spent.
      for (const c of this.own.rewind(height)) {
        this.prover.abort(c.built.certificateId);
        this.revisions.bump(c.built.certificate.height, revisionOf(c.built.certificate));
      }
      this.position.restartAfter(snap, this.own.certifiedEvents(snap.afterHeight));
      this.log.warn("rebuilt: claims against rejected roots no longer succeed", { height, badSources, failedClaims, replayed: txs.length });
      this.rebuilds.push({ height, badSources, failedClaims, at: Date.now() });
      this.persist();
      this.events.onRebuilt?.({ height, badSources, failedClaims });
    });
  }

  private async blockTransactions(from: number, to: number): Promise<Transaction[]> {
    const out: Transaction[] = [];
    for (let b = from; b <= to; b++) {
      const block = await this.l2.getBlock(b, true);
      for (const t of block?.prefetchedTransactions ?? []) out.push(Transaction.from(t as unknown as Parameters<typeof Transaction.from>[0]));
    }
    return out;
  }

  /**
   * One of the sequencer's own transactions, signed again with `nonce`. `voided`: an oracle post of a rejected
   * root becomes a post of root 0 — entry ids stay where they were, the bad root is gone, claims against it fail.
   */
  private async resign(tx: Transaction, nonce: number, voided: boolean): Promise<string> {
    let data = tx.data;
    if (voided) {
      const call = this.oracle.interface.parseTransaction({ data: tx.data })!;
      data = this.oracle.interface.encodeFunctionData("postExitRoot", [call.args[0], call.args[1], call.args[2], 0n]);
    }
    const replacement = Transaction.from({ type: tx.type, chainId: tx.chainId, nonce, to: tx.to, data, value: tx.value, gasLimit: tx.gasLimit, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas, gasPrice: tx.type === 2 ? null : tx.gasPrice });
    return this.sequencer.signTransaction(replacement);
  }

  /** Refs of the sources this client will never relay again. */
  get bannedSources(): string[] {
    return this.relayer.bannedSources;
  }
}

export type { CertificateRef };
