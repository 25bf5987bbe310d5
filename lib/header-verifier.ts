/**
 * Fast recovery of certificate-header signers for the coordinator's hot path (pre-confirmation of hundreds of
 * certificates per second). Same result as recoverHeaderSigner (lib/certificate.ts), which stays the reference:
 * the domain separator is computed once, the struct hash by hand (four static fields), and the public key is
 * recovered with libsecp256k1 (the `secp256k1` native addon) when it loads, else with ethers.
 *
 * Like the hub (OpenZeppelin ECDSA), it refuses malleable signatures: s must be in the lower half order and
 * v must be 27 or 28 (ECDSA.tryRecoverCalldata refuses 0/1, so the coordinator must too).
 */
import { TypedDataEncoder, concat, getAddress, getBytes, keccak256, recoverAddress, toUtf8Bytes } from "ethers";
import { Header, SigningDomain, eip712Domain, revisionOf } from "./certificate";
import { toBytes32 } from "./field";

const SECP256K1_HALF_N = 0x7fffffff_ffffffff_ffffffff_ffffffff_5d576e73_57a4501d_dfe92f46_681b20a0n;
const TYPEHASH = keccak256(toUtf8Bytes("Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId)"));

interface NativeSecp {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
}
let native: NativeSecp | null | undefined;
function nativeSecp(): NativeSecp | null {
  if (native === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      native = require("secp256k1") as NativeSecp;
    } catch {
      native = null;
    }
  }
  return native;
}

export class HeaderVerifier {
  private readonly prefixHex: string;

  constructor(domain: SigningDomain) {
    this.prefixHex = concat(["0x1901", TypedDataEncoder.hashDomain(eip712Domain(domain))]);
  }

  /** The EIP-712 digest the sequencer signs; equals headerDigest(domain, h). */
  digest(h: Header): string {
    // abi.encode of (bytes32, uint32, uint64, uint32, bytes32): five 32-byte words, written directly (AbiCoder is ~10x slower).
    const word = (x: bigint) => x.toString(16).padStart(64, "0");
    const structHash = keccak256(TYPEHASH + word(BigInt(h.networkId)) + word(h.height) + word(BigInt(revisionOf(h))) + toBytes32(h.certificateId).slice(2));
    return keccak256(this.prefixHex + structHash.slice(2));
  }

  /** The checksummed signer, or null for a malformed or malleable signature. */
  recover(h: Header & { signature: string }): string | null {
    const sig = h.signature;
    if (typeof sig !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(sig)) return null;
    const s = BigInt("0x" + sig.slice(66, 130));
    const v = parseInt(sig.slice(130, 132), 16);
    if ((v !== 27 && v !== 28) || s === 0n || s > SECP256K1_HALF_N || BigInt("0x" + sig.slice(2, 66)) === 0n) return null;
    const digest = this.digest(h);
    const lib = nativeSecp();
    try {
      if (!lib) return recoverAddress(digest, sig);
      const pub = lib.ecdsaRecover(getBytes("0x" + sig.slice(2, 130)), v - 27, getBytes(digest), false);
      return getAddress("0x" + keccak256(pub.slice(1)).slice(26));
    } catch {
      return null;
    }
  }

  get backend(): "libsecp256k1" | "ethers" {
    return nativeSecp() ? "libsecp256k1" : "ethers";
  }
}
