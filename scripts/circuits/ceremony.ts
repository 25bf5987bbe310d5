/**
 * DEVELOPMENT-ONLY trusted setup.
 *
 *   phase 1: snarkjs powersoftau new bn128 <P>  ->  powersoftau beacon (fixed public beacon)  ->  prepare phase2
 *   phase 2: snarkjs groth16 setup  ->  zkey beacon (fixed public beacon)
 *
 * Both beacons are fixed strings (registry.ts: DEV_PTAU_BEACON_TEXT, DEV_ZKEY_BEACON_TEXT), not `contribute`,
 * which would mix in local randomness: every machine derives byte-identical keys, so the checked-in verifiers
 * and verification keys are reproducible. The price: THE TOXIC WASTE IS PUBLIC. Anyone can recompute tau,
 * alpha, beta and delta from the beacons and forge proofs that these keys accept. These keys are for tests
 * and devnets only. ZK_PTAU_FILE replaces phase 1 with a public ceremony's file, but phase 2 still uses the
 * public beacon, so the keys stay forgeable until phase 2 gets real contributions (see docs/circuits.md).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readPtauHeader } from "./binfile";
import {
  CompileRecord,
  DEV_BEACON_ITERATIONS_EXP,
  DEV_PTAU_BEACON_TEXT,
  DEV_ZKEY_BEACON_TEXT,
  devBeaconHex,
  devPtauInfoPath,
  devPtauPath,
  InstancePaths,
  PtauChoice,
  SetupRecord,
  setupPaths,
  toolVersions,
} from "./registry";
import { fileSize, fmtSeconds, mib, removeStaleTemps, snarkjs, timedStep, tmpName, withLock, writeFileAtomic } from "./util";

export interface DevPtauRecord {
  power: number;
  beaconText: string;
  beaconHex: string;
  beaconIterationsExp: number;
  newSeconds: number;
  beaconSeconds: number;
  prepareSeconds: number;
  totalSeconds: number;
  bytes: number;
  createdAt: string;
  node: string;
  snarkjs: string;
  /** CPU cores and the 1-minute load average when the ceremony started (other work slows it down). */
  cores?: number;
  loadAverage?: number;
}

export const DEV_WARNING =
  "DEVELOPMENT ONLY: deterministic ceremony with a public beacon; its toxic waste is public and anyone can forge proofs for these keys";

function usablePtau(file: string, power: number): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    const h = readPtauHeader(file);
    return h.prepared && h.power === power;
  } catch {
    return false;
  }
}

export function readDevPtauRecord(power: number): DevPtauRecord | null {
  const f = devPtauInfoPath(power);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as DevPtauRecord) : null;
}

/** Returns the path of the cached DEVELOPMENT ptau of `power`, running the ceremony if it is not cached. */
export async function ensureDevPtau(power: number): Promise<string> {
  const final = devPtauPath(power);
  if (usablePtau(final, power)) return final;
  return withLock(`${final}.lock`, `the 2^${power} development ceremony`, async () => {
    if (usablePtau(final, power)) return final; // made by another build while we waited
    removeStaleTemps(final);
    console.log(`  ceremony 2^${power}: ${DEV_WARNING}`);
    console.log(`  ceremony 2^${power}: writing ${final} (slow step: prepare phase2; ~5 min at 2^14, ~20 min at 2^16 on 2 cores)`);
    fs.mkdirSync(path.dirname(final), { recursive: true });
    const sj = snarkjs();
    const t0 = tmpName(final) + "-0000.ptau";
    const t1 = tmpName(final) + "-beacon.ptau";
    const t2 = tmpName(final) + "-prepared.ptau";
    const beaconHex = devBeaconHex(DEV_PTAU_BEACON_TEXT);
    const loadAverage = Math.round(os.loadavg()[0] * 10) / 10;
    try {
      const curve = await sj.curves.getCurveFromName("bn128");
      const a = await timedStep(`ptau ${power} new`, (l) => sj.powersOfTau.newAccumulator(curve, power, t0, l), { quietInfo: true });
      const b = await timedStep(
        `ptau ${power} beacon`,
        async (l) => {
          const r = await sj.powersOfTau.beacon(t0, t1, "zk-agglayer DEVELOPMENT beacon (public)", beaconHex, DEV_BEACON_ITERATIONS_EXP, l);
          if (r === false) throw new Error("powersoftau beacon failed");
        },
        { quietInfo: true },
      );
      fs.rmSync(t0, { force: true });
      const c = await timedStep(`ptau ${power} prepare phase2`, (l) => sj.powersOfTau.preparePhase2(t1, t2, l), { quietInfo: true });
      fs.rmSync(t1, { force: true });
      if (!usablePtau(t2, power)) throw new Error(`prepare phase2 did not produce a usable 2^${power} ptau`);
      const rec: DevPtauRecord = {
        power,
        beaconText: DEV_PTAU_BEACON_TEXT,
        beaconHex,
        beaconIterationsExp: DEV_BEACON_ITERATIONS_EXP,
        newSeconds: a.seconds,
        beaconSeconds: b.seconds,
        prepareSeconds: c.seconds,
        totalSeconds: Math.round((a.seconds + b.seconds + c.seconds) * 10) / 10,
        bytes: fileSize(t2),
        createdAt: new Date().toISOString(),
        node: process.version,
        snarkjs: toolVersions().snarkjs,
        cores: os.cpus().length,
        loadAverage,
      };
      writeFileAtomic(devPtauInfoPath(power), JSON.stringify(rec, null, 2) + "\n");
      fs.renameSync(t2, final);
      console.log(`  ceremony 2^${power}: done in ${fmtSeconds(rec.totalSeconds)}, ${mib(rec.bytes)}`);
      return final;
    } finally {
      for (const t of [t0, t1, t2]) fs.rmSync(t, { force: true });
    }
  });
}

