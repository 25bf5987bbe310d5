/**
 * The coordinator's metrics tell the truth (coordinator/metrics.ts and its writers: node.ts, batches.ts,
 * l1/sync.ts, rpc/). A real coordinator (startCoordinator: store, node, epochs, L1 sync, RPC server) runs two chains
 * through pre-confirmation, proofs (the chains' and the backup prover's), a proof timeout with its cascade,
 * epochs and finalization, with the test seams of test/coordinator/memory.test.ts: the in-memory L1 hub
 * (scripts/lib/loopback-l1.ts), a certificate-proof verifier that accepts the test's marker proof, and a prover
 * pool that answers when the test lets it (so the backup job is seen queued, then running). GET /metrics is read
 * over HTTP while it runs; then every series must agree with the store (test/helpers/metrics.ts), and every series
 * the registry defines must have been seen non-zero.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import WebSocket from "ws";
import { HDNodeWallet, hexlify, randomBytes } from "ethers";
import { buildCertificate } from "../../lib/certificate-builder";
import { CertificateRef, SigningDomain, signCertificate } from "../../lib/certificate";
import { LayerParams } from "../../lib/params";
import { NetworkState } from "../../lib/network-state";
import { certificatePublicSignals } from "../../lib/settlement";
import { certificateShapeOf, parseConfig } from "../../coordinator/config";
import { createLogger } from "../../coordinator/log";
import { Metrics } from "../../coordinator/metrics";
import { Coordinator, startCoordinator } from "../../coordinator/service";
import type { ProveOptions, ProverPool } from "../../zk/prover/pool";
import { LoopbackL1 } from "../../scripts/lib/loopback-l1";
import { checkMetricsAgainstStore, declaredMetrics, parseMetrics, seriesNeverMoved, valueOf } from "../helpers/metrics";
import { request } from "./helpers/http";

const HUB = "0x00000000000000000000000000000000000000b0";
const BRIDGE = "0x00000000000000000000000000000000000000b1";
const MNEMONIC = "test test test test test test test test test test test junk";
const LAYER = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/99");
const P: LayerParams = { exitDepth: 4, balanceDepth: 4, networkBits: 2, historyDepth: 12 };
const sequencer = (networkId: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${100 + networkId}`);
const PROOF = { pi_a: ["1", "2", "1"], pi_b: [["1", "0"], ["0", "1"], ["1", "0"]], pi_c: ["0", "0", "1"], protocol: "groth16", curve: "bn128" };
const BAD_PROOF = { ...PROOF, pi_c: ["0", "1", "1"] };
const domain: SigningDomain = { chainId: 31337n, verifyingContract: HUB };
const CIRCUIT = "certificate_prod";
/** Series that may rightly read 0 all through this run, and where their writer is tested instead. */
const MAY_REST_AT_ZERO: Record<string, string> = {
  coordinator_l1_block_lag: "the loopback L1 is read up to its head at once (the L1 loop of service.ts sets it)",
  coordinator_ws_dropped_total: "slow consumers and ping timeouts: test/coordinator/rpc.test.ts",
};

type Signed = Awaited<ReturnType<typeof signed>>;

