#!/usr/bin/env node
// Runs www/check.html headless for `cargo xtask check`.
//
//   CHECK_SETTINGS='{"url":"ws://…","runs":1,…}' CHECK_TOKEN_ENV=NAME \
//     node tests/pages/check-runner.mjs --page http://127.0.0.1:PORT/check.html --out FILE \
//       [--screenshot FILE] [--timeout-ms N]
//
// The settings (without the token) come in the environment variable CHECK_SETTINGS; the
// token is read from the environment variable whose *name* is in CHECK_TOKEN_ENV, and handed
// to the page through `window.runCheck(settings)` — never on a command line or in a URL.
// Writes the page's `window.checkResult` JSON to --out. Exit: 0 PASS, 1 FAIL, 2 setup error
// (the page could not run the check, or the browser could not start).

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { launch, forwardConsole } from "./lib.mjs";

function usage(problem) {
  console.error(`check-runner: ${problem}`);
  console.error("usage: CHECK_SETTINGS=JSON CHECK_TOKEN_ENV=NAME node tests/pages/check-runner.mjs --page URL --out FILE [--screenshot FILE] [--timeout-ms N]");
  process.exit(2);
}

function parseArgs(argv) {
  const o = { page: null, out: null, screenshot: null, timeoutMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--page") o.page = next();
    else if (a === "--out") o.out = next();
    else if (a === "--screenshot") o.screenshot = next();
    else if (a === "--timeout-ms") o.timeoutMs = Number(next());
    else usage(`unknown argument ${a}`);
  }
  if (!o.page) usage("--page is required");
  if (!o.out) usage("--out is required");
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let settings;
  try {
    settings = JSON.parse(process.env.CHECK_SETTINGS || "{}");
  } catch (e) {
    usage(`CHECK_SETTINGS is not JSON: ${e.message}`);
  }
  if ("token" in settings) usage("CHECK_SETTINGS must not hold the token (use CHECK_TOKEN_ENV)");
  const tokenEnv = process.env.CHECK_TOKEN_ENV;
  const token = tokenEnv ? process.env[tokenEnv] : undefined;
  if (!token) usage(`no token: environment variable ${tokenEnv || "(CHECK_TOKEN_ENV unset)"} is empty or unset`);

  // Default timeout: every run may take its handshake + completion + settle deadlines.
  const perRun = (settings.handshakeTimeoutMs || 10000) + (settings.completionTimeoutMs || 120000) + (settings.settleMs || 1500) + 2000;
  const timeoutMs = o.timeoutMs || perRun * (settings.runs || 1) + 30000;

  let browser;
  let code = 2;
  try {
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    forwardConsole(page, "[check.html]", { quiet: true });
    // A refused upgrade is a bare 1006 to the page; only the browser's own log names the HTTP
    // status ("Error during WebSocket handshake: Unexpected response code: 500").
    const refusals = [];
    page.on("console", (msg) => {
      const status = /Unexpected response code: (\d{3})/.exec(msg.text());
      if (status) refusals.push(Number(status[1]));
    });
    const resp = await page.goto(o.page, { waitUntil: "load", timeout: 30000 });
    if (resp && !resp.ok()) throw Object.assign(new Error(`HTTP ${resp.status()} for ${o.page}`), { setup: true });
    await page.waitForFunction(() => window.checkReady === true, null, { timeout: 15000 });
    await page.evaluate(
      ({ settings, token }) => {
        window.checkError = undefined;
        window.runCheck({ ...settings, token }).catch((e) => {
          window.checkError = String((e && e.message) || e);
        });
      },
      { settings, token },
    );
    await page.waitForFunction(() => window.checkResult !== undefined || window.checkError !== undefined, null, {
      timeout: timeoutMs,
      polling: 100,
    });
    const error = await page.evaluate(() => window.checkError);
    if (error) throw Object.assign(new Error(`the check page failed: ${error}`), { setup: true });
    const result = JSON.parse(await page.evaluate(() => JSON.stringify(window.checkResult)));
    if (refusals.length) {
      // The upgrade was rejected: that is the reason, alone.
      result.handshakeHttpStatus = refusals[0];
      result.reasons = [`upgrade rejected: HTTP ${refusals[0]}`];
      for (const run of result.runs || []) if (run.steps?.some((st) => st.id === "handshake" && !st.ok)) run.reasons = [...result.reasons];
    }
    const json = JSON.stringify(result);
    mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    writeFileSync(o.out, JSON.stringify(JSON.parse(json), null, 2) + "\n");
    if (o.screenshot) {
      mkdirSync(path.dirname(path.resolve(o.screenshot)), { recursive: true });
      await page.screenshot({ path: o.screenshot, fullPage: true }).catch((e) => console.error(`check-runner: screenshot failed: ${e.message}`));
    }
    const verdict = JSON.parse(json).verdict;
    code = verdict === "PASS" ? 0 : verdict === "FAIL" ? 1 : 2;
  } catch (e) {
    console.error(`check-runner: ${e && e.message ? e.message.split("\n")[0] : e}`);
    code = 2;
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  process.exit(code);
}

main();
