/**
 * JSON encoding of certificates (RPC, vectors, storage): field elements and uint64 as 0x-prefixed lower-case hex,
 * uint32 values (network ids, leaf indices, leg numbers) as JSON numbers, booleans as booleans.
 * Decoding is strict: unknown shapes and unknown fields throw CertificateFormatError("BAD_ENCODING").
 */
import { isHexString } from "ethers";
import { Certificate, CertificateRef, ImportedExit, BundleLeg, MAX_BUNDLE_LEGS, SignedCertificate, CertificateFormatError, validateCertificate } from "./certificate";
import { ExitLeaf, LeafType } from "./exit-leaf";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const hex = (x: bigint) => "0x" + x.toString(16);

function bad(path: string, why: string): never {
  throw new CertificateFormatError("BAD_ENCODING", `${path}: ${why}`);
}

const KEYS: Record<string, readonly string[]> = {
  leaf: ["leafType", "originNetwork", "originAddress", "destinationNetwork", "destinationAddress", "amount", "metadataHash"],
  ref: ["networkId", "height", "certificateId"],
  import: ["leaf", "leafIndex", "source", "sourceExitRoot", "siblings"],
  bundle: ["bundleId", "legIndex", "legCount", "success", "participants"],
  certificate: ["networkId", "height", "revision", "prevStateCommitment", "newStateCommitment", "prevLocalExitRoot", "newLocalExitRoot", "newStateRoot", "bridgeExits", "importedExits", "dependencies", "bundles", "signature"],
};

/** An object with no keys beyond its kind's: an unknown key is an error, not silently dropped. */
function obj(x: unknown, path: string, kind: keyof typeof KEYS): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) bad(path, "expected an object");
  const allowed = KEYS[kind];
  for (const k of Object.keys(x)) if (!allowed.includes(k)) bad(`${path}.${k}`, "unknown field");
  return x as Record<string, unknown>;
}

function arr(x: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(x)) bad(path, "expected an array");
  if (x.length > max) bad(path, `more than ${max} items`);
  return x;
}

function big(x: unknown, path: string): bigint {
  if (typeof x !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(x)) bad(path, "expected 0x-hex of at most 32 bytes");
  return BigInt(x);
}

function u32(x: unknown, path: string): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= 2 ** 32) bad(path, "expected an integer in [0, 2^32)");
  return x;
}

function bool(x: unknown, path: string): boolean {
  if (typeof x !== "boolean") bad(path, "expected a boolean");
  return x;
}

/** Limits on list lengths accepted from the outside (well above any circuit instance). */
export const ENCODING_LIMITS = { exits: 1024, imports: 1024, dependencies: 1024, bundles: 64, siblings: 64 };

export function leafToJson(l: ExitLeaf): Json {
  return {
    leafType: l.leafType,
    originNetwork: l.originNetwork,
    originAddress: hex(l.originAddress),
    destinationNetwork: l.destinationNetwork,
    destinationAddress: hex(l.destinationAddress),
    amount: hex(l.amount),
    metadataHash: hex(l.metadataHash),
  };
}

export function leafFromJson(x: unknown, path = "leaf"): ExitLeaf {
  const o = obj(x, path, "leaf");
  const leafType = u32(o.leafType, `${path}.leafType`);
  if (leafType !== LeafType.Asset && leafType !== LeafType.Message) bad(`${path}.leafType`, "expected 0 (asset) or 1 (message)");
  return {
    leafType,
    originNetwork: u32(o.originNetwork, `${path}.originNetwork`),
    originAddress: big(o.originAddress, `${path}.originAddress`),
    destinationNetwork: u32(o.destinationNetwork, `${path}.destinationNetwork`),
    destinationAddress: big(o.destinationAddress, `${path}.destinationAddress`),
    amount: big(o.amount, `${path}.amount`),
    metadataHash: big(o.metadataHash, `${path}.metadataHash`),
  };
}

export function refToJson(r: CertificateRef): Json {
  return { networkId: r.networkId, height: hex(r.height), certificateId: hex(r.certificateId) };
}

export function refFromJson(x: unknown, path: string): CertificateRef {
  const o = obj(x, path, "ref");
  return { networkId: u32(o.networkId, `${path}.networkId`), height: big(o.height, `${path}.height`), certificateId: big(o.certificateId, `${path}.certificateId`) };
}

