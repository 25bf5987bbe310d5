/**
 * Privileged calls to the settlement hub, made the way its owner makes them: directly while the deployer still
 * owns it (tests, fresh deployments), and through its LayerTimelock once it was handed over — schedule, wait out
 * the delay, execute. Every privileged function and its delay: docs/settlement.md.
 *
 * `call` waits for the delay, which suits devnets (seconds); with a production delay (days) an operator
 * schedules with `schedule` and executes later with `execute`.
 */
import { Interface, Signer, ZeroHash, getAddress, hexlify, randomBytes } from "ethers";
import { LayerTimelock__factory } from "../typechain-types";
import type { LayerTimelock, SettlementHub } from "../typechain-types";

/** One privileged hub call: `method(...args)`, sending `value` wei. */
export interface HubCall {
  method: string;
  args: readonly unknown[];
  value?: bigint;
}

/** A timelock operation: one or more hub calls, executed together in one transaction. */
export interface ScheduledCall {
  targets: string[];
  values: bigint[];
  payloads: string[];
  salt: string;
  /** Unix time from which it can be executed. */
  readyAt: bigint;
  id: string;
}

export class HubAdmin {
  private constructor(
    readonly hub: SettlementHub,
    readonly signer: Signer,
    /** null while the signer owns the hub directly. */
    readonly timelock: LayerTimelock | null,
  ) {}

  /** The admin path for `signer`: itself if it owns the hub, else the hub's timelock (where it must be proposer and executor). */
  static async of(hub: SettlementHub, signer: Signer): Promise<HubAdmin> {
    const owner = getAddress(await hub.owner());
    if (owner === getAddress(await signer.getAddress())) return new HubAdmin(hub.connect(signer), signer, null);
    return new HubAdmin(hub.connect(signer), signer, LayerTimelock__factory.connect(owner, signer));
  }

  /** Schedules the calls on the hub through the timelock, as one operation (one delay, one execution). */
  async schedule(calls: readonly HubCall[]): Promise<ScheduledCall> {
    if (!this.timelock) throw new Error("the hub is not owned by a timelock: call it directly");
    const target = await this.hub.getAddress();
    // The methods are chosen at run time: the untyped ethers Interface encodes them (and refuses an unknown name).
    const iface = this.hub.interface as unknown as Interface;
    const targets = calls.map(() => target);
    const values = calls.map((c) => c.value ?? 0n);
    const payloads = calls.map((c) => iface.encodeFunctionData(c.method, c.args));
    const salt = hexlify(randomBytes(32));
    const delay = await this.timelock.getMinDelay();
    const rc = await (await this.timelock.scheduleBatch(targets, values, payloads, ZeroHash, salt, delay)).wait();
    const block = await rc!.getBlock();
    const id = await this.timelock.hashOperationBatch(targets, values, payloads, ZeroHash, salt);
    return { targets, values, payloads, salt, readyAt: BigInt(block.timestamp) + delay, id };
  }

  /** Executes a scheduled operation (reverts before its delay has passed). */
  async execute(s: ScheduledCall): Promise<void> {
    if (!this.timelock) throw new Error("the hub is not owned by a timelock");
    const value = s.values.reduce((a, b) => a + b, 0n);
    await (await this.timelock.executeBatch(s.targets, s.values, s.payloads, ZeroHash, s.salt, { value })).wait();
  }

  /** Runs `method(args)`: directly, or scheduled, waited for and executed through the timelock. */
  async call(method: string, args: readonly unknown[], value = 0n): Promise<void> {
    await this.callAll([{ method, args, value }]);
  }

  /** Runs the calls in order: directly, or as one timelock operation (one delay for all of them). */
  async callAll(calls: readonly HubCall[]): Promise<void> {
    if (calls.length === 0) return;
    if (!this.timelock) {
      for (const c of calls) await (await this.hub.getFunction(c.method)(...c.args, { value: c.value ?? 0n })).wait();
      return;
    }
    const s = await this.schedule(calls);
    // Readiness is asked of the pending block: on a chain that mines only on demand (a devnet) the latest block's
    // timestamp does not move, while the next block's is the current time.
    while (!(await this.timelock.isOperationReady(s.id, { blockTag: "pending" }))) await new Promise((r) => setTimeout(r, 250));
    await this.execute(s);
  }

  /**
   * Hands the hub over to `timelock` (Ownable2Step): transferOwnership now, acceptOwnership through the timelock
   * (after its delay). From then on every privileged call waits for the delay.
   */
  static async handOver(hub: SettlementHub, owner: Signer, timelock: LayerTimelock): Promise<void> {
    await (await hub.connect(owner).transferOwnership(await timelock.getAddress())).wait();
    const admin = new HubAdmin(hub.connect(owner), owner, timelock.connect(owner));
    await admin.call("acceptOwnership", []);
  }
}
