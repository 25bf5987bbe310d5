/**
 * The chain client's metrics (chain/metrics.ts): its registry (labelled with the network id), the optional
 * endpoint and its configuration, and the relayer's series written where a post lands (a stand-in oracle whose
 * receipts carry real ExitRootPosted logs). The other writers (certifier, self-prover, rebuilder) are checked on
 * the devnet after the scenario (test/e2e/devnet.e2e.test.ts) and, for the rebuilder, in test/chain/rebuilder.test.ts.
 */
import { expect } from "chai";
import * as net from "net";
import { ExitRootOracle__factory } from "../../typechain-types";
import type { ExitRootOracle } from "../../typechain-types";
import { ChainMetrics, MetricsServerError, serveMetrics, UNKNOWN_REASON } from "../../chain/metrics";
import { ChainConfigError, parseChainConfig } from "../../chain/config";
import { Relayer } from "../../chain/relayer";
import { SequencerQueue } from "../../chain/sequencer-queue";
import type { CoordinatorLink } from "../../chain/coordinator-link";
import { createLogger } from "../../coordinator/log";
import { parseMetrics, valueOf } from "../helpers/metrics";
import { request } from "../coordinator/helpers/http";

const BASE = {
  networkId: 2,
  stateFile: "/nonexistent/chain-B.json",
  l2: { rpcUrl: "http://127.0.0.1:9", bridge: "0x" + "11".repeat(20), oracle: "0x" + "22".repeat(20), sequencerKey: "0x" + "33".repeat(32) },
  l1: { rpcUrl: "http://127.0.0.1:9", hub: "0x" + "44".repeat(20), bridge: "0x" + "55".repeat(20) },
  coordinator: { url: "http://127.0.0.1:9", wsUrl: "ws://127.0.0.1:9" },
  log: { level: "error" },
};

/** An oracle whose posts land after `ms`, with the ExitRootPosted log the relayer reads its entry id from. */
function landingOracle(ms: number): ExitRootOracle {
  const iface = ExitRootOracle__factory.createInterface();
  let entry = 0n;
  return {
    interface: iface,
    postExitRoot: async (networkId: number, height: bigint, certificateId: bigint, exitRoot: bigint) => {
      const log = iface.encodeEventLog("ExitRootPosted", [++entry, networkId, height, certificateId, exitRoot]);
      return { hash: "0x" + entry.toString(16).padStart(64, "0"), wait: () => new Promise((r) => setTimeout(() => r({ logs: [log] }), ms)) };
    },
  } as unknown as ExitRootOracle;
}

describe("the chain client's metrics (chain/metrics.ts)", function () {
  it("each series carries the client's network id; the endpoint serves them at GET /metrics on a free port, and nothing else", async function () {
    const m = new ChainMetrics(7);
    m.rebuilds.inc();
    const server = await serveMetrics(m, "127.0.0.1", 0);
    try {
      expect(server.port).to.be.greaterThan(0);
      const r = await request(server.url, { path: "/metrics" });
      expect(r.status).to.equal(200);
      expect(r.headers["content-type"]).to.contain("text/plain");
      expect(valueOf(parseMetrics(r.text), "chain_rebuilds_total", { network: "7" })).to.equal(1);
      expect((await request(`http://127.0.0.1:${server.port}/`)).status).to.equal(404);
      expect((await request(server.url, { path: "/metrics", method: "POST", body: "{}" })).status).to.equal(404);
    } finally {
      await server.close();
    }
  });

  it("a taken port is a MetricsServerError naming it", async function () {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const err = await serveMetrics(new ChainMetrics(1), "127.0.0.1", port).then(() => null, (e) => e);
      expect(err).to.be.instanceOf(MetricsServerError);
      expect(err.message).to.contain(`127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });

  it("configuration: off by default, host defaults to loopback, a bad port or an unknown key is refused", function () {
    expect(parseChainConfig(BASE).metrics).to.equal(undefined);
    expect(parseChainConfig({ ...BASE, metrics: { port: 0 } }).metrics).to.deep.equal({ host: "127.0.0.1", port: 0 });
    expect(() => parseChainConfig({ ...BASE, metrics: { port: 70000 } })).to.throw(ChainConfigError, /metrics\.port/);
    expect(() => parseChainConfig({ ...BASE, metrics: { port: 1.5 } })).to.throw(ChainConfigError, /metrics\.port/);
    expect(() => parseChainConfig({ ...BASE, metrics: { port: 9100, path: "/m" } })).to.throw(ChainConfigError, /metrics/);
  });

  it("refusals are counted by the coordinator's reason; one it does not know is UNKNOWN (the label set stays closed)", async function () {
    const m = new ChainMetrics(1);
    m.refused("DEPENDENCY_REJECTED");
    m.refused("<script>");
    const samples = parseMetrics(await m.render());
    expect(valueOf(samples, "chain_certificates_refused_total", { network: "1", reason: "DEPENDENCY_REJECTED" })).to.equal(1);
    expect(valueOf(samples, "chain_certificates_refused_total", { network: "1", reason: UNKNOWN_REASON })).to.equal(1);
    expect(samples.filter((s) => s.name === "chain_certificates_refused_total")).to.have.length(2);
  });

  it("the prover backlog is read from its owner at each scrape", async function () {
    const m = new ChainMetrics(1);
    let backlog = 3;
    m.readBacklog(() => backlog);
    expect(valueOf(parseMetrics(await m.render()), "chain_prover_backlog", { network: "1" })).to.equal(3);
    backlog = 0;
    expect(valueOf(parseMetrics(await m.render()), "chain_prover_backlog", { network: "1" })).to.equal(0);
  });

  it("the relayer counts each root it posts, by source, with the time from hearing of it to the post landing; a root the policy refuses counts nothing", async function () {
    const m = new ChainMetrics(2);
    const config = parseChainConfig({ ...BASE, policy: { mode: "confirmed" } });
    const relayer = new Relayer(config, landingOracle(120), {} as CoordinatorLink, new SequencerQueue(), createLogger({ level: "error" }), {}, () => false, m);
    await relayer.relay({ networkId: 1, height: 0n, certificateId: 11n, exitRoot: 5n }, "Confirmed");
    await relayer.relay({ networkId: 1, height: 1n, certificateId: 12n, exitRoot: 6n }, "Finalized");
    await relayer.relay({ networkId: 3, height: 0n, certificateId: 13n, exitRoot: 7n }, "PreConfirmed"); // not accepted by "confirmed"
    await relayer.relay({ networkId: 0, height: 4n, certificateId: 0n, exitRoot: 8n }, "Finalized");
    const s = parseMetrics(await m.render());
    expect(valueOf(s, "chain_roots_relayed_total", { network: "2", source: "1" })).to.equal(2);
    expect(valueOf(s, "chain_roots_relayed_total", { network: "2", source: "0" })).to.equal(1);
    expect(valueOf(s, "chain_roots_relayed_total", { network: "2", source: "3" })).to.equal(0);
    expect(valueOf(s, "chain_relay_lag_seconds_count", { network: "2", source: "1" })).to.equal(2);
    expect(valueOf(s, "chain_relay_lag_seconds_sum", { network: "2", source: "1" })).to.be.within(0.2, 2);
  });
});
