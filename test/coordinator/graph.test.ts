/**
 * The coordinator's certificate graph (coordinator/graph.ts): confirmation order and strongly connected components,
 * bundles, the exact reach of a rejection cascade, slot reuse, the allowed status transitions, epoch selection, pruning
 * and forgetting, and that 100,000 certificates over 1,000 chains are handled without quadratic work. A randomised run
 * checks the incremental algorithm against a from-scratch fixpoint after every operation; another runs a forgetting
 * graph beside one that keeps everything and checks that they give the same answers.
 */
import { expect } from "chai";
import { CertificateGraph, GraphError, GraphNode } from "../../coordinator/graph";
import { STATUSES, CertificateStatus, Rejection, StatusChange, isConfirmedOrLater } from "../../coordinator/types";
import type { BundleLeg, CertificateRef } from "../../lib/certificate";
import { mulberry32 } from "../../scripts/lib/prng";

// ------------------------------------------------------------------------------------------------ helpers


function shuffle<T>(xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Ids that name their slot, so failures are readable; `variant` tells resubmissions apart. */
const idOf = (networkId: number, height: number, variant = 0): bigint => BigInt(networkId) * 1_000_000n + BigInt(height) * 10n + BigInt(variant);
const refTo = (n: { networkId: number; height: bigint; certificateId: bigint }): CertificateRef => ({ networkId: n.networkId, height: n.height, certificateId: n.certificateId });
const leg = (bundleId: bigint, legIndex: number, legCount: number, success = true, participants = Array.from({ length: legCount }, (_, k) => k + 1)): BundleLeg => ({ bundleId, legIndex, legCount, success, participants });

interface NodeOpts {
  status?: CertificateStatus;
  deps?: CertificateRef[];
  bundles?: BundleLeg[];
  variant?: number;
  seq?: number;
}

/** A graph with a seq counter, so tests read as a list of arrivals. */
class Builder {
  readonly g = new CertificateGraph();
  private seq = 0;

  add(networkId: number, height: number, o: NodeOpts = {}): GraphNode {
    const node: GraphNode = {
      certificateId: idOf(networkId, height, o.variant),
      networkId,
      height: BigInt(height),
      status: o.status ?? "PreConfirmed",
      dependencies: o.deps ?? [],
      bundles: o.bundles ?? [],
      seq: o.seq ?? this.seq++,
    };
    this.g.add(node);
    return this.g.get(node.certificateId)!;
  }
}

const ids = (xs: { certificateId: bigint }[]): bigint[] => xs.map((x) => x.certificateId);
const confirmed = (changes: StatusChange[]): bigint[] => ids(changes.filter((c) => c.to === "Confirmed"));

function expectGraphError(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(GraphError);
    expect((e as GraphError).code).to.equal(code);
    return;
  }
  expect.fail(`expected GraphError ${code}`);
}

// ------------------------------------------------------------------------------------------------ tests

