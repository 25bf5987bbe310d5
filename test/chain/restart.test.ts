/**
 * Chain client restart (chain/state-file.ts): on the devnet (real hardhat nodes, coordinator, proofs), chain A's
 * client is stopped and started again from its state file, including after a crash between writing a certificate
 * ahead and hearing the coordinator's answer; a client without its state file, or with another network's, refuses
 * to start and changes nothing.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startDevnet, Devnet, eth } from "../../scripts/devnet/devnet";
import { Scenario, waitUntil } from "../../scripts/devnet/scenario";
import { createLogger } from "../../coordinator/log";
import { ChainClient } from "../../chain/client";
import { ChainStateError, ChainStateFile } from "../../chain/state-file";
import { terminateCurves } from "../../zk/groth16";

describe("chain client restart (devnet: L1 + three L2 nodes, coordinator, chain clients)", function () {
  this.timeout(15 * 60_000);
  const log = createLogger({ level: "error" });
  let net: Devnet;
  let s: Scenario;
  const started: ChainClient[] = [];

  const A = () => net.chains.get(1)!;
  const stateFile = () => A().client.config.stateFile!;
  const readState = () => JSON.parse(fs.readFileSync(stateFile(), "utf8")) as ChainStateFile;
  const restartA = async (config = A().client.config) => {
    await A().client.stop();
    const c = new ChainClient(config, log.child("chain-A"));
    started.push(c);
    await c.start();
    A().client = c;
    return c;
  };
  /** Every ExitRootPosted on A's oracle, by source key: a restart must not post a root twice. */
  const postsOnA = async () => {
    const logs = await A().oracle.queryFilter(A().oracle.filters.ExitRootPosted());
    const byKey = new Map<string, number>();
    for (const l of logs) {
      const k = `${l.args.networkId}/${l.args.height}/${l.args.certificateId}`;
      byKey.set(k, (byKey.get(k) ?? 0) + 1);
    }
    return { total: logs.length, byKey };
  };
  const liveHeightsOfA = () =>
    net.coordinator.node.d.store
      .listCertificates({ networkId: 1 })
      .filter((c) => c.status !== "Rejected")
      .map((c) => c.certificate.height)
      .sort((a, b) => Number(a - b));
  const settled = () => A().client.nextHeight > 0n && readState().submitting === null;

  before(async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chain-restart-"));
    net = await startDevnet({ log, dataDir, fixedPorts: false, coordinator: { epochs: { intervalMs: 5_000 } } });
    s = new Scenario(net);
  });

  after(async function () {
    for (const c of started) await c.stop().catch(() => undefined);
    await net?.stop();
    await terminateCurves();
  });

  it("resumes at the same height, posts no root twice, certifies what happened while it was down, and proves what it owed", async function () {
    const d = await s.bridgeOut(0, s.alice, 1, s.alice.address, eth("2"));
    await s.claimWhenAvailable(0, 1, d.leafIndex, s.alice);
    const ab = await s.bridgeOut(1, s.alice, 2, s.bob.address, eth("0.5"));
    await s.claimWhenAvailable(1, 2, ab.leafIndex, s.bob);
    await waitUntil("A's certificates submitted", async () => A().client.nextHeight >= 2n && settled(), 120_000, 100);
    const heightBefore = A().client.nextHeight;
    const postsBefore = await postsOnA();
    expect(readState().certificates.map((c) => c.toBlock)).to.have.length(Number(heightBefore));

    await A().client.stop();
    const down = await s.bridgeOut(1, s.alice, 2, s.bob.address, eth("0.25"));
    const restarted = await restartA();
    expect(restarted.nextHeight).to.equal(heightBefore, "the restored height");

    await s.claimWhenAvailable(1, 2, down.leafIndex, s.bob);
    expect(restarted.nextHeight).to.equal(heightBefore + 1n, "the exit made while the client was down, in the next certificate");
    expect(await s.wethBalance(2, s.bob.address)).to.equal(eth("0.75"));
    const postsAfter = await postsOnA();
    expect([...postsAfter.byKey.values()].every((n) => n === 1), "no root posted twice").to.equal(true);
    expect(postsAfter.total).to.be.at.least(postsBefore.total);
    expect(liveHeightsOfA()).to.deep.equal([...Array(Number(heightBefore) + 1).keys()].map(BigInt), "heights contiguous, none rejected");
    // The certificates it had not proven before the stop are proven by the restarted client.
    await waitUntil("A's certificates confirmed", async () => net.coordinator.node.d.store.listCertificates({ networkId: 1 }).every((c) => !["PreConfirmed", "Rejected"].includes(c.status)), 300_000, 250);
  });

  it("after a crash between writing a certificate ahead and the coordinator's answer, sends the same bytes again (no second certificate at that height)", async function () {
    await waitUntil("A idle", async () => settled(), 60_000, 100);
    await A().client.stop();
    const st = readState();
    const last = st.certificates.pop()!;
    st.submitting = last;
    fs.writeFileSync(stateFile(), JSON.stringify(st));
    const heightsBefore = liveHeightsOfA();

    const restarted = await restartA();
    await waitUntil("the written-ahead certificate acknowledged", async () => settled(), 30_000, 50);
    expect(restarted.nextHeight).to.equal(BigInt(heightsBefore.length));
    expect(readState().certificates[readState().certificates.length - 1].certificate).to.deep.equal(last.certificate);
    expect(liveHeightsOfA()).to.deep.equal(heightsBefore);
    expect(net.coordinator.node.d.store.listEquivocations().filter((e) => e.networkId === 1)).to.deep.equal([]);
  });

  it("opt-out chain C relays a root only once the hub finalized it: a false \"Finalized\" is not posted", async function () {
    const C = net.chains.get(3)!;
    const postsOnC = async () => (await C.oracle.queryFilter(C.oracle.filters.ExitRootPosted())).map((l) => `${l.args.networkId}/${l.args.height}/${l.args.certificateId}`);
    // A coordinator that lies: another id at one of A's real heights, and a height A has not reached.
    const real = net.coordinator.node.d.store.listCertificates({ networkId: 1 }).filter((c) => c.status !== "Rejected").pop()!;
    const lies = [
      { networkId: 1, height: real.height, certificateId: real.certificateId ^ 1n, exitRoot: real.certificate.newLocalExitRoot },
      { networkId: 1, height: real.height + 100n, certificateId: real.certificateId, exitRoot: real.certificate.newLocalExitRoot },
    ];
    for (const lie of lies) await C.client.relay(lie, "Finalized");
    const posted = await postsOnC();
    for (const lie of lies) expect(posted).to.not.include(`1/${lie.height}/${lie.certificateId}`);
    // What the hub finalized is relayed (the opt-out policy accepts it).
    const finalized = await waitUntil("a finalized certificate of A", async () => net.coordinator.node.d.store.listCertificates({ networkId: 1 }).find((c) => c.status === "Finalized"), 600_000, 500);
    await waitUntil("A's finalized root relayed to C", async () => (await postsOnC()).includes(`1/${finalized.height}/${finalized.certificateId}`), 60_000, 250);
  });

  it("refuses to start without its state file, or with another network's, and changes nothing", async function () {
    const heights = liveHeightsOfA();
    const posts = (await postsOnA()).total;
    const blockA = await A().provider.getBlockNumber();
    const missing = new ChainClient({ ...A().client.config, stateFile: path.join(net.dataDir, "nowhere", "chain-A.json") }, log);
    await expectStartError(missing, /not found, but network 1 already has certificates up to height/);
    const bFile = net.chains.get(2)!.client.config.stateFile!;
    const wrong = new ChainClient({ ...A().client.config, stateFile: bFile }, log);
    await expectStartError(wrong, /belongs to network 2, not 1/);
    expect(fs.existsSync(path.join(net.dataDir, "nowhere"))).to.equal(false);
    expect(liveHeightsOfA()).to.deep.equal(heights);
    expect((await postsOnA()).total).to.equal(posts);
    expect(await A().provider.getBlockNumber()).to.equal(blockA);
  });

  it("a restart that fails half-way through its state file leaves the file as it was (nothing written ahead is lost)", async function () {
    const file = path.join(net.dataDir, "chain-A-broken.json");
    const saved = JSON.parse(fs.readFileSync(A().client.config.stateFile!, "utf8"));
    expect(saved.certificates.length).to.be.greaterThan(0);
    // a stored certificate that does not follow from the ones before it (the first one again, at the end): the
    // restore stops there, before it reaches the certificate written ahead
    saved.certificates.push(saved.certificates[0]);
    saved.submitting = saved.submitting ?? { certificate: saved.certificates[0].certificate, toBlock: 0, toBlockHash: "0x" + "cd".repeat(32), status: "PreConfirmed" };
    fs.writeFileSync(file, JSON.stringify(saved, null, 1));
    const before = fs.readFileSync(file, "utf8");
    const broken = new ChainClient({ ...A().client.config, stateFile: file }, log);
    await expectStartError(broken, /where network 1 height \d+ was expected/);
    expect(fs.readFileSync(file, "utf8")).to.equal(before);
  });
});

async function expectStartError(c: ChainClient, message: RegExp): Promise<void> {
  try {
    await c.start();
    expect.fail("started");
  } catch (e) {
    expect(e).to.be.instanceOf(ChainStateError);
    expect((e as Error).message).to.match(message);
  } finally {
    await c.stop();
  }
}
