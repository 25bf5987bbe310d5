/**
 * The local devnet (PROTOCOL §11): L1 and three L2s as `hardhat node` processes on loopback with distinct chain
 * ids, the layer deployed on each, the chains registered with different policies, the coordinator (embedded
 * SQLite) and one chain client per chain — all in this process except the nodes and the prover workers.
 *
 *   network 1 "A": policy confirmed      (accepts other chains' states once the layer confirmed them)
 *   network 2 "B": policy pre-confirmed  (lowest latency; takes the risk of a source that never proves)
 *   network 3 "C": opt-out               (finalized states only; settles its own certificates on L1)
 *
 * Accounts (Hardhat's default mnemonic, funded on every chain): 0 deploys everything (so every L2 bridge has
 * one address), 1 is the coordinator's L1 settler, 11/12/13 the sequencers of networks 1/2/3, 2.. users.
 */
import * as fs from "fs";
import * as path from "path";
import { HDNodeWallet, JsonRpcProvider, Wallet, parseEther } from "ethers";
import { startHardhatNode, HardhatNodeHandle } from "./hardhat-node";
import { deployL1Devnet, deployL2Devnet, registerChainsIfNeeded } from "../../deploy/devnet";
import { DEVNET_COORDINATOR_ACCOUNT, DEVNET_VERIFIER_DEPLOYER_ACCOUNT } from "../../deploy/deployments";
import type { L1Layer } from "../../deploy/l1-layer";
import { DEVNET_PARAMS } from "../../lib/params";
import { startCoordinator, Coordinator } from "../../coordinator/service";
import { parseConfig, ConfigInput } from "../../coordinator/config";
import { ChainClient, ChainClientEvents } from "../../chain/client";
import { parseChainConfig, PolicyMode } from "../../chain/config";
import type { Logger } from "../../coordinator/log";
import type { ExitRootOracle, UnifiedBridge } from "../../typechain-types";
import { deployExamples, linkExamplePeers, Examples } from "../../deploy/examples";

export const MNEMONIC = "test test test test test test test test test test test junk";
export const account = (i: number): HDNodeWallet => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

export interface ChainSpec {
  networkId: number;
  name: string;
  chainId: number;
  policy: PolicyMode;
}

export const DEVNET_CHAINS: ChainSpec[] = [
  { networkId: 1, name: "A", chainId: 1001, policy: "confirmed" },
  { networkId: 2, name: "B", chainId: 1002, policy: "preConfirmed" },
  { networkId: 3, name: "C", chainId: 1003, policy: "optOut" },
];

/** Sequencers are accounts 11.. (10 + network id); Hardhat's default mnemonic funds accounts 0..19. */
export const MAX_DEVNET_CHAINS = 9;
const EXTRA_POLICIES: PolicyMode[] = ["confirmed", "preConfirmed"];

/**
 * The devnet's chains when it runs `n` of them (3..MAX_DEVNET_CHAINS): A, B and C as above, then D, E, ... with
 * policies confirmed and pre-confirmed in turn (network id k, chain id 1000 + k; the benchmarks' soak runs 4).
 */
export function devnetChains(n = DEVNET_CHAINS.length): ChainSpec[] {
  if (!Number.isInteger(n) || n < DEVNET_CHAINS.length || n > MAX_DEVNET_CHAINS) throw new RangeError(`the devnet runs ${DEVNET_CHAINS.length}..${MAX_DEVNET_CHAINS} chains, not ${n}`);
  if (n >= 2 ** DEVNET_PARAMS.networkBits) throw new RangeError(`DEVNET_PARAMS.networkBits = ${DEVNET_PARAMS.networkBits} leaves room for ${2 ** DEVNET_PARAMS.networkBits - 1} chains, not ${n}`);
  const extra = Array.from({ length: n - DEVNET_CHAINS.length }, (_, i): ChainSpec => {
    const networkId = DEVNET_CHAINS.length + 1 + i;
    return { networkId, name: String.fromCharCode(64 + networkId), chainId: 1000 + networkId, policy: EXTRA_POLICIES[i % EXTRA_POLICIES.length] };
  });
  return [...DEVNET_CHAINS, ...extra];
}