describe("coordinator graph (coordinator/graph.ts)", function () {
  describe("indexes", function () {
    it("get, at, tip, latest, dependents, counts", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Finalized" });
      const a1 = b.add(1, 1, { status: "Confirmed" });
      const a2 = b.add(1, 2, { status: "Proven" });
      const c0 = b.add(2, 0, { deps: [refTo(a1)] });
      const g = b.g;
      expect(g.get(a1.certificateId)).to.equal(a1);
      expect(g.at(1, 2n)).to.equal(a2);
      expect(g.at(1, 3n)).to.equal(undefined);
      expect(g.tip(1)).to.equal(a2);
      expect(g.tip(9)).to.equal(undefined);
      expect(g.latest(1, "Confirmed")).to.equal(a1);
      expect(g.latest(1, "Finalized")).to.equal(a0);
      expect(g.latest(1, "PreConfirmed")).to.equal(a2);
      expect(g.latest(2, "Proven")).to.equal(undefined);
      expect(g.dependents(a1.certificateId)).to.deep.equal([c0]);
      expect(g.dependents(a0.certificateId)).to.deep.equal([]);
      expect(g.counts()).to.deep.equal({ PreConfirmed: 1, Proven: 1, Confirmed: 1, InEpoch: 0, Settling: 0, Finalized: 1, Rejected: 0 });
    });

    it("keeps its own copy of what it is given", function () {
      const g = new CertificateGraph();
      const input: GraphNode = { certificateId: 7n, networkId: 1, height: 0n, status: "PreConfirmed", dependencies: [], bundles: [], seq: 0 };
      g.add(input);
      input.status = "Finalized";
      expect(g.get(7n)!.status).to.equal("PreConfirmed");
    });

    it("add refuses duplicates, taken heights, contradictory dependencies and bundle conflicts", function () {
      const b = new Builder();
      const a0 = b.add(1, 0);
      expectGraphError(() => b.add(1, 0), "DUPLICATE");
      expectGraphError(() => b.add(1, 0, { variant: 1 }), "HEIGHT_TAKEN");
      expectGraphError(() => b.add(2, 0, { deps: [{ ...refTo(a0), certificateId: 999n }] }), "BAD_DEPENDENCY");
      expectGraphError(() => b.add(2, 0, { deps: [{ ...refTo(a0), height: 5n }] }), "BAD_DEPENDENCY");
      b.add(3, 0, { bundles: [leg(50n, 0, 2)] });
      expectGraphError(() => b.add(4, 0, { bundles: [leg(50n, 1, 3)] }), "BAD_BUNDLE");
      // a leg naming other participants than the bundle's first leg: a squatter
      expectGraphError(() => b.add(4, 0, { bundles: [leg(50n, 1, 2, true, [1, 4])] }), "BAD_BUNDLE");
      expectGraphError(() => b.add(4, 0, { bundles: [leg(50n, 0, 2)] }), "BAD_BUNDLE");
      expectGraphError(() => b.g.markProven(12345n), "UNKNOWN");
      expect(b.g.at(2, 0n)).to.equal(undefined);
      expect(b.g.at(4, 0n)).to.equal(undefined);
      b.g.reject(a0.certificateId, { code: "PROOF_TIMEOUT", detail: "late" });
      expectGraphError(() => b.add(2, 0, { deps: [refTo(a0)] }), "BAD_DEPENDENCY");
      // named before it arrived, at another slot than the one it takes
      const w = b.add(5, 0, { deps: [{ networkId: 6, height: 0n, certificateId: idOf(6, 1) }] });
      expect(b.g.dependents(idOf(6, 1))).to.deep.equal([w]);
      expectGraphError(() => b.add(6, 1), "BAD_DEPENDENCY");
      expect(b.g.get(idOf(6, 1))).to.equal(undefined);
    });
  });

  describe("confirmation", function () {
    it("a chain of dependencies confirms in order: A0 <- B0 <- C0, proofs in reverse order", function () {
      const b = new Builder();
      const a0 = b.add(1, 0);
      const b0 = b.add(2, 0, { deps: [refTo(a0)] });
      const c0 = b.add(3, 0, { deps: [refTo(b0)] });
      const g = b.g;
      expect(g.markProven(c0.certificateId)).to.deep.equal([{ certificateId: c0.certificateId, networkId: 3, height: 0n, from: "PreConfirmed", to: "Proven" }]);
      expect(g.markProven(b0.certificateId)).to.have.length(1);
      expect(g.get(c0.certificateId)!.status).to.equal("Proven");
      const changes = g.markProven(a0.certificateId);
      expect(changes.map((c) => [c.certificateId, c.from, c.to])).to.deep.equal([
        [a0.certificateId, "PreConfirmed", "Proven"],
        [a0.certificateId, "Proven", "Confirmed"],
        [b0.certificateId, "Proven", "Confirmed"],
        [c0.certificateId, "Proven", "Confirmed"],
      ]);
      expect(g.counts().Confirmed).to.equal(3);
    });

    it("a later height waits for its predecessor (the implicit dependency)", function () {
      const b = new Builder();
      const hs = [0, 1, 2, 3].map((h) => b.add(1, h));
      expect(confirmed(b.g.markProven(hs[2].certificateId))).to.deep.equal([]);
      expect(confirmed(b.g.markProven(hs[1].certificateId))).to.deep.equal([]);
      expect(confirmed(b.g.markProven(hs[0].certificateId))).to.deep.equal(ids(hs.slice(0, 3)));
      expect(confirmed(b.g.markProven(hs[3].certificateId))).to.deep.equal([hs[3].certificateId]);
    });

    it("a 2-cycle confirms as a unit, and not before both are proven", function () {
      const b = new Builder();
      const a = { networkId: 1, height: 0n, certificateId: idOf(1, 0) };
      const c = { networkId: 2, height: 0n, certificateId: idOf(2, 0) };
      b.add(1, 0, { deps: [c] });
      b.add(2, 0, { deps: [a] });
      expect(confirmed(b.g.markProven(a.certificateId))).to.deep.equal([]);
      const changes = b.g.markProven(c.certificateId);
      expect(confirmed(changes)).to.deep.equal([a.certificateId, c.certificateId]);
    });

    it("a 3-cycle confirms as a unit, only once its external dependency confirms", function () {
      const b = new Builder();
      const ext = b.add(9, 0);
      const r = (n: number) => ({ networkId: n, height: 0n, certificateId: idOf(n, 0) });
      b.add(1, 0, { deps: [r(2), refTo(ext)] });
      b.add(2, 0, { deps: [r(3)] });
      b.add(3, 0, { deps: [r(1)] });
      for (const n of [3, 1]) expect(confirmed(b.g.markProven(idOf(n, 0)))).to.deep.equal([]);
      expect(confirmed(b.g.markProven(idOf(2, 0)))).to.deep.equal([]);
      expect(b.g.counts().Proven).to.equal(3);
      expect(confirmed(b.g.markProven(ext.certificateId))).to.deep.equal([ext.certificateId, idOf(1, 0), idOf(2, 0), idOf(3, 0)]);
    });

    it("a chain of components confirms in one call, each after what it requires", function () {
      const b = new Builder();
      const r = (n: number) => ({ networkId: n, height: 0n, certificateId: idOf(n, 0) });
      // {1,2} <- {3,4} <- 5, and 6 requires 5 through a bundle with 7
      b.add(1, 0, { deps: [r(2)] });
      b.add(2, 0, { deps: [r(1)] });
      b.add(3, 0, { deps: [r(4), r(1)] });
      b.add(4, 0, { deps: [r(3)] });
      b.add(5, 0, { deps: [r(4)] });
      b.add(6, 0, { bundles: [leg(77n, 0, 2)] });
      b.add(7, 0, { deps: [r(5)], bundles: [leg(77n, 1, 2)] });
      for (const n of [7, 6, 5, 4, 3, 2]) expect(confirmed(b.g.markProven(idOf(n, 0)))).to.deep.equal([]);
      expect(confirmed(b.g.markProven(idOf(1, 0)))).to.deep.equal([1, 2, 3, 4, 5, 6, 7].map((n) => idOf(n, 0)));
    });

    it("a bundle with a missing leg does not confirm; it does once the last leg arrives and is proven", function () {
      const b = new Builder();
      const x = b.add(1, 0, { bundles: [leg(5n, 0, 3)] });
      const y = b.add(2, 0, { bundles: [leg(5n, 1, 3)] });
      expect(confirmed(b.g.markProven(x.certificateId))).to.deep.equal([]);
      expect(confirmed(b.g.markProven(y.certificateId))).to.deep.equal([]);
      expect(b.g.bundle(5n)!.legs).to.deep.equal([x, y]);
      const z = b.add(3, 0, { bundles: [leg(5n, 2, 3)] });
      expect(b.g.bundle(5n)).to.deep.equal({ legCount: 3, legs: [x, y, z] });
      expect(confirmed(b.g.markProven(z.certificateId))).to.deep.equal(ids([x, y, z]));
    });

    it("a bundle with a failed leg never confirms", function () {
      const b = new Builder();
      const x = b.add(1, 0, { bundles: [leg(5n, 0, 2)] });
      const y = b.add(2, 0, { bundles: [leg(5n, 1, 2, false)] });
      b.g.markProven(x.certificateId);
      expect(confirmed(b.g.markProven(y.certificateId))).to.deep.equal([]);
    });

    it("Finalized dependencies are satisfied, in the graph or not", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Finalized" });
      const gone = { networkId: 3, height: 4n, certificateId: 424242n };
      const b0 = b.add(2, 0, { deps: [refTo(a0), gone] });
      expect(confirmed(b.g.markProven(b0.certificateId))).to.deep.equal([b0.certificateId]);
    });

    it("a jump to Finalized (L1 is the truth) enables what waited on it, through a memoised block", function () {
      const b = new Builder();
      const a4 = b.add(1, 4);
      const a5 = b.add(1, 5);
      const c0 = b.add(2, 0, { deps: [refTo(a5)] });
      b.g.markProven(a5.certificateId);
      expect(confirmed(b.g.markProven(c0.certificateId))).to.deep.equal([]); // blocked by a4 through a5
      const changes = b.g.setStatus(a5.certificateId, "Finalized");
      expect(changes.map((c) => [c.certificateId, c.to])).to.deep.equal([
        [a5.certificateId, "Finalized"],
        [c0.certificateId, "Confirmed"],
      ]);
      expect(b.g.get(a4.certificateId)!.status).to.equal("PreConfirmed");
    });

    it("confirmReady confirms what a load from the store left Proven", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Confirmed" });
      const a1 = b.add(1, 1, { status: "Proven" });
      const c0 = b.add(2, 0, { status: "Proven", deps: [refTo(a1)] });
      const d0 = b.add(3, 0, { status: "Proven", deps: [refTo(c0)], bundles: [leg(1n, 0, 2)] });
      expect(a0.status).to.equal("Confirmed");
      expect(confirmed(b.g.confirmReady())).to.deep.equal(ids([a1, c0]));
      expect(d0.status).to.equal("Proven");
      expect(b.g.confirmReady()).to.deep.equal([]);
    });

    it("markProven only from PreConfirmed", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Proven" });
      expectGraphError(() => b.g.markProven(a0.certificateId), "BAD_TRANSITION");
    });
  });

  describe("rejection", function () {
    it("cascades to exactly the transitive dependents, later heights and bundle legs, with exact reasons", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Confirmed" });
      const a1 = b.add(1, 1, { status: "Proven" });
      const a2 = b.add(1, 2);
      const h0 = b.add(7, 0, { status: "Finalized" });
      const b0 = b.add(2, 0, { deps: [refTo(a1), refTo(h0)] });
      const b1 = b.add(2, 1);
      const c0 = b.add(3, 0, { deps: [refTo(b1)] });
      const d0 = b.add(4, 0, { deps: [refTo(a2)], bundles: [leg(88n, 0, 2)] });
      const e0 = b.add(5, 0, { bundles: [leg(88n, 1, 2)] });
      const e1 = b.add(5, 1);
      const j0 = b.add(9, 0, { status: "Finalized", deps: [refTo(a1)] }); // settled directly: L1 wins
      // bystanders
      const f0 = b.add(6, 0, { deps: [refTo(a0)] });
      const k0 = b.add(10, 0, { deps: [refTo(j0)] });
      const m0 = b.add(11, 0, { deps: [refTo(h0)], bundles: [leg(99n, 0, 2)] });
      const m1 = b.add(12, 0, { bundles: [leg(99n, 1, 2)] });
      const before = b.g.counts();

      const rootRejection: Rejection = { code: "PROOF_TIMEOUT", detail: "no proof by the deadline" };
      const changes = b.g.reject(a1.certificateId, rootRejection);
      const root = refTo(a1);
      const origin = "(cascade from PROOF_TIMEOUT at 1/1)";
      expect(changes).to.deep.equal([
        { ...refTo(a1), from: "Proven", to: "Rejected", rejection: rootRejection },
        { ...refTo(a2), from: "PreConfirmed", to: "Rejected", rejection: { code: "PREDECESSOR_REJECTED", detail: `predecessor 1/1 was rejected ${origin}`, cause: root, root } },
        { ...refTo(b0), from: "PreConfirmed", to: "Rejected", rejection: { code: "DEPENDENCY_REJECTED", detail: `dependency 1/1 was rejected ${origin}`, cause: root, root } },
        { ...refTo(d0), from: "PreConfirmed", to: "Rejected", rejection: { code: "DEPENDENCY_REJECTED", detail: `dependency 1/2 was rejected ${origin}`, cause: refTo(a2), root } },
        { ...refTo(b1), from: "PreConfirmed", to: "Rejected", rejection: { code: "PREDECESSOR_REJECTED", detail: `predecessor 2/0 was rejected ${origin}`, cause: refTo(b0), root } },
        { ...refTo(e0), from: "PreConfirmed", to: "Rejected", rejection: { code: "BUNDLE_FAILED", detail: `bundle 88: leg 0 at 4/0 was rejected ${origin}`, cause: refTo(d0), root } },
        { ...refTo(c0), from: "PreConfirmed", to: "Rejected", rejection: { code: "DEPENDENCY_REJECTED", detail: `dependency 2/1 was rejected ${origin}`, cause: refTo(b1), root } },
        { ...refTo(e1), from: "PreConfirmed", to: "Rejected", rejection: { code: "PREDECESSOR_REJECTED", detail: `predecessor 5/0 was rejected ${origin}`, cause: refTo(e0), root } },
      ]);
      for (const n of [a0, h0, j0, f0, k0, m0, m1]) expect(n.status, `${n.networkId}/${n.height}`).to.not.equal("Rejected");
      expect(b.g.get(a1.certificateId)!.rejection).to.deep.equal(rootRejection);
      expect(b.g.counts().Rejected).to.equal(8);
      expect(b.g.counts().Finalized).to.equal(before.Finalized);
      expect(b.g.tip(1)).to.equal(a0);
      expect(b.g.at(1, 1n)).to.equal(undefined);
      expect(b.g.dependents(a1.certificateId)).to.deep.equal([b0, j0]);
      expect(b.g.reject(a1.certificateId, rootRejection)).to.deep.equal([]);
      expectGraphError(() => b.g.reject(h0.certificateId, rootRejection), "BAD_TRANSITION");
    });

    it("a rejected slot can be retaken by a new certificate at the same height", function () {
      const b = new Builder();
      b.add(1, 0, { status: "Confirmed" });
      const a1 = b.add(1, 1);
      b.add(1, 2);
      b.g.reject(a1.certificateId, { code: "EQUIVOCATION", detail: "two headers" });
      expect(b.g.tip(1)!.height).to.equal(0n);
      const a1b = b.add(1, 1, { variant: 1 });
      expect(b.g.at(1, 1n)).to.equal(a1b);
      expect(b.g.get(a1.certificateId)!.status).to.equal("Rejected");
      const a2b = b.add(1, 2, { variant: 1 });
      b.g.markProven(a2b.certificateId);
      expect(confirmed(b.g.markProven(a1b.certificateId))).to.deep.equal(ids([a1b, a2b]));
      expect(b.g.tip(1)).to.equal(a2b);
    });
  });

  describe("setStatus", function () {
    const allowed: Partial<Record<CertificateStatus, CertificateStatus[]>> = {
      PreConfirmed: ["Finalized"],
      Proven: ["Finalized"],
      Confirmed: ["InEpoch", "Finalized"],
      InEpoch: ["Settling", "Confirmed", "Finalized"],
      Settling: ["Confirmed", "Finalized"],
      Rejected: ["Finalized"],
      Finalized: [],
    };

    it("allows exactly the listed transitions and throws BAD_TRANSITION for the rest", function () {
      for (const from of STATUSES) {
        for (const to of STATUSES) {
          const b = new Builder();
          const n = b.add(1, 0, { status: from });
          if ((allowed[from] ?? []).includes(to)) {
            expect(b.g.setStatus(n.certificateId, to), `${from} -> ${to}`).to.deep.equal([{ ...refTo(n), from, to }]);
            expect(n.status).to.equal(to);
          } else {
            expectGraphError(() => b.g.setStatus(n.certificateId, to), "BAD_TRANSITION");
            expect(n.status).to.equal(from);
          }
        }
      }
    });

    it("an epoch round trip and a revert leave the counts right", function () {
      const b = new Builder();
      const n = b.add(1, 0, { status: "Confirmed" });
      for (const to of ["InEpoch", "Settling", "Confirmed", "InEpoch", "Confirmed", "InEpoch", "Settling", "Finalized"] as CertificateStatus[]) b.g.setStatus(n.certificateId, to);
      expect(b.g.counts()).to.deep.equal({ PreConfirmed: 0, Proven: 0, Confirmed: 0, InEpoch: 0, Settling: 0, Finalized: 1, Rejected: 0 });
    });

    it("Rejected -> Finalized takes the slot back and rejects the resubmission that held it, with its cascade", function () {
      const b = new Builder();
      const a1 = b.add(1, 1);
      b.g.reject(a1.certificateId, { code: "PROOF_TIMEOUT", detail: "late" });
      const a1b = b.add(1, 1, { variant: 1 });
      const a2b = b.add(1, 2, { variant: 1 });
      const changes = b.g.setStatus(a1.certificateId, "Finalized");
      expect(changes.map((c) => [c.certificateId, c.to, c.rejection?.code])).to.deep.equal([
        [a1.certificateId, "Finalized", undefined],
        [a1b.certificateId, "Rejected", "EQUIVOCATION"],
        [a2b.certificateId, "Rejected", "PREDECESSOR_REJECTED"],
      ]);
      expect(b.g.at(1, 1n)).to.equal(a1);
      expect(a1.rejection).to.equal(null);
      expect(b.g.tip(1)).to.equal(a1);
    });
  });

  describe("selectEpoch", function () {
    /** Everything starts Confirmed unless said otherwise; seq is the order of the calls. */
    function world() {
      const b = new Builder();
      const n = {
        b0: b.add(2, 0, { status: "Confirmed", deps: [{ networkId: 1, height: 1n, certificateId: idOf(1, 1) }] }),
        a0: b.add(1, 0, { status: "Confirmed" }),
        a1: b.add(1, 1, { status: "Confirmed" }),
        a2: b.add(1, 2, { status: "Confirmed" }),
        c0: b.add(3, 0, { status: "InEpoch" }),
        c1: b.add(3, 1, { status: "Confirmed" }), // predecessor in flight: blocked
        d0: b.add(4, 0, { status: "Confirmed", deps: [{ networkId: 3, height: 0n, certificateId: idOf(3, 0) }] }), // dependency in flight: blocked
        e0: b.add(5, 0, { status: "Confirmed", bundles: [leg(1n, 0, 2)] }),
        f0: b.add(6, 0, { status: "Confirmed", bundles: [leg(1n, 1, 2)] }),
        g0: b.add(7, 0, { status: "Confirmed" }), // ineligible
        h0: b.add(8, 0, { status: "Confirmed", deps: [{ networkId: 7, height: 0n, certificateId: idOf(7, 0) }] }), // requires an ineligible node
        x0: b.add(9, 0, { status: "Finalized" }),
        x1: b.add(9, 1, { status: "Confirmed" }),
        p0: b.add(10, 0, { status: "Confirmed", bundles: [leg(2n, 0, 2)] }),
        q0: b.add(11, 0, { status: "Proven", bundles: [leg(2n, 1, 2)] }), // leg not confirmed: bundle not whole
        r0: b.add(12, 0, { status: "Confirmed", bundles: [leg(3n, 0, 2)] }), // other leg missing
      };
      return { g: b.g, n, eligible: (x: GraphNode) => x.networkId !== 7 };
    }

    it("takes the closed, contiguous, whole-bundle set and excludes ineligible and blocked nodes", function () {
      const { g, n, eligible } = world();
      const chosen = g.selectEpoch(100, eligible);
      expect(ids(chosen)).to.deep.equal(ids([n.b0, n.a0, n.a1, n.a2, n.e0, n.f0, n.x1]));
      expect(g.selectEpoch(100).map((x) => x.networkId)).to.include.members([7, 8]);
    });

    it("respects capacity: a closure that does not fit is skipped, smaller later ones still fill the room", function () {
      const { g, n, eligible } = world();
      expect(ids(g.selectEpoch(2, eligible))).to.deep.equal(ids([n.a0, n.a1])); // b0 needs 3 slots
      expect(ids(g.selectEpoch(3, eligible))).to.deep.equal(ids([n.b0, n.a0, n.a1]));
      expect(ids(g.selectEpoch(4, eligible))).to.deep.equal(ids([n.b0, n.a0, n.a1, n.a2]));
      expect(ids(g.selectEpoch(5, eligible))).to.deep.equal(ids([n.b0, n.a0, n.a1, n.a2, n.x1])); // the bundle needs 2
      expect(g.selectEpoch(0, eligible)).to.deep.equal([]);
    });

    it("a bundle leg that is already Finalized keeps the others out (the circuit needs every leg in the epoch)", function () {
      const b = new Builder();
      b.add(1, 0, { status: "Finalized", bundles: [leg(4n, 0, 2)] });
      b.add(2, 0, { status: "Confirmed", bundles: [leg(4n, 1, 2)] });
      expect(b.g.selectEpoch(10)).to.deep.equal([]);
    });

    it("per-chain heights stay in order even against seq order", function () {
      const b = new Builder();
      const a1 = b.add(1, 1, { status: "Confirmed", seq: 1 });
      const z0 = b.add(2, 0, { status: "Confirmed", seq: 2 });
      const a0 = b.add(1, 0, { status: "Confirmed", seq: 3 });
      expect(ids(b.g.selectEpoch(10))).to.deep.equal(ids([a0, z0, a1]));
    });

    it("InEpoch and Settling requirements block until they are Finalized", function () {
      const { g, n, eligible } = world();
      g.setStatus(n.c0.certificateId, "Settling");
      expect(ids(g.selectEpoch(100, eligible))).to.not.include(n.c1.certificateId);
      g.setStatus(n.c0.certificateId, "Finalized");
      expect(ids(g.selectEpoch(100, eligible))).to.include.members(ids([n.c1, n.d0]));
    });
  });

  describe("pruneFinalized", function () {
    it("drops Finalized nodes nothing in progress references, keeps each chain's last one", function () {
      const b = new Builder();
      const a = [0, 1, 2, 3].map((h) => b.add(1, h, { status: "Finalized" }));
      const a4 = b.add(1, 4, { status: "Confirmed" });
      const x0 = b.add(2, 0, { status: "Finalized" });
      const x1 = b.add(2, 1, { status: "Finalized" });
      const y0 = b.add(3, 0, { status: "Confirmed", deps: [refTo(a[1])] });
      const z0 = b.add(4, 0, { status: "Finalized", deps: [refTo(a[0])] });
      const r0 = b.add(5, 0, { status: "Finalized", bundles: [leg(9n, 0, 2)] });
      const r1 = b.add(5, 1, { status: "Finalized" });
      const s0 = b.add(6, 0, { status: "Confirmed", bundles: [leg(9n, 1, 2)] });
      // a[0]: only a Finalized node names it; a[2]: only Finalized a[3] follows it; x0 likewise. a[1] is named by y0,
      // r0 is s0's bundle peer, and a[3], x1, z0, r1 are the last Finalized of their chains.
      expect(b.g.pruneFinalized()).to.equal(3);
      for (const gone of [a[0], a[2], x0]) expect(b.g.get(gone.certificateId)).to.equal(undefined);
      for (const kept of [a[1], a[3], x1, z0, r0, r1]) expect(b.g.get(kept.certificateId)).to.equal(kept);
      expect(b.g.at(1, 0n)).to.equal(undefined);
      expect(b.g.counts().Finalized).to.equal(6);
      expect(b.g.dependents(a[0].certificateId)).to.deep.equal([]);
      expect(b.g.pruneFinalized()).to.equal(0);
      b.g.setStatus(a4.certificateId, "Finalized");
      b.g.setStatus(y0.certificateId, "Finalized");
      b.g.setStatus(s0.certificateId, "Finalized");
      expect(b.g.pruneFinalized()).to.equal(3); // a[1], a[3], r0
      expect(b.g.counts().Finalized).to.equal(6);
      expect(b.g.tip(1)).to.equal(a4);
      expect(b.g.latest(5, "Finalized")).to.equal(r1);
      expect(b.g.bundle(9n)!.legs).to.deep.equal([s0]);
    });

    it("a pruned dependency still counts as Finalized", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Finalized" });
      b.add(1, 1, { status: "Finalized" });
      expect(b.g.pruneFinalized()).to.equal(1);
      const c0 = b.add(2, 0, { deps: [refTo(a0)] });
      expect(confirmed(b.g.markProven(c0.certificateId))).to.deep.equal([c0.certificateId]);
    });
  });

  describe("forget", function () {
    it("forgets settled nodes nothing in progress requires, and keeps the chain's highest Finalized and what is still required", function () {
      const b = new Builder();
      const a = [0, 1, 2, 3].map((h) => b.add(1, h, { status: "Finalized" }));
      const a4 = b.add(1, 4, { status: "Confirmed" });
      const c0 = b.add(3, 0, { status: "Proven", deps: [refTo(a[1])] });
      const g = b.g;
      // a[0] and a[2] are followed by Finalized nodes only; a[1] is c0's dependency; a[3] is a4's predecessor and the tip
      expect(ids(g.forget(ids(a)))).to.deep.equal(ids([a[0], a[2]]));
      expect(g.get(a[0].certificateId)).to.equal(undefined);
      expect(g.at(1, 2n)).to.equal(undefined);
      expect(g.tip(1)).to.equal(a4);
      expect(g.latest(1, "Finalized")).to.equal(a[3]);
      expect(confirmed(g.confirmReady())).to.deep.equal([c0.certificateId]);
      // c0 settles: its dependency a[1] was kept for it alone
      g.setStatus(c0.certificateId, "InEpoch");
      g.setStatus(c0.certificateId, "Finalized");
      expect(ids(g.forget([c0.certificateId]))).to.deep.equal([a[1].certificateId]);
      // a4 settles: a[3] is no longer the highest Finalized of chain 1, nor anyone's requirement
      g.setStatus(a4.certificateId, "Finalized");
      expect(ids(g.forget([a4.certificateId]))).to.deep.equal([a[3].certificateId]);
      expect(g.counts().Finalized).to.equal(2); // a4 and c0, the tips of chains 1 and 3
    });

    it("forgets a rejection cascade at once; the slot is free and a dependency on the forgotten node is not satisfied by it", function () {
      const b = new Builder();
      const x0 = b.add(2, 0, { status: "Finalized" });
      const d0 = b.add(4, 0, { deps: [refTo(x0)] });
      const d1 = b.add(4, 1);
      const e0 = b.add(5, 0, { deps: [refTo(d1)] });
      const cascade = b.g.reject(d0.certificateId, { code: "PROOF_TIMEOUT", detail: "late" });
      expect(ids(cascade)).to.deep.equal(ids([d0, d1, e0]));
      // x0 stays: it is chain 2's highest Finalized node
      expect(ids(b.g.forget(ids(cascade))).sort()).to.deep.equal(ids([d0, d1, e0]).sort());
      expect(b.g.counts().Rejected).to.equal(0);
      expect(b.g.get(x0.certificateId)).to.equal(x0);
      expect(b.g.dependents(x0.certificateId)).to.deep.equal([]);
      const again = b.add(4, 0, { variant: 1, deps: [refTo(x0)] });
      expect(b.g.at(4, 0n)).to.equal(again);
      expect(confirmed(b.g.markProven(again.certificateId))).to.deep.equal([again.certificateId]);
    });

    it("keeps Finalized nodes the caller's record does not cover, and forgets Rejected ones regardless", function () {
      const b = new Builder();
      const a0 = b.add(1, 0, { status: "Finalized" });
      const a1 = b.add(1, 1, { status: "Finalized" });
      const r0 = b.add(2, 0);
      b.g.reject(r0.certificateId, { code: "PROOF_TIMEOUT", detail: "late" });
      expect(ids(b.g.forget(ids([a0, a1, r0]), () => false))).to.deep.equal([r0.certificateId]);
      expect(ids(b.g.forget(ids([a0, a1]), (n) => n.height === 0n))).to.deep.equal([a0.certificateId]);
    });

    it("forgets a settled bundle with its legs, and keeps a Finalized leg while a peer is in progress", function () {
      const b = new Builder();
      const p = b.add(1, 0, { status: "Finalized", bundles: [leg(7n, 0, 2)] });
      const q = b.add(2, 0, { status: "Confirmed", bundles: [leg(7n, 1, 2)] });
      b.add(1, 1, { status: "Finalized" });
      expect(b.g.forget([p.certificateId])).to.deep.equal([]);
      b.g.setStatus(q.certificateId, "Finalized");
      b.add(2, 1, { status: "Finalized" });
      expect(ids(b.g.forget([q.certificateId])).sort()).to.deep.equal(ids([p, q]).sort());
      expect(b.g.bundle(7n)).to.equal(undefined);
    });

    it("a dependency on a forgotten Finalized node, and the next height after a forgotten tip, confirm and enter epochs", function () {
      const b = new Builder();
      const a = [0, 1, 2].map((h) => b.add(1, h, { status: "Finalized" }));
      b.add(1, 3, { status: "Finalized" });
      b.g.forget(ids(a));
      expect(a.map((x) => b.g.get(x.certificateId))).to.deep.equal([undefined, undefined, undefined]);
      const c0 = b.add(2, 0, { deps: [refTo(a[0])] });
      const a4 = b.add(1, 4, { deps: [{ networkId: 2, height: 0n, certificateId: c0.certificateId }] });
      expect(confirmed(b.g.markProven(a4.certificateId))).to.deep.equal([]);
      expect(confirmed(b.g.markProven(c0.certificateId))).to.deep.equal(ids([c0, a4]));
      expect(ids(b.g.selectEpoch(8))).to.deep.equal(ids([c0, a4]));
      // a graph that holds nothing of chain 5 (its tip forgotten, or never loaded): the next height stands alone
      const fresh = new Builder();
      const n9 = fresh.add(5, 9, { deps: [refTo(a[1])] });
      expect(confirmed(fresh.g.markProven(n9.certificateId))).to.deep.equal([n9.certificateId]);
      expect(ids(fresh.g.selectEpoch(8))).to.deep.equal([n9.certificateId]);
    });

    it("random graphs (100 runs): a graph that forgets after every change answers as one that keeps everything", function () {
      for (let seed = 1; seed <= 100; seed++) twinRun(seed);
    });

    it("a long run holds only the work in progress and each chain's highest Finalized node", function () {
      this.timeout(60_000);
      const CHAINS = 4;
      const g = new CertificateGraph();
      const rnd = mulberry32(7);
      const next = new Array<number>(CHAINS + 1).fill(0);
      const rebuilds = new Array<number>(CHAINS + 1).fill(0); // a rebuilt height is another certificate: another id
      const tips: GraphNode[] = [];
      let seq = 0;
      let largest = 0;
      const forget = (changes: StatusChange[]) => g.forget(ids(changes));
      for (let round = 0; round < 5000; round++) {
        const n = 1 + (round % CHAINS);
        const deps = tips.length > 0 && rnd() < 0.5 ? [refTo(tips[Math.floor(rnd() * tips.length)])].filter((d) => d.networkId !== n) : [];
        const node: GraphNode = { certificateId: idOf(n, next[n], rebuilds[n] % 10), networkId: n, height: BigInt(next[n]++), status: "PreConfirmed", dependencies: deps, bundles: [], seq: seq++ };
        g.add(node);
        tips.push(node);
        if (tips.length > 16) tips.shift();
        if (rnd() < 0.01) {
          const cascade = g.reject(node.certificateId, { code: "PROOF_TIMEOUT", detail: "x" });
          forget(cascade);
          const gone = new Set(ids(cascade));
          for (const c of cascade) {
            if (c.height < next[c.networkId]) next[c.networkId] = Number(c.height);
            rebuilds[c.networkId]++;
          }
          tips.splice(0, tips.length, ...tips.filter((t) => !gone.has(t.certificateId)));
          continue;
        }
        g.markProven(node.certificateId);
        for (const c of g.selectEpoch(8)) {
          g.setStatus(c.certificateId, "InEpoch");
          forget(g.setStatus(c.certificateId, "Finalized"));
        }
        largest = Math.max(largest, Object.values(g.counts()).reduce((x, y) => x + y, 0));
      }
      const counts = g.counts();
      expect(counts.Rejected).to.equal(0);
      expect(counts.Finalized).to.be.at.most(CHAINS + 16);
      expect(largest, "nodes held at any time").to.be.below(200);
    });
  });

  describe("against a from-scratch fixpoint", function () {
    it("random graphs with cycles and bundles (100 runs): every operation leaves exactly the confirmable nodes Confirmed", function () {
      for (let seed = 1; seed <= 100; seed++) randomRun(seed);
    });
  });

  describe("scale", function () {
    it("100,000 certificates over 1,000 chains, proofs in random order: everything confirms, in order", function () {
      this.timeout(120_000);
      const CHAINS = 1000;
      const HEIGHTS = 100;
      const rnd = mulberry32(20261124);
      const g = new CertificateGraph();
      const t0 = Date.now();
      const all: GraphNode[] = [];
      let bundleId = 1n;
      for (let h = 0; h < HEIGHTS; h++) {
        let pendingLeg: GraphNode | null = null;
        for (let n = 1; n <= CHAINS; n++) {
          const deps = new Map<number, CertificateRef>();
          const k = Math.floor(rnd() * 4);
          for (let i = 0; i < k && all.length > 0; i++) {
            const d = all[Math.floor(rnd() * all.length)];
            if (d.networkId !== n && !deps.has(d.networkId)) deps.set(d.networkId, refTo(d));
          }
          const node: GraphNode = { certificateId: idOf(n, h), networkId: n, height: BigInt(h), status: "PreConfirmed", dependencies: [...deps.values()], bundles: [], seq: all.length };
          // about 4% of certificates are pairwise bundles with a neighbour at the same height: cycles at scale
          if (pendingLeg) {
            node.bundles = [leg(bundleId++, 1, 2)];
            pendingLeg = null;
          } else if (rnd() < 0.02 && n < CHAINS) {
            node.bundles = [leg(bundleId, 0, 2)];
            pendingLeg = node;
          }
          g.add(node);
          all.push(node);
        }
      }
      const tAdded = Date.now();
      const order = shuffle(all.map((x) => x.certificateId), rnd);
      const position = new Map<bigint, number>();
      let count = 0;
      for (const id of order) {
        for (const c of g.markProven(id)) if (c.to === "Confirmed") position.set(c.certificateId, count++);
      }
      const tProven = Date.now();
      expect(g.counts().Confirmed).to.equal(CHAINS * HEIGHTS);
      expect(count).to.equal(CHAINS * HEIGHTS);
      // plain counting: a chai assertion per edge would cost more than the graph itself
      let outOfOrder = 0;
      for (const x of all) {
        const p = position.get(x.certificateId)!;
        for (const d of x.dependencies) if (!(position.get(d.certificateId)! < p)) outOfOrder++;
        if (x.height > 0n && !(position.get(idOf(x.networkId, Number(x.height) - 1))! < p)) outOfOrder++;
      }
      expect(outOfOrder).to.equal(0);
      const tChecked = Date.now();
      const picked = g.selectEpoch(64);
      expect(picked).to.have.length.within(1, 64);
      const tSelected = Date.now();
      const cascade = g.reject(idOf(1, 0), { code: "NETWORK_EJECTED", detail: "test" });
      const tRejected = Date.now();
      console.log(
        `      scale: add ${tAdded - t0} ms, ${CHAINS * HEIGHTS} proofs ${tProven - tAdded} ms, selectEpoch(64) ${tSelected - tChecked} ms, ` +
          `rejecting 1/0 cascaded to ${cascade.length} in ${tRejected - tSelected} ms`,
      );
      expect(tProven - t0, "add + prove").to.be.lessThan(30_000);
      expect(tRejected - tChecked, "select + reject").to.be.lessThan(30_000);
    });
  });
});

