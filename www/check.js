// The staging check: connect, send one message, expect the golden path within deadlines,
// N times; a checklist with latencies, the timeline, a PASS/FAIL verdict with reasons and a
// JSON report.
//
// Automation: `await window.runCheck(settings)` runs the check with `settings` (same names
// as the form, see DEFAULTS below; `token` passed here never touches the URL, storage or the
// report) and resolves with the report; `window.checkResult` holds the same report once done
// (the JSON the download button saves). `window.checkState` is "idle" | "running" | "done".

import { Timeline, renderLegend, failureCategory, eventGlyph } from "./timeline.js";
import deadlines from "./deadlines.json" with { type: "json" };

export const GOLDEN_PATH = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];
const CLOSING = new Set(["agent_completed", "agent_error", "agent_failed", "agent_death", "agent_cancelled"]);

/**
 * The check's deadlines (ms), for the local reference server (short, so every fault shows in
 * seconds) and for a real deployment (the SDK's own defaults, and two minutes for a run).
 * `deadlines.json` is their one source: `cargo xtask check` reads the same file.
 */
export const REFERENCE_DEADLINES = deadlines.reference;
export const STAGING_DEADLINES = deadlines.staging;

export const DEADLINE_FIELDS = [
  ["handshakeTimeoutMs", "Handshake"],
  ["ackTimeoutMs", "Ack"],
  ["firstEventTimeoutMs", "First event"],
  ["completionTimeoutMs", "Completion"],
  ["runStallTimeoutMs", "Run stall"],
  ["heartbeatIntervalMs", "Heartbeat interval"],
  ["heartbeatTimeoutMs", "Heartbeat timeout"],
  ["settleMs", "Settle after close"],
];

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host || "127.0.0.1:8787"}/ws?dialect=netra&scenario=clean`;
}

/** Short deadlines for the server that serves this page (the reference server), else staging ones. */
export function deadlinesFor(url) {
  try {
    const u = new URL(url);
    return u.host === location.host ? REFERENCE_DEADLINES : STAGING_DEADLINES;
  } catch {
    return REFERENCE_DEADLINES;
  }
}

export function defaults() {
  return {
    url: defaultUrl(),
    dialect: "auto",
    message: "What did we spend on compute last month?",
    runs: 1,
    expectedEvents: [...GOLDEN_PATH],
    ...REFERENCE_DEADLINES,
  };
}

// ---------------------------------------------------------------- the check itself

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let sdk = null;
async function loadSdk() {
  if (!sdk) {
    const mod = await import("/pkg/chat_sentinel.js");
    await mod.default();
    sdk = mod;
  }
  return sdk;
}

/** Validates and completes settings; throws a TypeError naming the bad one. */
export function normalize(input) {
  const s = { ...defaults(), ...(input || {}) };
  const out = {
    url: String(s.url || "").trim(),
    dialect: String(s.dialect || "auto"),
    message: String(s.message ?? ""),
    runs: Number(s.runs),
    expectedEvents: Array.isArray(s.expectedEvents)
      ? s.expectedEvents.map(String).map((e) => e.trim()).filter(Boolean)
      : String(s.expectedEvents || "").split(/[\s,]+/).filter(Boolean),
  };
  if (!/^wss?:\/\//i.test(out.url)) throw new TypeError(`server URL must start with ws:// or wss:// (got "${out.url}")`);
  if (!["auto", "netra", "sequenced"].includes(out.dialect)) throw new TypeError(`dialect must be auto, netra or sequenced`);
  if (!out.message) throw new TypeError("the message must not be empty");
  if (!Number.isInteger(out.runs) || out.runs < 1 || out.runs > 100) throw new TypeError("runs must be an integer from 1 to 100");
  if (out.expectedEvents.length === 0) throw new TypeError("list at least one expected event");
  for (const [k] of DEADLINE_FIELDS) {
    const v = Number(s[k]);
    if (!Number.isInteger(v) || v < (k === "settleMs" ? 0 : 1) || v > 86400000) throw new TypeError(`${k} must be a positive integer number of milliseconds`);
    out[k] = v;
  }
  return out;
}

