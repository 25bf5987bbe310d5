/**
 * The peer-to-peer policy on the devnet (real hardhat nodes, coordinator, proofs): chain A publishes its
 * certificates on a peer feed as it signs them; chain B takes A's roots from that feed before the layer has A's
 * certificate. The link between A and the coordinator is a proxy the test can cut for submissions, so "before
 * the layer has it" is a fact the test checks, not a race it hopes to win.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { startDevnet, Devnet, eth } from "../../scripts/devnet/devnet";
import { Scenario, sleep, waitUntil } from "../../scripts/devnet/scenario";
import { createLogger } from "../../coordinator/log";
import { ChainClient } from "../../chain/client";
import type { ChainConfig } from "../../chain/config";
import { terminateCurves } from "../../zk/groth16";

/** Forwards JSON-RPC to the coordinator; while `cut`, a submitCertificate request gets its connection reset. */
class SubmissionProxy {
  cut = false;
  private server!: http.Server;
  url = "";
  constructor(private readonly target: string) {}
  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", async () => {
        if (this.cut && body.includes('"submitCertificate"')) return req.socket.destroy();
        const r = await fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text());
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe("peer-to-peer policy (devnet: A publishes a peer feed, B takes A's roots from it)", function () {
  this.timeout(15 * 60_000);
  const log = createLogger({ level: (process.env.TEST_LOG_LEVEL as "error") ?? "error" });
  let net: Devnet;
  let s: Scenario;
  let proxy: SubmissionProxy;
  const started: ChainClient[] = [];

  const chain = (n: number) => net.chains.get(n)!;
  const restart = async (n: number, config: ChainConfig) => {
    await chain(n).client.stop();
    const c = new ChainClient(config, log.child(`chain-${n}`));
    started.push(c);
    await c.start();
    chain(n).client = c;
    return c;
  };
  const latestHeight = (n: number) => net.coordinator.node.d.store.listCertificates({ networkId: n }).filter((c) => c.status !== "Rejected").length;
  const bobOnB = () => s.wethBalance(2, s.bob.address);

  before(async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chain-p2p-"));
    net = await startDevnet({ log, dataDir, fixedPorts: false, coordinator: { epochs: { intervalMs: 5_000 } } });
    s = new Scenario(net);
    proxy = new SubmissionProxy(net.coordinator.rpc.url);
    await proxy.start();
    // Alice needs funds on A first (through the layer, as usual).
    const d = await s.bridgeOut(0, s.alice, 1, s.alice.address, eth("2"));
    await s.claimWhenAvailable(0, 1, d.leafIndex, s.alice);
    await waitUntil("A's deposit certified", async () => chain(1).client.nextHeight > 0n && !chain(1).client.awaitingAcknowledgement, 60_000, 100);
    const a = chain(1).client.config;
    const fed = await restart(1, { ...a, coordinator: { ...a.coordinator, url: proxy.url }, peerFeed: { host: "127.0.0.1", port: 0 } });
    const b = chain(2).client.config;
    await restart(2, { ...b, policy: { ...b.policy, mode: "peerToPeer", peers: [{ networkId: 1, url: `ws://127.0.0.1:${fed.peerFeedPort}` }], peerWaitMs: 120_000 } });
  });

  after(async function () {
    for (const c of started) await c.stop().catch(() => undefined);
    await proxy?.close();
    await net?.stop();
    await terminateCurves();
  });

  it("B relays A's root from the feed and bob claims on B while the layer has not received A's certificate; B holds its own until it has", async function () {
    proxy.cut = true;
    const aHeights = latestHeight(1);
    const bHeights = latestHeight(2);
    const before = await bobOnB();
    const x = await s.bridgeOut(1, s.alice, 2, s.bob.address, eth("0.1"));
    await s.claimWhenAvailable(1, 2, x.leafIndex, s.bob, 60_000);
    expect(await bobOnB()).to.equal(before + eth("0.1"));
    expect(latestHeight(1)).to.equal(aHeights, "the layer has no new certificate of A");
    // B's certificate with that claim names A's certificate, which the layer does not know: B holds it.
    await sleep(3_000);
    expect(latestHeight(2)).to.equal(bHeights, "B's dependent certificate held back");
    expect(chain(2).client.rebuilds).to.have.length(0);

    proxy.cut = false;
    await waitUntil("A's certificate at the layer", async () => latestHeight(1) > aHeights, 60_000, 100);
    await waitUntil("B's certificate at the layer", async () => latestHeight(2) > bHeights, 60_000, 100);
    const bCert = net.coordinator.node.d.store.listCertificates({ networkId: 2 }).find((c) => c.certificate.height === BigInt(bHeights))!;
    const aCert = net.coordinator.node.d.store.listCertificates({ networkId: 1 }).find((c) => c.certificate.height === BigInt(aHeights))!;
    expect(bCert.certificate.dependencies.map((d) => d.certificateId)).to.include(aCert.certificateId);
    await waitUntil("both confirmed", async () => ["Confirmed", "InEpoch", "Settling", "Finalized"].includes(net.coordinator.node.getCertificate(bCert.certificateId).status), 300_000, 250);
  });

  it("when A's certificate never reaches the layer, B gives up after peerWaitMs, rebuilds without A's root (bob's claim undone), and takes A's next root", async function () {
    const b = chain(2).client.config;
    await restart(2, { ...b, policy: { ...b.policy, peerWaitMs: 3_000 } });
    proxy.cut = true;
    const before = await bobOnB();
    const rebuilds = chain(2).client.rebuilds.length;
    const x = await s.bridgeOut(1, s.alice, 2, s.bob.address, eth("0.2"));
    await s.claimWhenAvailable(1, 2, x.leafIndex, s.bob, 60_000);
    expect(await bobOnB()).to.equal(before + eth("0.2"));
    const rebuilt = await waitUntil("B rebuilt without A's root", async () => chain(2).client.rebuilds[rebuilds], 60_000, 100);
    expect(rebuilt.failedClaims).to.have.length(1);
    expect(rebuilt.badSources.every((k) => k.startsWith("1/"))).to.equal(true);
    expect(await bobOnB()).to.equal(before, "the claim against the root the layer never saw is undone");

    // A reaches the layer again; B never relays the root it gave up on, but A's next certificate covers the exit too.
    proxy.cut = false;
    const other = await s.bridgeOut(1, s.alice, 3, s.carol.address, eth("0.01"));
    expect(other.leafIndex).to.be.greaterThan(x.leafIndex);
    await s.claimWhenAvailable(1, 2, x.leafIndex, s.bob, 120_000);
    expect(await bobOnB()).to.equal(before + eth("0.2"));
    expect(net.coordinator.node.d.store.listEquivocations()).to.deep.equal([]);
  });
});