export interface DevnetChain {
  spec: ChainSpec;
  node: HardhatNodeHandle;
  provider: JsonRpcProvider;
  bridge: UnifiedBridge;
  oracle: ExitRootOracle;
  client: ChainClient;
  /** Example dApps (cross-chain counter, bridge-and-call) deployed on A and B. */
  examples?: Examples;
}

export interface Devnet {
  l1: { node: HardhatNodeHandle; provider: JsonRpcProvider; layer: L1Layer };
  chains: Map<number, DevnetChain>;
  coordinator: Coordinator;
  dataDir: string;
  stop(): Promise<void>;
}

export interface DevnetOptions {
  log: Logger;
  /** Where the coordinator's database and the deployments go (a fresh directory per run). */
  dataDir: string;
  /** Fixed loopback ports (L1 8545, L2s 8546-8548, coordinator 7700, chain clients' metrics 7701-7703) or free ones (tests). */
  fixedPorts?: boolean;
  /** Coordinator settings on top of the devnet's. */
  coordinator?: Record<string, unknown>;
  /** The chains to run (default DEVNET_CHAINS: A, B, C; devnetChains(n) for more). */
  chains?: ChainSpec[];
  /** Networks whose clients do not prove (left to the backup prover, or to nobody if it is disabled for them). */
  lazyProvers?: number[];
  events?: (networkId: number) => ChainClientEvents;
  progress?: (msg: string) => void;
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = v && typeof v === "object" && !Array.isArray(v) ? { ...(base[k] as object), ...(v as object) } : v;
  return out;
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const say = o.progress ?? (() => undefined);
  const started: HardhatNodeHandle[] = [];
  const providers: JsonRpcProvider[] = [];
  const clients: ChainClient[] = [];
  const specs = o.chains ?? DEVNET_CHAINS;
  let coordinator: Coordinator | null = null;
  const stop = async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await coordinator?.stop().catch(() => undefined);
    for (const p of providers) p.destroy();
    await Promise.all(started.map((n) => n.stop().catch(() => undefined)));
  };
  try {
    fs.mkdirSync(o.dataDir, { recursive: true });
    say(`starting L1 and ${specs.length} L2 hardhat nodes`);
    const port = (p: number) => (o.fixedPorts ? p : 0);
    const [l1Node, ...l2Nodes] = await Promise.all([
      startHardhatNode({ port: port(8545), chainId: 31337 }),
      ...specs.map((c, i) => startHardhatNode({ port: port(8546 + i), chainId: c.chainId })),
    ]);
    started.push(l1Node, ...l2Nodes);
    const provider = (url: string) => {
      const p = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
      p.pollingInterval = 100;
      providers.push(p);
      return p;
    };
    const l1Provider = provider(l1Node.url);
    say("deploying the settlement hub (with its batch verifier) and the L1 bridge on L1 (deployments in the data directory)");
    const deployDir = path.join(o.dataDir, "deployments");
    // The hub's batch verifier is deployed by DEVNET_VERIFIER_DEPLOYER_ACCOUNT (deploy/settlement-stack.ts).
    const l1 = await deployL1Devnet(new Wallet(account(0).privateKey, l1Provider), {
      rpcUrl: l1Node.url, dir: deployDir, params: DEVNET_PARAMS, layerSigner: account(DEVNET_COORDINATOR_ACCOUNT).address,
      verifierDeployer: new Wallet(account(DEVNET_VERIFIER_DEPLOYER_ACCOUNT).privateKey, l1Provider),
    });
    const k = l1.deployments.contracts;
    const layer: L1Layer = { hub: l1.hub, bridge: l1.bridge, startBlock: l1.deployments.startBlock, addresses: { hub: k.hub, bridge: k.bridge, batchVerifier: k.batchVerifier } };
    // Through the hub's timelock: the registrations are one operation, one delay.
    const admin = layer.hub.connect(new Wallet(account(0).privateKey, l1Provider));
    await registerChainsIfNeeded(admin, specs.map((c) => ({ networkId: c.networkId, sequencer: account(10 + c.networkId).address, policyFlags: c.policy === "optOut" ? 1 : 0, stakeEth: "1" })));

    const stacks = await Promise.all(
      specs.map(async (c, i) => {
        const p = provider(l2Nodes[i].url);
        const s = await deployL2Devnet(new Wallet(account(0).privateKey, p), { networkId: c.networkId, poster: account(10 + c.networkId).address, rpcUrl: l2Nodes[i].url, dir: deployDir });
        return { p, s };
      }),
    );
    say(`deployed: hub ${layer.addresses.hub}, bridge ${layer.addresses.bridge} (the same address on every L2)`);
    fs.writeFileSync(path.join(o.dataDir, "devnet.json"), JSON.stringify({
      l1: { rpcUrl: l1Node.url, chainId: 31337, ...layer.addresses, startBlock: layer.startBlock },
      chains: specs.map((c, i) => ({ ...c, rpcUrl: l2Nodes[i].url, bridge: stacks[i].s.bridge.target, oracle: stacks[i].s.oracle.target })),
    }, null, 2));

    say("deploying the example dApps on A and B (cross-chain counter, bridge-and-call)");
    const examples = await Promise.all([0, 1].map((i) => deployExamples(new Wallet(account(0).privateKey, stacks[i].p), String(stacks[i].s.bridge.target))));
    await linkExamplePeers(examples);

    say("starting the coordinator (embedded SQLite)");
    const cfg = merge({
      rpc: { port: port(7700), admin: true },
      store: { path: path.join(o.dataDir, "coordinator.sqlite") },
      l1: { rpcUrl: l1Node.url, hub: layer.addresses.hub, bridge: layer.addresses.bridge, settlerKey: account(DEVNET_COORDINATOR_ACCOUNT).privateKey, confirmations: 1, pollMs: 200, startBlock: layer.startBlock },
      epochs: { intervalMs: 20_000, batchSize: 16 },
      lifecycle: { proofTimeoutMs: 150_000, tickMs: 200 },
      // Chain A's prover fails in the scenario's cascade step: the backup prover must not rescue it.
      proving: { workers: 1, backup: { enabled: true, share: 0.3, disabledNetworks: [1] } },
      log: { level: "warn" },
    }, o.coordinator);
    coordinator = await startCoordinator(parseConfig(cfg as ConfigInput), { log: o.log.child("coordinator") });

    const chains = new Map<number, DevnetChain>();
    for (const [i, c] of specs.entries()) {
      const config = parseChainConfig({
        networkId: c.networkId,
        stateFile: path.join(o.dataDir, `chain-${c.name}.json`),
        l2: { rpcUrl: l2Nodes[i].url, bridge: stacks[i].s.bridge.target, oracle: stacks[i].s.oracle.target, sequencerKey: account(10 + c.networkId).privateKey },
        l1: { rpcUrl: l1Node.url, hub: layer.addresses.hub, bridge: layer.addresses.bridge },
        coordinator: { url: coordinator.rpc.url, wsUrl: coordinator.rpc.wsUrl },
        policy: { mode: c.policy },
        batch: { intervalMs: 150 },
        proving: { self: !(o.lazyProvers ?? []).includes(c.networkId) },
        // Prometheus metrics: 7701, 7702, ... next to the coordinator's 7700, or free ports (tests).
        metrics: { port: port(7701 + i) },
        log: { level: "warn" },
      });
      const client = new ChainClient(config, o.log.child(`chain-${c.name}`), o.events?.(c.networkId));
      clients.push(client);
      await client.start();
      chains.set(c.networkId, { spec: c, node: l2Nodes[i], provider: stacks[i].p, bridge: stacks[i].s.bridge, oracle: stacks[i].s.oracle, client, examples: examples[i] });
    }
    say(`chain clients running: ${specs.map((c) => `${c.name} (${c.policy})`).join(", ")}`);
    return { l1: { node: l1Node, provider: l1Provider, layer }, chains, coordinator, dataDir: o.dataDir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export const eth = (x: string): bigint => parseEther(x);
