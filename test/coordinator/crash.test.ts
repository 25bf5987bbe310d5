/**
 * Crash recovery: the coordinator process is killed with SIGKILL while an epoch is being proved, and again right
 * after the settlement transaction was sent. After each restart every acknowledged certificate is still there,
 * and in the end each is finalized exactly once (one settlement on L1). A final SIGTERM stops it cleanly.
 */
import { expect } from "chai";
import { ProverPool } from "../../zk/prover/pool";
import { terminateCurves } from "../../zk/groth16";
import { startTestL1, TestL1, TestChains, RpcClient, testConfig, tempStorePath, waitFor, hex } from "./helpers/layer";
import { CoordinatorProcess } from "./helpers/process";
import type { BuiltCertificate } from "../../lib";
import type { CoordinatorConfig } from "../../coordinator/config";

describe("coordinator crash recovery (SIGKILL during proving and after sending the settlement)", function () {
  this.timeout(20 * 60_000);
  let l1: TestL1;
  let pool: ProverPool;
  let proc: CoordinatorProcess | null = null;
  let config: CoordinatorConfig;
  const acked: BuiltCertificate[] = [];

  before(async function () {
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }, { networkId: 2, policyFlags: 0 }]);
    config = testConfig(l1, { store: tempStorePath("crash") }, { proving: { workers: 1, backup: { enabled: false } } });
    pool = new ProverPool({ workers: 1 });
  });

  after(async function () {
    await proc?.kill("SIGKILL");
    await pool?.close();
    await l1?.stop();
    await terminateCurves();
  });

  const rpc = () => new RpcClient(proc!.url);
  const statusOf = async (b: BuiltCertificate) => (await rpc().call<{ status: string }>("getCertificate", { certificateId: hex(b.certificateId) })).status;

  it("acknowledges and confirms certificates of two chains (chain 2 imports chain 1's exit)", async function () {
    proc = await CoordinatorProcess.start(config);
    const chains = new TestChains(l1);
    const deposit = await chains.depositFromL1(1, 10n ** 18n);
    const a0 = chains.certify(1, { imports: [deposit], exits: [{ ...deposit.leaf, destinationNetwork: 2, amount: 4n * 10n ** 17n }] });
    const b0 = chains.certify(2, { imports: [chains.world.importFrom(a0, 0)] });
    for (const b of [a0, b0]) {
      expect((await rpc().call<{ status: string }>("submitCertificate", { certificate: await chains.signedJson(b) })).status).to.equal("PreConfirmed");
      acked.push(b);
    }
    for (const b of [a0, b0]) await rpc().call("submitProof", await chains.prove(pool, b));
    for (const b of acked) expect(await statusOf(b)).to.equal("Confirmed");
  });

  it("SIGKILL while the epoch is being proved: after the restart the epoch is proved again", async function () {
    await rpc().call("admin_triggerEpoch");
    await proc!.waitLog((l) => l.msg === "proving epoch");
    const exit = await proc!.kill("SIGKILL");
    expect(exit.signal).to.equal("SIGKILL");
    proc = await CoordinatorProcess.start(config);
    for (const b of acked) expect(["InEpoch", "Settling"]).to.include(await statusOf(b));
    await proc.waitLog((l) => l.msg === "proving epoch");
  });

  it("SIGKILL right after the settlement is sent: after the restart it is followed, not sent again", async function () {
    const sent = await proc!.waitLog((l) => l.msg === "settlement sent");
    await proc!.kill("SIGKILL");
    proc = await CoordinatorProcess.start(config);
    await waitFor("the settlement mined", async () => (await l1.layer.hub.epoch()) === 1n, 120_000);
    await l1.provider.send("evm_mine", []);
    for (const b of acked) await waitFor(`${b.certificate.networkId}/${b.certificate.height} Finalized`, async () => (await statusOf(b)) === "Finalized");
    expect(await l1.layer.hub.epoch()).to.equal(1n, "exactly one settlement on L1");
    for (const b of acked) {
      const events = (await l1.layer.hub.queryFilter(l1.layer.hub.filters.CertificateFinalized(b.certificate.networkId))).filter((e) => e.args.certificateId === b.certificateId);
      expect(events.length).to.equal(1);
      expect(events[0].transactionHash).to.equal(sent.tx);
    }
  });

  it("SIGTERM stops it gracefully (exit code 0) and a restart still has every acknowledged certificate", async function () {
    const exit = await proc!.kill("SIGTERM");
    expect(exit.code).to.equal(0);
    expect(proc!.lines.some((l) => l.msg === "stopped")).to.equal(true);
    proc = await CoordinatorProcess.start(config);
    for (const b of acked) expect(await statusOf(b)).to.equal("Finalized");
    expect((await proc.kill("SIGTERM")).code).to.equal(0);
    proc = null;
  });
});
