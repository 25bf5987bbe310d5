/**
 * The acceptance test of batched settlement with an opt-out chain: while the coordinator's
 * batch of two other chains' certificates is built and signed (its transaction stored, held back before broadcast),
 * the opt-out chain settles its own certificate directly (chain/direct-settlement.ts: a batch of one with its own
 * proof). L1 moved after the batch was signed, yet the batch only reads its own networks' tips: it is broadcast as
 * signed and settles, never rebuilt, re-signed or released; every certificate is finalized exactly once.
 */
import { expect } from "chai";
import { startCoordinator, Coordinator } from "../../coordinator/service";
import { ProverPool } from "../../zk/prover/pool";
import { terminateCurves } from "../../zk/groth16";
import { DirectSettler } from "../../chain/direct-settlement";
import { CoordinatorLink } from "../../chain/coordinator-link";
import { parseChainConfig } from "../../chain/config";
import { silentLogger } from "../../coordinator/log";
import { startTestL1, TestL1, TestChains, RpcClient, testConfig, tempStorePath, waitFor, hex, account } from "./helpers/layer";
import type { BuiltCertificate } from "../../lib";

describe("an opt-out chain settles directly while a batch of two other chains is built and signed", function () {
  this.timeout(10 * 60_000);
  let l1: TestL1;
  let coord: Coordinator;
  let rpc: RpcClient;
  let chains: TestChains;
  let pool: ProverPool;
  let direct: DirectSettler | null = null;

  const status = async (b: BuiltCertificate) => (await rpc.call<{ status: string }>("getCertificate", { certificateId: hex(b.certificateId) })).status;
  const finalizedEvents = async (b: BuiltCertificate) =>
    (await l1.layer.hub.queryFilter(l1.layer.hub.filters.BatchCertificateFinalized(b.certificate.networkId))).filter((e) => e.args.certificateId === b.certificateId);

  before(async function () {
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }, { networkId: 2, policyFlags: 0 }, { networkId: 3, policyFlags: 1 }]);
    coord = await startCoordinator(testConfig(l1, { store: tempStorePath("opt-out-batch") }, { l1: { confirmations: 1 }, proving: { workers: 1, backup: { enabled: false } } }));
    rpc = new RpcClient(coord.rpc.url);
    chains = new TestChains(l1);
    pool = new ProverPool({ workers: 1 });
  });

  after(async function () {
    await direct?.stop();
    await pool?.close();
    await coord?.stop();
    await l1?.stop();
    await terminateCurves();
  });

  it("the batch of chains 1 and 2 settles as signed after chain 3 settled directly", async function () {
    const a0 = chains.certify(1, {});
    const b0 = chains.certify(2, {});
    const c0 = chains.certify(3, {});
    for (const b of [a0, b0, c0]) {
      await rpc.call("submitCertificate", { certificate: await chains.signedJson(b) });
      await rpc.call("submitProof", await chains.prove(pool, b));
    }
    for (const b of [a0, b0, c0]) expect(await status(b)).to.equal("Confirmed");

    // The coordinator's broadcasts wait until chain 3 settled: the batch is built and signed on the L1 state before it.
    const client = coord.node.d.l1;
    const broadcast = client.broadcast.bind(client);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    client.broadcast = async (raw: string) => {
      await gate;
      return broadcast(raw);
    };
    const triggered = rpc.call<number | null>("admin_triggerEpoch");
    const store = coord.node.d.store;
    const batch = await waitFor("the batch signed", () => store.listEpochs({ status: ["settling"] })[0]);
    expect([...batch.certificateIds].sort()).to.deep.equal([a0.certificateId, b0.certificateId].sort(), "the opt-out chain is not batched");
    const [signed] = store.listSettlements(batch.id);
    expect(signed.status).to.equal("signed");
    for (const b of [a0, b0]) expect(await status(b)).to.equal("Settling");

    // Chain 3 settles its own certificate directly (a batch of one), and L1 finalizes it first.
    const config = parseChainConfig({
      networkId: 3,
      l2: { rpcUrl: "http://127.0.0.1:9/", bridge: l1.layer.addresses.bridge, oracle: l1.layer.addresses.bridge, sequencerKey: account(13).privateKey },
      l1: { rpcUrl: l1.node.url, hub: l1.layer.addresses.hub, bridge: l1.layer.addresses.bridge },
      coordinator: { url: coord.rpc.url, wsUrl: coord.rpc.wsUrl },
      policy: { mode: "optOut" },
    });
    direct = new DirectSettler(config, new CoordinatorLink(coord.rpc.url, coord.rpc.wsUrl, silentLogger), silentLogger);
    await direct.start();
    await direct.settle(c0);
    const [c0Event] = await finalizedEvents(c0);
    expect(c0Event, "chain 3 settled directly").to.not.equal(undefined);
    expect(c0Event.args.batchId).to.equal(1n);
    expect(await l1.layer.hub.batchCount()).to.equal(1n);

    // The batch goes out as it was signed and settles.
    release();
    expect(await triggered).to.equal(batch.id);
    for (const b of [a0, b0, c0]) await waitFor(`${b.certificate.networkId}/${b.certificate.height} Finalized`, async () => (await status(b)) === "Finalized");
    expect(await l1.layer.hub.batchCount()).to.equal(2n);
    for (const b of [a0, b0]) {
      const events = await finalizedEvents(b);
      expect(events.length).to.equal(1);
      expect(events[0].transactionHash).to.equal(signed.txHash, "the transaction signed before chain 3 settled");
      expect(events[0].args.batchId).to.equal(2n);
    }
    expect((await finalizedEvents(c0)).length).to.equal(1);
    await waitFor("the batch row settled", () => store.getEpoch(batch.id)!.status === "settled");
    expect(store.listSettlements(batch.id).map((s) => s.txHash)).to.deep.equal([signed.txHash], "never re-signed");
    expect(store.listEpochs({}).map((e) => e.id)).to.deep.equal([batch.id], "never rebuilt or released");
  });
});
