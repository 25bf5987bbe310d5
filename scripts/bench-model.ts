/**
 * Throughput of the TypeScript reference model's hot operations (not a test): `npx ts-node scripts/bench-model.ts`.
 * Each row runs its operation repeatedly for at least BENCH_MS milliseconds (default 1000; env BENCH_MS) and
 * at least a few iterations, and prints a markdown table of measured rates.
 */
import * as os from "os";
import { Wallet } from "ethers";
import {
  BatchInput,
  ExitLeaf,
  ExitTree,
  ImportedExit,
  LeafType,
  NetworkState,
  PRODUCTION_PARAMS,
  SigningDomain,
  SparseMerkleTree,
  TEST_PARAMS,
  TreeParams,
  buildCertificate,
  fieldKeccak,
  gasCoin,
  hash2,
  hashExitLeaf,
  poseidonCount,
  recoverHeaderSigner,
  signHeader,
} from "../lib";
import { Prng } from "./gen-vectors";
import { certificateWorkload } from "./lib/workloads";

type CircomPoseidon = ((inputs: bigint[]) => Uint8Array) & { F: { toObject(x: Uint8Array): bigint } };
// circomlibjs ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPoseidon } = require("circomlibjs") as { buildPoseidon: () => Promise<CircomPoseidon> };

const BENCH_MS = Number(process.env.BENCH_MS ?? 1000);
const MIN_ITERATIONS = 3;

interface Row {
  operation: string;
  iterations: number;
  ms: number;
  hashes: number;
  note: string;
}

const rows: Row[] = [];

async function bench(operation: string, op: (i: number) => unknown, note = ""): Promise<void> {
  op(-1); // warm-up (JIT, lazy tables)
  const hashesBefore = poseidonCount();
  const start = process.hrtime.bigint();
  let iterations = 0;
  let elapsed = 0;
  while (elapsed < BENCH_MS || iterations < MIN_ITERATIONS) {
    const r = op(iterations++);
    if (r instanceof Promise) await r;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  rows.push({ operation, iterations, ms: elapsed, hashes: poseidonCount() - hashesBefore, note });
  process.stderr.write(`  ${operation}: ${fmtRate(iterations / (elapsed / 1000))}/s\n`);
}

function fmtRate(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(x >= 10 ? 1 : 2);
}

const rng = new Prng("bench");
const ETHER = 10n ** 18n;

async function main(): Promise<void> {
  process.stderr.write(`benchmarking (at least ${BENCH_MS} ms per row)\n`);
  const inputs = Array.from({ length: 1024 }, () => rng.field());
  const at = (i: number) => inputs[(i + 1024) % 1024];

  await bench("Poseidon hash2, poseidon-lite (lib hash2)", (i) => hash2(at(i), at(i + 1)));

  const circom = await buildPoseidon();
  await bench("Poseidon hash2, circomlibjs (WASM, incl. F.toObject)", (i) => circom.F.toObject(circom([at(i), at(i + 1)])));
  (globalThis as { curve_bn128?: { terminate?: () => unknown } | null }).curve_bn128?.terminate?.();

  const leaves = Array.from({ length: 256 }, () => rng.exitLeaf());
  await bench("exit leaf hash (Poseidon, 4 inputs)", (i) => hashExitLeaf(leaves[(i + 256) % 256]));

  let appendTree = new ExitTree(32);
  await bench("exit tree append, depth 32", (i) => {
    if (appendTree.count >= 100_000) appendTree = new ExitTree(32);
    appendTree.append(at(i));
  }, "frontier: ~1 hash per append amortised");

  const rootTree = new ExitTree(32);
  for (let i = 0; i < 1000; i++) rootTree.append(at(i));
  await bench("exit tree root, depth 32 (1,000 leaves)", () => rootTree.root(), "32 hashes");

  const proofTree = new ExitTree(32);
  for (let i = 0; i < 1000; i++) proofTree.append(at(i));
  proofTree.proof(0); // build the levels once
  await bench("exit tree Merkle proof, depth 32 (levels built)", (i) => proofTree.proof((i + 1000) % 1000), "no hashing");

  const smt = new SparseMerkleTree(64);
  await bench("SMT set, depth 64 (random index)", () => smt.set(rng.bits(64), rng.field()), "64 hashes + proof");

  for (const [name, params] of [["TEST_PARAMS", TEST_PARAMS], ["PRODUCTION_PARAMS", PRODUCTION_PARAMS]] as const) {
    const { state, batch } = certificateWorkload(params, 4, rng);
    await bench(
      `buildCertificate, 4 imports + 4 exits, ${name}`,
      () => buildCertificate(state, batch),
      `exit ${params.exitDepth} / balance ${params.balanceDepth} / nullifier ${params.networkBits + params.exitDepth}`,
    );
  }

  const wallet = new Wallet("0x" + "11".repeat(32));
  const domain: SigningDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
  const header = (i: number) => ({ networkId: 1, height: BigInt(i + 1), certificateId: at(i) });
  const signatures: string[] = [];
  await bench("EIP-712 sign (ethers Wallet.signTypedData)", async (i) => {
    const s = await signHeader(wallet, domain, header(i));
    if (i >= 0 && signatures.length < 1024) signatures.push(s);
  });
  await bench("EIP-712 recover (recoverHeaderSigner)", (i) => {
    const k = i < 0 ? 0 : i % signatures.length;
    if (recoverHeaderSigner(domain, { ...header(k), signature: signatures[k] }) !== wallet.address) throw new Error("bad recovery");
  });

  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`\nModel benchmark: node ${process.version}, ${cpu}, ${os.cpus().length} cores; >= ${BENCH_MS} ms per row\n`);
  console.log("| operation | iterations | time (ms) | per op (ms) | rate (ops/s) | Poseidon hashes / op | note |");
  console.log("|---|---:|---:|---:|---:|---:|---|");
  for (const r of rows) {
    const perOp = r.ms / r.iterations;
    const hashesPerOp = r.hashes / r.iterations;
    console.log(
      `| ${r.operation} | ${r.iterations.toLocaleString("en-US")} | ${r.ms.toFixed(0)} | ${perOp < 0.1 ? perOp.toFixed(4) : perOp.toFixed(2)} | ${fmtRate(r.iterations / (r.ms / 1000))} | ${hashesPerOp === 0 ? "-" : hashesPerOp.toFixed(1)} | ${r.note} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