/** The URL as shown in the report: query parameters that look like credentials removed. */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    for (const key of [...u.searchParams.keys()]) {
      if (/token|auth|key|secret|password|jwt/i.test(key)) u.searchParams.set(key, "[redacted]");
    }
    if (u.password) u.password = "[redacted]";
    return u.toString();
  } catch {
    return url;
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function percentiles(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, p50: null, p90: null, max: null };
  return { n: v.length, p50: round(percentile(v, 50)), p90: round(percentile(v, 90)), max: round(v[v.length - 1]) };
}

const round = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

/** Order problems among a run's event types (as they were delivered). */
export function orderProblems(types) {
  const problems = [];
  let started = false;
  let closedBy = null;
  let openTools = 0;
  types.forEach((t, i) => {
    if (closedBy && !CLOSING.has(t)) problems.push(`${t} arrived after ${closedBy} closed the run`);
    if (t === "agent_started") {
      if (i !== 0) problems.push("agent_started was not the first event");
      started = true;
    } else if (!started && !problems.some((p) => p.includes("before agent_started"))) {
      problems.push(`${t} arrived before agent_started`);
    }
    if (t === "tool_executing") openTools++;
    if (t === "tool_completed") {
      if (openTools === 0) problems.push("tool_completed arrived without a preceding tool_executing");
      else openTools--;
    }
    if (CLOSING.has(t)) {
      if (closedBy) problems.push(`${t} arrived after ${closedBy} closed the run`);
      closedBy = closedBy || t;
      if (openTools > 0) problems.push(`the run closed with ${openTools} tool call(s) still executing`);
    }
  });
  return [...new Set(problems)];
}

/** Deep copy with every occurrence of `secret` in a string replaced. */
function scrub(value, secret) {
  if (!secret || secret.length < 4) return value;
  if (typeof value === "string") return value.split(secret).join("[redacted]");
  if (Array.isArray(value)) return value.map((v) => scrub(v, secret));
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, secret);
    return out;
  }
  return value;
}

/**
 * One run: a fresh connection, one message. `hooks` get live updates for the page:
 * {onMark(kind, payload)}.
 */
