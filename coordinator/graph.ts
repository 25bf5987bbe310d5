/**
 * The coordinator's in-memory certificate dependency graph (PROTOCOL §6): a pure state machine, no I/O, no clock.
 *
 * It enforces:
 * - one live (non-Rejected) certificate per (networkId, height); a Rejected one keeps its record but frees the slot;
 * - Confirmed only when Proven and every requirement (explicit dependencies, the predecessor at height-1, the other
 *   legs of each bundle) is Confirmed or later; mutually requiring nodes (cycles, bundles) confirm as one strongly
 *   connected component; confirmations propagate transitively within one call;
 * - rejection cascades to exactly the nodes that transitively require the rejected one, never through Finalized ones;
 * - the allowed status transitions after Confirmed (epochs, settlement, reverts, L1 as the final authority);
 * - epoch candidate sets closed under requirements, contiguous per chain, with whole bundles, within capacity.
 *
 * Every mutating call returns the StatusChanges it made, ordered so that each node comes after everything it requires
 * (rejections: after their cause). The graph has already applied them; the caller persists them.
 *
 * Scale: every event touches only the nodes it can affect (maps by id and by network/height, a sorted height index per
 * chain, reverse adjacency). Blocked Proven nodes memoise the node that blocks them, so a proof that unblocks nothing
 * does not re-walk the blocked region each time.
 *
 * Memory: settled nodes (Finalized, Rejected) are forgotten once nothing in progress requires them (forget), so the
 * graph holds the work in progress, what it requires, and each chain's highest Finalized node. A certificate that is
 * not in the graph counts as Finalized wherever it is named; the caller answers questions about forgotten ones from
 * its store and its L1 view.
 */
import type { BundleLeg, CertificateRef } from "../lib/certificate";
import { STATUSES, STATUS_RANK, isConfirmedOrLater, type CertificateStatus, type Rejection, type StatusChange } from "./types";

export interface GraphNode {
  certificateId: bigint;
  networkId: number;
  height: bigint;
  status: CertificateStatus;
  /** Explicit dependencies named by the certificate (other chains). */
  dependencies: CertificateRef[];
  bundles: BundleLeg[];
  /** Arrival order: the tie-break of epoch selection. */
  seq: number;
  rejection?: Rejection | null;
}

export type GraphErrorCode = "DUPLICATE" | "UNKNOWN" | "HEIGHT_TAKEN" | "BAD_TRANSITION" | "BAD_DEPENDENCY" | "BAD_BUNDLE";

/** A caller error: the graph is left unchanged. */
export class GraphError extends Error {
  constructor(
    readonly code: GraphErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "GraphError";
  }
}

/** Transitions after Proven; L1 is the truth, so anything not yet final may jump to Finalized. */
const ALLOWED: Readonly<Partial<Record<CertificateStatus, readonly CertificateStatus[]>>> = {
  PreConfirmed: ["Finalized"],
  Proven: ["Finalized"],
  Confirmed: ["InEpoch", "Finalized"],
  InEpoch: ["Settling", "Confirmed", "Finalized"],
  Settling: ["Confirmed", "Finalized"],
  Rejected: ["Finalized"],
};

interface Entry {
  readonly node: GraphNode;
  /** The explicit dependencies that are in the graph (resolved once, kept current by add and prune). */
  deps: Entry[];
  /** The nodes naming this one as an explicit dependency, Rejected ones included, in insertion order. */
  dependents: Entry[];
  /** The live neighbours at height-1 and height+1 (kept current by occupy and vacate). */
  prev: Entry | null;
  next: Entry | null;
  /** Memo: a hard-blocked node this one reaches through Proven nodes (valid while `blockerVersion` is current). */
  blocker: Entry | null;
  blockerVersion: number;
  /** Tarjan bookkeeping, valid while `stamp` equals the walk's stamp. */
  stamp: number;
  index: number;
  low: number;
  onStack: boolean;
}

interface Chain {
  byHeight: Map<bigint, Entry>;
  /** Heights of the live nodes, ascending. */
  heights: bigint[];
  /** The highest Finalized node: kept by forget(), since tip() and latest() answer from it. */
  finalized: Entry | null;
}

interface BundleMember {
  entry: Entry;
  leg: BundleLeg;
}

