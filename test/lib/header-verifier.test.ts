import { expect } from "chai";
import { Wallet, Signature } from "ethers";
import { headerDigest, recoverHeaderSigner, signHeader } from "../../lib/certificate";
import { HeaderVerifier } from "../../lib/header-verifier";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const domain = { chainId: 31337n, verifyingContract: "0x" + "11".repeat(20) };

describe("HeaderVerifier (lib/header-verifier.ts): the coordinator's fast signer recovery", function () {
  const verifier = new HeaderVerifier(domain);
  const wallet = Wallet.createRandom();
  const h = { networkId: 7, height: 2n ** 40n + 3n, certificateId: 2n ** 250n + 12345n };
  let signature: string;
  before(async () => {
    signature = await signHeader(wallet, domain, h);
  });

  it("uses libsecp256k1", () => {
    expect(verifier.backend).to.equal("libsecp256k1");
  });

  it("computes the reference digest and recovers the reference signer, for many headers and keys", async () => {
    for (let i = 0; i < 20; i++) {
      const w = Wallet.createRandom();
      const hi = { networkId: i * 1000 + 1, height: BigInt(i) ** 7n, certificateId: BigInt(i + 1) * 0x1234567890abcdefn };
      const sig = await signHeader(w, domain, hi);
      expect(verifier.digest(hi)).to.equal(headerDigest(domain, hi));
      expect(verifier.recover({ ...hi, signature: sig })).to.equal(recoverHeaderSigner(domain, { ...hi, signature: sig })).and.equal(w.address);
    }
  });

  it("binds every header field and the domain", () => {
    expect(verifier.recover({ ...h, networkId: 8, signature })).to.not.equal(wallet.address);
    expect(verifier.recover({ ...h, height: h.height + 1n, signature })).to.not.equal(wallet.address);
    expect(verifier.recover({ ...h, certificateId: h.certificateId + 1n, signature })).to.not.equal(wallet.address);
    expect(new HeaderVerifier({ ...domain, chainId: 1n }).recover({ ...h, signature })).to.not.equal(wallet.address);
  });

  it("refuses the malleable twin (high s), v = 0/1 and malformed signatures, as the hub's ECDSA does", () => {
    const sig = Signature.from(signature);
    const highS = "0x" + sig.r.slice(2) + (N - BigInt(sig.s)).toString(16).padStart(64, "0") + (sig.v === 27 ? "1c" : "1b");
    expect(verifier.recover({ ...h, signature: highS })).to.equal(null);
    const v01 = signature.slice(0, 130) + (sig.v === 27 ? "00" : "01");
    expect(verifier.recover({ ...h, signature: v01 })).to.equal(null);
    for (const bad of ["0x", signature.slice(0, 128), signature + "00", "0x" + "zz".repeat(65), "0x" + "00".repeat(65), signature.slice(0, 130) + "1d"]) {
      expect(verifier.recover({ ...h, signature: bad }), bad).to.equal(null);
    }
  });

  it("measures: recoveries per second (printed)", () => {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) verifier.recover({ ...h, signature });
    const ms = performance.now() - t0;
    console.log(`      HeaderVerifier: ${(2000 / (ms / 1000)).toFixed(0)} recoveries/s (${verifier.backend})`);
    expect(verifier.recover({ ...h, signature })).to.equal(wallet.address);
  });
});
