/**
 * Which revision the next certificate at a height carries (docs/protocol.md §5), and the layer's licence for it.
 * Absent = 0; r + 1 once the layer rejected revision r there, or recorded it as abandoned. The client never signs
 * two ids for one revision: a certificate the layer refused without rejecting it is recorded as abandoned
 * (abandonCertificate) before its height is signed again. The only writer of `revisions` and `abandoning` in the
 * state file.
 */
import { certificateFromJson, certificateId, revisionOf } from "../lib";
import type { SignedCertificate } from "../lib";
import type { Json } from "../lib/codec";
import { CoordinatorLink, RpcError } from "./coordinator-link";
import { hex } from "./refs";

export class Revisions {
  private readonly next = new Map<bigint, number>();
  /** Signed certificates the layer refused: recorded as abandoned before their height is signed again. */
  private pending: Json[] = [];

  /** `persist` saves the state file after each recorded abandonment. */
  constructor(private readonly link: CoordinatorLink, private readonly persist: () => void) {}

  /** The revision the next certificate at `height` carries (undefined = 0). */
  at(height: bigint): number | undefined {
    return this.next.get(height);
  }

  /** Revision `rejectedRevision` at `height` is spent (rejected or abandoned): the next one follows it. */
  bump(height: bigint, rejectedRevision: number): void {
    if ((this.next.get(height) ?? 0) <= rejectedRevision) this.next.set(height, rejectedRevision + 1);
  }

  /** A signed certificate the layer refused: to be recorded as abandoned before its height is signed again. */
  abandon(certificate: Json): void {
    this.pending.push(certificate);
  }

  /**
   * Has the layer record every refused certificate as abandoned, which licenses the next revision at its height.
   * False while the coordinator cannot be reached: nothing new is signed until it can.
   */
  async flushAbandoned(): Promise<boolean> {
    while (this.pending.length > 0) {
      const json = this.pending[0];
      const c = certificateFromJson(json) as SignedCertificate;
      try {
        await this.link.call("abandonCertificate", { certificate: json });
        this.bump(c.height, revisionOf(c));
      } catch (e) {
        if (!(e instanceof RpcError)) return false;
        const expected = (e.data as { expected?: number } | null)?.expected;
        // Recorded before a crash lost the answer: the layer already expects a later revision.
        if (e.reason === "REVISION_NOT_LICENSED" && expected !== undefined && expected > revisionOf(c)) this.bump(c.height, expected - 1);
        else throw new Error(`the layer refuses to record certificate ${hex(certificateId(c))} (height ${c.height}) as abandoned: ${e.reason} ${e.message}`);
      }
      this.pending.shift();
      this.persist();
    }
    return true;
  }

  /** From the state file. */
  restore(revisions: Record<string, number>, abandoning: Json[]): void {
    for (const [h, r] of Object.entries(revisions)) this.next.set(BigInt(h), r);
    this.pending = [...abandoning];
  }

  /** Their part of the state file. */
  stored(): { revisions: Record<string, number>; abandoning: Json[] } {
    return { revisions: Object.fromEntries([...this.next].map(([h, r]) => [h.toString(), r])), abandoning: this.pending };
  }
}
