#!/usr/bin/env node
// Generic browser page test runner.
//
//   node tests/js/run.mjs [--screenshots DIR] URL...
//
// Opens each URL in Debian's headless Chromium (through playwright-core), forwards the page's
// console to stdout prefixed with the page name, and waits until the page sets
//
//   window.testResults = { passed: number, failed: number,
//                          results: [{ name, ok, error }] }
//
// (timeout: env JS_TEST_TIMEOUT_MS, default 120000). Prints `ok - name` / `FAIL - name: error`
// for each result, optionally a full-page screenshot per page into DIR, and finally
// `N passed, N failed` (summed over all pages). Exits 1 if anything failed, or if a page did
// not load, crashed or timed out (each such page counts as one failure).
//
// The browser comes from tests/pages/lib.mjs: playwright-core from target/tools/node
// (`cargo xtask setup`), Debian's `chromium` (or env CHROMIUM).

import { mkdirSync } from "node:fs";
import path from "node:path";

import { launch } from "../pages/lib.mjs";

function parseArgs(argv) {
  const urls = [];
  let screenshots = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--screenshots") {
      screenshots = argv[++i];
      if (!screenshots) usage("--screenshots needs a directory");
    } else if (a.startsWith("--screenshots=")) {
      screenshots = a.slice("--screenshots=".length);
    } else if (a === "--help" || a === "-h") {
      usage();
    } else if (a.startsWith("--")) {
      usage(`unknown option ${a}`);
    } else {
      urls.push(a);
    }
  }
  if (urls.length === 0) usage("no page URL given");
  return { urls, screenshots };
}

function usage(problem) {
  if (problem) console.error(`run.mjs: ${problem}`);
  console.error("usage: node tests/js/run.mjs [--screenshots DIR] URL...");
  process.exit(2);
}

function pageName(url) {
  try {
    const u = new URL(url);
    return path.basename(u.pathname) || u.host;
  } catch {
    return url;
  }
}

function oneLine(v) {
  return String(v ?? "").replace(/\s*\n\s*/g, " | ");
}

async function runPage(browser, url, timeoutMs, screenshots) {
  const name = pageName(url);
  const tag = `[${name}]`;
  const context = await browser.newContext();
  const page = await context.newPage();
  let crashed = null;
  page.on("console", (msg) => console.log(`${tag} ${msg.type()}: ${msg.text()}`));
  page.on("pageerror", (err) => console.log(`${tag} uncaught: ${oneLine(err.stack || err.message)}`));
  page.on("crash", () => {
    crashed = "the page crashed";
  });
  page.on("requestfailed", (req) =>
    console.log(`${tag} request failed: ${req.url()} (${req.failure()?.errorText ?? "?"})`),
  );

  const out = { passed: 0, failed: 0 };
  const failPage = (why) => {
    console.log(`FAIL - ${name}: ${why}`);
    out.failed += 1;
  };

  console.log(`# ${name} (${url})`);
  try {
    const response = await page.goto(url, { waitUntil: "load", timeout: timeoutMs });
    if (response && !response.ok()) {
      failPage(`HTTP ${response.status()} for ${url}`);
    } else {
      const handle = await Promise.race([
        page.waitForFunction(() => window.testResults != null, null, {
          timeout: timeoutMs,
          polling: 100,
        }),
        new Promise((_, reject) => page.once("crash", () => reject(new Error("the page crashed")))),
      ]);
      await handle.dispose();
      const res = await page.evaluate(() => JSON.parse(JSON.stringify(window.testResults)));
      const results = Array.isArray(res?.results) ? res.results : null;
      if (!results) {
        failPage("window.testResults has no `results` array");
      } else {
        for (const r of results) {
          const rname = r?.name ?? "(unnamed)";
          if (r?.ok === true) {
            console.log(`ok - ${rname}`);
            out.passed += 1;
          } else {
            console.log(`FAIL - ${rname}: ${oneLine(r?.error ?? "failed")}`);
            out.failed += 1;
          }
        }
        const claimedFailed = Number(res.failed);
        if (Number.isFinite(claimedFailed) && claimedFailed > 0 && out.failed === 0) {
          failPage(`page reports ${claimedFailed} failed but listed none`);
        }
        if (results.length === 0) {
          console.log(`${tag} note: the page reported no tests`);
        }
      }
    }
  } catch (e) {
    const why = crashed ?? (e?.name === "TimeoutError"
      ? `timed out after ${timeoutMs} ms waiting for window.testResults`
      : oneLine(e?.message ?? e));
    failPage(why);
  }

  if (screenshots && !crashed) {
    try {
      mkdirSync(screenshots, { recursive: true });
      const file = path.join(screenshots, `${name.replace(/[^\w.-]+/g, "_")}.png`);
      await page.screenshot({ path: file, fullPage: true, timeout: 30000 });
      console.log(`${tag} screenshot: ${file}`);
    } catch (e) {
      console.log(`${tag} screenshot failed: ${oneLine(e?.message ?? e)}`);
    }
  }
  await context.close().catch(() => {});
  return out;
}

async function main() {
  const { urls, screenshots } = parseArgs(process.argv.slice(2));
  const timeoutMs = Number(process.env.JS_TEST_TIMEOUT_MS) || 120000;
  let passed = 0;
  let failed = 0;
  let browser;
  try {
    browser = await launch();
    for (const url of urls) {
      const r = await runPage(browser, url, timeoutMs, screenshots);
      passed += r.passed;
      failed += r.failed;
    }
  } catch (e) {
    if (e?.setup) {
      console.error(`run.mjs: ${e.message}`);
      process.exit(2);
    }
    console.log(`FAIL - browser: ${oneLine(e?.message ?? e)}`);
    failed += 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.log(`FAIL - run.mjs: ${oneLine(e?.stack ?? e)}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
