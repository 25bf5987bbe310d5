/**
 * The peer-to-peer feed (chain/peer.ts) over real sockets: live delivery and backlog replay, refusal of forged,
 * foreign, malformed and repeated certificates (sent by a raw server, since PeerServer never sends those),
 * reconnection after the source restarts, and that close() leaves nothing running.
 */
import { expect } from "chai";
import WebSocket, { WebSocketServer } from "ws";
import { Signer, Wallet } from "ethers";
import { DEVNET_PARAMS, NetworkState, buildCertificate } from "../../lib";
import { SignedCertificate, SigningDomain, certificateId, signCertificate } from "../../lib/certificate";
import { certificateToJson } from "../../lib/codec";
import type { Logger } from "../../coordinator/log";
import { PeerLink, PeerServer, sequencerVerifier } from "../../chain/peer";

const DOMAIN: SigningDomain = { chainId: 31337n, verifyingContract: "0x" + "11".repeat(20) };
const seqA = Wallet.createRandom(); // network 1
const seqB = Wallet.createRandom(); // network 2
const stranger = Wallet.createRandom();
const SEQUENCERS = new Map<number, string>([
  [1, seqA.address],
  [2, seqB.address.toLowerCase()], // registry addresses may come in any case
]);

// ------------------------------------------------------------------------------------------------ fixtures

/** `count` consecutive certificates of one network, each built on the previous state. */
async function certificates(networkId: number, signer: Signer, count: number, salt = 0): Promise<SignedCertificate[]> {
  let state = new NetworkState(networkId, DEVNET_PARAMS);
  const out: SignedCertificate[] = [];
  for (let h = 0; h < count; h++) {
    const built = buildCertificate(state, { height: BigInt(h), newStateRoot: "0x" + (salt * 1000 + h + 1).toString(16).padStart(64, "0"), imports: [], exits: [] });
    out.push(await signCertificate(signer, DOMAIN, built.certificate));
    state = built.transition.state;
  }
  return out;
}

interface LogLine {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** Keeps every line, so tests can wait on connection events and check why a message was dropped. */
function recordingLogger(): Logger & { lines: LogLine[]; count(msg: string): number } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  const log = {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: () => log,
    count: (msg: string) => lines.filter((l) => l.msg === msg).length,
  };
  return log;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Received {
  certificate: SignedCertificate;
  id: bigint;
}

function link(peers: { networkId: number; url: string }[], log: Logger): { link: PeerLink; received: Received[] } {
  const received: Received[] = [];
  const l = new PeerLink({ peers, verify: sequencerVerifier(DOMAIN, SEQUENCERS), onCertificate: (certificate, id) => received.push({ certificate, id }), log });
  return { link: l, received };
}

/** Sockets and servers still open in this process (timers are left out: mocha and hardhat keep their own). */
function openNetHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
}

// ------------------------------------------------------------------------------------------------ tests