// ------------------------------------------------------------------------------------------------ the oracle

/**
 * A random run on a small graph whose dependencies may point anywhere (so cycles happen), with bundles (some missing
 * a leg, some failed) and a mix of proofs, rejections, L1 finalizations and epoch moves. After each step the graph is
 * compared with a from-scratch greatest fixpoint of "Proven and every requirement Confirmed-or-later or confirmable".
 */
function randomRun(seed: number): void {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const g = new CertificateGraph();
  // shapes vary with the seed: long chains make long memoised paths, wide ones more cross-chain cycles
  const CHAINS = 3 + (seed % 4);
  const HEIGHTS = 4 + (seed % 7);
  const slots: { networkId: number; height: number }[] = [];
  for (let n = 1; n <= CHAINS; n++) for (let h = 0; h < HEIGHTS; h++) slots.push({ networkId: n, height: h });
  const bundleOf = new Map<string, BundleLeg[]>();
  for (let b = 1; b <= 3; b++) {
    const legCount = 2 + Math.floor(rnd() * 2);
    const members = shuffle([...slots], rnd).slice(0, legCount - (rnd() < 0.2 ? 1 : 0));
    members.forEach((s, i) => {
      const key = `${s.networkId}/${s.height}`;
      const list = bundleOf.get(key) ?? [];
      if (!list.some((l) => l.bundleId === BigInt(b))) list.push(leg(BigInt(b), i, legCount, rnd() > 0.05));
      bundleOf.set(key, list);
    });
  }
  let seq = 0;
  for (const s of slots) {
    const deps: CertificateRef[] = [];
    for (let i = 0; i < 2; i++) {
      const d = pick(slots);
      if (rnd() < 0.5 && d.networkId !== s.networkId && !deps.some((x) => x.networkId === d.networkId)) {
        deps.push({ networkId: d.networkId, height: BigInt(d.height), certificateId: idOf(d.networkId, d.height) });
      }
    }
    const status: CertificateStatus = rnd() < 0.1 ? "Proven" : "PreConfirmed";
    g.add({ certificateId: idOf(s.networkId, s.height), networkId: s.networkId, height: BigInt(s.height), status, dependencies: deps, bundles: bundleOf.get(`${s.networkId}/${s.height}`) ?? [], seq: seq++ });
  }
  const all = slots.map((s) => g.get(idOf(s.networkId, s.height))!);
  check(g, all, g.confirmReady(), `seed ${seed} load`);
  for (let step = 0; step < 60; step++) {
    const r = rnd();
    const label = `seed ${seed} step ${step}`;
    const pre = all.filter((n) => n.status === "PreConfirmed");
    const live = all.filter((n) => n.status !== "Rejected" && n.status !== "Finalized");
    if (r < 0.75 && pre.length > 0) {
      check(g, all, g.markProven(pick(pre).certificateId), label);
    } else if (r < 0.83 && live.length > 0) {
      const victim = pick(live);
      const expected = requirersClosure(g, all, victim);
      const changes = g.reject(victim.certificateId, { code: "PROOF_TIMEOUT", detail: "x" });
      expect(new Set(ids(changes)), label).to.deep.equal(expected);
      check(g, all, changes, label);
    } else if (r < 0.9 && live.length > 0) {
      // mostly Proven ones: a blocked Proven node is where a memoised path runs through
      const proven = all.filter((n) => n.status === "Proven");
      check(g, all, g.setStatus(pick(proven.length > 0 && rnd() < 0.8 ? proven : live).certificateId, "Finalized"), label);
    } else {
      const conf = all.filter((n) => n.status === "Confirmed");
      if (conf.length > 0) check(g, all, g.setStatus(pick(conf).certificateId, "InEpoch"), label);
    }
  }
}

