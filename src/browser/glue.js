// The JavaScript half of the browser driver: one ES module (one file in the package), imported
// by the Rust modules of src/browser/ through `#[wasm_bindgen(module = "/src/browser/glue.js")]`.
// Each section names the Rust module that declares and documents its functions.

// ---- bytes.rs
const encoder = new TextEncoder();
let bytes = null;
function view(memory) {
  if (bytes === null || bytes.buffer !== memory.buffer) bytes = new Uint8Array(memory.buffer);
  return bytes;
}
// The bytes `encode_into` wrote into last: the driver encodes every frame into the same
// buffer, so its view is made once (and again when the buffer moves or the memory grows).
let target = null;
export function encode_into(text, memory, at, len) {
  const n = text.length;
  if (n > len) return -n;
  const mem = view(memory);
  if (target === null || target.buffer !== mem.buffer || target.byteOffset !== at || target.length !== len) {
    target = mem.subarray(at, at + len);
  }
  // UTF-8 takes one byte per UTF-16 unit exactly when every unit is ASCII, more otherwise.
  const done = encoder.encodeInto(text, target);
  if (done.read !== n) return -n;
  return done.written === n ? n : NOT_ASCII + done.written;
}
const NOT_ASCII = 2 ** 32;
export function number_or_nan(value) {
  return typeof value === 'number' ? value : NaN;
}
export function ascii_string(memory, at, len) {
  const mem = view(memory);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(mem[at + i]);
  return s;
}

// ---- crash.rs
let trap = null;
let crashReport = null;
let topics = null;
const watched = new Map();
const unsettled = new Set();
const sockets = new Set();
function crashError() {
  return chat_error({ ...crashReport, atMs: performance.now() });
}
function stop(error) {
  if (trap !== null) return;
  trap = error;
  console.error('chat-sentinel: the WebAssembly module trapped; every client has stopped', error);
  for (const ws of sockets) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(CRASH_CLOSE_CODE, 'client crashed'); } catch (_) {}
  }
  sockets.clear();
  for (const reject of unsettled) reject(crashError());
  unsettled.clear();
  const report = { ...crashReport, detail: crashReport.detail + ' (' + String(error && error.message) + ')', atMs: performance.now() };
  for (const [listeners, closed] of watched) {
    const failures = listeners[topics.failure];
    if (failures) emit(listeners, topics.failure, failures, report);
    const states = listeners[topics.state];
    if (states) emit(listeners, topics.state, states, closed);
  }
  watched.clear();
}
const CRASH_CLOSE_CODE = 4000;
export function guard(f) {
  return function guarded(...args) {
    if (trap !== null) return undefined;
    try { return f.apply(this, args); } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      stop(e);
      return undefined;
    }
  };
}
export function watch(listeners, report, closed, failure, state) {
  crashReport = report;
  topics = { failure, state };
  watched.set(listeners, closed);
}
export function unwatch(listeners) {
  watched.delete(listeners);
}
export function trapped() {
  stop(new Error('a call found the client locked by an earlier trap'));
  return crashError();
}
export function check() {
  if (trap !== null) throw crashError();
}

