#!/usr/bin/env node
// Browser half of `cargo xtask bench`.
//
//   node tests/bench/run.mjs SERVER_URL [--quick] [--flood N] [--only floor] [--peers JSON]
//
// Opens tests/bench/bench.html in Debian's headless Chromium, served by the reference server
// like every file the bench loads (no request interception: Playwright's would hold each
// request for a round trip to this process, and the SDK's cold start makes two), waits for
// window.benchResults and prints it as one line `BENCH_JSON {...}`, after
// `BENCH_BROWSER <version>`, then the same flattened as `BENCH key value` lines. Exits 1 if
// the page failed. Timeout: env BENCH_TIMEOUT_MS (default 900000).
//
// --peers {"<npm package>": "<URL path of its file>", …} (the xtask's, xtask/src/peers.rs) adds
// the peer libraries: bench.html feeds them beside the SDK, and after it the cold starts run,
// each a fresh browser context opening tests/bench/startup.html for one library (the SDK and
// each peer in turn, COLD_LOADS rounds, each load once without preload hints and once with
// them), which reports its import-to-first-frame time through an exposed function: printed as
// `BENCH startup.cold.<library>.medianMs` and so on.

import { launch } from "../pages/lib.mjs";
import { PEERS } from "./peers.js";

const argv = process.argv.slice(2);
const server = argv.find((a) => !a.startsWith("--"));
if (!server) {
  console.error("usage: node tests/bench/run.mjs SERVER_URL [--quick] [--flood N]");
  process.exit(2);
}
const quick = argv.includes("--quick");
const floodAt = argv.indexOf("--flood");
const flood = floodAt >= 0 ? argv[floodAt + 1] : null;
const onlyAt = argv.indexOf("--only");
const only = onlyAt >= 0 ? argv[onlyAt + 1] : null;
const peersAt = argv.indexOf("--peers");
const peers = peersAt >= 0 ? JSON.parse(argv[peersAt + 1]) : {};

/** Cold loads per library: the median is reported. */
const COLD_LOADS = quick ? 2 : 11;
/** How long one cold load may take before the run fails. */
const COLD_TIMEOUT_MS = 30000;
const SDK = "chat-sentinel";

/** One cold start of `lib` in a fresh context, with the preload hints in the page's `<head>`
 * if `hinted`: `{ ms, readyMs, … }` as startup.html reports it. */
async function coldStart(browser, base, lib, hinted) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on("pageerror", (e) => console.log(`[startup ${lib}] uncaught: ${e.message}`));
    let report;
    const reported = new Promise((resolve) => { report = resolve; });
    await page.exposeFunction("benchStartup", (r) => report(r));
    const q = new URLSearchParams({ lib });
    if (peers[lib]) q.set("url", peers[lib]);
    if (hinted) q.set("hints", "1");
    if (hinted && PEERS[lib]) q.set("preload", PEERS[lib].preload);
    await page.goto(`${base.origin}/tests/bench/startup.html?${q}`);
    const r = await Promise.race([reported, new Promise((r) => setTimeout(() => r({ error: "no report" }), COLD_TIMEOUT_MS))]);
    if (r.error) throw new Error(`cold start of ${lib}: ${r.error}`);
    return r;
  } finally {
    await context.close();
  }
}

/** The median of a list of numbers. */
function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** COLD_LOADS rounds of two cold starts per library, without the preload hints and with
 * them; per library the median, min and max ms of the loads without hints, the median of each
 * phase startup.html reports (`readyMs`, the SDK's `moduleMs`), and the median ms of the loads
 * with hints (`hintedMs`). */
async function coldStarts(browser, base) {
  const libs = [SDK, ...Object.keys(peers)];
  const loads = Object.fromEntries(libs.map((l) => [l, { plain: [], hinted: [] }]));
  for (let i = 0; i < COLD_LOADS; i++) {
    for (const lib of libs) {
      loads[lib].plain.push(await coldStart(browser, base, lib, false));
      loads[lib].hinted.push(await coldStart(browser, base, lib, true));
    }
  }
  const out = {};
  for (const [lib, { plain, hinted }] of Object.entries(loads)) {
    const ms = plain.map((r) => r.ms);
    out[lib] = { medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), loads: ms.length,
      hintedMs: median(hinted.map((r) => r.ms)) };
    for (const phase of ["readyMs", "moduleMs"]) {
      if (plain.every((r) => typeof r[phase] === "number")) out[lib][phase] = median(plain.map((r) => r[phase]));
    }
    console.log(`[bench] cold start ${lib}: median ${out[lib].medianMs.toFixed(1)} ms of ${ms.length} (${ms.map((t) => t.toFixed(1)).join(", ")}), ready at ${out[lib].readyMs?.toFixed(1)} ms; with its files preloaded ${out[lib].hintedMs.toFixed(1)} ms`);
  }
  return out;
}

const timeout = Number(process.env.BENCH_TIMEOUT_MS) || 900000;
const browser = await launch();
let code = 0;
try {
  console.log(`BENCH_BROWSER ${browser.version()}`);
  const page = await browser.newPage();
  page.on("console", (m) => console.log(`[bench] ${m.text()}`));
  page.on("pageerror", (e) => console.log(`[bench] uncaught: ${e.message}`));
  const base = new URL(server);
  const q = new URLSearchParams();
  if (quick) q.set("quick", "1");
  if (flood) q.set("flood", flood);
  if (only) q.set("only", only);
  if (Object.keys(peers).length) q.set("peers", JSON.stringify(peers));
  await page.goto(`${base.origin}/tests/bench/bench.html?${q}`);
  await page.waitForFunction(() => window.benchResults != null, null, { timeout, polling: 200 });
  const res = await page.evaluate(() => window.benchResults);
  await page.close();
  if (!res.error && !only && Object.keys(peers).length) res.startup = { ...res.startup, cold: await coldStarts(browser, base) };
  console.log(`BENCH_JSON ${JSON.stringify(res)}`);
  // Flat `BENCH key value` lines for the xtask (arrays keyed by their dialect or kind).
  const flat = (prefix, v) => {
    if (Array.isArray(v)) {
      for (const item of v) flat(`${prefix}.${item.dialect && !item.kind ? item.dialect : item.kind}`, item);
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) flat(prefix ? `${prefix}.${k}` : k, x);
    } else {
      console.log(`BENCH ${prefix} ${v}`);
    }
  };
  flat("", res);
  if (res.error) code = 1;
} catch (e) {
  console.log(`BENCH_JSON ${JSON.stringify({ error: String(e?.message ?? e) })}`);
  code = 1;
} finally {
  await browser.close().catch(() => {});
}
process.exit(code);