interface Bundle {
  legCount: number;
  /** Every node that named the bundle, Rejected and Finalized ones included. */
  members: BundleMember[];
}

interface Frame {
  e: Entry;
  reqs: Entry[];
  i: number;
}

const ref = (n: GraphNode): CertificateRef => ({ networkId: n.networkId, height: n.height, certificateId: n.certificateId });
const where = (r: { networkId: number; height: bigint }): string => `${r.networkId}/${r.height}`;
const bySeq = (a: Entry, b: Entry): number => a.node.seq - b.node.seq;
const isLive = (e: Entry): boolean => e.node.status !== "Rejected";
/** Neither settled nor dead: the nodes whose requirements still matter. */
const inProgress = (e: Entry): boolean => e.node.status !== "Rejected" && e.node.status !== "Finalized";

export class CertificateGraph {
  private readonly entries = new Map<bigint, Entry>();
  private readonly chains = new Map<number, Chain>();
  /** Nodes naming a certificate that is not in the graph (yet, or any more), keyed by the named certificateId. */
  private readonly waiting = new Map<bigint, Entry[]>();
  private readonly bundles = new Map<bigint, Bundle>();
  private readonly byStatus = Object.fromEntries(STATUSES.map((s) => [s, new Set<Entry>()])) as Record<CertificateStatus, Set<Entry>>;
  /**
   * Expires every memoised blocker. Bumped when a Proven node jumps to Finalized (that cuts paths of Proven nodes) and,
   * defensively, on rejections (a survivor's path never runs through a rejected node: the cascade follows every edge).
   */
  private version = 0;
  private stamp = 0;

  // -------------------------------------------------------------------------------------------- building

  /**
   * Adds a node in any status (new PreConfirmed nodes, or records loaded from the store). Nodes loaded as Proven are
   * not confirmed here: call confirmReady() once loading is done. The graph keeps its own copy.
   */
  add(input: GraphNode): void {
    const id = input.certificateId;
    if (this.entries.has(id)) throw new GraphError("DUPLICATE", `certificate ${id} is already in the graph`);
    const live = input.status !== "Rejected";
    if (live && this.slot(input.networkId, input.height)) throw new GraphError("HEIGHT_TAKEN", `${where(input)} is held by another certificate`);
    const resolved = this.resolveDependencies(input, live);
    const earlier = this.waiting.get(id) ?? [];
    this.checkNamedBy(input, earlier);
    this.checkBundles(input);
    const node: GraphNode = {
      ...input,
      dependencies: input.dependencies.map((d) => ({ ...d })),
      bundles: input.bundles.map((b) => ({ ...b })),
      rejection: input.rejection ?? null,
    };
    const e: Entry = { node, deps: [], dependents: earlier, prev: null, next: null, blocker: null, blockerVersion: -1, stamp: 0, index: 0, low: 0, onStack: false };
    this.waiting.delete(id);
    for (const x of earlier) x.deps.push(e);
    resolved.forEach((r, i) => {
      if (r) {
        e.deps.push(r);
        r.dependents.push(e);
      } else this.waitFor(node.dependencies[i].certificateId, e);
    });
    this.entries.set(id, e);
    this.byStatus[node.status].add(e);
    if (live) this.occupy(e);
    if (node.status === "Finalized") this.noteFinalized(e);
    for (const leg of node.bundles) this.joinBundle(e, leg);
  }

  /**
   * Resolves dependencies by certificateId (one that is not in the graph counts as Finalized) and, for a live node,
   * refuses references that contradict the graph and dependencies on rejected certificates (they would never confirm).
   */
  private resolveDependencies(n: GraphNode, live: boolean): (Entry | undefined)[] {
    return n.dependencies.map((d) => {
      const r = this.entries.get(d.certificateId);
      if (!live) return r;
      if (d.certificateId === n.certificateId) throw new GraphError("BAD_DEPENDENCY", `${where(n)} depends on itself`);
      if (!r) {
        const holder = this.slot(d.networkId, d.height);
        if (holder) throw new GraphError("BAD_DEPENDENCY", `${where(n)} names ${d.certificateId} at ${where(d)}, which holds ${holder.node.certificateId}`);
        return r;
      }
      if (r.node.networkId !== d.networkId || r.node.height !== d.height) {
        throw new GraphError("BAD_DEPENDENCY", `${where(n)} names ${d.certificateId} at ${where(d)}, but it is at ${where(r.node)}`);
      }
      if (r.node.status === "Rejected" && n.status !== "Finalized") throw new GraphError("BAD_DEPENDENCY", `${where(n)} depends on rejected ${where(d)}`);
      return r;
    });
  }

