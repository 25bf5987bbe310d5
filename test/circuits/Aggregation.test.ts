/**
 * Aggregation(DEVNET_PARAMS, shape (1, 1, 1, 1), S = 2): a valid epoch proves to the model's public inputs
 * (lib/epoch.ts + lib/witness/aggregation.ts); for every cross-chain rule of docs/protocol.md §9 the most
 * plausible cheating witness (what the model itself refuses, built with crossChainChecks off) has no witness.
 */
import { expect } from "chai";
import {
  GlobalState, DEVNET_PARAMS, applyEpoch, EpochResult, L1Checkpoint, Certificate, ExitTree, hashExitLeaf, buildCertificate,
} from "../../lib";
import { aggregationWitness, aggregationPublicInputs, AggregationShape, AggregationCircuitInput, FieldTree, certificateWitness, CertificateCircuitInput, CERTIFICATE_INPUT_SIGNALS } from "../../lib/witness";
import { TestCircuit, loadCircuit, expectNoWitness, expectConstraintFailure, terminateCurves } from "../helpers/circuit";
import { ModelWorld, ref, assetExit } from "../helpers/world";

const P = DEVNET_PARAMS;

/** Public signals of a witness: wire 0 is the constant 1, then outputs, then public inputs. */
function publicSignals(c: TestCircuit, witness: readonly bigint[]): bigint[] {
  const h = c.r1cs;
  return witness.slice(1, 1 + h.nPubOut + h.nPubIn);
}
const SHAPE: AggregationShape = { maxImports: 1, maxExits: 1, maxDependencies: 1, maxBundles: 1, maxTokens: 2, slots: 2 };

function spec(shape: AggregationShape) {
  return {
    template: "Aggregation",
    params: [P.exitDepth, P.balanceDepth, P.networkBits, P.historyDepth, shape.maxImports, shape.maxExits, shape.maxDependencies, shape.maxBundles, shape.maxTokens, shape.slots],
    publicInputs: ["oldGlobalRoot", "newGlobalRoot", "l1CheckpointNumber", "l1ExitRoot", "slotPublic"],
  };
}

/** Replaces slot s's certificate (transition inputs and public triple) in an otherwise honest witness. */
function substituteSlot(input: AggregationCircuitInput, s: number, cert: CertificateCircuitInput, built: { certificate: Certificate; certificateId: bigint }): AggregationCircuitInput {
  const out: AggregationCircuitInput = { ...input };
  for (const key of CERTIFICATE_INPUT_SIGNALS) {
    const arr = [...(input[key] as FieldTree[])];
    arr[s] = cert[key] as FieldTree;
    out[key] = arr;
  }
  const slots = (input.slotPublic as bigint[][]).map((x) => [...x]);
  const c = built.certificate;
  slots[s] = [BigInt(c.networkId) + (c.height << 32n), built.certificateId, c.newLocalExitRoot];
  out.slotPublic = slots;
  return out;
}

/** Witness input of an epoch the model may refuse (cross-chain checks off): what a cheating prover would try. */
function forced(global: GlobalState, certs: Certificate[], l1: L1Checkpoint) {
  return aggregationWitness(applyEpoch(global, certs, l1, { capacity: SHAPE.slots, crossChainChecks: false }), P, SHAPE);
}

