/**
 * The coordinator forgets what is settled (coordinator/node.ts forgetSettled, coordinator/graph.ts forget, the L1
 * mirror's history release) and still answers as if it remembered. A real coordinator (startCoordinator: store,
 * node, epochs, L1 sync, RPC server) runs 1,600 certificates through pre-confirmation, proof, confirmation, epochs
 * (batches) and finalization, with two test seams: the in-memory L1 hub (scripts/lib/loopback-l1.ts) and a
 * certificate-proof verifier that accepts the test's marker proof (a pool that answers at once stands for the
 * prover, which the disabled backup prover never asks).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HDNodeWallet, hexlify, randomBytes } from "ethers";
import { buildCertificate } from "../../lib/certificate-builder";
import { BundleLeg, CertificateRef, SigningDomain, signCertificate } from "../../lib/certificate";
import { LayerParams } from "../../lib/params";
import { historyLeaf } from "../../lib/network-records";
import { verifyMerkleProof } from "../../lib/exit-tree";
import { NetworkState } from "../../lib/network-state";
import { certificatePublicSignals } from "../../lib/settlement";
import { certificateShapeOf, parseConfig } from "../../coordinator/config";
import { hubLocators, planBatch } from "../../coordinator/batches";
import { createLogger } from "../../coordinator/log";
import { Coordinator, startCoordinator } from "../../coordinator/service";
import { CoordinatorError } from "../../coordinator/types";
import type { ProverPool } from "../../zk/prover/pool";
import { LoopbackL1 } from "../../scripts/lib/loopback-l1";

const HUB = "0x00000000000000000000000000000000000000b0";
/** The layer key: signs the rejection licences that rebuilt revisions settle with. */
const LAYER = HDNodeWallet.fromPhrase("test test test test test test test test test test test junk", undefined, "m/44'/60'/0'/0/99");
const P: LayerParams = { exitDepth: 4, balanceDepth: 4, networkBits: 2, historyDepth: 12 };
const CHAINS = [1, 2];
const HEIGHTS = 800;
const MNEMONIC = "test test test test test test test test test test test junk";
const sequencer = (networkId: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${100 + networkId}`);
const PROOF = { pi_a: ["1", "2", "1"], pi_b: [["1", "0"], ["0", "1"], ["1", "0"]], pi_c: ["0", "0", "1"], protocol: "groth16", curve: "bn128" };
const domain: SigningDomain = { chainId: 31337n, verifyingContract: HUB };

async function signed(networkId: number, height: bigint, o: { deps?: CertificateRef[]; bundles?: BundleLeg[]; revision?: number } = {}) {
  const b = buildCertificate(new NetworkState(networkId, P), { height, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [], extraDependencies: o.deps ?? [], bundles: o.bundles ?? [], revision: o.revision });
  return { id: b.certificateId, ref: { networkId, height, certificateId: b.certificateId }, certificate: await signCertificate(sequencer(networkId), domain, b.certificate) };
}

async function reason(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return "OK";
  } catch (e) {
    if (e instanceof CoordinatorError) return e.reason;
    throw e;
  }
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the coordinator forgets what is settled and still answers (coordinator/node.ts, graph.ts, lib/history.ts)", function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coord-memory-"));
  const config = parseConfig({
    rpc: { port: 0 },
    store: { path: path.join(dir, "coordinator.sqlite") },
    l1: { rpcUrl: "http://127.0.0.1:9", hub: HUB, bridge: "0x00000000000000000000000000000000000000b1", confirmations: 1, pollMs: 5, reportEquivocations: false, layerKey: LAYER.privateKey },
    circuits: { certificate: "certificate_prod" },
    proving: { backup: { enabled: false } },
    lifecycle: { proofTimeoutMs: 1500, tickMs: 50 },
    epochs: { intervalMs: 5 },
    log: { level: "error" },
  });
  const l1 = new LoopbackL1(P, {
    hub: HUB, bridge: "0x00000000000000000000000000000000000000b1", networks: CHAINS.map((networkId) => ({ networkId, sequencer: sequencer(networkId).address, policyFlags: 0 })),
    shape: certificateShapeOf(config), layerSigner: LAYER.address,
  });
  const pool = { busy: 0, queued: 0, prove: async () => ({ proof: PROOF, publicSignals: [], solidityProof: new Array<bigint>(8).fill(0n), ms: 0 }), close: async () => undefined } as unknown as ProverPool;
  const start = () => startCoordinator(config, { log: createLogger({ level: "error" }), l1, pool, params: P, verifyProof: async (_i, _s, proof) => proof.pi_c.join() === PROOF.pi_c.join() });
  let c: Coordinator;
  const first: CertificateRef[] = [];
  const next = new Map<number, bigint>();

  const submit = async (s: Awaited<ReturnType<typeof signed>>, prove = true) => {
    await c.node.submitCertificate(s.certificate);
    if (prove) await c.node.submitProof({ certificateId: s.id, proof: PROOF, publicSignals: certificatePublicSignals(s.certificate, s.id, c.node.shape).map(String) });
  };
  /** Someone else settles `x` alone on L1 (as an opt-out chain's direct settlement would: a batch of one), from the model. */
  const settleElsewhere = async (x: Awaited<ReturnType<typeof signed>>) => {
    const plan = await planBatch(c.node.d.view, [{ certificate: x.certificate, certificateId: x.id }], (n) => l1.checkpointRoot(n));
    const settlement = {
      proofs: [new Array(8).fill(0n)],
      publicSignals: certificatePublicSignals(x.certificate, x.id, c.node.shape),
      slots: [{ signature: x.certificate.signature, licence: "0x", dependencies: hubLocators(plan, 0) }],
    };
    const tx = await l1.signHubCall(l1.hubInterface.encodeFunctionData("settleBatch", [settlement]));
    await l1.broadcast(tx.raw);
  };
  const settled = () => {
    const t = c.node.statusCounts();
    return t.total > 0 && t.PreConfirmed + t.Proven + t.Confirmed + t.InEpoch + t.Settling === 0;
  };

  before(async function () {
    c = await start();
    await Promise.all(
      CHAINS.map(async (networkId) => {
        for (let h = 0n; h < BigInt(HEIGHTS); h++) {
          // every fourth certificate names the other chain's latest acknowledged one
          const other = first.filter((r) => r.networkId !== networkId).pop();
          const s = await signed(networkId, h, { deps: h % 4n === 0n && other ? [other] : [] });
          await submit(s);
          first.push(s.ref);
        }
        next.set(networkId, BigInt(HEIGHTS));
      }),
    );
    await until("every certificate finalized", settled);
  });

  after(async () => {
    await c?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("after 1,600 certificates, the graph holds each chain's last Finalized certificate only, and the mirror recent history only", function () {
    expect(c.node.statusCounts().Finalized).to.equal(CHAINS.length * HEIGHTS);
    expect(c.node.graph.counts()).to.deep.equal({ PreConfirmed: 0, Proven: 0, Confirmed: 0, InEpoch: 0, Settling: 0, Finalized: CHAINS.length, Rejected: 0 });
    for (const n of CHAINS) {
      expect(c.node.graph.tip(n)!.height).to.equal(BigInt(HEIGHTS - 1));
      const record = c.node.d.view.mirror.record(n);
      expect(record.history.releasedBelow, `network ${n}: history entries released to the store`).to.equal(256);
      // proofs into a released block come back from the store and verify against the history root
      const early = first.find((r) => r.networkId === n && r.height === 5n)!;
      const proof = record.history.proof(5);
      expect(verifyMerkleProof(record.history.root(), historyLeaf({ certificateId: early.certificateId, exitRoot: record.state.exitRoot }), 5, proof.siblings)).to.equal(true);
    }
    expect(l1.held.blocks).to.be.at.most(256);
    expect(c.node.health().store.certificates).to.equal(c.node.d.store.countCertificates());
  });

  it("answers for forgotten certificates from the store: status, dependents, duplicates, the latest per status", async function () {
    const store = c.node.d.store;
    const namer = first.find((r) => r.networkId === 2 && r.height === 4n)!;
    const early = store.getCertificate(namer.certificateId)!.certificate.dependencies[0];
    expect(c.node.graph.get(early.certificateId)).to.equal(undefined);
    const view = c.node.getCertificate(early.certificateId);
    expect(view.status).to.equal("Finalized");
    const namers = first
      .map((r) => store.getCertificate(r.certificateId)!)
      .filter((r) => r.certificate.dependencies.some((d) => d.certificateId === early.certificateId))
      .sort((x, y) => x.seq - y.seq);
    expect(namers.map((r) => r.certificateId)).to.include(namer.certificateId);
    expect(view.dependents.map((d) => d.certificateId)).to.deep.equal(namers.map((r) => "0x" + r.certificateId.toString(16)));
    const again = c.node.d.store.getCertificate(early.certificateId)!.certificate;
    expect(await reason(() => c.node.submitCertificate(again))).to.equal("DUPLICATE_CERTIFICATE");
    expect(c.node.getLatestCertificate(1, "Finalized")!.height).to.equal("0x" + (HEIGHTS - 1).toString(16));
  });

  it("a dependency on a forgotten finalized certificate (its history entry released) is accepted and finalizes", async function () {
    const old = first.find((r) => r.networkId === 1 && r.height === 7n)!;
    expect(c.node.d.view.mirror.record(1).history.releasedBelow).to.be.greaterThan(7);
    const s = await signed(2, next.get(2)!, { deps: [old] });
    await submit(s);
    next.set(2, next.get(2)! + 1n);
    await until("the dependent finalized", () => c.node.getCertificate(s.id).status === "Finalized");
    expect(c.node.getCertificate(old.certificateId).dependents.map((d) => d.certificateId)).to.include("0x" + s.id.toString(16));
  });

  it("forgets a rejection with its cascade, and still refuses a dependency on it and a leg of its failed bundle", async function () {
    const bundle = 4242n;
    const a = await signed(1, next.get(1)!);
    const a2 = await signed(1, next.get(1)! + 1n, { bundles: [{ bundleId: bundle, legIndex: 0, legCount: 2, success: true, participants: [1, 2] }] });
    const b = await signed(2, next.get(2)!, { bundles: [{ bundleId: bundle, legIndex: 1, legCount: 2, success: true, participants: [1, 2] }] });
    await submit(a, false); // no proof: PROOF_TIMEOUT, and the cascade takes a2 and a2's bundle partner b
    await submit(a2);
    await submit(b);
    await until("the cascade, stored", () => c.node.d.store.certificateStatus(a2.id) === "Rejected");
    for (const x of [a, b, a2]) {
      expect(c.node.graph.get(x.id), "forgotten").to.equal(undefined);
      expect(c.node.getCertificate(x.id).status).to.equal("Rejected");
    }
    expect(c.node.getCertificate(b.id).rejection!.code).to.equal("BUNDLE_FAILED");
    expect(c.node.graph.counts().Rejected).to.equal(0);
    expect(await reason(() => c.node.submitProof({ certificateId: a.id, proof: PROOF, publicSignals: certificatePublicSignals(a.certificate, a.id, c.node.shape).map(String) }))).to.equal("PROOF_NOT_NEEDED");
    expect(await reason(() => c.node.submitCertificate(a2.certificate))).to.equal("DUPLICATE_CERTIFICATE");
    // b (revision 0) was rejected at network 2's next height: what comes there now is revision 1
    expect(await reason(async () => submit(await signed(2, next.get(2)!, { deps: [a2.ref], revision: 1 })))).to.equal("DEPENDENCY_REJECTED");
    expect(await reason(async () => submit(await signed(2, next.get(2)!, { revision: 1, bundles: [{ bundleId: bundle, legIndex: 1, legCount: 2, success: true, participants: [1, 2] }] })))).to.equal("BUNDLE_FAILED");
    // The chain rebuilds at the freed height, but L1 settles the rejected (and forgotten) certificate anyway: L1 is the
    // truth. The coordinator takes it back from the store, finalizes it and rejects what holds its height now.
    const rebuilt = await signed(1, next.get(1)!, { revision: 1 }); // the rebuild after a rejection is the next revision
    await submit(rebuilt, false);
    await settleElsewhere(a);
    await until("L1's finalization applied and stored", () => c.node.d.store.certificateStatus(rebuilt.id) === "Rejected");
    expect(c.node.getCertificate(a.id).status).to.equal("Finalized");
    expect(c.node.getCertificate(rebuilt.id).rejection!.code).to.equal("EQUIVOCATION");
    expect(c.node.graph.get(rebuilt.id), "the rejected holder is forgotten").to.equal(undefined);
    expect(c.node.graph.tip(1)!.certificateId).to.equal(a.id);
    next.set(1, next.get(1)! + 1n);
    // a2 (revision 0) was rejected here: the rebuild is revision 1, and settles with the layer's licence
    expect(await reason(async () => submit(await signed(1, next.get(1)!)))).to.equal("REVISION_NOT_LICENSED");
    const after = await signed(1, next.get(1)!, { revision: 1 });
    await submit(after);
    next.set(1, next.get(1)! + 1n);
    await until("the next height finalized", () => c.node.getCertificate(after.id).status === "Finalized");
  });

  it("after a restart the graph holds only the work in progress; the next height after the forgotten tip is accepted and finalizes", async function () {
    const tip = c.node.getLatestCertificate(1, "Finalized")!;
    await c.stop();
    c = await start();
    expect(Object.values(c.node.graph.counts()).reduce((x, y) => x + y, 0)).to.equal(0);
    expect(c.node.getLatestCertificate(1, "Finalized")!.certificateId).to.equal(tip.certificateId);
    expect(c.node.getLatestCertificate(1, "Confirmed")!.certificateId).to.equal(tip.certificateId);
    expect(c.node.getNetwork(1).nextHeight).to.equal("0x" + next.get(1)!.toString(16));
    expect(c.node.getNetwork(1).latest.finalized!.certificateId).to.equal(tip.certificateId);
    const s = await signed(1, next.get(1)!);
    await submit(s);
    next.set(1, next.get(1)! + 1n);
    await until("the next height finalized", () => c.node.getCertificate(s.id).status === "Finalized");
    expect(c.node.graph.tip(1)!.certificateId).to.equal(s.id);
  });

  it("another certificate for a forgotten finalized height is an equivocation, with the evidence kept", async function () {
    const s = await signed(2, 3n);
    expect(await reason(() => c.node.submitCertificate(s.certificate))).to.equal("EQUIVOCATION");
    const evidence = c.node.d.store.listEquivocations().find((e) => e.networkId === 2 && e.height === 3n)!;
    expect(evidence.idA).to.equal(first.find((r) => r.networkId === 2 && r.height === 3n)!.certificateId);
    expect(evidence.idB).to.equal(s.id);
  });
});
