import { expect } from "chai";
import { FIELD_MODULUS, FieldError, hash2, hashList, poseidon, poseidonCount, zeroHash, zeroHashes } from "../../lib";
import { enableFastPoseidon, poseidonBackend } from "../../lib/poseidon";
import * as lite from "poseidon-lite";
import { Prng } from "../../scripts/gen-vectors";
import { loadPoseidonVectors } from "../helpers/vectors";

/** circomlibjs's Poseidon: takes field elements, returns a Montgomery-form buffer (convert with F.toObject). */
type CircomPoseidon = ((inputs: bigint[]) => Uint8Array) & { F: { toObject(x: Uint8Array): bigint } };
// circomlibjs ships no type declarations: require it with the one signature used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPoseidon } = require("circomlibjs") as { buildPoseidon: () => Promise<CircomPoseidon> };

const P = FIELD_MODULUS;

function expectFieldError(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a FieldError").to.be.instanceOf(FieldError);
  expect((err as FieldError).code).to.equal("FIELD_OUT_OF_RANGE");
}

describe("poseidon (lib/poseidon.ts)", function () {
  this.timeout(60_000);
  let circom: CircomPoseidon;
  const ref = (xs: bigint[]) => circom.F.toObject(circom(xs));

  before(async () => {
    circom = await buildPoseidon();
  });

  after(() => {
    // circomlibjs builds its curve single-threaded here, but terminate worker threads if a build left any.
    const g = globalThis as { curve_bn128?: { terminate?: () => unknown } | null };
    g.curve_bn128?.terminate?.();
  });

  describe("against circomlibjs buildPoseidon()", () => {
    it("agrees on random inputs for every arity 1..16", () => {
      const rng = new Prng("poseidon vs circomlibjs");
      for (let n = 1; n <= 16; n++) {
        for (let k = 0; k < 12; k++) {
          // mix full-size field elements with small and boundary values
          const xs = Array.from({ length: n }, () => {
            const r = rng.int(6);
            return r === 0 ? 0n : r === 1 ? P - 1n : r === 2 ? rng.bits(64) : rng.field();
          });
          expect(poseidon(xs), `arity ${n}: [${xs.join(", ")}]`).to.equal(ref(xs));
        }
      }
    });

    it("agrees on the all-zero and all-(p-1) inputs of every arity", () => {
      for (let n = 1; n <= 16; n++) {
        expect(poseidon(new Array(n).fill(0n))).to.equal(ref(new Array(n).fill(0n)));
        expect(poseidon(new Array(n).fill(P - 1n))).to.equal(ref(new Array(n).fill(P - 1n)));
      }
    });

    it("hash2 is Poseidon of arity 2", () => {
      const rng = new Prng("hash2");
      for (let k = 0; k < 20; k++) {
        const [a, b] = [rng.field(), rng.field()];
        expect(hash2(a, b)).to.equal(ref([a, b]));
        expect(hash2(a, b)).to.equal(poseidon([a, b]));
      }
      expect(hash2(1n, 2n)).to.not.equal(hash2(2n, 1n));
    });
  });

  describe("circomlib known answers (test/vectors/poseidon.json)", () => {
    const v = loadPoseidonVectors();

    it("has the seven published values", () => {
      expect(v.knownAnswers).to.have.length(7);
      // spot-check that the file holds the published decimal values, not something the model computed
      expect(v.knownAnswers.find((k) => k.inputs.length === 2 && k.inputs[0] === 1n)!.output).to.equal(
        7853200120776062878684798364095072458815029376092732009249414926327459813530n,
      );
      expect(v.knownAnswers.find((k) => k.inputs.length === 1)!.output).to.equal(
        18586133768512220936620570745912940619677854269274689475585506675881198879027n,
      );
    });

    for (const k of loadPoseidonVectors().knownAnswers) {
      it(`Poseidon([${k.inputs.join(",")}]) (${k.source})`, () => {
        expect(poseidon(k.inputs)).to.equal(k.output);
        expect(ref(k.inputs)).to.equal(k.output);
      });
    }

    it("zero hashes: z[0] = 0, z[h+1] = Poseidon(z[h], z[h]), as the model computes them", () => {
      expect(v.zeroHashes).to.have.length(33);
      expect(v.zeroHashes[0]).to.equal(0n);
      for (let h = 0; h < 32; h++) expect(v.zeroHashes[h + 1]).to.equal(ref([v.zeroHashes[h], v.zeroHashes[h]]));
      expect(zeroHashes(32)).to.deep.equal(v.zeroHashes);
      for (let h = 0; h <= 32; h++) expect(zeroHash(h)).to.equal(v.zeroHashes[h]);
      expect(zeroHash(256)).to.equal(zeroHashes(256)[256]);
      expect(() => zeroHash(-1)).to.throw(RangeError);
      expect(() => zeroHash(257)).to.throw(RangeError);
    });
  });

  describe("input checks", () => {
    it("throws FieldError on an input >= the modulus, at any position", () => {
      expectFieldError(() => poseidon([P]));
      expectFieldError(() => poseidon([P + 1n, 0n]));
      expectFieldError(() => poseidon([1n, 2n, 3n, 2n ** 256n - 1n]));
      expectFieldError(() => poseidon([...new Array(15).fill(0n), P]));
      expect(() => poseidon([P - 1n])).to.not.throw();
    });

    it("throws FieldError on a negative input", () => {
      expectFieldError(() => poseidon([-1n]));
      expectFieldError(() => poseidon([0n, -P]));
    });

    it("throws FieldError on a non-bigint input", () => {
      expectFieldError(() => poseidon([1 as unknown as bigint]));
      expectFieldError(() => poseidon(["1" as unknown as bigint]));
    });

    it("takes 1..16 inputs", () => {
      expect(() => poseidon([])).to.throw(RangeError);
      expect(() => poseidon(new Array(17).fill(0n))).to.throw(RangeError);
      expect(() => poseidon(new Array(16).fill(0n))).to.not.throw();
    });

    it("counts permutations", () => {
      const before = poseidonCount();
      poseidon([1n]);
      hash2(1n, 2n);
      hashList([1n, 2n, 3n]);
      expect(poseidonCount() - before).to.equal(5);
    });
  });

  describe("hashList", () => {
    it("hashes the empty list to 0", () => {
      expect(hashList([])).to.equal(0n);
    });

    it("folds Poseidon(acc, item) from acc = 0", () => {
      const [a, b, c] = [11n, 22n, P - 1n];
      expect(hashList([a])).to.equal(ref([0n, a]));
      expect(hashList([a, b])).to.equal(ref([ref([0n, a]), b]));
      expect(hashList([a, b, c])).to.equal(ref([ref([ref([0n, a]), b]), c]));
    });

    it("depends on order and length (a trailing 0 item is not ignored)", () => {
      expect(hashList([1n, 2n])).to.not.equal(hashList([2n, 1n]));
      expect(hashList([0n])).to.not.equal(hashList([]));
      expect(hashList([5n, 0n])).to.not.equal(hashList([5n]));
      expect(hashList([0n, 5n])).to.not.equal(hashList([5n]));
    });

    it("is incremental: hashList(xs ++ [y]) = Poseidon(hashList(xs), y)", () => {
      const rng = new Prng("hashList");
      const xs: bigint[] = [];
      for (let i = 0; i < 10; i++) {
        const y = rng.field();
        const prev = hashList(xs);
        xs.push(y);
        expect(hashList(xs)).to.equal(poseidon([prev, y]));
      }
    });

    it("throws FieldError on an item outside the field", () => {
      expectFieldError(() => hashList([1n, P]));
      expectFieldError(() => hashList([-1n]));
    });
  });
  // Last on purpose: the switch is process-wide. The blocks above test whichever backend is active: poseidon-lite
  // when this file runs alone, circomlibjs when an earlier test file (the coordinator's) switched it.
  describe("fast backend (enableFastPoseidon: circomlibjs, used by long-running processes)", () => {
    it("switches the backend, and every arity agrees with poseidon-lite and the published values", async () => {
      await enableFastPoseidon();
      expect(poseidonBackend()).to.equal("circomlibjs");
      const rng = new Prng("fast poseidon");
      const byArity = lite as unknown as Record<string, (xs: bigint[]) => bigint>;
      for (let n = 1; n <= 16; n++) {
        const xs = Array.from({ length: n }, () => rng.field());
        expect(poseidon(xs), `arity ${n}`).to.equal(byArity[`poseidon${n}`](xs));
      }
      expect(hash2(1n, 2n)).to.equal(lite.poseidon2([1n, 2n]));
      for (const k of loadPoseidonVectors().knownAnswers) expect(poseidon(k.inputs)).to.equal(k.output);
      expect(() => poseidon([P])).to.throw(FieldError);
    });
  });
});
