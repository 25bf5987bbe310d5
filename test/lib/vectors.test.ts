import { expect } from "chai";
import * as fs from "fs";
import { generateVectors, serializeVectorFile, GENERATED_BY, VECTORS_DIR, Prng } from "../../scripts/gen-vectors";
import { RawFileHeader, readVectorFile } from "../helpers/vectors";

describe("test vectors (test/vectors/*.json)", function () {
  this.timeout(60_000);
  let generated: Record<string, unknown>;

  before(() => {
    generated = generateVectors();
  });

  it("generates the six vector files", () => {
    expect(Object.keys(generated).sort()).to.deep.equal(
      ["accounting.json", "certificates.json", "exit-leaves.json", "exit-tree.json", "poseidon.json", "smt.json"],
    );
  });

  it("checked-in files are exactly what scripts/gen-vectors.ts writes (run `npx ts-node scripts/gen-vectors.ts` if this fails)", () => {
    for (const [name, content] of Object.entries(generated)) {
      const file = `${VECTORS_DIR}/${name}`;
      expect(fs.existsSync(file), `${name} is missing`).to.equal(true);
      const onDisk = fs.readFileSync(file, "utf8");
      const fresh = serializeVectorFile(content);
      if (onDisk !== fresh) {
        // deep.equal gives a readable diff of the first difference
        expect(JSON.parse(onDisk), `${name} is stale`).to.deep.equal(JSON.parse(fresh));
        expect.fail(`${name} differs only in formatting from the generator's output`);
      }
    }
  });

  it("has no vector file that the generator does not write", () => {
    const onDisk = fs.readdirSync(VECTORS_DIR).filter((f) => f.endsWith(".json")).sort();
    expect(onDisk).to.deep.equal(Object.keys(generated).sort());
  });

  it("every file has a description and generatedBy", () => {
    for (const name of Object.keys(generated)) {
      const f = readVectorFile<RawFileHeader>(name);
      expect(f.description, name).to.be.a("string").and.have.length.greaterThan(20);
      expect(f.generatedBy, name).to.equal(GENERATED_BY);
    }
  });

  it("stores every bigint as 0x-hex (no decimal strings, no unsafe JSON numbers)", () => {
    const bad: string[] = [];
    const walk = (x: unknown, where: string): void => {
      if (typeof x === "number") {
        if (!Number.isSafeInteger(x) || x < 0) bad.push(`${where} = ${x}`);
      } else if (typeof x === "string") {
        if (/^[0-9]{10,}$/.test(x)) bad.push(`${where} is a decimal string`);
      } else if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${where}[${i}]`));
      else if (x && typeof x === "object") for (const [k, v] of Object.entries(x)) walk(v, `${where}.${k}`);
    };
    for (const [name, content] of Object.entries(generated)) walk(content, name);
    expect(bad).to.deep.equal([]);
  });

  it("is deterministic: a second generation is identical", () => {
    const again = generateVectors();
    for (const name of Object.keys(generated)) expect(serializeVectorFile(again[name]), name).to.equal(serializeVectorFile(generated[name]));
  });

  it("Prng is seeded and reproducible", () => {
    const a = new Prng("seed");
    const b = new Prng("seed");
    const c = new Prng("other seed");
    const xs = Array.from({ length: 8 }, () => a.next64());
    expect(Array.from({ length: 8 }, () => b.next64())).to.deep.equal(xs);
    expect(Array.from({ length: 8 }, () => c.next64())).to.not.deep.equal(xs);
    expect(new Set(xs).size).to.equal(8);
    const r = new Prng(1n);
    for (let i = 0; i < 200; i++) {
      const v = r.below(10n);
      expect(v >= 0n && v < 10n).to.equal(true);
      expect(r.bits(7) < 128n).to.equal(true);
    }
  });
});
