/**
 * contracts/settlement/BatchSettlement.sol through contracts/test/BatchSettlementHarness.sol, with REAL
 * certificate_test proofs (7 + 3 D + 2 B public signals: lib/settlement.ts certificatePublicSignals) verified by the generated
 * CertificateTestBatchVerifier in one pairing check per batch.
 *
 * The model (lib/certificate-builder.ts) builds a ring of transfers over networks A, B, C: every certificate imports
 * the previous one's exit (so it depends on it), exits 100 to the next network; A's first certificate and one of C's
 * import L1 deposits instead (checkpoints 0 and 1); two certificates carry the legs of a bundle. Batches of 1, 2,
 * 4, 8, 16 certificates settle it (two certificates of one network in one batch, dependencies in the batch and on
 * earlier batches' leaves), then every refusal is shown with its typed error, and the gas is printed as a table
 * (also `npm run gas:settle`). Needs the certificate_test circuit (`npm run build:circuits -- --skip-production`).
 * Proofs take about a second each (test/helpers/proven-certificates.ts): they are cached in the OS temp directory under the zkey's hash and the
 * certificate id, and verified on chain on every run.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { HDNodeWallet, Wallet, ZeroHash } from "ethers";
import { DEVNET_PARAMS, BundleLeg, ImportedExit, genesisStateCommitment, signRejection, tipOf } from "../../lib";
import { terminateCurves } from "../../zk/groth16";
import { assetExit } from "../helpers/world";
import {
  BatchBuilder, Cert, CertificateModel, Locator, M, Q, R, STATEMENT, Settlement, exitRootOf, heightOf, idOf, netOf, proveAll,
} from "../helpers/proven-certificates";

/** Index of the first bundle leg's id among one proof's public signals (lib/settlement.ts: after 7 + 3 D). */
const LEG0 = 7 + 3 * STATEMENT.maxDependencies;
import { BatchSettlementHarness, CertificateTestBatchVerifier } from "../../typechain-types";

const P = DEVNET_PARAMS;
const [A, B, C] = [1, 2, 3];
const BUNDLE = 0xb0bn;
const fmt = (x: bigint | number) => BigInt(Math.round(Number(x))).toLocaleString("en-US");

