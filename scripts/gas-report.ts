/**
 * Measures the gas of the bridge's user operations on the in-process EVM and writes docs/gas.md.
 * Run: npm run gas   (hardhat run scripts/gas-report.ts)
 */
import { existsSync, readFileSync, writeFileSync } from "fs";

/** docs/gas.md from this heading on is written by other measurements (npm run gas:batch, gas:settle). */
const KEEP_FROM = "## Batched certificate verification";
import { join } from "path";
import { ZeroAddress, ContractTransactionResponse } from "ethers";
import { PRODUCTION_PARAMS, TEST_PARAMS } from "../lib";
import { newNetwork, exitVia, claimArgs, postRoot, ROLES, TestNetwork } from "../test/helpers/bridge";
import { TestToken__factory, MessageRecorder__factory, ExitTreeHarness__factory } from "../typechain-types";

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const r = await (await tx).wait();
  return r!.gasUsed;
}

async function measure(depth: number, chainBase: number): Promise<Map<string, bigint>> {
  const g = new Map<string, bigint>();
  const l1: TestNetwork = await newNetwork(0, chainBase, depth);
  const n1: TestNetwork = await newNetwork(1, chainBase + 1, depth);
  const alice = l1.chain.signers[ROLES.alice];
  const bob = n1.chain.signers[ROLES.bob];
  const token = await new TestToken__factory(alice).deploy("Test Token", "TT", 18);
  await token.mint(alice.address, 10n ** 24n);
  await token.approve(await l1.bridge.getAddress(), 10n ** 24n);
  const b = l1.bridge.connect(alice);

  // Exits on L1. First 100 gas-coin exits: the spread of their gasUsed is what the leaf index changes (at most one
  // hash, and the tree's storage slots written for the first time); the rows after them are measured past them.
  const [eth1] = await exitVia(l1, b.bridgeAsset(1, bob.address, 10n ** 18n, ZeroAddress, { value: 10n ** 18n }));
  let least = 0n;
  let most = 0n;
  for (let i = 0; i < 100; i++) {
    const r = (await (await b.bridgeAsset(1, bob.address, 10n ** 18n, ZeroAddress, { value: 10n ** 18n })).wait())!;
    l1.mirror.ingest(l1.bridge.interface, r.logs);
    least = i === 0 || r.gasUsed < least ? r.gasUsed : least;
    most = r.gasUsed > most ? r.gasUsed : most;
  }
  g.set("bridgeAsset: gas coin (ETH), lock, leaf indices 1-100: least", least);
  g.set("bridgeAsset: gas coin (ETH), lock, leaf indices 1-100: most", most);
  const estimate = await b.bridgeAsset.estimateGas(1, bob.address, 10n ** 18n, ZeroAddress, { value: 10n ** 18n });
  let tx = b.bridgeAsset(1, bob.address, 10n ** 18n, ZeroAddress, { value: 10n ** 18n });
  g.set("bridgeAsset: gas coin (ETH), lock (leaf index 101)", await gasOf(tx));
  g.set("bridgeAsset: gas coin (ETH), lock: eth_estimateGas (the gas limit a wallet sets)", estimate);
  await l1.mirror.ingest(l1.bridge.interface, (await (await tx).wait())!.logs);
  const tt: typeof eth1[] = [];
  for (let i = 0; i < 3; i++) {
    tx = b.bridgeAsset(1, bob.address, 1000n, await token.getAddress());
    if (i === 2) g.set("bridgeAsset: ERC20, lock", await gasOf(tx));
    tt.push(...l1.mirror.ingest(l1.bridge.interface, (await (await tx).wait())!.logs));
  }
  const recorder = await new MessageRecorder__factory(n1.chain.signers[ROLES.carol]).deploy();
  tx = b.bridgeMessage(1, await recorder.getAddress(), "0x" + "ab".repeat(64), { value: 0n });
  g.set("bridgeMessage: 64 bytes of calldata", await gasOf(tx));
  const [msg] = l1.mirror.ingest(l1.bridge.interface, (await (await tx).wait())!.logs);
  g.set("checkpointExitRoot (L1)", await gasOf(l1.bridge.checkpointExitRoot()));

  // Claims on network 1.
  const root = l1.mirror.root();
  const entryTx = n1.oracle.connect(n1.sequencer).postExitRoot(0, 0n, 0n, root);
  g.set("postExitRoot (oracle, sequencer)", await gasOf(entryTx));
  const entry = (await n1.oracle.entryCount()) - 1n;
  let c = claimArgs(l1, tt[0], entry);
  g.set("claimAsset: first claim of a token (deploys the wrapped token)", await gasOf(n1.bridge.claimAsset(c.proof, c.exit)));
  c = claimArgs(l1, tt[1], entry);
  g.set("claimAsset: later claim (mint)", await gasOf(n1.bridge.claimAsset(c.proof, c.exit)));
  c = claimArgs(l1, eth1, entry);
  await n1.bridge.claimAsset(c.proof, c.exit);
  c = claimArgs(l1, msg, entry);
  g.set("claimMessage: 64 bytes to a recording contract", await gasOf(n1.bridge.claimMessage(c.proof, c.exit)));

  // Burn on the way out of network 1, and the unlock back on L1.
  const wTT = await n1.bridge.wrappedTokenAddress(0, await token.getAddress());
  tx = n1.bridge.connect(bob).bridgeAsset(0, alice.address, 500n, wTT);
  g.set("bridgeAsset: wrapped token, burn", await gasOf(tx));
  const [back] = n1.mirror.ingest(n1.bridge.interface, (await (await tx).wait())!.logs);
  const e0 = await postRoot(l1, 1, 0n, 1n, n1.mirror.root());
  c = claimArgs(n1, back, e0);
  g.set("claimAsset: native ERC20, unlock", await gasOf(l1.bridge.claimAsset(c.proof, c.exit)));
  return g;
}