async function runOnce(s, token, index, hooks = {}) {
  const { ChatClient } = await loadSdk();
  const mark = hooks.onMark || (() => {});
  const rec = {
    index: index + 1,
    runId: null,
    messageId: null,
    dialect: null,
    latencies: { handshakeMs: null, ackMs: null, firstEventMs: null, completionMs: null },
    eventTimes: {},
    events: [],
    failures: [],
    states: [],
    health: null,
    steps: [],
    verdict: "PASS",
    reasons: [],
  };
  const t0 = performance.now();
  const rel = (atMs) => round((typeof atMs === "number" ? atMs : performance.now()) - t0);
  let tSend = null;
  let client;
  try {
    client = new ChatClient({
      url: s.url,
      token,
      dialect: s.dialect,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
      heartbeatTimeoutMs: s.heartbeatTimeoutMs,
      handshakeTimeoutMs: s.handshakeTimeoutMs,
      ackTimeoutMs: s.ackTimeoutMs,
      firstEventTimeoutMs: s.firstEventTimeoutMs,
      runStallTimeoutMs: s.runStallTimeoutMs,
      requiredEvents: s.expectedEvents.slice(0, 32),
      reconnect: { minDelayMs: 250, maxDelayMs: 1000, maxAttempts: 0 },
    });
  } catch (e) {
    // A bad option: a setup error, not a verdict about the server.
    const err = new Error(`the SDK refused the settings: ${e && e.message}`);
    err.setup = true;
    throw err;
  }
  let connected = false;
  let closedRun = null;
  let ackSettled = false;
  const offs = [];
  offs.push(
    client.on("event", (e) => {
      const t = rel(e.atMs);
      if (!rec.runId && e.runId) rec.runId = e.runId;
      rec.events.push({ type: e.type, runId: e.runId ?? null, seq: e.seq ?? null, recovered: !!e.recovered, tMs: t });
      if (tSend !== null && rec.latencies.firstEventMs === null) rec.latencies.firstEventMs = round(t - tSend);
      if (tSend !== null && !(e.type in rec.eventTimes)) rec.eventTimes[e.type] = round(t - tSend);
      if (CLOSING.has(e.type) && !closedRun) {
        closedRun = e.type;
        if (e.type === "agent_completed" && tSend !== null) rec.latencies.completionMs = round(t - tSend);
      }
      mark("event", { e, t, rec });
    }),
  );
  offs.push(
    client.on("failure", (f) => {
      const t = rel(f.atMs);
      rec.failures.push({
        kind: f.kind,
        severity: f.severity,
        runId: f.runId ?? null,
        messageId: f.messageId ?? null,
        seq: f.seq ?? null,
        detail: f.detail,
        tMs: t,
      });
      mark("failure", { f, t, rec });
    }),
  );
  offs.push(
    client.on("state", (st) => {
      const t = rel();
      rec.states.push({ state: st, tMs: t });
      mark("state", { state: st, t, rec });
    }),
  );
  mark("start", { rec });

  try {
    await client.connect();
    connected = true;
    rec.latencies.handshakeMs = rel();
    mark("handshake", { t: rec.latencies.handshakeMs, rec });
  } catch (e) {
    rec.connectError = { kind: e && e.kind ? e.kind : "error", message: String((e && e.message) || e) };
  }

  if (connected) {
    tSend = rel();
    mark("send", { t: tSend, rec });
    const threadId = `check-${Date.now().toString(36)}-${index + 1}`;
    client
      .sendMessage(s.message, { threadId })
      .then(
        (r) => {
          rec.messageId = r.messageId ?? null;
          if (r.runId && !rec.runId) rec.runId = r.runId;
          rec.latencies.ackMs = round(rel() - tSend);
          mark("ack", { t: rel(), rec });
        },
        (e) => {
          rec.sendError = { kind: e && e.kind ? e.kind : "error", message: String((e && e.message) || e) };
          if (e && e.messageId) rec.messageId = e.messageId;
        },
      )
      .finally(() => {
        ackSettled = true;
      });

    // Wait until the ack is settled and the run closed or something failed, then settle.
    const hardStop = tSend + s.completionTimeoutMs;
    while (rel() < hardStop) {
      if (ackSettled && (closedRun || rec.failures.length > 0)) break;
      await sleep(25);
    }
    if (!closedRun && rec.failures.length > 0) rec.stoppedEarlyAtMs = round(rel() - tSend);
    const settleUntil = Math.min(rel() + s.settleMs, hardStop + s.settleMs);
    while (rel() < settleUntil) await sleep(25);
  }

  try {
    rec.dialect = client.health().dialect ?? null;
    rec.health = client.health();
  } catch {
    // health() on a dead client: leave it out
  }
  for (const off of offs) {
    try {
      if (typeof off === "function") off();
    } catch {
      // ignore
    }
  }
  try {
    client.close();
  } catch {
    // ignore
  }
  rec.durationMs = rel();
  evaluate(rec, s, connected);
  mark("done", { rec });
  return rec;
}

