/**
 * settleBatch gas at the PRODUCTION shape, with real proofs (opt-in: `npm run gas:prod`, which builds
 * certificate_prod, about 6 min cold, generates its batch key contract from the cached DEVELOPMENT key, and runs
 * this file with ZK_PROD_GAS=1; each production proof takes about 40 s on 2 cores, cached in the OS temp directory).
 *
 * Two hubs, each with its bound L1 UnifiedBridge and networks A, B, C, settle the same sequence of typical
 * certificates (each imports one exit of another network, one dependency with its exit root stated, and makes one
 * exit): a first batch of 1 (A imports a real L1 deposit; it also pays the batch counter's first write, not
 * reported), then batches of 16, 8, 4 and 1, each one's first certificate depending on a leaf of the batch before
 * (a Merkle proof in calldata), the others on the previous slot.
 *
 *  - production: certificate_prod proofs (PRODUCTION_PARAMS; 8 dependencies and 2 bundle legs: m = 35 public
 *    signals per proof), verified by CertificateProdBatchVerifier;
 *  - baseline, in the same run: certificate_test proofs (DEVNET_PARAMS, m = 21), CertificateTestBatchVerifier.
 *
 * It prints both tables side by side and fails if the production shape costs more than 110k per certificate at
 * S = 16. A changed public signal under the production key is refused (InvalidProof) and changes nothing.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { HDNodeWallet, Wallet, ZeroAddress, toBeHex } from "ethers";
import { DEVNET_PARAMS, ImportedExit, PRODUCTION_PARAMS, TreeParams, genesisStateCommitment } from "../../lib";
import { ExitTreeMirror } from "../../chain/exit-tree-mirror";
import { terminateCurves } from "../../zk/groth16";
import { bridgeFactory, deployPoseidonLibraries } from "../../deploy/bridge-stack";
import { assetExit } from "../helpers/world";
import { BatchBuilder, Cert, CertificateModel, proveAll } from "../helpers/proven-certificates";
import { SettlementHub__factory } from "../../typechain-types";
import type { SettlementHub } from "../../typechain-types";

const RUN = process.env.ZK_PROD_GAS === "1";
const [A, B, C] = [1, 2, 3];
/** The batches after the first, in order: their sizes. */
const SIZES = [16, 8, 4, 1];
const fmt = (x: bigint) => x.toLocaleString("en-US");

interface Measured {
  label: string;
  m: number;
  rows: { count: number; gasUsed: bigint }[];
}

/** One hub with its L1 bridge, settling the typical sequence of `instance`'s certificates. */
class Run {
  readonly model: CertificateModel;
  readonly sequencers = new Map([A, B, C].map((n) => [n, Wallet.createRandom() as HDNodeWallet]));
  readonly layer = Wallet.createRandom();
  hub!: SettlementHub;
  built!: BatchBuilder;
  first!: Cert;
  readonly ring: Cert[] = [];

  constructor(readonly label: string, readonly instance: string, readonly verifierName: string, readonly params: TreeParams) {
    this.model = new CertificateModel(instance, params);
  }

  async deploy(): Promise<void> {
    const [deployer, alice] = await ethers.getSigners();
    const verifier = await ethers.deployContract(this.verifierName);
    const P = this.params;
    const parameters = {
      certificateVerifier: await verifier.getAddress(), genesisStateCommitment: genesisStateCommitment(P),
      maxDependencies: BigInt(this.model.statement.maxDependencies), maxBundles: BigInt(this.model.statement.maxBundles),
    };
    this.hub = await new SettlementHub__factory(deployer).deploy(deployer.address, P.networkBits, this.layer.address, parameters);
    expect(await this.hub.publicSignalsPerProof()).to.equal(BigInt(this.model.signalsPerProof));
    const libs = await deployPoseidonLibraries(deployer);
    const bridge = await bridgeFactory(deployer, libs).deploy(0, P.exitDepth, await this.hub.getAddress());
    await (await this.hub.bindL1Bridge(await bridge.getAddress())).wait();
    for (const n of [A, B, C]) await (await this.hub.registerNetwork(n, this.sequencers.get(n)!.address, 0)).wait();
    // A real ETH deposit on L1 to A, mirrored from the bridge's events and checkpointed: checkpoint 0.
    const mirror = new ExitTreeMirror(P.exitDepth);
    const rc = await (await bridge.connect(alice).bridgeAsset(A, toBeHex(0xb0b, 20), 1000n, ZeroAddress, { value: 1000n })).wait();
    mirror.ingest(bridge.interface, rc!.logs);
    await (await bridge.checkpointExitRoot()).wait();
    const deposit: ImportedExit = { leaf: mirror.exits[0].leaf, leafIndex: 0, source: { networkId: 0, height: 0n, certificateId: 0n }, sourceExitRoot: mirror.root(), siblings: mirror.proof(0).siblings };
    this.built = new BatchBuilder(this.sequencers, { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await this.hub.getAddress() });

    // A h0 imports the deposit and exits 100 to B; then a ring B, C, A, B, ... each importing the previous exit.
    this.first = this.model.build(`${this.label} a0`, A, { imports: [deposit], exits: [assetExit(B, 100n)] });
    let prev = this.first;
    const total = SIZES.reduce((a, b) => a + b, 0);
    for (let k = 0; k < total; k++) {
      const n = [B, C, A][k % 3];
      const g = this.model.build(`${this.label} g${k}`, n, { imports: [this.model.importFrom(prev, prev.exits.length - 1)], exits: [assetExit([C, A, B][k % 3], 100n)] });
      this.ring.push(g);
      prev = g;
    }
  }

