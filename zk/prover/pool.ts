/**
 * ProverPool: Groth16 proving in child processes so the caller's event loop never blocks (the coordinator's
 * backup prover, the chain client's own certificates).
 *
 * The circuit's WASM witness calculator runs synchronously for up to seconds; in the coordinator that would
 * freeze the API. Each worker (worker.ts, started with child_process.fork) proves one job at a time: the
 * witness in its own process, then the native prover (zk/native.ts) as a child of the worker. Jobs wait in a
 * FIFO queue for a free worker. The worker only speaks the IPC protocol of protocol.ts, so a worker on
 * another machine needs only another transport.
 *
 * Lifecycle: workers start lazily on the first job that needs one and are reused. A worker that dies takes its
 * job with it (ProverCrashedError) and is replaced on the next job. Aborting a job in flight, or exceeding
 * jobTimeoutMs, kills its worker: a synchronous witness computation cannot be interrupted any other way.
 * Idle workers do not keep the parent alive (their handles are unref'd), and they exit on their own when the
 * parent goes away (IPC disconnect), so a forgotten pool leaves nothing behind.
 */
import { ChildProcess, fork } from "child_process";
import type { Socket } from "net";
import * as path from "path";
import type { Groth16Proof } from "../groth16";
import {
  ProverAbortedError,
  ProverClosedError,
  ProverCrashedError,
  ProverJobError,
  ProverTimeoutError,
} from "./errors";
import { ProveRequest, WorkerReply, toJsonable } from "./protocol";

export * from "./errors";

/** The logging the pool does (the coordinator's and the chain client's structured loggers fit it). */
export interface PoolLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}
const silentLogger: PoolLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

export interface ProveJobSpec {
  /** Circuit instance name (circuits/instances.json). */
  instance: string;
  /** Input signals. Bigints are accepted and sent as decimal strings; nested arrays for array signals. */
  input: Record<string, unknown>;
}

export interface ProveProgress {
  stage: "queued" | "witness+prove" | "done";
  /** Since prove() was called. */
  elapsedMs: number;
}

export interface ProveOptions {
  onProgress?: (p: ProveProgress) => void;
  signal?: AbortSignal;
}

export interface PoolProveResult {
  proof: Groth16Proof;
  publicSignals: string[];
  /** The 8 words in the order the Solidity verifiers take them (zk/groth16 solidityProofOf). */
  solidityProof: bigint[];
  /** Witness generation + proving time inside the worker (queueing and IPC excluded). */
  ms: number;
}

export interface ProverPoolOptions {
  /** Maximum number of worker processes. */
  workers: number;
  log?: PoolLogger;
  /**
   * Time a job may spend on a worker before the worker is killed. Queueing is excluded; a cold worker's start
   * (~1 s: ts-node, snarkjs, curve threads) is included. Default: no limit.
   */
  jobTimeoutMs?: number;
  /** close(): time between SIGTERM and SIGKILL. Default 3 s. */
  killGraceMs?: number;
  /**
   * Scheduling niceness of the workers (0..19). Default 10: on a machine with few cores proving saturates every
   * core, and the coordinator's own process must still get the CPU first.
   */
  niceness?: number;
}

const DEFAULT_KILL_GRACE_MS = 3_000;
const DEFAULT_NICENESS = 10;
const STDERR_TAIL_CHARS = 4_000;

interface Job {
  id: number;
  instance: string;
  input: Record<string, unknown>;
  t0: number;
  onProgress?: (p: ProveProgress) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve: (r: PoolProveResult) => void;
  reject: (e: Error) => void;
  slot: WorkerSlot | null;
  timer: NodeJS.Timeout | null;
  settled: boolean;
}

interface WorkerSlot {
  child: ChildProcess;
  job: Job | null;
  stderrTail: string;
  exited: boolean;
}

/** worker.ts next to this file under ts-node, worker.js once compiled. */
function workerEntry(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `worker${ext}`);
  // Resolved here rather than left to the child: `-r` resolves from the child's cwd, which may lack ts-node.
  const execArgv = ext === ".ts" ? ["-r", require.resolve("ts-node/register/transpile-only")] : [];
  return { file, execArgv };
}