// ---- convert.rs
export function event_in_frame(text, start, end, type, runId, seq, recovered, atMs) {
  let data;
  try { data = start < end ? JSON.parse(text.slice(start, end)) : {}; } catch (_) { data = {}; }
  return { type, runId, seq: seq ?? null, data, recovered, atMs };
}
export function event_of_data(text, type, runId, seq, recovered, atMs) {
  let data;
  try { data = JSON.parse(text); } catch (_) { data = {}; }
  return { type, runId, seq: seq ?? null, data, recovered, atMs };
}
export function seq_range(from, to) {
  return to === undefined ? { from } : { from, to };
}
export function report(kind, severity, runId, messageId, incident, from, to, detail, atMs) {
  return { kind, severity, runId: runId ?? null, messageId: messageId ?? null, incident: incident ?? null, seq: from === undefined ? null : seq_range(from, to), detail, atMs };
}
export function recovery(verdict, missing, reason, atMs) {
  return { verdict, missing, reason, atMs };
}
export function receipt(messageId, runId, inferred, latencyMs) {
  return { messageId, runId: runId ?? null, inferred, latencyMs };
}
export function turn(messageId, state, runId, incident, report, atMs) {
  return { messageId, state, runId: runId ?? null, incident: incident ?? null, report: report ?? null, atMs };
}
export function health(state, dialect, received, delivered, duplicates, gaps, pendingAcks, openRuns, heldEvents, lastFrameAgeMs, reconnects, failures, wakes, droppedOutputs, dedupEvicted, bytesHeld) {
  return { state, dialect: dialect ?? null, received, delivered, duplicates, gaps, pendingAcks, openRuns, heldEvents, lastFrameAgeMs: lastFrameAgeMs ?? null, reconnects, failures, wakes, droppedOutputs, dedupEvicted, bytesHeld };
}
export class ChatError extends Error {
  constructor(report) {
    super(report.detail);
    this.name = 'ChatError';
    this.kind = report.kind;
    this.messageId = report.messageId;
    this.report = report;
  }
}
export function chat_error(report) {
  return new ChatError(report);
}

// ---- driver.rs
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  unsettled.add(reject);
  const settle = (f) => (value) => { unsettled.delete(reject); f(value); };
  return [promise, settle(resolve), settle(reject)];
}

// ---- the package's main module (added by `cargo xtask build`)
export function not_initialized() {
  return new Error('chat-sentinel: the module is not instantiated yet (a page loads it on import): `await init()` (or `initSync(…)` outside a page) before `new ChatClient(…)`');
}
export function after_free(Client) {
  const proto = Client.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    if (name === 'constructor' || name === 'free' || name.startsWith('__') || typeof method !== 'function') continue;
    proto[name] = function (...args) {
      if (this.__wbg_ptr !== 0) return method.apply(this, args);
      const error = new TypeError('chat-sentinel: ' + name + '() after free(): this client is gone; create a new ChatClient');
      if (name === 'sendMessage') return refused_handle(error);
      if (name === 'connect') return Promise.reject(error);
      throw error;
    };
  }
}

// ---- client.rs
export function message_handle(acknowledged, messageId, completed) {
  // Every failure is also emitted to on("failure") and on("turn"): a handle nobody awaits
  // raises no unhandled rejection.
  acknowledged.catch(() => {});
  completed.catch(() => {});
  return Object.assign(acknowledged, { messageId, acknowledged, completed });
}
export function refused_handle(error) {
  const acknowledged = Promise.reject(error);
  const completed = Promise.reject(error);
  completed.catch(() => {});
  return Object.assign(acknowledged, { messageId: null, acknowledged, completed });
}
export function on_abort(signal, abort) {
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
}

// ---- listeners.rs
export function add_listener(all, topic, listener, once) {
  const entry = { listener, once };
  all[topic] = (all[topic] || []).concat(entry);
  return () => remove_entries(all, topic, (e) => e === entry);
}
export function remove_listeners(all, topic, listener) {
  remove_entries(all, topic, (e) => listener === undefined || e.listener === listener);
}
function remove_entries(all, topic, matches) {
  const rest = (all[topic] || []).filter((e) => !matches(e));
  all[topic] = rest.length ? rest : undefined;
}
export function emit(all, topic, entries, value) {
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.once) {
      if (entry.fired) continue;
      entry.fired = true;
      remove_entries(all, topic, (e) => e === entry);
    }
    try { entry.listener(value); } catch (e) { console.error('chat-sentinel: a listener threw', e); }
  }
}

// ---- options.rs
export function members(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out = [];
  for (const name of Object.keys(value)) {
    const member = value[name];
    if (member !== undefined) out.push([name, member]);
  }
  return out;
}