/** Fills rec.steps, rec.reasons and rec.verdict. */
function evaluate(rec, s, connected) {
  const steps = [];
  const step = (id, name, ok, ms, deadlineMs, detail = "") => steps.push({ id, name, ok, ms, deadlineMs, detail });
  const L = rec.latencies;
  step(
    "handshake",
    "Handshake (connect)",
    connected && L.handshakeMs !== null && L.handshakeMs <= s.handshakeTimeoutMs,
    L.handshakeMs,
    s.handshakeTimeoutMs,
    connected ? "" : `connect failed: ${rec.connectError ? `${rec.connectError.kind}: ${rec.connectError.message}` : "unknown"}`,
  );
  step(
    "ack",
    "Message acknowledged",
    L.ackMs !== null && L.ackMs <= s.ackTimeoutMs,
    L.ackMs,
    s.ackTimeoutMs,
    rec.sendError ? `${rec.sendError.kind}: ${rec.sendError.message}` : !connected ? "not sent" : L.ackMs === null ? "no ack" : "",
  );
  step(
    "first_event",
    "First agent event",
    L.firstEventMs !== null && L.firstEventMs <= s.firstEventTimeoutMs,
    L.firstEventMs,
    s.firstEventTimeoutMs,
    L.firstEventMs === null ? "no agent event arrived" : "",
  );
  const early = rec.stoppedEarlyAtMs !== undefined;
  const notReached = early ? `not received: the check stopped at the first failure, ${Math.round(rec.stoppedEarlyAtMs)} ms after sending` : null;
  for (const type of s.expectedEvents) {
    const ms = rec.eventTimes[type] ?? null;
    step(`event:${type}`, type, ms !== null, ms, null, ms === null ? notReached || `${type} never arrived` : "");
  }
  const types = rec.events.filter((e) => !rec.runId || !e.runId || e.runId === rec.runId).map((e) => e.type);
  const order = orderProblems(types);
  step("order", "Valid order", types.length > 0 && order.length === 0, null, null, types.length === 0 ? "no events" : order.join("; "));
  step(
    "completion",
    "Run completed",
    L.completionMs !== null && L.completionMs <= s.completionTimeoutMs,
    L.completionMs,
    s.completionTimeoutMs,
    L.completionMs === null ? notReached || `agent_completed did not arrive within ${s.completionTimeoutMs} ms` : "",
  );
  const kinds = countKinds(rec.failures);
  step(
    "no_failures",
    "No failure reports",
    rec.failures.length === 0,
    null,
    null,
    rec.failures.length ? Object.entries(kinds).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(", ") : "",
  );
  const h = rec.health || {};
  const dupGap = (h.duplicates || 0) + (h.gaps || 0);
  step(
    "no_dup_gap",
    "No duplicates or gaps",
    dupGap === 0,
    null,
    null,
    dupGap ? `${h.duplicates || 0} duplicate(s), ${h.gaps || 0} gap(s)` : "",
  );
  rec.steps = steps;

  const reasons = [];
  if (!connected) {
    // The handshake failed: that is the reason, alone; nothing after it was reached.
    const handshake = steps.find((st) => st.id === "handshake");
    rec.reasons = [`${handshake.name}: ${handshake.detail}`];
    rec.failureKinds = [...new Set(rec.failures.map((f) => f.kind))];
    rec.verdict = "FAIL";
    return;
  }
  // Failure reports first, in the order they came, each kind once.
  const seen = new Set();
  for (const f of rec.failures) {
    if (seen.has(f.kind)) continue;
    seen.add(f.kind);
    reasons.push(`${f.kind}: ${f.detail}${f.runId ? ` (run ${f.runId})` : ""}`);
  }
  const missing = steps.filter((st) => !st.ok && st.id.startsWith("event:")).map((st) => st.name);
  if (early && missing.length) {
    reasons.push(`the check stopped at the first failure report; never received: ${missing.join(", ")}`);
  } else if (missing.length) {
    reasons.push(`expected event(s) never received: ${missing.join(", ")}`);
  }
  for (const st of steps) {
    if (st.ok) continue;
    if (st.id === "no_failures" || (st.id === "no_dup_gap" && seen.size)) continue;
    if (st.id.startsWith("event:") || (st.id === "completion" && early)) continue;
    if (st.ms !== null && st.deadlineMs !== null && st.ms > st.deadlineMs) {
      reasons.push(`${st.name}: took ${st.ms} ms, deadline ${st.deadlineMs} ms`);
    } else {
      reasons.push(`${st.name}: ${st.detail || "failed"}`);
    }
  }
  rec.reasons = reasons;
  rec.failureKinds = [...seen];
  rec.verdict = reasons.length === 0 ? "PASS" : "FAIL";
}