describe("BatchSettlement: S certificates in one L1 transaction, real certificate_test proofs", function () {
  this.timeout(1_800_000);
  const model = new CertificateModel();
  const sequencers = new Map([A, B, C].map((n) => [n, Wallet.createRandom()]));
  const layer = Wallet.createRandom();
  const stranger = Wallet.createRandom();
  let verifier: CertificateTestBatchVerifier;
  let hub: BatchSettlementHarness;
  let domain: { chainId: bigint; verifyingContract: string };
  const r: Cert[] = []; // the ring
  const x: Record<string, Cert> = {}; // forks for the attacks
  let batches: BatchBuilder;
  /** Settled certificates by id (where their leaf is) and each settlement's gas: the builder's. */
  let settled: Map<bigint, Locator>;
  let gas: BatchBuilder["gas"];
  const signatureOf = (c: Cert, signer?: HDNodeWallet) => batches.signatureOf(c, signer);
  const settlement = (certs: Cert[]): Promise<Settlement> => batches.settlement(certs);
  const settle = (name: string, certs: Cert[], s?: Settlement) => batches.settle(hub, name, certs, s);

  const range = (from: number, to: number) => r.slice(from, to + 1);

  before(async () => {
    // The ring: r[n] of network A, B, C, A, ... imports r[n - 1]'s exit and exits 100 to the next network.
    const net = (n: number) => [A, B, C][n % 3];
    for (let n = 0; n <= 34; n++) {
      let imports: ImportedExit[];
      if (n === 0) imports = [model.depositFromL1(A, 1000n)]; // checkpoint 0
      else if (n === 17) imports = [model.depositFromL1(C, 500n)]; // checkpoint 1
      else imports = [model.importFrom(r[n - 1], r[n - 1].exits.length - 1)];
      const bundles: BundleLeg[] = n === 9 || n === 10 ? [{ bundleId: BUNDLE, legIndex: n - 9, legCount: 2, success: true, participants: [A, B] }] : [];
      r.push(model.build(`r${n}`, net(n), { imports, exits: [assetExit(net(n + 1), 100n)], bundles }));
    }
    // Forks (A's certificates: r0 h0, r3 h1, r6 h2, r9 h3, r12 h4, ...; B's: r1 h0, r4 h1, r7 h2, r10 h3, ...).
    x.stale = model.build("stale", A, {}, { after: r[3], height: 3n }); // height 3 from the state after height 1
    const a2e = model.build("a2e", A, { exits: [assetExit(B, 100n)], root: 0xe9 }, { after: r[3], height: 2n }); // A equivocates at height 2
    x.b2e = model.build("b2e", B, { imports: [model.importFrom(a2e, 2)] }, { after: r[4], height: 2n });
    x.b2x = model.build("b2x", B, { imports: [model.importFrom(r[6], 2, r[9])] }, { after: r[4], height: 2n }); // names r6, proves against r9's root
    x.failed = model.build("failed", B, { bundles: [{ bundleId: 0xdeadn, legIndex: 1, legCount: 2, success: false, participants: [A, B] }] }, { after: r[4], height: 2n });
    // B's leg 1 of the same bundle, naming three participants and three legs where A's leg 0 names two
    x.mismatch = model.build("mismatch", B, { bundles: [{ bundleId: BUNDLE, legIndex: 1, legCount: 3, success: true, participants: [A, B, C] }] }, { after: r[7], height: 3n });
    x.a4dup = model.build("a4dup", A, { bundles: [{ bundleId: BUNDLE, legIndex: 0, legCount: 2, success: true, participants: [A, B] }] }, { after: r[9], height: 4n });
    x.rev = model.build("rev", A, { revision: 1 }, { after: r[33], height: heightOf(r[33]) + 1n });
    const proving = [...r, x.stale, x.b2e, x.b2x, x.failed, x.mismatch, x.a4dup, x.rev];
    await proveAll(proving);

    verifier = await ethers.deployContract("CertificateTestBatchVerifier");
    hub = await ethers.deployContract("BatchSettlementHarness", [await verifier.getAddress(), genesisStateCommitment(P), STATEMENT.maxDependencies, STATEMENT.maxBundles, layer.address]);
    domain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
    batches = new BatchBuilder(sequencers, domain);
    ({ settled, gas } = batches);
    for (const n of [A, B, C]) await (await hub.registerNetwork(n, sequencers.get(n)!.address)).wait();
    await (await hub.setCheckpoint(0, model.checkpoints[0])).wait();
  });
  after(async () => {
    await terminateCurves();
  });

  describe("construction and registration", () => {
    it("public signals per proof = 7 + 3 D + 2 B = the verifier's; genesis tips; a verifier of another shape is refused", async () => {
      expect(await hub.publicSignalsPerProof()).to.equal(BigInt(M));
      expect(await hub.genesisStateCommitment()).to.equal(genesisStateCommitment(P));
      for (const n of [A, B, C]) expect(await hub.tip(n)).to.equal(tipOf(genesisStateCommitment(P), 0n)); // the model's tip
      expect(await hub.tip(0)).to.equal(ZeroHash);
      const factory = await ethers.getContractFactory("BatchSettlementHarness");
      await expect(factory.deploy(await verifier.getAddress(), 1n, 8, 2, layer.address)).to.be.revertedWithCustomError(hub, "VerifierShapeMismatch").withArgs(35, M);
      await expect(factory.deploy(layer.address, 1n, 1, 1, layer.address)).to.be.revertedWithCustomError(hub, "VerifierNotAContract");
      await expect(hub.registerNetwork(A, layer.address)).to.be.revertedWithCustomError(hub, "NetworkAlreadyRegistered");
    });
  });

  describe("settlement, attacks and gas (one hub, in order)", () => {
    it("a batch of 1: A's first certificate, an L1 deposit imported against checkpoint 0", async () => {
      expect(r[0].signals[5]).to.equal(0n);
      expect(r[0].signals[6]).to.equal(model.checkpoints[0]);
      await settle("A h0", [r[0]]);
    });

    it("a batch of 2: B depends on A's certificate of batch 1 (a leaf, no siblings), C on B's in the batch", async () => {
      const s = await settlement(range(1, 2));
      expect(s.slots[0].dependencies).to.deep.equal([{ ...settled.get(idOf(r[0]))! }]);
      expect(s.slots[1].dependencies[0].batchId).to.equal(0n);
      await settle("B h0, C h0", range(1, 2), s);
    });

    it("a batch of 4: two certificates of A, a dependency on batch 2's second leaf, three in the batch", async () => {
      await settle("A h1, B h1, C h1, A h2", range(3, 6));
    });

    it("a height gap: A's height 4 while its tip is at 3: StaleTip", async () => {
      await expect(hub.settleBatch(await settlement([r[12]]))).to.be.revertedWithCustomError(hub, "StaleTip");
    });

    it("a stale state: A's height 3 built on its state after height 1 (wrong prevStateCommitment): StaleTip", async () => {
      const s = await settlement([x.stale]);
      const expected = await hub.tip(A);
      const given = await hub.tipOf(x.stale.built.certificate.prevStateCommitment, 3);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "StaleTip").withArgs(A, 3, expected, given);
    });

    it("a replayed certificate: batch 1 again, batch 3 again, one certificate twice in a batch: StaleTip", async () => {
      await expect(hub.settleBatch(await settlement([r[0]]))).to.be.revertedWithCustomError(hub, "StaleTip");
      await expect(hub.settleBatch(await settlement(range(3, 6)))).to.be.revertedWithCustomError(hub, "StaleTip");
      const twice = await settlement([r[7], r[7]]);
      await expect(hub.settleBatch(twice)).to.be.revertedWithCustomError(hub, "StaleTip").withArgs(B, 2, await hub.tipOf(r[7].built.certificate.newStateCommitment, 3), await hub.tipOf(r[7].built.certificate.prevStateCommitment, 2));
    });

    it("a dependency neither in the batch nor finalized: DependencyNotFound (in-batch locator, or a settled leaf that is another)", async () => {
      // C's height 2 depends on B's height 2, not settled
      const s = await settlement([r[8]]);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "DependencyNotFound").withArgs(0, B, 2, idOf(r[7]));
      s.slots[0].dependencies = [settled.get(idOf(r[6]))!];
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "DependencyNotFound").withArgs(0, B, 2, idOf(r[7]));
      // an in-batch locator naming a slot that is not the dependency, or the slot itself
      const t = await settlement([r[7], r[8]]);
      t.slots[1].dependencies = [{ batchId: 0n, index: 1n, exitRoot: 0n, siblings: [] }];
      await expect(hub.settleBatch(t)).to.be.revertedWithCustomError(hub, "DependencyNotFound").withArgs(1, B, 2, idOf(r[7]));
      t.slots[1].dependencies = [{ batchId: 0n, index: 5n, exitRoot: 0n, siblings: [] }];
      await expect(hub.settleBatch(t)).to.be.revertedWithCustomError(hub, "DependencyNotFound");
      // a leaf of an unknown batch, a leaf with its index moved by 2^depth
      const leaf = settled.get(idOf(r[6]))!;
      const u = await settlement([r[7]]);
      u.slots[0].dependencies = [{ ...leaf, batchId: 99n }];
      await expect(hub.settleBatch(u)).to.be.revertedWithCustomError(hub, "DependencyNotFound");
      u.slots[0].dependencies = [{ ...leaf, index: leaf.index + 4n }];
      await expect(hub.settleBatch(u)).to.be.revertedWithCustomError(hub, "DependencyNotFound");
      // a leaf with another exit root
      u.slots[0].dependencies = [{ ...leaf, exitRoot: leaf.exitRoot + 1n }];
      await expect(hub.settleBatch(u)).to.be.revertedWithCustomError(hub, "DependencyNotFound");
    });

    it("a dependency naming a certificate id that was not settled at that height (A equivocated at height 2): DependencyNotFound", async () => {
      const s = await settlement([x.b2e]);
      const dep = x.b2e.built.certificate.dependencies[0];
      expect(dep.networkId).to.equal(A);
      expect(dep.height).to.equal(2n);
      expect(dep.certificateId).to.not.equal(idOf(r[6]));
      s.slots[0].dependencies = [settled.get(idOf(r[6]))!]; // the leaf of the certificate A did settle at height 2
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "DependencyNotFound").withArgs(0, A, 2, dep.certificateId);
    });

    it("a stated exit root other than the dependency's (imports proven against A's later root): DependencyExitRootMismatch", async () => {
      const s = await settlement([x.b2x]);
      expect(x.b2x.signals[9]).to.equal(exitRootOf(r[9]));
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "DependencyExitRootMismatch").withArgs(0, A, 2, exitRootOf(r[6]), exitRootOf(r[9]));
    });

    it("a missing or extra locator: LocatorCountMismatch", async () => {
      const s = await settlement([r[7]]);
      s.slots[0].dependencies = [];
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "LocatorCountMismatch").withArgs(0, 1, 0);
      s.slots[0].dependencies = [settled.get(idOf(r[6]))!, settled.get(idOf(r[6]))!];
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "LocatorCountMismatch").withArgs(0, 1, 2);
    });

    it("bundles: a failed leg (BundleLegFailed), a bundle without its other leg (IncompleteBundle), a leg twice (DuplicateBundleLeg), legs that disagree (BundleMismatch)", async () => {
      await expect(hub.settleBatch(await settlement([x.failed]))).to.be.revertedWithCustomError(hub, "BundleLegFailed").withArgs(0xdeadn, 1);
      await expect(hub.settleBatch(await settlement(range(7, 9)))).to.be.revertedWithCustomError(hub, "IncompleteBundle").withArgs(BUNDLE, 2);
      await expect(hub.settleBatch(await settlement([...range(7, 11), x.a4dup]))).to.be.revertedWithCustomError(hub, "DuplicateBundleLeg").withArgs(BUNDLE, 0);
      // legs of one bundle that disagree on its legs (count or participants)
      await expect(hub.settleBatch(await settlement([...range(7, 9), x.mismatch]))).to.be.revertedWithCustomError(hub, "BundleMismatch").withArgs(BUNDLE);
    });

    it("a wrong or missing signature: InvalidSequencerSignature (another key, empty, another certificate's, malleated s)", async () => {
      const certs = range(7, 14);
      const s = await settlement(certs);
      const bad = [await signatureOf(certs[3], stranger), "0x", await signatureOf(certs[0]), await signatureOf(certs[3], sequencers.get(A)!)];
      // high-s form of a valid signature: s' = n - s, v flipped
      const sig = ethers.Signature.from(s.slots[3].signature);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      bad.push(ethers.concat([sig.r, ethers.toBeHex(n - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]));
      for (const b of bad) {
        const t = { ...s, slots: s.slots.map((x, i) => (i === 3 ? { ...x, signature: b } : x)) };
        await expect(hub.settleBatch(t)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(netOf(certs[3]), heightOf(certs[3]));
      }
    });

    it("an inactive (ejected) network: NetworkNotActive", async () => {
      await (await hub.setActive(C, false)).wait();
      await expect(hub.settleBatch(await settlement(range(7, 14)))).to.be.revertedWithCustomError(hub, "NetworkNotActive").withArgs(C);
      await (await hub.setActive(C, true)).wait();
    });

    it("one bad proof among good ones, a proof reused in another slot, proofs swapped: InvalidProof", async () => {
      const s = await settlement(range(7, 14));
      const negA = s.proofs[5].map((w, k) => (k === 1 ? Q - w : w));
      await expect(hub.settleBatch({ ...s, proofs: s.proofs.map((p, i) => (i === 5 ? negA : p)) })).to.be.revertedWithCustomError(hub, "InvalidProof");
      await expect(hub.settleBatch({ ...s, proofs: s.proofs.map((p, i) => (i === 1 ? s.proofs[0] : p)) })).to.be.revertedWithCustomError(hub, "InvalidProof");
      const swapped = [...s.proofs];
      [swapped[6], swapped[7]] = [swapped[7], swapped[6]];
      await expect(hub.settleBatch({ ...s, proofs: swapped })).to.be.revertedWithCustomError(hub, "InvalidProof");
    });

    it("a public signal changed (a new state, a new exit root, a padded entry): InvalidProof; >= r: the verifier's PublicInputNotInField; shapes", async () => {
      const s = await settlement(range(7, 14));
      const last = 7 * M;
      // the last slot's new state and new exit root (no check reads them before the proof), the first slot's padded
      // bundle leg id and its checkpoint number (it states no checkpoint: root 0)
      for (const k of [last + 3, last + 4, LEG0, 5]) {
        const changed = s.publicSignals.map((v, i) => (i === k ? v + 1n : v));
        await expect(hub.settleBatch({ ...s, publicSignals: changed }), `signal ${k}`).to.be.revertedWithCustomError(hub, "InvalidProof");
      }
      // a signal congruent to the real one (x + r): the batched verifier refuses it, whatever the hub's checks
      // compared before (here nothing reads the last slot's exit root before the proof)
      const big = s.publicSignals.map((v, i) => (i === last + 4 ? v + R : v));
      await expect(hub.settleBatch({ ...s, publicSignals: big })).to.be.revertedWithCustomError(verifier, "PublicInputNotInField").withArgs(last + 4, big[last + 4]);
      // the first slot's state, read by the tip check before the proof: refused there (StaleTip), nothing changes
      const bigState = s.publicSignals.map((v, i) => (i === 2 ? v + R : v));
      await expect(hub.settleBatch({ ...s, publicSignals: bigState })).to.be.revertedWithCustomError(hub, "StaleTip");
      await expect(hub.settleBatch({ ...s, proofs: s.proofs.slice(1) })).to.be.revertedWithCustomError(hub, "SettlementShapeMismatch").withArgs(8, 7, 8 * M);
      await expect(hub.settleBatch({ ...s, publicSignals: s.publicSignals.slice(1) })).to.be.revertedWithCustomError(hub, "SettlementShapeMismatch").withArgs(8, 8, 8 * M - 1);
      await expect(hub.settleBatch({ proofs: [], publicSignals: [], slots: [] })).to.be.revertedWithCustomError(hub, "EmptySettlement");
    });

    it("a batch of 8 with a bundle (A's and B's legs), every dependency in the batch but the first", async () => {
      expect(r[9].signals[LEG0]).to.equal(BUNDLE);
      expect(r[10].signals[LEG0]).to.equal(BUNDLE);
      await settle("8 certificates (a bundle)", range(7, 14));
    });

    it("an L1 checkpoint L1 does not have (UnknownCheckpoint) or whose root is another (CheckpointMismatch)", async () => {
      const s = await settlement([r[17]]);
      expect(r[17].signals[5]).to.equal(1n);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "UnknownCheckpoint").withArgs(1);
      await (await hub.setCheckpoint(1, model.checkpoints[0])).wait();
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "CheckpointMismatch").withArgs(1, model.checkpoints[0], model.checkpoints[1]);
      await (await hub.setCheckpoint(1, model.checkpoints[1])).wait();
    });

    it("independence: C settles between the building of a batch of A and B and its submission; the A + B batch still settles", async () => {
      const ab = await settlement(range(15, 16));
      const rootBefore = await hub.batchCount();
      await settle("C h5 (L1 deposit, checkpoint 1)", [r[17]]);
      expect(await hub.batchCount()).to.equal(rootBefore + 1n);
      await settle("A h5, B h5 (built before C's batch)", range(15, 16), ab);
    });

    it("a batch of 16: A, B and C five or six times each, the first depending on C's batch", async () => {
      await settle("16 certificates", range(18, 33));
    });

    it("a batch of 1: B's next certificate, depending on a leaf of the batch of 16 (4 siblings)", async () => {
      const s = await settlement([r[34]]);
      expect(s.slots[0].dependencies[0].siblings).to.have.length(4);
      await settle("B h11", [r[34]], s);
    });

    it("registerExitRoot: anyone turns a settled leaf into an exit-root entry for the L1 bridge, idempotently", async () => {
      const c = r[20];
      const leaf = settled.get(idOf(c))!;
      const [anyone] = await ethers.getSigners();
      const entryId = (leaf.batchId << 32n) | leaf.index;
      expect(await hub.exitRootEntryId(leaf.batchId, leaf.index)).to.equal(entryId);
      await expect(hub.exitRootOf(entryId)).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(entryId);
      const args: [bigint, bigint, number, bigint, bigint, bigint, string[]] = [leaf.batchId, leaf.index, netOf(c), heightOf(c), idOf(c), exitRootOf(c), leaf.siblings];
      await expect(hub.connect(anyone).registerExitRoot(...args)).to.emit(hub, "ExitRootRegistered").withArgs(entryId, netOf(c), heightOf(c), idOf(c), exitRootOf(c));
      expect([...(await hub.exitRootOf(entryId))]).to.deep.equal([BigInt(netOf(c)), exitRootOf(c)]);
      expect(await hub.registerExitRoot.staticCall(...args)).to.equal(entryId);
      await expect(hub.registerExitRoot(...args)).to.not.emit(hub, "ExitRootRegistered");
      await expect(hub.registerExitRoot(leaf.batchId, leaf.index, netOf(c), heightOf(c), idOf(c), exitRootOf(c) + 1n, leaf.siblings)).to.be.revertedWithCustomError(hub, "UnknownLeaf").withArgs(leaf.batchId, leaf.index);
      await expect(hub.registerExitRoot(leaf.batchId, leaf.index + 16n, netOf(c), heightOf(c), idOf(c), exitRootOf(c), leaf.siblings)).to.be.revertedWithCustomError(hub, "UnknownLeaf");
      await expect(hub.registerExitRoot(leaf.batchId + 1n, leaf.index, netOf(c), heightOf(c), idOf(c), exitRootOf(c), leaf.siblings)).to.be.revertedWithCustomError(hub, "UnknownLeaf");
    });

    it("revision 1 of A's next height: UnlicensedRevision without the layer's rejection of revision 0 (or with another key's); settles with it", async () => {
      expect(x.rev.signals[1] >> 96n).to.equal(1n);
      const s = await settlement([x.rev]);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(A, heightOf(x.rev), 1);
      const h = { networkId: A, height: heightOf(x.rev), revision: 0 };
      for (const licence of [await signRejection(stranger, domain, h), await signRejection(layer, domain, { ...h, revision: 1 })]) {
        s.slots[0].licence = licence;
        await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "UnlicensedRevision");
      }
      s.slots[0].licence = await signRejection(layer, domain, h);
      await settle("A revision 1 (licensed)", [x.rev], s);
    });

    it("gas: prints settleBatch gas per certificate for S = 1, 2, 4, 8, 16 real proofs", async () => {
      console.log(`\n      settleBatch (BatchSettlementHarness, CertificateTestBatchVerifier: m = ${M} public signals), tx gasUsed:`);
      console.log("      | batch | S | gasUsed | per certificate |");
      console.log("      |---|---:|---:|---:|");
      for (const g of gas) console.log(`      | ${g.name} | ${g.count} | ${fmt(g.gasUsed)} | ${fmt(g.gasUsed / BigInt(g.count))} |`);
      const s16 = gas.find((g) => g.count === 16)!;
      const s1 = gas.find((g) => g.name === "B h11")!;
      const marginal = (s16.gasUsed - gas.find((g) => g.count === 8)!.gasUsed) / 8n;
      console.log(`      marginal certificate (S 8 -> 16): ${fmt(marginal)} gas; fixed part per batch: ${fmt(s16.gasUsed - 16n * marginal)} gas (S = 1, a typical certificate: ${fmt(s1.gasUsed)})`);
      expect(s16.gasUsed / 16n).to.be.at.most(110_000n);
    });
  });
});
