/**
 * The layer's signed rejections (docs/protocol.md §5): when the coordinator rejects a chain's certificate of
 * revision r at height h, its layer key signs EIP-712 Rejection(networkId, h, r). That signature is the licence
 * for the chain's rebuild at revision r + 1: the hub finalizes a revision r + 1 only with it, so a chain cannot
 * keep two live certificates for one height without signing two ids for one revision (an equivocation).
 *
 * Signatures are deterministic (RFC 6979), so a licence is computed when asked rather than stored.
 */
import { SigningKey, TypedDataEncoder, computeAddress } from "ethers";
import { REJECTION_TYPES, RejectionHeader, SigningDomain, eip712Domain } from "../lib/certificate";
import { ConfigError, CoordinatorConfig } from "./config";
import type { L1Client } from "./l1/client";

export class LayerSigner {
  private readonly key: SigningKey;
  readonly address: string;

  constructor(privateKey: string, private readonly domain: SigningDomain) {
    this.key = new SigningKey(privateKey);
    this.address = computeAddress(this.key.publicKey);
  }

  /** The layer's signature of Rejection(networkId, height, revision). */
  licence(r: RejectionHeader): string {
    const digest = TypedDataEncoder.hash(eip712Domain(this.domain), REJECTION_TYPES, { networkId: r.networkId, height: r.height, revision: r.revision });
    return this.key.sign(digest).serialized;
  }
}

/**
 * The layer signer of the configuration (l1.layerKey, else the settler key), checked against the hub's
 * `layerSigner`: licences signed by another key would be refused on L1. Null when no key is configured (the node
 * then cannot license rebuilds; chains still rebuild, but cannot settle a revision > 0).
 */
export async function layerSignerOf(config: CoordinatorConfig, l1: L1Client): Promise<LayerSigner | null> {
  const key = config.l1.layerKey ?? config.l1.settlerKey;
  if (!key) return null;
  const signer = new LayerSigner(key, { chainId: await l1.chainId(), verifyingContract: config.l1.hub });
  const onHub = await l1.layerSigner();
  if (onHub.toLowerCase() !== signer.address.toLowerCase()) {
    throw new ConfigError(`l1.${config.l1.layerKey ? "layerKey" : "settlerKey"}: its address ${signer.address} is not the hub's layerSigner ${onHub}`);
  }
  return signer;
}
