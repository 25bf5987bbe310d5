/**
 * The dashboard with 100,000 live certificates (a benchmark, not a test: it asserts nothing, it prints).
 *
 *   npm run bench:dashboard [-- --chains 20 --certs 100000 --proven 0.3 --deps 0.1 --updates 30 --screenshot out.png]
 *
 * What it does:
 *   1. starts a coordinator in this process (startCoordinator, its store in a temp directory, the JSON-RPC server
 *      on loopback) with the test seams of scripts/soak-coordinator.ts: the in-memory L1 hub
 *      (scripts/lib/loopback-l1.ts) and a verifier that accepts the benchmark's marker proof; epochs and the backup
 *      prover off and a proof deadline of a day, so that every certificate stays live;
 *   2. generates --certs certificates over --chains chains as scripts/bench-coordinator.ts does (each chain's first
 *      certificate by buildCertificate, the others reuse its commitments; with probability --deps one names an
 *      earlier certificate of another chain; libsecp256k1 signatures when the addon loads) and submits them
 *      height by height, all chains of a height at once; the first --proven share of each chain's heights gets
 *      its proof (Proven, Confirmed once its dependencies are);
 *   3. opens GET /dashboard in headless Chromium (Debian's chromium, playwright-core) for each window (the default
 *      32 per chain, and the largest answer: 4,000 certificates drawn) and measures in the browser, with
 *      performance.now(): the time from navigation to the first snapshot drawn and painted, then for --updates
 *      status events each (a proof submitted for a certificate of the window: PreConfirmed -> Proven; and a new
 *      certificate at a chain's next height: drawn on the next frame) the time from the event's arrival to the
 *      next painted frame; prints them with the size and server time of getDashboard.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { HDNodeWallet, getBytes, hexlify, randomBytes } from "ethers";
import { buildCertificate } from "../lib/certificate-builder";
import { Certificate, CertificateRef, SignedCertificate, SigningDomain, certificateId, signCertificate, validateCertificate } from "../lib/certificate";
import { HeaderVerifier } from "../lib/header-verifier";
import { NetworkState } from "../lib/network-state";
import { LayerParams } from "../lib/params";
import { certificatePublicSignals } from "../lib/settlement";
import { certificateShapeOf, parseConfig } from "../coordinator/config";
import { createLogger } from "../coordinator/log";
import { startCoordinator } from "../coordinator/service";
import type { ProverPool } from "../zk/prover/pool";
import { LoopbackL1 } from "./lib/loopback-l1";
import { nativeSigner } from "./lib/load";
import { launchChromium, openDashboard, pageMetrics } from "../test/helpers/dashboard-browser";

const HUB = "0x00000000000000000000000000000000000000b0";
const BRIDGE = "0x00000000000000000000000000000000000000b1";
const MNEMONIC = "test test test test test test test test test test test junk";
const LAYER = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/99");
const PROOF = { pi_a: ["1", "2", "1"], pi_b: [["1", "0"], ["0", "1"], ["1", "0"]], pi_c: ["0", "0", "1"], protocol: "groth16", curve: "bn128" };
const domain: SigningDomain = { chainId: 31337n, verifyingContract: HUB };

interface Options {
  chains: number;
  certs: number;
  proven: number;
  deps: number;
  updates: number;
  /** A full-page screenshot of the default window's page, once measured (a path; none by default). */
  screenshot: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { chains: 20, certs: 100_000, proven: 0.3, deps: 0.1, updates: 30, screenshot: "" };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, "") as keyof Options;
    if (!(k in o)) throw new Error(`unknown option ${argv[i]} (--chains, --certs, --proven, --deps, --updates, --screenshot)`);
    if (k === "screenshot") o.screenshot = argv[i + 1];
    else o[k] = Number(argv[i + 1]);
  }
  return o;
}