  /** Nodes added earlier may already name this certificate; they must have named it at its slot. */
  private checkNamedBy(n: GraphNode, earlier: Entry[]): void {
    for (const x of earlier) {
      const d = x.node.dependencies.find((r) => r.certificateId === n.certificateId)!;
      if (d.networkId !== n.networkId || d.height !== n.height) {
        throw new GraphError("BAD_DEPENDENCY", `${where(x.node)} names ${n.certificateId} at ${where(d)}, but it is at ${where(n)}`);
      }
    }
  }

  /**
   * Legs must agree on legCount and participants (so a leg of a chain the bundle does not name can never complete
   * it) and not collide; a bundle with a rejected leg has failed and takes no new live legs.
   */
  private checkBundles(n: GraphNode): void {
    const strict = n.status !== "Rejected" && n.status !== "Finalized";
    for (const leg of n.bundles) {
      const b = this.bundles.get(leg.bundleId);
      if (!b) continue;
      if (b.legCount !== leg.legCount) throw new GraphError("BAD_BUNDLE", `bundle ${leg.bundleId} has ${b.legCount} legs, ${where(n)} says ${leg.legCount}`);
      const named = b.members[0]?.leg.participants;
      if (named && named.join(",") !== leg.participants.join(",")) {
        throw new GraphError("BAD_BUNDLE", `bundle ${leg.bundleId} names participants [${named.join(", ")}], ${where(n)} says [${leg.participants.join(", ")}]`);
      }
      if (!strict) continue;
      if (b.members.some((m) => !isLive(m.entry))) throw new GraphError("BAD_BUNDLE", `bundle ${leg.bundleId} has already failed`);
      if (b.members.some((m) => m.leg.legIndex === leg.legIndex)) throw new GraphError("BAD_BUNDLE", `bundle ${leg.bundleId} leg ${leg.legIndex} is already taken`);
    }
  }

  private waitFor(id: bigint, e: Entry): void {
    const list = this.waiting.get(id);
    if (list) list.push(e);
    else this.waiting.set(id, [e]);
  }

  private joinBundle(e: Entry, leg: BundleLeg): void {
    let b = this.bundles.get(leg.bundleId);
    if (!b) this.bundles.set(leg.bundleId, (b = { legCount: leg.legCount, members: [] }));
    b.members.push({ entry: e, leg });
  }

  // -------------------------------------------------------------------------------------------- slots

  private chain(networkId: number): Chain {
    let c = this.chains.get(networkId);
    if (!c) this.chains.set(networkId, (c = { byHeight: new Map(), heights: [], finalized: null }));
    return c;
  }

  private slot(networkId: number, height: bigint): Entry | undefined {
    return this.chains.get(networkId)?.byHeight.get(height);
  }

  private occupy(e: Entry): void {
    const c = this.chain(e.node.networkId);
    c.byHeight.set(e.node.height, e);
    insertSorted(c.heights, e.node.height);
    e.prev = c.byHeight.get(e.node.height - 1n) ?? null;
    e.next = c.byHeight.get(e.node.height + 1n) ?? null;
    if (e.prev) e.prev.next = e;
    if (e.next) e.next.prev = e;
  }

  private noteFinalized(e: Entry): void {
    const c = this.chain(e.node.networkId);
    if (!c.finalized || c.finalized.node.height < e.node.height) c.finalized = e;
  }

  private vacate(e: Entry): void {
    const c = this.chains.get(e.node.networkId);
    if (!c || c.byHeight.get(e.node.height) !== e) return;
    c.byHeight.delete(e.node.height);
    removeSorted(c.heights, e.node.height);
    if (e.prev) e.prev.next = null;
    if (e.next) e.next.prev = null;
    e.prev = e.next = null;
  }

  // -------------------------------------------------------------------------------------------- queries

  get(id: bigint): GraphNode | undefined {
    return this.entries.get(id)?.node;
  }