/**
 * The random run of randomRun on two graphs: `plain` keeps everything, `forgetful` forgets after every change. Both
 * must make the same changes, select the same epochs and give the same tips and latest nodes.
 */
function twinRun(seed: number): void {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const plain = new CertificateGraph();
  const forgetful = new CertificateGraph();
  const CHAINS = 3 + (seed % 4);
  const HEIGHTS = 4 + (seed % 7);
  const slots: { networkId: number; height: number }[] = [];
  for (let n = 1; n <= CHAINS; n++) for (let h = 0; h < HEIGHTS; h++) slots.push({ networkId: n, height: h });
  const bundleOf = new Map<string, BundleLeg[]>();
  for (let b = 1; b <= 3; b++) {
    const legCount = 2 + Math.floor(rnd() * 2);
    shuffle([...slots], rnd).slice(0, legCount - (rnd() < 0.2 ? 1 : 0)).forEach((s, i) => {
      const key = `${s.networkId}/${s.height}`;
      const list = bundleOf.get(key) ?? [];
      if (!list.some((l) => l.bundleId === BigInt(b))) list.push(leg(BigInt(b), i, legCount, rnd() > 0.05));
      bundleOf.set(key, list);
    });
  }
  let seq = 0;
  for (const s of slots) {
    const deps: CertificateRef[] = [];
    for (let i = 0; i < 2; i++) {
      const d = pick(slots);
      if (rnd() < 0.5 && d.networkId !== s.networkId && !deps.some((x) => x.networkId === d.networkId)) {
        deps.push({ networkId: d.networkId, height: BigInt(d.height), certificateId: idOf(d.networkId, d.height) });
      }
    }
    const node: GraphNode = { certificateId: idOf(s.networkId, s.height), networkId: s.networkId, height: BigInt(s.height), status: "PreConfirmed", dependencies: deps, bundles: bundleOf.get(`${s.networkId}/${s.height}`) ?? [], seq: seq++ };
    plain.add(node);
    forgetful.add(node);
  }
  const label = (step: number) => `seed ${seed} step ${step}`;
  const both = (step: number, f: (g: CertificateGraph) => StatusChange[]) => {
    const a = f(plain);
    const b = f(forgetful);
    expect(b, label(step)).to.deep.equal(a);
    forgetful.forget(ids(b));
  };
  for (let step = 0; step < 80; step++) {
    const all = slots.map((s) => plain.get(idOf(s.networkId, s.height))!);
    const pre = all.filter((n) => n.status === "PreConfirmed");
    const live = all.filter((n) => n.status !== "Rejected" && n.status !== "Finalized");
    const conf = all.filter((n) => n.status === "Confirmed");
    const r = rnd();
    if (r < 0.6 && pre.length > 0) {
      const id = pick(pre).certificateId;
      both(step, (g) => g.markProven(id));
    } else if (r < 0.68 && live.length > 0) {
      const id = pick(live).certificateId;
      both(step, (g) => g.reject(id, { code: "PROOF_TIMEOUT", detail: "x" }));
    } else if (r < 0.8 && live.length > 0) {
      const id = pick(live).certificateId;
      both(step, (g) => g.setStatus(id, "Finalized"));
    } else if (conf.length > 0) {
      const chosen = ids(plain.selectEpoch(1 + Math.floor(rnd() * 6)));
      for (const id of chosen) both(step, (g) => g.setStatus(id, "InEpoch"));
      if (rnd() < 0.5) for (const id of chosen) both(step, (g) => g.setStatus(id, "Finalized"));
    }
    // what the coordinator asks of the graph, one line per question (plain strings: one comparison per step)
    const answers = (g: CertificateGraph): string[] => [
      ...[1, 3, 100].map((cap) => `selectEpoch(${cap}) ${ids(g.selectEpoch(cap)).join(",")}`),
      ...Array.from({ length: CHAINS }, (_, i) => `tip(${i + 1}) ${g.tip(i + 1)?.certificateId}`),
      ...Array.from({ length: CHAINS }, (_, i) => STATUSES.map((s) => `latest(${i + 1}, ${s}) ${g.latest(i + 1, s)?.certificateId}`)).flat(),
      `in progress ${STATUSES.filter((s) => s !== "Finalized" && s !== "Rejected").map((s) => g.counts()[s])}`,
    ];
    const a = answers(plain);
    const b = answers(forgetful);
    if (a.join("\n") !== b.join("\n")) expect(b, label(step)).to.deep.equal(a);
  }
}

