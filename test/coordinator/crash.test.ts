/**
 * Crash recovery: the coordinator process is killed with SIGKILL right after a batch's
 * settlement transaction was sent (not yet mined: L1 mines on demand here), and again after it was mined but before
 * L1's events were applied. After each restart every acknowledged certificate is still there, the batch in flight is
 * followed and never built or sent again, and in the end each certificate is finalized exactly once (one batch on
 * L1, in the transaction first sent). A final SIGTERM stops it cleanly.
 */
import { expect } from "chai";
import { ProverPool } from "../../zk/prover/pool";
import { terminateCurves } from "../../zk/groth16";
import { startTestL1, TestL1, TestChains, RpcClient, testConfig, tempStorePath, waitFor, hex } from "./helpers/layer";
import { CoordinatorProcess, LogLine } from "./helpers/process";
import type { BuiltCertificate } from "../../lib";
import type { CoordinatorConfig } from "../../coordinator/config";

describe("coordinator crash recovery (SIGKILL after sending a batch's settlement, and after it was mined)", function () {
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

  let sent: LogLine;

  it("SIGKILL right after the batch's settlement is sent: after the restart the batch is followed, not rebuilt or sent again", async function () {
    await l1.provider.send("evm_setAutomine", [false]);
    await rpc().call("admin_triggerEpoch");
    await proc!.waitLog((l) => l.msg === "batch built");
    sent = await proc!.waitLog((l) => l.msg === "settlement sent");
    const exit = await proc!.kill("SIGKILL");
    expect(exit.signal).to.equal("SIGKILL");
    proc = await CoordinatorProcess.start(config);
    for (const b of acked) expect(await statusOf(b)).to.equal("Settling");
    expect(await l1.layer.hub.batchCount()).to.equal(0n, "nothing mined yet");
  });

  it("SIGKILL after the settlement is mined, before its events are applied: after the restart each certificate is finalized once", async function () {
    await l1.provider.send("evm_setAutomine", [true]);
    await l1.provider.send("evm_mine", []);
    await waitFor("the settlement mined", async () => (await l1.layer.hub.batchCount()) === 1n, 120_000);
    await proc!.kill("SIGKILL");
    proc = await CoordinatorProcess.start(config);
    await l1.provider.send("evm_mine", []);
    await l1.provider.send("evm_mine", []);
    for (const b of acked) await waitFor(`${b.certificate.networkId}/${b.certificate.height} Finalized`, async () => (await statusOf(b)) === "Finalized");
    expect(await l1.layer.hub.batchCount()).to.equal(1n, "exactly one settlement on L1");
    expect(proc!.lines.some((l) => l.msg === "batch built" || l.msg === "settlement sent"), "the restarted coordinator neither rebuilt nor resent").to.equal(false);
    for (const b of acked) {
      const events = (await l1.layer.hub.queryFilter(l1.layer.hub.filters.BatchCertificateFinalized(b.certificate.networkId))).filter((e) => e.args.certificateId === b.certificateId);
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