  /** The non-Rejected node at (networkId, height). */
  at(networkId: number, height: bigint): GraphNode | undefined {
    return this.slot(networkId, height)?.node;
  }

  /** The highest-height non-Rejected node of the chain (Finalized included; see pruneFinalized). */
  tip(networkId: number): GraphNode | undefined {
    const c = this.chains.get(networkId);
    return c && c.heights.length > 0 ? c.byHeight.get(c.heights[c.heights.length - 1])!.node : undefined;
  }

  /**
   * The latest node of the chain whose status rank is >= minStatus. Walks down from the tip because ranks are not
   * monotone in height (a reverted epoch can leave a lower height Confirmed under a higher InEpoch one).
   */
  latest(networkId: number, minStatus: CertificateStatus): GraphNode | undefined {
    const c = this.chains.get(networkId);
    if (!c) return undefined;
    for (let i = c.heights.length - 1; i >= 0; i--) {
      const n = c.byHeight.get(c.heights[i])!.node;
      if (STATUS_RANK[n.status] >= STATUS_RANK[minStatus]) return n;
    }
    return undefined;
  }

  /** Nodes naming this certificate as an explicit dependency, Rejected ones included, in insertion order. */
  dependents(id: bigint): GraphNode[] {
    return (this.entries.get(id)?.dependents ?? this.waiting.get(id) ?? []).map((e) => e.node);
  }

  /** All nodes that named the bundle (Rejected and Finalized included), by legIndex then seq. */
  bundle(bundleId: bigint): { legCount: number; legs: GraphNode[] } | undefined {
    const b = this.bundles.get(bundleId);
    if (!b) return undefined;
    const legs = [...b.members].sort((x, y) => x.leg.legIndex - y.leg.legIndex || x.entry.node.seq - y.entry.node.seq);
    return { legCount: b.legCount, legs: legs.map((m) => m.entry.node) };
  }

  counts(): Record<CertificateStatus, number> {
    return Object.fromEntries(STATUSES.map((s) => [s, this.byStatus[s].size])) as Record<CertificateStatus, number>;
  }

  // -------------------------------------------------------------------------------------------- requirements

  /** Explicit dependencies present in the graph, and the predecessor if present: the non-bundle requirements. */
  private chainAndDependencies(e: Entry): Entry[] {
    const out = e.deps.slice();
    if (e.prev) out.push(e.prev);
    return out;
  }

  /** The other live legs of every bundle of e, appended to `out`. */
  private bundlePeers(e: Entry, out: Entry[] = []): Entry[] {
    for (const leg of e.node.bundles) {
      for (const m of this.bundles.get(leg.bundleId)!.members) if (m.entry !== e && isLive(m.entry)) out.push(m.entry);
    }
    return out;
  }

  /** Every bundle of e has all its legs, live, and successful: a missing or failed leg can never be made up for here. */
  private bundlesWhole(e: Entry): boolean {
    for (const leg of e.node.bundles) {
      const b = this.bundles.get(leg.bundleId)!;
      let live = 0;
      for (const m of b.members) {
        if (!isLive(m.entry)) return false;
        if (!m.leg.success) return false;
        live++;
      }
      if (live !== b.legCount) return false;
    }
    return true;
  }

  /** The nodes that list e among their requirements (the reverse edges): dependents, successor, bundle peers. */
  private requirers(e: Entry): Entry[] {
    const out = e.dependents.slice();
    if (e.next) out.push(e.next);
    return this.bundlePeers(e, out);
  }

  // -------------------------------------------------------------------------------------------- confirmation

  /** PreConfirmed -> Proven, then every confirmation that enables. */
  markProven(id: bigint): StatusChange[] {
    const e = this.need(id);
    if (e.node.status !== "PreConfirmed") throw new GraphError("BAD_TRANSITION", `${where(e.node)} is ${e.node.status}, not PreConfirmed`);
    const out = [this.move(e, "Proven")];
    this.propagate([e], out);
    return out;
  }

  /** After loading from the store: confirms every loaded Proven node whose requirements allow it (one pass, O(n)). */
  confirmReady(): StatusChange[] {
    const out: StatusChange[] = [];
    this.propagate([...this.byStatus.Proven].sort(bySeq), out);
    return out;
  }

