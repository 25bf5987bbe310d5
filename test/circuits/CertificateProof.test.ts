/**
 * CertificateProof on the test instances exitDepth 8, balanceDepth 8, networkBits 2 with
 * (maxImports, maxExits, maxDependencies, maxBundles, maxTokens) = (1, 1, 1, 1, 2) ["A"] and (2, 2, 1, 1, 2) ["B"]:
 * valid certificates built by lib/certificate-builder.ts prove to the model's certificateId; the most plausible
 * cheating witnesses (built by fixtures.ts forgeInput, the real tree paths for a batch the model refuses)
 * have no witness.
 */
import { expect } from "chai";
import {
  AccountingError,
  BuiltCertificate,
  ExitLeaf,
  ImportedExit,
  NetworkState,
  TEST_PARAMS,
  TokenId,
  buildCertificate,
  fieldKeccak,
  gasCoin,
  hashExitLeaf,
  tokenKey,
  certificatePublicSignals,
} from "../../lib";
import { CertificateCircuitInput, CertificateShape, CertificateWitnessError, certificateWitness } from "../../lib/witness";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { seedBalance } from "../helpers/vectors";
import { ETHER, P, SHAPE_A, SHAPE_B, SourceNetwork, assetLeaf, certificateSpec, forgeInput, messageLeaf, setEntry } from "./fixtures";

const ME = 1;
const rng = new Prng("CertificateProof tests");
const user = rng.address();
const usdc: TokenId = { originNetwork: 0, originAddress: 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48n };
const mine: TokenId = { originNetwork: ME, originAddress: rng.address() };
const otherToken: TokenId = { originNetwork: 0, originAddress: 0xdac17f958d2ee523a2206206994597c13d831ec7n };
/** The public signals (outputs, then public inputs) of a witness. */
const publicSignalsOf = (c: TestCircuit, w: readonly bigint[]) => w.slice(1, 1 + c.r1cs.nPubOut + c.r1cs.nPubIn);
const stateRoot = (k: number) => "0x" + k.toString(16).padStart(2, "0").repeat(32);

