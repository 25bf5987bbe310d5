/**
 * Deploys the layer on an L1: the settlement stack (deploy/settlement-stack.ts: the hub with the certificate key's
 * batch verifier, DEVELOPMENT keys) and registers chains. Used by the coordinator's integration tests. The deployer
 * stays the hub's owner (tests act as the owner); the devnet hands it over to a timelock (deploy/devnet.ts).
 */
import { Signer, parseEther } from "ethers";
import type { SettlementHub, UnifiedBridge } from "../typechain-types";
import { deploySettlementStack } from "./settlement-stack";
import type { LayerParams } from "../lib/params";

export interface L1Layer {
  hub: SettlementHub;
  bridge: UnifiedBridge;
  addresses: { hub: string; bridge: string; batchVerifier: string };
  /** Block of the hub's deployment (where the coordinator starts reading events). */
  startBlock: number;
}

/**
 * @param layerSigner The coordinator's rejection-signing key (its settler account in the tests).
 * @param verifierDeployer The account that deploys the batch verifier (not the deployer: deploy/settlement-stack.ts).
 */
export async function deployL1Layer(deployer: Signer, params: LayerParams, layerSigner: string, verifierDeployer: Signer): Promise<L1Layer> {
  const startBlock = await deployer.provider!.getBlockNumber();
  const { hub, bridge, batchVerifier } = await deploySettlementStack(deployer, { params, layerSigner, verifierDeployer });
  return { hub, bridge, startBlock, addresses: { hub: await hub.getAddress(), bridge: await bridge.getAddress(), batchVerifier } };
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
