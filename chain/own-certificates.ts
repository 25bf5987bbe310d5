/**
 * This chain's own certificates: the live ones the coordinator holds, the one written ahead of its submission, and
 * the model state and height they lead to. It is the only writer of those (and of their part of the state file,
 * chain/state-file.ts); the certifier adds to it, the rebuilder takes it back, the resume fills it from the file.
 */
import { buildCertificate, BuiltCertificate, certificateId, certificateFromJson, NetworkState } from "../lib";
import type { SignedCertificate } from "../lib";
import type { Json } from "../lib/codec";
import { DEVNET_PARAMS } from "../lib/params";
import { ChainStateError, StoredCertificate } from "./state-file";
import { eventCount } from "./refs";

export interface OwnCertificate {
  built: BuiltCertificate;
  signed: SignedCertificate;
  /** certificateToJson(signed), kept for the state file. */
  json: Json;
  prev: NetworkState;
  /** Last L2 block its events came from, and its hash. */
  toBlock: number;
  toBlockHash: string;
  status: string;
}

export class OwnCertificates {
  /** Live certificates by id (what ChainClient.certificates shows). */
  readonly byId = new Map<bigint, OwnCertificate>();
  private _state: NetworkState;
  private _height = 0n;
  /** Written before a submission goes out, cleared once the coordinator answered (chain/state-file.ts). */
  private _submitting: StoredCertificate | null = null;

  /** `file`: the state file, named in the errors of a certificate that does not fit. */
  constructor(readonly networkId: number, private readonly file: string) {
    this._state = new NetworkState(networkId, DEVNET_PARAMS);
  }

  /** The model state after the last live certificate: what the next one is built on. */
  get state(): NetworkState {
    return this._state;
  }

  get height(): bigint {
    return this._height;
  }

  get submitting(): StoredCertificate | null {
    return this._submitting;
  }

  /** Live certificates, ascending height. */
  live(): OwnCertificate[] {
    return [...this.byId.values()].sort((a, b) => Number(a.built.certificate.height - b.built.certificate.height));
  }

  /** Rebuilds a stored certificate with the model on top of the current state: it must reproduce its own id. */
  adopt(sc: StoredCertificate): OwnCertificate {
    const signed = certificateFromJson(sc.certificate) as SignedCertificate;
    if (signed.networkId !== this.networkId || signed.height !== this._height)
      throw new ChainStateError(this.file, `certificate of network ${signed.networkId} at height ${signed.height} where network ${this.networkId} height ${this._height} was expected`);
    const prev = this._state;
    const built = buildCertificate(prev, { height: signed.height, revision: signed.revision, newStateRoot: signed.newStateRoot, imports: signed.importedExits, exits: signed.bridgeExits });
    if (built.certificateId !== certificateId(signed))
      throw new ChainStateError(this.file, `the certificate at height ${signed.height} does not follow from the ones before it`);
    const own: OwnCertificate = { built, signed, json: sc.certificate, prev, toBlock: sc.toBlock, toBlockHash: sc.toBlockHash, status: sc.status };
    this.byId.set(built.certificateId, own);
    this._state = built.transition.state;
    this._height = signed.height + 1n;
    return own;
  }

  /** From the state file: the live certificates, each checked against the model, and the one written ahead. */
  restore(certificates: StoredCertificate[], submitting: StoredCertificate | null): void {
    for (const sc of certificates) this.adopt(sc);
    this._submitting = submitting;
  }

  /** Bridge events the live certificates hold. */
  certifiedEvents(aboveHeight = -1n): number {
    return [...this.byId.values()].filter((c) => c.built.certificate.height > aboveHeight).reduce((n, c) => n + eventCount(c.built.certificate), 0);
  }

  setStatus(own: OwnCertificate, status: string): void {
    own.status = status;
  }

  /** Write-ahead: the certificate about to be sent. */
  writeAhead(sc: StoredCertificate): void {
    this._submitting = sc;
  }

  /** The coordinator holds the written-ahead certificate: it becomes live. */
  accept(): OwnCertificate {
    const own = this.adopt(this._submitting!);
    this._submitting = null;
    return own;
  }

  /** The coordinator refused the written-ahead certificate: it is dropped (and returned). */
  refuse(): StoredCertificate {
    const sc = this._submitting!;
    this._submitting = null;
    return sc;
  }

  /**
   * Back to the state after `height - 1`: the certificates from `height` on are dropped (and returned), and so is
   * a certificate written ahead.
   */
  rewind(height: bigint): OwnCertificate[] {
    const mine = [...this.byId.values()].filter((c) => c.built.certificate.height >= height);
    const first = mine.sort((a, b) => Number(a.built.certificate.height - b.built.certificate.height))[0];
    if (first) this._state = first.prev;
    for (const c of mine) this.byId.delete(c.built.certificateId);
    this._height = height;
    this._submitting = null;
    return mine;
  }

  /** Their part of the state file. */
  stored(): StoredCertificate[] {
    return this.live().map((c) => ({ certificate: c.json, toBlock: c.toBlock, toBlockHash: c.toBlockHash, status: c.status }));
  }
}
