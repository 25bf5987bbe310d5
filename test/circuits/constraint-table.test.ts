/**
 * Prints the constraint table of the circuit library (opt-in: it compiles extra instances).
 *
 *   ZK_CONSTRAINT_TABLE=1 npx hardhat test test/circuits/constraint-table.test.ts
 *   ZK_CONSTRAINT_TABLE=1 ZK_PROD_COUNT=1 npx hardhat test test/circuits/constraint-table.test.ts   (+ production shape)
 *
 * Rows "tested" are the instances the other test files compile (with witness generator; the counts are also
 * asserted there); "r1cs" rows are compiled with --r1cs only, just to count. Marginal costs are differences
 * between shapes that differ by one import or one exit.
 */
import { PRODUCTION_PARAMS, TEST_PARAMS } from "../../lib";
import { CircuitSpec, countConstraints, loadCircuit } from "../helpers/circuit";
import { PRODUCTION_SHAPE, SHAPE_A, SHAPE_B, SHAPE_C, certificateSpec } from "./fixtures";

const TABLE = process.env.ZK_CONSTRAINT_TABLE === "1";
const PROD = process.env.ZK_PROD_COUNT === "1";

const label = (s: CircuitSpec) => `${s.template}(${(s.params ?? []).join(", ")})${s.publicInputs?.length ? ` [public ${s.publicInputs.join(", ")}]` : ""}`;

const TESTED: CircuitSpec[] = [
  { template: "MerkleRootBits", params: [4] },
  { template: "MerkleUpdateBits", params: [4] },
  { template: "ExitLeafHash" },
  { template: "IsActivePrefix", params: [4], publicInputs: ["count"] },
  { template: "PrefixListHash", params: [3] },
  { template: "ListHash", params: [4] },
  { template: "AssertNonZeroIf" },
  { template: "TokenBalance", params: [8] },
  { template: "TokenSelect", params: [3] },
  { template: "ExitTreeAppend", params: [4, 3], publicInputs: ["count"] },
  { template: "ExitTreeAppend", params: [8, 1] },
  { template: "ExitTreeAppend", params: [8, 2] },
  { template: "CertificateIdHash" },
  { template: "ImportStep", params: [8, 2] },
  { template: "ExitStep", params: [] },
  { template: "SortedDependencies", params: [3] },
  { template: "BundleLegs", params: [3] },
  { template: "ImportSources", params: [2, 2] },
  certificateSpec("CertificateTransition", TEST_PARAMS, SHAPE_C),
  certificateSpec("CertificateProof", TEST_PARAMS, SHAPE_A),
  certificateSpec("CertificateProof", TEST_PARAMS, SHAPE_B),
];

const P = PRODUCTION_PARAMS;
const COUNT_ONLY: CircuitSpec[] = [
  certificateSpec("CertificateProof", TEST_PARAMS, { ...SHAPE_A, maxImports: 2 }),
  certificateSpec("CertificateProof", TEST_PARAMS, { ...SHAPE_A, maxExits: 2 }),
  { template: "ExitTreeAppend", params: [P.exitDepth, 1] },
  { template: "ExitTreeAppend", params: [P.exitDepth, 4] },
  { template: "BalanceChange", params: [P.balanceDepth] },
  { template: "ImportStep", params: [P.exitDepth, P.balanceDepth, P.networkBits] },
  { template: "ExitStep", params: [P.balanceDepth] },
];

// Opt-in measurement, not a check: without ZK_CONSTRAINT_TABLE=1 it registers no test at all (nothing pending).
if (TABLE) describe("circuit constraint table", function () {
  this.timeout(3_600_000);
  const rows: { circuit: string; constraints: number; how: string }[] = [];

  it("counts the tested instances", async () => {
    for (const spec of TESTED) rows.push({ circuit: label(spec), constraints: (await loadCircuit(spec)).constraintCount(), how: "tested" });
  });

  it("counts the extra instances (--r1cs only)", async () => {
    for (const spec of COUNT_ONLY) {
      const r = await countConstraints(spec);
      rows.push({ circuit: label(spec), constraints: r.constraints, how: r.cached ? "r1cs (cached)" : `r1cs (${r.seconds.toFixed(0)} s)` });
    }
  });

  if (PROD) it("counts CertificateProof at the production shape (--r1cs only)", async () => {
    const spec = certificateSpec("CertificateProof", PRODUCTION_PARAMS, PRODUCTION_SHAPE);
    const r = await countConstraints(spec);
    rows.push({ circuit: label(spec), constraints: r.constraints, how: r.cached ? "r1cs (cached)" : `r1cs (${r.seconds.toFixed(0)} s)` });
  });

  after(() => {
    const get = (l: string) => rows.find((r) => r.circuit === l)?.constraints;
    const a = get(label(certificateSpec("CertificateProof", TEST_PARAMS, SHAPE_A)));
    const i2 = get(label(certificateSpec("CertificateProof", TEST_PARAMS, { ...SHAPE_A, maxImports: 2 })));
    const e2 = get(label(certificateSpec("CertificateProof", TEST_PARAMS, { ...SHAPE_A, maxExits: 2 })));
    const b = get(label(certificateSpec("CertificateProof", TEST_PARAMS, SHAPE_B)));
    console.log("\n" + rows.map((r) => `${r.circuit.padEnd(72)} ${String(r.constraints).padStart(9)}  ${r.how}`).join("\n"));
    if (a && i2 && e2 && b) {
      console.log(`\nmarginal at test params: per import ${i2 - a}, per exit ${e2 - a}; B - A (one of each) ${b - a}`);
    }
  });
});
