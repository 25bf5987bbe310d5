import { expect } from "chai";
import { ImportedExit, NetworkState, TEST_PARAMS, TokenId, buildCertificate, fieldKeccak, gasCoin, hashImport } from "../../lib";
import { certificateWitness } from "../../lib/witness";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { ETHER, SHAPE_A, SourceNetwork, assetLeaf, forgeInput, importStepInput, messageLeaf } from "./fixtures";

const ME = 1;
const rng = new Prng("ImportStep");
const user = rng.address();
const usdc: TokenId = { originNetwork: 0, originAddress: rng.address() };
const mine: TokenId = { originNetwork: ME, originAddress: rng.address() };

describe("circuit ImportStep(8, 2)", function () {
  this.timeout(600_000);
  let c: TestCircuit;
  const l1 = new SourceNetwork(0, TEST_PARAMS, { networkId: 0, height: 3n, certificateId: 0n });
  const n2 = new SourceNetwork(2, TEST_PARAMS);
  const n3 = new SourceNetwork(3, TEST_PARAMS);
  const L1 = {
    eth: l1.add(assetLeaf(gasCoin(0), ME, user, 10n * ETHER)),
    usdc: l1.add(assetLeaf(usdc, ME, user, 123n, fieldKeccak("0x01"))),
    msg: l1.add(messageLeaf(0, rng.address(), ME, user, ETHER / 10n, fieldKeccak("0x1234"))),
    forTwo: l1.add(assetLeaf(gasCoin(0), 2, user, ETHER)),
    home: l1.add(assetLeaf(mine, ME, user, 42n)),
    spoofed: l1.add(messageLeaf(3, rng.address(), ME, user, 5n)), // a message claiming origin 3 in L1's tree
    zeroMsg: l1.add(messageLeaf(0, rng.address(), ME, user, 0n)),
    zeroAsset: l1.add(assetLeaf(usdc, ME, user, 0n, fieldKeccak("0x02"))), // in a tree no honest bridge would build
  };
  const N2 = { msg: n2.add(messageLeaf(2, rng.address(), ME, user, 77n)), self: 0 };
  n3.add(assetLeaf(usdc, ME, user, 1n));
  const own = new SourceNetwork(ME, TEST_PARAMS);
  const ownExit = own.add(assetLeaf(gasCoin(0), ME, user, 1n));
  const state = new NetworkState(ME, TEST_PARAMS);

  before(async () => {
    c = await loadCircuit({ template: "ImportStep", params: [TEST_PARAMS.exitDepth, TEST_PARAMS.networkBits] });
  });

  const valid = (imp: ImportedExit, s = state) => {
    const built = buildCertificate(s, { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [imp], exits: [] });
    return { built, input: importStepInput(certificateWitness(s, built, SHAPE_A)) };
  };
  const forged = (imp: ImportedExit, s = state) => importStepInput(forgeInput(s, { imports: [imp], exits: [] }, SHAPE_A));

  it("applies valid imports like the model and flags what it credits: assets, message values, not a native token coming home nor a zero-value message", async () => {
    for (const imp of [l1.imp(L1.eth), l1.imp(L1.usdc), l1.imp(L1.msg), l1.imp(L1.home), l1.imp(L1.zeroMsg), n2.imp(N2.msg)]) {
      const { built, input } = valid(imp);
      const w = await c.calculateWitness(input);
      await c.checkConstraints(w);
      const step = built.transition.imports[0];
      expect(c.readOutput(w, "leafHash")).to.equal(step.leafHash);
      expect(c.readOutput(w, "importHash")).to.equal(hashImport(imp));
      expect(c.readOutput(w, "newNullifierRoot")).to.equal(built.transition.state.nullifiers.root());
      expect(c.readOutput(w, "isL1")).to.equal(imp.source.networkId === 0 ? 1n : 0n);
      expect(step.tokenIndex === null).to.equal(imp.leaf.amount === 0n || imp.leaf.originNetwork === ME);
      expect(c.readOutput(w, "tracked")).to.equal(step.tokenIndex === null ? 0n : 1n);
      if (step.tokenIndex !== null) expect(c.readOutput(w, "movedAddress")).to.equal(built.transition.tokens[step.tokenIndex].token.originAddress);
    }
  });

  it("field edge: a source height of 2^64 - 1 is accepted, 2^64 has no witness", async () => {
    const imp = { ...l1.imp(L1.eth), source: { networkId: 0, height: (1n << 64n) - 1n, certificateId: 0n } };
    await c.checkConstraints(await c.calculateWitness(valid(imp).input));
    await expectNoWitness(c, { ...valid(imp).input, sourceHeight: 1n << 64n }, /Num2Bits/);
  });

  it("a padded (inactive) entry: all zeros, any root, passes it through and credits nothing", async () => {
    const zero = Object.fromEntries(Object.entries(valid(l1.imp(L1.eth)).input).map(([k, v]) => [k, Array.isArray(v) ? v.map(() => 0n) : 0n]));
    const w = await c.calculateWitness({ ...zero, networkId: ME, active: 0, nullifierRoot: 11n });
    await c.checkConstraints(w);
    expect(c.readOutput(w, "newNullifierRoot")).to.equal(11n);
    expect(c.readOutput(w, "tracked")).to.equal(0n);
    expect(c.readOutput(w, "isL1")).to.equal(1n);
    for (const field of ["amount", "sourceExitRoot", "leafIndex", "metadataHash", "sourceHeight"]) {
      await expectNoWitness(c, { ...zero, networkId: ME, active: 0, [field]: 1 }, /ImportStep/);
    }
  });

  it("ZERO_AMOUNT: an asset import of amount 0 has no witness (the model refuses it too); a zero-value message is accepted above", async () => {
    const imp = l1.imp(L1.zeroAsset);
    await expectNoWitness(c, forged(imp), /ImportStep/);
    expect(() => valid(imp)).to.throw(/ZERO_AMOUNT/);
  });

  it("WRONG_DESTINATION, SELF_IMPORT, MESSAGE_ORIGIN_MISMATCH have no witness", async () => {
    await expectNoWitness(c, forged(l1.imp(L1.forTwo)), /ImportStep/);
    await expectNoWitness(c, forged(own.imp(ownExit)), /AssertNonZeroIf/);
    await expectNoWitness(c, forged(l1.imp(L1.spoofed)), /ImportStep/);
  });

  it("INVALID_IMPORT_PROOF: another root, another tree's proof, another index have no witness", async () => {
    const imp = l1.imp(L1.usdc);
    await expectNoWitness(c, forged({ ...imp, sourceExitRoot: n2.tree.root() }), /ImportStep/);
    await expectNoWitness(c, forged({ ...imp, leafIndex: L1.usdc + 1 }), /ImportStep/);
    // the leaf of network 3's tree (index 0, same token and amount class) proven against L1's root
    await expectNoWitness(c, forged({ ...n3.imp(0), source: imp.source, sourceExitRoot: imp.sourceExitRoot }), /ImportStep/);
  });

  it("DOUBLE_IMPORT: after the import, the nullifier path shows 1, and no witness exists", async () => {
    const imp = l1.imp(L1.eth);
    const after = valid(imp).built.transition.state;
    expect(after.isImported(0, L1.eth)).to.equal(true);
    await expectNoWitness(c, forged(imp, after), /ImportStep/);
  });

  it("OUT_OF_RANGE and L1 rules: sourceNetwork 2^networkBits, leafIndex 2^exitDepth, an L1 source with an id have no witness", async () => {
    const base = valid(n2.imp(N2.msg)).input;
    await expectNoWitness(c, { ...base, sourceNetwork: 4n, originNetwork: 4n }, /Num2Bits/);
    await expectNoWitness(c, { ...base, leafIndex: 256n }, /Num2Bits/);
    await expectNoWitness(c, { ...valid(l1.imp(L1.eth)).input, sourceCertificateId: 5n }, /ImportStep/);
  });

  it("tampered witness: the tracked flag, a proof node, a nullifier node, the import hash cannot be changed", async () => {
    const w = await c.calculateWitness(valid(l1.imp(L1.usdc)).input);
    await expectConstraintFailure(c, c.tamper(w, "tracked", 0n));
    await expectConstraintFailure(c, c.tamper(w, "proof.node[3]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "nullifier.after.node[5]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "importHash", 1n));
    // the zero-amount flag cannot be raised on a non-zero asset amount (with its inverse cleared, as a prover would)
    await expectConstraintFailure(c, c.tamper(c.tamper(w, "zeroAmount.out", 1n), "zeroAmount.inv", 0n));
  });

  it("constraint count", () => {
    // padding 12 + ExitLeafHash 810 + rules 4 (ZERO_AMOUNT one) + Num2Bits 2 + 8 + 64 + proof 8 x 241 + nullifier 2 x 10 x 241
    // + IsZero x 3 + tracked/movedAddress 2 + Poseidon(6) ... (the credit itself is per token, in TokenBalances)
    expect(c.constraintCount()).to.equal(8014);
  });
});
