/**
 * Relays other chains' exit roots to this chain's L2 oracle, which is what lets users claim on its bridge: roots
 * from the coordinator's feed and from peers' feeds, according to the policy (pre-confirmed, confirmed or
 * finalized only; opt-out chains ask L1 itself whether a certificate is finalized) and its allow/deny lists, and
 * L1 checkpoints as network 0. It remembers which roots it posted (and in which transaction, for the rebuilder to
 * void them) and which sources are banned for good; it is the only writer of `banned` in the state file.
 */
import { JsonRpcProvider } from "ethers";
import type { TransactionResponse } from "ethers";
import type { ExitRootOracle } from "../typechain-types";
import { DEVNET_PARAMS } from "../lib/params";
import type { Logger } from "../coordinator/log";
import { accepts, ChainConfig } from "./config";
import type { CoordinatorLink } from "./coordinator-link";
import type { HubFinality } from "./hub-finality";
import type { SequencerQueue } from "./sequencer-queue";
import type { ChainClientEvents } from "./client";
import type { ChainMetrics } from "./metrics";
import { hex, refKey } from "./refs";

export interface RelayedRoot {
  networkId: number;
  height: bigint;
  certificateId: bigint;
  exitRoot: bigint;
}

export class Relayer {
  /** Roots posted to the oracle (dedupe), and roots that must never be posted again (rejected sources). */
  private readonly postedKeys = new Set<string>();
  private readonly banned = new Set<string>();
  /** The transaction of each post, both ways: a rebuild re-sends (or voids) them and follows the new hashes. */
  private readonly postTxs = new Map<string, string>();
  private readonly postKeyByTx = new Map<string, string>();
  private l1Cursor = -1;
  /** Opt-out chains: L1's own record of finalized certificates (chain/hub-finality.ts). */
  private finality: HubFinality | null = null;

  constructor(
    private readonly config: ChainConfig,
    private readonly oracle: ExitRootOracle,
    private readonly link: CoordinatorLink,
    private readonly queue: SequencerQueue,
    private readonly log: Logger,
    private readonly events: Pick<ChainClientEvents, "onRootPosted">,
    private readonly stopped: () => boolean,
    private readonly metrics: ChainMetrics,
  ) {}

  /** Opt-out: "Finalized" is believed only once L1 says so. */
  checkFinalityWith(finality: HubFinality): void {
    this.finality = finality;
  }

  /** The roots posted (a live view: a relay in progress is in it already). */
  get posted(): ReadonlySet<string> {
    return this.postedKeys;
  }

  get bannedSources(): string[] {
    return [...this.banned];
  }

  /** These sources are never relayed again. */
  ban(keys: Iterable<string>): void {
    for (const b of keys) this.banned.add(b);
  }

  /** The transaction that posted the root of `key`, if this client posted it. */
  postTxOf(key: string): string | undefined {
    return this.postTxs.get(key);
  }

  /** A rebuild re-sent the post `oldHash` as `newHash`. */
  replayed(oldHash: string, newHash: string): void {
    const postKey = this.postKeyByTx.get(oldHash);
    if (postKey) {
      this.postTxs.set(postKey, newHash);
      this.postKeyByTx.set(newHash, postKey);
    }
  }

  async relay(r: RelayedRoot, status: string): Promise<void> {
    const k = refKey(r);
    if (this.postedKeys.has(k) || this.banned.has(k) || !accepts(this.config.policy, r.networkId, status)) return;
    this.postedKeys.add(k);
    // The lag runs from hearing of the root at a status the policy accepts to its post landing on the L2.
    const heard = performance.now();
    try {
      // Opt-out: finalized means finalized on L1, checked there, not the coordinator's word.
      if (this.finality && r.networkId !== 0 && !(await this.finality.isFinalized(r))) {
        this.postedKeys.delete(k);
        this.log.warn("not relayed: the hub has not finalized this certificate (the coordinator said Finalized)", { source: r.networkId, height: r.height, certificateId: hex(r.certificateId) });
        return;
      }
      await this.queue.run(async () => {
        const tx: TransactionResponse = await this.oracle.postExitRoot(r.networkId, r.height, r.certificateId, r.exitRoot);
        this.postTxs.set(k, tx.hash);
        this.postKeyByTx.set(tx.hash, k);
        const rc = await tx.wait();
        const entryId = rc!.logs.map((l) => this.oracle.interface.parseLog(l)).find((x) => x?.name === "ExitRootPosted")!.args.entryId as bigint;
        this.log.info("root relayed", { source: r.networkId, height: r.height, status, entryId });
        const source = String(r.networkId);
        this.metrics.rootsRelayed.inc({ source });
        this.metrics.relayLag.observe({ source }, (performance.now() - heard) / 1000);
        this.events.onRootPosted?.({ ...r, entryId, status });
      });
    } catch (e) {
      this.postedKeys.delete(k);
      if (!this.stopped()) this.log.warn("relay failed", { source: r.networkId, error: e as Error });
    }
  }

  /** After a (re)connection: relay what the policy accepts from every network's latest certificate. */
  async catchUp(): Promise<void> {
    for (let n = 1; n < 2 ** DEVNET_PARAMS.networkBits; n++) {
      if (n === this.config.networkId) continue;
      for (const status of ["Finalized", "Confirmed", "PreConfirmed"]) {
        const c = await this.link.call<{ networkId: number; height: string; certificateId: string; newLocalExitRoot: string; status: string } | null>("getLatestCertificate", { networkId: n, minStatus: status }).catch(() => null);
        if (c) await this.relay({ networkId: n, height: BigInt(c.height), certificateId: BigInt(c.certificateId), exitRoot: BigInt(c.newLocalExitRoot) }, c.status);
      }
    }
  }

  /** L1 exit-root checkpoints are relayed as network 0 (height = checkpoint number, certificate id 0). */
  async relayL1Checkpoints(): Promise<void> {
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

  /** A restart: which roots this client posted, read back from the oracle's events since the start block (voided posts carry root 0). */
  async recoverPosts(startBlock: number): Promise<void> {
    const logs = await this.oracle.queryFilter(this.oracle.filters.ExitRootPosted(), startBlock + 1, "latest");
    for (const l of logs) {
      if (l.args.exitRoot === 0n) continue;
      const k = refKey({ networkId: Number(l.args.networkId), height: l.args.height, certificateId: l.args.certificateId });
      this.postedKeys.add(k);
      this.postTxs.set(k, l.transactionHash);
      this.postKeyByTx.set(l.transactionHash, k);
    }
  }
}
