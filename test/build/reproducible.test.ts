/**
 * Builds pipeline_probe from nothing in a fresh cache — compile, the native DEVELOPMENT setup — with --frozen,
 * which fails if the exported verifier or vkey differs from the checked-in ones. This is the property
 * the checked-in verifiers rely on: every machine derives byte-identical keys from the public seed. (~5 s: the
 * native prover itself is reused through ZK_NATIVE_DIR.)
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nativeDir } from "../../zk/native";
import { REPO_ROOT } from "../../zk/registry";

describe("development keys are reproducible", function () {
  this.timeout(600_000);

  it("a cold build of pipeline_probe in an empty cache reproduces the checked-in exports", function () {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "zk-repro-"));
    try {
      const r = spawnSync(
        process.execPath,
        [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "scripts/build-circuits.ts", "--only", "pipeline_probe", "--frozen"],
        { cwd: REPO_ROOT, env: { ...process.env, ZK_CACHE_DIR: cache, ZK_NATIVE_DIR: nativeDir(), ZK_PTAU_FILE: "" }, encoding: "utf8" },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/pipeline_probe: setup done in/);
      expect(r.stdout).to.not.match(/WROTE|REMOVED/);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