async function poseidonGas(): Promise<{ t3: bigint; t5: bigint }> {
  const n = await newNetwork(1, 9300, 8);
  const h = await new ExitTreeHarness__factory(
    { "poseidon-solidity/PoseidonT3.sol:PoseidonT3": n.poseidonT3, "poseidon-solidity/PoseidonT5.sol:PoseidonT5": n.poseidonT5 },
    n.deployer,
  ).deploy(8);
  await (await h.measurePoseidon()).wait();
  const packed = await h.lastGas();
  return { t3: packed >> 128n, t5: packed & ((1n << 128n) - 1n) };
}

async function exitGasBound(): Promise<bigint> {
  const n = await newNetwork(1, 9310, 8);
  return n.bridge.EXIT_GAS_BOUND();
}

async function main() {
  const prod = await measure(PRODUCTION_PARAMS.exitDepth, 9200);
  const test = await measure(TEST_PARAMS.exitDepth, 9210);
  const p = await poseidonGas();
  const bound = await exitGasBound();
  const rows = [...prod.keys()].map((k) => `| ${k} | ${prod.get(k)!.toLocaleString("en-US")} | ${test.get(k)!.toLocaleString("en-US")} |`);
  const md = `# Gas of the bridge's operations

Generated by \`npm run gas\` (scripts/gas-report.ts) on the in-process Hardhat network (EDR, hardfork cancun target,
solc ${require("solc/package.json").version}, optimizer 200 runs; PoseidonT3 and PoseidonT5
unoptimized, which is cheaper for their hand-written assembly). Values are \`gasUsed\` of the transactions, measured, not estimated.

Poseidon cost per hash measured inside a contract (library DELEGATECALL included, library account already warm):
**PoseidonT3 (2 inputs, tree nodes): ${p.t3.toLocaleString("en-US")} gas; PoseidonT5 (4 inputs, exit leaves): ${p.t5.toLocaleString("en-US")} gas.**

| operation | exit tree depth ${PRODUCTION_PARAMS.exitDepth} (production) | depth ${TEST_PARAMS.exitDepth} (test instance) |
|---|---:|---:|
${rows.join("\n")}

Where the gas goes: an exit hashes its leaf once (PoseidonT5) and appends to the exit tree with at most one
PoseidonT3 (\`ExitTreeLib\` keeps complete subtrees with pending merges, a redundant binary counter, so no index
costs more); a claim hashes the leaf and then \`depth\` PoseidonT3 to recompute the root; a checkpoint computes the
root: \`depth\` PoseidonT3 plus one per pending merge. A claim is therefore dominated by depth x PoseidonT3.

Gas limit of an exit: after each exit the transaction must still have in hand \`EXIT_GAS_BOUND\`
(${bound.toLocaleString("en-US")} gas) minus the tree-dependent gas of its append (\`UnifiedBridge._keepExitGasHeadroom\`,
docs/protocol.md §7). The least gas limit a transaction needs is then the same at every leaf index, so
\`eth_estimateGas\` (the estimate row above: gasUsed plus that headroom) holds even when other exits land between a
wallet's estimate and its transaction. The headroom is required, not spent: only gasUsed is paid.
`;
  const out = join(__dirname, "..", "docs", "gas.md");
  // The sections after the bridge's (batched verification and settlement, measured by their own tests) are kept.
  const kept = existsSync(out) ? readFileSync(out, "utf8").split(KEEP_FROM).slice(1).join(KEEP_FROM) : "";
  writeFileSync(out, kept ? `${md}\n${KEEP_FROM}${kept}` : md);
  console.log(md);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
