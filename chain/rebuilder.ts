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
import type { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import type { ExitRootOracle } from "../typechain-types";
import { revisionOf } from "../lib";
import type { RejectionView } from "../coordinator/api";
import type { Logger } from "../coordinator/log";
import type { ChainConfig } from "./config";
import type { CoordinatorLink } from "./coordinator-link";
import type { L2Follower } from "./l2-follower";
import type { L2Position } from "./l2-position";
import type { OwnCertificates } from "./own-certificates";
import type { Relayer } from "./relayer";
import type { Revisions } from "./revisions";
import type { SelfProver } from "./self-prover";
import type { SequencerQueue } from "./sequencer-queue";
import type { ChainClientEvents } from "./client";
import { hex, refKey } from "./refs";

export interface Rebuild {
  height: bigint;
  badSources: string[];
  failedClaims: string[];
  at: number;
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
  /** The certification cycle in progress, if any: a rebuild starts after it. */
  cycle(): Promise<void> | null;
  persist(): void;
  stopped(): boolean;
}

export class Rebuilder {
  /** Finished rebuilds, oldest first (what the operator's log also says). */
  readonly history: Rebuild[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly p: RebuilderParts) {}

  /** Whether a rebuild is in progress (nothing is certified meanwhile). */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Settles when the rebuild in progress, if any, is done. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** From the state file. */
  restore(rebuilds: { height: string; badSources: string[]; failedClaims: string[]; at: number }[]): void {
    this.history.push(...rebuilds.map((r) => ({ ...r, height: BigInt(r.height) })));
  }

  /** Their part of the state file. */
  stored(): { height: string; badSources: string[]; failedClaims: string[]; at: number }[] {
    return this.history.map((r) => ({ ...r, height: r.height.toString() }));
  }

  /** The layer rejected this chain's certificate at `height`. */
  onRejected(height: bigint, rejection: RejectionView | null): void {
    if (!rejection) return;
    // A dependency's fault: rebuild without it. Its own missing proof: rebuild as it was (new blocks, new
    // certificate ids) and submit again. Later heights are rejected with it and rebuilt by the same pass.
    if (rejection.code === "DEPENDENCY_REJECTED" || rejection.code === "BUNDLE_FAILED") this.start(height, rejection.cause ? [refKey(rejection.cause)] : []);
    else if (rejection.code === "PROOF_TIMEOUT") this.start(height, []);
  }

  /** Rebuilds from `height` without `badSources` (refKeys), unless a rebuild is already in progress. */
  start(height: bigint, badSources: string[]): void {
    if (this.running || this.p.stopped()) return;
    this.running = this.rebuild(height, badSources)
      .catch((e) => this.p.log.error("rebuild failed", { error: e as Error }))
      .finally(() => (this.running = null));
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

  /** Takes the L2 back to the end of certificate `height - 1` and replays what followed without the bad roots. */
  private async rebuild(height: bigint, badSources: string[]): Promise<void> {
    const { l2, sequencer, signer, own, position, relayer, log } = this.p;
    await this.p.cycle()?.catch(() => undefined);
    await this.p.queue.run(async () => {
      // Every relayed root whose certificate is now rejected goes, not only the one this rejection names: a
      // cascade rejects several at once, and one rebuild replaces all of this chain's certificates from `height`.
      for (const k of relayer.posted) {
        const [networkId, , certificateId] = k.split("/");
        if (networkId === "0" || badSources.includes(k)) continue;
        const v = await this.p.link.call<{ status: string }>("getCertificate", { certificateId: hex(BigInt(certificateId)) }).catch(() => null);
        if (v?.status === "Rejected") badSources.push(k);
      }
      relayer.ban(badSources);
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
      await position.revertTo(snap);
      signer.reset();
      const voidTx = new Set(badSources.map((b) => relayer.postTxOf(b)).filter((x): x is string => !!x));
      const failedClaims: string[] = [];
      const bridge = this.p.config.l2.bridge.toLowerCase();
      // A marker transaction first: the rebuilt blocks then never reproduce a rejected certificate byte for byte
      // (an identical certificate has the rejected one's id). The sequencer's own transactions are re-signed
      // with the nonces that follow it; everyone else's are replayed as they were signed.
      const me = sequencer.address.toLowerCase();
      let nonce = await l2.getTransactionCount(sequencer.address, "latest");
      await (await sequencer.sendTransaction({ to: sequencer.address, value: 0n, nonce: nonce++ })).wait();
      for (const tx of txs) {
        const mine = tx.from!.toLowerCase() === me;
        // Another sender's nonce already taken: that transaction (or a newer one of its sender) is in the chain.
        if (!mine && (await l2.getTransactionCount(tx.from!, "latest")) > tx.nonce) continue;
        const raw = mine ? await this.resign(tx, nonce++, voidTx.has(tx.hash!)) : tx.serialized;
        try {
          const sent = await l2.broadcastTransaction(raw);
          relayer.replayed(tx.hash!, sent.hash);
          const rc = await l2.waitForTransaction(sent.hash);
          if (rc?.status === 0 && tx.to?.toLowerCase() === bridge) failedClaims.push(tx.hash!);
        } catch (e) {
          // Hardhat's automine answers a reverting transaction with an error (it is mined, and fails).
          const toBridge = tx.to?.toLowerCase() === bridge;
          if (toBridge && /revert/i.test(String((e as Error).message))) failedClaims.push(tx.hash!);
          else log.warn("replay: transaction not re-included", { tx: tx.hash, error: e as Error });
        }
      }
      signer.reset();
      // Back to the state after height - 1. The replaced certificates were rejected by the layer (the cascade is
      // done before the rebuild starts): their proofs are not wanted and their revisions are spent.
      for (const c of own.rewind(height)) {
        this.p.prover.abort(c.built.certificateId);
        this.p.revisions.bump(c.built.certificate.height, revisionOf(c.built.certificate));
      }
      position.restartAfter(snap, own.certifiedEvents(snap.afterHeight));
      log.warn("rebuilt: claims against rejected roots no longer succeed", { height, badSources, failedClaims, replayed: txs.length });
      this.history.push({ height, badSources, failedClaims, at: Date.now() });
      this.p.persist();
      this.p.events.onRebuilt?.({ height, badSources, failedClaims });
    });
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
