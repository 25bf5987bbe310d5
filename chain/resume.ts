/**
 * Starting the chain client: a fresh start (no state file, and the coordinator has no certificate of this network),
 * or a restart from the state file, reconciled with the L2 (the blocks it certified are still there), the oracle
 * (which roots this client relayed) and the coordinator (every live certificate known to it; statuses are read
 * from it), and then the work the restart picks up again.
 */
import { revisionOf } from "../lib";
import type { CertificateView, RejectionView } from "../coordinator/api";
import type { Logger } from "../coordinator/log";
import { CoordinatorLink, RpcError } from "./coordinator-link";
import type { DirectSettler } from "./direct-settlement";
import type { L2Follower } from "./l2-follower";
import type { L2Position } from "./l2-position";
import type { OwnCertificates } from "./own-certificates";
import type { Rebuilder } from "./rebuilder";
import type { Relayer } from "./relayer";
import type { Revisions } from "./revisions";
import type { SelfProver } from "./self-prover";
import { ChainStateError, ChainStateFile, ChainStateStore } from "./state-file";
import { hex } from "./refs";

/** The lowest of this chain's certificates the coordinator rejected while the client was away. */
export interface RejectedOwn {
  height: bigint;
  rejection: RejectionView | null;
}

export interface ResumeParts {
  networkId: number;
  log: Logger;
  store: ChainStateStore;
  link: CoordinatorLink;
  follower: L2Follower;
  own: OwnCertificates;
  position: L2Position;
  relayer: Relayer;
  revisions: Revisions;
  rebuilder: Rebuilder;
  persist(): void;
}

/** A fresh start or a restart (see above). Returns the lowest certificate the coordinator rejected while the client was away. */
export async function resume(p: ResumeParts): Promise<RejectedOwn | null> {
  const saved = p.store.load(p.networkId);
  if (saved) return restore(p, saved);
  const latest = await p.link.call<{ height: string } | null>("getLatestCertificate", { networkId: p.networkId, minStatus: "PreConfirmed" });
  if (latest)
    throw new ChainStateError(p.store.file, `not found, but network ${p.networkId} already has certificates up to height ${BigInt(latest.height)}: start the client with the state file of the run that signed them`);
  await p.position.startFresh();
  p.persist();
  return null;
}

async function restore(p: ResumeParts, saved: ChainStateFile): Promise<RejectedOwn | null> {
  const { own, position } = p;
  position.restore(saved.startBlock, saved.snapshots);
  p.relayer.ban(saved.banned);
  p.rebuilder.restore(saved.rebuilds);
  p.revisions.restore(saved.revisions, saved.abandoning);
  own.restore(saved.certificates, saved.submitting);
  position.rereadFromStart(own.certifiedEvents());
  const last = saved.certificates[saved.certificates.length - 1];
  if (last) {
    const b = await p.follower.block(last.toBlock).catch(() => null);
    if (b?.hash !== last.toBlockHash)
      throw new ChainStateError(p.store.file, `the L2 no longer has block ${last.toBlock} (${last.toBlockHash}) that height ${own.height - 1n} certified: was the L2 node reset?`);
  }
  await p.relayer.recoverPosts(position.startBlock);
  const rejected = await reconcileStatuses(p);
  p.persist();
  p.log.info("resumed from the state file", { nextHeight: own.height, live: own.byId.size, submitting: own.submitting !== null, rejected: rejected?.height });
  return rejected;
}

/** Every live certificate's status is the coordinator's; a rejected one's revision is spent. */
async function reconcileStatuses(p: ResumeParts): Promise<RejectedOwn | null> {
  let rejected: RejectedOwn | null = null;
  for (const c of p.own.live()) {
    let v: CertificateView;
    try {
      v = await p.link.call<CertificateView>("getCertificate", { certificateId: hex(c.built.certificateId) });
    } catch (e) {
      if (e instanceof RpcError && e.reason === "UNKNOWN_CERTIFICATE")
        throw new ChainStateError(p.store.file, `the coordinator does not know certificate ${hex(c.built.certificateId)} (height ${c.built.certificate.height}): the file belongs to another deployment`);
      throw e;
    }
    p.own.setStatus(c, v.status);
    if (v.status === "Rejected") p.revisions.bump(c.built.certificate.height, revisionOf(c.built.certificate));
    if (v.status === "Rejected" && !rejected) rejected = { height: c.built.certificate.height, rejection: v.rejection };
  }
  return rejected;
}

/** What a restart picks up: proofs still owed, direct settlements, a rebuild for a rejection missed while away. */
export function resumeWork(p: { own: OwnCertificates; prover: SelfProver; direct: DirectSettler | null; rebuilder: Rebuilder }, rejected: RejectedOwn | null): void {
  for (const c of p.own.byId.values()) {
    if (c.status === "PreConfirmed" && p.prover.enabled) void p.prover.prove(c.built, c.prev);
    if (c.status === "Confirmed") void p.direct?.settle(c.built);
  }
  if (rejected) p.rebuilder.onRejected(rejected.height, rejected.rejection);
}
