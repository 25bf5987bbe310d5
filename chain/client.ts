/**
 * The chain client: the process a chain operator runs next to its L2 node (PROTOCOL §2, §8).
 *
 * - **Certificates**: every `batch.intervalMs` it reads its bridge's new exits and claims (chain/l2-follower.ts),
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
import type { TransactionResponse } from "ethers";
import { ExitRootOracle__factory } from "../typechain-types";
import type { ExitRootOracle } from "../typechain-types";
import { buildCertificate, BuiltCertificate, certificateToJson, signCertificate, NetworkState, CertificateRef, ImportedExit, ExitLeaf } from "../lib";
import type { CertificateShape } from "../lib/witness/certificate";
import { certificateWitness, circuitInputToJson } from "../lib/witness/certificate";
import { enableFastPoseidon } from "../lib/poseidon";
import { DEVNET_PARAMS } from "../lib/global-state";
import type { CoordinatorEvent } from "../coordinator/api";
import { createLogger, Logger } from "../coordinator/log";
import { ProverPool } from "../coordinator/prover/pool";
import { getInstance } from "../scripts/circuits/registry";
import { accepts, ChainConfig } from "./config";
import { CoordinatorLink, RpcError } from "./coordinator-link";
import { BridgeEvent, L2Follower } from "./l2-follower";
import { DirectSettler } from "./direct-settlement";

const refKey = (r: { networkId: number; height: bigint | string; certificateId: bigint | string }) => `${r.networkId}/${BigInt(r.height)}/${BigInt(r.certificateId)}`;
const hex = (x: bigint) => "0x" + x.toString(16);

interface OwnCertificate {
  built: BuiltCertificate;
  prev: NetworkState;
  /** Last L2 block its events came from. */
  toBlock: number;
  status: string;
}

interface Snapshot {
  /** The certificate height this snapshot ends (the state after it). */
  afterHeight: bigint;
  block: number;
  id: string;
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
  private pool: ProverPool | null;
  private provingOn: boolean;
  private readonly proving = new Set<bigint>();
  private readonly shape: CertificateShape;
  private readonly direct: DirectSettler | null;
  private state: NetworkState;
  private height = 0n;
  private cursor = -1;
  private pending: BridgeEvent[] = [];
  /** After a rebuild from an earlier snapshot: events already in accepted certificates, to skip once re-read. */
  private skipEvents = 0;
  readonly certificates = new Map<bigint, OwnCertificate>();
  private readonly snapshots: Snapshot[] = [];
  /** Roots posted to the oracle (dedupe), and roots that must never be posted again (rejected sources). */
  private readonly posted = new Set<string>();
  private readonly banned = new Set<string>();
  private readonly postTxs = new Map<string, string>();
  private readonly postKeyByTx = new Map<string, string>();
  private sendLock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private cycle: Promise<void> | null = null;
  private rebuilding: Promise<void> | null = null;
  private stopped = false;
  private l1Cursor = -1;
  /** Finished rebuilds, oldest first (what the operator's log also says). */
  readonly rebuilds: { height: bigint; badSources: string[]; failedClaims: string[]; at: number }[] = [];
  private domain: { chainId: bigint; verifyingContract: string } | null = null;

