/** Cross-process locks and atomic writes for the zero-knowledge cache (circuit builds, keys, the native prover). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

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
        console.log(`    waiting for ${what}: another process (pid ${holder}) holds ${lockFile}`);
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
