/**
 * WebSocket notifications (docs/api.md, "WebSocket subscriptions"): how an event of the node reaches every
 * matching subscription without slowing pre-confirmation down and without letting a subscriber grow our memory.
 *
 * - Off the submission path. The node emits while it answers a submission; the listener here only appends the
 *   event to a queue and schedules the pump (setImmediate), so the submission is answered first whatever the
 *   number of subscribers.
 * - Serialised once. A notification differs between subscriptions only by the subscription id, and ids have a
 *   fixed length, so every notification of an event has the same size. Its frame is assembled from shared
 *   pieces: the WebSocket header, the subscription's prefix (built at subscribe time) and the event's JSON tail.
 *   The frames of one event for one connection go out in one write.
 * - A bounded share of the event loop. While anything else waits (submissions), the pump runs in slices of at
 *   most `share` of the time the rest of the process had since the previous slice; when nothing else waits it
 *   runs back to back.
 * - Counted, capped, shared. What waits for a connection is counted in bytes, as its frames will be written,
 *   plus what its socket still holds; the moment that sum crosses maxBufferedBytes the connection is dropped
 *   (slow consumer). A queue entry is only a reference to the shared event, and the socket is fed only until
 *   it asks us to wait ('drain'), so a client that never reads costs real memory of about one socket
 *   high-water mark, whatever its count says.
 *
 * Frames are written to the upgraded socket directly. That is sound because the server runs ws without
 * compression: ws then writes each message of its own (responses, pings, close) synchronously and whole, in
 * call order, so whole frames written here cannot interleave with its frames.
 */
import type { Duplex } from "node:stream";
import { performance } from "node:perf_hooks";
import type { CoordinatorApi, CoordinatorEvent } from "../api";
import type { Logger } from "../log";
import type { SubscriptionFilter } from "./schemas";

/** Bytes of a subscription id ("0x" + 32 hex digits): the same for all, so an event's notifications share a size. */
export const SUBSCRIPTION_ID_CHARS = 34;
const EVENT_TYPES = ["status", "exitRoot"] as const;
type EventType = (typeof EVENT_TYPES)[number];
const typeIndex = (t: string): number => (t === "status" ? 0 : 1);

/** Longest slice after a quiet period: a burst of fan-out must not hold a submission back for long. */
const MAX_SLICE_MS = 4;
/**
 * A slice gets at least this much (and always one connection), so that notifications progress under a flood.
 * Small: when the loop is idle, slices follow each other at once anyway.
 */
const MIN_SLICE_MS = 0.05;

export interface FanOutOptions {
  /** Per connection: queued notification bytes plus the socket's unsent bytes above this drop it. */
  maxBufferedBytes: number;
  /** Share of the event loop the pump may take while other work waits (0 < share < 1). */
  share: number;
  log: Logger;
}

/** An event as the pump handles it: serialised once, shared by every connection it is queued for. */
interface PendingEvent {
  seq: number;
  event: CoordinatorEvent;
  type: number;
  /** `<event JSON>}}`; null until serialised (or when it could not be). */
  tail: Buffer | null;
  /** WebSocket header of a text frame of this event's payload length. */
  header: Buffer | null;
  /** Header plus payload of one notification of this event. */
  frameBytes: number;
}

export interface Subscription {
  readonly id: string;
  /** `{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"<id>","result":` */
  readonly prefix: Buffer;
  readonly networks: Set<number> | undefined;
  readonly events: Set<string> | undefined;
  /** Only events received after this sequence number are this subscription's. */
  readonly afterSeq: number;
  /** False until the response that announced the id was sent: its notifications wait until then. */
  released: boolean;
}

const prefixOf = (id: string) => Buffer.from(`{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"${id}","result":`, "latin1");
const PREFIX_BYTES = prefixOf("0x" + "0".repeat(32)).length;
const TAIL_END = "}}";

const matches = (s: Subscription, e: CoordinatorEvent) => (!s.networks || s.networks.has(e.networkId)) && (!s.events || s.events.has(e.type));