describe("circuit Aggregation (S = 2)", function () {
  this.timeout(900_000);
  let C: TestCircuit;

  before(async function () {
    C = await loadCircuit(spec(SHAPE));
  });
  after(terminateCurves);

  /** Chain 1 imports an L1 deposit and exits to chain 2, which imports it in the same epoch. */
  function twoChains() {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    return { w, cp, a, b };
  }

  it("has the expected size (constraint count pinned)", function () {
    const n = C.constraintCount();
    // 65,540 with balances per item (two depth-8 updates per slot); per token (maxTokens 2) 63,588, +18 for the
    // certificate's settlement statements (dependency exit roots, L1 checkpoint): the domain is back to 2^16.
    expect(n).to.equal(63_606);
    console.log(`      Aggregation S=2 constraints: ${n}`);
  });

  it("valid: two chains, chain 2 imports chain 1's exit in the same epoch; public inputs equal the model's", async function () {
    const { cp, a, b } = twoChains();
    const epoch: EpochResult = applyEpoch(new GlobalState(P), [a.certificate, b.certificate], cp, SHAPE.slots);
    const input = aggregationWitness(epoch, P, SHAPE);
    const witness = await C.calculateWitness(input);
    await C.checkConstraints(witness);
    const pub = aggregationPublicInputs(epoch, SHAPE.slots);
    expect(pub).to.have.length(3 * SHAPE.slots + 4);
    expect(publicSignals(C, witness)).to.deep.equal(pub);
  });

  it("valid: one certificate in two slots (padding), then a later epoch depending on it as finalized", async function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const e1 = applyEpoch(new GlobalState(P), [a.certificate], cp, SHAPE.slots);
    await C.checkConstraints(await C.calculateWitness(aggregationWitness(e1, P, SHAPE)));
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    const e2 = applyEpoch(e1.state, [b.certificate], cp, SHAPE.slots);
    expect(e2.slots[0].dependencies[0].kind).to.equal("finalized");
    const wit = await C.calculateWitness(aggregationWitness(e2, P, SHAPE));
    await C.checkConstraints(wit);
    expect(publicSignals(C, wit)).to.deep.equal(aggregationPublicInputs(e2, SHAPE.slots));
  });

  it("tampered witness: a changed running root fails the constraints", async function () {
    const { cp, a, b } = twoChains();
    const input = aggregationWitness(applyEpoch(new GlobalState(P), [a.certificate, b.certificate], cp, 2), P, SHAPE);
    const witness = await C.calculateWitness(input);
    await expectConstraintFailure(C, C.tamper(witness, "main.running[1]", 12345n));
  });

  it("a public input changed (new global root, a slot's certificate id) has no witness", async function () {
    const { cp, a, b } = twoChains();
    const input = aggregationWitness(applyEpoch(new GlobalState(P), [a.certificate, b.certificate], cp, 2), P, SHAPE);
    await expectNoWitness(C, { ...input, newGlobalRoot: (input.newGlobalRoot as bigint) + 1n }, /template Aggregation_\d+ line/);
    const slots = (input.slotPublic as bigint[][]).map((x) => [...x]);
    slots[1][1] += 1n;
    await expectNoWitness(C, { ...input, slotPublic: slots }, /template Aggregation_\d+ line/);
  });

  it("height gap: a network's height-1 certificate in place of its height 0 has no witness", async function () {
    const w = new ModelWorld(P);
    const cp = w.checkpoint();
    const a0 = w.certify(1);
    const afterA0 = w.chain(1);
    const a1 = w.certify(1);
    const honest = aggregationWitness(applyEpoch(new GlobalState(P), [a0.certificate], cp, 2), P, SHAPE);
    await expectNoWitness(C, substituteSlot(honest, 0, certificateWitness(afterA0, a1, SHAPE), a1), /GlobalSlotUpdate/);
  });

  it("an import against a root that no included or finalized certificate has: no witness", async function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    // Chain 2 proves a made-up exit of 1,000 against a made-up root, naming chain 1's real certificate.
    const fakeLeaf = assetExit(2, 1000n);
    const fake = new ExitTree(P.exitDepth);
    fake.append(hashExitLeaf(fakeLeaf));
    const b = w.certify(2, { imports: [{ leaf: fakeLeaf, leafIndex: 0, source: ref(a), sourceExitRoot: fake.root(), siblings: fake.proof(0).siblings }] });
    expect(() => applyEpoch(new GlobalState(P), [a.certificate, b.certificate], cp, 2)).to.throw("IMPORT_SOURCE_MISMATCH");
    await expectNoWitness(C, forced(new GlobalState(P), [a.certificate, b.certificate], cp), /template Aggregation_\d+ line/);
  });

  it("a dependency naming an equivocated certificate: no witness (in the epoch, nor as finalized)", async function () {
    const { w, cp, a, b } = twoChains();
    // Chain 1 signed another certificate at height 0 (a different L2 state root): that one is in the epoch.
    const w2 = new ModelWorld(P);
    w2.deposit({ destinationNetwork: 1, amount: 100n });
    const cp2 = w2.checkpoint();
    const other = w2.certify(1, { imports: [w2.importFromL1(0, cp2)], exits: [assetExit(2, 40n)], newStateRoot: "0x" + "ee".repeat(32) });
    expect(other.certificateId).to.not.equal(a.certificateId);
    expect(w.heights.get(2)).to.equal(1n);
    await expectNoWitness(C, forced(new GlobalState(P), [other.certificate, b.certificate], cp), /template Aggregation_\d+ line/);
    const settled = applyEpoch(new GlobalState(P), [other.certificate], cp, 2);
    await expectNoWitness(C, forced(settled.state, [b.certificate], cp), /FinalizedEntry/);
  });

  it("a dependency that is neither in the epoch nor finalized: no witness", async function () {
    const { cp, b } = twoChains();
    await expectNoWitness(C, forced(new GlobalState(P), [b.certificate], cp), /FinalizedEntry/);
  });

  it("an L1 import against another checkpoint than the epoch's: no witness", async function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp0 = w.checkpoint();
    const imp = w.importFromL1(0, cp0);
    w.deposit({ destinationNetwork: 1, amount: 5n });
    const cp1 = w.checkpoint();
    const a = w.certify(1, { imports: [imp] });
    await expectNoWitness(C, forced(new GlobalState(P), [a.certificate], cp1), /template Aggregation_\d+ line/);
  });

  it("double import across two certificates of one chain in one epoch: no witness", async function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const imp = w.importFromL1(0, cp);
    const a0 = w.certify(1, { imports: [imp] });
    const a1 = w.certify(1); // an honest second certificate: slot 1's record is then the one a0 left
    const honest = aggregationWitness(applyEpoch(new GlobalState(P), [a0.certificate, a1.certificate], cp, 2), P, SHAPE);
    await C.checkConstraints(await C.calculateWitness(honest));
    // The cheat: slot 1 re-imports the same exit, built from the only state in which its nullifier is still 0.
    const genesis = new ModelWorld(P).chain(1);
    const again = buildCertificate(genesis, { height: 1n, newStateRoot: "0x" + "01".repeat(32), imports: [imp], exits: [] });
    expect(() => applyEpoch(new GlobalState(P), [a0.certificate, again.certificate], cp, 2)).to.throw("STATE_MISMATCH");
    await expectNoWitness(C, substituteSlot(honest, 1, certificateWitness(genesis, again, SHAPE), again), /GlobalSlotUpdate/);
  });

  it("bundles: a missing leg, a failed leg or a squatted leg (a chain the bundle does not name) has no witness; a complete bundle proves", async function () {
    const mk = (legs: { net: number; idx: number; ok: boolean; participants?: number[] }[]) => {
      const w = new ModelWorld(P);
      const cp = w.checkpoint();
      return { cp, certs: legs.map((l) => w.certify(l.net, { bundles: [{ bundleId: 77n, legIndex: l.idx, legCount: 2, success: l.ok, participants: l.participants ?? [1, 2] }] }).certificate) };
    };
    let t = mk([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 1, ok: true }]);
    await C.checkConstraints(await C.calculateWitness(aggregationWitness(applyEpoch(new GlobalState(P), t.certs, t.cp, 2), P, SHAPE)));
    t = mk([{ net: 1, idx: 0, ok: true }]);
    await expectNoWitness(C, forced(new GlobalState(P), t.certs, t.cp), /BundleCheck/);
    t = mk([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 0, ok: true, participants: [2, 1] }]);
    await expectNoWitness(C, forced(new GlobalState(P), t.certs, t.cp), /BundleCheck|AssertNonZeroIf/);
    t = mk([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 1, ok: false }]);
    await expectNoWitness(C, forced(new GlobalState(P), t.certs, t.cp), /BundleCheck/);
    // Network 3 completes network 1's bundle as leg 1, naming itself: the participants differ.
    t = mk([{ net: 1, idx: 0, ok: true }, { net: 3, idx: 1, ok: true, participants: [1, 3] }]);
    await expectNoWitness(C, forced(new GlobalState(P), t.certs, t.cp), /BundleCheck/);
  });
});
