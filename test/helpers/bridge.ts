/**
 * Test helpers around the bridge stack: a network = an in-process chain + its bridge stack + an exit-tree
 * mirror fed from the bridge's events (what a chain client keeps).
 */
import { ContractTransactionResponse, toBeHex } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { newChain, TestChain } from "./chains";
import { deployBridgeStack, BridgeStack } from "../../deploy/bridge-stack";
import { ExitTreeMirror, MirroredExit } from "../../chain/exit-tree-mirror";
import type { UnifiedBridge } from "../../typechain-types";

export interface TestNetwork extends BridgeStack {
  chain: TestChain;
  deployer: HardhatEthersSigner;
  sequencer: HardhatEthersSigner;
  mirror: ExitTreeMirror;
}

/** Signer roles, by index into the chain's accounts (the same on every chain). */
export const ROLES = { deployer: 0, sequencer: 1, alice: 2, bob: 3, carol: 4, mallory: 5 };

export async function newNetwork(networkId: number, chainId: number, exitTreeDepth: number): Promise<TestNetwork> {
  const chain = await newChain(chainId);
  const deployer = chain.signers[ROLES.deployer];
  const sequencer = chain.signers[ROLES.sequencer];
  const stack = await deployBridgeStack(deployer, { networkId, exitTreeDepth, admin: sequencer.address, poster: sequencer.address });
  return { ...stack, chain, deployer, sequencer, mirror: new ExitTreeMirror(exitTreeDepth) };
}

/** Sends a bridge transaction and feeds its BridgeExit events to the network's mirror; returns the new exits. */
export async function exitVia(net: TestNetwork, tx: Promise<ContractTransactionResponse>): Promise<MirroredExit[]> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return net.mirror.ingest(net.bridge.interface, receipt.logs);
}

/** The claim arguments for exit `e` of `source`, proven against the mirror's current root posted as `oracleEntry`. */
export function claimArgs(source: TestNetwork, e: MirroredExit, oracleEntry: bigint | number) {
  const p = source.mirror.proof(e.leafIndex);
  const proof: UnifiedBridge.ClaimProofStruct = { oracleEntry, leafIndex: e.leafIndex, siblings: p.siblings };
  const exit: UnifiedBridge.ExitStruct = {
    originNetwork: e.leaf.originNetwork,
    originAddress: toBeHex(e.leaf.originAddress, 20),
    destinationNetwork: e.leaf.destinationNetwork,
    destinationAddress: toBeHex(e.leaf.destinationAddress, 20),
    amount: e.leaf.amount,
    metadata: e.metadata,
  };
  return { proof, exit };
}

/** Posts `source`'s current mirrored exit root into `target`'s oracle and returns the entry id. */
export async function postRoot(target: TestNetwork, sourceNetwork: number, height: bigint, certificateId: bigint, root: bigint): Promise<bigint> {
  const entryId = await target.oracle.entryCount();
  await (await target.oracle.connect(target.sequencer).postExitRoot(sourceNetwork, height, certificateId, root)).wait();
  return entryId;
}
