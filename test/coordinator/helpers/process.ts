/**
 * The coordinator as a separate process (coordinator/main.ts under ts-node), as an operator runs it: its JSON
 * log lines are parsed so tests can wait for a given event (and kill it at that moment).
 */
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { CoordinatorConfig } from "../../../coordinator/config";

const ROOT = path.resolve(__dirname, "..", "..", "..");

export interface LogLine {
  level: string;
  msg: string;
  component: string;
  [k: string]: unknown;
}

export class CoordinatorProcess {
  readonly lines: LogLine[] = [];
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url = "";

  private constructor(readonly child: ChildProcess) {
    let buf = "";
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let line: LogLine;
        try {
          line = JSON.parse(raw);
        } catch {
          line = { level: "raw", msg: raw, component: "stderr" };
        }
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
      }
    });
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Writes the config to `<store dir>/config.json` and starts the process; resolves once it serves its API. */
  static async start(config: CoordinatorConfig): Promise<CoordinatorProcess> {
    const file = path.join(path.dirname(config.store.path), "config.json");
    fs.writeFileSync(file, JSON.stringify({ ...config, log: { level: "info" } }));
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(ROOT, "coordinator", "main.ts"), "--config", file], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
    });
    const p = new CoordinatorProcess(child);
    const running = await Promise.race([p.waitLog((l) => l.msg === "running", 180_000), p.exited.then((e) => Promise.reject(new Error(`coordinator exited at start (${JSON.stringify(e)}): ${p.tail()}`)))]);
    p.url = String(running.rpc);
    return p;
  }

  waitLog(pred: (l: LogLine) => boolean, timeoutMs = 300_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a log line; last lines: ${this.tail()}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }

  tail(n = 8): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join("\n");
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether a process with this pid exists (signal 0 checks without touching it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
