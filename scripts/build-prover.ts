/**
 * npm run build:prover — builds the native prover (prover/, Rust) if the cache has no binary of its current
 * sources (zk/native.ts; cargo's target directory and the binaries live under ~/.cache/zk-agglayer/native).
 *
 *   npm run build:prover            build (cold: 1-2 min on 2 cores, with cargo's progress; cached: instant)
 *   npm run build:prover -- --test  build, then run the crate's unit tests (cargo test --release, same target)
 *
 * npm test runs it with --test; npm start and the circuit build call the same ensureNativeProver().
 */
import { CRATE_DIR, ensureNativeProver, runCargo } from "../zk/native";
import * as path from "path";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== "--test")) throw new Error(`unknown argument (see the header of scripts/build-prover.ts): ${args.join(" ")}`);
  const bin = await ensureNativeProver();
  console.log(`native prover: ${bin}`);
  if (args.includes("--test")) {
    console.log("native prover: cargo test --release --locked");
    await runCargo(["test", "--release", "--locked", "--manifest-path", path.join(CRATE_DIR, "Cargo.toml")]);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