async function signed(networkId: number, height: bigint, deps: CertificateRef[] = []) {
  const b = buildCertificate(new NetworkState(networkId, P), { height, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [], extraDependencies: deps, bundles: [] });
  return { id: b.certificateId, ref: { networkId, height, certificateId: b.certificateId }, certificate: await signCertificate(sequencer(networkId), domain, b.certificate) };
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A prover pool whose one job waits for the test: queued until `run()`, running until `finish()`. */
class GatedPool {
  busy = 0;
  queued = 0;
  signals: string[] = [];
  private gates: (() => void)[] = [];
  asked = 0;

  private gate(): Promise<void> {
    return new Promise((r) => this.gates.push(r));
  }

  /** Lets the waiting job go one stage further. */
  open(): void {
    this.gates.shift()?.();
  }

  async prove(_spec: unknown, o: ProveOptions = {}) {
    this.asked++;
    o.onProgress?.({ stage: "queued", elapsedMs: 0 });
    await this.gate();
    o.onProgress?.({ stage: "witness+prove", elapsedMs: 1 });
    await this.gate();
    return { proof: PROOF, publicSignals: this.signals, solidityProof: new Array<bigint>(8).fill(0n), ms: 1234 };
  }

  async close(): Promise<void> {}
}

describe("the coordinator's metrics say what happened (coordinator/metrics.ts)", function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coord-metrics-"));
  const config = parseConfig({
    rpc: { port: 0 },
    store: { path: path.join(dir, "coordinator.sqlite") },
    l1: { rpcUrl: "http://127.0.0.1:9", hub: HUB, bridge: BRIDGE, confirmations: 1, pollMs: 5, reportEquivocations: false, layerKey: LAYER.privateKey },
    circuits: { certificate: CIRCUIT },
    // Network 1's certificates are never backup-proven: one of them times out, with its cascade.
    proving: { backup: { enabled: true, share: 0.2, disabledNetworks: [1] } },
    lifecycle: { proofTimeoutMs: 2500, tickMs: 20 },
    epochs: { intervalMs: 20 },
    log: { level: "error" },
  });
  const l1 = new LoopbackL1(P, {
    hub: HUB, bridge: BRIDGE, networks: [1, 2].map((networkId) => ({ networkId, sequencer: sequencer(networkId).address, policyFlags: 0 })),
    shape: certificateShapeOf(config), layerSigner: LAYER.address,
  });
  const pool = new GatedPool();
  let c: Coordinator;
  /** Every scrape of the run. */
  const scrapes: string[] = [];
  let ws: WebSocket | null = null;

  const scrape = async (): Promise<string> => {
    const r = await request(c.rpc.url, { path: "/metrics" });
    expect(r.status).to.equal(200);
    scrapes.push(r.text);
    return r.text;
  };
  const now = async (name: string, labels: Record<string, string> = {}) => valueOf(parseMetrics(await scrape()), name, labels);
  const prove = (s: Signed, proof = PROOF) => c.node.submitProof({ certificateId: s.id, proof, publicSignals: certificatePublicSignals(s.certificate, s.id, c.node.shape).map(String) });
  const status = (s: Signed) => c.node.d.store.certificateStatus(s.id);

  let a0: Signed, b0: Signed, a1: Signed, a2: Signed, b1: Signed, b2: Signed;

  before(async function () {
    c = await startCoordinator(config, { log: createLogger({ level: "error" }), l1, pool: pool as unknown as ProverPool, params: P, verifyProof: async (_i, _s, proof) => proof.pi_c.join() === PROOF.pi_c.join() });
    // a subscriber, for the connection and subscription gauges
    ws = new WebSocket(c.rpc.wsUrl);
    await new Promise((r) => ws!.once("open", r));
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params: {} }));
    await new Promise((r) => ws!.once("message", r));
    // a page of another origin is refused before any JSON-RPC (NOT_ALLOWED)
    const refused = new WebSocket(c.rpc.wsUrl, { origin: "http://elsewhere.example" });
    await new Promise((r) => refused.once("error", r));

    // network 1 at height 0, network 2 at height 0 naming it: proven by the chains, settled in an epoch
    a0 = await signed(1, 0n);
    b0 = await signed(2, 0n, [a0.ref]);
    for (const s of [a0, b0]) await c.node.submitCertificate(s.certificate);
    await prove(a0);
    await prove(b0);
    await until("the first epoch finalized", () => status(b0) === "Finalized" && status(a0) === "Finalized");

    // a1 is never proven (a wrong proof is refused): it times out, taking a2 (next height) and b2 (names it) down
    a1 = await signed(1, 1n);
    b1 = await signed(2, 1n);
    a2 = await signed(1, 2n);
    b2 = await signed(2, 2n, [a1.ref]);
    for (const s of [a1, b1, a2, b2]) await c.node.submitCertificate(s.certificate);
    expect(await prove(a1, BAD_PROOF).then(() => "OK", (e) => e.reason)).to.equal("INVALID_PROOF");
    await prove(a2);
    await prove(b2);

    // b1 is left to the backup prover: seen queued, then running, then proven
    pool.signals = certificatePublicSignals(b1.certificate, b1.id, c.node.shape).map(String);
    await until("the backup job", () => pool.asked === 1);
    expect(await now("coordinator_prover_jobs_queued", { circuit: CIRCUIT })).to.equal(1);
    expect(await now("coordinator_ws_subscriptions")).to.equal(1);
    expect(await now("coordinator_ws_connections")).to.equal(1);
    pool.open();
    expect(await now("coordinator_prover_jobs_running", { circuit: CIRCUIT })).to.equal(1);
    expect(await now("coordinator_prover_jobs_queued", { circuit: CIRCUIT })).to.equal(0);
    pool.open();
    await until("the backup proof and the timeout's cascade", () => status(b1) === "Finalized" && status(b2) === "Rejected" && status(a2) === "Rejected");
    await until("nothing in progress", () => {
      const t = c.node.statusCounts();
      return t.PreConfirmed + t.Proven + t.Confirmed + t.InEpoch + t.Settling === 0;
    });
    await scrape();
  });

  after(async () => {
    ws?.close();
    await c?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("every series agrees with the store: certificates by network and status, transitions and time in status, rejections, cascades, proofs, jobs, epochs, settlements, finality lag", async function () {
    await checkMetricsAgainstStore(c.node, scrape);
  });

  it("counts what this run did, series by series", async function () {
    const m = parseMetrics(await scrape());
    const v = (name: string, labels: Record<string, string> = {}) => valueOf(m, name, labels);
    expect(v("coordinator_certificates", { network: "1", status: "Finalized" })).to.equal(1);
    expect(v("coordinator_certificates", { network: "1", status: "Rejected" })).to.equal(2);
    expect(v("coordinator_certificates", { network: "2", status: "Finalized" })).to.equal(2);
    expect(v("coordinator_certificates", { network: "2", status: "Rejected" })).to.equal(1);
    // a status with no certificates reads 0 rather than missing: dashboards and alerts need no special case
    expect(m.filter((s) => s.name === "coordinator_certificates")).to.have.length(2 * 7);
    expect(m.find((s) => s.name === "coordinator_certificates" && s.labels.network === "1" && s.labels.status === "InEpoch")?.value).to.equal(0);
    expect(v("coordinator_rejections_total", { reason: "PROOF_TIMEOUT" })).to.equal(1);
    expect(v("coordinator_rejections_total", { reason: "PREDECESSOR_REJECTED" })).to.equal(1);
    expect(v("coordinator_rejections_total", { reason: "DEPENDENCY_REJECTED" })).to.equal(1);
    expect(v("coordinator_rejections_total", { reason: "EQUIVOCATION" })).to.equal(0);
    // one rejection took two certificates down with it
    expect(v("coordinator_cascade_size_count")).to.equal(1);
    expect(v("coordinator_cascade_size_sum")).to.equal(2);
    expect(v("coordinator_status_transitions_total", { from: "PreConfirmed", to: "Rejected" })).to.equal(1);
    expect(v("coordinator_status_duration_seconds_count", { status: "PreConfirmed" })).to.equal(6);
    // a1 waited for its proof the whole proof deadline
    // (its time in PreConfirmed alone is at least the deadline; the others' share a bucket with it or not, by timing)
    expect(v("coordinator_status_duration_seconds_sum", { status: "PreConfirmed" })).to.be.at.least(2.5);
    expect(v("coordinator_proofs_verified_total", { source: "chain", outcome: "valid" })).to.equal(4);
    expect(v("coordinator_proofs_verified_total", { source: "chain", outcome: "invalid" })).to.equal(1);
    expect(v("coordinator_proofs_verified_total", { source: "backup", outcome: "valid" })).to.equal(1);
    expect(v("coordinator_prover_jobs_total", { circuit: CIRCUIT, outcome: "done" })).to.equal(1);
    expect(v("coordinator_prove_duration_seconds_sum", { circuit: CIRCUIT })).to.equal(1.234);
    expect(v("coordinator_epochs_total", { status: "settled" })).to.be.at.least(2);
    // a0, b0 and b1: every finalized certificate went through an epoch
    expect(v("coordinator_epoch_certificates_sum")).to.equal(3);
    expect(v("coordinator_settlement_gas_count")).to.equal(v("coordinator_epochs_total", { status: "settled" }));
    expect(v("coordinator_settlement_inclusion_seconds_count")).to.equal(v("coordinator_epochs_total", { status: "settled" }));
    expect(v("coordinator_finality_lag_heights", { network: "1" })).to.equal(0);
    expect(v("coordinator_oldest_unfinalized_age_seconds", { network: "1" })).to.equal(0);
    expect(v("coordinator_http_rejected_total", { reason: "NOT_ALLOWED" })).to.equal(1);
    expect(v("coordinator_rpc_requests_total", { method: "subscribe", outcome: "ok" })).to.equal(1);
  });

  it("every series the registry defines was seen non-zero during the run (nothing is defined that nothing updates)", async function () {
    const own = [...declaredMetrics(await scrape()).keys()].filter((n) => !n.startsWith("coordinator_process_") && !n.startsWith("coordinator_nodejs_"));
    expect(own.length).to.be.greaterThan(20);
    const never = seriesNeverMoved(scrapes, "coordinator_", MAY_REST_AT_ZERO).filter((n) => own.includes(n));
    expect(never, "series never updated in a run that does everything").to.deep.equal([]);
  });

  it("a series nobody updates is caught by that check: on a fresh registry it names every series", async function () {
    const fresh = await new Metrics().render();
    expect(seriesNeverMoved([fresh], "coordinator_")).to.have.members([...declaredMetrics(fresh).keys()]);
  });
});
