/**
 * The checked-in exports of every exported instance ("setup": true, not "production") (contracts/verifiers/<Pascal>Verifier.sol,
 * circuits/keys/<instance>.vkey.json) must be exactly what the cached zkey gives. Only the
 * cheap export runs here; the zkeys come from `npm run build:circuits`, which `npm test` runs first. This is
 * what `npm run build:circuits -- --check` does.
 */
import { expect } from "chai";
import * as fs from "fs";
import { compareFiles, exportContext, renderExports, staleGeneratedFiles } from "../../scripts/circuits/exports";
import { isExported, loadRegistry, templateStatus, verifierContractName, vkeyFile } from "../../zk/registry";
import { terminateCurves } from "../../zk/snarkjs";

describe("circuit exports (contracts/verifiers, circuits/keys) match the cached zkeys", function () {
  this.timeout(120_000);
  const registry = loadRegistry();
  after(async () => {
    await terminateCurves();
  });

  for (const inst of registry.instances.filter(isExported)) {
    it(`${inst.name}: ${verifierContractName(inst)}.sol and vkey are up to date`, async function () {
      const st = templateStatus(inst);
      if (!st.ok) {
        console.log(`      (skipped: ${st.reason})`);
        this.skip();
      }
      let ctx;
      try {
        ctx = exportContext(inst);
      } catch (e) {
        expect.fail(`${(e as Error).message}`); // says: run npm run build:circuits
      }
      const diffs = compareFiles(await renderExports(ctx));
      expect(diffs, "stale or missing exports: run npm run build:circuits (and commit the result)").to.deep.equal([]);
      const vk = JSON.parse(fs.readFileSync(vkeyFile(inst), "utf8"));
      expect(vk.protocol).to.equal("groth16");
      expect(vk.curve).to.equal("bn128");
    });
  }

  it("no generated verifier or vkey belongs to an instance that is gone", () => {
    expect(staleGeneratedFiles(registry.instances)).to.deep.equal([]);
  });
});
