/**
 * SettlementHub's last two constructor arguments: the settlement mode (fixed at deployment) and BatchSettlement's
 * parameters (all zero in Epochs mode). `new SettlementHub__factory(s).deploy(owner, bits, layer, dev, ...EPOCHS)`.
 */
import { ZeroAddress } from "ethers";

/** contracts/settlement/SettlementHub.sol SettlementMode. */
export const SettlementMode = { Epochs: 0, Batches: 1 } as const;

/** The batch parameters of a hub in Epochs mode: no batch verifier. */
export const NO_BATCH_PARAMETERS = { certificateVerifier: ZeroAddress, genesisStateCommitment: 0n, maxDependencies: 0n, maxBundles: 0n };

/** Mode and batch parameters of a hub that settles epochs (what the deploy scripts deploy). */
export const EPOCHS = [SettlementMode.Epochs, NO_BATCH_PARAMETERS] as const;

/** Mode and batch parameters of a hub that settles batches with `verifier` (certificate circuit of D dependencies, B bundle legs). */
export function batches(verifier: string, genesisStateCommitment: bigint, maxDependencies: number, maxBundles: number) {
  return [SettlementMode.Batches, { certificateVerifier: verifier, genesisStateCommitment, maxDependencies: BigInt(maxDependencies), maxBundles: BigInt(maxBundles) }] as const;
}
