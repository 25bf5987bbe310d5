/**
 * The dashboard (GET /dashboard, coordinator/dashboard/) in headless Chromium, driven by playwright-core: Debian's
 * `chromium` (/usr/bin/chromium, which .ci/run installs; CHROMIUM_PATH overrides it), no browser download.
 *
 * checkDashboard is what the devnet's end-to-end test asks of the page after the scenario; the smaller helpers
 * serve test/coordinator/dashboard.test.ts and scripts/bench-dashboard.ts.
 */
import * as fs from "fs";
import type { Browser, Page } from "playwright-core";

/** Browser globals, for the functions that run in the page (this project compiles without the DOM library). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`);
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

export interface PageUpdate {
  certificateId: string;
  from: string;
  to: string;
  applyMs: number;
  paintedMs: number;
}

/** What the page exposes as window.__dashboard (coordinator/dashboard/app.js). */
export interface PageMetrics {
  firstRenderMs: number | null;
  snapshots: number;
  updates: number;
  /** The last status event: how long applying it took, and until the next frame was painted (ms from its arrival). */
  lastUpdate: PageUpdate | null;
  /** The last 256 of them. */
  recentUpdates: PageUpdate[];
  connected: boolean;
  reconnects: number;
  errors: string[];
}

export const pageMetrics = (page: Page): Promise<PageMetrics> => page.evaluate(() => (window as unknown as { __dashboard: PageMetrics }).__dashboard);

/** Opens the page and waits until its first snapshot is drawn; collects the page's console errors and CSP violations. */
export async function openDashboard(browser: Browser, url: string, o: { width?: number; height?: number; timeoutMs?: number } = {}): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: o.width ?? 1500, height: o.height ?? 1000 } });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector("body[data-rendered]", { timeout: o.timeoutMs ?? 30_000 });
  return { page, problems };
}

export interface DashboardCheck {
  /** The lanes drawn and the chains listed. */
  lanes: number[];
  chains: number[];
  /** The first cascade found: its root's reason and the reasons of the certificates it took down. */
  cascade: { rootCode: string; rootText: string; taken: string[] };
  /** A settled epoch and the gas shown for it. */
  settledEpoch: { id: string; gas: number };
  screenshot: string;
}

/**
 * The checks of the devnet test, on a coordinator that ran the scenario: the three chains (lanes and table rows),
 * a cascade whose root was rejected PROOF_TIMEOUT and which took down a DEPENDENCY_REJECTED certificate, and a
 * settled epoch with its gas. Saves a full-page screenshot of what it checked. Throws, saying what is missing.
 */
export async function checkDashboard(url: string, screenshotPath: string, o: { chains?: number[]; timeoutMs?: number } = {}): Promise<DashboardCheck> {
  const want = o.chains ?? [1, 2, 3];
  const timeout = o.timeoutMs ?? 30_000;
  const browser = await launchChromium();
  try {
    const { page, problems } = await openDashboard(browser, url, { timeoutMs: timeout });
    const lanes = (await page.$$eval("svg text[data-lane]", (ts) => ts.map((t) => Number(t.getAttribute("data-lane"))))).sort((a, b) => a - b);
    const chains = (await page.$$eval("#chains tr[data-chain]", (rs) => rs.map((r) => Number(r.getAttribute("data-chain"))))).sort((a, b) => a - b);
    for (const n of want) {
      if (!lanes.includes(n)) throw new Error(`the graph has no lane for chain ${n} (lanes: ${lanes.join(", ")})`);
      if (!chains.includes(n)) throw new Error(`the chains table has no row for chain ${n} (rows: ${chains.join(", ")})`);
    }
    const cascades = await page.$$eval(".cascade", (bs) =>
      bs.map((b) => ({
        rootCode: b.querySelector(":scope > div .bad")?.textContent ?? "",
        rootText: b.querySelector(":scope > div")?.textContent ?? "",
        taken: [...b.querySelectorAll("li[data-cascaded] .bad")].map((x) => x.textContent ?? ""),
      })),
    );
    const cascade = cascades.find((c) => c.rootCode === "PROOF_TIMEOUT" && c.taken.includes("DEPENDENCY_REJECTED"));
    if (!cascade) throw new Error(`no cascade rooted in a PROOF_TIMEOUT that took down a DEPENDENCY_REJECTED certificate (cascades: ${JSON.stringify(cascades)})`);
    // gas is read from the settlement's receipt after the first snapshot: the summary refresh brings it
    const settled = await page
      .waitForFunction(
        () => {
          const row = [...document.querySelectorAll("#epochs tr[data-status='settled']")].find((r: { querySelector(s: string): { textContent: string | null } | null }) => /^[0-9][0-9,]*$/.test(r.querySelector("td.gas")?.textContent ?? ""));
          return row ? { id: row.getAttribute("data-epoch") ?? "", gas: Number((row.querySelector("td.gas")?.textContent ?? "").replace(/,/g, "")) } : null;
        },
        undefined,
        { timeout },
      )
      .then((h) => h.jsonValue() as Promise<{ id: string; gas: number }>)
      .catch(async () => {
        throw new Error(`no settled epoch with its gas (epochs: ${await page.$eval("#epochs", (t) => t.textContent)})`);
      });
    if (!(settled.gas > 0)) throw new Error(`settled epoch ${settled.id} shows gas ${settled.gas}`);
    // the cascade's root in detail: its timeline ends in Rejected
    await page.click(`.cascade a[href^="#cert="]`);
    await page.waitForSelector("#detail .timeline tr:nth-child(2)", { timeout });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    if (problems.length) throw new Error(`the page reported errors: ${problems.join("; ")}`);
    await page.close();
    return { lanes, chains, cascade, settledEpoch: settled, screenshot: screenshotPath };
  } finally {
    await browser.close();
  }
}