  /**
   * Tries each seed, and the requirers of everything that confirms, until nothing more can confirm. Invariant kept:
   * afterwards every Proven node reaches, through Proven nodes, a hard block (see isHard), so none could confirm.
   */
  private propagate(seeds: Entry[], out: StatusChange[]): void {
    const work = [...seeds].reverse();
    for (let e = work.pop(); e; e = work.pop()) this.tryConfirm(e, out, work);
  }

  /**
   * Iterative Tarjan over the Proven nodes reachable from `start` along requirement edges. A completed component has
   * had everything it reaches explored without meeting a hard block, so it confirms; components complete in reverse
   * topological order, which is the order of `out`. Meeting a hard block aborts the walk: everything still on the
   * Tarjan stack reaches it and memoises it.
   */
  private tryConfirm(start: Entry, out: StatusChange[], work: Entry[]): void {
    if (start.node.status !== "Proven" || this.memoValid(start)) return;
    const stamp = ++this.stamp;
    let counter = 0;
    const sccStack: Entry[] = [];
    const frames: Frame[] = [];
    const enter = (e: Entry): Entry | null => {
      e.stamp = stamp;
      e.index = e.low = counter++;
      e.onStack = true;
      sccStack.push(e);
      const reqs = this.provenRequirements(e);
      if (!Array.isArray(reqs)) return reqs;
      frames.push({ e, reqs, i: 0 });
      return null;
    };
    let blocker = enter(start);
    while (blocker === null && frames.length > 0) {
      const f = frames[frames.length - 1];
      if (f.i < f.reqs.length) {
        const r = f.reqs[f.i++];
        if (r.node.status !== "Proven") continue; // confirmed by a component completed earlier in this walk
        if (r.stamp !== stamp) blocker = enter(r);
        else if (r.onStack) f.e.low = Math.min(f.e.low, r.index);
        continue;
      }
      frames.pop();
      if (frames.length > 0) frames[frames.length - 1].e.low = Math.min(frames[frames.length - 1].e.low, f.e.low);
      if (f.e.low === f.e.index) this.confirmComponent(popComponent(sccStack, f.e), out, work);
    }
    if (blocker !== null) this.memoise(sccStack, blocker);
  }

  /** The Proven requirements to explore, or the hard-blocked node that settles the question (possibly e itself). */
  private provenRequirements(e: Entry): Entry[] | Entry {
    if (!this.bundlesWhole(e)) return e;
    const next: Entry[] = [];
    for (const r of e.deps) if (this.triage(r, next)) return this.hardOf(r);
    if (e.prev && this.triage(e.prev, next)) return this.hardOf(e.prev);
    if (e.node.bundles.length === 0) return next;
    for (const r of this.bundlePeers(e)) if (this.triage(r, next)) return this.hardOf(r);
    return next;
  }

  /** True if r settles the walk as a hard block; pushes r onto `next` if it is Proven and still to explore. */
  private triage(r: Entry, next: Entry[]): boolean {
    const s = r.node.status;
    if (isConfirmedOrLater(s)) return false;
    if (s !== "Proven") return true;
    if (r.stamp !== this.stamp && this.memoValid(r)) return true;
    next.push(r);
    return false;
  }

  /** The hard node behind a requirement that settled the walk: itself, or the blocker it memoised. */
  private hardOf(r: Entry): Entry {
    return r.node.status === "Proven" ? r.blocker! : r;
  }

  /** A hard block: not Proven-or-better, or Proven with a bundle that is not whole. */
  private isHard(e: Entry): boolean {
    const s = e.node.status;
    if (s === "PreConfirmed" || s === "Rejected") return true;
    return s === "Proven" && !this.bundlesWhole(e);
  }

  /**
   * The memo holds while no path of Proven nodes broke (version) and the blocker is still hard: a Proven node never
   * confirms while it reaches a hard node, so the path to the blocker still exists.
   */
  private memoValid(e: Entry): boolean {
    return e.blocker !== null && e.blockerVersion === this.version && this.isHard(e.blocker);
  }

  private memoise(nodes: Entry[], blocker: Entry): void {
    for (const e of nodes) {
      e.blocker = blocker;
      e.blockerVersion = this.version;
      e.onStack = false;
    }
  }

