/**
 * The chain client's durable state: one small JSON file, replaced atomically (write, fsync, rename, fsync the
 * directory), so a crash leaves either the old or the new version and never half of one.
 *
 * It holds only what cannot be read back from elsewhere: where the client started following its L2, its own
 * signed certificates that are still live (the coordinator knows them too, but the file is how the client checks
 * that it and the coordinator agree), the certificate it was submitting when it stopped (write-ahead: it is
 * written before the request goes out, so a crash between the two cannot lose or fork a height), its L2
 * snapshots, and the sources it banned. Relayed roots are read back from the L2 oracle's events instead, and
 * every status from the coordinator.
 */
import * as fs from "fs";
import * as path from "path";
import type { Json } from "../lib/codec";
import type { ReplayRecord } from "./rebuilder";

/** 2: revisions (the next revision per height) and abandoned certificates. */
export const STATE_FILE_VERSION = 2;

export interface StoredCertificate {
  /** certificateToJson of the signed certificate. */
  certificate: Json;
  /** Last L2 block its events came from, and that block's hash (the L2 must still have it on restart). */
  toBlock: number;
  toBlockHash: string;
  status: string;
}

export interface StoredSnapshot {
  afterHeight: string;
  block: number;
  id: string;
}

export interface ChainStateFile {
  version: number;
  networkId: number;
  /** The L2 block the client started after (events up to it were never its to certify). */
  startBlock: number;
  /** Live certificates, ascending height. */
  certificates: StoredCertificate[];
  submitting: StoredCertificate | null;
  snapshots: StoredSnapshot[];
  banned: string[];
  rebuilds: { height: string; badSources: string[]; failedClaims: string[]; at: number; replay?: ReplayRecord }[];
  /** Height -> the revision its next certificate carries (only heights with a rejected or abandoned revision). */
  revisions: Record<string, number>;
  /** Signed certificates the layer refused, to be recorded as abandoned before their height is signed again. */
  abandoning: Json[];
}

export class ChainStateError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`chain client state ${file}: ${detail}`);
    this.name = "ChainStateError";
  }
}

export class ChainStateStore {
  constructor(readonly file: string) {}

  /** The saved state, or null when the client never ran with this file. */
  load(networkId: number): ChainStateFile | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new ChainStateError(this.file, (e as Error).message);
    }
    let s: ChainStateFile;
    try {
      s = JSON.parse(text) as ChainStateFile;
    } catch (e) {
      throw new ChainStateError(this.file, `not JSON (${(e as Error).message})`);
    }
    if (s.version !== STATE_FILE_VERSION) throw new ChainStateError(this.file, `version ${s.version}, this client reads ${STATE_FILE_VERSION}`);
    if (s.networkId !== networkId) throw new ChainStateError(this.file, `belongs to network ${s.networkId}, not ${networkId}`);
    if (!Array.isArray(s.certificates) || !Array.isArray(s.snapshots) || !Array.isArray(s.banned) || !Number.isInteger(s.startBlock) || !Array.isArray(s.abandoning) || typeof s.revisions !== "object" || s.revisions === null)
      throw new ChainStateError(this.file, "missing fields");
    return s;
  }

  save(s: ChainStateFile): void {
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, JSON.stringify(s, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    // The rename itself is durable only once the directory is.
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }
}