function countKinds(failures) {
  const out = {};
  for (const f of failures) out[f.kind] = (out[f.kind] || 0) + 1;
  return out;
}

/** Runs the whole check; `hooks.onRunStart(i)`, `hooks.onMark(...)`, `hooks.onRunDone(rec)`. */
export async function check(settings, token, hooks = {}) {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const report = {
    schema: "chat-sentinel-check/1",
    verdict: "ERROR",
    reasons: [],
    failureKinds: [],
    startedAt,
    durationMs: 0,
    settings: null,
    runs: [],
    percentiles: {},
    userAgent: navigator.userAgent,
  };
  let s;
  try {
    s = normalize(settings);
    report.settings = { ...s, url: redactUrl(s.url), tokenProvided: !!token };
    if (!token) throw new TypeError("a token is required (the SDK sends it as a WebSocket subprotocol)");
    await loadSdk();
  } catch (e) {
    report.reasons = [`setup: ${e && e.message ? e.message : e}`];
    report.durationMs = round(performance.now() - t0);
    return scrub(report, token);
  }
  try {
    for (let i = 0; i < s.runs; i++) {
      hooks.onRunStart && hooks.onRunStart(i, s);
      const rec = await runOnce(s, token, i, hooks);
      report.runs.push(rec);
      hooks.onRunDone && hooks.onRunDone(rec, s);
    }
  } catch (e) {
    report.reasons = [`setup: ${e && e.message ? e.message : e}`];
    report.durationMs = round(performance.now() - t0);
    return scrub(report, token);
  }
  const failed = report.runs.filter((r) => r.verdict !== "PASS");
  report.verdict = failed.length ? "FAIL" : "PASS";
  report.reasons = [];
  for (const r of failed) {
    for (const reason of r.reasons) report.reasons.push(s.runs > 1 ? `run ${r.index}: ${reason}` : reason);
  }
  report.failureKinds = [...new Set(report.runs.flatMap((r) => r.failureKinds))];
  report.dialect = report.runs.find((r) => r.dialect)?.dialect ?? null;
  for (const key of ["handshakeMs", "ackMs", "firstEventMs", "completionMs"]) {
    report.percentiles[key] = percentiles(report.runs.map((r) => r.latencies[key]));
  }
  report.durationMs = round(performance.now() - t0);
  return scrub(report, token);
}

// ---------------------------------------------------------------- the page

const $ = (sel) => document.querySelector(sel);

