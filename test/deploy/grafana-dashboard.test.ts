/**
 * The Grafana dashboard (deploy/grafana/layer-dashboard.json) queries exactly the series the coordinator
 * (coordinator/metrics.ts) and the chain client (chain/metrics.ts) export: every name it uses exists, and every
 * series they export is on it. A renamed or removed series fails here, not on an operator's empty panel.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { Metrics } from "../../coordinator/metrics";
import { ChainMetrics } from "../../chain/metrics";

const FILE = path.join(__dirname, "../../deploy/grafana/layer-dashboard.json");

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}

/** Names a query may use for each exported series: a histogram's _bucket, _sum and _count. */
async function exported(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const families = [...(await new Metrics().registry.getMetricsAsJSON()), ...(await new ChainMetrics(1).registry.getMetricsAsJSON())];
  for (const f of families) {
    const names = String(f.type) === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => f.name + s) : [f.name];
    for (const n of names) out.set(n, f.name);
  }
  return out;
}

describe("the Grafana dashboard (deploy/grafana/layer-dashboard.json)", function () {
  const dashboard = JSON.parse(fs.readFileSync(FILE, "utf8")) as { panels: Panel[]; templating: { list: { name: string; type: string }[] } };
  const panels = dashboard.panels.filter((p) => p.type !== "row");
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(?:coordinator|chain)_[a-z0-9_]+/g)].map((m) => m[0])));

  it("uses only series the coordinator and the chain client export", async function () {
    const names = await exported();
    expect([...used].filter((n) => !names.has(n))).to.deep.equal([]);
  });

  it("shows every series they export", async function () {
    const names = await exported();
    const shown = new Set([...used].map((n) => names.get(n)));
    expect([...new Set(names.values())].filter((f) => !shown.has(f))).to.deep.equal([]);
  });

  it("every panel queries the data source the import picks, with distinct query ids", function () {
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).to.deep.include(["datasource", "datasource"]);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).to.equal("${datasource}");
      const ids = (p.targets ?? []).map((t) => t.refId);
      expect(ids.length, p.title).to.be.greaterThan(0);
      expect(new Set(ids).size, p.title).to.equal(ids.length);
    }
  });
});
