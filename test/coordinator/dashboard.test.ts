/**
 * The dashboard (docs/coordinator.md, "Dashboard"): getDashboard and getCertificate's timeline over JSON-RPC, the
 * page's files and headers, the WebSocket's own-origin rule, and the page itself in headless Chromium
 * (test/helpers/dashboard-browser.ts) — first render, a cascade with its reason, a live update, a coordinator
 * restart it survives and catches up after.
 *
 * A real coordinator (startCoordinator: store, node, epochs, L1 sync, RPC server) with the test seams of
 * test/coordinator/memory.test.ts: the in-memory L1 hub (scripts/lib/loopback-l1.ts) and a verifier that accepts
 * the test's marker proof. No hardhat node, devnet or prover.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import WebSocket from "ws";
import { HDNodeWallet, hexlify, randomBytes } from "ethers";
import type { Browser, Page } from "playwright-core";
import { buildCertificate } from "../../lib/certificate-builder";
import { CertificateRef, SigningDomain, signCertificate } from "../../lib/certificate";
import { LayerParams } from "../../lib/params";
import { NetworkState } from "../../lib/network-state";
import { certificatePublicSignals } from "../../lib/settlement";
import { certificateShapeOf, parseConfig } from "../../coordinator/config";
import { createLogger } from "../../coordinator/log";
import { Coordinator, startCoordinator } from "../../coordinator/service";
import type { CertificateView, DashboardView } from "../../coordinator/api";
import { DASHBOARD_CSP } from "../../coordinator/rpc/server";
import { DASHBOARD_LIMITS, effectiveWindow } from "../../coordinator/dashboard";
import type { ProverPool } from "../../zk/prover/pool";
import { LoopbackL1 } from "../../scripts/lib/loopback-l1";
import { launchChromium, openDashboard, pageMetrics } from "../helpers/dashboard-browser";
import { request } from "./helpers/http";

const HUB = "0x00000000000000000000000000000000000000b0";
const BRIDGE = "0x00000000000000000000000000000000000000b1";
const MNEMONIC = "test test test test test test test test test test test junk";
const LAYER = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/99");
const P: LayerParams = { exitDepth: 4, balanceDepth: 4, networkBits: 2, historyDepth: 12 };
const CHAINS = [1, 2, 3];
const sequencer = (networkId: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${100 + networkId}`);
const PROOF = { pi_a: ["1", "2", "1"], pi_b: [["1", "0"], ["0", "1"], ["1", "0"]], pi_c: ["0", "0", "1"], protocol: "groth16", curve: "bn128" };
const domain: SigningDomain = { chainId: 31337n, verifyingContract: HUB };
const hex = (x: bigint) => "0x" + x.toString(16);

async function signed(networkId: number, height: bigint, deps: CertificateRef[] = [], revision?: number) {
  const b = buildCertificate(new NetworkState(networkId, P), { height, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [], extraDependencies: deps, bundles: [], revision });
  return { id: b.certificateId, ref: { networkId, height, certificateId: b.certificateId }, certificate: await signCertificate(sequencer(networkId), domain, b.certificate) };
}
type Signed = Awaited<ReturnType<typeof signed>>;

async function until<T>(what: string, f: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function call<T>(url: string, method: string, params: unknown): Promise<{ result?: T; error?: { code: number; message: string; data: { reason: string } } }> {
  const r = await request(url, { body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return r.json;
}

/** A GET of exactly this path (no URL normalisation: "/dashboard/../x" goes out as written). */
function get(port: number, rawPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: rawPath, method: "GET", agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the dashboard (GET /dashboard, getDashboard, getCertificate withHistory)", function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coord-dashboard-"));
  let port: number;
  let c: Coordinator;
  let url: string;
  const l1Of = (config: ReturnType<typeof parseConfig>) =>
    new LoopbackL1(P, { hub: HUB, bridge: BRIDGE, networks: CHAINS.map((networkId) => ({ networkId, sequencer: sequencer(networkId).address, policyFlags: networkId === 3 ? 1 : 0 })), shape: certificateShapeOf(config), layerSigner: LAYER.address });
  let l1: LoopbackL1;
  let config: ReturnType<typeof parseConfig>;
  const pool = { busy: 0, queued: 0, prove: async () => ({ proof: PROOF, publicSignals: [], solidityProof: new Array<bigint>(8).fill(0n), ms: 0 }), close: async () => undefined } as unknown as ProverPool;
  const start = () => startCoordinator(config, { log: createLogger({ level: "error" }), l1, pool, params: P, verifyProof: async (_i, _s, proof) => proof.pi_c.join() === PROOF.pi_c.join() });
  const submit = async (s: Signed, prove = true) => {
    await c.node.submitCertificate(s.certificate);
    if (prove) await prove1(s);
  };
  const prove1 = (s: Signed) => c.node.submitProof({ certificateId: s.id, proof: PROOF, publicSignals: certificatePublicSignals(s.certificate, s.id, c.node.shape).map(String) });
  const status = (s: Signed) => c.node.getCertificate(s.id).status;
  const a: Signed[] = [];
  const b: Signed[] = [];
  let browser: Browser | null = null;

  before(async function () {
    port = await freePort();
    config = parseConfig({
      rpc: { port },
      store: { path: path.join(dir, "coordinator.sqlite") },
      l1: { rpcUrl: "http://127.0.0.1:9", hub: HUB, bridge: BRIDGE, confirmations: 1, pollMs: 5, reportEquivocations: false, layerKey: LAYER.privateKey },
      circuits: { certificate: "certificate_prod" },
      proving: { backup: { enabled: false } },
      lifecycle: { proofTimeoutMs: 1500, tickMs: 50 },
      epochs: { intervalMs: 5, batchSize: 4 },
      log: { level: "error" },
    });
    l1 = l1Of(config);
    c = await start();
    url = c.rpc.url;
    // A (1) and B (2): four heights each, B's height 2 names A's height 1; all proven, settled in epochs
    for (let h = 0n; h < 4n; h++) {
      a.push(await signed(1, h));
      await submit(a[a.length - 1]);
      b.push(await signed(2, h, h === 2n ? [a[1].ref] : []));
      await submit(b[b.length - 1]);
    }
    await until("the first eight finalized", () => [...a, ...b].every((s) => status(s) === "Finalized"));
    // A's height 4 is never proven; B's height 4 names it (B accepts pre-confirmed states): PROOF_TIMEOUT, then the cascade
    a.push(await signed(1, 4n));
    await submit(a[4], false);
    b.push(await signed(2, 4n, [a[4].ref]));
    await submit(b[4]);
    await until("A's height 4 rejected", () => status(a[4]) === "Rejected" && status(b[4]) === "Rejected");
  });

  after(async () => {
    await browser?.close();
    await c?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("getDashboard: the chains, the recent window with statuses, reasons and dependencies, counts, epochs with gas, prover and L1", async function () {
    const d = (await call<DashboardView>(url, "getDashboard", [])).result!;
    expect(d.chains.map((x) => x.networkId)).to.deep.equal(CHAINS);
    const [ca, cb, cc] = d.chains;
    expect(ca.counts).to.include({ Finalized: 4, Rejected: 1, PreConfirmed: 0 });
    expect(cb.counts).to.include({ Finalized: 4, Rejected: 1 });
    expect(cc.optOut).to.equal(true);
    expect(ca.optOut).to.equal(false);
    expect(ca.latest).to.deep.equal({ preConfirmed: "0x3", confirmed: "0x3", finalized: "0x3" });
    expect(ca.finalityLagHeights).to.equal(0);
    expect(ca.oldestUnfinalized).to.equal(null);
    expect(ca.stake).to.match(/^[0-9]+$/);
    expect(d.totals).to.include({ Finalized: 8, Rejected: 2, total: 10 });
    expect(d.window).to.equal(DASHBOARD_LIMITS.defaultWindow);
    expect(d.certificates).to.have.length(10);
    const byId = new Map(d.certificates.map((x) => [x.certificateId, x]));
    expect(byId.get(hex(a[4].id))).to.deep.include({ status: "Rejected", height: "0x4", networkId: 1 });
    expect(byId.get(hex(a[4].id))!.rejection!.code).to.equal("PROOF_TIMEOUT");
    const dep = byId.get(hex(b[4].id))!;
    expect(dep.rejection!.code).to.equal("DEPENDENCY_REJECTED");
    expect(dep.rejection!.cause!.certificateId).to.equal(hex(a[4].id));
    expect(dep.dependencies.map((r) => r.certificateId)).to.include(hex(a[4].id));
    expect(byId.get(hex(b[2].id))!.dependencies.map((r) => r.certificateId)).to.include(hex(a[1].id));
    // newest first per chain, from the store: a smaller window keeps the highest heights
    const small = (await call<DashboardView>(url, "getDashboard", { window: 2 })).result!;
    expect(small.certificates.filter((x) => x.networkId === 1).map((x) => x.height)).to.deep.equal(["0x4", "0x3"]);
    expect((await call<DashboardView>(url, "getDashboard", { window: 0 })).result!.certificates).to.deep.equal([]);
    expect((await call(url, "getDashboard", { window: DASHBOARD_LIMITS.maxWindow + 1 })).error!.data.reason).to.equal("INVALID_PARAMS");
    expect((await call(url, "getDashboard", { window: 1, secret: true })).error!.data.reason).to.equal("INVALID_PARAMS");
    // epochs: settled ones with their transaction; the gas arrives once the receipt was read (the loopback L1 says 0)
    expect(d.epochs.counts.settled).to.be.greaterThan(0);
    const settled = d.epochs.recent.find((e) => e.status === "settled")!;
    expect(settled.l1Tx).to.match(/^0x[0-9a-f]{64}$/);
    expect(settled.size).to.be.within(1, 4);
    const gas = await until("the settled epoch's gas", async () => (await call<DashboardView>(url, "getDashboard", { window: 0 })).result!.epochs.recent.find((e) => e.id === settled.id)!.gasUsed);
    expect(gas).to.equal("0");
    expect(d.provers).to.deep.include({ enabled: false, busy: 0, queued: 0 });
    expect(d.l1.connected).to.equal(true);
    expect(d.l1.diverged).to.equal(false);
    expect(d.state).to.equal("running");
  });

  it("bounds the answer whatever the number of chains: the per-chain window shrinks", function () {
    expect(effectiveWindow(32, 3)).to.equal(32);
    expect(effectiveWindow(1000, 1)).to.equal(DASHBOARD_LIMITS.maxWindow);
    expect(effectiveWindow(256, 1000) * 1000).to.be.at.most(DASHBOARD_LIMITS.maxCertificates);
  });

  it("getCertificate withHistory: the timeline of status changes, the rejection with its cause", async function () {
    const fin = (await call<CertificateView>(url, "getCertificate", { certificateId: hex(b[2].id), withHistory: true })).result!;
    expect(fin.history!.map((h) => h.to)).to.deep.equal(["Proven", "Confirmed", "InEpoch", "Settling", "Finalized"]);
    expect(fin.history!.every((h) => h.at >= fin.receivedAt)).to.equal(true);
    const rej = (await call<CertificateView>(url, "getCertificate", [hex(b[4].id), null, null, true])).result!;
    const last = rej.history![rej.history!.length - 1];
    expect(last.to).to.equal("Rejected");
    expect(last.rejection!.code).to.equal("DEPENDENCY_REJECTED");
    expect(last.rejection!.cause!.certificateId).to.equal(hex(a[4].id));
    expect((await call<CertificateView>(url, "getCertificate", [hex(b[4].id)])).result!.history).to.equal(undefined);
  });

  it("serves the page's files with a strict content-security policy, and nothing else under /dashboard", async function () {
    const html = await get(port, "/dashboard");
    expect(html.status).to.equal(200);
    expect(html.headers["content-type"]).to.match(/^text\/html/);
    expect(html.headers["content-security-policy"]).to.equal(DASHBOARD_CSP);
    expect(html.headers["x-frame-options"]).to.equal("DENY");
    expect(html.headers["x-content-type-options"]).to.equal("nosniff");
    expect(html.text).to.include("/dashboard/app.js");
    expect(html.text).to.not.match(/<script>|style=/);
    expect((await get(port, "/dashboard/?window=8")).status).to.equal(200);
    const js = await get(port, "/dashboard/app.js");
    expect(js.status).to.equal(200);
    expect(js.headers["content-type"]).to.match(/^text\/javascript/);
    expect(js.text).to.not.include("innerHTML");
    expect((await get(port, "/dashboard/app.css")).headers["content-type"]).to.match(/^text\/css/);
    for (const p of ["/dashboard/../coordinator.sqlite", "/dashboard/index.html", "/dashboard/app.ts", "/dashboard/%2e%2e/api.ts", "/dashboard/..%2fdashboard.ts", "/dashboardx"]) {
      expect((await get(port, p)).status, p).to.equal(404);
    }
  });

  it("a WebSocket from the page's own origin is accepted; from another origin (or a rebindable name) refused", async function () {
    const open = (origin: string, host?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { origin, headers: host ? { Host: host } : {} });
        ws.on("open", () => (ws.close(), resolve(101)));
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("error", () => resolve(-1));
      });
    expect(await open(`http://127.0.0.1:${port}`)).to.equal(101);
    expect(await open(`http://localhost:${port}`, `localhost:${port}`)).to.equal(101);
    expect(await open("http://evil.example")).to.equal(403);
    expect(await open(`http://127.0.0.1:${port + 1}`)).to.equal(403);
    expect(await open(`http://rebind.example:${port}`, `rebind.example:${port}`)).to.equal(403);
  });

  describe("the page in headless Chromium", function () {
    let page: Page;
    let problems: string[];

    before(async function () {
      browser = await launchChromium();
      ({ page, problems } = await openDashboard(browser, `${url}dashboard`));
    });

    it("draws the chains as lanes, every certificate of the window coloured by status, and the cascade with its reason", async function () {
      const lanes = await page.$$eval("svg text[data-lane]", (ts) => ts.map((t) => t.getAttribute("data-lane")));
      expect(lanes).to.deep.equal(["1", "2", "3"]);
      expect(await page.$$eval("svg g.cert", (gs) => gs.length)).to.equal(10);
      expect(await page.getAttribute(`g.cert[data-id="${hex(a[4].id)}"]`, "class")).to.equal("cert st-Rejected");
      expect(await page.getAttribute(`g.cert[data-id="${hex(a[0].id)}"]`, "class")).to.equal("cert st-Finalized");
      expect(await page.$$eval("path.dep", (ps) => ps.length)).to.be.at.least(2);
      expect(await page.$$eval("path.dep.rejected", (ps) => ps.length)).to.equal(1);
      const cascade = await page.$eval(`.cascade[data-root="${hex(a[4].id)}"]`, (x) => x.textContent);
      expect(cascade).to.include("PROOF_TIMEOUT").and.include("DEPENDENCY_REJECTED").and.include("took down 1");
      expect(await page.$$eval("#chains tr[data-chain]", (rs) => rs.length)).to.equal(3);
      expect(await page.$eval("#epochs", (t) => t.textContent)).to.include("settled");
      expect((await pageMetrics(page)).firstRenderMs).to.be.a("number");
    });

    it("opens a certificate's detail from its link: fields, dependencies, dependents, proof, timeline", async function () {
      await page.goto(`${url}dashboard#cert=${hex(b[2].id)}`);
      await page.waitForSelector(`#detail[data-id="${hex(b[2].id)}"] .timeline`);
      const text = await page.$eval("#detail", (x) => x.textContent ?? "");
      expect(text).to.include(hex(b[2].id)).and.include("Finalized").and.include(hex(a[1].id).slice(0, 8));
      expect(text).to.include("groth16");
      expect(await page.$$eval("#detail .timeline tr", (rs) => rs.length)).to.equal(6);
      await page.goto(`${url}dashboard#cert=0xdead`);
      await page.waitForSelector("#detail .error");
      expect(await page.$eval("#detail .error", (x) => x.textContent)).to.include("no certificate 0xdead");
    });

    it("renders what the coordinator says as text, never as markup (an epoch's failure reason here)", async function () {
      const store = c.node.d.store;
      const now = Date.now();
      const failure = `<img src=x onerror="globalThis.__pwned=1"><b>bold</b>`;
      await store.commit([{ op: "putEpoch", record: { id: store.nextId("epoch"), certificateIds: [], newRoot: 0n, status: "abandoned", createdAt: now, updatedAt: now, l1Epoch: null, l1Tx: null, failure } }]);
      await page.waitForFunction((f) => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }).document.querySelector("#epochs").textContent ?? "").includes(f), failure, { timeout: 10_000 });
      expect(await page.$$eval("#epochs img, #epochs b", (xs) => xs.length)).to.equal(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
    });

    it("applies live status events: a new certificate appears, its proof turns it Confirmed and on", async function () {
      await page.waitForFunction(() => (globalThis as unknown as { __dashboard: { connected: boolean } }).__dashboard.connected);
      const x = await signed(3, 0n);
      await submit(x, false);
      await page.waitForSelector(`g.cert[data-id="${hex(x.id)}"].st-PreConfirmed`, { timeout: 10_000 });
      await prove1(x);
      await page.waitForFunction((id) => !/st-(PreConfirmed|Proven)\b/.test((globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string } } }).document.querySelector(`g.cert[data-id="${id}"]`).getAttribute("class")), hex(x.id), { timeout: 10_000 });
      const chain3 = (await call<DashboardView>(url, "getDashboard", { window: 0 })).result!.chains[2];
      expect(chain3.counts).to.include({ PreConfirmed: 0, Confirmed: 1 });
      expect(chain3.latest).to.deep.equal({ preConfirmed: "0x0", confirmed: "0x0", finalized: null });
      expect(chain3.finalityLagHeights).to.equal(1);
      expect(chain3.oldestUnfinalized!.certificateId).to.equal(hex(x.id));
      const m = await pageMetrics(page);
      expect(m.updates).to.be.at.least(2);
      expect(m.lastUpdate!.paintedMs).to.be.a("number");
    });

    it("applies a live rejection: the certificate turns red with its reason, and the cascade list gains it", async function () {
      // A's height 4 again (revision 1, licensed by the rejection of revision 0), never proven either
      const r1 = await signed(1, 4n, [], 1);
      await submit(r1, false);
      await page.waitForSelector(`g.cert[data-id="${hex(r1.id)}"].st-PreConfirmed`, { timeout: 10_000 });
      await page.waitForSelector(`g.cert[data-id="${hex(r1.id)}"].st-Rejected`, { timeout: 10_000 });
      expect(await page.$eval(`g.cert[data-id="${hex(r1.id)}"] text.reason`, (t) => t.textContent)).to.equal("PROOF_TIMEOUT");
      expect(await page.$eval(`.cascade[data-root="${hex(r1.id)}"]`, (x) => x.textContent)).to.include("PROOF_TIMEOUT").and.include("no dependent certificate");
      // both revisions of height 4 are drawn, one above the other
      const ys = await page.$$eval('g.cert[data-network="1"][data-height="4"] circle', (cs) => cs.map((c) => c.getAttribute("cy")));
      expect(new Set(ys).size).to.equal(2);
    });

    it("survives a coordinator restart: shows it is disconnected, reconnects, and catches up with what happened meanwhile", async function () {
      const before = await pageMetrics(page);
      await c.stop();
      await page.waitForFunction(() => !(globalThis as unknown as { __dashboard: { connected: boolean } }).__dashboard.connected, undefined, { timeout: 10_000 });
      expect(await page.$eval("#conn", (e) => e.textContent)).to.include("reconnecting");
      c = await start();
      // while the page waits for its next try: a certificate it has not heard of
      const y = await signed(3, 1n);
      await submit(y, false);
      await page.waitForSelector(`g.cert[data-id="${hex(y.id)}"]`, { timeout: 30_000 });
      const after = await pageMetrics(page);
      expect(after.connected).to.equal(true);
      expect(after.snapshots).to.be.greaterThan(before.snapshots);
      // and the live events flow again
      await prove1(y);
      await page.waitForFunction((id) => !/st-(PreConfirmed|Proven)\b/.test((globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string } } }).document.querySelector(`g.cert[data-id="${id}"]`).getAttribute("class")), hex(y.id), { timeout: 10_000 });
      expect(problems.filter((p) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(p))).to.deep.equal([]);
    });
  });
});