/**
 * Groth16 setup of a compiled instance (cached in <instance dir>/setup-<ptau tag>/): groth16 setup + zkey beacon
 * + verification key. Returns the setup record.
 */
export async function ensureSetup(
  name: string,
  hash: string,
  paths: InstancePaths,
  compile: CompileRecord,
  ptau: PtauChoice,
): Promise<{ record: SetupRecord; cached: boolean }> {
  const sp = setupPaths(paths, ptau);
  const done = () => fs.existsSync(sp.record) && fs.existsSync(sp.zkey) && fs.existsSync(sp.vkey);
  if (done()) return { record: JSON.parse(fs.readFileSync(sp.record, "utf8")) as SetupRecord, cached: true };
  return withLock(`${sp.dir}.lock`, `the setup of ${name}`, async () => {
    if (done()) return { record: JSON.parse(fs.readFileSync(sp.record, "utf8")) as SetupRecord, cached: true };
    removeStaleTemps(sp.dir);
    const ptauFile = ptau.kind === "dev" ? await ensureDevPtau(ptau.power) : ptau.path;
    console.log(`  ${name}: Groth16 setup (${compile.r1cs.nConstraints} constraints, ptau ${ptau.tag}); ${DEV_WARNING}`);
    const sj = snarkjs();
    const tmpDir = tmpName(sp.dir);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    try {
      const z0 = path.join(tmpDir, "circuit_0000.zkey");
      const zf = path.join(tmpDir, path.basename(sp.zkey));
      const s1 = await timedStep(
        `${name} groth16 setup`,
        async (l) => {
          const r = await sj.zKey.newZKey(paths.r1cs, ptauFile, z0, l);
          if (r === -1 || !fs.existsSync(z0)) throw new Error("groth16 setup failed");
        },
        { quietInfo: true },
      );
      const beaconHex = devBeaconHex(DEV_ZKEY_BEACON_TEXT);
      let contribution = "";
      const s2 = await timedStep(
        `${name} zkey beacon`,
        async (l) => {
          const r = await sj.zKey.beacon(z0, zf, "zk-agglayer DEVELOPMENT phase 2 beacon (public)", beaconHex, DEV_BEACON_ITERATIONS_EXP, l);
          if (r === false || !fs.existsSync(zf)) throw new Error("zkey beacon failed");
          contribution = Buffer.from(r as Uint8Array).toString("hex");
        },
        { quietInfo: true },
      );
      fs.rmSync(z0, { force: true });
      const vk = await sj.zKey.exportVerificationKey(zf);
      fs.writeFileSync(path.join(tmpDir, path.basename(sp.vkey)), JSON.stringify(vk, null, 2) + "\n");
      const record: SetupRecord = {
        instance: name,
        hash,
        ptau,
        setupSeconds: Math.round((s1.seconds + s2.seconds) * 10) / 10,
        setupAt: new Date().toISOString(),
        zkeyBytes: fileSize(zf),
        beaconHex: contribution,
      };
      fs.writeFileSync(path.join(tmpDir, path.basename(sp.record)), JSON.stringify(record, null, 2) + "\n");
      fs.rmSync(sp.dir, { recursive: true, force: true });
      fs.renameSync(tmpDir, sp.dir);
      console.log(`  ${name}: setup done in ${fmtSeconds(record.setupSeconds)}, zkey ${mib(record.zkeyBytes)}`);
      return { record, cached: false };
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  });
}
