// Page tests of www/index.html, the demo chat (run by run.mjs).

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function connect(page, { dialect, scenario }) {
  if (await page.isEnabled("#disconnect")) await page.click("#disconnect");
  await page.selectOption("#dialect", dialect);
  await page.selectOption("#scenario", scenario);
  await page.click("#connect");
  await page.waitForSelector('#state[data-state="open"]', { timeout: 10000 });
}

async function send(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

const health = (page) =>
  page.$$eval("#health tr", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.field, r.querySelector(".v").textContent])));

export default [
  {
    name: "demo: clean netra run renders a completed run, timeline marks and health",
    async run({ base, page, shot }) {
      await page.goto(base);
      await page.waitForFunction(() => window.demoReady === true);
      const url = await page.textContent("#ws-url");
      assert(url.startsWith("ws://") && url.includes("scenario=clean"), `URL preview ${url}`);
      await connect(page, { dialect: "netra", scenario: "clean" });
      await send(page, "What did we spend on compute last month?");
      await page.waitForSelector(".msg-agent.run-done", { timeout: 10000 });
      await send(page, "And on storage?");
      await page.waitForFunction(() => document.querySelectorAll(".msg-agent.run-done").length === 2, null, { timeout: 10000 });
      const items = await page.$$eval(".msg-agent li", (l) => l.map((x) => x.dataset.type));
      assert(items.filter((t) => t === "agent_completed").length === 2, `events listed: ${items}`);
      const acked = await page.$$eval(".msg-user .meta:not(.turn)", (l) => l.map((x) => x.textContent));
      assert(acked.every((t) => t.includes("acknowledged")), `acks: ${acked}`);
      const marks = await page.$$eval('#timeline .tl-mark[data-cat="event"]', (l) => l.length);
      assert(marks >= 12, `event marks: ${marks}`);
      const lanes = await page.$$eval("#timeline .tl-lane", (l) => l.map((x) => x.dataset.lane));
      assert(lanes.length === 3 && lanes[0] === "connection", `lanes: ${lanes}`);
      await page.waitForTimeout(600);
      const h = await health(page);
      assert(Number(h.delivered) >= 12 && h.duplicates === "0" && h.gaps === "0" && h.state === "open", `health ${JSON.stringify(h)}`);
      const banners = await page.$$eval("#banners .banner", (l) => l.length);
      assert(banners === 0, `${banners} failure banners on a clean run`);
      const turns = await page.$$eval(".msg-user", (l) => l.map((b) => b.dataset.turn));
      assert(turns.length === 2 && turns.every((t) => t === "complete"), `one status per message: ${turns}`);
      await shot("demo-clean");
    },
  },
  {
    name: "demo: drop, duplicate and stall show banners and coloured marks",
    async run({ base, page, shot }) {
      await page.goto(base);
      await page.waitForFunction(() => window.demoReady === true);
      await connect(page, { dialect: "netra", scenario: "drop" });
      await send(page, "drop please");
      await page.waitForSelector('#banners .banner[data-kind="missing_event"]', { timeout: 10000 });
      // The message's own bubble says its turn is incomplete, and why.
      await page.waitForSelector('.msg-user[data-turn="incomplete"][data-kind="missing_event"]', { timeout: 10000 });
      await connect(page, { dialect: "netra", scenario: "duplicate" });
      await send(page, "duplicate please");
      await page.waitForSelector('#banners .banner[data-kind="duplicate"]', { timeout: 10000 });
      await connect(page, { dialect: "netra", scenario: "stall" });
      await send(page, "stall please");
      await page.waitForSelector('#banners .banner[data-kind="run_stalled"]', { timeout: 15000 });
      await page.waitForTimeout(300);
      const cats = await page.$$eval("#timeline .tl-mark", (l) => [...new Set(l.map((m) => m.dataset.cat))]);
      for (const c of ["event", "gap", "duplicate", "stall", "conn"]) assert(cats.includes(c), `no ${c} mark on the timeline (${cats})`);
      const failedRuns = await page.$$eval(".msg-agent.run-failed", (l) => l.length);
      assert(failedRuns >= 2, `failed run cards: ${failedRuns}`);
      const legend = await page.$$eval("#legend li[data-cat]", (l) => l.map((x) => x.dataset.cat));
      assert(legend.length >= 9, `legend: ${legend}`);
      const detail = await page.$eval('#banners .banner[data-kind="missing_event"] p', (p) => p.textContent);
      assert(detail.includes("tool_completed"), `missing_event detail: ${detail}`);
      await shot("demo-faults");
    },
  },
  {
    name: "demo: sequenced abrupt_close reconnects and resumes",
    async run({ base, page, shot }) {
      await page.goto(base);
      await page.waitForFunction(() => window.demoReady === true);
      await connect(page, { dialect: "sequenced", scenario: "abrupt_close" });
      await send(page, "survive a dropped connection");
      await page.waitForFunction(
        () => document.querySelector('#timeline .tl-mark[data-type="rule"][data-label^="resume"]') !== null,
        null,
        { timeout: 15000 },
      );
      await page.waitForSelector(".msg-agent.run-done", { timeout: 10000 });
      await page.waitForTimeout(600);
      const h = await health(page);
      assert(Number(h.reconnects) >= 1, `reconnects ${h.reconnects}`);
      assert(h.dialect === "sequenced", `dialect ${h.dialect}`);
      const banners = await page.$$eval("#banners .banner", (l) => l.map((b) => b.dataset.kind));
      assert(banners.includes("connection_lost"), `banners: ${banners}`);
      await page.click("#disconnect");
      await page.waitForSelector('#state[data-state="closed"]');
      await shot("demo-reconnect");
    },
  },
  {
    name: "demo: a flood of 2000 events stays readable (lanes and cards capped)",
    async run({ base, page, shot }) {
      await page.goto(base);
      await page.waitForFunction(() => window.demoReady === true);
      await connect(page, { dialect: "netra", scenario: "flood" });
      assert((await page.textContent("#ws-url")).includes("count=2000"), "flood URL without count");
      await send(page, "flood me");
      await page.waitForFunction(
        () => document.querySelector('#health tr[data-field="delivered"] .v')?.textContent === "2000",
        null,
        { timeout: 20000 },
      );
      await page.waitForTimeout(400);
      const lanes = await page.$$eval("#timeline .tl-lane", (l) => l.length);
      assert(lanes <= 14, `${lanes} timeline lanes`);
      const note = await page.textContent("#timeline .tl-hidden");
      assert(/earlier run\(s\) not shown/.test(note || ""), `no hidden-lanes note: ${note}`);
      const cards = await page.$$eval(".msg-agent", (l) => l.length);
      assert(cards <= 31, `${cards} run cards in the chat`);
      const banners = await page.$$eval("#banners .banner", (l) => l.length);
      assert(banners === 0, `${banners} failure banners on a clean flood`);
      await shot("demo-flood");
    },
  },
  {
    name: "demo: half_open netra shows heartbeat_timeout, then reconnects",
    async run({ base, page, shot }) {
      await page.goto(base);
      await page.waitForFunction(() => window.demoReady === true);
      await connect(page, { dialect: "netra", scenario: "half_open" });
      await send(page, "are you there?");
      await page.waitForSelector('#banners .banner[data-kind="heartbeat_timeout"]', { timeout: 15000 });
      await page.waitForSelector('#state[data-state="open"]', { timeout: 10000 });
      await page.waitForTimeout(600);
      const cats = await page.$$eval("#timeline .tl-mark", (l) => [...new Set(l.map((m) => m.dataset.cat))]);
      assert(cats.includes("timeout"), `no timeout mark (${cats})`);
      const h = await health(page);
      assert(Number(h.reconnects) >= 1, `reconnects ${h.reconnects}`);
      await shot("demo-half-open");
    },
  },
];