describe("chain/peer: peer-to-peer certificate feed", function () {
  this.timeout(5000);

  let a: SignedCertificate[];
  let b: SignedCertificate[];
  let forged: SignedCertificate[];
  const cleanup: (() => unknown)[] = [];

  before(async () => {
    a = await certificates(1, seqA, 3);
    b = await certificates(2, seqB, 1);
    forged = await certificates(1, stranger, 1, 7);
  });

  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function startServer(log: Logger, port = 0): Promise<{ server: PeerServer; url: string; port: number }> {
    const server = new PeerServer({ port, log });
    const bound = await server.start();
    cleanup.push(() => server.close());
    return { server, url: `ws://127.0.0.1:${bound}`, port: bound };
  }

  function startLink(peers: { networkId: number; url: string }[], log: Logger) {
    const l = link(peers, log);
    l.link.start();
    cleanup.push(() => l.link.close());
    return l;
  }

  describe("sequencerVerifier", () => {
    it("accepts the registered sequencer's signature only", () => {
      const verify = sequencerVerifier(DOMAIN, SEQUENCERS);
      expect(verify(a[0])).to.equal(true);
      expect(verify(b[0]), "registry address in lower case").to.equal(true);
      expect(verify(forged[0]), "signed by a stranger").to.equal(false);
      expect(verify({ ...a[0], networkId: 3 }), "unknown network").to.equal(false);
      expect(verify({ ...a[0], signature: "0x" + "00".repeat(65) }), "garbage signature").to.equal(false);
      const otherDomain = sequencerVerifier({ ...DOMAIN, chainId: 1n }, SEQUENCERS);
      expect(otherDomain(a[0]), "signature bound to another L1").to.equal(false);
    });
  });

  it("delivers a published certificate to a connected link, with its id, at once", async () => {
    const log = recordingLogger();
    const { server, url } = await startServer(log);
    const { received } = startLink([{ networkId: 1, url }], log);
    await waitFor(() => log.count("peer connected") === 1, "the link to connect");

    const t0 = Date.now();
    server.publish(a[0]);
    await waitFor(() => received.length === 1, "the certificate", 500);
    expect(Date.now() - t0).to.be.below(500);
    expect(received[0].id).to.equal(certificateId(a[0]));
    expect(received[0].certificate).to.deep.equal(a[0]);
  });

  it("replays the backlog, oldest first, to a link that connects after publication", async () => {
    const log = recordingLogger();
    const { server, url } = await startServer(log);
    for (const c of a) server.publish(c);

    const { received } = startLink([{ networkId: 1, url }], log);
    await waitFor(() => received.length === a.length, "the backlog");
    expect(received.map((r) => r.certificate.height)).to.deep.equal([0n, 1n, 2n]);
    expect(received.map((r) => r.id)).to.deep.equal(a.map((c) => certificateId(c)));
  });

  it("drops forged, foreign, malformed and repeated certificates, and keeps going", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((r) => wss.once("listening", r));
    cleanup.push(() => new Promise((r) => (wss.clients.forEach((ws) => ws.terminate()), wss.close(r))));
    const msg = (c: unknown) => JSON.stringify({ type: "certificate", certificate: c });
    const unsigned: Record<string, unknown> = { ...(certificateToJson(a[0]) as Record<string, unknown>) };
    delete unsigned.signature;
    wss.on("connection", (ws) => {
      ws.send(msg(certificateToJson(forged[0]))); // wrong key
      ws.send(msg(certificateToJson(b[0]))); // network 2's, validly signed, on network 1's feed
      ws.send("not json");
      ws.send(JSON.stringify(null));
      ws.send(JSON.stringify({ type: "hello" }));
      ws.send(msg({ ...(certificateToJson(a[0]) as object), extra: 1 })); // unknown field
      ws.send(msg(unsigned));
      ws.send(Buffer.from([0xff, 0x00, 0x13]), { binary: true });
      ws.send(msg(certificateToJson(a[0]))); // good
      ws.send(msg(certificateToJson(a[0]))); // repeated
      ws.send(msg(certificateToJson(a[1]))); // good: shows everything before it was processed
    });

    const log = recordingLogger();
    const { received } = startLink([{ networkId: 1, url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}` }], log);
    await waitFor(() => received.length === 2, "the good certificates");
    await sleep(50); // nothing else trails behind
    expect(received.map((r) => r.id)).to.deep.equal([certificateId(a[0]), certificateId(a[1])]);
    expect(log.count("peer certificate refused: bad signature")).to.equal(1);
    expect(log.count("peer message dropped: foreign network")).to.equal(1);
    expect(log.count("peer message dropped: malformed")).to.equal(5);
    expect(log.count("peer message dropped: unsigned certificate")).to.equal(1);
    expect(log.count("peer link open"), "never reconnected: bad input does not cost the connection").to.equal(1);
  });

  it("reconnects when the source restarts on the same port, without delivering twice", async () => {
    const log = recordingLogger();
    const first = await startServer(log);
    const { received } = startLink([{ networkId: 1, url: first.url }], log);
    first.server.publish(a[0]);
    await waitFor(() => received.length === 1, "the first certificate");

    await first.server.close();
    const second = await startServer(log, first.port);
    await waitFor(() => log.count("peer link open") === 2, "the reconnection");
    second.server.publish(a[0]); // a restarted source may publish again what it had published
    second.server.publish(a[1]);
    await waitFor(() => received.length === 2, "the certificate published after the restart");
    await sleep(50);
    expect(received.map((r) => r.id)).to.deep.equal([certificateId(a[0]), certificateId(a[1])]);
  });

  it("refuses oversized frames from a peer without falling over", async () => {
    const log = recordingLogger();
    const { server, url } = await startServer(log);
    const raw = new WebSocket(url);
    cleanup.push(() => raw.terminate());
    raw.on("error", () => {});
    await new Promise((r) => raw.once("open", r));
    const code = new Promise<number>((r) => raw.once("close", r));
    raw.send("x".repeat(64 * 1024));
    expect(await code).to.equal(1009); // message too big

    const { received } = startLink([{ networkId: 1, url }], log);
    server.publish(a[0]);
    await waitFor(() => received.length === 1, "delivery to a well-behaved peer");
  });

  it("close() on both sides leaves no socket, server or reconnection behind", async () => {
    const before = openNetHandles();
    const log = recordingLogger();
    const server = new PeerServer({ port: 0, log });
    const port = await server.start();
    const url = `ws://127.0.0.1:${port}`;
    const l = link([{ networkId: 1, url }], log);
    l.link.start();
    server.publish(a[0]);
    await waitFor(() => l.received.length === 1, "delivery");
    expect(openNetHandles()).to.be.above(before);

    await server.close();
    await waitFor(() => log.count("peer link closed; reconnecting") >= 1, "the link to notice");
    l.link.close(); // while a reconnection is pending
    await waitFor(() => openNetHandles() === before, "every socket to close");

    // A source back on the same port must not see the closed link again.
    const again = await startServer(log, port);
    await sleep(BACKOFF_WINDOW_MS);
    expect(log.count("peer connected")).to.equal(1);
    expect(log.count("peer link open")).to.equal(1);
    await again.server.close();
    await waitFor(() => openNetHandles() === before, "the second server to close");
  });
});

/** Longer than the first two reconnection delays (200 + 400 ms). */
const BACKOFF_WINDOW_MS = 700;
