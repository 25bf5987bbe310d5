/**
 * Where the client stands on its own L2: the block it started after, the last block read, the bridge events read
 * but not certified yet, and the snapshots (evm_snapshot) a rebuild takes the L2 back to. The only writer of
 * `startBlock` and `snapshots` in the state file.
 */
import type { JsonRpcProvider } from "ethers";
import { BridgeEvent, L2Follower } from "./l2-follower";
import type { StoredSnapshot } from "./state-file";

export interface Snapshot {
  /** The certificate height this snapshot ends (the state after it). */
  afterHeight: bigint;
  block: number;
  id: string;
}

export class L2Position {
  private _startBlock = -1;
  private cursor = -1;
  private queue: BridgeEvent[] = [];
  /** After a restart or a rebuild from an earlier snapshot: events already in accepted certificates, to skip once re-read. */
  private skipEvents = 0;
  private readonly snapshots: Snapshot[] = [];

  constructor(private readonly l2: JsonRpcProvider, private readonly follower: L2Follower) {}

  /** The L2 block the client started after (-1 before it started). */
  get startBlock(): number {
    return this._startBlock;
  }

  /** Events read and not certified yet, oldest first. */
  get pending(): readonly BridgeEvent[] {
    return this.queue;
  }

  /** A fresh start: events before it are not this client's to certify; a snapshot spoiled by a new event moves the start. */
  async startFresh(): Promise<void> {
    do this._startBlock = this.cursor = await this.follower.head();
    while (!(await this.snapshot(-1n)));
  }

  /** A restart: the start block and snapshots from the state file. */
  restore(startBlock: number, snapshots: StoredSnapshot[]): void {
    this._startBlock = startBlock;
    this.snapshots.push(...snapshots.map((x) => ({ afterHeight: BigInt(x.afterHeight), block: x.block, id: x.id })));
  }

  /**
   * A restart: the L2's bridge events from the start block on are the live certificates' events (`certified` of
   * them), in height order, then the ones not certified yet: all are read again and the certified ones skipped.
   */
  rereadFromStart(certified: number): void {
    this.cursor = this._startBlock;
    this.skipEvents = certified;
  }

  /** Reads the blocks that arrived since the last read into `pending`. */
  async read(): Promise<void> {
    const head = await this.follower.head();
    if (head > this.cursor) {
      const events = await this.follower.events(this.cursor + 1, head);
      const skipped = events.splice(0, Math.min(this.skipEvents, events.length));
      this.skipEvents -= skipped.length;
      this.queue.push(...events);
      this.cursor = head;
    }
  }

  /** The first `n` pending events are certified. */
  consume(n: number): void {
    this.queue.splice(0, n);
  }

  /**
   * Snapshots the L2 as the end of certificate `afterHeight`. Blocks may have arrived since the last read: the
   * snapshot is kept only if they hold no bridge event (a replay from it must not skip an uncertified one).
   */
  async snapshot(afterHeight: bigint): Promise<boolean> {
    const id = (await this.l2.send("evm_snapshot", [])) as string;
    const block = await this.follower.head();
    if (block > this.cursor) {
      if ((await this.follower.events(this.cursor + 1, block)).length > 0) return false;
      this.cursor = block;
    }
    this.snapshots.push({ afterHeight, block, id });
    return true;
  }

  /**
   * The latest snapshot at or before the end of height `height - 1`, and before block `beforeBlock` if one is given
   * (a snapshot is taken at the head, so it can hold transactions that are no bridge event: a root posted after the
   * certificate's last event). Null if no snapshot is that old.
   */
  snapshotBefore(height: bigint, beforeBlock = Infinity): Snapshot | null {
    return [...this.snapshots].reverse().find((s) => s.afterHeight <= height - 1n && s.block < beforeBlock) ?? null;
  }

  /**
   * Takes the L2 back to `snap`; the snapshots after it are gone. Safe to call again after an error: a snapshot
   * already reverted to (its id consumed, the node answering false) is not reverted to twice.
   */
  async revertTo(snap: Snapshot): Promise<void> {
    const i = this.snapshots.indexOf(snap);
    if (i >= 0) {
      // False: the id is spent, by an earlier call whose answer was lost.
      await this.l2.send("evm_revert", [snap.id]);
      this.snapshots.splice(i);
    }
    // A snapshot can be reverted to once: take it again at once, before the replay adds blocks.
    this.snapshots.push({ afterHeight: snap.afterHeight, block: snap.block, id: (await this.l2.send("evm_snapshot", [])) as string });
  }

  /** After a replay from `snap`: read again from it, skipping the `certified` events of certificates still live. */
  restartAfter(snap: Snapshot, certified: number): void {
    this.skipEvents = certified;
    this.cursor = snap.block;
    this.queue = [];
  }

  /** Their part of the state file. */
  stored(): StoredSnapshot[] {
    return this.snapshots.map((x) => ({ afterHeight: x.afterHeight.toString(), block: x.block, id: x.id }));
  }
}
