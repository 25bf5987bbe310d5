import { expect } from "chai";
import { AbiCoder, Wallet, keccak256, toUtf8Bytes, concat, getAddress } from "ethers";
import {
  AccountingError,
  BundleLeg,
  Certificate,
  CertificateFormatCode,
  CertificateFormatError,
  CertificateRef,
  ENCODING_LIMITS,
  EIP712_NAME,
  EIP712_VERSION,
  ExitLeaf,
  ExitTree,
  FIELD_MODULUS,
  ImportedExit,
  LeafType,
  MAX_BUNDLE_LEGS,
  NetworkState,
  SignedHeader,
  SigningDomain,
  TEST_PARAMS,
  buildCertificate,
  certificateFromJson,
  certificateId,
  certificateToJson,
  computeMerkleRoot,
  deriveDependencies,
  fieldKeccak,
  gasCoin,
  hashBundleLeg,
  hashDependency,
  hashExitLeaf,
  hashImport,
  hashList,
  headerDigest,
  isEquivocation,
  packParticipants,
  poseidon,
  recoverHeaderSigner,
  recoverRejectionSigner,
  signCertificate,
  signHeader,
  signRejection,
  validateCertificate,
} from "../../lib";
import { Prng, VECTOR_STATEMENT_SHAPE } from "../../scripts/gen-vectors";
import { certificatePublicSignals, publicSignalCount } from "../../lib/settlement";
import { balancesOf, loadCertificateVectors } from "../helpers/vectors";

const P = FIELD_MODULUS;
const DOMAIN: SigningDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const sequencer = new Wallet("0x" + "11".repeat(32));
const stranger = new Wallet("0x" + "33".repeat(32));

const rng = new Prng("certificate tests");

function leaf(over: Partial<ExitLeaf> = {}): ExitLeaf {
  return {
    leafType: LeafType.Asset,
    originNetwork: 0,
    originAddress: rng.address(),
    destinationNetwork: 5,
    destinationAddress: rng.address(),
    amount: rng.bits(100),
    metadataHash: fieldKeccak(rng.bytes(20)),
    ...over,
  };
}

const ID2 = rng.field();
const ID1 = rng.field();

/** A valid certificate with every list non-empty: an L1 import, an import from network 2, an extra dependency, two bundles. */
function baseCertificate(): Certificate {
  const r = new Prng("base certificate"); // the same values on every call
  const f = () => r.field();
  const addr = () => r.address();
  return {
    networkId: 3,
    height: 7n,
    prevStateCommitment: f(),
    newStateCommitment: f(),
    prevLocalExitRoot: f(),
    newLocalExitRoot: f(),
    newStateRoot: r.bytes32(),
    bridgeExits: [
      { leafType: LeafType.Asset, originNetwork: 0, originAddress: addr(), destinationNetwork: 2, destinationAddress: addr(), amount: 1000n, metadataHash: f() },
      { leafType: LeafType.Message, originNetwork: 3, originAddress: addr(), destinationNetwork: 1, destinationAddress: addr(), amount: 0n, metadataHash: f() },
    ],
    importedExits: [
      {
        leaf: { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 3, destinationAddress: addr(), amount: 5n, metadataHash: f() },
        leafIndex: 4,
        source: { networkId: 0, height: 12n, certificateId: 0n },
        sourceExitRoot: f(),
        siblings: Array.from({ length: 8 }, f),
      },
      {
        leaf: { leafType: LeafType.Message, originNetwork: 2, originAddress: addr(), destinationNetwork: 3, destinationAddress: addr(), amount: 9n, metadataHash: f() },
        leafIndex: 1,
        source: { networkId: 2, height: 9n, certificateId: ID2 },
        sourceExitRoot: f(),
        siblings: Array.from({ length: 8 }, f),
      },
    ],
    dependencies: [
      { networkId: 1, height: 4n, certificateId: ID1 },
      { networkId: 2, height: 9n, certificateId: ID2 },
    ],
    bundles: [
      { bundleId: f(), legIndex: 0, legCount: 2, success: true, participants: [3, 1] },
      { bundleId: f(), legIndex: 2, legCount: 3, success: false, participants: [1, 2, 3] },
    ],
  };
}

const clone = (c: Certificate): Certificate => certificateFromJson(JSON.parse(JSON.stringify(certificateToJson(c)))) as Certificate;

function formatError(f: () => unknown): CertificateFormatError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(CertificateFormatError);
    return e as CertificateFormatError;
  }
  return expect.fail("expected a CertificateFormatError") as never;
}

function expectInvalid(c: Certificate, code: CertificateFormatCode, what: string): void {
  expect(formatError(() => validateCertificate(c)).code, what).to.equal(code);
  expect(formatError(() => certificateId(c)).code, what).to.equal(code);
}

function flipBit(hex32: string, bit: number): string {
  return "0x" + (BigInt(hex32) ^ (1n << BigInt(bit))).toString(16).padStart(64, "0");
}

