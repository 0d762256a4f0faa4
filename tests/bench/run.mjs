#!/usr/bin/env node
// Browser half of `cargo xtask bench`.
//
//   node tests/bench/run.mjs SERVER_URL [--quick] [--flood N] [--only floor]
//
// Opens tests/bench/bench.html in Debian's headless Chromium on the reference server's origin
// (the page is served from disk through request interception, so the server needs no route
// for it), waits for window.benchResults and prints it as one line `BENCH_JSON {...}`, after
// `BENCH_BROWSER <version>`, then the same flattened as `BENCH key value` lines. Exits 1 if the page failed. Timeout: env BENCH_TIMEOUT_MS
// (default 900000).

import { readFileSync, existsSync } from "node:fs";
import path from "node:path";

import { launch, repoRoot } from "../pages/lib.mjs";

// The page is served by interception (no address space): let it reach the loopback server.
const EXTRA_ARGS = ["--disable-features=LocalNetworkAccessChecks"];

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


const timeout = Number(process.env.BENCH_TIMEOUT_MS) || 900000;
const browser = await launch(EXTRA_ARGS);
let code = 0;
try {
  console.log(`BENCH_BROWSER ${browser.version()}`);
  const page = await browser.newPage();
  page.on("console", (m) => console.log(`[bench] ${m.text()}`));
  page.on("pageerror", (e) => console.log(`[bench] uncaught: ${e.message}`));
  const base = new URL(server);
  await page.route(`${base.origin}/tests/bench/**`, (route) => {
    const file = path.join(repoRoot, new URL(route.request().url()).pathname);
    if (!file.startsWith(path.join(repoRoot, "tests", "bench")) || !existsSync(file)) {
      return route.fulfill({ status: 404, body: "not found" });
    }
    route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: readFileSync(file) });
  });
  const q = new URLSearchParams();
  if (quick) q.set("quick", "1");
  if (flood) q.set("flood", flood);
  if (only) q.set("only", only);
  await page.goto(`${base.origin}/tests/bench/bench.html?${q}`);
  await page.waitForFunction(() => window.benchResults != null, null, { timeout, polling: 200 });
  const res = await page.evaluate(() => window.benchResults);
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