  async prove(): Promise<void> {
    const all = [this.first, ...this.ring];
    const t0 = Date.now();
    await proveAll(all, (done, total, ms) => console.log(`      ${this.instance}: proof ${done}/${total} in ${(ms / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000).toFixed(0)} s so far)`));
  }

  /** Settles the first batch (A's import of the deposit), whose gas is not reported. */
  async settleFirst(): Promise<void> {
    await this.built.settle(this.hub, "first", [this.first]);
    this.built.gas.length = 0;
  }

  /** Settles the measured batches after the first; returns their gas. */
  async settle(): Promise<Measured> {
    let at = 0;
    for (const size of SIZES) {
      const certs = this.ring.slice(at, at + size);
      const s = await this.built.settlement(certs);
      // the first slot depends on a leaf of the batch before, with its Merkle proof
      expect(s.slots[0].dependencies[0].batchId).to.equal(await this.hub.batchCount());
      await this.built.settle(this.hub, `S = ${size}`, certs, s);
      at += size;
    }
    return { label: this.label, m: this.model.signalsPerProof, rows: this.built.gas.map(({ count, gasUsed }) => ({ count, gasUsed })) };
  }
}

if (RUN) {
  describe("SettlementHub: settleBatch gas at the production shape, real certificate_prod proofs (ZK_PROD_GAS=1)", function () {
    this.timeout(4 * 3_600_000);
    const production = new Run("production", "certificate_prod", "CertificateProdBatchVerifier", PRODUCTION_PARAMS);
    const baseline = new Run("devnet", "certificate_test", "CertificateTestBatchVerifier", DEVNET_PARAMS);
    const measured: Measured[] = [];

    before(async () => {
      await production.deploy();
      await baseline.deploy();
      await baseline.prove();
      await production.prove();
    });
    after(async () => {
      await terminateCurves();
    });

    it("a changed public signal under the production key is refused (InvalidProof) and changes nothing", async () => {
      await production.settleFirst();
      const s = await production.built.settlement(production.ring.slice(0, 1));
      const lying = [...s.publicSignals];
      lying[4] += 1n; // the slot's new local exit root (no other slot of the batch depends on it)
      const before = await production.hub.batchCount();
      await expect(production.hub.settleBatch({ ...s, publicSignals: lying })).to.be.revertedWithCustomError(production.hub, "InvalidProof");
      expect(await production.hub.batchCount()).to.equal(before);
    });

    it("the verification alone: verifyBatch of the 16 proofs the hub settles next, each shape", async () => {
      for (const r of [production, baseline]) {
        const certs = r.ring.slice(0, 16);
        const verifier = await ethers.getContractAt(r.verifierName, await r.hub.certificateVerifier());
        const proofs = certs.map((c) => c.proof);
        const signals = certs.flatMap((c) => c.signals);
        expect(await verifier.verifyBatch(proofs, signals)).to.equal(true);
        const gas = await ethers.provider.estimateGas({ to: await verifier.getAddress(), data: verifier.interface.encodeFunctionData("verifyBatch", [proofs, signals]) });
        const zeros = signals.filter((x) => x === 0n).length;
        console.log(`      ${r.label} (m = ${r.model.signalsPerProof}, ${zeros} of ${signals.length} signals zero): verifyBatch of 16 as a transaction ${fmt(gas)} gas (${fmt(gas / 16n)} per proof)`);
      }
    });

    it("the production shape and the devnet shape settle the same sequence: S = 16, 8, 4, 1", async () => {
      // the production hub's first batch settled in the test before
      measured.push(await production.settle());
      await baseline.settleFirst();
      measured.push(await baseline.settle());
      const [p, d] = measured;
      console.log(`\n      settleBatch through SettlementHub, tx gasUsed (real proofs; typical certificates):`);
      console.log(`      | S | ${p.label} (m = ${p.m}) | per certificate | ${d.label} (m = ${d.m}) | per certificate |`);
      console.log(`      |---:|---:|---:|---:|---:|`);
      for (const [i, row] of p.rows.entries()) {
        const b = d.rows[i];
        expect(b.count).to.equal(row.count);
        const n = BigInt(row.count);
        console.log(`      | ${row.count} | ${fmt(row.gasUsed)} | ${fmt(row.gasUsed / n)} | ${fmt(b.gasUsed)} | ${fmt(b.gasUsed / n)} |`);
      }
      const s16 = p.rows.find((r) => r.count === 16)!;
      const s8 = p.rows.find((r) => r.count === 8)!;
      console.log(`      production marginal certificate (S = 8 to 16): ${fmt((s16.gasUsed - s8.gasUsed) / 8n)}; fixed part ${fmt(2n * s8.gasUsed - s16.gasUsed)}`);
      expect(s16.gasUsed / 16n).to.be.at.most(110_000n);
    });
  });
}
