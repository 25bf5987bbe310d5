/**
 * Child process of ProverPool (pool.ts): proves one job at a time with zk/groth16 prove() (the WASM witness
 * here, then the native prover as this process's child) and replies over IPC.
 *
 * The witness calculator runs on the calling thread for up to seconds, which is why proving lives in its own
 * process and not in the coordinator. The worker never outlives its parent: it exits when the IPC channel
 * disconnects (the parent exited or closed it) and on SIGTERM. The native prover dies with the worker (it asks
 * the kernel for SIGKILL when its parent goes: prover/src/main.rs), so killing a worker stops its proof.
 */
import * as fs from "fs";
import * as os from "os";
import { prove, terminateCurves } from "../groth16";
import type { FailReply, ProveReply, WorkerRequest } from "./protocol";

/** Upper bound on terminateCurves() at shutdown: a stuck curve thread must not keep the worker alive. */
const SHUTDOWN_BUDGET_MS = 2_000;

let exiting = false;

async function shutdown(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  const budget = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_BUDGET_MS).unref());
  await Promise.race([terminateCurves().catch(() => undefined), budget]);
  process.exit(code);
}

function send(msg: ProveReply | FailReply): void {
  // After a disconnect the reply has nowhere to go; shutdown() is already on its way.
  if (process.connected) process.send!(msg);
}

function describe(e: unknown): FailReply["error"] {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

async function handle(req: WorkerRequest): Promise<void> {
  if (req.type !== "prove") return;
  try {
    const r = await prove(req.instance, req.input);
    const solidityProof = r.solidityProof.map((w) => w.toString());
    send({ type: "result", id: req.id, proof: r.proof, publicSignals: r.publicSignals, solidityProof, ms: r.ms });
  } catch (e) {
    send({ type: "error", id: req.id, error: describe(e) });
  }
}

/** Thread ids of this process (Linux), or just the process itself. */
function ownThreads(): number[] {
  try {
    return fs.readdirSync("/proc/self/task").map(Number);
  } catch {
    return [process.pid];
  }
}

/**
 * Lowers this process's priority (argv[2], set by the pool). On Linux niceness is per thread: the threads that
 * already exist (V8's GC helpers) are lowered one by one, and snarkjs's curve threads, started later by the
 * first proof, inherit it from the main thread.
 */
function lowerPriority(): void {
  const niceness = Number(process.argv[2]);
  if (!Number.isInteger(niceness) || niceness <= 0) return;
  for (const tid of ownThreads()) {
    try {
      os.setPriority(tid, niceness);
    } catch {
      // Not permitted (some containers): proving still works, only less politely.
    }
  }
}

function main(): void {
  if (!process.send) {
    console.error("zk/prover/worker: must be started by ProverPool (child_process.fork with IPC)");
    process.exit(2);
  }
  lowerPriority();
  process.on("message", (m: WorkerRequest) => void handle(m));
  process.on("disconnect", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  // Ctrl-C in a terminal signals the whole process group: the parent decides when its workers stop (SIGTERM from
  // pool.close(), or the disconnect above if it dies), so a clean shutdown does not look like a crash.
  process.on("SIGINT", () => undefined);
}

main();
