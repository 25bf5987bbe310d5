/**
 * Deploys L1's settlement stack: PoseidonT3, PoseidonT5, SettlementHub, UnifiedBridge (network 0, the hub as its
 * exit-root oracle), in this fixed order from one deployer, then binds the bridge to the hub and records L1
 * checkpoint 0.
 *
 * The hub takes the place the ExitRootOracle has in deploy/bridge-stack.ts (the deployer's third transaction), so
 * the L1 bridge, deployed as the fourth, lands at the same address as every L2's bridge (docs/protocol.md §2).
 * Chicken-and-egg: the bridge's constructor takes the hub, so the hub is deployed first and bound afterwards.
 * Checkpoint 0 exists from the start so that an epoch always has an L1 checkpoint to bind (docs/settlement.md).
 *
 * The hub's settlement mode (docs/settlement.md "Settlement modes") is fixed here: `Batches` (the default, what the
 * coordinator and the chain clients settle with) takes the certificate key's batch verifier
 * (CertificateTestBatchVerifier: certificate_test, D = 1, B = 1) and the genesis commitment of the tree parameters.
 * The verifier is an argument of the hub's constructor, so it exists before the hub; it is deployed by a second
 * account (`verifierDeployer`) so that the deployer's own transactions, and with them the L1 bridge's address,
 * stay those of every L2's bridge stack.
 */
import { Signer, ZeroAddress } from "ethers";
import type { SettlementHub, UnifiedBridge } from "../typechain-types";
import { CertificateTestBatchVerifier__factory, SettlementHub__factory } from "../typechain-types";
import { genesisStateCommitment } from "../lib/global-state";
import { DEVNET_CERTIFICATE, certificateShapeOf } from "../zk/registry";
import type { TreeParams } from "../lib/params";

/** contracts/settlement/SettlementHub.sol SettlementMode. */
export const SettlementMode = { Epochs: 0, Batches: 1 } as const;
export type SettlementModeName = keyof typeof SettlementMode;

/** The certificate circuit the batch verifier is for (certificate_test): D dependencies and B bundle legs per proof. */
export const BATCH_CERTIFICATE_SHAPE = certificateShapeOf(DEVNET_CERTIFICATE);

/** SettlementHub's last two constructor arguments for `mode` (BatchSettlement's parameters are all zero for Epochs). */
export function hubModeArguments(mode: SettlementModeName, batch?: { verifier: string; params: TreeParams }) {
  if (mode === "Epochs") return [SettlementMode.Epochs, { certificateVerifier: ZeroAddress, genesisStateCommitment: 0n, maxDependencies: 0n, maxBundles: 0n }] as const;
  if (!batch) throw new Error("a hub in Batches mode needs its batch verifier and tree parameters");
  return [
    SettlementMode.Batches,
    { certificateVerifier: batch.verifier, genesisStateCommitment: genesisStateCommitment(batch.params), maxDependencies: BigInt(BATCH_CERTIFICATE_SHAPE.maxDependencies), maxBundles: BigInt(BATCH_CERTIFICATE_SHAPE.maxBundles) },
  ] as const;
}

/** Deploys the certificate_test batch verifier from `signer`; returns its address. */
export async function deployBatchVerifier(signer: Signer): Promise<string> {
  const v = await (await new CertificateTestBatchVerifier__factory(signer).deploy()).waitForDeployment();
  return v.getAddress();
}
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
  /** Default "Batches". */
  mode?: SettlementModeName;
  /** Batches mode: the tree parameters of the genesis commitment (exitDepth must be exitTreeDepth). */
  params?: TreeParams;
  /** Batches mode: the account that deploys the batch verifier (not the deployer: see above). */
  verifierDeployer?: Signer;
}

export interface SettlementStack {
  hub: SettlementHub;
  /** The L1 UnifiedBridge (network 0). */
  bridge: UnifiedBridge;
  poseidonT3: string;
  poseidonT5: string;
  /** The batch verifier (Batches mode). */
  batchVerifier?: string;
}

/** The deployer becomes the hub's owner (hand it over with transferOwnership + acceptOwnership). */
export async function deploySettlementStack(deployer: Signer, o: SettlementStackOptions): Promise<SettlementStack> {
  const libs = await deployPoseidonLibraries(deployer);
  const me = await deployer.getAddress();
  const mode = o.mode ?? "Batches";
  let batch: { verifier: string; params: TreeParams } | undefined;
  if (mode === "Batches") {
    if (!o.params || !o.verifierDeployer) throw new Error("deploySettlementStack: Batches mode needs params and verifierDeployer");
    if (o.params.exitDepth !== o.exitTreeDepth) throw new Error("deploySettlementStack: params.exitDepth differs from exitTreeDepth");
    batch = { verifier: await deployBatchVerifier(o.verifierDeployer), params: o.params };
  }
  const hub = await new SettlementHub__factory(deployer).deploy(me, o.networkBits, o.layerSigner ?? me, o.developmentMode, ...(hubModeArguments(mode, batch) as [number, ReturnType<typeof hubModeArguments>[1]]));
  await hub.waitForDeployment();
  const bridge = await bridgeFactory(deployer, libs).deploy(0, o.exitTreeDepth, await hub.getAddress());
  await bridge.waitForDeployment();
  await (await hub.bindL1Bridge(await bridge.getAddress())).wait();
  await (await bridge.checkpointExitRoot()).wait();
  return { hub, bridge, ...libs, batchVerifier: batch?.verifier };
}
