// Shared helpers for the page scripts: playwright-core from target/tools/node (installed by
// `cargo xtask setup`), Debian's Chromium with the flags this machine needs, a tiny test
// reporter that ends with exactly one `N passed, N failed` line.

import { createRequire } from "node:module";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function loadPlaywright() {
  const bases = [
    path.join(repoRoot, "target", "tools", "node", "package.json"),
    ...(process.env.NODE_PATH || "")
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(path.dirname(path.resolve(dir)), "package.json")),
    fileURLToPath(import.meta.url),
  ];
  const errors = [];
  for (const base of bases) {
    try {
      return createRequire(base)("playwright-core");
    } catch (e) {
      errors.push(`${base}: ${String(e.message).split("\n")[0]}`);
    }
  }
  const err = new Error(
    "cannot load playwright-core; run `cargo xtask setup` (it installs it into target/tools/node)\n  " +
      errors.join("\n  "),
  );
  err.setup = true;
  throw err;
}

export function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  for (const name of ["chromium", "chromium-browser"]) {
    for (const dir of (process.env.PATH || "").split(path.delimiter)) {
      if (!dir) continue;
      const p = path.join(dir, name);
      try {
        if (existsSync(p) && statSync(p).isFile()) return p;
      } catch {
        // keep looking
      }
    }
  }
  return null;
}

/** Debian's headless Chromium with this machine's flags, plus `extraArgs`. Errors carry
 * `setup: true` when playwright-core or Chromium is missing. */
export async function launch(extraArgs = []) {
  const { chromium } = loadPlaywright();
  const executablePath = findChromium();
  if (!executablePath) {
    const err = new Error("chromium is not installed (cargo xtask setup installs Debian's chromium)");
    err.setup = true;
    throw err;
  }
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Logs the page's console and errors with a prefix (never the token: pages don't print it). */
export function forwardConsole(page, tag, { quiet = false } = {}) {
  page.on("console", (msg) => {
    if (!quiet || msg.type() === "error") console.log(`${tag} ${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => console.log(`${tag} uncaught: ${String(err.stack || err.message).split("\n")[0]}`));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
