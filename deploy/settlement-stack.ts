/**
 * Deploys L1's settlement stack: PoseidonT3, PoseidonT5, SettlementHub, UnifiedBridge (network 0, the hub as its
 * exit-root oracle), in this fixed order from one deployer, then binds the bridge to the hub and records L1
 * checkpoint 0.
 *
 * The hub takes the place the ExitRootOracle has in deploy/bridge-stack.ts (the deployer's third transaction), so
 * the L1 bridge, deployed as the fourth, lands at the same address as every L2's bridge (docs/protocol.md §2).
 * Chicken-and-egg: the bridge's constructor takes the hub, so the hub is deployed first and bound afterwards.
 * Checkpoint 0 exists from the start so that an epoch always has an L1 checkpoint to bind (docs/settlement.md).
 */
import { Signer, ZeroAddress } from "ethers";
import type { SettlementHub, UnifiedBridge } from "../typechain-types";
import { SettlementHub__factory } from "../typechain-types";
import { deployPoseidonLibraries, bridgeFactory } from "./bridge-stack";

export interface SettlementStackOptions {
  /** L1's local exit tree depth (the same as every network's). */
  exitTreeDepth: number;
  /** Depth of the global tree (production 32). */
  networkBits: number;
  /** The layer's rejection-signing key (the coordinator's); default: the deployer. */
  layerSigner?: string;
  /**
   * Whether the hub accepts verifiers of development keys (public trapdoor). Explicit, always: true only for
   * devnets and tests.
   */
  developmentMode: boolean;
}

export interface SettlementStack {
  hub: SettlementHub;
  /** The L1 UnifiedBridge (network 0). */
  bridge: UnifiedBridge;
  poseidonT3: string;
  poseidonT5: string;
}

/** The deployer becomes the hub's owner (hand it over with transferOwnership + acceptOwnership). */
export async function deploySettlementStack(deployer: Signer, o: SettlementStackOptions): Promise<SettlementStack> {
  const libs = await deployPoseidonLibraries(deployer);
  const me = await deployer.getAddress();
  const hub = await new SettlementHub__factory(deployer).deploy(me, o.networkBits, o.layerSigner ?? me, o.developmentMode, 0 /* SettlementMode.Epochs */, { certificateVerifier: ZeroAddress, genesisStateCommitment: 0, maxDependencies: 0, maxBundles: 0 });
  await hub.waitForDeployment();
  const bridge = await bridgeFactory(deployer, libs).deploy(0, o.exitTreeDepth, await hub.getAddress());
  await bridge.waitForDeployment();
  await (await hub.bindL1Bridge(await bridge.getAddress())).wait();
  await (await bridge.checkpointExitRoot()).wait();
  return { hub, bridge, ...libs };
}
