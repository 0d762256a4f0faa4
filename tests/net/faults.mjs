#!/usr/bin/env node
// Faults below the server's cooperation: the reference server runs in a network namespace of
// its own, joined to this one by a veth pair; Chromium (here) reaches it over that link, and
// the faults are made on the link with iptables inside the server's namespace — the server
// never knows. Needs root, iproute2 and iptables; run by `cargo xtask test` ("network faults").
//
//   node tests/net/faults.mjs SERVER_BINARY REPO_ROOT
//
// Only the namespace and the veth pair this script creates are touched (addresses in
// 10.213.0.0/30), and both are deleted at the end, whatever happens. Prints `ok - name` or
// `FAIL - name: why` per fault and `N passed, N failed`; exits 1 if any failed.

import { execFileSync, spawn } from "node:child_process";

import { launch, forwardConsole, sleep } from "../pages/lib.mjs";

const [serverBinary, root] = process.argv.slice(2);
const ID = process.pid % 100000;
const NS = `cs-net-${ID}`;
const HOST_IF = `csh${ID}`;
const NS_IF = `csn${ID}`;
const HOST_IP = "10.213.0.1";
const NS_IP = "10.213.0.2";

const run = (...args) => execFileSync(args[0], args.slice(1), { stdio: ["ignore", "pipe", "pipe"] }).toString();
const inNs = (...args) => run("ip", "netns", "exec", NS, ...args);

function createLink() {
  run("ip", "netns", "add", NS);
  run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF);
  run("ip", "link", "set", NS_IF, "netns", NS);
  run("ip", "addr", "add", `${HOST_IP}/30`, "dev", HOST_IF);
  run("ip", "link", "set", HOST_IF, "up");
  inNs("ip", "addr", "add", `${NS_IP}/30`, "dev", NS_IF);
  inNs("ip", "link", "set", NS_IF, "up");
  inNs("ip", "link", "set", "lo", "up");
}

function deleteLink() {
  try { run("ip", "netns", "del", NS); } catch (_) { /* already gone */ }
  try { run("ip", "link", "del", HOST_IF); } catch (_) { /* went with the namespace */ }
}

