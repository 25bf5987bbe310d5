import { expect } from "chai";
import * as fs from "fs";
import { zeroHash } from "../../lib";
import { ZERO_HASH_CIRCOM_PATH, ZERO_HASH_MAX, renderZeroHashCircom } from "../../scripts/gen-zero-hash-circom";

// circuits/ZeroHash.circom is the compile-time function zeroHash(h) (no template, no constraint): ExitTreeAppend
// uses zero(h) for the nodes right of its window.
describe("circuits/ZeroHash.circom (function zeroHash)", () => {
  it("is what scripts/gen-zero-hash-circom.ts generates (run it if this fails)", () => {
    expect(fs.readFileSync(ZERO_HASH_CIRCOM_PATH, "utf8")).to.equal(renderZeroHashCircom());
  });

  it("holds lib/poseidon.ts zeroHash(h) for every h, at least up to the exit tree's 32 levels", () => {
    const src = fs.readFileSync(ZERO_HASH_CIRCOM_PATH, "utf8");
    const values = [...src.matchAll(/^\s*(\d+),?\s*\/\/ zero\((\d+)\)$/gm)].map((m) => [Number(m[2]), BigInt(m[1])] as const);
    expect(values.length).to.equal(ZERO_HASH_MAX + 1);
    expect(ZERO_HASH_MAX).to.be.at.least(32);
    values.forEach(([h, v], i) => {
      expect(h).to.equal(i);
      expect(v, `zero(${h})`).to.equal(zeroHash(h));
    });
  });
});
