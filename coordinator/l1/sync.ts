/**
 * Follows the hub's events at the configured confirmation depth and applies them: the registry, the settlement
 * mirror, certificates Finalized (from BatchCertificateFinalized — the only way a certificate becomes Finalized),
 * epochs settled (BatchSettled: the epoch row whose settlement transaction it was learns the hub's batch id),
 * ejections (the chain's live certificates are rejected).
 *
 * Progress is a cursor (last applied block and its hash) stored with the events it covers, in one commit.
 * Every applied event is stored, so at start the whole L1 view is rebuilt from the store without asking L1,
 * then reconciled by reading on from the cursor. If the cursor's block hash changed, L1 reorganised deeper than
 * the confirmation depth: that is outside what the coordinator can undo on its own (Finalized is final); it
 * marks the view diverged (epochs stop, health fails) and logs it for the operator.
 */
import type { CoordinatorNode } from "../node";
import type { StoredL1Event, WriteOp } from "../store/store";
import type { EpochRecord } from "../types";
import type { L1Client } from "./client";
import type { L1View, ViewEffects } from "./view";

const CURSOR = "l1.cursor";
/** Blocks per eth_getLogs call. */
const LOG_RANGE = 2000;

interface Cursor {
  block: number;
  hash: string | null;
}

export class L1Sync {
  /** Told of each of this coordinator's epochs whose settlement the sync applied (the settlement manager measures it). */
  onEpochSettled: ((epoch: EpochRecord, txHash: string) => Promise<void>) | null = null;

  constructor(
    private readonly node: CoordinatorNode,
    private readonly l1: L1Client,
    private readonly view: L1View,
    private readonly confirmations: number,
    private readonly startBlock: number,
  ) {}

  private get store() {
    return this.node.d.store;
  }

  cursor(): Cursor {
    const raw = this.store.getMeta(CURSOR);
    return raw ? (JSON.parse(raw) as Cursor) : { block: this.startBlock - 1, hash: null };
  }

  /** Rebuilds the view from the stored events (start-up), then applies what it implies to the graph. */
  async replayStored(): Promise<void> {
    const events = this.store.listL1Events();
    const fx = await this.view.apply(events, (id) => this.bodyOf(id), (n) => this.l1.checkpointRoot(n));
    await this.applyEffects(fx, []);
    if (this.view.diverged) this.node.log.error("L1 view diverged while replaying stored events", { why: this.view.diverged });
  }

  private bodyOf(id: bigint) {
    return this.store.getCertificate(id)?.certificate;
  }

  /** One poll: read confirmed blocks after the cursor, apply, persist. Returns the L1 head. */
  async poll(): Promise<number> {
    const head = await this.l1.head();
    const safe = head - this.confirmations + 1;
    const cur = this.cursor();
    if (cur.hash !== null && cur.block >= 0) {
      const h = cur.block <= head ? await this.l1.blockHash(cur.block) : null;
      if (h !== cur.hash) {
        if (!this.view.diverged) {
          this.view.diverged = `L1 reorganised below the confirmation depth (block ${cur.block} changed); finalized state may be undone — operator action needed`;
          this.node.log.error("deep L1 reorg", { block: cur.block, storedHash: cur.hash, nowHash: h });
        }
        return head;
      }
    }
    let from = cur.block + 1;
    while (from <= safe) {
      const to = Math.min(safe, from + LOG_RANGE - 1);
      const events = await this.l1.hubEvents(from, to);
      const hash = await this.l1.blockHash(to);
      const fx = await this.view.apply(events, (id) => this.bodyOf(id), (n) => this.l1.checkpointRoot(n));
      const ops: WriteOp[] = [...events.map((event): WriteOp => ({ op: "putL1Event", event })), { op: "setMeta", key: CURSOR, value: JSON.stringify({ block: to, hash }) }];
      await this.applyEffects(fx, ops);
      from = to + 1;
    }
    return head;
  }

  /** Finalizes, settles epochs and rejects ejected chains' certificates, persisting `ops` in the same commit. */
  private async applyEffects(fx: ViewEffects, ops: WriteOp[]): Promise<void> {
    const node = this.node;
    const settled: [EpochRecord, string][] = [];
    for (const s of fx.settlements) {
      // "settled" too: the settlement job marks its row settled at confirmation depth, perhaps before the sync
      // applied the transaction's events; the row still learns the hub's batch id here.
      for (const e of this.store.listEpochs({ status: ["proved", "settling", "settled", "failed", "abandoned"] })) {
        if (e.status === "settled" && e.l1Epoch !== null) continue;
        if (e.l1Tx === s.txHash || this.store.listSettlements(e.id).some((x) => x.txHash === s.txHash)) {
          ops.push({ op: "putEpoch", record: { ...e, status: "settled", l1Epoch: s.l1Epoch, l1Tx: s.txHash, updatedAt: node.now() } });
          settled.push([e, s.txHash]);
        }
      }
    }
    await node.finalize(fx.finalized, ops);
    for (const [e, txHash] of settled) await this.onEpochSettled?.(e, txHash);
    for (const networkId of fx.ejected) {
      const first = node.firstLive(networkId);
      if (first) await node.rejectWith(first.certificateId, { code: "NETWORK_EJECTED", detail: `network ${networkId} was ejected on L1` });
    }
    for (const networkId of fx.readmitted) node.readmitted(networkId);
  }

  /** Events stored from `fromBlock` on (dashboard, tests). */
  stored(fromBlock = 0): StoredL1Event[] {
    return this.store.listL1Events(fromBlock);
  }
}
