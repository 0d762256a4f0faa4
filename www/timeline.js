// The live delivery timeline: one lane per run, one mark per event, failures in distinct
// colours. Plain SVG, no dependencies; shared by the demo (index.html) and the staging check
// (check.html).
//
//   const tl = new Timeline(containerElement, { live: true });
//   tl.lane("run_1", "run_1");
//   tl.mark("run_1", 120, "event", { glyph: "S", type: "agent_started", title: "..." });
//   tl.span("run_1", 300, 2300, "stall", { title: "run_stalled ..." });
//   tl.rule(2400, "conn", { label: "reconnecting" });   // across every lane
//   tl.setNow(2500);                                     // live cursor (ms)
//
// Times are milliseconds from the timeline's origin (the caller picks it). Every mark is an
// SVG element with class `tl-mark` and `data-cat`, `data-lane` and `data-type` attributes so
// that tests (and people with devtools) can read the picture back.

const SVG = "http://www.w3.org/2000/svg";

/** Categories: the legend, in order. */
export const CATEGORIES = {
  event: { label: "event delivered", color: "#2563eb" },
  recovered: { label: "replayed after resume", color: "#0ea5e9" },
  send: { label: "message sent / acked", color: "#475569" },
  gap: { label: "gap / missing event", color: "#dc2626" },
  duplicate: { label: "duplicate", color: "#f59e0b" },
  reorder: { label: "out of order", color: "#8b5cf6" },
  stall: { label: "stall (silence)", color: "#b45309" },
  timeout: { label: "timeout", color: "#db2777" },
  conn: { label: "connection / reconnect", color: "#0d9488" },
  error: { label: "server error / bad frame", color: "#111827" },
};

/** The timeline category of a failure kind. */
export function failureCategory(kind) {
  switch (kind) {
    case "seq_gap":
    case "tail_gap":
    case "missing_event":
    case "tool_unfinished":
    case "recovery_failed":
      return "gap";
    case "duplicate":
      return "duplicate";
    case "out_of_order":
      return "reorder";
    case "run_stalled":
    case "no_response":
      return "stall";
    case "ack_timeout":
    case "heartbeat_timeout":
    case "send_failed":
      return "timeout";
    case "connection_lost":
      return "conn";
    default:
      return "error"; // server_error, protocol_violation, anything new
  }
}

/** A one-letter glyph for an event type (the legend explains them). */
export function eventGlyph(type) {
  return (
    {
      agent_started: "S",
      agent_thinking: "T",
      tool_executing: "X",
      tool_completed: "D",
      agent_completed: "C",
    }[type] || "•"
  );
}

export const GLYPHS = [
  ["S", "agent_started"],
  ["T", "agent_thinking"],
  ["X", "tool_executing"],
  ["D", "tool_completed"],
  ["C", "agent_completed"],
];

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceStep(rangeMs, maxTicks) {
  const raw = rangeMs / Math.max(1, maxTicks);
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * pow >= raw) return m * pow;
  }
  return 10 * pow;
}

function fmtTick(ms, step) {
  if (step >= 1000 || ms >= 10000) return `${+(ms / 1000).toFixed(step >= 1000 ? 0 : 1)} s`;
  return `${Math.round(ms)} ms`;
}

export class Timeline {
  constructor(container, { live = false, emptyText = "No events yet.", maxLanes = 14 } = {}) {
    this.container = container;
    this.live = live;
    this.maxLanes = maxLanes;
    this.emptyText = emptyText;
    this.clear();
    this._scheduled = false;
    if (typeof ResizeObserver !== "undefined") {
      let lastWidth = 0;
      new ResizeObserver(() => {
        const w = this.container.clientWidth;
        if (w !== lastWidth) {
          lastWidth = w;
          this.render();
        }
      }).observe(container);
    }
    this.render();
  }

  clear() {
    this.lanes = []; // {id, label}
    this.items = []; // {kind: mark|span|rule, lane, t, t1, cat, glyph, label, title, type}
    this.now = 0;
    this.render();
  }

  /** Adds a lane (once). Pinned lanes stay visible when only the newest `maxLanes` are shown. */
  lane(id, label = id, { pinned = false } = {}) {
    const existing = this.lanes.find((l) => l.id === id);
    if (existing) {
      if (label && existing.label !== label) {
        existing.label = label;
        this.render();
      }
      return id;
    }
    this.lanes.push({ id, label, pinned });
    this.render();
    return id;
  }

  hasLane(id) {
    return this.lanes.some((l) => l.id === id);
  }

  mark(lane, t, cat, { glyph, label, title, type } = {}) {
    this.lane(lane);
    this.items.push({ kind: "mark", lane, t: Math.max(0, t), cat, glyph, label, title, type });
    this.render();
  }

  span(lane, t0, t1, cat, { title, label } = {}) {
    this.lane(lane);
    this.items.push({ kind: "span", lane, t: Math.max(0, t0), t1: Math.max(t0, t1), cat, title, label });
    this.render();
  }