export function console_debug() {
  return console.debug.bind(console);
}
export function time_origin() { return performance.timeOrigin; }
export function is_abort_signal(value) {
  return typeof AbortSignal === 'function' && value instanceof AbortSignal;
}

// ---- error.rs
export function js_error(range, message) {
  return new (range ? RangeError : TypeError)(message);
}

// ---- scripted.rs
export function rust_transport(connect) {
  return { connect };
}
export function rust_connection(send, close) {
  return { send, close };
}

// ---- timer.rs
const performance = globalThis.performance;
export function performance_now() { return performance.now(); }
const WAKE_EVENTS = ['focus', 'online', 'pageshow', 'pagehide'];
export function is_hiding(event) {
  return event.type === 'pagehide' || (typeof document !== 'undefined' && document.visibilityState === 'hidden');
}
export function wake_listeners(listener, add) {
  const method = add ? 'addEventListener' : 'removeEventListener';
  try { document[method]('visibilitychange', listener); } catch (_) {}
  for (const event of WAKE_EVENTS) {
    try { globalThis[method](event, listener); } catch (_) {}
  }
}

// ---- transport.rs
export function callbacks(open, message, closed) {
  return { open: guard(open), message: guard(message), closed: guard((code, reason, wasClean) => closed([code, reason, wasClean])) };
}
export function method(object, name) {
  if (typeof object !== 'object' || object === null) return undefined;
  let value;
  try { value = Reflect.get(object, name); } catch (_) { return undefined; }
  return typeof value === 'function' ? value : undefined;
}
export function has_websocket() {
  return typeof WebSocket === 'function';
}
export function byte_length(data) {
  try { return data instanceof ArrayBuffer ? data.byteLength : 0; } catch (_) { return 0; }
}
export function websocket(url, protocols) {
  return {
    connect(callbacks) {
      const ws = new WebSocket(url, protocols);
      sockets.add(ws);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => callbacks.open(ws.protocol);
      ws.onmessage = (event) => callbacks.message(event.data);
      ws.onclose = (event) => { sockets.delete(ws); callbacks.closed(event.code, event.reason, event.wasClean); };
      ws.onerror = () => {};
      return {
        send(text) {
          if (ws.readyState !== 1) return false;
          ws.send(text);
        },
        close(code, reason) {
          sockets.delete(ws);
          ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
          if (ws.readyState < 2) ws.close(code, reason);
        },
      };
    },
  };
}

// ---- otlp.rs
export function otlp_post(url, headers, body, keepalive, id, done) {
  const init = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, keepalive };
  fetch(url, init).then((r) => done(id, r.status, retry_after_ms(r.headers.get('retry-after'))), () => done(id, 0, undefined));
}
function retry_after_ms(value) {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

// ---- otel.rs
const OTEL_VALUE_TYPE_INT = 0; // @opentelemetry/api's ValueType.INT: every count and latency is whole
export function otel_instrument(meter, histogram, name, unit, description, bounds) {
  const options = { unit, description, valueType: OTEL_VALUE_TYPE_INT };
  if (!histogram) return meter.createCounter(name, options);
  return meter.createHistogram(name, { ...options, advice: { explicitBucketBoundaries: Array.from(bounds) } });
}
export function otel_emit(logger, timestamp, severityNumber, severityText, body, flat) {
  const attributes = {};
  for (let i = 0; i < flat.length; i += 2) attributes[flat[i]] = flat[i + 1];
  try { logger.emit({ timestamp, severityNumber, severityText, body, attributes }); } catch (e) {
    console.error('chat-sentinel: the telemetry logger threw', e);
  }
}
export function otel_measure(instrument, histogram, value, key, attribute) {
  const attributes = key === undefined ? undefined : { [key]: attribute };
  try { histogram ? instrument.record(value, attributes) : instrument.add(value, attributes); } catch (e) {
    console.error('chat-sentinel: a telemetry instrument threw', e);
  }
}
