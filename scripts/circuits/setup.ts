/**
 * Groth16 keys of a compiled instance, cached in <instance dir>/setup-<tag>/ (circuit_final.zkey,
 * verification_key.json, setup.json):
 *
 *   dev-native-v<N>  (default) the native prover's DEVELOPMENT setup straight from the R1CS (prover/src/setup.rs):
 *                    no powers of tau; the trapdoor comes from a public seed (zk/registry.ts DEV_SETUP_SEED) and the
 *                    circuit's sha256, so every machine derives byte-identical keys and the checked-in verifiers
 *                    are reproducible. THE TRAPDOOR IS PUBLIC: anyone can forge proofs these keys accept.
 *   file-<fp>        ZK_PTAU_FILE set: snarkjs `groth16 setup` over that (public, prepared) powers of tau, then a
 *                    phase-2 contribution from a fixed public beacon. Phase 1 is then real, but the keys stay
 *                    forgeable until phase 2 gets real contributions (docs/circuits.md: production keys).
 */
import * as fs from "fs";
import * as path from "path";
import { fileSize, removeStaleTemps, tmpName, withLock } from "../../zk/files";
import { nativeSetup } from "../../zk/native";
import {
  CompileRecord,
  DEV_BEACON_ITERATIONS_EXP,
  DEV_SETUP_SEED,
  DEV_ZKEY_BEACON_TEXT,
  devBeaconHex,
  InstancePaths,
  SetupChoice,
  SetupRecord,
  setupPaths,
} from "../../zk/registry";
import { snarkjs } from "../../zk/snarkjs";
import { fmtSeconds, mib, timedStep } from "./util";

export const DEV_WARNING =
  "DEVELOPMENT ONLY: keys from a deterministic setup with a public seed; anyone can recompute the trapdoor and forge proofs for these keys";

/** The snarkjs route (ZK_PTAU_FILE): groth16 setup over the file + the public phase-2 beacon. */
async function snarkjsSetup(name: string, r1cs: string, ptauFile: string, tmpDir: string, zkey: string): Promise<{ seconds: number; beaconHex: string }> {
  const sj = snarkjs();
  const z0 = path.join(tmpDir, "circuit_0000.zkey");
  const s1 = await timedStep(
    `${name} groth16 setup`,
    async (l) => {
      const r = await sj.zKey.newZKey(r1cs, ptauFile, z0, l);
      if (r === -1 || !fs.existsSync(z0)) throw new Error("groth16 setup failed");
    },
    { quietInfo: true },
  );
  let beaconHex = "";
  const s2 = await timedStep(
    `${name} zkey beacon`,
    async (l) => {
      const r = await sj.zKey.beacon(z0, zkey, "zk-agglayer DEVELOPMENT phase 2 beacon (public)", devBeaconHex(DEV_ZKEY_BEACON_TEXT), DEV_BEACON_ITERATIONS_EXP, l);
      if (r === false || !fs.existsSync(zkey)) throw new Error("zkey beacon failed");
      beaconHex = Buffer.from(r as Uint8Array).toString("hex");
    },
    { quietInfo: true },
  );
  fs.rmSync(z0, { force: true });
  return { seconds: s1.seconds + s2.seconds, beaconHex };
}

/** Makes (or finds cached) the instance's keys for `choice`; returns the setup record. */
export async function ensureSetup(
  name: string,
  hash: string,
  paths: InstancePaths,
  compile: CompileRecord,
  choice: SetupChoice,
): Promise<{ record: SetupRecord; cached: boolean }> {
  const sp = setupPaths(paths, choice);
  const done = () => fs.existsSync(sp.record) && fs.existsSync(sp.zkey) && fs.existsSync(sp.vkey);
  const cachedRecord = () => ({ record: JSON.parse(fs.readFileSync(sp.record, "utf8")) as SetupRecord, cached: true });
  if (done()) return cachedRecord();
  return withLock(`${sp.dir}.lock`, `the setup of ${name}`, async () => {
    if (done()) return cachedRecord();
    removeStaleTemps(sp.dir);
    const tmpDir = tmpName(sp.dir);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    try {
      const zf = path.join(tmpDir, path.basename(sp.zkey));
      let setupSeconds: number;
      let beaconHex: string | undefined;
      if (choice.kind === "dev") {
        console.log(`  ${name}: native Groth16 setup (${compile.r1cs.nConstraints} constraints); ${DEV_WARNING}`);
        const t0 = Date.now();
        await nativeSetup(paths.r1cs, zf, DEV_SETUP_SEED);
        setupSeconds = (Date.now() - t0) / 1000;
      } else {
        console.log(`  ${name}: snarkjs Groth16 setup over ZK_PTAU_FILE (${compile.r1cs.nConstraints} constraints, ptau 2^${choice.power})`);
        ({ seconds: setupSeconds, beaconHex } = await snarkjsSetup(name, paths.r1cs, choice.path, tmpDir, zf));
      }
      const vk = await snarkjs().zKey.exportVerificationKey(zf);
      fs.writeFileSync(path.join(tmpDir, path.basename(sp.vkey)), JSON.stringify(vk, null, 2) + "\n");
      const record: SetupRecord = {
        instance: name,
        hash,
        setup: choice,
        setupSeconds: Math.round(setupSeconds * 10) / 10,
        setupAt: new Date().toISOString(),
        zkeyBytes: fileSize(zf),
        ...(beaconHex ? { beaconHex } : {}),
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
