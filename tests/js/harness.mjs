// The in-page test harness shared by tests/js/*.test.html: named tests, assertions, polling,
// and the `window.testResults` that tests/js/run.mjs waits for.

const results = [];

/** Appends a line to the page's `#log`. */
export const log = (line) => {
  document.getElementById("log").textContent += line + "\n";
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Runs one named test, recording its outcome. */
export async function test(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true, error: null });
    log(`ok - ${name}`);
  } catch (e) {
    results.push({ name, ok: false, error: String(e && e.stack ? e.stack : e) });
    log(`FAIL - ${name}: ${e}`);
  }
}

/** Waits until `pred()` holds, or throws after `ms`. */
export async function until(pred, ms, what, every = 10) {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

/** Records everything `client` emits: `{events, failures, states, recoveries}`. */
export function record(client) {
  const rec = { events: [], failures: [], states: [], recoveries: [] };
  client.on("event", (e) => rec.events.push(e));
  client.on("failure", (f) => rec.failures.push(f));
  client.on("state", (s) => rec.states.push(s));
  client.on("recovery", (r) => rec.recoveries.push(r));
  return rec;
}

/** Runs the page's tests and publishes `window.testResults`, also when the page itself throws. */
export function run(main) {
  main()
    .catch((e) => results.push({ name: "page", ok: false, error: String(e && e.stack ? e.stack : e) }))
    .finally(() => {
      const passed = results.filter((r) => r.ok).length;
      window.testResults = { passed, failed: results.length - passed, results };
      log(`${passed} passed, ${results.length - passed} failed`);
    });
}
