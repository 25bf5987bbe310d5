/**
 * Rebuilds after a rejection. When one of this chain's certificates is rejected because of a dependency (or its
 * own missing proof), the L2 goes back to the snapshot at the end of its last good certificate and the blocks after
 * it are replayed, with the oracle posts of bad roots replaced by void ones (same nonce, root 0): claims against
 * those roots now fail and are reported; everything else happens again. The replaced certificates' revisions are
 * spent, so the certifier then submits at the freed heights with the next revision, which the layer licenses.
 *
 * The L2 is a Hardhat node: snapshots (evm_snapshot / evm_revert) are how "take the L2 back" is done locally.
 * A production L2 would re-execute its batches from its own last good block instead. The only writer of
 * `rebuilds` in the state file.
 */
import { Transaction } from "ethers";
import type { JsonRpcProvider, NonceManager, TransactionReceipt, Wallet } from "ethers";
import type { ExitRootOracle } from "../typechain-types";
import { revisionOf } from "../lib";
import type { RejectionView } from "../coordinator/api";
import type { Logger } from "../coordinator/log";
import type { ChainConfig } from "./config";
import type { CoordinatorLink } from "./coordinator-link";
import type { L2Follower } from "./l2-follower";
import type { L2Position, Snapshot } from "./l2-position";
import type { OwnCertificates } from "./own-certificates";
import type { Relayer } from "./relayer";
import type { Revisions } from "./revisions";
import type { SelfProver } from "./self-prover";
import type { SequencerQueue } from "./sequencer-queue";
import type { ChainClientEvents } from "./client";
import type { ChainMetrics } from "./metrics";
import { hex, refKey } from "./refs";
import { isConnectionError } from "./rpc-errors";

export interface Rebuild {
  height: bigint;
  badSources: string[];
  failedClaims: string[];
  at: number;
  /** What was replayed (absent in state files written before it was recorded). */
  replay?: ReplayRecord;
}

/** A rebuild's replay, for the operator: where it started and what did not come back as it was. */
export interface ReplayRecord {
  /** The snapshot's certificate height (the state after it) and L2 block. */
  fromHeight: string;
  fromBlock: number;
  transactions: number;
  /** Other senders' transactions whose nonce was taken by the time they came up (a newer one of theirs is in). */
  skipped: string[];
  /** Transactions the L2 refused in the replay (not a reverting claim: those are failedClaims). */
  notReincluded: string[];
}

export interface RebuilderParts {
  config: ChainConfig;
  log: Logger;
  link: CoordinatorLink;
  l2: JsonRpcProvider;
  follower: L2Follower;
  sequencer: Wallet;
  /** The sequencer's nonce manager (the relayer's posts): reset around the replay, which signs its own nonces. */
  signer: NonceManager;
  oracle: ExitRootOracle;
  own: OwnCertificates;
  position: L2Position;
  relayer: Relayer;
  revisions: Revisions;
  prover: SelfProver;
  queue: SequencerQueue;
  events: Pick<ChainClientEvents, "onRebuilt">;
  metrics: ChainMetrics;
  /** The certification cycle in progress, if any: a rebuild starts after it. */
  cycle(): Promise<void> | null;
  persist(): void;
  stopped(): boolean;
}

/** A rebuild under way: what to replay and how far it got (a rebuild interrupted by an L2 error resumes here). */
interface Replay {
  height: bigint;
  badSources: string[];
  snap: Snapshot;
  txs: Transaction[];
  /** The last L2 block `txs` were read from. */
  lastBlock: number;
  voidTx: Set<string>;
  /** Whether the L2 is back at `snap` (the revert is done once; the replay only moves forward from there). */
  reverted: boolean;
  /** The sequencer's next nonce in the replay (the marker's first). */
  nonce: number;
  /** The marker transaction, signed once (a resumed replay sends the same one). */
  marker: string | null;
  markerSent: boolean;
  /** Index in `txs` of the next transaction to replay. */
  next: number;
  failedClaims: string[];
  skipped: string[];
  notReincluded: string[];
}