  private confirmComponent(members: Entry[], out: StatusChange[], work: Entry[]): void {
    members.sort(bySeq);
    for (const m of members) {
      out.push(this.move(m, "Confirmed"));
      m.blocker = null;
    }
    for (const m of members) for (const r of this.requirers(m)) if (r.node.status === "Proven") work.push(r);
  }

  // -------------------------------------------------------------------------------------------- rejection

  /**
   * Rejects the node and, breadth first, every node that transitively requires it (Finalized ones are skipped and not
   * cascaded through). A node reached along several edges takes the first in BFS order; per node the order is
   * successor, dependents (insertion order), bundle peers. Rejecting a Rejected node is a no-op; a Finalized one throws.
   */
  reject(id: bigint, rejection: Rejection): StatusChange[] {
    const e = this.need(id);
    if (e.node.status === "Rejected") return [];
    if (e.node.status === "Finalized") throw new GraphError("BAD_TRANSITION", `${where(e.node)} is Finalized and cannot be rejected`);
    return this.cascade(e, rejection);
  }

  private cascade(root: Entry, rejection: Rejection): StatusChange[] {
    this.version++;
    const rootRef = ref(root.node);
    const origin = `${rejection.code} at ${where(rootRef)}`;
    const queue: [Entry, Rejection][] = [[root, rejection]];
    const queued = new Set<Entry>([root]);
    const out: StatusChange[] = [];
    for (let i = 0; i < queue.length; i++) {
      const [e, why] = queue[i];
      out.push(this.move(e, "Rejected", why));
      const next = e.next;
      this.vacate(e);
      const cause = ref(e.node);
      const at = where(cause);
      // the detail is built only for a node not reached before: each node falls once, by the first edge BFS meets
      const offer = (victim: Entry | null, code: Rejection["code"], detail: () => string): void => {
        if (!victim || queued.has(victim) || !inProgress(victim)) return;
        queued.add(victim);
        queue.push([victim, { code, detail: `${detail()} (cascade from ${origin})`, cause, root: rootRef }]);
      };
      offer(next, "PREDECESSOR_REJECTED", () => `predecessor ${at} was rejected`);
      for (const d of e.dependents) offer(d, "DEPENDENCY_REJECTED", () => `dependency ${at} was rejected`);
      for (const leg of e.node.bundles) {
        for (const m of this.bundles.get(leg.bundleId)!.members) {
          if (m.entry !== e) offer(m.entry, "BUNDLE_FAILED", () => `bundle ${leg.bundleId}: leg ${leg.legIndex} at ${at} was rejected`);
        }
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------- later statuses

  /**
   * InEpoch / Settling / Finalized / back to Confirmed, per ALLOWED. A jump to Finalized from below Confirmed may
   * enable confirmations; Rejected -> Finalized (L1 wins) takes the slot back, rejecting whatever live certificate
   * holds it now (with its cascade) as EQUIVOCATION, since the chain signed two certificates for that height.
   */
  setStatus(id: bigint, to: CertificateStatus): StatusChange[] {
    const e = this.need(id);
    const from = e.node.status;
    if (!(ALLOWED[from] ?? []).includes(to)) throw new GraphError("BAD_TRANSITION", `${where(e.node)}: ${from} -> ${to} is not allowed`);
    const occupant = from === "Rejected" ? this.slot(e.node.networkId, e.node.height) : undefined;
    if (occupant?.node.status === "Finalized") throw new GraphError("BAD_TRANSITION", `${where(e.node)} is already Finalized with ${occupant.node.certificateId}`);
    const out = [this.move(e, to)];
    if (to !== "Finalized" || isConfirmedOrLater(from)) return out;
    this.version++;
    if (from === "Rejected") {
      if (occupant) out.push(...this.cascade(occupant, { code: "EQUIVOCATION", detail: `L1 finalized ${e.node.certificateId} at ${where(e.node)}` }));
      this.occupy(e);
    }
    this.propagate(this.requirers(e).filter((r) => r.node.status === "Proven"), out);
    return out;
  }

  private move(e: Entry, to: CertificateStatus, rejection?: Rejection): StatusChange {
    const n = e.node;
    const from = n.status;
    this.byStatus[from].delete(e);
    this.byStatus[to].add(e);
    n.status = to;
    if (rejection) n.rejection = rejection;
    else if (to === "Finalized") n.rejection = null;
    if (to === "Finalized") this.noteFinalized(e);
    const change: StatusChange = { certificateId: n.certificateId, networkId: n.networkId, height: n.height, from, to };
    if (rejection) change.rejection = rejection;
    return change;
  }

  private need(id: bigint): Entry {
    const e = this.entries.get(id);
    if (!e) throw new GraphError("UNKNOWN", `certificate ${id} is not in the graph`);
    return e;
  }

  // -------------------------------------------------------------------------------------------- epochs

  /**
   * The epoch candidate set, greedy: Confirmed nodes in seq order; each one's closure (itself plus every requirement
   * not yet chosen and not Finalized, all Confirmed, eligible and with whole bundles; bundle legs always count, even
   * Finalized ones, because the circuit needs every leg in the epoch) is added if it qualifies and fits. Greedy is
   * not optimal (an early large closure can crowd out several small ones) but it favours arrival order, which is
   * fairer. A node whose closure meets a non-qualifying node is remembered as bad for the rest of the call; a closure
   * walk stops once it outgrows the remaining room, so one call costs O(candidates x capacity) at worst.
   * Slot order: seq order, with each chain's slots refilled in height order.
   */
  selectEpoch(capacity: number, eligible: (n: GraphNode) => boolean = () => true): GraphNode[] {
    const ok = memoisePredicate((e: Entry) => eligible(e.node));
    const bad = new Set<Entry>();
    const selected = new Set<Entry>();
    const qualifies = (e: Entry) => e.node.status === "Confirmed" && !bad.has(e) && this.bundlesWhole(e) && ok(e);
    for (const c of [...this.byStatus.Confirmed].sort(bySeq)) {
      if (selected.size >= capacity) break;
      if (selected.has(c) || bad.has(c)) continue;
      const closure = this.epochClosure(c, capacity - selected.size, selected, bad, qualifies);
      if (closure) for (const e of closure) selected.add(e);
    }
    return slotOrder([...selected]);
  }

  /** What must join the epoch with e: requirements that are not Finalized, and every bundle peer. */
  private epochNeeds(e: Entry): Entry[] {
    return [...this.chainAndDependencies(e).filter((r) => r.node.status !== "Finalized"), ...this.bundlePeers(e)];
  }

  /** Iterative DFS; null if the closure does not qualify (marking the path to the offender bad) or exceeds room. */
  private epochClosure(start: Entry, room: number, selected: Set<Entry>, bad: Set<Entry>, qualifies: (e: Entry) => boolean): Entry[] | null {
    if (!qualifies(start)) {
      bad.add(start);
      return null;
    }
    const taken = new Set<Entry>([start]);
    const frames: Frame[] = [{ e: start, reqs: this.epochNeeds(start), i: 0 }];
    while (frames.length > 0) {
      const f = frames[frames.length - 1];
      if (f.i === f.reqs.length) {
        frames.pop();
        continue;
      }
      const r = f.reqs[f.i++];
      if (taken.has(r) || selected.has(r)) continue;
      if (!qualifies(r)) {
        for (const g of frames) bad.add(g.e);
        return null;
      }
      taken.add(r);
      if (taken.size > room) return null;
      frames.push({ e: r, reqs: this.epochNeeds(r), i: 0 });
    }
    return [...taken];
  }

  // -------------------------------------------------------------------------------------------- memory

  /**
   * Forgets the settled nodes (Finalized, Rejected) among `ids` and among what they require, once nothing in progress
   * requires them: the requirements of a node that just settled may have been kept for it alone. Call it with the
   * nodes whose status just changed. Kept: each chain's highest Finalized node, and the Finalized nodes that
   * `forgettable` refuses (the caller's record of finalized states does not cover them). Returns the forgotten nodes.
   */
  forget(ids: Iterable<bigint>, forgettable: (n: GraphNode) => boolean = () => true): GraphNode[] {
    const candidates = new Set<Entry>();
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      candidates.add(e);
      for (const r of e.deps) candidates.add(r);
      // a rejected node has left its slot and lost its link to the predecessor: look the slot up
      const below = e.prev ?? this.slot(e.node.networkId, e.node.height - 1n);
      if (below) candidates.add(below);
      for (const leg of e.node.bundles) for (const m of this.bundles.get(leg.bundleId)?.members ?? []) candidates.add(m.entry);
    }
    const doomed = [...candidates].filter((c) => this.forgettable(c, forgettable));
    for (const f of doomed) this.remove(f);
    return doomed.map((f) => f.node);
  }

  /**
   * Drops Finalized nodes that no in-progress node (neither Finalized nor Rejected) references as a dependency, as
   * its predecessor or as a bundle peer. The highest Finalized node of each chain stays, so tip() and latest() keep
   * answering. A dropped dependency still counts as Finalized. Rejected nodes are kept (see forget()).
   */
  pruneFinalized(): number {
    const doomed = [...this.byStatus.Finalized].filter((f) => this.forgettable(f, () => true));
    for (const f of doomed) this.remove(f);
    return doomed.length;
  }

  /** Settled, required by nothing in progress, and not its chain's highest Finalized node. */
  private forgettable(e: Entry, allowed: (n: GraphNode) => boolean): boolean {
    const s = e.node.status;
    if (s === "Finalized") {
      if (this.chains.get(e.node.networkId)?.finalized === e || !allowed(e.node)) return false;
    } else if (s !== "Rejected") return false;
    return !this.requirers(e).some(inProgress);
  }

  private remove(f: Entry): void {
    const id = f.node.certificateId;
    this.entries.delete(id);
    this.byStatus[f.node.status].delete(f);
    this.vacate(f);
    for (const r of f.deps) r.dependents = r.dependents.filter((x) => x !== f);
    for (const d of f.node.dependencies) {
      const list = this.waiting.get(d.certificateId);
      if (!list) continue;
      const rest = list.filter((x) => x !== f);
      if (rest.length > 0) this.waiting.set(d.certificateId, rest);
      else this.waiting.delete(d.certificateId);
    }
    // what named f is settled (else f would be kept): it forgets f, which now counts as Finalized
    for (const x of f.dependents) x.deps = x.deps.filter((y) => y !== f);
    for (const leg of f.node.bundles) {
      const b = this.bundles.get(leg.bundleId)!;
      b.members = b.members.filter((m) => m.entry !== f);
      if (b.members.length === 0) this.bundles.delete(leg.bundleId);
    }
    const c = this.chains.get(f.node.networkId);
    if (c && c.byHeight.size === 0 && !c.finalized) this.chains.delete(f.node.networkId);
  }
}

// ---------------------------------------------------------------------------------------------- helpers

/** Heights nearly always arrive in order and leave from the top (rejection) or the bottom (pruning). */
function insertSorted(sorted: bigint[], x: bigint): void {
  if (sorted.length === 0 || sorted[sorted.length - 1] < x) sorted.push(x);
  else sorted.splice(lowerBound(sorted, x), 0, x);
}

function removeSorted(sorted: bigint[], x: bigint): void {
  if (sorted[sorted.length - 1] === x) sorted.pop();
  else sorted.splice(lowerBound(sorted, x), 1);
}

function lowerBound(sorted: bigint[], x: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function popComponent(stack: Entry[], root: Entry): Entry[] {
  const members: Entry[] = [];
  for (;;) {
    const e = stack.pop()!;
    e.onStack = false;
    members.push(e);
    if (e === root) return members;
  }
}

function memoisePredicate(p: (e: Entry) => boolean): (e: Entry) => boolean {
  const seen = new Map<Entry, boolean>();
  return (e) => {
    let v = seen.get(e);
    if (v === undefined) seen.set(e, (v = p(e)));
    return v;
  };
}

/** Seq order, except that each chain's slots are refilled in height order (the circuit needs contiguous heights). */
function slotOrder(chosen: Entry[]): GraphNode[] {
  chosen.sort(bySeq);
  const perChain = new Map<number, Entry[]>();
  for (const e of chosen) {
    const list = perChain.get(e.node.networkId);
    if (list) list.push(e);
    else perChain.set(e.node.networkId, [e]);
  }
  for (const list of perChain.values()) list.sort((a, b) => (a.node.height < b.node.height ? -1 : a.node.height > b.node.height ? 1 : 0));
  const cursor = new Map<number, number>();
  return chosen.map((e) => {
    const i = cursor.get(e.node.networkId) ?? 0;
    cursor.set(e.node.networkId, i + 1);
    return perChain.get(e.node.networkId)![i].node;
  });
}
