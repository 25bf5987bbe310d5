/**
 * Bad configuration at start-up (coordinator/preflight.ts): the coordinator process (coordinator/main.ts, as an
 * operator runs it) exits with code 2 within seconds, with a message naming the setting, instead of starting a
 * node that refuses every submission, hanging on an L1 endpoint that never answers, or failing with a bare
 * SQLite or EEXIST error. Each case is otherwise a valid configuration against a real `hardhat node`.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Wallet } from "ethers";
import { startTestL1, TestL1, testConfig, tempStorePath } from "./helpers/layer";
import type { CoordinatorConfig } from "../../coordinator/config";

const ROOT = path.resolve(__dirname, "..", "..");
/** Start-up of ts-node plus the checks, on a busy machine. */
const WITHIN_MS = 30_000;

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
  /** It got as far as serving its API: the check under test did not stop it. */
  started: boolean;
}

const NO_DAC = "-dac_override,-dac_read_search";

/** Runs coordinator/main.ts with this configuration until it exits, starts serving (then it is killed) or times out. */
async function runCoordinator(config: CoordinatorConfig, o: { dir?: string; withoutDacOverride?: boolean } = {}): Promise<Outcome> {
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "coord-startup-"));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, "config.json");
  fs.writeFileSync(file, JSON.stringify({ ...config, log: { level: "info" } }), { mode: 0o644 });
  const started = Date.now();
  const node = [process.execPath, "-r", require.resolve("ts-node/register/transpile-only"), path.join(ROOT, "coordinator", "main.ts"), "--config", file];
  // Root passes every permission check through CAP_DAC_OVERRIDE; setpriv (util-linux) drops it, so the process
  // stays root (and reads the checkout wherever it is) but obeys the store directory's mode bits.
  const argv = o.withoutDacOverride ? ["setpriv", `--inh-caps=${NO_DAC}`, `--bounding-set=${NO_DAC}`, "--", ...node] : node;
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("COORDINATOR_"))), TS_NODE_TRANSPILE_ONLY: "1" },
  });
  let stderr = "";
  let serving = false;
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (!serving && /"msg":"running"/.test(stderr)) {
      serving = true;
      child.kill("SIGKILL");
    }
  });
  const limit = setTimeout(() => child.kill("SIGKILL"), 2 * WITHIN_MS);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  clearTimeout(limit);
  return { code, stderr, ms: Date.now() - started, started: serving };
}

function expectConfigError(r: Outcome, setting: string, detail: RegExp): void {
  expect(r.started, `the coordinator started anyway:\n${r.stderr.slice(-2000)}`).to.equal(false);
  expect(r.code, r.stderr.slice(-2000)).to.equal(2);
  expect(r.stderr).to.include(`invalid coordinator configuration: ${setting}: `);
  expect(r.stderr).to.match(detail);
  expect(r.ms, "took too long to fail").to.be.below(WITHIN_MS)
}

describe("coordinator start-up: a bad setting exits with code 2 and names it", function () {
  this.timeout(10 * 60_000);
  let l1: TestL1;
  let good: () => CoordinatorConfig;

  before(async function () {
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }]);
    good = () => testConfig(l1, { store: tempStorePath("startup") });
  });

  after(async function () {
    await l1?.stop();
  });

  it("the configuration used below starts (so each case fails for its own reason)", async function () {
    const r = await runCoordinator(good());
    expect(r.started, r.stderr.slice(-2000)).to.equal(true);
  });

  describe("l1.hub, l1.bridge", function () {
    it("l1.hub with no contract (a wrong address)", async function () {
      const wrong = Wallet.createRandom().address;
      const r = await runCoordinator({ ...good(), l1: { ...good().l1, hub: wrong } });
      expectConfigError(r, "l1.hub", new RegExp(`no contract at ${wrong}`));
    });

    it("l1.hub naming another contract (the bridge)", async function () {
      const c = good();
      const r = await runCoordinator({ ...c, l1: { ...c.l1, hub: c.l1.bridge } });
      expectConfigError(r, "l1.hub", /is not a SettlementHub/);
    });

    it("l1.bridge that is not the hub's bridge", async function () {
      const c = good();
      const r = await runCoordinator({ ...c, l1: { ...c.l1, bridge: c.l1.hub } });
      expectConfigError(r, "l1.bridge", /is not the hub's L1 bridge/);
    });
  });

  describe("l1.rpcUrl", function () {
    let silent: net.Server;
    const held: net.Socket[] = [];

    before(async function () {
      // Accepts connections and never answers.
      silent = net.createServer((s) => held.push(s.on("error", () => undefined)));
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    });

    after(async function () {
      held.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    });

    it("an endpoint that accepts connections but never answers: named within l1.requestTimeoutMs (default 10 s)", async function () {
      const c = good();
      const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v3/secret-api-key`;
      const r = await runCoordinator({ ...c, l1: { ...c.l1, rpcUrl: url } });
      expectConfigError(r, "l1.rpcUrl", /did not answer eth_chainId within 10000 ms \(l1\.requestTimeoutMs\)/);
      expect(r.stderr, "the URL's path may hold a key: it is not printed").to.not.include("secret-api-key");
    });

    it("an endpoint that refuses connections", async function () {
      const c = good();
      const port = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
          const p = (probe.address() as net.AddressInfo).port;
          probe.close(() => resolve(p));
        });
      });
      const r = await runCoordinator({ ...c, l1: { ...c.l1, rpcUrl: `http://127.0.0.1:${port}` } });
      expectConfigError(r, "l1.rpcUrl", /refused the connection/);
    });
  });

  describe("store.path", function () {
    it("a directory", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coord-store-dir-"));
      const r = await runCoordinator({ ...good(), store: { path: dir } });
      expectConfigError(r, "store.path", /is a directory/);
    });

    it("a path under a regular file", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coord-store-file-"));
      const file = path.join(dir, "not-a-directory");
      fs.writeFileSync(file, "x");
      const r = await runCoordinator({ ...good(), store: { path: path.join(file, "data", "coordinator.sqlite") } });
      expectConfigError(r, "store.path", new RegExp(`${file} is a file, not a directory`));
    });

    it("a path in a read-only directory", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coord-store-ro-"));
      fs.chmodSync(dir, 0o755);
      const readOnly = path.join(dir, "read-only");
      fs.mkdirSync(readOnly, { mode: 0o555 });
      fs.chmodSync(readOnly, 0o555);
      // Permissions do not bind root: as root, the coordinator runs without CAP_DAC_OVERRIDE.
      const withoutDacOverride = process.getuid?.() === 0;
      const r = await runCoordinator({ ...good(), store: { path: path.join(readOnly, "coordinator.sqlite") } }, { dir, withoutDacOverride });
      expectConfigError(r, "store.path", /is not writable \(EACCES\)/);
    });
  });
});
