// Page tests of www/check.html (run by run.mjs).

import { readFileSync } from "node:fs";

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const wsBase = (base) => base.replace(/^http/, "ws");

/** Fills the form like a person and clicks Run check; returns the verdict element text. */
async function runFromForm(page, { url, token, runs = 1 }) {
  await page.fill("#url", url);
  await page.fill("#token", token);
  await page.fill("#runs", String(runs));
  await page.click("#preset-reference");
  await page.click("#run");
  await page.waitForSelector('#verdict[data-verdict="PASS"], #verdict[data-verdict="FAIL"], #verdict[data-verdict="ERROR"]', { timeout: 45000 });
  return page.$eval("#verdict", (v) => v.dataset.verdict);
}

async function stepStatuses(page) {
  return page.$$eval("#checklist tbody tr", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.step, r.dataset.status])));
}

export default [
  {
    name: "check page: clean, 3 runs, PASS with checklist, timeline, percentiles and download",
    async run({ base, page, shot }) {
      const token = "tok-clean-7f3a9c";
      const requests = [];
      page.on("request", (r) => requests.push(r.url()));
      const sockets = [];
      page.on("websocket", (ws) => sockets.push(ws.url()));
      await page.goto(`${base}check.html`);
      await page.waitForFunction(() => window.checkReady === true);
      const verdict = await runFromForm(page, { url: `${wsBase(base)}ws?dialect=netra&scenario=clean`, token, runs: 3 });
      const reasons = await page.$$eval("#reasons li", (l) => l.map((x) => x.textContent));
      assert(verdict === "PASS", `verdict ${verdict}: ${reasons.join(" | ")}`);
      const st = await stepStatuses(page);
      for (const id of ["handshake", "ack", "first_event", "event:agent_started", "event:agent_thinking", "event:tool_executing", "event:tool_completed", "event:agent_completed", "order", "completion", "no_failures", "no_dup_gap"]) {
        assert(st[id] === "ok", `checklist step ${id} is ${st[id]}`);
      }
      const lanes = await page.$$eval("#timeline .tl-lane", (l) => l.length);
      assert(lanes === 3, `expected 3 timeline lanes, got ${lanes}`);
      const marks = await page.$$eval('#timeline .tl-mark[data-cat="event"]', (l) => l.length);
      assert(marks >= 18, `expected ≥ 18 event marks (3 runs × 6 events), got ${marks}`);
      const n = await page.$eval('#percentiles tr[data-latency="completionMs"] td:nth-child(2)', (td) => td.textContent);
      assert(n === "3", `completion percentile over ${n} runs, expected 3`);
      const latency = await page.$eval('#checklist tr[data-step="handshake"] td.lat', (td) => td.textContent);
      assert(/p50 .*max/.test(latency), `handshake latency cell: ${latency}`);

      // The download is the same JSON as window.checkResult.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      const file = await download.path();
      const downloaded = JSON.parse(readFileSync(file, "utf8"));
      const published = await page.evaluate(() => window.checkResult);
      assert(downloaded.verdict === "PASS" && published.verdict === "PASS", "download / checkResult verdict");
      assert(JSON.stringify(downloaded) === JSON.stringify(published), "the download differs from window.checkResult");
      assert(downloaded.runs.length === 3 && downloaded.percentiles.completionMs.n === 3, "report runs / percentiles");

      // The token is nowhere but in the subprotocol.
      const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href + document.cookie);
      for (const [what, text] of [["report", JSON.stringify(published)], ["storage/URL/cookies", storage], ["requests", requests.join(" ")], ["websocket URLs", sockets.join(" ")]]) {
        assert(!text.includes(token), `the token leaked into the ${what}`);
      }
      assert(sockets.length === 3, `expected 3 WebSocket connections, saw ${sockets.length}`);
      await shot("check-pass");
    },
  },
  {
    name: "check page: drop FAILs naming missing_event, gap on the timeline",
    async run({ base, page, shot }) {
      await page.goto(`${base}check.html`);
      await page.waitForFunction(() => window.checkReady === true);
      await page.fill("#url", `${wsBase(base)}ws?dialect=netra&scenario=clean`);
      await page.selectOption("#scenario", "drop"); // rewrites scenario= in the URL
      const url = await page.inputValue("#url");
      assert(url.includes("scenario=drop"), `scenario picker did not set the URL: ${url}`);
      await page.fill("#token", "tok-drop-1234");
      await page.click("#preset-reference");
      await page.click("#run");
      await page.waitForSelector('#verdict[data-verdict="FAIL"], #verdict[data-verdict="PASS"], #verdict[data-verdict="ERROR"]', { timeout: 45000 });
      const verdict = await page.$eval("#verdict", (v) => v.dataset.verdict);
      assert(verdict === "FAIL", `verdict ${verdict}`);
      const reasons = (await page.$$eval("#reasons li", (l) => l.map((x) => x.textContent))).join(" | ");
      assert(reasons.includes("missing_event"), `reasons do not name missing_event: ${reasons}`);
      const st = await stepStatuses(page);
      assert(st["event:tool_executing"] === "fail", `tool_executing step is ${st["event:tool_executing"]}`);
      assert(st["no_failures"] === "fail", "no_failures step should fail");
      assert(st["handshake"] === "ok" && st["ack"] === "ok", "handshake and ack should pass");
      const gaps = await page.$$eval('#timeline .tl-mark[data-cat="gap"]', (l) => l.map((m) => m.dataset.type));
      assert(gaps.includes("missing_event"), `no missing_event gap mark on the timeline: ${gaps}`);
      const banner = await page.$$eval('#failures .banner[data-kind="missing_event"]', (l) => l.length);
      assert(banner >= 1, "no missing_event banner");
      await shot("check-fail-drop");
    },
  },
  {
    name: "check page: runCheck() API — stall FAILs with run_stalled; sequenced clean PASSes",
    async run({ base, page, shot }) {
      await page.goto(`${base}check.html`);
      await page.waitForFunction(() => window.checkReady === true);
      const token = "tok-api-55aa77";
      const stall = await page.evaluate(
        ({ url, token }) => window.runCheck({ url, token, runs: 1 }),
        { url: `${wsBase(base)}ws?dialect=netra&scenario=stall`, token },
      );
      assert(stall.verdict === "FAIL", `stall verdict ${stall.verdict}`);
      assert(stall.failureKinds.includes("run_stalled"), `stall kinds: ${stall.failureKinds}`);
      assert(!JSON.stringify(stall).includes(token), "token in the report");
      assert((await page.inputValue("#token")) === "", "runCheck wrote the token into the form");
      const stallBand = await page.$$eval('#timeline .tl-mark[data-cat="stall"]', (l) => l.length);
      assert(stallBand >= 1, "no stall band on the timeline");
      await shot("check-fail-stall");
      const seq = await page.evaluate(
        ({ url, token }) => window.runCheck({ url, token, runs: 2 }),
        { url: `${wsBase(base)}ws?dialect=sequenced&scenario=clean`, token },
      );
      assert(seq.verdict === "PASS", `sequenced verdict ${seq.verdict}: ${seq.reasons}`);
      assert(seq.dialect === "sequenced", `dialect ${seq.dialect}`);
      const seqs = seq.runs[0].events.map((e) => e.seq);
      assert(seqs.every((s, i) => s === i + 1), `seqs ${seqs}`);
      const shown = await page.$eval("#verdict", (v) => v.dataset.verdict);
      assert(shown === "PASS", `page shows ${shown}`);
    },
  },
  {
    name: "check page: a bad URL is a setup ERROR; an unreachable server FAILs with staging deadlines",
    async run({ base, page }) {
      await page.goto(`${base}check.html`);
      await page.waitForFunction(() => window.checkReady === true);
      const r = await page.evaluate(() => window.runCheck({ url: "http://not-a-websocket", token: "t0k3n-xyz" }));
      assert(r.verdict === "ERROR", `verdict ${r.verdict}`);
      assert(/ws:\/\//.test(r.reasons.join(" ")), `reasons ${r.reasons}`);
      const shown = await page.$eval("#verdict", (v) => v.dataset.verdict);
      assert(shown === "ERROR", `page shows ${shown}`);
      // Another host (nothing listens on port 9): production-like deadlines, and a FAIL.
      const down = await page.evaluate(() => window.runCheck({ url: "ws://127.0.0.1:9/ws", token: "t0k3n-xyz" }));
      assert(down.verdict === "FAIL", `unreachable server: ${down.verdict}`);
      assert(down.settings.completionTimeoutMs === 120000, `deadlines ${down.settings.completionTimeoutMs}`);
      assert(/Handshake/.test(down.reasons.join(" ")), `reasons ${down.reasons}`);
      const hs = await page.$eval('#checklist tr[data-step="handshake"]', (r) => r.dataset.status);
      assert(hs === "fail", `handshake row ${hs}`);
    },
  },
];