/** Starts the server inside the namespace on `port` (0: any); resolves with its process and port. */
function startServer(port) {
  const child = spawn("ip", ["netns", "exec", NS, serverBinary, "--host", NS_IP, "--port", String(port), "--root", root], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/[\d.]+:(\d+)/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
}

/** The iptables rules of one fault, added inside the server's namespace (`-D` removes them). */
const FAULTS = {
  blackhole: [["INPUT", "-j", "DROP"], ["OUTPUT", "-j", "DROP"]],
  reset: [["INPUT", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"]],
  loss30: [
    ["INPUT", "-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"],
    ["OUTPUT", "-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"],
  ],
};
const fault = (name, on) => {
  for (const rule of FAULTS[name]) inNs("iptables", on ? "-A" : "-D", ...rule);
};

const GOLDEN = ["agent_started", "agent_thinking", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];
const DEADLINES = { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 1000, handshakeTimeoutMs: 2000, ackTimeoutMs: 10000,
  firstEventTimeoutMs: 20000, runStallTimeoutMs: 20000, reconnect: { minDelayMs: 100, maxDelayMs: 300, maxAttempts: 30 } };

let page;
const state = () => page.evaluate(() => ({
  events: t.rec.events.map((e) => e.type), kinds: t.rec.failures.map((f) => f.kind), at: t.rec.at,
  verdicts: t.rec.recoveries.map((r) => r.verdict), states: t.rec.states, now: performance.now() }));
async function until(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await state();
    if (pred(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await sleep(20);
  }
}
function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
const uniqueSorted = (xs) => [...new Set(xs)].sort();

/** Starts a sequenced run paced `pace` ms apart and waits for its first event. */
async function started(server, pace, options = DEADLINES) {
  await page.goto(`http://${NS_IP}:${server.port}/tests/js/net.html`);
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate(([p, o]) => window.start({ dialect: "sequenced", scenario: "clean", pace_ms: String(p) }, o), [pace, options]);
  await page.evaluate(() => t.client.sendMessage("hello"));
  await until((s) => s.events.length > 0, 10000, "the first event");
}

/** Asserts the golden path arrived, once each, in order, with a full recovery verdict. */
async function recovered(kinds) {
  const s = await until((s) => s.events.includes("agent_completed") && s.verdicts.length > 0, 30000, "recovery and completion");
  await sleep(300);
  const end = await state();
  assertEq(end.events, GOLDEN, "every event once, in order");
  assertEq(end.verdicts, ["full"], "recovery verdict");
  assertEq(uniqueSorted(end.kinds), kinds, "failure kinds");
  return s;
}

const results = [];
async function test(name, body) {
  try {
    const figure = await body();
    results.push(true);
    console.log(`ok - ${name}${figure ? ` (${figure})` : ""}`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL - ${name}: ${e.message}`);
  }
}

async function main() {
  deleteLink();
  createLink();
  let server = await startServer(0);
  const browser = await launch();
  try {
    page = await browser.newPage();
    forwardConsole(page, "[net]", { quiet: true });

    await test("black hole both ways (half-open, no FIN, no RST): heartbeat_timeout, then full recovery", async () => {
      await started(server, 300);
      const t0 = (await state()).now;
      fault("blackhole", true);
      const s = await until((s) => s.kinds.includes("heartbeat_timeout"), 10000, "heartbeat_timeout");
      fault("blackhole", false);
      const latency = s.at.heartbeat_timeout - t0;
      // A ping goes out after heartbeatIntervalMs without a frame and the report comes
      // heartbeatTimeoutMs later; a frame or pong still in flight when the rule lands pushes
      // that ping back by up to one more interval. 500 ms of slack for a loaded machine.
      const bound = 2 * DEADLINES.heartbeatIntervalMs + DEADLINES.heartbeatTimeoutMs + 500;
      if (latency > bound) throw new Error(`heartbeat_timeout after ${latency.toFixed(0)} ms, over ${bound}`);
      await recovered(["heartbeat_timeout"]);
      return `reported ${latency.toFixed(0)} ms after the black hole, bound ${bound} ms`;
    });

    await test("TCP RST: connection_lost at once, then full recovery", async () => {
      await started(server, 300);
      const t0 = (await state()).now;
      fault("reset", true);
      const s = await until((s) => s.kinds.includes("connection_lost"), 5000, "connection_lost");
      fault("reset", false);
      const latency = s.at.connection_lost - t0;
      const bound = DEADLINES.heartbeatIntervalMs + 500;
      if (latency > bound) throw new Error(`connection_lost after ${latency.toFixed(0)} ms, over ${bound}`);
      await recovered(["connection_lost"]);
      return `reported ${latency.toFixed(0)} ms after the reset rule (the next ping meets it), bound ${bound} ms`;
    });

    await test("30 % packet loss both ways: every event once, no alarm (TCP retransmits)", async () => {
      const patient = { ...DEADLINES, heartbeatIntervalMs: 2000, heartbeatTimeoutMs: 10000 };
      await started(server, 100, patient);
      fault("loss30", true);
      try {
        await until((s) => s.events.includes("agent_completed"), 30000, "agent_completed");
        await sleep(500);
      } finally {
        fault("loss30", false);
      }
      const s = await state();
      assertEq(s.events, GOLDEN, "every event once, in order");
      assertEq(s.kinds, [], "failure kinds");
    });

    await test("a 2 s latency spike (everything held, then released): no alarm, nothing lost", async () => {
      const patient = { ...DEADLINES, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 };
      await started(server, 200, patient);
      fault("blackhole", true);
      await sleep(2000);
      fault("blackhole", false);
      const s = await until((s) => s.events.includes("agent_completed"), 30000, "agent_completed");
      await sleep(500);
      assertEq((await state()).events, GOLDEN, "every event once, in order");
      assertEq((await state()).kinds, [], "failure kinds");
      return `${s.events.length} events`;
    });

    await test("server SIGKILLed and restarted on the same port: connection_lost, then recovery_failed (session gone)", async () => {
      await started(server, 300);
      const t0 = (await state()).now;
      const port = server.port;
      server.child.kill("SIGKILL");
      const s = await until((s) => s.kinds.includes("connection_lost"), 5000, "connection_lost");
      const latency = s.at.connection_lost - t0;
      server = await startServer(port);
      const end = await until((s) => s.verdicts.length > 0 && s.states.at(-1) === "open", 20000, "the reconnect");
      assertEq(uniqueSorted(end.kinds), ["connection_lost", "recovery_failed"], "failure kinds");
      assertEq(end.verdicts, ["none"], "recovery verdict: the restarted server forgot the session");
      if (latency > 1000) throw new Error(`connection_lost after ${latency.toFixed(0)} ms`);
      return `connection_lost ${latency.toFixed(0)} ms after SIGKILL`;
    });
  } finally {
    await browser.close();
    server.child.kill("SIGKILL");
    deleteLink();
  }
  const passed = results.filter(Boolean).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  process.exit(passed === results.length ? 0 : 1);
}

main().catch((e) => {
  console.log(`FAIL - network faults: ${e.stack || e}`);
  deleteLink();
  process.exit(1);
});
