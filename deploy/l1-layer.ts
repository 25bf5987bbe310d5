/**
 * Deploys the layer on an L1: the settlement stack (deploy/settlement-stack.ts, in Batches mode unless told
 * otherwise; for development: it takes the
 * DEVELOPMENT-key verifiers) plus the aggregation verifiers of the set-up instances (S = 1 and S = 2), registered
 * on the hub; and registers chains. Used by the coordinator's integration tests. The deployer stays the hub's
 * owner (tests act as the owner); the devnet hands it over to a timelock (deploy/devnet.ts).
 */
import { Signer, parseEther } from "ethers";
import { AggregationTestS1Adapter__factory, AggregationTestS2Adapter__factory } from "../typechain-types";
import type { SettlementHub, UnifiedBridge } from "../typechain-types";
import { deploySettlementStack, SettlementModeName } from "./settlement-stack";
import type { GlobalParams } from "../lib/global-state";

export interface L1Layer {
  hub: SettlementHub;
  bridge: UnifiedBridge;
  addresses: { hub: string; bridge: string; verifierS1: string; verifierS2: string };
  /** Block of the hub's deployment (where the coordinator starts reading events). */
  startBlock: number;
}

/**
 * @param layerSigner The coordinator's rejection-signing key (its settler account in the tests).
 * @param batches The hub settles batches (default) with the batch verifier `verifierDeployer` deploys; `mode: "Epochs"`
 * deploys the aggregation hub (the aggregation verifiers are registered either way).
 */
export async function deployL1Layer(deployer: Signer, params: GlobalParams, layerSigner: string, batches: { mode?: SettlementModeName; verifierDeployer?: Signer } = {}): Promise<L1Layer> {
  const startBlock = await deployer.provider!.getBlockNumber();
  const { hub, bridge } = await deploySettlementStack(deployer, { exitTreeDepth: params.exitDepth, networkBits: params.networkBits, layerSigner, developmentMode: true, mode: batches.mode, params, verifierDeployer: batches.verifierDeployer });
  const s1 = await (await new AggregationTestS1Adapter__factory(deployer).deploy()).waitForDeployment();
  const s2 = await (await new AggregationTestS2Adapter__factory(deployer).deploy()).waitForDeployment();
  await (await hub.setVerifiers([1, 2], [await s1.getAddress(), await s2.getAddress()])).wait();
  return { hub, bridge, startBlock, addresses: { hub: await hub.getAddress(), bridge: await bridge.getAddress(), verifierS1: await s1.getAddress(), verifierS2: await s2.getAddress() } };
}

export interface ChainRegistration {
  networkId: number;
  sequencer: string;
  /** Bit 0: settles directly (opt-out). */
  policyFlags: number;
  stakeEth?: string;
}

export async function registerChains(hub: SettlementHub, chains: ChainRegistration[]): Promise<void> {
  for (const c of chains) {
    await (await hub.registerNetwork(c.networkId, c.sequencer, c.policyFlags, { value: parseEther(c.stakeEth ?? "1") })).wait();
  }
}