/** Whether the child's handles keep this process alive: only while it works for us. */
function setRef(child: ChildProcess, on: boolean): void {
  const stderr = child.stderr as Socket | null;
  if (on) {
    child.ref();
    child.channel?.ref();
    stderr?.ref?.();
  } else {
    child.unref();
    child.channel?.unref();
    stderr?.unref?.();
  }
}

/** The line of a stderr tail that says what went wrong (Node ends crash reports with its version line). */
const lastLine = (s: string): string =>
  s.trim().split("\n").filter((l) => l.trim() && !/^Node\.js v\d/.test(l)).pop()?.trim() ?? "";

export class ProverPool {
  private readonly size: number;
  private readonly log: PoolLogger;
  private readonly timeoutMs: number | undefined;
  private readonly graceMs: number;
  private readonly niceness: number;
  /** Live workers that may take jobs; killed or exited ones leave at once. */
  private readonly slots: WorkerSlot[] = [];
  /** Every child not yet exited, including killed ones on their way out: close() waits for all of them. */
  private readonly children = new Set<ChildProcess>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(opts: ProverPoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${opts.workers}`);
    if (opts.jobTimeoutMs !== undefined && !(opts.jobTimeoutMs > 0)) throw new RangeError(`jobTimeoutMs must be > 0, got ${opts.jobTimeoutMs}`);
    this.size = opts.workers;
    this.log = opts.log ?? silentLogger;
    this.timeoutMs = opts.jobTimeoutMs;
    this.graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.niceness = opts.niceness ?? DEFAULT_NICENESS;
  }

  /** Jobs currently on a worker. */
  get busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Pids of the child processes still running (for monitoring and tests). */
  get pids(): number[] {
    return [...this.children].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  prove(spec: ProveJobSpec, o: ProveOptions = {}): Promise<PoolProveResult> {
    if (this.closed) return Promise.reject(new ProverClosedError());
    if (o.signal?.aborted) return Promise.reject(new ProverAbortedError());
    return new Promise<PoolProveResult>((resolve, reject) => {
      const job: Job = {
        id: ++this.nextId,
        instance: spec.instance,
        input: toJsonable(spec.input) as Record<string, unknown>,
        t0: performance.now(),
        onProgress: o.onProgress,
        signal: o.signal,
        resolve,
        reject,
        slot: null,
        timer: null,
        settled: false,
      };
      if (o.signal) {
        job.onAbort = () => this.cancel(job, new ProverAbortedError());
        o.signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.progress(job, "queued");
      this.pump();
    });
  }

  /** Rejects queued and running jobs with ProverClosedError, stops every worker, resolves once all have exited. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  // -------------------------------------------------------------------------------------------- scheduling

  private pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.job && s.child.connected) ?? (this.slots.length < this.size ? this.spawn() : null);
      if (!slot) return;
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private dispatch(slot: WorkerSlot, job: Job): void {
    slot.job = job;
    job.slot = slot;
    setRef(slot.child, true);
    this.progress(job, "witness+prove");
    if (this.timeoutMs !== undefined) {
      const ms = this.timeoutMs;
      job.timer = setTimeout(() => this.cancel(job, new ProverTimeoutError(ms)), ms);
    }
    const req: ProveRequest = { type: "prove", id: job.id, instance: job.instance, input: job.input };
    slot.child.send(req, (e) => {
      if (e && slot.job === job) this.cancel(job, new ProverCrashedError(`could not send the job to prover worker ${slot.child.pid}: ${e.message}`, null, null, slot.stderrTail));
    });
  }

  /** Abort, timeout: a queued job just leaves the queue; a running one takes its worker down with it. */
  private cancel(job: Job, err: Error): void {
    if (job.settled) return;
    const slot = job.slot;
    if (slot) {
      slot.job = null;
      this.dropSlot(slot);
      slot.child.kill("SIGKILL");
      this.log.info("prover job cancelled, worker killed", { job: job.id, pid: slot.child.pid, reason: err.message });
    } else {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.settle(job, err);
    this.pump();
  }

  private settle(job: Job, err: Error | null, result?: PoolProveResult): void {
    if (job.settled) return;
    job.settled = true;
    job.slot = null;
    if (job.timer) clearTimeout(job.timer);
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
    if (err) return job.reject(err);
    this.progress(job, "done");
    job.resolve(result!);
  }

  private progress(job: Job, stage: ProveProgress["stage"]): void {
    if (!job.onProgress) return;
    try {
      job.onProgress({ stage, elapsedMs: performance.now() - job.t0 });
    } catch (e) {
      // A faulty observer must not wedge the pool's bookkeeping.
      this.log.warn("onProgress callback threw", { job: job.id, error: e });
    }
  }

  // -------------------------------------------------------------------------------------------- workers

  private spawn(): WorkerSlot {
    const { file, execArgv } = workerEntry();
    const child = fork(file, [String(this.niceness)], { execArgv, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    const slot: WorkerSlot = { child, job: null, stderrTail: "", exited: false };
    this.children.add(child);
    this.slots.push(slot);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (s: string) => (slot.stderrTail = (slot.stderrTail + s).slice(-STDERR_TAIL_CHARS)));
    child.on("message", (m: WorkerReply) => this.onReply(slot, m));
    // 'close' rather than 'exit': it comes after stderr is drained, so a crash report has the child's last words.
    child.on("close", (code, signal) => this.onExit(slot, code, signal));
    child.on("error", (e) => this.onChildError(slot, e));
    this.log.debug("prover worker started", { pid: child.pid });
    return slot;
  }

  private onReply(slot: WorkerSlot, m: WorkerReply): void {
    const job = slot.job;
    if (!job || m.id !== job.id) return; // reply to a job already cancelled
    slot.job = null;
    setRef(slot.child, false);
    if (m.type === "result") {
      this.log.info("proof done", { job: job.id, instance: job.instance, ms: Math.round(m.ms), pid: slot.child.pid });
      const result = { proof: m.proof, publicSignals: m.publicSignals, solidityProof: m.solidityProof.map((w) => BigInt(w)), ms: m.ms };
      this.settle(job, null, result);
    } else {
      this.log.warn("prove job failed", { job: job.id, instance: job.instance, error: m.error.message });
      this.settle(job, new ProverJobError(`proving ${job.instance} failed: ${m.error.message.trim()}`, m.error.name, m.error.stack));
    }
    this.pump();
  }

  private onExit(slot: WorkerSlot, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.exited) return;
    slot.exited = true;
    this.children.delete(slot.child);
    this.dropSlot(slot);
    const job = slot.job;
    slot.job = null;
    const how = signal ?? `code ${code}`;
    this.log.debug("prover worker exited", { pid: slot.child.pid, how });
    if (job) {
      const tail = lastLine(slot.stderrTail);
      const msg = `prover worker ${slot.child.pid} died (${how}) while proving ${job.instance}${tail ? `: ${tail}` : ""}`;
      this.log.warn("prover worker crashed", { job: job.id, pid: slot.child.pid, how, stderr: slot.stderrTail });
      this.settle(job, new ProverCrashedError(msg, code, signal, slot.stderrTail));
    }
    this.pump();
  }

  private onChildError(slot: WorkerSlot, e: Error): void {
    this.log.warn("prover worker error", { pid: slot.child.pid, error: e });
    // A failed spawn has no pid and emits no 'exit': account for it here so close() does not wait forever.
    if (slot.child.pid === undefined) this.onExit(slot, null, null);
  }

  private dropSlot(slot: WorkerSlot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  // -------------------------------------------------------------------------------------------- shutdown

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new ProverClosedError());
    for (const slot of this.slots) {
      const job = slot.job;
      slot.job = null;
      if (job) this.settle(job, new ProverClosedError("prover pool closed while the job was running"));
    }
    await Promise.all([...this.children].map((c) => this.terminate(c)));
    this.log.debug("prover pool closed");
  }

  /** SIGTERM lets an idle worker stop snarkjs's threads cleanly; SIGKILL covers one stuck in a witness computation. */
  private terminate(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      if (!this.children.has(child)) return resolve();
      const hard = setTimeout(() => child.kill("SIGKILL"), this.graceMs);
      child.once("close", () => {
        clearTimeout(hard);
        resolve();
      });
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    });
  }
}