  constructor(readonly config: ChainConfig, readonly log: Logger = createLogger({ level: config.log.level }, `chain-${config.networkId}`), private readonly events: ChainClientEvents = {}) {
    this.l2 = new JsonRpcProvider(config.l2.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.l2.pollingInterval = 100;
    this.sequencer = new Wallet(config.l2.sequencerKey, this.l2);
    this.signer = new NonceManager(this.sequencer);
    this.oracle = ExitRootOracle__factory.connect(config.l2.oracle, this.signer);
    this.follower = new L2Follower(this.l2, config.l2.bridge, config.l2.oracle, config.networkId);
    this.link = new CoordinatorLink(config.coordinator.url, config.coordinator.wsUrl, log);
    this.provingOn = config.proving.self;
    this.pool = null;
    const p = getInstance(config.circuits.certificate).params as Record<string, number>;
    this.shape = { maxImports: p.maxImports, maxExits: p.maxExits, maxDependencies: p.maxDependencies, maxBundles: p.maxBundles };
    this.state = new NetworkState(config.networkId, DEVNET_PARAMS);
    this.direct = config.policy.mode === "optOut" ? new DirectSettler(config, this.link, log.child("direct")) : null;
  }

  get networkId(): number {
    return this.config.networkId;
  }

  get nextHeight(): bigint {
    return this.height;
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    await enableFastPoseidon();
    const hub = this.config.l1.hub;
    const l1 = new JsonRpcProvider(this.config.l1.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.domain = { chainId: (await l1.getNetwork()).chainId, verifyingContract: hub };
    l1.destroy();
    await this.resume();
    this.link.subscribe((e) => this.onCoordinatorEvent(e), () => void this.catchUp());
    await this.direct?.start();
    this.schedule();
    this.log.info("chain client running", { networkId: this.networkId, policy: this.config.policy.mode, proving: this.config.proving.self, nextHeight: this.height });
  }

  /** A fresh start only: a chain that already has certificates at the coordinator is refused (restart is not supported yet). */
  private async resume(): Promise<void> {
    const latest = await this.link.call<{ height: string } | null>("getLatestCertificate", { networkId: this.networkId, minStatus: "PreConfirmed" }).catch(() => null);
    if (!latest) {
      this.cursor = (await this.follower.head());
      await this.takeSnapshot(-1n, this.cursor);
      return;
    }
    throw new Error(`network ${this.networkId} already has certificates up to height ${BigInt(latest.height)}: resuming a chain client from a previous run is not supported yet`);
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
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.link.close();
    await this.cycle?.catch(() => undefined);
    await this.rebuilding?.catch(() => undefined);
    await this.pool?.close();
    await this.direct?.stop();
    this.l2.destroy();
    this.log.info("chain client stopped");
  }

  private async runCycle(): Promise<void> {
    try {
      if (this.rebuilding) return;
      await this.relayL1Checkpoints();
      await this.certify();
    } catch (e) {
      if (!this.stopped) this.log.warn("cycle failed", { error: e as Error });
    }
  }

  // ------------------------------------------------------------------------------------------------ certificates

  /** Reads new blocks, cuts certificates, submits them. */
  async certify(): Promise<void> {
    const head = await this.follower.head();
    if (head > this.cursor) {
      const events = await this.follower.events(this.cursor + 1, head);
      const skipped = events.splice(0, Math.min(this.skipEvents, events.length));
      this.skipEvents -= skipped.length;
      this.pending.push(...events);
      this.cursor = head;
    }
    while (this.pending.length > 0 && !this.stopped && !this.rebuilding) {
      const chunk = this.cut();
      const ok = await this.submit(chunk);
      if (!ok) return;
      this.pending.splice(0, chunk.length);
    }
  }

  /** The longest prefix of pending events that fits one certificate. */
  private cut(): BridgeEvent[] {
    const s = this.shape;
    let exits = 0;
    let imports = 0;
    const deps = new Set<string>();
    const chains = new Set<number>();
    let l1Checkpoint: bigint | null = null;
    const out: BridgeEvent[] = [];
    for (const e of this.pending) {
      if (e.kind === "exit") {
        if (exits + 1 > s.maxExits) break;
        exits++;
      } else {
        const src = e.import.source;
        if (imports + 1 > s.maxImports) break;
        if (src.networkId === 0) {
          if (l1Checkpoint !== null && l1Checkpoint !== src.height) break;
          l1Checkpoint = src.height;
        } else {
          const k = refKey(src);
          const newDeps = deps.has(k) ? deps.size : deps.size + 1;
          const newChains = chains.has(src.networkId) ? chains.size : chains.size + 1;
          if (newDeps > s.maxDependencies || newChains > this.config.policy.maxChainsPerCertificate) break;
          deps.add(k);
          chains.add(src.networkId);
        }
        imports++;
      }
      out.push(e);
    }
    if (out.length === 0) throw new Error("a single bridge event does not fit the certificate circuit");
    return out;
  }

  private async submit(chunk: BridgeEvent[]): Promise<boolean> {
    const prev = this.state;
    const lastBlock = chunk[chunk.length - 1].block;
    const imports: ImportedExit[] = chunk.flatMap((e) => (e.kind === "import" ? [e.import] : []));
    const exits: ExitLeaf[] = chunk.flatMap((e) => (e.kind === "exit" ? [e.exit.leaf] : []));
    const built = buildCertificate(prev, { height: this.height, newStateRoot: await this.follower.stateRoot(lastBlock), imports, exits });
    const signed = await signCertificate(this.sequencer, this.domain!, built.certificate);
    try {
      await this.link.call("submitCertificate", { certificate: certificateToJson(signed) });
    } catch (e) {
      if (e instanceof RpcError && ["DEPENDENCY_REJECTED", "UNKNOWN_DEPENDENCY", "IMPORT_ROOT_MISMATCH"].includes(e.reason)) {
        const bad = imports.filter((m) => m.source.networkId !== 0).map((m) => refKey(m.source));
        this.log.warn("certificate refused because of a dependency: rebuilding", { height: this.height, reason: e.reason, sources: bad });
        this.startRebuild(this.height, bad);
        return false;
      }
      this.log.warn("submission failed; will retry", { height: this.height, error: e as Error });
      return false;
    }
    this.certificates.set(built.certificateId, { built, prev, toBlock: lastBlock, status: "PreConfirmed" });
    this.state = built.transition.state;
    this.height++;
    if (this.pending.length === chunk.length) await this.takeSnapshot(built.certificate.height, this.cursor);
    this.log.info("certificate submitted", { height: built.certificate.height, certificateId: hex(built.certificateId), exits: exits.length, imports: imports.length });
    this.events.onSubmitted?.(built);
    if (this.provingOn) void this.prove(built, prev);
    return true;
  }

  /**
   * Turns proving of this chain's own certificates off (a lazy or failing prover: the devnet's cascade) or back
   * on, in which case every certificate still waiting for a proof is proven now.
   */
  setProving(on: boolean): void {
    this.provingOn = on;
    if (!on) return;
    for (const c of this.certificates.values()) if (c.status === "PreConfirmed") void this.prove(c.built, c.prev);
  }

  private async prove(built: BuiltCertificate, prev: NetworkState): Promise<void> {
    if (this.proving.has(built.certificateId) || this.stopped) return;
    this.proving.add(built.certificateId);
    this.pool ??= new ProverPool({ workers: this.config.proving.workers, log: this.log.child("prover") });
    try {
      const input = circuitInputToJson(certificateWitness(prev, built, this.shape) as unknown as Record<string, unknown>);
      const r = await this.pool.prove({ instance: this.config.circuits.certificate, input });
      await this.link.call("submitProof", { certificateId: hex(built.certificateId), proof: r.proof, publicSignals: r.publicSignals });
      this.log.info("proof submitted", { height: built.certificate.height, ms: Math.round(r.ms) });
    } catch (e) {
      if (!this.stopped) this.log.warn("proving failed", { height: built.certificate.height, error: e as Error });
    } finally {
      this.proving.delete(built.certificateId);
    }
  }

  private async takeSnapshot(afterHeight: bigint, block: number): Promise<void> {
    const id = (await this.l2.send("evm_snapshot", [])) as string;
    this.snapshots.push({ afterHeight, block, id });
  }

  // ------------------------------------------------------------------------------------------------ relay

  private onCoordinatorEvent(e: CoordinatorEvent): void {
    if (e.type === "exitRoot") {
      if (e.networkId !== this.networkId) void this.relay({ networkId: e.networkId, height: BigInt(e.height), certificateId: BigInt(e.certificateId), exitRoot: BigInt(e.exitRoot) }, e.status);
      return;
    }
    if (e.networkId !== this.networkId) return;
    const own = this.certificates.get(BigInt(e.certificateId));
    if (!own) return;
    own.status = e.to;
    if (e.to === "Confirmed") void this.direct?.settle(own.built);
    if (e.to === "Rejected" && e.rejection) {
      // A dependency's fault: rebuild without it. Its own missing proof: rebuild as it was (new blocks, new
      // certificate ids) and submit again. Later heights are rejected with it and rebuilt by the same pass.
      if (e.rejection.code === "DEPENDENCY_REJECTED" || e.rejection.code === "BUNDLE_FAILED") this.startRebuild(BigInt(e.height), e.rejection.cause ? [refKey(e.rejection.cause)] : []);
      else if (e.rejection.code === "PROOF_TIMEOUT") this.startRebuild(BigInt(e.height), []);
    }
  }

  /** After a (re)connection: relay what the policy accepts from every network's latest certificate. */
  private async catchUp(): Promise<void> {
    for (let n = 1; n < 2 ** DEVNET_PARAMS.networkBits; n++) {
      if (n === this.networkId) continue;
      for (const status of ["Finalized", "Confirmed", "PreConfirmed"]) {
        const c = await this.link.call<{ networkId: number; height: string; certificateId: string; newLocalExitRoot: string; status: string } | null>("getLatestCertificate", { networkId: n, minStatus: status }).catch(() => null);
        if (c) await this.relay({ networkId: n, height: BigInt(c.height), certificateId: BigInt(c.certificateId), exitRoot: BigInt(c.newLocalExitRoot) }, c.status);
      }
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.sendLock.then(fn, fn);
    this.sendLock = run.catch(() => undefined);
    return run;
  }

  async relay(r: { networkId: number; height: bigint; certificateId: bigint; exitRoot: bigint }, status: string): Promise<void> {
    const k = refKey(r);
    if (this.posted.has(k) || this.banned.has(k) || !accepts(this.config.policy, r.networkId, status)) return;
    this.posted.add(k);
    try {
      await this.exclusive(async () => {
        const tx: TransactionResponse = await this.oracle.postExitRoot(r.networkId, r.height, r.certificateId, r.exitRoot);
        this.postTxs.set(k, tx.hash);
        this.postKeyByTx.set(tx.hash, k);
        const rc = await tx.wait();
        const entryId = rc!.logs.map((l) => this.oracle.interface.parseLog(l)).find((x) => x?.name === "ExitRootPosted")!.args.entryId as bigint;
        this.log.info("root relayed", { source: r.networkId, height: r.height, status, entryId });
        this.events.onRootPosted?.({ ...r, entryId, status });
      });
    } catch (e) {
      this.posted.delete(k);
      if (!this.stopped) this.log.warn("relay failed", { source: r.networkId, error: e as Error });
    }
  }

  /** L1 exit-root checkpoints are relayed as network 0 (height = checkpoint number, certificate id 0). */
  private async relayL1Checkpoints(): Promise<void> {
    const l1 = new JsonRpcProvider(this.config.l1.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const { UnifiedBridge__factory } = await import("../typechain-types");
      const bridge = UnifiedBridge__factory.connect(this.config.l1.bridge, l1);
      const head = await l1.getBlockNumber();
      if (head <= this.l1Cursor) return;
      const logs = await bridge.queryFilter(bridge.filters.ExitRootCheckpointed(), this.l1Cursor + 1, head);
      this.l1Cursor = head;
      const latest = logs[logs.length - 1];
      // Only the latest matters: a claim proves against any root that contains its leaf.
      if (latest) await this.relay({ networkId: 0, height: latest.args.number, certificateId: 0n, exitRoot: latest.args.exitRoot }, "Finalized");
    } finally {
      l1.destroy();
    }
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
    await this.exclusive(async () => {
      // Every relayed root whose certificate is now rejected goes, not only the one this rejection names: a
      // cascade rejects several at once, and one rebuild replaces all of this chain's certificates from `height`.
      for (const k of this.posted) {
        const [networkId, , certificateId] = k.split("/");
        if (networkId === "0" || badSources.includes(k)) continue;
        const v = await this.link.call<{ status: string }>("getCertificate", { certificateId: hex(BigInt(certificateId)) }).catch(() => null);
        if (v?.status === "Rejected") badSources.push(k);
      }
      for (const b of badSources) this.banned.add(b);
      // The latest snapshot at or before the end of height - 1; certificates between it and `height` were
      // accepted, so their events come back in the replay and are skipped (they are already certified).
      const snap = [...this.snapshots].reverse().find((s) => s.afterHeight <= height - 1n);
      if (!snap) throw new Error(`no L2 snapshot at or before the end of height ${height - 1n}`);
      const head = await this.follower.head();
      const txs = await this.blockTransactions(snap.block + 1, head);
      await this.l2.send("evm_revert", [snap.id]);
      this.snapshots.splice(this.snapshots.indexOf(snap));
      // A snapshot can be reverted to once: take it again at once, before the replay adds blocks.
      await this.takeSnapshot(snap.afterHeight, snap.block);
      this.signer.reset();
      const voidTx = new Set(badSources.map((b) => this.postTxs.get(b)).filter((x): x is string => !!x));
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
          const postKey = this.postKeyByTx.get(tx.hash!);
          if (postKey) {
            this.postTxs.set(postKey, sent.hash);
            this.postKeyByTx.set(sent.hash, postKey);
          }
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
      // Back to the state after height - 1.
      const mine = [...this.certificates.values()].filter((c) => c.built.certificate.height >= height);
      const first = mine.sort((a, b) => Number(a.built.certificate.height - b.built.certificate.height))[0];
      if (first) this.state = first.prev;
      for (const c of mine) this.certificates.delete(c.built.certificateId);
      const kept = [...this.certificates.values()].filter((c) => c.built.certificate.height > snap.afterHeight);
      this.skipEvents = kept.reduce((n, c) => n + c.built.certificate.bridgeExits.length + c.built.certificate.importedExits.length, 0);
      this.height = height;
      this.cursor = snap.block;
      this.pending = [];
      this.log.warn("rebuilt: claims against rejected roots no longer succeed", { height, badSources, failedClaims, replayed: txs.length });
      this.rebuilds.push({ height, badSources, failedClaims, at: Date.now() });
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
    return [...this.banned];
  }
}

export type { CertificateRef };
