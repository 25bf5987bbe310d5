/**
 * Deploys L1's settlement stack: PoseidonT3, PoseidonT5, SettlementHub, UnifiedBridge (network 0, the hub as its
 * exit-root oracle), in this fixed order from one deployer, then binds the bridge to the hub and records L1
 * checkpoint 0.
 *
 * The hub takes the place the ExitRootOracle has in deploy/bridge-stack.ts (the deployer's third transaction), so
 * the L1 bridge, deployed as the fourth, lands at the same address as every L2's bridge (docs/protocol.md §2).
 * Chicken-and-egg: the bridge's constructor takes the hub, so the hub is deployed first and bound afterwards.
 * Checkpoint 0 exists from the start, so a certificate importing from L1 always has a checkpoint to name.
 *
 * The hub settles batches (docs/settlement.md): its constructor takes the certificate key's batch verifier
 * (CertificateTestBatchVerifier: certificate_test, D = 1, B = 1) and the genesis commitment of the tree parameters.
 * The verifier is an argument of the hub's constructor, so it exists before the hub; it is deployed by a second
 * account (`verifierDeployer`) so that the deployer's own transactions, and with them the L1 bridge's address,
 * stay those of every L2's bridge stack.
 */
import { Signer } from "ethers";
import type { SettlementHub, UnifiedBridge } from "../typechain-types";
import { CertificateTestBatchVerifier__factory, SettlementHub__factory } from "../typechain-types";
import { genesisStateCommitment } from "../lib/network-state";
import { DEVNET_CERTIFICATE, certificateShapeOf } from "../zk/registry";
import type { TreeParams } from "../lib/params";
import { deployPoseidonLibraries, bridgeFactory } from "./bridge-stack";

/** The certificate circuit the batch verifier is for (certificate_test): D dependencies and B bundle legs per proof. */
export const BATCH_CERTIFICATE_SHAPE = certificateShapeOf(DEVNET_CERTIFICATE);

/** SettlementHub's BatchParameters (its last constructor argument) for the batch verifier at `verifier`. */
export function hubBatchParameters(verifier: string, params: TreeParams): SettlementHub.BatchParametersStruct {
  return {
    certificateVerifier: verifier,
    genesisStateCommitment: genesisStateCommitment(params),
    maxDependencies: BigInt(BATCH_CERTIFICATE_SHAPE.maxDependencies),
    maxBundles: BigInt(BATCH_CERTIFICATE_SHAPE.maxBundles),
  };
}

/** Deploys the certificate_test batch verifier from `signer`; returns its address. */
export async function deployBatchVerifier(signer: Signer): Promise<string> {
  const v = await (await new CertificateTestBatchVerifier__factory(signer).deploy()).waitForDeployment();
  return v.getAddress();
}

export interface SettlementStackOptions {
  /** The tree parameters: L1's exit tree depth (the same as every network's), networkBits, the genesis commitment. */
  params: TreeParams;
  /** The layer's rejection-signing key (the coordinator's); default: the deployer. */
  layerSigner?: string;
  /** The account that deploys the batch verifier (not the deployer: see above). */
  verifierDeployer?: Signer;
  /** Instead: a batch verifier already deployed, of BATCH_CERTIFICATE_SHAPE (tests of the hub use a stand-in). */
  batchVerifier?: string;
}

export interface SettlementStack {
  hub: SettlementHub;
  /** The L1 UnifiedBridge (network 0). */
  bridge: UnifiedBridge;
  poseidonT3: string;
  poseidonT5: string;
  batchVerifier: string;
}

/** The deployer becomes the hub's owner (hand it over with transferOwnership + acceptOwnership). */
export async function deploySettlementStack(deployer: Signer, o: SettlementStackOptions): Promise<SettlementStack> {
  const libs = await deployPoseidonLibraries(deployer);
  const me = await deployer.getAddress();
  if (!o.batchVerifier && !o.verifierDeployer) throw new Error("deploySettlementStack: give verifierDeployer (or batchVerifier)");
  const batchVerifier = o.batchVerifier ?? (await deployBatchVerifier(o.verifierDeployer!));
  const hub = await new SettlementHub__factory(deployer).deploy(me, o.params.networkBits, o.layerSigner ?? me, hubBatchParameters(batchVerifier, o.params));
  await hub.waitForDeployment();
  const bridge = await bridgeFactory(deployer, libs).deploy(0, o.params.exitDepth, await hub.getAddress());
  await bridge.waitForDeployment();
  await (await hub.bindL1Bridge(await bridge.getAddress())).wait();
  await (await bridge.checkpointExitRoot()).wait();
  return { hub, bridge, ...libs, batchVerifier };
}