describe("certificates (lib/certificate.ts, certificate-builder.ts, codec.ts)", function () {
  this.timeout(60_000);

  describe("certificateId", () => {
    it("is the documented Poseidon of the header and the four list hashes", () => {
      const c = baseCertificate();
      const root = BigInt(c.newStateRoot);
      const importsHash = hashList(
        c.importedExits.map((m) => poseidon([hashExitLeaf(m.leaf), BigInt(m.source.networkId), BigInt(m.leafIndex), m.source.height, m.source.certificateId, m.sourceExitRoot])),
      );
      const expected = poseidon([
        BigInt(c.networkId),
        c.height,
        0n, // revision (absent: 0)
        c.prevStateCommitment,
        c.newStateCommitment,
        c.prevLocalExitRoot,
        c.newLocalExitRoot,
        root >> 128n,
        root & ((1n << 128n) - 1n),
        hashList(c.bridgeExits.map(hashExitLeaf)),
        importsHash,
        hashList(c.dependencies.map((d) => poseidon([BigInt(d.networkId), d.height, d.certificateId]))),
        hashList(c.bundles.map((b) => poseidon([b.bundleId, BigInt(b.legIndex), BigInt(b.legCount), b.success ? 1n : 0n, packParticipants(b.participants)]))),
      ]);
      expect(certificateId(c)).to.equal(expected);
    });

    it("changes when any single field or list item changes (and all the variants differ)", () => {
      const base = baseCertificate();
      const baseId = certificateId(base);
      const variants: [string, (c: Certificate) => void][] = [
        ["networkId (its legs' places with it)", (c) => {
          c.networkId = 4;
          for (const b of c.bundles) b.participants[b.legIndex] = 4;
        }],
        ["revision 1", (c) => (c.revision = 1)],
        ["revision 2^32-1", (c) => (c.revision = 2 ** 32 - 1)],
        ["height", (c) => (c.height += 1n)],
        ["height 0", (c) => (c.height = 0n)],
        ["height 2^64-1", (c) => (c.height = (1n << 64n) - 1n)],
        ["prevStateCommitment", (c) => (c.prevStateCommitment += 1n)],
        ["newStateCommitment", (c) => (c.newStateCommitment += 1n)],
        ["prevLocalExitRoot", (c) => (c.prevLocalExitRoot += 1n)],
        ["newLocalExitRoot", (c) => (c.newLocalExitRoot += 1n)],
        ["newStateRoot low half", (c) => (c.newStateRoot = flipBit(c.newStateRoot, 0))],
        ["newStateRoot high half", (c) => (c.newStateRoot = flipBit(c.newStateRoot, 255))],
        ["newStateRoot bit 128", (c) => (c.newStateRoot = flipBit(c.newStateRoot, 128))],
        ["commitments swapped", (c) => ([c.prevStateCommitment, c.newStateCommitment] = [c.newStateCommitment, c.prevStateCommitment])],
      ];
      const leafFields: [string, (l: ExitLeaf) => void][] = [
        ["leafType", (l) => (l.leafType = l.leafType === LeafType.Asset ? LeafType.Message : LeafType.Asset)],
        ["originNetwork", (l) => (l.originNetwork += 1)],
        ["originAddress", (l) => (l.originAddress += 1n)],
        ["destinationNetwork", (l) => (l.destinationNetwork += 1)],
        ["destinationAddress", (l) => (l.destinationAddress += 1n)],
        ["amount", (l) => (l.amount += 1n)],
        ["metadataHash", (l) => (l.metadataHash += 1n)],
      ];
      for (let k = 0; k < base.bridgeExits.length; k++) {
        for (const [name, f] of leafFields) variants.push([`bridgeExits[${k}].${name}`, (c) => f(c.bridgeExits[k])]);
      }
      for (let k = 0; k < base.importedExits.length; k++) {
        for (const [name, f] of leafFields) variants.push([`importedExits[${k}].leaf.${name}`, (c) => f(c.importedExits[k].leaf)]);
        variants.push([`importedExits[${k}].leafIndex`, (c) => (c.importedExits[k].leafIndex += 1)]);
        variants.push([`importedExits[${k}].sourceExitRoot`, (c) => (c.importedExits[k].sourceExitRoot += 1n)]);
      }
      // the L1 import's checkpoint; the network-2 import's source together with its dependency (they must agree)
      variants.push(["importedExits[0].source.height (L1 checkpoint)", (c) => (c.importedExits[0].source.height += 1n)]);
      variants.push(["importedExits[1].source.certificateId (+ dependency)", (c) => {
        c.importedExits[1].source.certificateId += 1n;
        c.dependencies[1].certificateId += 1n;
      }]);
      variants.push(["importedExits[1].source.height (+ dependency)", (c) => {
        c.importedExits[1].source.height += 1n;
        c.dependencies[1].height += 1n;
      }]);
      variants.push(["importedExits[1].source.networkId (+ dependency)", (c) => {
        c.importedExits[1].source.networkId = 4;
        c.dependencies[1].networkId = 4;
      }]);
      variants.push(["dependencies[0].certificateId", (c) => (c.dependencies[0].certificateId += 1n)]);
      variants.push(["dependencies[0].height", (c) => (c.dependencies[0].height += 1n)]);
      variants.push(["dependencies[0].networkId (re-sorted)", (c) => {
        c.dependencies[0].networkId = 5;
        c.dependencies.reverse();
      }]);
      for (let k = 0; k < base.bundles.length; k++) {
        variants.push([`bundles[${k}].bundleId`, (c) => (c.bundles[k].bundleId += 1n)]);
        // Another place in the bundle: the participants move with it (the leg stays in its own network's place).
        variants.push([`bundles[${k}].legIndex`, (c) => {
          const b = c.bundles[k];
          const to = b.legIndex === 0 ? 1 : 0;
          [b.participants[b.legIndex], b.participants[to]] = [b.participants[to], b.participants[b.legIndex]];
          b.legIndex = to;
        }]);
        variants.push([`bundles[${k}].legCount`, (c) => {
          c.bundles[k].legCount += 1;
          c.bundles[k].participants.push(1);
        }]);
        variants.push([`bundles[${k}].participants`, (c) => {
          const b = c.bundles[k];
          const other = b.legIndex === 0 ? 1 : 0;
          b.participants[other] = b.participants[other] === 1 ? 2 : 1;
        }]);
        variants.push([`bundles[${k}].success`, (c) => (c.bundles[k].success = !c.bundles[k].success)]);
      }
      // list structure: order, removal, addition
      variants.push(["bridgeExits swapped", (c) => c.bridgeExits.reverse()]);
      variants.push(["bridgeExits: last removed", (c) => c.bridgeExits.pop()]);
      variants.push(["bridgeExits: all removed", (c) => (c.bridgeExits = [])]);
      variants.push(["bridgeExits: one repeated", (c) => c.bridgeExits.push({ ...c.bridgeExits[0] })]);
      variants.push(["importedExits swapped", (c) => c.importedExits.reverse()]);
      variants.push(["importedExits: L1 import removed", (c) => c.importedExits.shift()]);
      variants.push(["dependencies: extra one removed", (c) => c.dependencies.shift()]);
      variants.push(["dependencies: one added", (c) => c.dependencies.push({ networkId: 9, height: 0n, certificateId: 0n })]);
      variants.push(["bundles swapped", (c) => c.bundles.reverse()]);
      variants.push(["bundles: last removed", (c) => c.bundles.pop()]);
      variants.push(["bundles: all removed", (c) => (c.bundles = [])]);

      const ids = new Map<bigint, string>([[baseId, "base"]]);
      for (const [name, mutate] of variants) {
        const c = clone(base);
        mutate(c);
        validateCertificate(c);
        const id = certificateId(c);
        expect(id, name).to.not.equal(baseId);
        expect(ids.has(id), `${name} has the same id as ${ids.get(id)}`).to.equal(false);
        ids.set(id, name);
      }
      expect(ids.size).to.equal(variants.length + 1);
      expect(certificateId(clone(base))).to.equal(baseId);
    });

    it("does not bind the import proofs' siblings (witness data) nor a signature", () => {
      const base = baseCertificate();
      const c = clone(base);
      c.importedExits[0].siblings[3] += 1n;
      c.importedExits[1].siblings = c.importedExits[1].siblings.slice(0, 2);
      expect(certificateId(c)).to.equal(certificateId(base));
      expect(certificateId({ ...base, signature: "0x" + "ab".repeat(65) } as Certificate)).to.equal(certificateId(base));
    });

    it("hashImport, hashDependency and hashBundleLeg depend on each of their fields", () => {
      const imp = baseCertificate().importedExits[1];
      const hs = new Set<bigint>([hashImport(imp)]);
      const importVariants: ImportedExit[] = [
        { ...imp, leaf: { ...imp.leaf, amount: imp.leaf.amount + 1n } },
        { ...imp, source: { ...imp.source, networkId: imp.source.networkId + 1 } },
        { ...imp, leafIndex: imp.leafIndex + 1 },
        { ...imp, source: { ...imp.source, height: imp.source.height + 1n } },
        { ...imp, source: { ...imp.source, certificateId: imp.source.certificateId + 1n } },
        { ...imp, sourceExitRoot: imp.sourceExitRoot + 1n },
      ];
      importVariants.forEach((v) => hs.add(hashImport(v)));
      expect(hs.size).to.equal(7);
      const d: CertificateRef = { networkId: 1, height: 2n, certificateId: 3n };
      expect(new Set([d, { ...d, networkId: 2 }, { ...d, height: 3n }, { ...d, certificateId: 4n }].map(hashDependency)).size).to.equal(4);
      const b: BundleLeg = { bundleId: 5n, legIndex: 0, legCount: 2, success: true, participants: [1, 2] };
      expect(new Set([b, { ...b, bundleId: 6n }, { ...b, legIndex: 1 }, { ...b, legCount: 3 }, { ...b, success: false }, { ...b, participants: [1, 3] }].map(hashBundleLeg)).size).to.equal(6);
    });
  });

  describe("validateCertificate", () => {
    const cases: [CertificateFormatCode, string, (c: Certificate) => void][] = [
      ["BAD_NETWORK", "networkId 0 (L1 issues no certificates)", (c) => (c.networkId = 0)],
      ["BAD_NETWORK", "networkId 2^32", (c) => (c.networkId = 2 ** 32)],
      ["BAD_NETWORK", "networkId -1", (c) => (c.networkId = -1)],
      ["BAD_NETWORK", "networkId 1.5", (c) => (c.networkId = 1.5)],
      ["BAD_NETWORK", "a dependency on L1", (c) => c.dependencies.unshift({ networkId: 0, height: 1n, certificateId: 0n })],
      ["BAD_NETWORK", "an import source network 2^32", (c) => (c.importedExits[0].source.networkId = 2 ** 32)],
      ["BAD_HEIGHT", "height -1", (c) => (c.height = -1n)],
      ["BAD_HEIGHT", "height 2^64", (c) => (c.height = 1n << 64n)],
      ["BAD_HEIGHT", "a dependency height 2^64", (c) => (c.dependencies[0].height = 1n << 64n)],
      ["BAD_HEIGHT", "a number height", (c) => (c.height = 7 as unknown as bigint)],
      ["BAD_FIELD", "prevStateCommitment = p", (c) => (c.prevStateCommitment = P)],
      ["BAD_FIELD", "newStateCommitment < 0", (c) => (c.newStateCommitment = -1n)],
      ["BAD_FIELD", "prevLocalExitRoot = p", (c) => (c.prevLocalExitRoot = P)],
      ["BAD_FIELD", "newLocalExitRoot = 2^256", (c) => (c.newLocalExitRoot = 1n << 256n)],
      ["BAD_FIELD", "a dependency certificateId = p", (c) => (c.dependencies[0].certificateId = P)],
      ["BAD_STATE_ROOT", "31 bytes", (c) => (c.newStateRoot = "0x" + "ab".repeat(31))],
      ["BAD_STATE_ROOT", "33 bytes", (c) => (c.newStateRoot = "0x" + "ab".repeat(33))],
      ["BAD_STATE_ROOT", "no 0x", (c) => (c.newStateRoot = "ab".repeat(32))],
      ["BAD_STATE_ROOT", "non-hex", (c) => (c.newStateRoot = "0x" + "zz".repeat(32))],
      ["BAD_LEAF", "an exit amount 2^128", (c) => (c.bridgeExits[1].amount = 1n << 128n)],
      ["BAD_LEAF", "an exit leafType 2", (c) => (c.bridgeExits[0].leafType = 2 as LeafType)],
      ["BAD_LEAF", "an exit destinationNetwork 2^32", (c) => (c.bridgeExits[0].destinationNetwork = 2 ** 32)],
      ["BAD_LEAF", "an imported leaf originAddress 2^160", (c) => (c.importedExits[0].leaf.originAddress = 1n << 160n)],
      ["BAD_LEAF", "an imported leaf metadataHash = p", (c) => (c.importedExits[1].leaf.metadataHash = P)],
      ["BAD_IMPORT", "leafIndex 2^32", (c) => (c.importedExits[0].leafIndex = 2 ** 32)],
      ["BAD_IMPORT", "leafIndex -1", (c) => (c.importedExits[0].leafIndex = -1)],
      ["BAD_IMPORT", "sourceExitRoot = p", (c) => (c.importedExits[1].sourceExitRoot = P)],
      ["BAD_IMPORT", "a sibling = p", (c) => (c.importedExits[1].siblings[7] = P)],
      ["BAD_IMPORT", "an L1 import with a certificateId", (c) => (c.importedExits[0].source.certificateId = 1n)],
      ["DEPENDENCY_ORDER", "unsorted dependencies", (c) => c.dependencies.reverse()],
      ["DEPENDENCY_ORDER", "a duplicate dependency", (c) => c.dependencies.push({ ...c.dependencies[1] })],
      ["DEPENDENCY_ORDER", "two certificates of one network at one height", (c) => c.dependencies.splice(1, 0, { ...c.dependencies[1], certificateId: 1n })],
      ["DEPENDENCY_ORDER", "same network, decreasing heights", (c) => c.dependencies.push({ networkId: 2, height: 8n, certificateId: 1n })],
      ["SELF_DEPENDENCY", "a dependency on the network itself", (c) => c.dependencies.push({ networkId: 3, height: 6n, certificateId: 1n })],
      ["MISSING_DEPENDENCY", "an import source without its dependency", (c) => c.dependencies.pop()],
      ["MISSING_DEPENDENCY", "an import source with another certificateId than its dependency", (c) => (c.importedExits[1].source.certificateId += 1n)],
      ["MISSING_DEPENDENCY", "an import source at another height than its dependency", (c) => (c.importedExits[1].source.height += 1n)],
      ["BAD_BUNDLE", "legIndex == legCount", (c) => (c.bundles[0].legIndex = 2)],
      ["BAD_BUNDLE", "legIndex > legCount", (c) => (c.bundles[1].legIndex = 5)],
      ["BAD_BUNDLE", "legIndex -1", (c) => (c.bundles[0].legIndex = -1)],
      ["BAD_BUNDLE", "legCount 0", (c) => ((c.bundles[0].legCount = 0), (c.bundles[0].legIndex = 0))],
      ["BAD_BUNDLE", "legCount 8 (over MAX_BUNDLE_LEGS)", (c) => ((c.bundles[0].legCount = 8), (c.bundles[0].participants = [3, 1, 1, 1, 1, 1, 1, 1]))],
      ["BAD_BUNDLE", "the leg in another network's place", (c) => (c.bundles[0].participants = [1, 3])],
      ["BAD_BUNDLE", "participants shorter than legCount", (c) => (c.bundles[1].participants = [1, 3])],
      ["BAD_BUNDLE", "a participant 0", (c) => (c.bundles[1].participants = [0, 2, 3])],
      ["BAD_REVISION", "revision 2^32", (c) => (c.revision = 2 ** 32)],
      ["BAD_BUNDLE", "bundleId = p", (c) => (c.bundles[0].bundleId = P)],
      ["BAD_BUNDLE", "a repeated bundleId", (c) => (c.bundles[1].bundleId = c.bundles[0].bundleId)],
      ["BAD_BUNDLE", "a non-boolean success", (c) => (c.bundles[0].success = 1 as unknown as boolean)],
    ];

    it("accepts the base certificate", () => {
      expect(() => validateCertificate(baseCertificate())).to.not.throw();
    });

    for (const [code, what, mutate] of cases) {
      it(`${code}: ${what}`, () => {
        const c = baseCertificate();
        mutate(c);
        expectInvalid(c, code, what);
      });
    }

    it("accepts the boundaries: height 2^64 - 1, revision 2^32 - 1, legCount 7 (MAX_BUNDLE_LEGS), leafIndex 2^32 - 1, empty lists", () => {
      const c = baseCertificate();
      c.height = (1n << 64n) - 1n;
      c.revision = 2 ** 32 - 1;
      c.bundles[0] = { ...c.bundles[0], legCount: MAX_BUNDLE_LEGS, legIndex: MAX_BUNDLE_LEGS - 1, participants: [2 ** 32 - 1, 1, 2, 4, 5, 6, c.networkId] };
      c.importedExits[0].leafIndex = 2 ** 32 - 1;
      expect(() => validateCertificate(c)).to.not.throw();
      expect(() => validateCertificate({ ...baseCertificate(), bridgeExits: [], importedExits: [], dependencies: [], bundles: [] })).to.not.throw();
    });
  });

  describe("deriveDependencies", () => {
    const imp = (source: CertificateRef): ImportedExit => ({ leaf: leaf(), leafIndex: 0, source, sourceExitRoot: 1n, siblings: [] });

    it("takes the import sources (not L1) and the extra ones, de-duplicated and sorted by (networkId, height)", () => {
      const deps = deriveDependencies(
        [imp({ networkId: 5, height: 2n, certificateId: 52n }), imp({ networkId: 0, height: 9n, certificateId: 0n }), imp({ networkId: 2, height: 7n, certificateId: 27n }), imp({ networkId: 5, height: 2n, certificateId: 52n })],
        [{ networkId: 5, height: 1n, certificateId: 51n }, { networkId: 2, height: 7n, certificateId: 27n }, { networkId: 10, height: 0n, certificateId: 100n }],
      );
      expect(deps).to.deep.equal([
        { networkId: 2, height: 7n, certificateId: 27n },
        { networkId: 5, height: 1n, certificateId: 51n },
        { networkId: 5, height: 2n, certificateId: 52n },
        { networkId: 10, height: 0n, certificateId: 100n },
      ]);
      expect(deriveDependencies([], [])).to.deep.equal([]);
      expect(deriveDependencies([imp({ networkId: 0, height: 1n, certificateId: 0n })])).to.deep.equal([]);
    });

    it("throws DEPENDENCY_CONFLICT for two certificate ids at one (networkId, height)", () => {
      const e1 = formatError(() => deriveDependencies([imp({ networkId: 2, height: 7n, certificateId: 1n }), imp({ networkId: 2, height: 7n, certificateId: 2n })]));
      expect(e1.code).to.equal("DEPENDENCY_CONFLICT");
      const e2 = formatError(() => deriveDependencies([imp({ networkId: 2, height: 7n, certificateId: 1n })], [{ networkId: 2, height: 7n, certificateId: 3n }]));
      expect(e2.code).to.equal("DEPENDENCY_CONFLICT");
    });
  });

  describe("buildCertificate", () => {
    const P8 = TEST_PARAMS;
    const l1 = new ExitTree(P8.exitDepth);
    const deposit: ExitLeaf = { ...leaf(), originNetwork: 0, originAddress: 0n, destinationNetwork: 1, amount: 1000n };
    l1.append(hashExitLeaf(deposit));
    const fromL1: ImportedExit = { leaf: deposit, leafIndex: 0, source: { networkId: 0, height: 3n, certificateId: 0n }, sourceExitRoot: l1.root(), siblings: l1.proof(0).siblings };

    it("builds a valid certificate whose commitments are the transition's, without touching the input state", () => {
      const s = new NetworkState(1, P8);
      const before = s.commitment();
      const exit: ExitLeaf = { ...leaf(), originNetwork: 0, originAddress: 0n, destinationNetwork: 2, amount: 400n };
      const b = buildCertificate(s, { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [fromL1], exits: [exit], extraDependencies: [{ networkId: 2, height: 4n, certificateId: 9n }] });
      expect(s.commitment()).to.equal(before);
      expect(b.certificate.prevStateCommitment).to.equal(before);
      expect(b.certificate.newStateCommitment).to.equal(b.transition.state.commitment());
      expect(b.certificate.prevLocalExitRoot).to.equal(s.exitRoot);
      expect(b.certificate.newLocalExitRoot).to.equal(b.transition.state.exitRoot);
      expect(b.certificate.dependencies).to.deep.equal([{ networkId: 2, height: 4n, certificateId: 9n }]);
      expect(b.certificateId).to.equal(certificateId(b.certificate));
      expect(b.transition.state.balanceOf(gasCoin(0))).to.equal(600n);
    });

    it("propagates accounting refusals and dependency conflicts", () => {
      const s = new NetworkState(1, P8);
      const overdraw: ExitLeaf = { ...leaf(), originNetwork: 0, originAddress: 0n, destinationNetwork: 2, amount: 1001n };
      expect(() => buildCertificate(s, { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [fromL1], exits: [overdraw] })).to.throw(AccountingError);
      const e = formatError(() =>
        buildCertificate(s, { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [], exits: [], extraDependencies: [{ networkId: 2, height: 1n, certificateId: 1n }, { networkId: 2, height: 1n, certificateId: 2n }] }),
      );
      expect(e.code).to.equal("DEPENDENCY_CONFLICT");
      expect(formatError(() => buildCertificate(s, { height: 0n, newStateRoot: "0x00", imports: [], exits: [] })).code).to.equal("BAD_STATE_ROOT");
    });
  });

  describe("JSON encoding", () => {
    it("round-trips (certificateToJson / certificateFromJson, also through JSON text)", () => {
      const c = baseCertificate();
      const json = certificateToJson(c);
      expect(certificateFromJson(json)).to.deep.equal(c);
      expect(certificateFromJson(JSON.parse(JSON.stringify(json)))).to.deep.equal(c);
      const signed = { ...c, signature: "0x" + "cd".repeat(65) };
      expect(certificateFromJson(JSON.parse(JSON.stringify(certificateToJson(signed))))).to.deep.equal(signed);
      const upper = { ...c, newStateRoot: c.newStateRoot.toUpperCase().replace("0X", "0x") };
      expect(certificateFromJson(certificateToJson(upper))).to.deep.equal(c);
      expect(certificateId(upper)).to.equal(certificateId(c));
    });

    it("writes bigints as 0x-hex and small integers as numbers", () => {
      const j = certificateToJson(baseCertificate()) as Record<string, unknown>;
      expect(j.networkId).to.equal(3);
      expect(j.height).to.equal("0x7");
      expect((j.importedExits as { leafIndex: unknown }[])[0].leafIndex).to.equal(4);
      expect((j.bundles as { success: unknown }[])[1].success).to.equal(false);
    });

    type J = Record<string, unknown> & { importedExits: Record<string, unknown>[]; bridgeExits: Record<string, unknown>[]; bundles: Record<string, unknown>[]; dependencies: unknown[] };
    const encodingCases: [string, (j: J) => unknown][] = [
      ["networkId as a string", (j) => (j.networkId = "3")],
      ["networkId not an integer", (j) => (j.networkId = 1.5)],
      ["networkId 2^32", (j) => (j.networkId = 2 ** 32)],
      ["height as a number", (j) => (j.height = 7)],
      ["height as a decimal string", (j) => (j.height = "7")],
      ["height empty hex", (j) => (j.height = "0x")],
      ["height non-hex", (j) => (j.height = "0xzz")],
      ["a field of 65 hex digits", (j) => (j.prevStateCommitment = "0x1" + "0".repeat(64))],
      ["a missing field", (j) => delete j.newLocalExitRoot],
      ["newStateRoot of 31 bytes", (j) => (j.newStateRoot = "0x" + "11".repeat(31))],
      ["newStateRoot not a string", (j) => (j.newStateRoot = 5)],
      ["bridgeExits not an array", (j) => (j.bridgeExits = {} as unknown as Record<string, unknown>[])],
      ["too many bridgeExits", (j) => (j.bridgeExits = new Array(ENCODING_LIMITS.exits + 1).fill(j.bridgeExits[0]))],
      ["too many dependencies", (j) => (j.dependencies = new Array(ENCODING_LIMITS.dependencies + 1).fill(j.dependencies[0]))],
      ["too many bundles", (j) => (j.bundles = new Array(ENCODING_LIMITS.bundles + 1).fill(j.bundles[0]))],
      ["too many siblings", (j) => (j.importedExits[0].siblings = new Array(ENCODING_LIMITS.siblings + 1).fill("0x1"))],
      ["a leaf that is not an object", (j) => (j.bridgeExits[0] = "leaf" as unknown as Record<string, unknown>)],
      ["leafType 2", (j) => ((j.bridgeExits[0] as Record<string, unknown>).leafType = 2)],
      ["leafType as a string", (j) => ((j.bridgeExits[0] as Record<string, unknown>).leafType = "0")],
      ["an amount as a number", (j) => ((j.bridgeExits[0] as Record<string, unknown>).amount = 1000)],
      ["a sibling as a number", (j) => ((j.importedExits[0].siblings as unknown[])[0] = 1)],
      ["a source as null", (j) => (j.importedExits[0].source = null)],
      ["a dependency as an array", (j) => (j.dependencies[0] = [1, "0x4", "0x1"])],
      ["success as a string", (j) => (j.bundles[0].success = "true")],
      ["legIndex as hex", (j) => (j.bundles[0].legIndex = "0x0")],
      ["a 64-byte signature", (j) => (j.signature = "0x" + "ab".repeat(64))],
      ["a signature as a number", (j) => (j.signature = 1)],
      ["an unknown top-level field", (j) => (j.extra = { nested: [1, 2] })],
      ["an unknown field in a leaf", (j) => ((j.bridgeExits[0] as Record<string, unknown>).memo = "0x1")],
      ["an unknown field in an import", (j) => (j.importedExits[0].note = 1)],
      ["an unknown field in an import's source", (j) => ((j.importedExits[0].source as Record<string, unknown>).extra = 0)],
      ["an unknown field in a dependency", (j) => ((j.dependencies[0] as Record<string, unknown>).status = "Confirmed")],
      ["an unknown field in a bundle leg", (j) => (j.bundles[0].deadline = 5)],
      ["__proto__ as a field", (j) => Object.defineProperty(j, "__proto__", { value: { x: 1 }, enumerable: true })],
    ];

    for (const [what, mutate] of encodingCases) {
      it(`rejects ${what} with BAD_ENCODING`, () => {
        const j = JSON.parse(JSON.stringify(certificateToJson(baseCertificate()))) as J;
        mutate(j);
        expect(formatError(() => certificateFromJson(j)).code).to.equal("BAD_ENCODING");
      });
    }

    it("rejects non-objects with BAD_ENCODING", () => {
      for (const x of [null, undefined, 5, "certificate", [certificateToJson(baseCertificate())]]) {
        expect(formatError(() => certificateFromJson(x)).code, String(x)).to.equal("BAD_ENCODING");
      }
    });

    it("names the offending path", () => {
      const j = JSON.parse(JSON.stringify(certificateToJson(baseCertificate()))) as J;
      (j.importedExits[1].leaf as Record<string, unknown>).amount = "0xg";
      expect(formatError(() => certificateFromJson(j)).message).to.contain("importedExits[1].leaf.amount");
    });

    it("validates after decoding (well-formed JSON of an invalid certificate keeps its own code)", () => {
      const j = JSON.parse(JSON.stringify(certificateToJson(baseCertificate()))) as J;
      j.networkId = 0;
      expect(formatError(() => certificateFromJson(j)).code).to.equal("BAD_NETWORK");
      const k = JSON.parse(JSON.stringify(certificateToJson(baseCertificate()))) as J;
      k.dependencies.reverse();
      expect(formatError(() => certificateFromJson(k)).code).to.equal("DEPENDENCY_ORDER");
    });
  });

  describe("EIP-712 signatures", () => {
    const header = { networkId: 3, height: 7n, revision: 5, certificateId: rng.field() };

    it("headerDigest is the EIP-712 digest of Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId)", () => {
      const abi = AbiCoder.defaultAbiCoder();
      const domainSeparator = keccak256(
        abi.encode(
          ["bytes32", "bytes32", "bytes32", "uint256", "address"],
          [
            keccak256(toUtf8Bytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
            keccak256(toUtf8Bytes("AggregationLayer")),
            keccak256(toUtf8Bytes("1")),
            31337,
            DOMAIN.verifyingContract,
          ],
        ),
      );
      const structHash = keccak256(
        abi.encode(
          ["bytes32", "uint32", "uint64", "uint32", "bytes32"],
          [keccak256(toUtf8Bytes("Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId)")), header.networkId, header.height, header.revision, "0x" + header.certificateId.toString(16).padStart(64, "0")],
        ),
      );
      expect(headerDigest(DOMAIN, header)).to.equal(keccak256(concat(["0x1901", domainSeparator, structHash])));
      expect([EIP712_NAME, EIP712_VERSION]).to.deep.equal(["AggregationLayer", "1"]);
    });

    it("signHeader / recoverHeaderSigner round-trip; the signature is the deterministic ECDSA signature of the digest", async () => {
      const signature = await signHeader(sequencer, DOMAIN, header);
      expect(recoverHeaderSigner(DOMAIN, { ...header, signature })).to.equal(sequencer.address);
      expect(signature).to.equal(sequencer.signingKey.sign(headerDigest(DOMAIN, header)).serialized);
      expect(await signHeader(sequencer, DOMAIN, header)).to.equal(signature);
    });

    it("signCertificate signs (networkId, height, certificateId)", async () => {
      const c = baseCertificate();
      const signed = await signCertificate(sequencer, DOMAIN, c);
      expect(recoverHeaderSigner(DOMAIN, { networkId: c.networkId, height: c.height, certificateId: certificateId(c), signature: signed.signature })).to.equal(sequencer.address);
      expect({ ...signed, signature: undefined }).to.deep.equal({ ...c, signature: undefined });
    });

    it("a wrong domain or a tampered header recovers another address", async () => {
      const signature = await signHeader(sequencer, DOMAIN, header);
      const others: [string, SigningDomain, typeof header][] = [
        ["chainId 1", { ...DOMAIN, chainId: 1 }, header],
        ["another verifying contract", { ...DOMAIN, verifyingContract: "0x" + "12".repeat(20) }, header],
        ["certificateId + 1", DOMAIN, { ...header, certificateId: header.certificateId + 1n }],
        ["height + 1", DOMAIN, { ...header, height: header.height + 1n }],
        ["networkId + 1", DOMAIN, { ...header, networkId: header.networkId + 1 }],
      ];
      for (const [what, domain, h] of others) {
        const who = recoverHeaderSigner(domain, { ...h, signature });
        expect(who, what).to.be.a("string");
        expect(who, what).to.not.equal(sequencer.address);
      }
    });

    it("a malformed signature recovers nothing", () => {
      expect(recoverHeaderSigner(DOMAIN, { ...header, signature: "0x1234" })).to.equal(null);
      expect(recoverHeaderSigner(DOMAIN, { ...header, signature: "not hex" })).to.equal(null);
    });
  });

  describe("isEquivocation", () => {
    const h = (certificateId: bigint, over: Partial<SignedHeader> = {}) => ({ networkId: 3, height: 7n, certificateId, ...over });
    const sign = async (w: Wallet, x: ReturnType<typeof h>, domain = DOMAIN): Promise<SignedHeader> => ({ ...x, signature: await signHeader(w, domain, x) });

    it("is true for two different ids at one (networkId, height), both signed by the sequencer", async () => {
      const a = await sign(sequencer, h(1n));
      const b = await sign(sequencer, h(2n));
      expect(isEquivocation(DOMAIN, sequencer.address, a, b)).to.equal(true);
      expect(isEquivocation(DOMAIN, sequencer.address, b, a)).to.equal(true);
      expect(isEquivocation(DOMAIN, sequencer.address.toLowerCase(), a, b)).to.equal(true);
    });

    it("is false for identical ids, different heights or networks, another signer, another domain, a bad signature", async () => {
      const a = await sign(sequencer, h(1n));
      expect(isEquivocation(DOMAIN, sequencer.address, a, a)).to.equal(false);
      expect(isEquivocation(DOMAIN, sequencer.address, a, await sign(sequencer, h(1n)))).to.equal(false);
      expect(isEquivocation(DOMAIN, sequencer.address, a, await sign(sequencer, h(2n, { height: 8n })))).to.equal(false);
      expect(isEquivocation(DOMAIN, sequencer.address, a, await sign(sequencer, h(2n, { networkId: 4 })))).to.equal(false);
      const byStranger = await sign(stranger, h(2n));
      expect(isEquivocation(DOMAIN, sequencer.address, a, byStranger)).to.equal(false);
      expect(isEquivocation(DOMAIN, stranger.address, a, byStranger)).to.equal(false);
      expect(isEquivocation(DOMAIN, stranger.address, await sign(stranger, h(1n)), byStranger)).to.equal(true);
      const b = await sign(sequencer, h(2n));
      expect(isEquivocation({ ...DOMAIN, chainId: 1 }, sequencer.address, a, b)).to.equal(false);
      const otherDomain = await sign(sequencer, h(2n), { ...DOMAIN, chainId: 1 });
      expect(isEquivocation(DOMAIN, sequencer.address, a, otherDomain)).to.equal(false);
      expect(isEquivocation(DOMAIN, sequencer.address, a, { ...b, signature: "0x00" })).to.equal(false);
    });
  });

  describe("revisions and the layer's licence (docs/protocol.md §5)", () => {
    it("the revision is bound into the id and the signed header; it must be a uint32", async () => {
      const vec = loadCertificateVectors();
      const c = vec.certificates[0].certificate as Certificate;
      const base = certificateId(c);
      expect(certificateId({ ...c, revision: 0 })).to.equal(base);
      const r1 = certificateId({ ...c, revision: 1 });
      expect(r1).to.not.equal(base);
      expect(certificateId({ ...c, revision: 2 })).to.not.equal(r1);
      for (const bad of [-1, 2 ** 32, 1.5]) expect(() => validateCertificate({ ...c, revision: bad }), String(bad)).to.throw(CertificateFormatError, /BAD_REVISION/);
      const h = { networkId: 3, height: 7n, certificateId: 9n };
      expect(headerDigest(DOMAIN, { ...h, revision: 1 })).to.not.equal(headerDigest(DOMAIN, h));
      expect(headerDigest(DOMAIN, { ...h, revision: 0 })).to.equal(headerDigest(DOMAIN, h));
      const sig = await signHeader(sequencer, DOMAIN, { ...h, revision: 1 });
      expect(recoverHeaderSigner(DOMAIN, { ...h, revision: 1, signature: sig })).to.equal(sequencer.address);
      expect(recoverHeaderSigner(DOMAIN, { ...h, revision: 0, signature: sig })).to.not.equal(sequencer.address);
    });

    it("JSON keeps an absent revision absent and a given one exactly", () => {
      const vec = loadCertificateVectors();
      const c = vec.certificates[0].certificate;
      expect(certificateFromJson(certificateToJson(c))).to.deep.equal(c);
      const r = { ...c, revision: 5 };
      expect(certificateFromJson(certificateToJson(r))).to.deep.equal(r);
      expect(() => certificateFromJson({ ...(certificateToJson(c) as object), revision: "1" })).to.throw(CertificateFormatError, /revision/);
    });

    it("an honest rebuild (the vectors' revision 0 rejected, revision 1 rebuilt) is not an equivocation; two ids of one revision are", async () => {
      const vec = loadCertificateVectors();
      const rb = vec.rebuild;
      const sequencer1 = vec.sequencers.find((x) => x.networkId === rb.networkId)!.address;
      const rejected: SignedHeader = { networkId: rb.networkId, height: rb.height, revision: 0, certificateId: rb.rejected.certificateId, signature: rb.rejected.signature };
      const rebuilt: SignedHeader = { networkId: rb.networkId, height: rb.height, revision: 1, certificateId: rb.rebuilt.certificateId, signature: rb.rebuilt.signature };
      expect(recoverHeaderSigner(vec.domain, rejected)).to.equal(getAddress(sequencer1));
      expect(recoverHeaderSigner(vec.domain, rebuilt)).to.equal(getAddress(sequencer1));
      expect(isEquivocation(vec.domain, sequencer1, rejected, rebuilt)).to.equal(false);
      expect(certificateId(rb.certificate)).to.equal(rb.rebuilt.certificateId);
      expect(rb.certificate.revision).to.equal(1);
      // The licence: the layer's signed rejection of revision 0.
      expect(recoverRejectionSigner(vec.domain, { networkId: rb.networkId, height: rb.height, revision: 0 }, rb.licence.signature)).to.equal(getAddress(rb.licence.signer));
      expect(recoverRejectionSigner(vec.domain, { networkId: rb.networkId, height: rb.height, revision: 1 }, rb.licence.signature)).to.not.equal(getAddress(rb.licence.signer));
      const layer = new Wallet(rb.licence.privateKey);
      expect(await signRejection(layer, vec.domain, { networkId: rb.networkId, height: rb.height, revision: 0 })).to.equal(rb.licence.signature);
      // Two different ids for revision 1: an equivocation.
      const other = { networkId: rb.networkId, height: rb.height, revision: 1, certificateId: rb.rebuilt.certificateId + 1n };
      const otherSigned: SignedHeader = { ...other, signature: new Wallet(vec.sequencers.find((x) => x.networkId === rb.networkId)!.privateKey).signingKey.sign(headerDigest(vec.domain, other)).serialized };
      expect(isEquivocation(vec.domain, sequencer1, rebuilt, otherSigned)).to.equal(true);
    });
  });

  describe("bundle participants (docs/protocol.md §5)", () => {
    it("a leg must sit in a certificate of the network the bundle names for it; at most 7 legs; one id per leg", () => {
      const vec = loadCertificateVectors();
      const c = vec.certificates[0].certificate as Certificate; // network 1, leg 0 of the vectors' bundle [1, 2]
      expect(c.bundles[0].participants).to.deep.equal([1, 2]);
      const leg = c.bundles[0];
      const bad: [string, Partial<BundleLeg>][] = [
        ["another chain's place", { participants: [2, 1] }],
        ["a list shorter than legCount", { participants: [1] }],
        ["a list longer than legCount", { participants: [1, 2, 3] }],
        ["network 0", { participants: [1, 0] }],
        ["8 legs", { legCount: 8, participants: [1, 2, 3, 4, 5, 6, 7, 8] }],
      ];
      for (const [why, over] of bad) expect(() => validateCertificate({ ...c, bundles: [{ ...leg, ...over }] }), why).to.throw(CertificateFormatError, /BAD_BUNDLE/);
      expect(() => validateCertificate({ ...c, bundles: [{ ...leg, legCount: 7, participants: [1, 2, 3, 4, 5, 6, 7] }] })).to.not.throw();
      expect(packParticipants([1, 2])).to.equal(1n + 2n * 2n ** 32n);
      expect(packParticipants([2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1])).to.equal(2n ** 224n - 1n);
      // The participants are bound into the id.
      expect(certificateId({ ...c, bundles: [{ ...leg, participants: [1, 3] }] })).to.not.equal(certificateId(c));
    });
  });

  describe("vectors (test/vectors/certificates.json)", () => {
    const v = loadCertificateVectors();
    const domain: SigningDomain = { chainId: v.domain.chainId, verifyingContract: v.domain.verifyingContract };
    const keyOf = (n: number) => new Wallet(v.sequencers.find((s) => s.networkId === n)!.privateKey);

    it("uses the documented domain and fixed sequencer keys", () => {
      expect(v.domain).to.deep.equal({ name: EIP712_NAME, version: EIP712_VERSION, chainId: 31337, verifyingContract: getAddress(DOMAIN.verifyingContract) });
      for (const s of v.sequencers) expect(new Wallet(s.privateKey).address).to.equal(s.address);
      expect(v.certificates.map((c) => [c.networkId, c.height])).to.deep.equal([[1, 0n], [2, 0n], [1, 1n]]);
    });

    it("ids, commitments, digests, signers and signatures match the model", async () => {
      for (const c of v.certificates) {
        expect(certificateId(c.certificate), c.name).to.equal(c.certificateId);
        expect(c.certificate.networkId).to.equal(c.networkId);
        expect(c.certificate.height).to.equal(c.height);
        expect([c.certificate.prevStateCommitment, c.certificate.newStateCommitment]).to.deep.equal([c.stateCommitments.prev, c.stateCommitments.new]);
        expect([c.certificate.prevLocalExitRoot, c.certificate.newLocalExitRoot]).to.deep.equal([c.localExitRoots.prev, c.localExitRoots.new]);
        // the settlement statements (the certificate proof's public signals, docs/protocol.md §9)
        expect(certificatePublicSignals(c.certificate, c.certificateId, VECTOR_STATEMENT_SHAPE), c.name).to.deep.equal(c.publicSignals);
        expect(c.publicSignals, c.name).to.have.length(publicSignalCount(VECTOR_STATEMENT_SHAPE));
        const h = { networkId: c.networkId, height: c.height, certificateId: c.certificateId };
        expect(headerDigest(domain, h)).to.equal(c.digest);
        expect(c.certificate.signature).to.equal(c.signature);
        expect(recoverHeaderSigner(domain, { ...h, signature: c.signature })).to.equal(c.signer);
        expect(c.signer).to.equal(keyOf(c.networkId).address);
        expect(await signHeader(keyOf(c.networkId), domain, h)).to.equal(c.signature);
      }
    });

    it("chains: state commitments per network, import proofs and sources, dependencies", () => {
      const [c1, c2, c3] = v.certificates;
      expect(c1.stateCommitments.prev).to.equal(new NetworkState(1, v.params).commitment());
      expect(c2.stateCommitments.prev).to.equal(new NetworkState(2, v.params).commitment());
      expect(c3.stateCommitments.prev).to.equal(c1.stateCommitments.new);
      expect(c3.localExitRoots.prev).to.equal(c1.localExitRoots.new);
      expect(v.l1.leaves.map(hashExitLeaf)).to.deep.equal(v.l1.leafHashes);
      const byRef = new Map(v.certificates.map((c) => [`${c.networkId}/${c.height}`, c]));
      for (const c of v.certificates) {
        for (const m of c.certificate.importedExits) {
          expect(computeMerkleRoot(hashExitLeaf(m.leaf), m.leafIndex, m.siblings)).to.equal(m.sourceExitRoot);
          expect(m.leaf.destinationNetwork).to.equal(c.networkId);
          if (m.source.networkId === 0) {
            expect(m.source).to.deep.equal(v.l1.ref);
            expect(m.sourceExitRoot).to.equal(v.l1.exitRoot);
          } else {
            const src = byRef.get(`${m.source.networkId}/${m.source.height}`)!;
            expect(m.source.certificateId).to.equal(src.certificateId);
            expect(m.sourceExitRoot).to.equal(src.localExitRoots.new);
            expect(c.certificate.dependencies).to.deep.include(m.source);
          }
        }
      }
      expect(c2.certificate.dependencies).to.deep.equal([{ networkId: 1, height: 0n, certificateId: c1.certificateId }]);
      expect(c3.certificate.dependencies).to.deep.equal([{ networkId: 2, height: 0n, certificateId: c2.certificateId }]);
    });

    it("rebuilding the scenario with buildCertificate gives the same certificates and balances", () => {
      const states = new Map<number, NetworkState>([[1, new NetworkState(1, v.params)], [2, new NetworkState(2, v.params)]]);
      for (const c of v.certificates) {
        const { signature, ...cert } = c.certificate;
        void signature;
        const b = buildCertificate(states.get(c.networkId)!, {
          height: cert.height,
          newStateRoot: cert.newStateRoot,
          imports: cert.importedExits,
          exits: cert.bridgeExits,
          bundles: cert.bundles,
        });
        expect(b.certificate, c.name).to.deep.equal(cert);
        expect(b.certificateId).to.equal(c.certificateId);
        expect(balancesOf(b.transition.state)).to.deep.equal(c.balancesAfter);
        states.set(c.networkId, b.transition.state);
      }
    });

    it("the equivocation pair is an equivocation of network 1's sequencer", () => {
      const e = v.equivocation;
      const a = { networkId: e.networkId, height: e.height, certificateId: e.a.certificateId, signature: e.a.signature };
      const b = { networkId: e.networkId, height: e.height, certificateId: e.b.certificateId, signature: e.b.signature };
      expect(e.a.certificateId).to.not.equal(e.b.certificateId);
      expect(isEquivocation(domain, e.sequencer, a, b)).to.equal(true);
      expect(isEquivocation(domain, keyOf(2).address, a, b)).to.equal(false);
      expect(certificateId(e.certificateB)).to.equal(e.b.certificateId);
      expect(headerDigest(domain, a)).to.equal(e.a.digest);
      expect(headerDigest(domain, b)).to.equal(e.b.digest);
      expect(e.certificateB.networkId).to.equal(e.networkId);
      expect(e.certificateB.height).to.equal(e.height);
      expect(v.certificates.find((c) => c.certificateId === e.a.certificateId)?.networkId).to.equal(e.networkId);
    });
  });
});
