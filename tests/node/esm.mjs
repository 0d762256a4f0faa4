// The package in plain Node.js (ESM), as a test runner (Jest, Vitest) loads it: `initSync` with
// the wasm's bytes, a scripted transport instead of a WebSocket, and a lost event reported.
// Run by `cargo xtask test` ("node" step): `node tests/node/esm.mjs <pkg dir>`.
import { strict as assert } from "node:assert";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const pkg = process.argv[2];
const { ChatClient, ChatError, initSync } = await import(pathToFileURL(join(pkg, "chat_sentinel.js")).href);
const wasmPath = join(pkg, "chat_sentinel_bg.wasm");

let passed = 0;
let failed = 0;
async function test(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

await test("initSync instantiates the module from its bytes", async () => {
  // README example: begin
  const { readFileSync } = await import("node:fs");
  initSync({ module: readFileSync(wasmPath) });
  // README example: end
});

await test("without a WebSocket (Node 20), connect() rejects and says why", async () => {
  assert.equal(typeof WebSocket === "function", Number(process.versions.node.split(".")[0]) >= 22);
  if (typeof WebSocket === "function") return;
  const client = new ChatClient({ url: "ws://127.0.0.1:9/ws", reconnect: { maxAttempts: 0 } });
  const error = await client.connect().then(() => null, (e) => e);
  assert.ok(error instanceof ChatError, String(error));
  assert.match(error.message, /no WebSocket/);
  client.close();
});

await test("a scripted transport: a lost tool_executing is reported as missing_event", async () => {
  const run = "run_1";
  const events = ["agent_started", "agent_thinking", "tool_completed", "agent_completed"]; // no tool_executing
  const transport = {
    connect(cb) {
      queueMicrotask(() => {
        cb.open();
        cb.message(JSON.stringify({ type: "connection_established", data: { mode: "main" } }));
      });
      return {
        send(text) {
          const frame = JSON.parse(text);
          if (frame.type !== "user_message") return;
          for (const type of events) cb.message(JSON.stringify({ type, run_id: run, payload: { tool_name: "cost_query" } }));
        },
        close() {},
      };
    },
  };
  const client = new ChatClient({ transport, reorderWindowMs: 50 });
  const failures = [];
  client.on("failure", (f) => failures.push(f));
  await client.connect();
  const error = await client.sendMessage("hello").completed.then(() => null, (e) => e);
  assert.ok(error instanceof ChatError, String(error));
  assert.equal(error.kind, "missing_event");
  assert.deepEqual(failures.map((f) => [f.kind, f.severity]), [["missing_event", "critical"]]);
  client.close();
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
