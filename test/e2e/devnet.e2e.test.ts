/**
 * The devnet as `npm start` runs it (scripts/devnet/devnet.ts), on free loopback ports, and its whole scenario
 * (scripts/devnet/scenario.ts): deposit, fast and confirmed-policy transfers, a cross-chain call and a
 * bridge-and-call, a chain that never proves and the cascade it causes (B rebuilds, funds come back after A
 * recovers), the opt-out chain finalizing directly while A is stalled, and a withdrawal to L1. The scenario checks
 * every balance as it goes; this test then checks the certificates' final statuses and that L1's batches are the
 * reference model's (lib/batch-settlement.ts), replayed from the certificates L1 finalized: every batch root, every
 * tip.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startDevnet, Devnet } from "../../scripts/devnet/devnet";
import { runScenario, waitUntil, Scenario } from "../../scripts/devnet/scenario";
import { createLogger } from "../../coordinator/log";
import { BatchSettlementState, DEVNET_PARAMS, genesisStateCommitment, tipOf } from "../../lib";
import { terminateCurves } from "../../zk/groth16";
import { chainMetricsVersusTruth, checkMetricsAgainstStore, seriesNeverMoved } from "../helpers/metrics";
import { checkDashboard } from "../helpers/dashboard-browser";

describe("devnet end to end (L1 + three L2 hardhat nodes, coordinator, chain clients, the scenario)", function () {
  this.timeout(40 * 60_000);
  let net: Devnet;
  let scenario: Scenario;
  const lines: string[] = [];

  before(async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "devnet-e2e-"));
    net = await startDevnet({ log: createLogger({ level: "error" }), dataDir, fixedPorts: false, coordinator: { epochs: { intervalMs: 5_000 } } });
  });

  after(async function () {
    await net?.stop();
    await terminateCurves();
  });

  it("runs the scenario; every balance on every chain and on L1 is what the transfers imply", async function () {
    scenario = await runScenario(net, (l) => lines.push(l));
    for (const t of scenario.timeline) console.log(`      ${t.step}: ${(t.ms / 1000).toFixed(2)} s${t.detail ? ` (${t.detail})` : ""}`);
  });

  it("the stalled certificate was rejected for its missing proof, and B's dependent one names it", function () {
    const node = net.coordinator.node;
    const rejected = node.d.store.listCertificates({ status: "Rejected" });
    const timeout = rejected.filter((r) => r.rejection?.code === "PROOF_TIMEOUT");
    expect(timeout.map((r) => r.networkId)).to.include(1);
    const dependents = rejected.filter((r) => r.networkId === 2 && r.rejection?.code === "DEPENDENCY_REJECTED");
    expect(dependents.length).to.be.greaterThan(0);
    const aIds = timeout.filter((r) => r.networkId === 1).map((r) => r.certificateId);
    expect(dependents.some((d) => aIds.includes(d.rejection!.cause!.certificateId)), "B's rejection names A's certificate").to.equal(true);
  });

  it("after the last batches every certificate is Finalized or Rejected, and L1's batches and tips are the model's", async function () {
    const node = net.coordinator.node;
    await waitUntil("every live certificate finalized", async () => node.d.store.listCertificates({ live: true }).length === 0, 900_000, 500);
    const hub = net.l1.layer.hub;
    const bridge = net.l1.layer.bridge;
    const model = new BatchSettlementState(genesisStateCommitment(DEVNET_PARAMS));
    const checkpoints = new Map<bigint, bigint>();
    const count = Number(await bridge.checkpointCount());
    for (let n = 0; n < count; n++) checkpoints.set(BigInt(n), (await bridge.checkpoint(n))[0]);
    const settled = await hub.queryFilter(hub.filters.BatchSettled());
    const finalized = await hub.queryFilter(hub.filters.BatchCertificateFinalized());
    expect(settled.map((e) => e.args.batchId)).to.deep.equal(settled.map((_, k) => BigInt(k + 1)));
    for (const e of settled) {
      const slots = finalized.filter((f) => f.args.batchId === e.args.batchId).sort((a, b) => Number(a.args.index - b.args.index));
      expect(slots.length).to.equal(Number(e.args.count));
      const plan = model.plan(slots.map((f) => ({ certificate: node.d.store.getCertificate(f.args.certificateId)!.certificate, certificateId: f.args.certificateId })), (n) => checkpoints.get(n));
      expect(plan.root, `batch ${e.args.batchId}`).to.equal(e.args.root);
      model.apply(plan);
    }
    for (const n of [1, 2, 3]) {
      const t = model.tip(n);
      expect(await hub.tip(n), `network ${n}'s tip`).to.equal(tipOf(t.stateCommitment, t.nextHeight));
    }
    const all = node.d.store.listCertificates();
    expect(all.every((c) => c.status === "Finalized" || c.status === "Rejected")).to.equal(true);
    expect(finalized.length).to.equal(all.filter((c) => c.status === "Finalized").length, "each finalized once");
  });

  it("the coordinator's GET /metrics says what its store says, and each chain client's endpoint what the client and the store say", async function () {
    const get = async (url: string) => (await fetch(url)).text();
    await checkMetricsAgainstStore(net.coordinator.node, () => get(new URL("/metrics", net.coordinator.rpc.url).toString()));
    const texts: string[] = [];
    for (const c of net.chains.values()) {
      const text = await get(c.client.metricsUrl!);
      texts.push(text);
      expect(chainMetricsVersusTruth(net.coordinator.node, c.client, text), `chain ${c.spec.name}`).to.deep.equal([]);
    }
    const exempt = { chain_certificates_refused_total: "the scenario has no refusal", chain_prover_backlog: "no proof is owed once the scenario is over" };
    expect(seriesNeverMoved(texts, "chain_", exempt), "chain series the scenario never moved").to.deep.equal([]);
  });

  it("the dashboard (headless Chromium) shows the three chains, A's PROOF_TIMEOUT and the cascade it caused on B, a settled epoch with its gas", async function () {
    const screenshot = path.join(net.dataDir, "dashboard.png");
    const seen = await checkDashboard(`${net.coordinator.rpc.url}dashboard?window=256`, screenshot);
    console.log(`      dashboard: cascade ${seen.cascade.rootCode} -> ${seen.cascade.taken.join(", ")}; epoch #${seen.settledEpoch.id} settled with ${seen.settledEpoch.gas} gas; screenshot ${screenshot}`);
  });
});