const sequencer = (networkId: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${100 + networkId}`);
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};
const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const heights = Math.ceil(o.certs / o.chains);
  const P: LayerParams = { exitDepth: 4, balanceDepth: 4, networkBits: Math.ceil(Math.log2(o.chains + 1)), historyDepth: 16 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-dashboard-"));
  const config = parseConfig({
    rpc: { port: 0 },
    store: { path: path.join(dir, "coordinator.sqlite") },
    l1: { rpcUrl: "http://127.0.0.1:9", hub: HUB, bridge: BRIDGE, confirmations: 1, pollMs: 50, reportEquivocations: false, layerKey: LAYER.privateKey },
    circuits: { certificate: "certificate_prod" },
    proving: { backup: { enabled: false } },
    lifecycle: { proofTimeoutMs: 86_400_000, tickMs: 1000 },
    epochs: { enabled: false },
    log: { level: "error" },
  });
  const chains = Array.from({ length: o.chains }, (_, i) => i + 1);
  const l1 = new LoopbackL1(P, { hub: HUB, bridge: BRIDGE, networks: chains.map((networkId) => ({ networkId, sequencer: sequencer(networkId).address, policyFlags: 0 })), shape: certificateShapeOf(config), layerSigner: LAYER.address });
  const pool = { busy: 0, queued: 0, prove: async () => ({ proof: PROOF, publicSignals: [], solidityProof: [], ms: 0 }), close: async () => undefined } as unknown as ProverPool;
  const c = await startCoordinator(config, { log: createLogger({ level: "error" }), l1, pool, params: P, verifyProof: async (_i, _s, proof) => proof.pi_c.join() === PROOF.pi_c.join() });
  const say = (s: string) => process.stdout.write(s + "\n");
  try {
    // ---------------------------------------------------------------------------------------- load
    say(`bench:dashboard: ${o.certs.toLocaleString("en")} certificates over ${o.chains} chains (${heights} heights each), ${o.proven * 100}% of each chain's heights proven, ${o.deps * 100}% naming another chain's`);
    const t0 = performance.now();
    const templates = new Map<number, Certificate>(chains.map((id) => [id, buildCertificate(new NetworkState(id, P), { height: 0n, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [] }).certificate]));
    const verifier = new HeaderVerifier(domain);
    const native = nativeSigner();
    const keys = new Map(chains.map((id) => [id, getBytes(sequencer(id).privateKey)]));
    const sign = async (cert: Certificate, id: bigint): Promise<SignedCertificate> => {
      if (!native) return signCertificate(sequencer(cert.networkId), domain, cert);
      const { signature, recid } = native.ecdsaSign(getBytes(verifier.digest({ networkId: cert.networkId, height: cert.height, certificateId: id })), keys.get(cert.networkId)!);
      return { ...cert, signature: hexlify(signature) + (27 + recid).toString(16) };
    };
    const make = async (networkId: number, height: number, dependencies: CertificateRef[]) => {
      const cert = validateCertificate({ ...templates.get(networkId)!, height: BigInt(height), newStateRoot: hexlify(randomBytes(32)), dependencies, bridgeExits: [], importedExits: [], bundles: [] });
      const id = certificateId(cert);
      return { id, cert: await sign(cert, id) };
    };
    const prove = (s: { id: bigint; cert: SignedCertificate }) => c.node.submitProof({ certificateId: s.id, proof: PROOF, publicSignals: certificatePublicSignals(s.cert, s.id, c.node.shape).map(String) });
    const previous: CertificateRef[] = [];
    let submitted = 0;
    const unproven: { id: bigint; cert: SignedCertificate }[] = [];
    for (let h = 0; h < heights && submitted < o.certs; h++) {
      const level = await Promise.all(
        chains.slice(0, Math.min(o.chains, o.certs - submitted)).map(async (networkId) => {
          const other = previous.length && Math.random() < o.deps ? previous[Math.floor(Math.random() * previous.length)] : null;
          return make(networkId, h, other && other.networkId !== networkId ? [other] : []);
        }),
      );
      await Promise.all(level.map((s) => c.node.submitCertificate(s.cert)));
      if (h < heights * o.proven) await Promise.all(level.map(prove));
      else if (h >= heights - 8) unproven.push(...level);
      submitted += level.length;
      previous.splice(0, previous.length, ...level.map((s) => ({ networkId: s.cert.networkId, height: s.cert.height, certificateId: s.id })));
      if (h % 500 === 0) say(`  height ${h}: ${submitted.toLocaleString("en")} submitted, ${f1((performance.now() - t0) / 1000)} s`);
    }
    const totals = c.node.statusCounts();
    const live = totals.total - totals.Finalized - totals.Rejected;
    say(`loaded in ${f1((performance.now() - t0) / 1000)} s: ${totals.total.toLocaleString("en")} certificates, ${live.toLocaleString("en")} live (${["PreConfirmed", "Proven", "Confirmed"].map((s) => `${s} ${totals[s as "Proven"].toLocaleString("en")}`).join(", ")})`);

    // ---------------------------------------------------------------------------------------- the answer itself
    const url = c.rpc.url;
    for (const window of [32, 256]) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 10; i++) {
        const s = performance.now();
        const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getDashboard", params: { window } }) });
        bytes = (await r.text()).length;
        times.push(performance.now() - s);
      }
      say(`getDashboard window ${window}: ${(bytes / 1024).toFixed(0)} KiB, ${f1(percentile(times, 0.5))} ms median over HTTP (10 calls)`);
    }
    const summary: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      c.node.getDashboard(0);
      summary.push(performance.now() - s);
    }
    say(`getDashboard window 0 (the page's summary refresh, every 3 s): ${f1(percentile(summary, 0.5))} ms median in the node`);

    // ---------------------------------------------------------------------------------------- the page
    const browser = await launchChromium();
    try {
      const nextHeight = new Map(chains.map((id) => [id, heights]));
      for (const window of [32, 256]) {
        const { page, problems } = await openDashboard(browser, `${url}dashboard?window=${window}`, { timeoutMs: 120_000 });
        const m0 = await pageMetrics(page);
        const drawn = await page.$$eval("svg g.cert", (gs) => gs.length);
        say(`page, window ${window}: ${drawn.toLocaleString("en")} certificates drawn; first render ${f1(m0.firstRenderMs!)} ms after navigation start`);
        const waitUpdates = async (n: number) => {
          for (const t0 = Date.now(); (await pageMetrics(page)).updates < n; ) {
            if (Date.now() - t0 > 30_000) throw new Error("the page did not receive the status events");
            await new Promise((r) => setTimeout(r, 5));
          }
          await new Promise((r) => setTimeout(r, 50));
        };
        // a status change of a certificate in the window: one node repainted
        const status: number[] = [];
        const applyStatus: number[] = [];
        for (let i = 0; i < o.updates && unproven.length; i++) {
          const before = (await pageMetrics(page)).updates;
          await prove(unproven.shift()!);
          await waitUpdates(before + 1);
          const u = (await pageMetrics(page)).recentUpdates.filter((x) => x.from === "PreConfirmed" && x.to !== "PreConfirmed").pop()!;
          status.push(u.paintedMs);
          applyStatus.push(u.applyMs);
          await new Promise((r) => setTimeout(r, 30));
        }
        // a new certificate: the graph is redrawn on the next frame
        const added: number[] = [];
        for (let i = 0; i < o.updates; i++) {
          const before = (await pageMetrics(page)).updates;
          const networkId = chains[i % chains.length];
          const h = nextHeight.get(networkId)!;
          nextHeight.set(networkId, h + 1);
          const s = await make(networkId, h, []);
          await c.node.submitCertificate(s.cert);
          unproven.push(s);
          await waitUpdates(before + 1);
          added.push((await pageMetrics(page)).recentUpdates.filter((x) => x.from === "PreConfirmed" && x.to === "PreConfirmed").pop()!.paintedMs);
          await new Promise((r) => setTimeout(r, 30));
        }
        say(`  a status change (PreConfirmed -> Proven), arrival to next painted frame: p50 ${f1(percentile(status, 0.5))} ms, p95 ${f1(percentile(status, 0.95))} ms, max ${f1(Math.max(...status))} ms (applying it: p50 ${applyStatus.length ? percentile(applyStatus, 0.5).toFixed(2) : "-"} ms); ${status.length} events`);
        say(`  a new certificate (lane redrawn), arrival to next painted frame: p50 ${f1(percentile(added, 0.5))} ms, p95 ${f1(percentile(added, 0.95))} ms, max ${f1(Math.max(...added))} ms; ${added.length} events`);
        if (problems.length) say(`  page problems: ${problems.join("; ")}`);
        if (o.screenshot && window === 32) {
          await page.screenshot({ path: o.screenshot, fullPage: true });
          say(`  screenshot: ${o.screenshot}`);
        }
        await page.close();
      }
    } finally {
      await browser.close();
    }
    say(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:dashboard failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
