/**
 * Sends the equivocation evidence the node keeps (two signed headers for one (networkId, height), see
 * CoordinatorNode.equivocation) to L1: `hub.reportEquivocation(networkId, height, revision, idA, sigA, idB, sigB)` slashes
 * the chain's stake (a share to the settler account, the rest burned) and ejects it. The L1 sync then sees the Ejected event and rejects the
 * chain's live certificates (NETWORK_EJECTED).
 *
 * Progress lives in the equivocation row (reportStatus, reportTx), so a restart resumes where it stopped:
 *   pending   -> estimate and sign (a revert, e.g. NetworkEjected because another report landed first, marks the
 *                row "failed" with a log line), store the transaction hash as "sent", then broadcast;
 *   sent      -> follow the receipt: success -> "confirmed", reverted -> "failed"; no receipt and the node does not
 *                know the transaction (lost before the broadcast, dropped, or its nonce taken by another of the
 *                settler's transactions) -> signed and sent again.
 * Only one report per network is in flight at a time: a second one would only revert once the first lands.
 * Runs only when config.l1.reportEquivocations is on and the L1 client has a key (L1Client.canSend).
 */
import type { CoordinatorConfig } from "../config";
import type { Logger } from "../log";
import type { CoordinatorNode } from "../node";
import type { EquivocationRecord } from "../types";
import type { L1Client } from "./client";

interface InFlight {
  raw: string;
  nonce: number;
}

export class EquivocationReporter {
  private busy = false;
  /** Signed reports of this process by tx hash (lost on a restart: those are signed again if the node lost them). */
  private readonly signed = new Map<string, InFlight>();

  constructor(
    private readonly node: CoordinatorNode,
    private readonly l1: L1Client,
    private readonly config: CoordinatorConfig,
  ) {}

  get enabled(): boolean {
    return this.config.l1.reportEquivocations && this.l1.canSend;
  }

  private get store() {
    return this.node.d.store;
  }

  private get log(): Logger {
    return this.node.log.child("equivocations");
  }

  /** One pass over the reports that are not done; never overlaps itself. Returns how many rows it changed. */
  async step(): Promise<number> {
    if (!this.enabled || this.busy) return 0;
    this.busy = true;
    let changed = 0;
    try {
      const open = this.store.listEquivocations().filter((r) => r.reportStatus === "pending" || r.reportStatus === "sent");
      const inFlight = new Set<number>();
      for (const r of open.filter((x) => x.reportStatus === "sent")) {
        const after = await this.guard(r, () => this.follow(r));
        if (after !== r.reportStatus) changed++;
        if (after === "sent") inFlight.add(r.networkId);
      }
      for (const r of open.filter((x) => x.reportStatus === "pending")) {
        if (inFlight.has(r.networkId)) continue;
        const after = await this.guard(r, () => this.send(r));
        if (after !== r.reportStatus) changed++;
        if (after === "sent") inFlight.add(r.networkId);
      }
    } finally {
      this.busy = false;
    }
    return changed;
  }

  /** Runs one row's step; a transient failure (L1 unreachable) leaves the row as it was, for the next pass. */
  private async guard(r: EquivocationRecord, f: () => Promise<EquivocationRecord["reportStatus"]>): Promise<EquivocationRecord["reportStatus"]> {
    try {
      return await f();
    } catch (err) {
      this.log.warn("equivocation report: will retry", { networkId: r.networkId, height: r.height, error: errText(err) });
      return r.reportStatus;
    }
  }

  private async put(r: EquivocationRecord, patch: Pick<EquivocationRecord, "reportStatus" | "reportTx">): Promise<void> {
    // putEquivocation is insert-or-replace by (networkId, height, idA, idB): the spread keeps the key and the evidence.
    await this.store.commit([{ op: "putEquivocation", record: { ...r, ...patch } }]);
  }

  private send(r: EquivocationRecord): Promise<EquivocationRecord["reportStatus"]> {
    return this.l1.exclusive(() => this.signAndSend(r));
  }

  private async signAndSend(r: EquivocationRecord): Promise<EquivocationRecord["reportStatus"]> {
    const data = this.l1.hubInterface.encodeFunctionData("reportEquivocation", [r.networkId, r.height, r.revision, r.idA, r.sigA, r.idB, r.sigB]);
    let tx;
    try {
      tx = await this.l1.signHubCall(data);
    } catch (err) {
      if (!isRevert(err)) throw err;
      const why = this.revertReason(err);
      await this.put(r, { reportStatus: "failed", reportTx: r.reportTx });
      this.log.warn("equivocation report would revert: not sent", { networkId: r.networkId, height: r.height, idA: r.idA, idB: r.idB, reason: why });
      return "failed";
    }
    // Stored before it leaves the process: a crash after the broadcast still follows this transaction.
    await this.put(r, { reportStatus: "sent", reportTx: tx.hash });
    this.signed.set(tx.hash, { raw: tx.raw, nonce: tx.nonce });
    try {
      await this.l1.broadcast(tx.raw);
      this.log.info("equivocation report sent", { networkId: r.networkId, height: r.height, tx: tx.hash, nonce: tx.nonce });
    } catch (err) {
      this.log.warn("equivocation report: broadcast failed; will retry", { networkId: r.networkId, tx: tx.hash, error: errText(err) });
    }
    return "sent";
  }

  private async follow(r: EquivocationRecord): Promise<EquivocationRecord["reportStatus"]> {
    const hash = r.reportTx;
    if (!hash) return this.send(r);
    const receipt = await this.l1.receipt(hash);
    if (!receipt) {
      if (await this.l1.transactionKnown(hash)) return "sent";
      const mine = this.signed.get(hash);
      if (mine && (await this.l1.minedNonce()) <= mine.nonce) {
        await this.l1.broadcast(mine.raw);
        return "sent";
      }
      // Lost (signed before a restart and never broadcast) or its nonce went to another transaction: sign anew.
      this.signed.delete(hash);
      this.log.info("equivocation report not on L1: signing it again", { networkId: r.networkId, height: r.height, tx: hash });
      return this.send(r);
    }
    this.signed.delete(hash);
    if (receipt.status === 1) {
      await this.put(r, { reportStatus: "confirmed", reportTx: hash });
      this.log.info("equivocation report confirmed: network ejected on L1", { networkId: r.networkId, height: r.height, tx: hash, block: receipt.blockNumber });
      return "confirmed";
    }
    await this.put(r, { reportStatus: "failed", reportTx: hash });
    this.log.warn("equivocation report reverted on L1", { networkId: r.networkId, height: r.height, tx: hash, block: receipt.blockNumber });
    return "failed";
  }

  private revertReason(err: unknown): string {
    const e = err as { data?: unknown; revert?: { name?: string; args?: unknown[] } };
    if (e.revert?.name) return `${e.revert.name}(${(e.revert.args ?? []).join(", ")})`;
    if (typeof e.data === "string" && e.data.length >= 10) {
      try {
        const parsed = this.l1.hubInterface.parseError(e.data);
        if (parsed) return `${parsed.name}(${parsed.args.join(", ")})`;
      } catch {
        // not one of the hub's errors
      }
    }
    return errText(err);
  }
}

/** eth_estimateGas refused the call because it reverts (ethers v6: CALL_EXCEPTION), as opposed to a transport error. */
function isRevert(err: unknown): boolean {
  return (err as { code?: string }).code === "CALL_EXCEPTION";
}

function errText(err: unknown): string {
  const x = err as { shortMessage?: string; message?: string };
  return x.shortMessage ?? x.message ?? String(err);
}