function requirementsOf(g: CertificateGraph, n: GraphNode): { reqs: GraphNode[]; whole: boolean } {
  const reqs: GraphNode[] = [];
  for (const d of n.dependencies) {
    const x = g.get(d.certificateId);
    if (x) reqs.push(x);
  }
  const pred = g.at(n.networkId, n.height - 1n);
  if (pred) reqs.push(pred);
  let whole = true;
  for (const l of n.bundles) {
    const b = g.bundle(l.bundleId)!;
    const legs = b.legs.filter((x) => x.status !== "Rejected");
    if (legs.length !== b.legs.length || legs.length !== b.legCount || legs.some((x) => !x.bundles.find((y) => y.bundleId === l.bundleId)!.success)) whole = false;
    reqs.push(...legs.filter((x) => x !== n));
  }
  return { reqs, whole };
}

/** Greatest fixpoint: Proven nodes all of whose requirements are Confirmed-or-later or themselves in the set. */
function confirmable(g: CertificateGraph, all: GraphNode[]): Set<GraphNode> {
  const set = new Set(all.filter((n) => n.status === "Proven"));
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of [...set]) {
      const { reqs, whole } = requirementsOf(g, n);
      if (!whole || reqs.some((r) => !isConfirmedOrLater(r.status) && !set.has(r))) {
        set.delete(n);
        changed = true;
      }
    }
  }
  return set;
}

