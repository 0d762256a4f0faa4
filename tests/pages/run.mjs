#!/usr/bin/env node
// Page tests of www/check.html and www/index.html in real headless Chromium, against the real
// reference server and the real wasm, driven like a person: fill the form, click, read the
// rendered checklist, timeline and banners back from the DOM.
//
//   node tests/pages/run.mjs [--base http://127.0.0.1:PORT/] [--only SUBSTRING]
//
// Without --base it starts target/release/chat-sentinel-server itself (build it first:
// `cargo build -p chat-sentinel-server --release`). Screenshots go to <repo>/screenshots/.
// Prints `ok - name` / `FAIL - name: why` per test and ends with one `N passed, N failed`
// line; exits 1 if anything failed.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { launch, forwardConsole, repoRoot } from "./lib.mjs";
import checkTests from "./check.test.mjs";
import demoTests from "./demo.test.mjs";

const SCREENSHOTS = path.join(repoRoot, "screenshots");
const TEST_TIMEOUT_MS = 60000;

function args() {
  const o = { base: null, only: null };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--base") o.base = argv[++i];
    else if (argv[i] === "--only") o.only = argv[++i];
    else {
      console.error(`run.mjs: unknown argument ${argv[i]}`);
      console.log("0 passed, 1 failed");
      process.exit(2);
    }
  }
  return o;
}

async function startServer() {
  const bin = path.join(repoRoot, "target", "release", "chat-sentinel-server");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: cargo build -p chat-sentinel-server --release`);
  const child = spawn(bin, ["--port", "0", "--root", repoRoot], { stdio: ["ignore", "pipe", "ignore"] });
  const rl = readline.createInterface({ input: child.stdout });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start")), 15000);
    rl.on("line", (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/?$/, "/"));
      }
    });
    child.on("exit", () => reject(new Error("the server exited")));
  });
  return { base, stop: () => child.kill() };
}

async function main() {
  const o = args();
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Failure screenshots of an earlier run would mislead: start without them.
  for (const f of readdirSync(SCREENSHOTS)) if (f.startsWith("FAILED-")) rmSync(path.join(SCREENSHOTS, f));
  let server = null;
  let base = o.base;
  if (!base) {
    server = await startServer();
    base = server.base;
  }
  base = base.replace(/\/?$/, "/");
  const tests = [...checkTests, ...demoTests].filter((t) => !o.only || t.name.includes(o.only));
  let passed = 0;
  let failed = 0;
  const browser = await launch();
  try {
    for (const t of tests) {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      forwardConsole(page, `[${t.name}]`, { quiet: true });
      const started = Date.now();
      const ctx = {
        base,
        page,
        context,
        shot: async (name) => {
          const file = path.join(SCREENSHOTS, `${name}.png`);
          await page.screenshot({ path: file, fullPage: true });
          console.log(`  screenshot: ${path.relative(repoRoot, file)}`);
          return file;
        },
      };
      try {
        await Promise.race([
          t.run(ctx),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS)),
        ]);
        passed++;
        console.log(`ok - ${t.name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      } catch (e) {
        failed++;
        console.log(`FAIL - ${t.name}: ${String(e && e.message ? e.message : e).split("\n")[0]}`);
        await ctx.shot(`FAILED-${t.name.replace(/[^\w.-]+/g, "_")}`).catch(() => {});
      }
      await context.close().catch(() => {});
    }
  } finally {
    await browser.close().catch(() => {});
    if (server) server.stop();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL - run.mjs: ${String(e && e.message ? e.message : e).split("\n")[0]}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
