/**
 * Parameter schemas of the coordinator's JSON-RPC methods (docs/api.md). Every method accepts its params either
 * by name ({"networkId": 1}) or by position ([1]); both are normalised to the by-name object and then checked by
 * one strict zod object, so the two forms cannot drift apart. Unknown names are refused rather than ignored: a
 * misspelt optional parameter would otherwise silently fall back to its default.
 *
 * Certificates are not described in zod: lib/codec's certificateFromJson is the one strict decoder, and its
 * CertificateFormatError propagates out of the parse (the dispatcher maps it to BAD_CERTIFICATE with the format
 * code), so a submitted certificate is judged exactly as the vectors and the store judge it.
 */
import { z } from "zod";
import { CertificateFormatError, SignedCertificate } from "../../lib/certificate";
import { certificateFromJson } from "../../lib/codec";
import { STATUSES } from "../types";
import { DASHBOARD_LIMITS } from "../dashboard";

export const PARAM_LIMITS = Object.freeze({
  /** 2^256 has 78 decimal digits: every field element and uint256 fits. */
  decimalDigits: 78,
  publicSignals: 64,
  subscriptionNetworks: 1024,
  subscriptionIdChars: 66,
});

export const EVENT_TYPES = ["status", "exitRoot"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

// ------------------------------------------------------------------------------------------------ scalars

/** Network ids (and epoch ids) are uint32 on L1; JSON numbers only, since "1" vs 1 ambiguity breeds bugs. */
export const u32 = z.number().int().min(0).max(2 ** 32 - 1);

/** Same encoding as lib/codec: 0x-hex, at most 32 bytes. */
export const hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, "expected 0x-hex of at most 32 bytes")
  .transform((s) => BigInt(s));

export const decimal = z.string().regex(new RegExp(`^[0-9]{1,${PARAM_LIMITS.decimalDigits}}$`), `expected a decimal string of at most ${PARAM_LIMITS.decimalDigits} digits`);

/** Optional params accept null as "absent": many JSON-RPC clients send null for an omitted argument. */
function optional<T extends z.ZodTypeAny>(schema: T) {
  return schema.nullish().transform((v): z.output<T> | undefined => v ?? undefined);
}

// ------------------------------------------------------------------------------------------------ by name or by position

function positionalToNamed(names: readonly string[], v: unknown, ctx: z.RefinementCtx): unknown {
  if (v === undefined) return {};
  if (!Array.isArray(v)) return v;
  if (v.length > names.length) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `at most ${names.length} positional params (${names.join(", ") || "none"})` });
    return z.NEVER;
  }
  const out: Record<string, unknown> = {};
  v.forEach((x, i) => {
    if (x !== null) out[names[i]] = x;
  });
  return out;
}

/** `names` fixes the position of each parameter; absent params behave like {}. */
function params<S extends z.ZodRawShape>(names: readonly (keyof S & string)[], shape: S) {
  return z
    .unknown()
    .transform((v, ctx) => positionalToNamed(names, v, ctx))
    .pipe(z.object(shape).strict());
}

// ------------------------------------------------------------------------------------------------ certificates and proofs

/**
 * A submission must be signed: the signature is what binds the sequencer and what equivocation evidence is made
 * of. A missing signature is reported like a malformed one (which the codec already reports as BAD_ENCODING),
 * i.e. BAD_CERTIFICATE with format BAD_ENCODING, so clients see one error for "the signature field is unusable".
 * BAD_SIGNATURE stays for a well-formed signature by the wrong key, which only the node can judge.
 */
export function decodeSignedCertificate(x: unknown): SignedCertificate {
  const c = certificateFromJson(x);
  if (!("signature" in c)) throw new CertificateFormatError("BAD_ENCODING", "signature: missing (a submitted certificate must be signed)");
  return c;
}

const certificate = z.custom<unknown>((v) => v !== undefined, "Required").transform(decodeSignedCertificate);

/**
 * Hot path of submitCertificate (pre-confirmation floods): by-name params holding exactly one own member,
 * `certificate`, which is what clients send. It gives what METHOD_PARAMS.submitCertificate gives for such params
 * (the certificate goes through the same decodeSignedCertificate, whose CertificateFormatError propagates out of
 * the zod parse too) without zod's wrappers, which cost more than the codec itself (~55 us of ~1.5 ms per
 * submission; docs/benchmarks.md). Any other shape returns undefined: the caller then runs the zod schema.
 */
export function fastSubmitCertificateParams(raw: unknown): { certificate: SignedCertificate } | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length !== 1 || keys[0] !== "certificate") return undefined;
  const c = (raw as { certificate: unknown }).certificate;
  return c === undefined ? undefined : { certificate: decodeSignedCertificate(c) };
}

const g1 = z.tuple([decimal, decimal, decimal]);
const g2 = z.tuple([z.tuple([decimal, decimal]), z.tuple([decimal, decimal]), z.tuple([decimal, decimal])]);

/** snarkjs' proof.json, exactly. */
export const groth16Proof = z.object({ pi_a: g1, pi_b: g2, pi_c: g1, protocol: z.literal("groth16"), curve: z.literal("bn128") }).strict();

// ------------------------------------------------------------------------------------------------ methods

export const METHOD_PARAMS = {
  submitCertificate: params(["certificate"], { certificate }),
  submitProof: params(["certificateId", "proof", "publicSignals"], {
    certificateId: hex32,
    proof: groth16Proof,
    publicSignals: z.array(decimal).max(PARAM_LIMITS.publicSignals),
  }),
  getCertificate: params(["certificateId", "withBody", "withProof", "withHistory"], {
    certificateId: hex32,
    withBody: optional(z.boolean()),
    withProof: optional(z.boolean()),
    withHistory: optional(z.boolean()),
  }),
  getLatestCertificate: params(["networkId", "minStatus"], {
    networkId: u32,
    minStatus: z
      .enum(STATUSES)
      .nullish()
      .transform((s) => s ?? "PreConfirmed"),
  }),
  getNetwork: params(["networkId"], { networkId: u32 }),
  abandonCertificate: params(["certificate"], { certificate }),
  getRejectionLicence: params(["networkId", "height", "revision"], { networkId: u32, height: hex32.refine((h) => h < 1n << 64n, "expected a uint64"), revision: u32 }),
  getEpoch: params(["id"], { id: optional(u32) }),
  getDashboard: params(["window"], {
    window: z
      .number()
      .int()
      .min(0)
      .max(DASHBOARD_LIMITS.maxWindow)
      .nullish()
      .transform((w) => w ?? DASHBOARD_LIMITS.defaultWindow),
  }),
  subscribe: params(["networks", "events"], {
    // An empty filter list is refused rather than read as "nothing" or "everything": omit the field for "all".
    networks: optional(z.array(u32).min(1).max(PARAM_LIMITS.subscriptionNetworks)),
    events: optional(z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length)),
  }),
  unsubscribe: params(["subscription"], { subscription: z.string().min(1).max(PARAM_LIMITS.subscriptionIdChars) }),
  admin_triggerEpoch: params([], {}),
} as const;

export type MethodName = keyof typeof METHOD_PARAMS;
export type MethodParams<M extends MethodName> = z.output<(typeof METHOD_PARAMS)[M]>;
export type SubscriptionFilter = MethodParams<"subscribe">;
