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
export function encode_into(text, memory, at, len) {
  const n = text.length;
  if (n > len) return -n;
  const mem = view(memory);
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) break;
    mem[at + i] = c;
  }
  if (i === n) return n;
  const done = encoder.encodeInto(text.slice(i), mem.subarray(at + i, at + len));
  return done.read === n - i ? NOT_ASCII + i + done.written : -n;
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
    const failure = listeners[TOPICS.indexOf('failure')];
    if (failure) emit(failure, report);
    const state = listeners[TOPICS.indexOf('state')];
    if (state) emit(state, closed);
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
export function watch(listeners, report, closed) {
  crashReport = report;
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
  try { data = start < end ? JSON.parse(text.slice(start, end)) : end < 0 ? JSON.parse(text) : {}; }
  catch (_) { if (end >= 0) return undefined; data = {}; }
  return { type, runId, seq: seq < 0 ? null : seq, data, recovered, atMs };
}
const range = (from, to) => to < 0 ? { from } : { from, to };
const messageId = (n) => n < 0 ? null : 'cs-' + n;
export function report(kind, severity, runId, message, incident, from, to, detail, atMs) {
  return { kind, severity, runId: runId ?? null, messageId: messageId(message), incident: incident < 0 ? null : incident, seq: from < 0 ? null : range(from, to), detail, atMs };
}
export function recovery(verdict, missing, reason, atMs) {
  const ranges = [];
  for (let i = 0; i < missing.length; i += 2) ranges.push(range(missing[i], missing[i + 1]));
  return { verdict, missing: ranges, reason, atMs };
}
export function receipt(message, runId, inferred, latencyMs) {
  return { messageId: messageId(message), runId: runId ?? null, inferred, latencyMs };
}
export function turn(message, state, runId, incident, report, atMs) {
  return { messageId: messageId(message), state, runId: runId ?? null, incident: incident < 0 ? null : incident, report: report ?? null, atMs };
}
export function health(state, dialect, received, delivered, duplicates, gaps, pendingAcks, openRuns, heldEvents, lastFrameAgeMs, reconnects, failures, wakes, droppedOutputs, dedupEvicted, bytesHeld) {
  return { state, dialect: dialect ?? null, received, delivered, duplicates, gaps, pendingAcks, openRuns, heldEvents, lastFrameAgeMs: lastFrameAgeMs < 0 ? null : lastFrameAgeMs, reconnects, failures, wakes, droppedOutputs, dedupEvicted, bytesHeld };
}
export function chat_error(report) {
  const error = new Error(report.detail);
  error.name = 'ChatError';
  error.kind = report.kind;
  error.messageId = report.messageId;
  error.report = report;
  return error;
}

// ---- driver.rs
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  unsettled.add(reject);
  const settle = (f) => (value) => { unsettled.delete(reject); f(value); };
  return [promise, settle(resolve), settle(reject)];
}

// ---- client.rs
export function message_handle(acknowledged, message, completed) {
  // Every failure is also emitted to on("failure") and on("turn"): a handle nobody awaits
  // raises no unhandled rejection.
  acknowledged.catch(() => {});
  completed.catch(() => {});
  return Object.assign(acknowledged, { messageId: messageId(message), acknowledged, completed });
}

// ---- listeners.rs
const TOPICS = ['event', 'failure', 'state', 'recovery', 'turn'];
export function on(all, name, listener) {
  const topic = TOPICS.indexOf(name);
  if (topic < 0) throw new TypeError('chat-sentinel: on() takes "event", "failure", "state", "recovery" or "turn"');
  if (typeof listener !== 'function') throw new TypeError('chat-sentinel: the listener must be a function');
  const entry = { listener };
  all[topic] = (all[topic] || []).concat(entry);
  return () => {
    const rest = (all[topic] || []).filter((e) => e !== entry);
    all[topic] = rest.length ? rest : undefined;
  };
}
export function emit(entries, value) {
  for (let i = 0; i < entries.length; i++) {
    const listener = entries[i].listener;
    try { listener(value); } catch (e) { console.error('chat-sentinel: a listener threw', e); }
  }
}