/** The in-progress nodes that transitively require `root`, not through Finalized ones (root included). */
function requirersClosure(g: CertificateGraph, all: GraphNode[], root: GraphNode): Set<bigint> {
  const out = new Set<bigint>([root.certificateId]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of all) {
      if (out.has(n.certificateId) || n.status === "Rejected" || n.status === "Finalized") continue;
      if (requirementsOf(g, n).reqs.some((r) => out.has(r.certificateId) && r.status !== "Finalized")) {
        out.add(n.certificateId);
        changed = true;
      }
    }
  }
  return out;
}

function reaches(g: CertificateGraph, from: GraphNode, to: GraphNode): boolean {
  const seen = new Set<GraphNode>([from]);
  const stack = [from];
  while (stack.length > 0) {
    for (const r of requirementsOf(g, stack.pop()!).reqs) {
      if (r === to) return true;
      if (!seen.has(r)) {
        seen.add(r);
        stack.push(r);
      }
    }
  }
  return false;
}

function check(g: CertificateGraph, all: GraphNode[], changes: StatusChange[], label: string): void {
  expect([...confirmable(g, all)].map((n) => `${n.networkId}/${n.height}`), `${label}: confirmable but still Proven`).to.deep.equal([]);
  const at = new Map<bigint, number>();
  changes.forEach((c, i) => {
    if (c.to === "Confirmed" && c.from === "Proven") at.set(c.certificateId, i);
  });
  for (const n of all) {
    if (n.status !== "Confirmed") continue;
    const { reqs, whole } = requirementsOf(g, n);
    expect(whole, `${label}: ${n.networkId}/${n.height} confirmed with a broken bundle`).to.equal(true);
    for (const r of reqs) {
      expect(isConfirmedOrLater(r.status), `${label}: ${n.networkId}/${n.height} confirmed before ${r.networkId}/${r.height}`).to.equal(true);
      const i = at.get(n.certificateId);
      const j = at.get(r.certificateId);
      if (i !== undefined && j !== undefined && j > i) expect(reaches(g, r, n), `${label}: order of ${n.networkId}/${n.height}`).to.equal(true);
    }
  }
}
