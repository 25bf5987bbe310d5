/** Progress logging, file locks and atomic writes for the circuit build. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// snarkjs ships no TypeScript types; it is used through this one untyped handle.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Snarkjs = any;
let snarkjsModule: Snarkjs | null = null;
export function snarkjs(): Snarkjs {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (!snarkjsModule) snarkjsModule = require("snarkjs");
  return snarkjsModule;
}

/** snarkjs starts bn128 worker threads that keep the process alive; call this when done. */
export async function terminateCurves(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  if (g.curve_bn128?.terminate) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}

export const seconds = (ms: number) => Math.round(ms / 100) / 10;
export const fmtSeconds = (s: number) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

export interface StepLogger {
  // the snarkjs logger interface
  debug(msg: string): void;
  log(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/**
 * Runs a slow step with a logger for snarkjs: warnings and errors are printed at once, snarkjs's chatty debug
 * progress is kept and shown with the elapsed time every `heartbeatMs` (30 s), so long steps always show progress.
 * Errors reported through the logger (snarkjs often logs and returns instead of throwing) make the step throw.
 */
export async function timedStep<T>(
  label: string,
  fn: (logger: StepLogger) => Promise<T>,
  opts: { heartbeatMs?: number; quietInfo?: boolean } = {},
): Promise<{ value: T; seconds: number }> {
  const t0 = Date.now();
  const elapsed = () => `${Math.round((Date.now() - t0) / 1000)} s`;
  let last = "";
  const errors: string[] = [];
  const line = (msg: string) => console.log(`    [${label} ${elapsed()}] ${msg}`);
  const oneLine = (msg: unknown) => String(msg).replace(/\s+/g, " ").trim();
  const logger: StepLogger = {
    debug: (m) => (last = oneLine(m)),
    log: (m) => (last = oneLine(m)),
    info: (m) => {
      last = oneLine(m);
      if (!opts.quietInfo) line(last);
    },
    warn: (m) => line(`WARNING: ${oneLine(m)}`),
    error: (m) => {
      errors.push(oneLine(m));
      line(`ERROR: ${oneLine(m)}`);
    },
  };
  const timer = setInterval(() => line(`still running${last ? ` (snarkjs: ${last})` : ""}`), opts.heartbeatMs ?? 30_000);
  timer.unref();
  console.log(`    [${label}] started`);
  try {
    const value = await fn(logger);
    if (errors.length) throw new Error(`${label} failed: ${errors.join("; ")}`);
    const s = seconds(Date.now() - t0);
    console.log(`    [${label}] done in ${fmtSeconds(s)}`);
    return { value, seconds: s };
  } finally {
    clearInterval(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Cross-process lock on `lockFile` (several builds may share one cache, e.g. two `npm test` runs at once):
 * created exclusively, holds "pid host". A lock whose process is gone (same host) is taken over.
 */
export async function withLock<T>(lockFile: string, what: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  let waitedSince = 0;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, "wx");
      fs.writeSync(fd, `${process.pid} ${os.hostname()}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = "";
      try {
        holder = fs.readFileSync(lockFile, "utf8").trim();
      } catch {
        continue; // released meanwhile
      }
      const [pidStr, host] = holder.split(" ");
      const pid = Number(pidStr);
      if (host === os.hostname() && Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) {
        console.log(`    removing stale lock ${lockFile} (pid ${pid} is gone)`);
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      const now = Date.now();
      if (!waitedSince || now - waitedSince > 30_000) {
        console.log(`    waiting for ${what}: another build (pid ${holder}) holds ${lockFile}`);
        waitedSince = now;
      }
      await sleep(2000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

export const tmpName = (p: string) => `${p}.tmp-${process.pid}`;

/** Removes leftovers `<p>.tmp-*` of killed builds. Call only while holding the lock for `p`. */
export function removeStaleTemps(p: string): void {
  const dir = path.dirname(p);
  if (!fs.existsSync(dir)) return;
  const prefix = `${path.basename(p)}.tmp-`;
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith(prefix)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  }
}

/** Writes via a temporary file and rename, so readers never see a partial file. */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tmpName(file);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

export const fileSize = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
export const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join("/");
