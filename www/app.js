// The demo chat: the SDK as a plain ES module, a chat, the live delivery timeline, failure
// banners and a health panel, against the reference server's fault scenarios.

import { Timeline, renderLegend, failureCategory, eventGlyph } from "./timeline.js";

const $ = (sel) => document.querySelector(sel);

/** Client options for the demo: short deadlines so faults show within seconds. */
const DEMO_OPTIONS = {
  dialect: "auto",
  heartbeatIntervalMs: 2000,
  heartbeatTimeoutMs: 2000,
  ackTimeoutMs: 3000,
  firstEventTimeoutMs: 6000,
  runStallTimeoutMs: 4000,
  reconnect: { minDelayMs: 300, maxDelayMs: 2000, maxAttempts: 5 },
};

/** Extra query parameters some scenarios need. */
const SCENARIO_PARAMS = { skip: { event: "agent_thinking" }, flood: { count: "2000" } };

const MAX_LISTED = 40; // events listed per run card
const MAX_CARDS = 30; // run cards kept in the chat

const HEALTH_FIELDS = [
  ["state", "state"],
  ["dialect", "dialect"],
  ["received", "frames received"],
  ["delivered", "events delivered"],
  ["duplicates", "duplicates"],
  ["gaps", "gaps"],
  ["pendingAcks", "pending acks"],
  ["openRuns", "open runs"],
  ["heldEvents", "held (reorder)"],
  ["lastFrameAgeMs", "last frame age"],
  ["reconnects", "reconnects"],
  ["failures", "failures"],
  ["wakes", "late wakes"],
  ["droppedOutputs", "dropped outputs"],
];
const BAD_WHEN_NONZERO = new Set(["duplicates", "gaps", "reconnects", "failures", "droppedOutputs", "heldEvents"]);

let sdk = null;
let client = null;
let offs = [];
let t0 = null; // performance.now() of the first connect: the timeline's origin
let timeline;
let nowTimer = null;
let healthTimer = null;
const runs = new Map(); // runId -> {card, list, status, lastT}
const bubbles = new Map(); // messageId -> {bubble, status} of the user's message
let messageCount = 0;
let lastHealth = null; // the last snapshot, still shown after a disconnect

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const q = new URLSearchParams({
    dialect: $("#dialect").value,
    scenario: $("#scenario").value,
    seed: String(Number($("#seed").value) || 0),
    ...(SCENARIO_PARAMS[$("#scenario").value] || {}),
  });
  return `${scheme}://${location.host || "127.0.0.1:8787"}/ws?${q}`;
}

const rel = (atMs) => (typeof atMs === "number" ? atMs : performance.now()) - (t0 ?? performance.now());