// ---- options.rs
const NUMERIC = 'heartbeatIntervalMs heartbeatTimeoutMs handshakeTimeoutMs ackTimeoutMs firstEventTimeoutMs runStallTimeoutMs reorderWindowMs lateWakeMs dedupWindowMs jitterSeed maxFrameBytes maxDepth dedupWindow sendBufferCap pendingCap runTableCap reorderBufferCap outputQueueCap'.split(' ');
const RECONNECT = ['minDelayMs', 'maxDelayMs', 'maxAttempts'];
const DIALECTS = ['auto', 'netra', 'sequenced'];
const EVENT_LIST = 'must be an array of strings';
function option_error(type, option, reason) {
  return new type('chat-sentinel: option "' + option + '" ' + reason);
}
function fail(type, option, reason) {
  throw option_error(type, option, reason);
}
export function range_error(option, reason) {
  return option_error(RangeError, option, reason);
}
function members(value, option) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(TypeError, option, 'must be an object');
  const out = [];
  for (const name of Object.keys(value)) {
    let member;
    try { member = value[name]; } catch (_) { fail(TypeError, name, 'could not be read'); }
    if (member !== undefined) out.push([name, member]);
  }
  return out;
}
function string(value, option) {
  if (typeof value !== 'string') fail(TypeError, option, 'must be a string');
  return value;
}
function number(out, at, value, option, small) {
  if (typeof value !== 'number') fail(TypeError, option, 'must be a number');
  if (!(value >= 0 && value <= 9007199254740991) || Math.trunc(value) !== value) fail(RangeError, option, 'must be a non-negative integer');
  if (small && value > 4294967295) fail(RangeError, option, 'is too large');
  out[at] = value;
}
function base64url(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
export function client_options(value) {
  const out = [];
  let url, token, transport;
  for (const [name, v] of members(value, 'options')) {
    switch (name) {
      case 'url': url = string(v, 'url'); break;
      case 'transport': {
        let connect;
        try { connect = Reflect.get(v, 'connect'); } catch (_) {}
        if (typeof v !== 'object' || v === null || typeof connect !== 'function') fail(TypeError, 'transport', 'must be an object with a connect(callbacks) method');
        transport = v;
        break;
      }
      case 'token': token = string(v, 'token') || undefined; break;
      case 'requireExplicitAck':
        if (typeof v !== 'boolean') fail(TypeError, 'requireExplicitAck', 'must be a boolean');
        out[0] = v;
        break;
      case 'dialect':
        out[3] = DIALECTS.indexOf(string(v, 'dialect'));
        if (out[3] < 0) fail(RangeError, 'dialect', 'must be "auto", "netra" or "sequenced"');
        break;
      case 'requiredEvents': {
        if (!Array.isArray(v)) fail(TypeError, 'requiredEvents', EVENT_LIST);
        if (v.length > 1024) fail(RangeError, 'requiredEvents', 'lists more than 32 event types');
        const events = [];
        for (let i = 0; i < v.length; i++) {
          const event = v[i];
          if (typeof event !== 'string') fail(TypeError, 'requiredEvents', EVENT_LIST);
          events.push(event);
        }
        out[4] = events;
        break;
      }
      case 'reconnect':
        for (const [member, m] of members(v, 'reconnect')) {
          const i = RECONNECT.indexOf(member);
          if (i < 0) fail(TypeError, 'reconnect.' + member, 'is not a known option');
          number(out, 5 + NUMERIC.length + i, m, 'reconnect.' + member, i === 2);
        }
        break;
      default: {
        const i = NUMERIC.indexOf(name);
        if (i < 0) fail(TypeError, name, 'is not a known option');
        number(out, 5 + i, v, name, i >= 10);
      }
    }
  }
  if (url !== undefined && transport !== undefined) fail(TypeError, 'transport', 'cannot be given together with "url"');
  if (url === undefined && transport === undefined) fail(TypeError, 'url', 'is required (or give a "transport" instead)');
  if (transport !== undefined) {
    if (token !== undefined) fail(TypeError, 'token', 'cannot be used with a transport (the transport authenticates itself)');
    out[2] = transport;
    return out;
  }
  if (!/^wss?:\/\//i.test(url)) fail(TypeError, 'url', 'must be a ws:// or wss:// URL');
  try { new URL(url); } catch (_) { fail(TypeError, 'url', 'is not a valid URL'); }
  if (url.includes('#')) fail(TypeError, 'url', 'must not have a fragment (#)');
  let protocols = [];
  if (token !== undefined) {
    const encoded = base64url(token);
    if (url.includes(token) || url.includes(encoded)) fail(TypeError, 'url', 'must not contain the token (it travels as a subprotocol)');
    protocols = ['jwt-auth', 'jwt.' + encoded];
    // Handed to the core, which redacts it from every text the client emits.
    out[1] = token;
  }
  out[2] = websocket(url, protocols);
  return out;
}
export function send_arguments(text, value) {
  if (typeof text !== 'string') throw new TypeError('chat-sentinel: sendMessage() takes the text as a string');
  if (value === undefined || value === null) return undefined;
  let threadId;
  for (const [name, v] of members(value, 'sendMessage options')) {
    if (name !== 'threadId') fail(TypeError, 'sendMessage options.' + name, 'is not a known option');
    threadId = string(v, 'threadId');
  }
  return threadId;
}

// ---- timer.rs
const performance = globalThis.performance;
export function performance_now() { return performance.now(); }
const WAKE_EVENTS = ['focus', 'online', 'pageshow'];
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