function importToJson(i: ImportedExit): Json {
  return { leaf: leafToJson(i.leaf), leafIndex: i.leafIndex, source: refToJson(i.source), sourceExitRoot: hex(i.sourceExitRoot), siblings: i.siblings.map(hex) };
}

function importFromJson(x: unknown, path: string): ImportedExit {
  const o = obj(x, path, "import");
  return {
    leaf: leafFromJson(o.leaf, `${path}.leaf`),
    leafIndex: u32(o.leafIndex, `${path}.leafIndex`),
    source: refFromJson(o.source, `${path}.source`),
    sourceExitRoot: big(o.sourceExitRoot, `${path}.sourceExitRoot`),
    siblings: arr(o.siblings, `${path}.siblings`, ENCODING_LIMITS.siblings).map((s, k) => big(s, `${path}.siblings[${k}]`)),
  };
}

function bundleToJson(b: BundleLeg): Json {
  return { bundleId: hex(b.bundleId), legIndex: b.legIndex, legCount: b.legCount, success: b.success, participants: [...b.participants] };
}

function bundleFromJson(x: unknown, path: string): BundleLeg {
  const o = obj(x, path, "bundle");
  const participants = arr(o.participants, `${path}.participants`, MAX_BUNDLE_LEGS).map((p, k) => u32(p, `${path}.participants[${k}]`));
  return { bundleId: big(o.bundleId, `${path}.bundleId`), legIndex: u32(o.legIndex, `${path}.legIndex`), legCount: u32(o.legCount, `${path}.legCount`), success: bool(o.success, `${path}.success`), participants };
}

export function certificateToJson(c: Certificate | SignedCertificate): Json {
  const out: Record<string, Json> = {
    networkId: c.networkId,
    height: hex(c.height),
    // absent means 0 (the first certificate of a height); kept absent so that decoding gives back the same object
    ...(c.revision !== undefined ? { revision: c.revision } : {}),
    prevStateCommitment: hex(c.prevStateCommitment),
    newStateCommitment: hex(c.newStateCommitment),
    prevLocalExitRoot: hex(c.prevLocalExitRoot),
    newLocalExitRoot: hex(c.newLocalExitRoot),
    newStateRoot: c.newStateRoot.toLowerCase(),
    bridgeExits: c.bridgeExits.map(leafToJson),
    importedExits: c.importedExits.map(importToJson),
    dependencies: c.dependencies.map(refToJson),
    bundles: c.bundles.map(bundleToJson),
  };
  if ("signature" in c) out.signature = c.signature;
  return out;
}

/** Decodes and validates (validateCertificate) a certificate; a signature, if present, must be 65 bytes of hex. */
export function certificateFromJson(x: unknown): Certificate | SignedCertificate {
  const o = obj(x, "certificate", "certificate");
  const L = ENCODING_LIMITS;
  if (typeof o.newStateRoot !== "string" || !isHexString(o.newStateRoot, 32)) bad("newStateRoot", "expected 32 bytes of 0x-hex");
  const c: Certificate = {
    networkId: u32(o.networkId, "networkId"),
    height: big(o.height, "height"),
    ...(o.revision !== undefined ? { revision: u32(o.revision, "revision") } : {}),
    prevStateCommitment: big(o.prevStateCommitment, "prevStateCommitment"),
    newStateCommitment: big(o.newStateCommitment, "newStateCommitment"),
    prevLocalExitRoot: big(o.prevLocalExitRoot, "prevLocalExitRoot"),
    newLocalExitRoot: big(o.newLocalExitRoot, "newLocalExitRoot"),
    newStateRoot: (o.newStateRoot as string).toLowerCase(),
    bridgeExits: arr(o.bridgeExits, "bridgeExits", L.exits).map((l, i) => leafFromJson(l, `bridgeExits[${i}]`)),
    importedExits: arr(o.importedExits, "importedExits", L.imports).map((m, i) => importFromJson(m, `importedExits[${i}]`)),
    dependencies: arr(o.dependencies, "dependencies", L.dependencies).map((d, i) => refFromJson(d, `dependencies[${i}]`)),
    bundles: arr(o.bundles, "bundles", L.bundles).map((b, i) => bundleFromJson(b, `bundles[${i}]`)),
  };
  validateCertificate(c);
  if (o.signature === undefined) return c;
  if (typeof o.signature !== "string" || !isHexString(o.signature, 65)) bad("signature", "expected 65 bytes of 0x-hex");
  return { ...c, signature: o.signature };
}