describe("circuit CertificateProof(8, 8, 2, ...)", function () {
  this.timeout(600_000);
  let A: TestCircuit;
  let B: TestCircuit;

  // L1 (checkpoint 3) and network 2 (its certificate at height 5): the sources of every import.
  const l1 = new SourceNetwork(0, TEST_PARAMS, { networkId: 0, height: 3n, certificateId: 0n });
  const n2 = new SourceNetwork(2, TEST_PARAMS, { networkId: 2, height: 5n, certificateId: rng.field() });
  const L1 = {
    eth: l1.add(assetLeaf(gasCoin(0), ME, user, 10n * ETHER)),
    usdc: l1.add(assetLeaf(usdc, ME, user, 1000n * 10n ** 6n, fieldKeccak("0x55534443"))),
    msg: l1.add(messageLeaf(0, rng.address(), ME, user, ETHER / 10n, fieldKeccak("0x1234"))),
    forTwo: l1.add(assetLeaf(gasCoin(0), 2, user, ETHER)),
    spoofed: l1.add(messageLeaf(2, rng.address(), ME, user, 5n)),
    other: l1.add(assetLeaf(otherToken, ME, user, 6n)),
    eth2: l1.add(assetLeaf(gasCoin(0), ME, user, 2n * ETHER)),
  };
  const N2 = { msg: n2.add(messageLeaf(2, rng.address(), ME, user, 7n * ETHER, fieldKeccak("0xbeef"))) };
  const other = new SourceNetwork(3, TEST_PARAMS);
  const otherEth = other.add(assetLeaf(gasCoin(0), ME, user, 10n * ETHER));

  const genesis = new NetworkState(ME, TEST_PARAMS);

  function build(state: NetworkState, height: bigint, imports: ImportedExit[], exits: ExitLeaf[], extra: Partial<Parameters<typeof buildCertificate>[1]> = {}): BuiltCertificate {
    return buildCertificate(state, { height, newStateRoot: stateRoot(Number(height) + 1), imports, exits, ...extra });
  }

  async function proves(c: TestCircuit, state: NetworkState, built: BuiltCertificate, shape: CertificateShape): Promise<bigint[]> {
    const w = await c.calculateWitness(certificateWitness(state, built, shape));
    await c.checkConstraints(w);
    expect(c.readOutput(w, "certificateId")).to.equal(built.certificateId);
    // every public signal is the model's (lib/settlement.ts certificatePublicSignals)
    const expected = certificatePublicSignals(built.certificate, built.certificateId, shape);
    expect(publicSignalsOf(c, w)).to.deep.equal(expected);
    expect(c.readOutput(w, "newStateCommitment")).to.equal(built.certificate.newStateCommitment);
    expect(c.readOutput(w, "newLocalExitRoot")).to.equal(built.certificate.newLocalExitRoot);
    return w;
  }

  before(async () => {
    [A, B] = await Promise.all([loadCircuit(certificateSpec("CertificateProof", TEST_PARAMS, SHAPE_A)), loadCircuit(certificateSpec("CertificateProof", TEST_PARAMS, SHAPE_B))]);
  });
  after(terminateCurves);

  // Shape A: a chain of three certificates of network 1.
  const cert0 = build(genesis, 0n, [l1.imp(L1.eth)], [assetLeaf(mine, 0, user, 5n)], {
    bundles: [{ bundleId: rng.field(), legIndex: 0, legCount: 2, success: true, participants: [ME, 2] }],
  });
  const s1 = cert0.transition.state;
  const cert1 = build(s1, 1n, [n2.imp(N2.msg)], [assetLeaf(gasCoin(0), 2, user, 4n * ETHER)]);
  const s2 = cert1.transition.state;
  const cert2 = build(s2, 2n, [], [messageLeaf(ME, rng.address(), 0, user, ETHER, fieldKeccak("0xcafe"))]);

  describe("shape A (1 import, 1 exit, 1 dependency, 1 bundle)", () => {
    it("proves an L1 deposit import with a native-token exit and a bundle leg (height 0)", async () => {
      expect(cert0.transition.imports[0].tokenIndex).to.equal(0);
      expect(cert0.transition.exits[0].tokenIndex).to.equal(null); // native
      expect(cert0.transition.tokens.map((t) => t.token)).to.deep.equal([gasCoin(0)]);
      await proves(A, genesis, cert0, SHAPE_A);
    });

    it("proves a message-with-value import from network 2 (a dependency) and an onward exit of ETH (height 1)", async () => {
      expect(cert1.certificate.dependencies).to.deep.equal([n2.ref]);
      await proves(A, s1, cert1, SHAPE_A);
    });

    it("proves a message exit with value in the network's own gas coin, and an empty certificate (height 2, 3)", async () => {
      await proves(A, s2, cert2, SHAPE_A);
      const s3 = cert2.transition.state;
      await proves(A, s3, build(s3, 3n, [], []), SHAPE_A);
    });

    it("the witness builder refuses a certificate larger than the shape (typed error)", () => {
      const big = build(genesis, 0n, [l1.imp(L1.eth), l1.imp(L1.usdc)], []);
      expect(() => certificateWitness(genesis, big, SHAPE_A)).to.throw(CertificateWitnessError, /TOO_MANY_IMPORTS/);
      expect(() => certificateWitness(s1, big, SHAPE_B)).to.throw(CertificateWitnessError, /STATE_MISMATCH/);
      const threeTokens = build(genesis, 0n, [l1.imp(L1.eth), l1.imp(L1.usdc), l1.imp(L1.other)], []);
      expect(() => certificateWitness(genesis, threeTokens, { ...SHAPE_B, maxImports: 3 })).to.throw(CertificateWitnessError, /TOO_MANY_TOKENS/);
    });

    it("OVERDRAW by 1 wei has no witness (10 ETH held, 10 ETH + 1 wei exit); exactly 10 ETH proves", async () => {
      await expectNoWitness(A, forgeInput(s1, { height: 1n, imports: [], exits: [assetLeaf(gasCoin(0), 2, user, 10n * ETHER + 1n)] }, SHAPE_A), /TokenBalance/);
      await proves(A, s1, build(s1, 1n, [], [assetLeaf(gasCoin(0), 2, user, 10n * ETHER)]), SHAPE_A);
    });

    it("ZERO_AMOUNT: an asset exit of amount 0 (naming a token never held) has no witness; the builder refuses it", async () => {
      const squat = assetLeaf(usdc, 2, user, 0n, fieldKeccak("0x5155415454"));
      await expectNoWitness(A, forgeInput(genesis, { height: 0n, imports: [], exits: [squat] }, SHAPE_A), /ExitStep/);
      expect(() => build(genesis, 0n, [], [squat])).to.throw(AccountingError, /ZERO_AMOUNT/);
      // a message without value is a plain call and proves
      await proves(A, genesis, build(genesis, 0n, [], [messageLeaf(ME, user, 2, user, 0n, fieldKeccak("0x01"))]), SHAPE_A);
    });

    it("balance wrap-around: no claimed balanceBefore makes an overdraw pass, and no credit reaches 2^192", async () => {
      const exit = assetLeaf(gasCoin(0), 2, user, 11n * ETHER);
      const honest = forgeInput(s1, { height: 1n, imports: [], exits: [exit] }, SHAPE_A);
      expect(honest.tok_balBefore[0]).to.equal(10n * ETHER);
      await expectNoWitness(A, honest, /Num2Bits.*\n.*TokenBalance/); // before - amount wraps near p: out of range
      for (const claimed of [11n * ETHER, 11n * ETHER + 5n, P - 1n, (1n << 192n) - 1n, P - ETHER]) {
        await expectNoWitness(A, setEntry(honest, "tok_balBefore", 0, claimed), /TokenBalance/); // the leaf binds the balance
      }
      const near = genesis.clone();
      seedBalance(near, gasCoin(0), (1n << 192n) - 10n * ETHER);
      await expectNoWitness(A, forgeInput(near, { imports: [l1.imp(L1.eth)], exits: [] }, SHAPE_A), /Num2Bits.*\n.*TokenBalance/);
      seedBalance(near, gasCoin(0), (1n << 192n) - 1n - 10n * ETHER); // lands exactly on 2^192 - 1
      await proves(A, near, build(near, 0n, [l1.imp(L1.eth)], []), SHAPE_A);
    });

    it("DOUBLE_IMPORT across two certificates: the second one's nullifier path cannot show 0", async () => {
      const again = forgeInput(s1, { height: 1n, imports: [l1.imp(L1.eth)], exits: [] }, SHAPE_A);
      await expectNoWitness(A, again, /ImportStep/);
      // nor does the genesis path (which shows 0) fit the later nullifier root
      const genesisPath = certificateWitness(genesis, cert0, SHAPE_A).imp_nullifierSiblings;
      await expectNoWitness(A, { ...again, imp_nullifierSiblings: genesisPath }, /ImportStep/);
    });

    it("an import against a root other than the one named has no witness (another root, another tree's proof)", async () => {
      const imp = l1.imp(L1.eth);
      await expectNoWitness(A, forgeInput(genesis, { imports: [{ ...imp, sourceExitRoot: other.tree.root() }], exits: [] }, SHAPE_A), /ImportStep/);
      // a leaf really in network 3's tree, with its valid proof there, claimed against L1's checkpoint root
      const fromOther = { ...other.imp(otherEth), source: l1.ref, sourceExitRoot: l1.tree.root() };
      await expectNoWitness(A, forgeInput(genesis, { imports: [fromOther], exits: [] }, SHAPE_A), /ImportStep/);
    });

    it("wrong destination, self exit, message origin mismatch (import and exit) have no witness", async () => {
      await expectNoWitness(A, forgeInput(genesis, { imports: [l1.imp(L1.forTwo)], exits: [] }, SHAPE_A), /ImportStep/);
      await expectNoWitness(A, forgeInput(genesis, { imports: [], exits: [assetLeaf(mine, ME, user, 1n)] }, SHAPE_A), /AssertNonZeroIf.*\n.*ExitStep/);
      await expectNoWitness(A, forgeInput(genesis, { imports: [l1.imp(L1.spoofed)], exits: [] }, SHAPE_A), /ImportStep/);
      await expectNoWitness(A, forgeInput(s1, { imports: [], exits: [messageLeaf(0, user, 2, user, ETHER)] }, SHAPE_A), /ExitStep/);
    });

    it("another token's slot: no claim of its holder lets a token be credited or debited there", async () => {
      const s = genesis.clone();
      seedBalance(s, gasCoin(0), 5n * ETHER); // slot 0
      seedBalance(s, usdc, 7n); // slot 1
      const eth0 = { slot: 0n, slotKeyBefore: tokenKey(gasCoin(0)), balanceBefore: 5n * ETHER };
      const claims = [
        () => eth0, // the truth: ETH holds slot 0
        (_t: number, real: { key: bigint }) => ({ ...eth0, slotKeyBefore: real.key }), // "the other token holds it"
        () => ({ ...eth0, slotKeyBefore: 0n, balanceBefore: 0n }), // "unused"
      ];
      for (const claim of claims) {
        await expectNoWitness(A, forgeInput(s, { imports: [l1.imp(L1.other)], exits: [] }, SHAPE_A, { token: claim }), /TokenBalance/);
        // an exit of USDC drawing on ETH's balance in slot 0
        await expectNoWitness(A, forgeInput(s, { imports: [], exits: [assetLeaf(usdc, 0, user, ETHER)] }, SHAPE_A, { token: claim }), /TokenBalance/);
      }
    });

    it("a token in a second, unused slot of the prover's choice gains nothing: it starts from 0 there (safety argument, TokenBalance)", async () => {
      const s = genesis.clone();
      seedBalance(s, usdc, 7n); // slot 0
      const fresh = (_t: number, real: { key: bigint }) => ({ slot: 200n, slotKeyBefore: 0n, balanceBefore: 0n, key: real.key });
      // crediting USDC into slot 200 proves (the network then holds 7 in slot 0 and the import in slot 200) ...
      const credit = forgeInput(s, { imports: [l1.imp(L1.usdc)], exits: [] }, SHAPE_A, { token: fresh });
      expect(credit.tok_slot[0]).to.equal(200n);
      await A.checkConstraints(await A.calculateWitness(credit));
      // ... but a debit from the fresh slot has nothing to draw on, whatever it claims
      await expectNoWitness(A, forgeInput(s, { height: 0n, imports: [], exits: [assetLeaf(usdc, 0, user, 1n)] }, SHAPE_A, { token: fresh }), /TokenBalance/);
      await expectNoWitness(A, forgeInput(s, { height: 0n, imports: [], exits: [assetLeaf(usdc, 0, user, 1n)] }, SHAPE_A, { token: () => ({ slot: 200n, slotKeyBefore: tokenKey(usdc), balanceBefore: 7n }) }), /TokenBalance/);
      // while the honest slot pays exactly what it holds
      await proves(A, s, build(s, 0n, [], [assetLeaf(usdc, 0, user, 7n)]), SHAPE_A);
    });

    it("a debit of an unlisted token has no witness: the exit cannot select an entry of another token, or none", async () => {
      const honest = certificateWitness(s1, build(s1, 1n, [], [assetLeaf(gasCoin(0), 2, user, ETHER)]), SHAPE_A);
      expect(honest.tokenCount).to.equal(1n);
      await expectNoWitness(A, { ...honest, tokenCount: 0n, tok_originNetwork: [0n, 0n], tok_originAddress: [0n, 0n], tok_slot: [0n, 0n], tok_slotKeyBefore: [0n, 0n], tok_balBefore: [0n, 0n], tok_balSiblings: honest.tok_balSiblings.map((x) => x.map(() => 0n)) }, /TokenSelect/);
      await expectNoWitness(A, { ...honest, ex_tokenSel: [[0n, 0n]] }, /TokenSelect|OneHot/); // listed but not selected
      await expectNoWitness(A, { ...honest, ex_tokenSel: [[0n, 1n]] }, /TokenSelect/); // the padded entry
      // an item of a native token selecting a listed entry: untracked items select nothing
      const native = certificateWitness(s1, build(s1, 1n, [l1.imp(L1.usdc)], [assetLeaf(mine, 2, user, 1n)]), SHAPE_A);
      await expectNoWitness(A, { ...native, ex_tokenSel: [[1n, 0n]] }, /TokenSelect|OneHot/);
    });

    it("a token listed twice has no witness (second entry of the same token, its own slot)", async () => {
      const c = build(genesis, 0n, [l1.imp(L1.eth)], [assetLeaf(gasCoin(0), 2, user, ETHER)]);
      const w = certificateWitness(genesis, c, SHAPE_A);
      expect(w.tokenCount).to.equal(1n);
      // list ETH again in slot 1 (unused), with the exit debiting the second entry: each entry alone balances
      const after0 = c.transition.state;
      const twice = {
        ...w,
        tokenCount: 2n,
        tok_originNetwork: [0n, 0n],
        tok_originAddress: [0n, 0n],
        tok_slot: [0n, 1n],
        tok_slotKeyBefore: [0n, 0n],
        tok_balBefore: [0n, 0n],
        tok_balSiblings: [w.tok_balSiblings[0], after0.balances.proof(1n).siblings],
        ex_tokenSel: [[0n, 1n]],
      };
      await expectNoWitness(A, twice, /TokenBalances|AssertNonZeroIf/);
    });

    it("a listed native token has no witness", async () => {
      const w = certificateWitness(s2, cert2, SHAPE_A);
      expect(w.tokenCount).to.equal(0n);
      await expectNoWitness(A, { ...w, tokenCount: 1n, tok_originNetwork: [BigInt(ME), 0n], tok_slot: [0n, 0n], tok_balSiblings: w.tok_balSiblings.map(() => s2.balances.proof(0n).siblings) }, /TokenBalances|AssertNonZeroIf/);
    });

    it("an import whose source is not among the dependencies (none, or another id) has no witness", async () => {
      const imp = n2.imp(N2.msg);
      await expectNoWitness(A, forgeInput(s1, { imports: [imp], exits: [] }, SHAPE_A), /ImportSources/);
      await expectNoWitness(A, forgeInput(s1, { imports: [imp], exits: [], dependencies: [{ ...n2.ref, certificateId: n2.ref.certificateId + 1n }] }, SHAPE_A), /ImportSources/);
      await expectNoWitness(A, forgeInput(s1, { imports: [imp], exits: [], dependencies: [{ ...n2.ref, height: 6n }] }, SHAPE_A), /ImportSources/);
      // an L1 import naming a certificate id
      await expectNoWitness(A, forgeInput(genesis, { imports: [{ ...l1.imp(L1.eth), source: { ...l1.ref, certificateId: 1n } }], exits: [] }, SHAPE_A), /ImportStep/);
    });

    it("settlement statements: a dependency's exit root other than its imports', or an L1 checkpoint other than theirs, has no witness", async () => {
      const imp = n2.imp(N2.msg);
      const batch = { height: 1n, imports: [imp], exits: [], dependencies: [n2.ref] };
      await A.checkConstraints(await A.calculateWitness(forgeInput(s1, batch, SHAPE_A)));
      await expectNoWitness(A, forgeInput(s1, { ...batch, dependencyExitRoots: [imp.sourceExitRoot + 1n] }, SHAPE_A), /ImportSources/);
      await expectNoWitness(A, forgeInput(s1, { ...batch, dependencyExitRoots: [0n] }, SHAPE_A), /ImportSources/);
      // an L1 import states its checkpoint; another number or root, or none, has no witness
      const l1Batch = { imports: [l1.imp(L1.eth)], exits: [] };
      await A.checkConstraints(await A.calculateWitness(forgeInput(genesis, l1Batch, SHAPE_A)));
      await expectNoWitness(A, forgeInput(genesis, { ...l1Batch, checkpoint: { number: 4n, exitRoot: l1.tree.root() } }, SHAPE_A), /CertificateTransition/);
      await expectNoWitness(A, forgeInput(genesis, { ...l1Batch, checkpoint: { number: 3n, exitRoot: 1n } }, SHAPE_A), /CertificateTransition/);
      await expectNoWitness(A, forgeInput(genesis, { ...l1Batch, checkpoint: { number: 0n, exitRoot: 0n } }, SHAPE_A), /CertificateTransition/);
      // without an L1 import the checkpoint is (0, 0)
      await expectNoWitness(A, forgeInput(s1, { ...batch, checkpoint: { number: 3n, exitRoot: l1.tree.root() } }, SHAPE_A), /CertificateTransition/);
    });

    it("padded dependency or bundle entries with non-zero data have no witness", async () => {
      const input = certificateWitness(s2, cert2, SHAPE_A);
      await expectNoWitness(A, setEntry(input, "dep_height", 0, 1n), /SortedDependencies/);
      await expectNoWitness(A, setEntry(input, "bun_bundleId", 0, 1n), /BundleLegs/);
    });

    it("tampered witness: an intermediate balance, a nullifier root, the id cannot be changed", async () => {
      const w = await proves(A, genesis, cert0, SHAPE_A);
      await expectConstraintFailure(A, A.tamper(w, "transition.tokens.bal[0].newLeafHash.out", 1n));
      await expectConstraintFailure(A, A.tamper(w, "transition.newNullifierRoot", cert0.transition.state.nullifiers.root() + 1n));
      await expectConstraintFailure(A, A.tamper(w, "transition.impToken[0].part[0]", 10n * ETHER + 1n));
      await expectConstraintFailure(A, A.tamper(w, "newStateCommitment", cert0.certificate.prevStateCommitment));
      await expectConstraintFailure(A, A.tamper(w, "dependency[0][2]", 1n));
      await expectConstraintFailure(A, A.tamper(w, "l1Checkpoint[1]", 1n));
      await expectConstraintFailure(A, A.tamper(w, "certificateId", cert1.certificateId));
    });

    it("constraint count", () => {
      expect(A.constraintCount()).to.equal(25764);
    });
  });

  describe("shape B (2 imports, 2 exits, 1 dependency, 1 bundle)", () => {
    it("proves two L1 imports and two exits, then partial lists (padding), then an empty certificate", async () => {
      const c0 = build(genesis, 0n, [l1.imp(L1.eth), l1.imp(L1.usdc)], [assetLeaf(gasCoin(0), 2, user, 3n * ETHER), assetLeaf(usdc, 0, user, 23n)]);
      await proves(B, genesis, c0, SHAPE_B);
      const t1 = c0.transition.state;
      const c1 = build(t1, 1n, [n2.imp(N2.msg)], [messageLeaf(ME, user, 2, user, ETHER)]);
      await proves(B, t1, c1, SHAPE_B);
      const t2 = c1.transition.state;
      await proves(B, t2, build(t2, 2n, [], []), SHAPE_B);
      // the same token credited twice and spent twice in one certificate (one balance update, per token)
      const c3 = build(t2, 2n, [l1.imp(L1.eth2), l1.imp(L1.msg)], [assetLeaf(gasCoin(0), 2, user, 9n * ETHER), assetLeaf(gasCoin(0), 3, user, ETHER / 10n)]);
      await proves(B, t2, c3, SHAPE_B);
      expect(c3.transition.tokens).to.have.length(1);
      // two distinct tokens in one certificate: one entry each
      const c4 = build(t2, 2n, [l1.imp(L1.eth2), l1.imp(L1.other)], [assetLeaf(otherToken, 2, user, 6n), assetLeaf(gasCoin(0), 3, user, ETHER)]);
      expect(c4.transition.tokens.map((t) => t.token)).to.deep.equal([gasCoin(0), otherToken]);
      await proves(B, t2, c4, SHAPE_B);
    });

    it("per token, not per item: a balance passing 2^192 - 1 inside the certificate proves when it ends below; ending above has no witness", async () => {
      const near = genesis.clone();
      seedBalance(near, gasCoin(0), (1n << 192n) - 1n - ETHER);
      await proves(B, near, build(near, 0n, [l1.imp(L1.eth)], [assetLeaf(gasCoin(0), 2, user, 9n * ETHER)]), SHAPE_B);
      await expectNoWitness(B, forgeInput(near, { imports: [l1.imp(L1.eth)], exits: [assetLeaf(gasCoin(0), 2, user, 9n * ETHER - 1n)] }, SHAPE_B), /Num2Bits.*\n.*TokenBalance/);
    });

    it("DOUBLE_IMPORT within one certificate has no witness", async () => {
      const imp = l1.imp(L1.eth);
      await expectNoWitness(B, forgeInput(genesis, { imports: [imp, imp], exits: [] }, SHAPE_B), /ImportStep/);
    });

    it("spending a credit before it exists: an exit cannot use a later certificate's import (exits follow imports)", async () => {
      // 10 ETH imported, 12 ETH out in two exits: the second overdraws
      await expectNoWitness(B, forgeInput(genesis, { imports: [l1.imp(L1.eth)], exits: [assetLeaf(gasCoin(0), 2, user, 6n * ETHER), assetLeaf(gasCoin(0), 2, user, 6n * ETHER)] }, SHAPE_B), /TokenBalance/);
    });

    it("padded import or exit entries with non-zero data have no witness", async () => {
      const c = build(genesis, 0n, [l1.imp(L1.eth)], [assetLeaf(gasCoin(0), 2, user, ETHER)]);
      const input = certificateWitness(genesis, c, SHAPE_B);
      await expectNoWitness(B, setEntry(input, "imp_amount", 1, 1n), /ImportStep/);
      await expectNoWitness(B, setEntry(input, "imp_sourceExitRoot", 1, l1.tree.root()), /ImportStep/);
      await expectNoWitness(B, setEntry(input, "ex_metadataHash", 1, 5n), /ExitStep/);
      await expectNoWitness(B, setEntry(input, "ex_destinationNetwork", 1, 2n), /ExitStep/);
      // and counts beyond the capacity
      await expectNoWitness(B, { ...input, importCount: 3n }, /IsActivePrefix/);
    });

    it("EXIT_TREE_FULL: 254 exits so far, one more proves, two more have no witness", async () => {
      const s = genesis.clone();
      for (let i = 0; i < 254; i++) s.exitTree.append(BigInt(i + 1));
      await proves(B, s, build(s, 0n, [], [assetLeaf(mine, 2, user, 1n)]), SHAPE_B);
      const exits = [assetLeaf(mine, 2, user, 1n), assetLeaf(mine, 2, user, 2n)];
      expect(() => build(s, 0n, [], exits)).to.throw(/EXIT_TREE_FULL/);
      await expectNoWitness(B, forgeInput(s, { imports: [], exits }, SHAPE_B), /Num2Bits.*\n.*ExitTreeAppend/);
      expect(hashExitLeaf(exits[0])).to.not.equal(0n);
    });

    it("constraint count", () => {
      expect(B.constraintCount()).to.equal(36800);
    });
  });
});
