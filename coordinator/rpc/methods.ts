/**
 * The coordinator's JSON-RPC methods: what each one calls on the CoordinatorApi and which gate it passes
 * (docs/api.md). Params arrive already checked by schemas.ts; the dispatcher (jsonrpc.ts) applies the gates in
 * one place, so a method cannot forget one.
 */
import type { CoordinatorApi } from "../api";
import { METHOD_PARAMS, MethodName, MethodParams, SubscriptionFilter, fastSubmitCertificateParams } from "./schemas";

/**
 * read: always allowed. write: refused once intake stops (SHUTTING_DOWN). admin: only on an admin server, and
 * also refused once intake stops (it starts L1 work). session: needs a connection that can push (WebSocket).
 */
export type MethodKind = "read" | "write" | "admin" | "session";

/** What a push-capable connection offers subscribe/unsubscribe. */
export interface Subscriptions {
  /** Returns the new subscription's id. */
  add(filter: SubscriptionFilter): string;
  /** False when the id is not one of this connection's subscriptions. */
  remove(id: string): boolean;
}

/** The connection a request came in on. */
export interface RpcSession {
  transport: "http" | "ws";
  /** Absent on transports that cannot push (HTTP). */
  subscriptions?: Subscriptions;
}

export interface MethodEnv {
  api: CoordinatorApi;
  session: RpcSession;
}

export interface MethodDef<M extends MethodName> {
  kind: MethodKind;
  run(env: MethodEnv, p: MethodParams<M>): unknown;
}

export const METHODS: { readonly [M in MethodName]: MethodDef<M> } = {
  submitCertificate: { kind: "write", run: ({ api }, p) => api.submitCertificate(p.certificate) },
  submitProof: { kind: "write", run: ({ api }, p) => api.submitProof(p) },
  getCertificate: { kind: "read", run: ({ api }, p) => api.getCertificate(p.certificateId, p.withBody, p.withProof, p.withHistory) },
  getLatestCertificate: { kind: "read", run: ({ api }, p) => api.getLatestCertificate(p.networkId, p.minStatus) },
  getNetwork: { kind: "read", run: ({ api }, p) => api.getNetwork(p.networkId) },
  abandonCertificate: { kind: "write", run: ({ api }, p) => api.abandon(p.certificate) },
  getRejectionLicence: { kind: "read", run: ({ api }, p) => ({ licence: api.licence(p.networkId, p.height, p.revision) }) },
  getEpoch: { kind: "read", run: ({ api }, p) => api.getEpoch(p.id) },
  getDashboard: { kind: "read", run: ({ api }, p) => api.getDashboard(p.window) },
  subscribe: { kind: "session", run: ({ session }, p) => session.subscriptions!.add(p) },
  unsubscribe: { kind: "session", run: ({ session }, p) => session.subscriptions!.remove(p.subscription) },
  admin_triggerEpoch: { kind: "admin", run: ({ api }) => api.triggerEpoch() },
};

/** Own-property lookup: "constructor" or "__proto__" must be unknown methods, not Object.prototype members. */
export function lookupMethod(name: string): MethodName | undefined {
  return Object.prototype.hasOwnProperty.call(METHODS, name) ? (name as MethodName) : undefined;
}

/** Validates params (throws ZodError / CertificateFormatError) and runs the method. */
export function runMethod<M extends MethodName>(name: M, rawParams: unknown, env: MethodEnv): unknown {
  const fast = name === "submitCertificate" ? fastSubmitCertificateParams(rawParams) : undefined;
  const p = (fast ?? METHOD_PARAMS[name].parse(rawParams)) as MethodParams<M>;
  return (METHODS[name] as MethodDef<M>).run(env, p);
}