function fmtMs(ms) {
  if (ms === null || ms === undefined) return "—";
  return ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

// ------------------------------------------------------------------ state + health

function setState(state) {
  const pill = $("#state");
  pill.textContent = state;
  pill.dataset.state = state;
  pill.className = `state-pill state-${state}`;
  const live = state === "open" || state === "connecting" || state === "reconnecting";
  $("#connect").disabled = live;
  $("#disconnect").disabled = !live;
  $("#send").disabled = state !== "open" && state !== "reconnecting";
  for (const id of ["#dialect", "#scenario", "#seed", "#token"]) $(id).disabled = live;
}

function renderHealth() {
  const tbody = $("#health tbody");
  let h = null;
  try {
    h = client ? client.health() : lastHealth;
  } catch {
    h = lastHealth;
  }
  lastHealth = h;
  tbody.textContent = "";
  for (const [key, label] of HEALTH_FIELDS) {
    const tr = document.createElement("tr");
    tr.dataset.field = key;
    let v = h ? h[key] : undefined;
    if (key === "lastFrameAgeMs") v = v === null || v === undefined ? "—" : fmtMs(v);
    if (v === undefined || v === null) v = "—";
    if (BAD_WHEN_NONZERO.has(key) && typeof v === "number" && v > 0) tr.className = "nonzero";
    const a = document.createElement("td");
    a.textContent = label;
    const b = document.createElement("td");
    b.className = "v";
    b.textContent = String(v);
    tr.append(a, b);
    tbody.appendChild(tr);
  }
}

// ------------------------------------------------------------------ chat

function clearEmpty() {
  $("#messages-empty")?.remove();
}

function scrollChat() {
  const m = $("#messages");
  m.scrollTop = m.scrollHeight;
}

function systemLine(text) {
  clearEmpty();
  const p = document.createElement("div");
  p.className = "msg msg-system";
  p.textContent = text;
  $("#messages").appendChild(p);
  scrollChat();
}

function pick(obj, ...keys) {
  for (const source of [obj, obj?.payload, obj?.data]) {
    if (!source || typeof source !== "object") continue;
    for (const k of keys) {
      if (source[k] !== undefined && source[k] !== null && typeof source[k] !== "object") return String(source[k]);
    }
  }
  return null;
}

function describe(e) {
  const d = e.data || {};
  switch (e.type) {
    case "agent_started":
      return `${pick(d, "agent_name") || "agent"} started`;
    case "agent_thinking":
      return `thinking: ${pick(d, "reasoning", "thought") || "…"}`;
    case "tool_executing":
      return `running tool ${pick(d, "tool_name", "tool") || "?"}`;
    case "tool_completed":
      return `tool ${pick(d, "tool_name", "tool") || "?"} finished`;
    case "agent_completed": {
      const summary = d?.result?.summary ?? d?.data?.result?.summary ?? d?.payload?.result?.summary;
      return `completed${summary ? `: ${summary}` : ""}`;
    }
    default:
      return e.type;
  }
}

function runCard(runId) {
  let r = runs.get(runId);
  if (r) return r;
  clearEmpty();
  const card = document.createElement("div");
  card.className = "msg msg-agent";
  card.dataset.run = runId;
  const head = document.createElement("div");
  head.className = "run-head";
  const name = document.createElement("span");
  name.textContent = runId;
  const status = document.createElement("span");
  status.className = "run-status";
  status.textContent = "running";
  head.append(name, status);
  const list = document.createElement("ol");
  card.append(head, list);
  $("#messages").appendChild(card);
  r = { card, list, status, lastT: null, failed: false };
  runs.set(runId, r);
  const cards = $("#messages").querySelectorAll(".msg-agent");
  if (cards.length > MAX_CARDS) cards[0].remove(); // a flood of runs: keep the newest cards
  timeline.lane(runId, runId);
  return r;
}

function onEvent(e) {
  const t = rel(e.atMs);
  const runId = e.runId || "connection";
  if (e.runId) {
    const r = runCard(e.runId);
    // Long runs (flood) keep the first events and a counter, not thousands of lines.
    if (r.list.children.length < MAX_LISTED) {
      const li = document.createElement("li");
      li.dataset.type = e.type;
      if (e.recovered) li.className = "ev-recovered";
      li.textContent = describe(e);
      r.list.appendChild(li);
    } else {
      r.more = (r.more || 0) + 1;
      if (!r.moreLine) {
        r.moreLine = document.createElement("p");
        r.moreLine.className = "more";
        r.card.appendChild(r.moreLine);
      }
      r.moreLine.textContent = `… and ${r.more} more event(s)`;
    }
    r.lastT = t;
    if (e.type === "agent_completed" && !r.failed) {
      r.card.classList.add("run-done");
      r.status.textContent = "completed";
    } else if (/^agent_(error|failed|death|cancelled)$/.test(e.type)) {
      r.card.classList.add("run-failed");
      r.status.textContent = e.type.replace("agent_", "");
    }
    scrollChat();
  }
  timeline.mark(runId, t, e.recovered ? "recovered" : "event", {
    glyph: eventGlyph(e.type),
    type: e.type,
    title: `${e.type}${e.seq !== null && e.seq !== undefined ? ` · seq ${e.seq}` : ""}${e.recovered ? " · replayed" : ""} · ${fmtMs(t)}`,
  });
}

function banner(f) {
  const box = $("#banners");
  box.querySelector(".empty")?.remove();
  const div = document.createElement("div");
  div.className = `banner banner-${f.severity || "critical"}`;
  div.dataset.kind = f.kind;
  const head = document.createElement("strong");
  head.textContent = f.kind;
  const meta = document.createElement("span");
  meta.className = "meta";
  const seq = f.seq ? ` · seq ${f.seq.from}..${f.seq.to ?? ""}` : "";
  meta.textContent = ` ${f.severity || ""}${f.runId ? ` · ${f.runId}` : ""}${f.messageId ? ` · ${f.messageId}` : ""}${seq} · ${fmtMs(rel(f.atMs))}`;
  const p = document.createElement("p");
  p.textContent = f.detail || "";
  const x = document.createElement("button");
  x.type = "button";
  x.className = "dismiss";
  x.title = "dismiss";
  x.textContent = "×";
  x.addEventListener("click", () => div.remove());
  div.append(head, meta, p, x);
  box.prepend(div);
}

function onFailure(f) {
  banner(f);
  const t = rel(f.atMs);
  const lane = f.runId || "connection";
  if (f.runId) {
    const r = runCard(f.runId);
    if (f.severity === "critical") {
      r.failed = true;
      r.card.classList.remove("run-done");
      r.card.classList.add("run-failed");
      r.status.textContent = f.kind;
    }
  } else {
    timeline.lane("connection", "connection", { pinned: true });
  }
  if (f.kind === "run_stalled" || f.kind === "no_response") {
    const from = f.runId && runs.get(f.runId)?.lastT !== null ? runs.get(f.runId).lastT : Math.max(0, t - DEMO_OPTIONS.runStallTimeoutMs);
    timeline.span(lane, from, t, "stall", { title: `${f.kind}: ${f.detail}` });
  }
  const seq = f.seq ? ` ${f.seq.from}..${f.seq.to ?? ""}` : "";
  timeline.mark(lane, t, failureCategory(f.kind), {
    label: f.kind + seq,
    type: f.kind,
    title: `${f.kind} (${f.severity}) · ${fmtMs(t)}\n${f.detail}`,
  });
}

function onState(s) {
  setState(s);
  if (t0 === null) return;
  const t = rel();
  if (s === "reconnecting" || s === "closed" || (s === "open" && t > 50)) {
    timeline.rule(t, "conn", { label: s, title: `${s} · ${fmtMs(t)}` });
  }
  if (s === "closed") stopTimers();
}

function onRecovery(r) {
  const t = rel(r.atMs);
  const missing = (r.missing || []).map((m) => `${m.from}..${m.to ?? ""}`).join(", ");
  timeline.rule(t, r.verdict === "full" ? "conn" : "gap", {
    label: `resume: ${r.verdict}`,
    title: `recovery ${r.verdict}${missing ? ` · missing ${missing}` : ""}${r.reason ? ` · ${r.reason}` : ""}`,
  });
  systemLine(`resume: ${r.verdict}${missing ? ` (missing ${missing})` : ""}${r.reason ? ` — ${r.reason}` : ""}`);
}

function stopTimers() {
  clearInterval(nowTimer);
  nowTimer = null;
}

// ------------------------------------------------------------------ actions

async function loadSdk() {
  if (!sdk) {
    sdk = await import("/pkg/chat_sentinel.js");
    await sdk.default();
  }
  return sdk;
}

async function connect() {
  const { ChatClient } = await loadSdk();
  disconnect(true);
  const url = wsUrl();
  if (t0 === null) t0 = performance.now();
  systemLine(`connecting to ${$("#dialect").value} · ${$("#scenario").value} …`);
  client = new ChatClient({ url, token: $("#token").value, ...DEMO_OPTIONS });
  bubbles.clear(); // message ids are per client
  offs = [
    client.on("event", onEvent),
    client.on("failure", onFailure),
    client.on("state", onState),
    client.on("recovery", onRecovery),
    client.on("turn", onTurn),
  ];
  timeline.lane("connection", "connection", { pinned: true });
  nowTimer = nowTimer || setInterval(() => timeline.setNow(rel()), 250);
  setState("connecting");
  try {
    await client.connect();
    timeline.rule(rel(), "conn", { label: "open", title: `handshake · ${fmtMs(rel())}` });
    systemLine(`connected (${client.health().dialect})`);
  } catch (e) {
    systemLine(`connect failed: ${e.kind || e.name}: ${e.message}`);
    if (e.kind) banner({ kind: e.kind, severity: "critical", detail: e.message, atMs: performance.now() });
    setState("closed");
  }
}

function disconnect(quiet = false) {
  if (!client) return;
  const c = client;
  client = null;
  try {
    lastHealth = { ...c.health(), state: "closed" }; // the final snapshot stays on screen
  } catch {
    // keep the previous snapshot
  }
  try {
    c.close();
  } catch {
    // already closed
  }
  for (const off of offs) {
    try {
      if (typeof off === "function") off();
    } catch {
      // ignore
    }
  }
  offs = [];
  stopTimers();
  for (const r of runs.values()) {
    if (!r.card.classList.contains("run-done") && !r.card.classList.contains("run-failed")) {
      r.card.classList.add("run-abandoned");
      r.status.textContent = "disconnected";
    }
  }
  setState("closed");
  if (!quiet) systemLine("disconnected");
  renderHealth();
}

async function send(text) {
  if (!client || !text) return;
  clearEmpty();
  messageCount++;
  const bubble = document.createElement("div");
  bubble.className = "msg msg-user";
  bubble.textContent = text;
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = "sending…";
  bubble.appendChild(meta);
  $("#messages").appendChild(bubble);
  scrollChat();
  const t = rel();
  timeline.mark("connection", t, "send", { type: "user_message", title: `message ${messageCount} sent · ${fmtMs(t)}` });
  // One status per message: its turn, which ends exactly once (complete, incomplete, failed).
  const handle = client.sendMessage(text, { threadId: "demo-thread" });
  bubble.dataset.messageId = handle.messageId;
  const status = document.createElement("div");
  status.className = "meta turn";
  bubble.appendChild(status);
  bubbles.set(handle.messageId, { bubble, status });
  try {
    const r = await handle;
    meta.textContent = `✓ acknowledged in ${fmtMs(r.latencyMs)}${r.inferred ? " (its run started)" : ""}${r.runId ? ` · ${r.runId}` : ""}`;
    timeline.mark("connection", rel(), "send", { type: "ack", title: `ack of ${r.messageId} · ${fmtMs(r.latencyMs)}` });
  } catch (e) {
    bubble.dataset.error = e.kind || "error";
    meta.textContent = `✗ ${e.kind || e.name}: ${e.message}`;
  }
}

/** A turn's new state, shown on its message's bubble. */
function onTurn(turn) {
  const entry = bubbles.get(turn.messageId);
  if (!entry) return;
  const { bubble, status } = entry;
  bubble.dataset.turn = turn.state;
  if (turn.state === "complete") {
    status.textContent = `✓ answered${turn.runId ? ` · ${turn.runId}` : ""}`;
  } else if (turn.state === "incomplete" || turn.state === "failed") {
    const report = turn.report;
    bubble.dataset.kind = report ? report.kind : "";
    const incident = turn.incident !== null ? ` (incident ${turn.incident})` : "";
    status.textContent = `${turn.state === "failed" ? "✗ not sent" : "⚠ incomplete"}: ${report ? `${report.kind} — ${report.detail}` : "?"}${incident}`;
  } else {
    // Late but not lost yet (a stall, a missing ack): it may still complete.
    status.textContent = turn.incident !== null ? `${turn.state} · ⚠ late (incident ${turn.incident})` : turn.state;
  }
}

function setup() {
  timeline = new Timeline($("#timeline"), { live: true, emptyText: "Connect and send a message: each run gets a lane." });
  renderLegend($("#legend"));
  const updateUrl = () => {
    $("#ws-url").textContent = wsUrl();
  };
  for (const id of ["#dialect", "#scenario", "#seed"]) $(id).addEventListener("input", updateUrl);
  updateUrl();
  setState("closed");
  renderHealth();
  healthTimer = setInterval(renderHealth, 500);

  $("#connect-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    connect().catch((e) => systemLine(`cannot connect: ${e.message || e}`));
  });
  $("#disconnect").addEventListener("click", () => disconnect());
  $("#composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    send($("#text").value.trim());
  });
  $("#clear-banners").addEventListener("click", () => {
    $("#banners").innerHTML = '<p class="empty">None so far.</p>';
  });
  window.demoReady = true;
}

setup();
