/**
 * chain/certifier.ts: while this chain's prover is behind (config.batch.holdWhileProving: a certificate waits behind
 * the one being proven), new events wait instead of going out in a certificate of their own, unless they fill one.
 * The certifier's other parts are stand-ins that record whether a certificate was prepared (its first step reads
 * the L2 block of the chunk's last event).
 */
import { expect } from "chai";
import { Certifier, CertifierParts } from "../../chain/certifier";
import type { BridgeEvent } from "../../chain/l2-follower";
import { parseChainConfig } from "../../chain/config";
import { ChainMetrics } from "../../chain/metrics";
import { createLogger } from "../../coordinator/log";
import { assetExit } from "../helpers/world";

const SHAPE = { maxImports: 2, maxExits: 3, maxDependencies: 2, maxBundles: 1, maxTokens: 2 };

class Prepared extends Error {
  constructor(readonly lastBlock: number) {
    super(`prepared a certificate up to block ${lastBlock}`);
  }
}

function certifier(o: { backlog: number; hold: boolean; exits: number }): { run: () => Promise<number | null> } {
  const config = parseChainConfig({
    networkId: 1,
    stateFile: "/nonexistent/chain-A.json",
    l2: { rpcUrl: "http://127.0.0.1:9", bridge: "0x" + "11".repeat(20), oracle: "0x" + "22".repeat(20), sequencerKey: "0x" + "33".repeat(32) },
    l1: { rpcUrl: "http://127.0.0.1:9", hub: "0x" + "44".repeat(20), bridge: "0x" + "55".repeat(20) },
    coordinator: { url: "http://127.0.0.1:9", wsUrl: "ws://127.0.0.1:9" },
    batch: { holdWhileProving: o.hold },
    log: { level: "error" },
  });
  const pending: BridgeEvent[] = Array.from({ length: o.exits }, (_, i) => ({ kind: "exit", block: 10 + i, logIndex: 0, exit: { leaf: assetExit(2, 1n) } as never }));
  const parts = {
    config,
    log: createLogger({ level: "error" }, "test"),
    shape: SHAPE,
    own: { submitting: null },
    position: { read: async () => undefined, pending },
    revisions: { flushAbandoned: async () => true },
    prover: { backlog: o.backlog },
    follower: {
      block: async (n: number) => {
        throw new Prepared(n);
      },
    },
    metrics: new ChainMetrics(1),
    stopped: () => false,
    rebuilding: () => false,
  } as unknown as CertifierParts;
  const c = new Certifier(parts);
  return {
    run: async () => {
      try {
        await c.certify();
        return null;
      } catch (e) {
        if (e instanceof Prepared) return e.lastBlock;
        throw e;
      }
    },
  };
}

describe("certifier: holding events while the previous certificate is being proven (config.batch.holdWhileProving)", () => {
  it("the prover behind (a certificate waits behind the one being proven), events that do not fill a certificate wait (nothing prepared)", async () => {
    expect(await certifier({ backlog: 2, hold: true, exits: 1 }).run()).to.equal(null);
    expect(await certifier({ backlog: 2, hold: true, exits: SHAPE.maxExits }).run()).to.equal(null);
  });

  it("the prover idle or keeping up (one proof in progress), they go out at once, all of them", async () => {
    expect(await certifier({ backlog: 0, hold: true, exits: 1 }).run()).to.equal(10);
    expect(await certifier({ backlog: 1, hold: true, exits: 2 }).run()).to.equal(11);
    expect(await certifier({ backlog: 0, hold: true, exits: 2 }).run()).to.equal(11);
  });

  it("events that fill a certificate go out even while the prover is busy (the first maxExits of them)", async () => {
    expect(await certifier({ backlog: 2, hold: true, exits: SHAPE.maxExits + 1 }).run()).to.equal(10 + SHAPE.maxExits - 1);
  });

  it("with holdWhileProving off, a busy prover holds nothing", async () => {
    expect(await certifier({ backlog: 2, hold: false, exits: 1 }).run()).to.equal(10);
  });
});