function fmtMs(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

function fillForm(s) {
  $("#url").value = s.url;
  $("#dialect").value = s.dialect;
  $("#message").value = s.message;
  $("#runs").value = String(s.runs);
  $("#expected").value = s.expectedEvents.join(", ");
  for (const [k] of DEADLINE_FIELDS) {
    const input = document.getElementById(k);
    if (input) input.value = String(s[k]);
  }
}

function readForm() {
  const s = {
    url: $("#url").value,
    dialect: $("#dialect").value,
    message: $("#message").value,
    runs: Number($("#runs").value),
    expectedEvents: $("#expected").value,
  };
  for (const [k] of DEADLINE_FIELDS) s[k] = Number(document.getElementById(k).value);
  return s;
}

function buildDeadlineInputs() {
  const box = $("#deadlines");
  for (const [k, label] of DEADLINE_FIELDS) {
    const wrap = document.createElement("label");
    wrap.className = "field small";
    const span = document.createElement("span");
    span.textContent = `${label} (ms)`;
    const input = document.createElement("input");
    input.type = "number";
    input.min = k === "settleMs" ? "0" : "1";
    input.step = "1";
    input.id = k;
    input.name = k;
    wrap.append(span, input);
    box.appendChild(wrap);
  }
}

let timeline;
let running = false;
let lastReport = null;

function setVerdict(kind, text, reasons = []) {
  const v = $("#verdict");
  v.className = `verdict verdict-${kind.toLowerCase()}`;
  v.dataset.verdict = kind;
  $("#verdict-word").textContent = kind;
  $("#verdict-text").textContent = text;
  const ul = $("#reasons");
  ul.textContent = "";
  for (const r of reasons) {
    const li = document.createElement("li");
    li.textContent = r;
    ul.appendChild(li);
  }
}

function renderChecklist(report, s, pendingRuns = 0) {
  const tbody = $("#checklist tbody");
  tbody.textContent = "";
  const runs = report ? report.runs : [];
  const template = runs[0]?.steps || [
    { id: "handshake", name: "Handshake (connect)", deadlineMs: s.handshakeTimeoutMs },
    { id: "ack", name: "Message acknowledged", deadlineMs: s.ackTimeoutMs },
    { id: "first_event", name: "First agent event", deadlineMs: s.firstEventTimeoutMs },
    ...s.expectedEvents.map((t) => ({ id: `event:${t}`, name: t, deadlineMs: null })),
    { id: "order", name: "Valid order", deadlineMs: null },
    { id: "completion", name: "Run completed", deadlineMs: s.completionTimeoutMs },
    { id: "no_failures", name: "No failure reports", deadlineMs: null },
    { id: "no_dup_gap", name: "No duplicates or gaps", deadlineMs: null },
  ];
  for (const t of template) {
    const per = runs.map((r) => r.steps.find((x) => x.id === t.id)).filter(Boolean);
    const tr = document.createElement("tr");
    tr.dataset.step = t.id;
    let status = "pending";
    if (per.length) status = per.every((p) => p.ok) ? (pendingRuns ? "running" : "ok") : "fail";
    tr.dataset.status = status;
    tr.className = `step step-${status}`;
    const icon = { ok: "✔", fail: "✘", pending: "·", running: "…" }[status];
    const ms = per.map((p) => p.ms).filter((m) => m !== null && m !== undefined);
    let latency = "—";
    if (ms.length === 1) latency = fmtMs(ms[0]);
    else if (ms.length > 1) {
      const p = percentiles(ms);
      latency = `p50 ${fmtMs(p.p50)} · max ${fmtMs(p.max)}`;
    }
    const failedRuns = per.filter((p) => !p.ok);
    const detail = failedRuns.length
      ? (runs.length > 1 ? `${failedRuns.length}/${per.length} runs: ` : "") + (failedRuns[0].detail || "failed")
      : per.length > 1
        ? `${per.length}/${per.length} runs`
        : "";
    const cells = [
      [icon, "st"],
      [t.name, "name"],
      [latency, "lat"],
      [t.deadlineMs ? `≤ ${fmtMs(t.deadlineMs)}` : "", "dl"],
      [detail, "detail"],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = text;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
}

function renderPercentiles(report) {
  const box = $("#percentiles");
  box.textContent = "";
  if (!report || !report.runs.length) return;
  const table = document.createElement("table");
  table.className = "pct";
  table.innerHTML = "<thead><tr><th>latency</th><th>n</th><th>p50</th><th>p90</th><th>max</th></tr></thead>";
  const tbody = document.createElement("tbody");
  const names = { handshakeMs: "to handshake", ackMs: "to ack", firstEventMs: "to first event", completionMs: "to completion" };
  for (const [k, label] of Object.entries(names)) {
    const p = report.percentiles[k] || percentiles(report.runs.map((r) => r.latencies[k]));
    const tr = document.createElement("tr");
    tr.dataset.latency = k;
    for (const text of [label, String(p.n), fmtMs(p.p50), fmtMs(p.p90), fmtMs(p.max)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  table.appendChild(tbody);
  box.appendChild(table);
}

function renderFailures(report) {
  const box = $("#failures");
  box.textContent = "";
  const all = (report?.runs || []).flatMap((r) => r.failures.map((f) => ({ ...f, run: r.index })));
  $("#failures-card").hidden = all.length === 0;
  for (const f of all) {
    const div = document.createElement("div");
    div.className = `banner banner-${f.severity}`;
    div.dataset.kind = f.kind;
    const head = document.createElement("strong");
    head.textContent = f.kind;
    const meta = document.createElement("span");
    meta.className = "meta";
    const seq = f.seq ? ` · seq ${f.seq.from}${f.seq.to !== undefined && f.seq.to !== null ? `..${f.seq.to}` : ".."}` : "";
    meta.textContent = ` ${f.severity} · check run ${f.run}${f.runId ? ` · ${f.runId}` : ""}${seq} · at ${fmtMs(f.tMs)}`;
    const p = document.createElement("p");
    p.textContent = f.detail;
    div.append(head, meta, p);
    box.appendChild(div);
  }
}

/** Live timeline marks during a run. */
function timelineHooks(s) {
  let lane = null;
  let lastEventT = 0;
  return {
    onRunStart(i) {
      lane = `check-${i + 1}`;
      lastEventT = 0;
      timeline.lane(lane, `#${i + 1}`);
      $("#progress").textContent = `Running check ${i + 1} of ${s.runs}…`;
    },
    onMark(kind, p) {
      const label = (rec) => `#${rec.index}${rec.runId ? ` ${rec.runId}` : ""}`;
      switch (kind) {
        case "handshake":
          timeline.rule(p.t, "conn", { lane, label: "open", title: `handshake after ${fmtMs(p.t)}` });
          break;
        case "send":
          timeline.mark(lane, p.t, "send", { type: "user_message", title: `message sent at ${fmtMs(p.t)}` });
          break;
        case "ack":
          timeline.mark(lane, p.t, "send", { glyph: "", type: "ack", title: `acknowledged at ${fmtMs(p.t)}` });
          break;
        case "event": {
          const e = p.e;
          timeline.lane(lane, label(p.rec));
          timeline.mark(lane, p.t, e.recovered ? "recovered" : "event", {
            glyph: eventGlyph(e.type),
            type: e.type,
            title: `${e.type}${e.seq !== null && e.seq !== undefined ? ` seq ${e.seq}` : ""} at ${fmtMs(p.t)}`,
          });
          lastEventT = p.t;
          break;
        }
        case "failure": {
          const f = p.f;
          const cat = failureCategory(f.kind);
          if (f.kind === "run_stalled" || f.kind === "no_response") {
            timeline.span(lane, lastEventT, p.t, "stall", { title: `${f.kind}: ${f.detail}` });
          }
          timeline.mark(lane, p.t, cat, { label: f.kind, type: f.kind, title: `${f.kind} (${f.severity}) at ${fmtMs(p.t)}: ${f.detail}` });
          break;
        }
        case "state":
          if (p.state === "reconnecting" || (p.state === "closed" && p.t > 0)) {
            timeline.rule(p.t, "conn", { lane, label: p.state, title: `${p.state} at ${fmtMs(p.t)}` });
          }
          break;
        default:
          break;
      }
    },
    onRunDone(rec) {
      timeline.lane(lane, label(rec));
      progressRuns.push(rec);
      renderChecklist({ runs: progressRuns }, s, s.runs - progressRuns.length);
    },
  };
  function label(rec) {
    return `#${rec.index}${rec.runId ? ` ${rec.runId}` : ""}`;
  }
}
let progressRuns = [];

async function start(settings, token) {
  if (running) throw new Error("a check is already running");
  running = true;
  window.checkState = "running";
  window.checkResult = undefined;
  lastReport = null;
  $("#download").disabled = true;
  $("#run").disabled = true;
  progressRuns = [];
  let s;
  try {
    s = normalize(settings);
    fillForm(s);
  } catch {
    s = null;
  }
  timeline.clear();
  setVerdict("RUNNING", "Checking…");
  if (s) renderChecklist(null, s, s.runs);
  renderPercentiles(null);
  renderFailures(null);
  try {
    const report = await check(settings, token, s ? timelineHooks(s) : {});
    lastReport = report;
    if (s) renderChecklist(report, s);
    renderPercentiles(report);
    renderFailures(report);
    const n = report.runs.length;
    const text =
      report.verdict === "PASS"
        ? `The golden path completed ${n > 1 ? `in all ${n} runs ` : ""}within the deadlines, with no failure report.`
        : report.verdict === "FAIL"
          ? `${report.runs.filter((r) => r.verdict !== "PASS").length} of ${n} run(s) failed${report.failureKinds.length ? ` — ${report.failureKinds.join(", ")}` : ""}.`
          : "The check could not run.";
    setVerdict(report.verdict, text, report.reasons);
    $("#progress").textContent = `Finished in ${fmtMs(report.durationMs)} (${report.startedAt}).`;
    $("#download").disabled = false;
    timeline.flush();
    window.checkResult = report;
    return report;
  } finally {
    running = false;
    window.checkState = "done";
    $("#run").disabled = false;
  }
}

function download() {
  if (!lastReport) return;
  const blob = new Blob([JSON.stringify(lastReport, null, 2) + "\n"], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `chat-sentinel-check-${lastReport.startedAt.replace(/[:.]/g, "-")}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function setupPage() {
  buildDeadlineInputs();
  fillForm(defaults());
  timeline = new Timeline($("#timeline"), { emptyText: "The timeline appears when a check runs." });
  renderLegend($("#legend"));
  renderChecklist(null, normalize(defaults()), 0);
  setVerdict("IDLE", "Fill in the server and press Run check.");
  window.checkState = "idle";

  $("#preset-reference").addEventListener("click", () => {
    const s = readForm();
    fillForm(normalize({ ...s, ...REFERENCE_DEADLINES }));
  });
  $("#preset-staging").addEventListener("click", () => {
    const s = readForm();
    fillForm(normalize({ ...s, ...STAGING_DEADLINES }));
  });
  $("#scenario").addEventListener("change", () => {
    const sc = $("#scenario").value;
    if (!sc) return;
    try {
      const u = new URL($("#url").value);
      u.searchParams.set("scenario", sc);
      $("#url").value = u.toString();
    } catch {
      // leave the URL alone
    }
  });
  $("#form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    // The token stays in this closure and the input element; nothing stores it.
    const token = $("#token").value;
    start(readForm(), token).catch((e) => setVerdict("ERROR", String(e.message || e)));
  });
  $("#download").addEventListener("click", download);

  // Deadlines follow the target until someone edits them: short ones for this page's own
  // server (the reference server), production-like ones for any other host.
  $("#url").addEventListener("change", () => {
    const s = readForm();
    const same = (preset) => DEADLINE_FIELDS.every(([k]) => s[k] === preset[k]);
    if (same(REFERENCE_DEADLINES) || same(STAGING_DEADLINES)) {
      for (const [k] of DEADLINE_FIELDS) document.getElementById(k).value = String(deadlinesFor(s.url)[k]);
    }
  });

  window.runCheck = (settings = {}) => {
    const { token, ...rest } = settings || {};
    const base = { ...defaults(), ...deadlinesFor(rest.url || defaults().url) };
    return start({ ...base, ...rest }, token === undefined ? $("#token").value : String(token));
  };
  window.checkReady = true;
}

if (typeof document !== "undefined" && document.getElementById("form")) setupPage();