  /** A vertical line: across every lane, or only `lane` when given. */
  rule(t, cat, { label, title, lane } = {}) {
    if (lane) this.lane(lane);
    this.items.push({ kind: "rule", lane: lane || null, t: Math.max(0, t), cat, label, title });
    this.render();
  }

  setNow(t) {
    this.now = t;
    this.render();
  }

  /** Renders on the next animation frame (many updates → one render). */
  render() {
    if (this._scheduled) return;
    this._scheduled = true;
    const run = () => {
      this._scheduled = false;
      this._draw();
    };
    if (typeof requestAnimationFrame === "function" && document.visibilityState !== "hidden") {
      requestAnimationFrame(run);
      // rAF does not fire in background tabs; make sure we draw anyway.
      setTimeout(() => this._scheduled && run(), 200);
    } else {
      setTimeout(run, 0);
    }
  }

  /** Draws synchronously (tests and screenshots call this before reading the DOM). */
  flush() {
    this._scheduled = false;
    this._draw();
  }

  _draw() {
    const c = this.container;
    c.textContent = "";
    if (this.lanes.length === 0) {
      const p = document.createElement("p");
      p.className = "tl-empty";
      p.textContent = this.emptyText;
      c.appendChild(p);
      return;
    }
    const pinned = this.lanes.filter((l) => l.pinned);
    const others = this.lanes.filter((l) => !l.pinned);
    const keep = Math.max(1, this.maxLanes - pinned.length);
    const hiddenCount = Math.max(0, others.length - keep);
    const shown = new Set([...pinned, ...others.slice(-keep)].map((l) => l.id));
    const lanes = this.lanes.filter((l) => shown.has(l.id));
    const items = this.items.filter((i) => i.lane === null || shown.has(i.lane));
    const width = Math.max(480, c.clientWidth || 800);
    const labelW = 150;
    const right = 18;
    const top = 8;
    const laneH = 42;
    const axisH = 26;
    const height = top + lanes.length * laneH + axisH;
    let maxT = this.live ? this.now : 0;
    for (const it of items) maxT = Math.max(maxT, it.t, it.t1 || 0);
    const domain = Math.max(250, maxT * 1.06);
    const plotW = width - labelW - right;
    const x = (t) => labelW + (Math.min(t, domain) / domain) * plotW;
    const laneY = new Map(lanes.map((l, i) => [l.id, top + i * laneH]));

    const svg = el("svg", {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      class: "tl-svg",
      role: "img",
      "aria-label": "delivery timeline",
    });
    const defs = el("defs");
    const hatch = el("pattern", {
      id: "tl-hatch",
      patternUnits: "userSpaceOnUse",
      width: 6,
      height: 6,
      patternTransform: "rotate(45)",
    });
    hatch.appendChild(el("rect", { width: 6, height: 6, fill: "#fde68a" }));
    hatch.appendChild(el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: CATEGORIES.stall.color, "stroke-width": 2 }));
    defs.appendChild(hatch);
    svg.appendChild(defs);

    // Lanes.
    lanes.forEach((l, i) => {
      const y = laneY.get(l.id);
      svg.appendChild(
        el("rect", {
          x: 0,
          y,
          width,
          height: laneH,
          fill: i % 2 ? "#f8fafc" : "#ffffff",
          class: "tl-lane",
          "data-lane": l.id,
        }),
      );
      const label = el("text", { x: 8, y: y + laneH / 2 + 4, class: "tl-lane-label" }, l.label);
      svg.appendChild(label);
      svg.appendChild(el("line", { x1: labelW, y1: y + laneH / 2, x2: width - right, y2: y + laneH / 2, stroke: "#e2e8f0" }));
    });

    // Axis.
    const axisY = top + lanes.length * laneH;
    svg.appendChild(el("line", { x1: labelW, y1: axisY, x2: width - right, y2: axisY, stroke: "#94a3b8" }));
    const step = niceStep(domain, Math.max(2, Math.floor(plotW / 90)));
    for (let t = 0; t <= domain; t += step) {
      const xx = x(t);
      svg.appendChild(el("line", { x1: xx, y1: top, x2: xx, y2: axisY + 4, stroke: "#eef2f7" }));
      svg.appendChild(el("text", { x: xx, y: axisY + 17, class: "tl-tick", "text-anchor": "middle" }, fmtTick(t, step)));
    }

    // Spans below marks.
    for (const it of items.filter((i) => i.kind === "span")) {
      const y = laneY.get(it.lane);
      const g = el("g", { class: "tl-mark", "data-cat": it.cat, "data-lane": it.lane, "data-type": "span" });
      const fill = it.cat === "stall" ? "url(#tl-hatch)" : CATEGORIES[it.cat]?.color || "#999";
      g.appendChild(
        el("rect", {
          x: x(it.t),
          y: y + laneH / 2 - 7,
          width: Math.max(2, x(it.t1) - x(it.t)),
          height: 14,
          fill,
          opacity: it.cat === "stall" ? 0.9 : 0.35,
          rx: 3,
        }),
      );
      if (it.title) g.appendChild(el("title", {}, it.title));
      svg.appendChild(g);
    }

    // Rules (labels skipped where they would overprint the previous one in the same place).
    const ruleLabelX = new Map();
    for (const it of items.filter((i) => i.kind === "rule")) {
      const color = CATEGORIES[it.cat]?.color || "#999";
      const y0 = it.lane ? laneY.get(it.lane) + 2 : top;
      const y1 = it.lane ? laneY.get(it.lane) + laneH - 2 : axisY;
      const g = el("g", { class: "tl-mark", "data-cat": it.cat, "data-lane": it.lane || "*", "data-type": "rule", "data-label": it.label || "" });
      g.appendChild(el("line", { x1: x(it.t), y1: y0, x2: x(it.t), y2: y1, stroke: color, "stroke-width": 2, "stroke-dasharray": "4 3" }));
      const key = it.lane || "*";
      if (it.label && x(it.t) - (ruleLabelX.get(key) ?? -1e9) > 8 * it.label.length + 10) {
        g.appendChild(el("text", { x: x(it.t) + 4, y: y0 + 10, class: "tl-rule-label", fill: color }, it.label));
        ruleLabelX.set(key, x(it.t));
      }
      g.appendChild(el("title", {}, it.title || it.label || it.cat));
      svg.appendChild(g);
    }

    // Marks: events are circles with a glyph; failures are diamonds with a short label.
    const labelled = new Map(); // lane -> last x of a label, to avoid overprinting
    for (const it of items.filter((i) => i.kind === "mark")) {
      const y = laneY.get(it.lane) + laneH / 2;
      const xx = x(it.t);
      const color = CATEGORIES[it.cat]?.color || "#999";
      const g = el("g", { class: "tl-mark", "data-cat": it.cat, "data-lane": it.lane, "data-type": it.type || "" });
      if (it.cat === "event" || it.cat === "recovered" || it.cat === "send") {
        const r = it.cat === "send" ? 5 : 7;
        g.appendChild(
          el("circle", {
            cx: xx,
            cy: y,
            r,
            fill: it.cat === "recovered" ? "#ffffff" : color,
            stroke: color,
            "stroke-width": it.cat === "recovered" ? 2.5 : 1,
          }),
        );
        if (it.glyph) {
          g.appendChild(
            el("text", { x: xx, y: y + 3.5, class: "tl-glyph", "text-anchor": "middle", fill: it.cat === "recovered" ? color : "#fff" }, it.glyph),
          );
        }
      } else {
        // Failures sit a little above the event line so the event under them stays visible.
        const fy = y - 8;
        g.appendChild(
          el("rect", {
            x: xx - 6,
            y: fy - 6,
            width: 12,
            height: 12,
            fill: color,
            stroke: "#fff",
            "stroke-width": 1.5,
            transform: `rotate(45 ${xx} ${fy})`,
          }),
        );
        if (it.label) {
          const last = labelled.get(it.lane) ?? -1e9;
          if (xx - last > 70) {
            const room = width - right - xx;
            const atEnd = room < it.label.length * 6.5 + 10;
            g.appendChild(
              el("text", { x: atEnd ? xx - 8 : xx + 8, y: y + 17, class: "tl-flag", fill: color, "text-anchor": atEnd ? "end" : "start" }, it.label),
            );
            labelled.set(it.lane, xx);
          }
        }
      }
      if (it.title) g.appendChild(el("title", {}, it.title));
      svg.appendChild(g);
    }

    if (this.live && this.now > 0) {
      svg.appendChild(el("line", { x1: x(this.now), y1: top, x2: x(this.now), y2: axisY, stroke: "#94a3b8", "stroke-width": 1, class: "tl-now" }));
    }
    c.appendChild(svg);
    if (hiddenCount > 0) {
      const note = document.createElement("p");
      note.className = "tl-hidden";
      note.textContent = `${hiddenCount} earlier run(s) not shown; the newest ${keep} are.`;
      c.appendChild(note);
    }
  }
}

/** Fills a legend element with the categories and the event glyphs. */
export function renderLegend(container) {
  container.textContent = "";
  const list = document.createElement("ul");
  list.className = "legend";
  for (const [cat, { label, color }] of Object.entries(CATEGORIES)) {
    const li = document.createElement("li");
    li.dataset.cat = cat;
    const sw = document.createElement("span");
    sw.className = `swatch swatch-${["event", "recovered", "send"].includes(cat) ? "dot" : cat === "stall" ? "band" : "diamond"}`;
    sw.style.setProperty("--c", color);
    li.append(sw, document.createTextNode(label));
    list.appendChild(li);
  }
  const glyphs = document.createElement("li");
  glyphs.className = "legend-glyphs";
  glyphs.textContent = GLYPHS.map(([g, t]) => `${g} ${t}`).join(" · ");
  list.appendChild(glyphs);
  container.appendChild(list);
}
