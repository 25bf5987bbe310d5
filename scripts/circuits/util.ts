/** Progress logging for the circuit build (locks and atomic writes: zk/files.ts). */
import * as path from "path";

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

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
export const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join("/");
