/**
 * `npm start`: builds what the devnet needs (contracts, the native prover, circuits and their development keys —
 * cached, with progress), starts it (scripts/devnet/devnet.ts), runs the narrated scenario (scripts/devnet/scenario.ts) and
 * keeps everything running until Ctrl-C, which stops every process it started.
 *
 * Only Node's own modules are imported statically: the devnet's modules need the compiled contracts' types,
 * which the first step generates.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

function step(title: string, args: string[]): void {
  process.stdout.write(`\n== ${title}\n`);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) {
    process.stderr.write(`devnet: "${title}" failed (exit ${r.status})\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  step("compiling contracts (hardhat compile)", [require.resolve("hardhat/internal/cli/cli", { paths: [ROOT] }), "compile"]);
  step("building the native prover and the circuits (cached; the first run compiles both: ~3 min on 2 cores)", ["-r", require.resolve("ts-node/register/transpile-only", { paths: [ROOT] }), path.join(ROOT, "scripts", "build-circuits.ts"), "--skip-production"]);
  const { startDevnet } = await import("./devnet");
  const { runScenario } = await import("./scenario");
  const { createLogger } = await import("../../coordinator/log");
  const { terminateCurves } = await import("../../zk/groth16");
  const dataDir = process.env.DEVNET_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "zk-agglayer-devnet-"));
  const log = createLogger({ level: (process.env.DEVNET_LOG_LEVEL as "warn") ?? "warn" });
  const say = (line: string) => process.stdout.write(line + "\n");
  say("\n== starting the devnet");
  const net = await startDevnet({ log, dataDir, fixedPorts: true, progress: (m) => say(`   ${m}`) });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) process.exit(130);
    stopping = true;
    say("\nstopping the devnet ...");
    await net.stop();
    await terminateCurves();
    say("stopped; no process left behind");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  say(`\n   dashboard: ${net.coordinator.rpc.url}dashboard  (open it to watch the scenario live)`);
  try {
    say("\n== scenario");
    const s = await runScenario(net, say);
    say("\n== timeline");
    for (const t of s.timeline) say(`   ${t.step.padEnd(78)} ${(t.ms / 1000).toFixed(2).padStart(7)} s`);
  } catch (e) {
    if (stopping) return;
    say(`\nscenario failed: ${(e as Error).stack ?? e}`);
    await stop(1);
  }
  say(`\n== devnet running (Ctrl-C stops everything)`);
  say(`   L1       ${net.l1.node.url}   hub ${net.l1.layer.addresses.hub}`);
  for (const c of net.chains.values()) say(`   chain ${c.spec.name}  ${c.node.url}   network ${c.spec.networkId}, policy ${c.spec.policy}, metrics ${c.client.metricsUrl}`);
  say(`   coordinator ${net.coordinator.rpc.url} (JSON-RPC; GET /healthz, /metrics; WebSocket ${net.coordinator.rpc.wsUrl})`);
  say(`   dashboard   ${net.coordinator.rpc.url}dashboard`);
  say(`   data     ${dataDir}`);
}

main().catch((e) => {
  process.stderr.write(`devnet failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
