/**
 * A real layer for coordinator tests: a `hardhat node` process on loopback with the L1 contracts deployed
 * (deploy/l1-layer.ts), registered chains with sequencer keys, a JSON-RPC client, and model-side chains that
 * build and sign certificates (test/helpers/world.ts) and prove them in their own prover pool.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HDNodeWallet, JsonRpcProvider, Wallet, parseEther, ZeroAddress } from "ethers";
import { startHardhatNode, HardhatNodeHandle } from "../../../scripts/devnet/hardhat-node";
import { deployL1Layer, registerChains, L1Layer } from "../../../deploy/l1-layer";
import { DEVNET_PARAMS } from "../../../lib/params";
import { BuiltCertificate, ImportedExit, signCertificate, SigningDomain, certificateToJson } from "../../../lib";
import { circuitInputToJson, certificateWitness } from "../../../lib/witness/certificate";
import { ExitTreeMirror } from "../../../chain/exit-tree-mirror";
import { ModelWorld } from "../../helpers/world";
import { parseConfig, CoordinatorConfig, ConfigInput } from "../../../coordinator/config";
import type { ProverPool } from "../../../zk/prover/pool";
import { DEVNET_CERTIFICATE, certificateShapeOf } from "../../../zk/registry";

export const MNEMONIC = "test test test test test test test test test test test junk";
export const account = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
export const SHAPE = certificateShapeOf(DEVNET_CERTIFICATE);
export const P = DEVNET_PARAMS;

export interface TestL1 {
  node: HardhatNodeHandle;
  provider: JsonRpcProvider;
  deployer: Wallet;
  layer: L1Layer;
  domain: SigningDomain;
  sequencers: Map<number, HDNodeWallet>;
  l1Exits: ExitTreeMirror;
  stop(): Promise<void>;
}

/** The account that deploys the hub's batch verifier (deploy/settlement-stack.ts: not the deployer). */
export const VERIFIER_DEPLOYER = 9;

export async function startTestL1(chains: { networkId: number; policyFlags: number }[]): Promise<TestL1> {
  const node = await startHardhatNode({});
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 100;
  const deployer = new Wallet(account(0).privateKey, provider);
  const layer = await deployL1Layer(deployer, P, account(1).address, new Wallet(account(VERIFIER_DEPLOYER).privateKey, provider));
  const sequencers = new Map(chains.map((c) => [c.networkId, account(10 + c.networkId)]));
  await registerChains(layer.hub, chains.map((c) => ({ ...c, sequencer: sequencers.get(c.networkId)!.address })));
  const domain = { chainId: BigInt(node.chainId), verifyingContract: layer.addresses.hub };
  return {
    node, provider, deployer, layer, domain, sequencers, l1Exits: new ExitTreeMirror(P.exitDepth),
    stop: async () => {
      provider.destroy();
      await node.stop();
    },
  };
}

export function tempStorePath(tag: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), `coord-${tag}-`)), "coordinator.sqlite");
}

/** Coordinator config for tests: ephemeral port, admin on, manual epochs, account 1 as the settler. */
export function testConfig(l1: TestL1, o: { store: string } & Partial<Record<string, unknown>>, extra: ConfigInput | Record<string, unknown> = {}): CoordinatorConfig {
  const base = {
    rpc: { port: 0, admin: true },
    store: { path: o.store },
    l1: { rpcUrl: l1.node.url, hub: l1.layer.addresses.hub, bridge: l1.layer.addresses.bridge, settlerKey: account(1).privateKey, confirmations: 2, pollMs: 150, startBlock: l1.layer.startBlock },
    epochs: { intervalMs: 0 },
    lifecycle: { proofTimeoutMs: 600_000, tickMs: 100 },
    proving: { workers: 1 },
    log: { level: "warn" },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) merged[k] = { ...(base as Record<string, object>)[k], ...(v as object) };
  return parseConfig(merged);
}

export class RpcClient {
  private id = 0;
  constructor(readonly url: string) {}

  async call<T = unknown>(method: string, params: unknown = {}): Promise<T> {
    const res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }) });
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: { reason?: string } } };
    if (body.error) throw Object.assign(new Error(`${method}: ${body.error.message}`), { rpc: body.error });
    return body.result as T;
  }

  /** The error's data.reason, or "OK" if the call succeeded. */
  async reason(method: string, params: unknown = {}): Promise<string> {
    try {
      await this.call(method, params);
      return "OK";
    } catch (e) {
      return (e as { rpc?: { data?: { reason?: string } } }).rpc?.data?.reason ?? "NO_REASON";
    }
  }
}

/** Model-side chains: build, sign, prove certificates. */
export class TestChains {
  readonly world = new ModelWorld(P);
  readonly built = new Map<bigint, BuiltCertificate>();
  private readonly before = new Map<bigint, ReturnType<ModelWorld["chain"]>>();

  constructor(private readonly l1: TestL1) {}

  /** A real L1 deposit to `networkId`, checkpointed; returns the import for it. */
  async depositFromL1(networkId: number, amount: bigint, to = Wallet.createRandom().address): Promise<ImportedExit> {
    const { bridge } = this.l1.layer;
    const rc = await (await bridge.connect(this.l1.deployer).bridgeAsset(networkId, to, amount, ZeroAddress, { value: amount })).wait();
    const [exit] = this.l1.l1Exits.ingest(bridge.interface, rc!.logs);
    await (await bridge.connect(this.l1.deployer).checkpointExitRoot()).wait();
    const cp = (await bridge.checkpointCount()) - 1n;
    const [root] = await bridge.checkpoint(cp);
    return { leaf: exit.leaf, leafIndex: exit.leafIndex, source: { networkId: 0, height: cp, certificateId: 0n }, sourceExitRoot: root, siblings: this.l1.l1Exits.proof(exit.leafIndex).siblings };
  }

  certify(networkId: number, batch: Parameters<ModelWorld["certify"]>[1] = {}): BuiltCertificate {
    const prev = this.world.chain(networkId);
    const b = this.world.certify(networkId, batch);
    this.built.set(b.certificateId, b);
    this.before.set(b.certificateId, prev);
    return b;
  }

  async signedJson(b: BuiltCertificate, signer?: HDNodeWallet) {
    const s = await signCertificate(signer ?? this.l1.sequencers.get(b.certificate.networkId)!, this.l1.domain, b.certificate);
    return certificateToJson(s);
  }

  async prove(pool: ProverPool, b: BuiltCertificate) {
    const input = circuitInputToJson(certificateWitness(this.before.get(b.certificateId)!, b, SHAPE) as unknown as Record<string, unknown>);
    const r = await pool.prove({ instance: "certificate_test", input });
    return { certificateId: "0x" + b.certificateId.toString(16), proof: r.proof, publicSignals: r.publicSignals };
  }
}

export const eth = (x: string) => parseEther(x);
export const hex = (x: bigint) => "0x" + x.toString(16);

export async function waitFor<T>(what: string, f: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