/** A rejection waiting for the rebuild in progress. */
interface Request {
  height: bigint;
  badSources: string[];
  /** The rejected certificate, if known: the request lapses when the running rebuild replaces it. */
  certificateId?: bigint;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export class Rebuilder {
  /** Finished rebuilds, oldest first (what the operator's log also says). */
  readonly history: Rebuild[] = [];
  private running: Promise<void> | null = null;
  private waiting: Request[] = [];

  constructor(private readonly p: RebuilderParts) {}

  /** Whether a rebuild is in progress (nothing is certified meanwhile). */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Settles when the rebuild in progress, if any, is done. */
  async settled(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** From the state file. */
  restore(rebuilds: { height: string; badSources: string[]; failedClaims: string[]; at: number; replay?: ReplayRecord }[]): void {
    this.history.push(...rebuilds.map((r) => ({ ...r, height: BigInt(r.height) })));
  }

  /** Their part of the state file. */
  stored(): { height: string; badSources: string[]; failedClaims: string[]; at: number; replay?: ReplayRecord }[] {
    return this.history.map((r) => ({ ...r, height: r.height.toString() }));
  }

  /** The layer rejected this chain's certificate at `height` (`certificateId`, if known). */
  onRejected(height: bigint, rejection: RejectionView | null, certificateId?: bigint): void {
    if (!rejection) return;
    // A dependency's fault: rebuild without it. Its own missing proof: rebuild as it was (new blocks, new
    // certificate ids) and submit again. Later heights are rejected with it and rebuilt by the same pass.
    if (rejection.code === "DEPENDENCY_REJECTED" || rejection.code === "BUNDLE_FAILED") this.start(height, rejection.cause ? [refKey(rejection.cause)] : [], certificateId);
    else if (rejection.code === "PROOF_TIMEOUT") this.start(height, [], certificateId);
  }

  /**
   * Rebuilds from `height` without `badSources` (refKeys). While a rebuild runs, the request waits, and runs after
   * it unless that rebuild replaced the rejected certificate (the same cascade's later heights).
   */
  start(height: bigint, badSources: string[], certificateId?: bigint): void {
    if (this.p.stopped()) return;
    if (this.running) {
      this.waiting.push({ height, badSources, certificateId });
      return;
    }
    this.running = this.rebuild(height, badSources)
      .catch((e) => this.p.log.error("rebuild failed", { error: e as Error }))
      .finally(() => {
        this.running = null;
        this.startWaiting();
      });
  }

  /** The earliest waiting request still about a live certificate, with every waiting request's bad sources. */
  private startWaiting(): void {
    const live = this.waiting.filter((r) => r.certificateId === undefined || this.p.own.byId.has(r.certificateId));
    const bad = [...new Set(this.waiting.flatMap((r) => r.badSources))];
    this.waiting = [];
    if (live.length === 0) return;
    const first = live.reduce((a, b) => (b.height < a.height ? b : a));
    this.start(first.height, bad);
  }

  /** The L2 block of the earliest post of any of `keys` this client made (Infinity if none). */
  private async firstPostBlock(keys: readonly string[]): Promise<number> {
    let first = Infinity;
    for (const k of keys) {
      const tx = this.p.relayer.postTxOf(k);
      const rc = tx ? await this.p.l2.getTransactionReceipt(tx) : null;
      if (rc) first = Math.min(first, rc.blockNumber);
    }
    return first;
  }

  /**
   * Takes the L2 back to the end of certificate `height - 1` and replays what followed without the bad roots. An L2
   * error (an overloaded node, a lost answer) interrupts an attempt; the next one resumes where it stopped: before
   * the revert it starts over (nothing changed yet), after it the replay goes on from the first transaction not
   * known to be re-included. It tries until it is done or the client stops.
   */
  private async rebuild(height: bigint, badSources: string[]): Promise<void> {
    await this.p.cycle()?.catch(() => undefined);
    let replay: Replay | null = null;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.p.queue.run(async () => {
          replay ??= await this.plan(height, [...badSources]);
          await this.replay(replay);
          this.finish(replay);
        });
        return;
      } catch (e) {
        if (this.p.stopped()) throw e;
        const r = replay as Replay | null;
        this.p.log.warn("rebuild interrupted by an L2 error: trying again", { height, attempt, reverted: r?.reverted ?? false, replayed: r?.next ?? 0, error: e as Error });
        await new Promise((res) => setTimeout(res, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  /** What a rebuild from `height` replays (reads only: the L2 is not changed yet). */
  private async plan(height: bigint, badSources: string[]): Promise<Replay> {
    const { position, relayer, log } = this.p;
    // Every relayed root whose certificate is now rejected goes, not only the one this rejection names: a
    // cascade rejects several at once, and one rebuild replaces all of this chain's certificates from `height`.
    for (const k of relayer.posted) {
      const [networkId, , certificateId] = k.split("/");
      if (networkId === "0" || badSources.includes(k)) continue;
      const v = await this.p.link.call<{ status: string }>("getCertificate", { certificateId: hex(BigInt(certificateId)) }).catch(() => null);
      if (v?.status === "Rejected") badSources.push(k);
    }
    // The latest snapshot at or before the end of height - 1 that precedes every post of a bad root (a post can
    // land after a certificate's last event and before the snapshot taken at the head: reverting to that snapshot
    // would keep the root, and a claim against it would replay successfully). Certificates between the snapshot
    // and `height` were accepted, so their events come back in the replay and are skipped (already certified).
    const firstBadPost = await this.firstPostBlock(badSources);
    const snap = position.snapshotBefore(height, firstBadPost) ?? position.snapshotBefore(height);
    if (!snap) throw new Error(`no L2 snapshot at or before the end of height ${height - 1n}`);
    if (snap.block >= firstBadPost) log.warn("rebuild: no snapshot precedes a rejected root's post; that post stays on the L2", { height, firstBadPost });
    const head = await this.p.follower.head();
    const txs = await this.blockTransactions(snap.block + 1, head);
    const voidTx = new Set(badSources.map((b) => relayer.postTxOf(b)).filter((x): x is string => !!x));
    return { height, badSources, snap, txs, lastBlock: head, voidTx, reverted: false, nonce: 0, marker: null, markerSent: false, next: 0, failedClaims: [], skipped: [], notReincluded: [] };
  }

  /** Reverts to the replay's snapshot (once), then replays from its first transaction not re-included yet. */
  private async replay(r: Replay): Promise<void> {
    const { l2, sequencer, signer, position, relayer, log } = this.p;
    relayer.ban(r.badSources);
    if (!r.reverted) {
      // Users' transactions keep arriving until the revert: read the blocks since the plan, just before it.
      const head = await this.p.follower.head();
      if (head > r.lastBlock) {
        r.txs.push(...(await this.blockTransactions(r.lastBlock + 1, head)));
        r.lastBlock = head;
      }
      await position.revertTo(r.snap);
      signer.reset();
      r.nonce = await l2.getTransactionCount(sequencer.address, "latest");
      r.reverted = true;
    }
    const bridge = this.p.config.l2.bridge.toLowerCase();
    // A marker transaction first: the rebuilt blocks then never reproduce a rejected certificate byte for byte
    // (an identical certificate has the rejected one's id). The sequencer's own transactions are re-signed
    // with the nonces that follow it; everyone else's are replayed as they were signed. Signing is deterministic
    // (RFC 6979), so a resumed replay recognises what it already sent by the transaction hash.
    if (!r.markerSent) {
      r.marker ??= await sequencer.signTransaction(await sequencer.populateTransaction({ to: sequencer.address, value: 0n, nonce: r.nonce }));
      await this.include(r.marker);
      r.markerSent = true;
    }
    const me = sequencer.address.toLowerCase();
    for (; r.next < r.txs.length; r.next++) {
      const tx = r.txs[r.next];
      const mine = tx.from!.toLowerCase() === me;
      const raw = mine ? await this.resign(tx, r.nonce + 1 + this.mineBefore(r, r.next), r.voidTx.has(tx.hash!)) : tx.serialized;
      const hash = Transaction.from(raw).hash!;
      // Another sender's nonce already taken by another transaction: that one (or a newer one of its sender) is in
      // the chain. Its own hash re-included: an earlier attempt sent it.
      const known = await l2.getTransactionReceipt(hash);
      if (!known && !mine && (await l2.getTransactionCount(tx.from!, "latest")) > tx.nonce) {
        r.skipped.push(tx.hash!);
        continue;
      }
      try {
        const rc = known ?? (await this.include(raw));
        relayer.replayed(tx.hash!, hash);
        if (rc?.status === 0 && tx.to?.toLowerCase() === bridge) r.failedClaims.push(tx.hash!);
      } catch (e) {
        // Hardhat's automine answers a reverting transaction with an error (it is mined, and fails).
        const toBridge = tx.to?.toLowerCase() === bridge;
        if (toBridge && /revert/i.test(String((e as Error).message))) {
          relayer.replayed(tx.hash!, hash);
          r.failedClaims.push(tx.hash!);
        } else if (isConnectionError(e)) throw e;
        else {
          r.notReincluded.push(tx.hash!);
          log.warn("replay: transaction not re-included", { tx: tx.hash, error: e as Error });
        }
      }
    }
    signer.reset();
  }

  /** How many of the sequencer's transactions come before index `i` of the replay. */
  private mineBefore(r: Replay, i: number): number {
    const me = this.p.sequencer.address.toLowerCase();
    let n = 0;
    for (let j = 0; j < i; j++) if (r.txs[j].from!.toLowerCase() === me) n++;
    return n;
  }

  /** Sends a signed transaction and waits for its receipt (a transaction already sent is not an error). */
  private async include(raw: string): Promise<TransactionReceipt | null> {
    const { l2 } = this.p;
    const hash = Transaction.from(raw).hash!;
    try {
      await l2.broadcastTransaction(raw);
    } catch (e) {
      if (!(await l2.getTransactionReceipt(hash).catch(() => null))) throw e;
    }
    return l2.waitForTransaction(hash);
  }

  /** Back to the state after height - 1; the rebuild is recorded. */
  private finish(r: Replay): void {
    // The replaced certificates were rejected by the layer (the cascade is done before the rebuild starts): their
    // proofs are not wanted and their revisions are spent.
    for (const c of this.p.own.rewind(r.height)) {
      this.p.prover.abort(c.built.certificateId);
      this.p.revisions.bump(c.built.certificate.height, revisionOf(c.built.certificate));
    }
    this.p.position.restartAfter(r.snap, this.p.own.certifiedEvents(r.snap.afterHeight));
    const replay: ReplayRecord = { fromHeight: (r.snap.afterHeight + 1n).toString(), fromBlock: r.snap.block, transactions: r.txs.length, skipped: r.skipped, notReincluded: r.notReincluded };
    this.p.log.warn("rebuilt: claims against rejected roots no longer succeed", { height: r.height, badSources: r.badSources, failedClaims: r.failedClaims, replay });
    this.history.push({ height: r.height, badSources: r.badSources, failedClaims: r.failedClaims, at: Date.now(), replay });
    this.p.metrics.rebuilds.inc();
    this.p.metrics.claimsUndone.inc(r.failedClaims.length);
    this.p.persist();
    this.p.events.onRebuilt?.({ height: r.height, badSources: r.badSources, failedClaims: r.failedClaims });
  }

  private async blockTransactions(from: number, to: number): Promise<Transaction[]> {
    const out: Transaction[] = [];
    for (let b = from; b <= to; b++) {
      const block = await this.p.l2.getBlock(b, true);
      for (const t of block?.prefetchedTransactions ?? []) out.push(Transaction.from(t as unknown as Parameters<typeof Transaction.from>[0]));
    }
    return out;
  }

  /**
   * One of the sequencer's own transactions, signed again with `nonce`. `voided`: an oracle post of a rejected
   * root becomes a post of root 0 — entry ids stay where they were, the bad root is gone, claims against it fail.
   */
  private async resign(tx: Transaction, nonce: number, voided: boolean): Promise<string> {
    const { oracle } = this.p;
    let data = tx.data;
    if (voided) {
      const call = oracle.interface.parseTransaction({ data: tx.data })!;
      data = oracle.interface.encodeFunctionData("postExitRoot", [call.args[0], call.args[1], call.args[2], 0n]);
    }
    const replacement = Transaction.from({ type: tx.type, chainId: tx.chainId, nonce, to: tx.to, data, value: tx.value, gasLimit: tx.gasLimit, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas, gasPrice: tx.type === 2 ? null : tx.gasPrice });
    return this.p.sequencer.signTransaction(replacement);
  }
}
