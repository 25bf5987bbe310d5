/**
 * Starts and stops a Hardhat JSON-RPC node (`hardhat node`) as a child process: the local L1 and L2 chains of a
 * devnet, each with its own chain id (HARDHAT_CHAIN_ID, read by hardhat.config.ts) and port.
 *
 * No node may outlive its parent: each runs in its own process group (so a signal reaches anything it spawns),
 * stop() escalates SIGTERM to SIGKILL, and a process 'exit' hook kills the nodes still running. The handle does
 * not keep the parent's event loop alive; a parent that finishes without stop() takes its nodes down via the hook.
 */
import { ChildProcess, spawn } from "child_process";
import * as net from "net";
import * as path from "path";
import type { Readable } from "stream";
import { Logger, silentLogger } from "../../coordinator/log";

export interface HardhatNodeHandle {
  url: string;
  port: number;
  chainId: number;
  pid: number;
  /** SIGTERM, SIGKILL after 5 s; resolves once the node exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartHardhatNodeOptions {
  /** 0 or omitted: a free port is picked (and retried if another process takes it first). */
  port?: number;
  /** Default 31337 (Hardhat's). */
  chainId?: number;
  log?: Logger;
  /** Hardhat project directory (its hardhat.config.ts must honour HARDHAT_CHAIN_ID). Default: this repository. */
  cwd?: string;
}

const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 100;
const RPC_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;
const PORT_ATTEMPTS = 3;
const REPO_ROOT = path.resolve(__dirname, "../..");

/** The port was taken by someone else between picking it and the node binding it. */
class PortInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PortInUseError";
  }
}

// ------------------------------------------------------------------------------------------------ process group

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole group the node leads (detached: true made it a group leader).
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only signal whose effect needs no cooperation.
  process.on("exit", () => running.forEach((c) => killGroup(c, "SIGKILL")));
}

const hasExited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (hasExited(child) || child.pid === undefined) return resolve();
    const hard = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(hard);
      resolve();
    });
    killGroup(child, "SIGTERM");
  });
}

// ------------------------------------------------------------------------------------------------ helpers

/** A port the OS considers free right now (it may be taken again before the node binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** eth_chainId of the server at `url`, or null while nothing (valid) answers. */
async function rpcChainId(url: string): Promise<number | null> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { result?: unknown };
    return typeof body.result === "string" ? Number(BigInt(body.result)) : null;
  } catch {
    return null;
  }
}

function tailOf(stream: Readable | null): () => string {
  let tail = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (s: string) => (tail = (tail + s).slice(-STDERR_TAIL_CHARS)));
  return () => tail.trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------ start

function spawnNode(port: number, chainId: number, cwd: string): ChildProcess {
  const cli = require.resolve("hardhat/internal/cli/cli", { paths: [cwd, REPO_ROOT] });
  const env: NodeJS.ProcessEnv = { ...process.env, HARDHAT_CHAIN_ID: String(chainId) };
  // Inherited from a parent running under `hardhat --network x`, it would make `hardhat node` refuse to start.
  delete env.HARDHAT_NETWORK;
  // stdout (the funded accounts, one line per RPC call) is not needed; stderr is kept for error messages.
  return spawn(process.execPath, [cli, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** Polls eth_chainId until the node answers with `chainId`; throws with the node's stderr otherwise. */
async function waitReady(child: ChildProcess, url: string, chainId: number, stderr: () => string): Promise<void> {
  const t0 = Date.now();
  let spawnError: Error | null = null;
  child.once("error", (e) => (spawnError = e));
  for (;;) {
    if (spawnError) throw new Error(`could not start hardhat node: ${(spawnError as Error).message}`);
    if (hasExited(child)) {
      const how = child.signalCode ?? `code ${child.exitCode}`;
      const msg = `hardhat node for ${url} exited (${how}) before answering; stderr:\n${stderr()}`;
      throw /EADDRINUSE/.test(stderr()) ? new PortInUseError(msg) : new Error(msg);
    }
    const id = await rpcChainId(url);
    if (id === chainId) return;
    if (id !== null) throw new PortInUseError(`${url} is answered by another node (chain id ${id}, expected ${chainId})`);
    if (Date.now() - t0 > READY_TIMEOUT_MS) {
      throw new Error(`hardhat node on ${url} did not answer eth_chainId within ${READY_TIMEOUT_MS / 1000} s; stderr:\n${stderr() || "(empty)"}`);
    }
    await sleep(POLL_MS);
  }
}

async function startOnce(port: number, chainId: number, cwd: string, log: Logger): Promise<HardhatNodeHandle> {
  const t0 = performance.now();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnNode(port, chainId, cwd);
  installExitHook();
  running.add(child);
  child.once("exit", () => running.delete(child));
  child.on("error", (e) => {
    log.warn("hardhat node process error", { url, error: e });
    if (child.pid === undefined) running.delete(child); // never started: no 'exit' will come
  });
  const stderr = tailOf(child.stderr);
  // The handle must not keep the parent alive (see the header); stop() and the exit hook clean up.
  child.unref();
  (child.stderr as net.Socket | null)?.unref?.();
  try {
    await waitReady(child, url, chainId, stderr);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  const ms = Math.round(performance.now() - t0);
  log.info("hardhat node ready", { url, chainId, pid: child.pid, ms });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    if (!stopping) stopping = stopChild(child).then(() => log.info("hardhat node stopped", { url, chainId, pid: child.pid }));
    return stopping;
  };
  return { url, port, chainId, pid: child.pid!, stop };
}

export async function startHardhatNode(o: StartHardhatNodeOptions = {}): Promise<HardhatNodeHandle> {
  const log = o.log ?? silentLogger;
  const chainId = o.chainId ?? 31337;
  const cwd = o.cwd ?? REPO_ROOT;
  for (let attempt = 1; ; attempt++) {
    const port = o.port || (await freePort());
    try {
      return await startOnce(port, chainId, cwd, log);
    } catch (e) {
      // Only a port we picked ourselves may be swapped for another one.
      if (o.port || !(e instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw e;
      log.warn("picked port was taken, retrying", { port, attempt });
    }
  }
}