/** RFC 6455 header of an unmasked, final text frame. */
function textFrameHeader(payloadBytes: number): Buffer {
  if (payloadBytes <= 125) return Buffer.from([0x81, payloadBytes]);
  if (payloadBytes <= 0xffff) return Buffer.from([0x81, 126, payloadBytes >> 8, payloadBytes & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = 0x81;
  h[1] = 127;
  h.writeUIntBE(payloadBytes, 4, 6);
  return h;
}

/**
 * One connection's side of the fan-out: its subscriptions, counts to find its matches in O(1), and the queue of
 * events waiting for its socket.
 */
export class Outbox {
  readonly subs = new Map<string, Subscription>();
  /** Subscriptions without a network filter, by event type. */
  private readonly anyNetwork = [0, 0];
  /** Subscriptions naming a network, by network and event type. */
  private readonly byNetwork = new Map<number, number[]>();
  private queue: { ev: PendingEvent; bytes: number }[] = [];
  private head = 0;
  /** Bytes the queued events will take once written. */
  queuedBytes = 0;
  inReadyList = false;
  /** The socket asked us to wait: its 'drain' makes this connection ready again. */
  awaitingDrain = false;
  closed = false;

  constructor(
    readonly socket: Duplex,
    /** False once the WebSocket is closing: nothing may follow its close frame. */
    readonly canWrite: () => boolean,
    /** Closes the connection and calls FanOut.remove(); called when it crosses maxBufferedBytes. */
    readonly dropSlowConsumer: () => void,
  ) {}

  /** Bytes this connection holds in the coordinator: queued notifications and the socket's unsent output. */
  bufferedBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** How many of this connection's subscriptions an event matches (subscriptions made after it included). */
  matchCount(e: CoordinatorEvent, type: number): number {
    return this.anyNetwork[type] + (this.byNetwork.get(e.networkId)?.[type] ?? 0);
  }

  /** Subscriptions to events of `type` of every network (network undefined) or of one network. */
  countOf(type: number, network?: number): number {
    return network === undefined ? this.anyNetwork[type] : (this.byNetwork.get(network)?.[type] ?? 0);
  }

  count(s: Subscription, delta: 1 | -1): void {
    for (const t of EVENT_TYPES) {
      if (s.events && !s.events.has(t)) continue;
      const i = typeIndex(t);
      if (!s.networks) {
        this.anyNetwork[i] += delta;
        continue;
      }
      for (const n of s.networks) {
        let c = this.byNetwork.get(n);
        if (!c) this.byNetwork.set(n, (c = [0, 0]));
        c[i] += delta;
        if (c[0] === 0 && c[1] === 0) this.byNetwork.delete(n);
      }
    }
  }

  enqueue(ev: PendingEvent, bytes: number): void {
    this.queue.push({ ev, bytes });
    this.queuedBytes += bytes;
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
  }

  /**
   * Writes queued events until the socket asks us to wait, the queue is empty, or the next event is held for a
   * subscription whose id was not sent yet. One corked batch: one system call for all of it.
   */
  flush(): "empty" | "drain" | "held" {
    if (!this.canWrite()) {
      this.clear();
      return "empty";
    }
    let result: "empty" | "drain" | "held" = "empty";
    this.socket.cork();
    try {
      while (this.head < this.queue.length) {
        const item = this.queue[this.head];
        const frames = this.framesOf(item.ev);
        if (frames === "held") {
          result = "held";
          break;
        }
        this.head++;
        this.queuedBytes -= item.bytes;
        if (frames && !this.socket.write(frames)) {
          result = "drain";
          break;
        }
      }
    } finally {
      this.socket.uncork();
    }
    if (this.head === this.queue.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // uncork may have written everything at once; the 'drain' it owes us still comes, and makes us ready again.
    if (result === "drain" || this.socket.writableNeedDrain) {
      this.awaitingDrain = true;
      return this.waiting > 0 ? "drain" : "empty";
    }
    return result;
  }

  /** This connection's notifications of one event in one buffer; null if none is due any more. */
  private framesOf(ev: PendingEvent): Buffer | null | "held" {
    if (!ev.tail || !ev.header) return null;
    const due: Subscription[] = [];
    for (const s of this.subs.values()) {
      if (s.afterSeq >= ev.seq || !matches(s, ev.event)) continue;
      if (!s.released) return "held";
      due.push(s);
    }
    if (due.length === 0) return null;
    const out = Buffer.allocUnsafe(due.length * ev.frameBytes);
    let at = 0;
    for (const s of due) {
      at += ev.header.copy(out, at);
      at += s.prefix.copy(out, at);
      at += ev.tail.copy(out, at);
    }
    return out;
  }
}

/**
 * Every connection's subscriptions, and the pump that feeds their sockets. Listens to the API only while there
 * is at least one subscription.
 */
export class FanOut {
  private readonly incoming: PendingEvent[] = [];
  private seq = 0;
  /**
   * Connections by what they subscribed to, by event type: to every network, or to one. An event is offered
   * only to the connections that can want it, not to all of them.
   */
  private readonly anyNetwork: [Set<Outbox>, Set<Outbox>] = [new Set(), new Set()];
  private readonly byNetwork = new Map<number, [Set<Outbox>, Set<Outbox>]>();
  private ready: Outbox[] = [];
  private subscriptions = 0;
  private detach: (() => void) | null = null;
  private scheduled = false;
  private lastSliceEnd = -Infinity;
  private closed = false;

  constructor(
    private readonly api: CoordinatorApi,
    private readonly o: FanOutOptions,
  ) {
    if (!(o.share > 0 && o.share < 1)) throw new RangeError("the fan-out share must be between 0 and 1");
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }

  /** A connection's outbox; its socket's 'drain' feeds it again. */
  open(socket: Duplex, canWrite: () => boolean, dropSlowConsumer: () => void): Outbox {
    const box = new Outbox(socket, canWrite, dropSlowConsumer);
    socket.on("drain", () => {
      box.awaitingDrain = false;
      this.markReady(box);
    });
    return box;
  }

  subscribe(box: Outbox, id: string, filter: SubscriptionFilter): Subscription {
    const s: Subscription = {
      id,
      prefix: prefixOf(id),
      networks: filter.networks ? new Set(filter.networks) : undefined,
      events: filter.events ? new Set(filter.events) : undefined,
      afterSeq: this.seq,
      released: false,
    };
    if (s.prefix.length !== PREFIX_BYTES) throw new Error(`subscription ids must have ${SUBSCRIPTION_ID_CHARS} characters`);
    box.subs.set(id, s);
    box.count(s, 1);
    this.reindex(box, s);
    this.subscriptions++;
    // Attached after the subscription exists: an event the API emits while we attach is already this one's.
    this.detach ??= this.api.subscribe((e) => this.onEvent(e));
    return s;
  }

  unsubscribe(box: Outbox, id: string): boolean {
    const s = box.subs.get(id);
    if (!s) return false;
    box.subs.delete(id);
    box.count(s, -1);
    this.reindex(box, s);
    this.subscriptions--;
    this.detachWhenIdle();
    return true;
  }

  /** Puts the connection in, or takes it out of, the index entries a subscription touches. */
  private reindex(box: Outbox, s: Subscription): void {
    const toggle = (set: Set<Outbox>, on: boolean) => (on ? set.add(box) : set.delete(box));
    for (const t of EVENT_TYPES) {
      if (s.events && !s.events.has(t)) continue;
      const i = typeIndex(t);
      if (!s.networks) {
        toggle(this.anyNetwork[i], box.countOf(i) > 0);
        continue;
      }
      for (const n of s.networks) {
        const on = box.countOf(i, n) > 0;
        let sets = this.byNetwork.get(n);
        if (!sets && !on) continue;
        if (!sets) this.byNetwork.set(n, (sets = [new Set(), new Set()]));
        toggle(sets[i], on);
        if (sets[0].size === 0 && sets[1].size === 0) this.byNetwork.delete(n);
      }
    }
  }

  /** The subscribe response is out: the subscription's notifications may follow it. */
  release(box: Outbox, s: Subscription): void {
    s.released = true;
    if (box.waiting > 0) this.markReady(box);
  }

  /** The connection is gone: forget it and what was queued for it. */
  remove(box: Outbox): void {
    if (box.closed) return;
    box.closed = true;
    for (const s of box.subs.values()) {
      box.count(s, -1);
      this.reindex(box, s);
    }
    this.subscriptions -= box.subs.size;
    box.subs.clear();
    box.clear();
    this.detachWhenIdle();
  }

  /** Something became writable (the socket drained, a subscription was released): schedule the pump. */
  markReady(box: Outbox): void {
    if (!this.markReadyQuietly(box)) return;
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.detach?.();
    this.detach = null;
    this.incoming.length = 0;
  }

  private detachWhenIdle(): void {
    if (this.subscriptions > 0 || !this.detach) return;
    this.detach();
    this.detach = null;
  }

  /** Runs inside the node's emit, on the submission path: constant work, and it never throws. */
  private onEvent(e: CoordinatorEvent): void {
    if (this.closed) return;
    this.incoming.push({ seq: ++this.seq, event: e, type: typeIndex(e.type), tail: null, header: null, frameBytes: 0 });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const started = performance.now();
    const budget = this.sliceBudget(started);
    try {
      this.distribute();
      this.write(started + budget);
    } catch (err) {
      this.o.log.error("notification fan-out failed", { err: err as Error });
    }
    this.lastSliceEnd = performance.now();
    if (this.ready.length > 0 || this.incoming.length > 0) this.schedule();
  }

  /** `share` of the time everything else had since the last slice, within [MIN_SLICE_MS, MAX_SLICE_MS]. */
  private sliceBudget(now: number): number {
    const others = now - this.lastSliceEnd;
    return Math.min(MAX_SLICE_MS, Math.max(MIN_SLICE_MS, (others * this.o.share) / (1 - this.o.share)));
  }

  /**
   * Serialises each new event once and queues it for every connection with a matching subscription. Runs in
   * full every slice (it is cheap: per matching connection, not per frame), so a connection is dropped the
   * moment its count crosses the cap, not when the pump gets round to it.
   */
  private distribute(): void {
    const events = this.incoming.splice(0);
    for (const ev of events) {
      if (!this.serialise(ev)) continue;
      const everyNetwork = this.anyNetwork[ev.type];
      const thisNetwork = this.byNetwork.get(ev.event.networkId)?.[ev.type];
      // Offering may drop a connection, which takes it out of these sets: deleting while iterating is safe.
      for (const box of everyNetwork) this.offer(box, ev);
      if (thisNetwork) for (const box of thisNetwork) if (!everyNetwork.has(box)) this.offer(box, ev);
    }
  }

  private offer(box: Outbox, ev: PendingEvent): void {
    const n = box.matchCount(ev.event, ev.type);
    if (n === 0 || box.closed) return;
    box.enqueue(ev, n * ev.frameBytes);
    if (box.bufferedBytes() > this.o.maxBufferedBytes) box.dropSlowConsumer();
    else this.markReadyQuietly(box);
  }

  private serialise(ev: PendingEvent): boolean {
    try {
      ev.tail = Buffer.from(JSON.stringify(ev.event) + TAIL_END, "utf8");
    } catch (err) {
      this.o.log.error("subscription event is not serialisable", { err: err as Error, type: ev.event?.type });
      return false;
    }
    const payload = PREFIX_BYTES + ev.tail.length;
    ev.header = textFrameHeader(payload);
    ev.frameBytes = ev.header.length + payload;
    return true;
  }

  /** Adds the connection to the ready list unless it is there, closed, empty or waiting for its socket. */
  private markReadyQuietly(box: Outbox): boolean {
    if (box.closed || box.inReadyList || box.awaitingDrain || box.waiting === 0) return false;
    box.inReadyList = true;
    this.ready.push(box);
    return true;
  }

  /** Round robin over the connections with something to write, until the slice is used up. */
  private write(deadline: number): void {
    const list = this.ready;
    this.ready = [];
    let i = 0;
    // At least one connection per slice, so that a flood cannot stop notifications altogether.
    while (i < list.length) {
      const box = list[i++];
      box.inReadyList = false;
      if (!box.closed) box.flush();
      if (performance.now() >= deadline) break;
    }
    // The ones not reached go first next time; a connection flushed this slice is ready again only through
    // new events, its socket's 'drain' or a release.
    const rest = list.slice(i);
    for (const box of rest) box.inReadyList = false;
    const fresh = this.ready;
    this.ready = [];
    for (const box of [...rest, ...fresh]) {
      box.inReadyList = false;
      this.markReadyQuietly(box);
    }
  }
}
