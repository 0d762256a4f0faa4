//! `cargo xtask bench [--quick] [--flood N]`: the six figures of BENCHMARKS.md.
//!
//! 1. SDK cost per event against the floor in headless Chromium (fed through the transport
//!    seam from memory, and over a real socket with the server's `flood` scenario);
//! 2. the core natively (`cargo bench --bench core`, parsed);
//! 3. the bundle (wasm + JS glue after `wasm-opt -Oz`, gzip -9), what dominates it (from the
//!    wasm name section of an `-Oz` build that keeps names), and the core's share of it (the
//!    core alone, `benches/core-wasm`, built and optimized the same way);
//! 4. wasm linear memory once every table is full (500,000 events) and after 1,000,000;
//! 5. detection latency per failure kind under the server's scenarios;
//! 6. startup: `init()` to an open, handshaken connection.
//!
//! Beside the SDK, the peers of [`crate::peers`] (phoenix, socket.io-client, centrifuge): per
//! event in the same rounds as the SDK and the floor, cold starts to the first frame (the SDK
//! too), and the gzip -9 bytes of the file each loads.
//!
//! The browser half is `tests/bench/bench.html`, driven by `tests/bench/run.mjs`, which prints
//! `BENCH key value` lines. The full mode prints the table and rewrites the part of
//! BENCHMARKS.md between its markers; `--quick` (a few seconds, a step of `cargo xtask test`)
//! runs every measurement small and writes nothing. Nothing here asserts a timing.

use crate::build;
use crate::peers::{self, PEERS};
use crate::server::Server;
use crate::setup;
use crate::util::{self, fail, Res};
use crate::wasm;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const BEGIN: &str = "<!-- bench:begin (written by `cargo xtask bench`; edit outside the markers) -->";
const END: &str = "<!-- bench:end -->";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const GOAL_RATIO: f64 = 0.8;
const GOAL_NS: f64 = 250.0;
const GOAL_BUNDLE: u64 = 23_000;
/// The peer whose per-event ratio the SDK's is to reach (issue 13's goal).
const GOAL_PEER: &str = "socket.io-client";
/// The SDK's cold start is to be within this factor of the fastest peer's (issue 13's goal).
const GOAL_STARTUP_FACTOR: f64 = 1.1;
/// How run.mjs names the SDK among the libraries of the cold starts.
const SDK: &str = "chat-sentinel";

/// Everything one run measured.
struct Figures {
    quick: bool,
    command: String,
    machine: Vec<(&'static str, String)>,
    browser: BTreeMap<String, String>,
    native: Vec<(String, f64)>,
    sizes: Option<build::Sizes>,
    /// The core alone in wasm: raw and gzip -9 bytes.
    core_alone: Option<(u64, Option<u64>)>,
    attribution: Option<Attribution>,
    /// Per peer of [`PEERS`], in order: the raw and gzip -9 bytes of the file its pages load.
    peer_bytes: Vec<(u64, Option<u64>)>,
}

/// `cargo xtask bench [--quick] [--flood N]`: builds, starts the server, measures, prints.
pub fn run(quick: bool, flood: Option<u32>) -> Res<()> {
    setup::run()?;
    let built = build::run(false)?;
    let server = Server::start(0)?;
    let mut command = String::from("cargo xtask bench");
    if quick {
        command.push_str(" --quick");
    }
    if let Some(n) = flood {
        command.push_str(&format!(" --flood {n}"));
    }
    let figures = measure(&server, quick, flood, Some(built.sizes), command)?;
    drop(server);
    print!("{}", table(&figures));
    if !quick {
        write_benchmarks_md(&figures)?;
        println!("bench: wrote BENCHMARKS.md");
    }
    Ok(())
}

/// The quick step of `cargo xtask test`: every measurement, small, against the running server
/// and the pkg/ already built; prints the table, writes nothing, asserts no timing.
pub fn quick(server: &Server) -> Res<()> {
    let pkg = util::root().join("pkg");
    let wasm = pkg.join(format!("{}_bg.wasm", build::OUT_NAME));
    let js = pkg.join(format!("{}.js", build::OUT_NAME));
    // What `cargo xtask build` counts: the wasm, the main module and every snippet it imports.
    let sizes = build::sizes(&wasm, &js, &build::snippets(&pkg)?)?;
    let figures = measure(server, true, None, Some(sizes), "cargo xtask bench --quick".into())?;
    print!("{}", table(&figures));
    Ok(())
}

fn measure(
    server: &Server,
    quick: bool,
    flood: Option<u32>,
    sizes: Option<build::Sizes>,
    command: String,
) -> Res<Figures> {
    // The native figure first, while no browser runs and none has just released its memory.
    let native = native(quick)?;
    let browser = browser(server, quick, flood)?;
    let mut libraries = std::iter::once(SDK).chain(PEERS.iter().map(|p| p.package));
    let measured = |lib: &str| {
        let per_event = lib == SDK || browser.contains_key(&format!("peers.{lib}.ratio"));
        per_event && browser.contains_key(&format!("startup.cold.{lib}.medianMs"))
    };
    if let Some(lib) = libraries.find(|lib| !measured(lib)) {
        return Err(fail!("the browser benchmark did not measure {lib} per event and at a cold start"));
    }
    let peer_bytes = PEERS
        .iter()
        .map(|p| {
            let path = p.path();
            let raw = std::fs::metadata(&path).map_err(|e| fail!("{}: {e}", path.display()))?.len();
            Ok((raw, util::gzip_size(&path)))
        })
        .collect::<Res<_>>()?;
    let attribution = attribution(quick)?;
    let core_alone = Some(core_alone()?);
    Ok(Figures {
        quick,
        command,
        machine: machine(&browser),
        browser,
        native,
        sizes,
        core_alone,
        attribution,
        peer_bytes,
    })
}

fn machine(browser: &BTreeMap<String, String>) -> Vec<(&'static str, String)> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.to_string()))
        .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let version = |program: &str, arg: &str| util::output_of(util::cmd(program).arg(arg)).unwrap_or_default();
    vec![
        ("CPU", cpu),
        ("nproc", nproc.to_string()),
        ("chromium", browser.get("browser").cloned().unwrap_or_default()),
        ("rustc", version("rustc", "-V")),
        ("node", version("node", "-v")),
        ("os", version("uname", "-sr")),
    ]
}

/// Runs the browser page; returns its `BENCH key value` lines.
fn browser(server: &Server, quick: bool, flood: Option<u32>) -> Res<BTreeMap<String, String>> {
    let root = util::root();
    let mut c = util::cmd("node");
    c.arg(root.join("tests").join("bench").join("run.mjs")).arg(server.url());
    if quick {
        c.arg("--quick");
    }
    if let Some(n) = flood {
        c.arg("--flood").arg(n.to_string());
    }
    c.arg("--peers").arg(peers::urls());
    println!("$ {}", util::show(&c));
    let mut child = c.stdout(std::process::Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| fail!("no stdout from run.mjs"))?;
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut map = BTreeMap::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(v) = line.strip_prefix("BENCH_BROWSER ") {
                map.insert("browser".to_string(), v.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("BENCH ") {
                if let Some((k, v)) = rest.split_once(' ') {
                    map.insert(k.to_string(), v.to_string());
                }
            } else if !line.starts_with("BENCH_JSON ") {
                println!("{line}");
            }
        }
        map
    });
    let (status, timed_out) = util::wait_with_timeout(&mut child, BROWSER_TIMEOUT);
    let map = reader.join().map_err(|_| fail!("run.mjs output reader panicked"))?;
    if timed_out || !status.is_some_and(|s| s.success()) {
        let why = map.get("error").cloned().unwrap_or_else(|| "see its output above".into());
        return Err(fail!("the browser benchmark failed: {why}"));
    }
    Ok(map)
}

/// `cargo bench --bench core` with `BENCH_EVENTS`; `(dialect, ns/event)`.
fn native(quick: bool) -> Res<Vec<(String, f64)>> {
    let events = if quick { "20000" } else { "1000000" };
    let mut c = util::cargo();
    c.args(["bench", "-q", "-p", "chat-sentinel", "--bench", "core"]).env("BENCH_EVENTS", events);
    println!("$ BENCH_EVENTS={events} {}", util::show(&c));
    let out = c.output()?;
    if !out.status.success() {
        return Err(fail!("cargo bench --bench core failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let figures = parse_native(&text);
    if figures.is_empty() {
        return Err(fail!("no `core <dialect> N events X ns/event` line in cargo bench's output:\n{text}"));
    }
    Ok(figures)
}

/// `core netra  200000 events  687.3 ns/event  (...)` → `("netra", 687.3)`.
fn parse_native(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() != Some(&"core") {
            continue;
        }
        let Some(i) = words.iter().position(|w| *w == "ns/event") else { continue };
        let (Some(name), Some(ns)) = (words.get(1), i.checked_sub(1).and_then(|j| words.get(j))) else { continue };
        if let Ok(ns) = ns.parse() {
            out.push((name.to_string(), ns));
        }
    }
    out
}

/// Code bytes by function and by module, from a build that keeps the name section.
struct Attribution {
    /// What was measured (the file and how it was made).
    source: String,
    code: u64,
    data: u64,
    total: u64,
    functions: Vec<(String, u64)>,
    modules: Vec<(String, u64)>,
}

/// The core alone (`benches/core-wasm`: `src/core/` behind the smallest wasm-bindgen surface
/// that reaches all of it), built like the bundle (`opt-level = "z"`, no_std, talc; wasm-bindgen,
/// `wasm-opt -Oz`, stripped): its raw and gzip -9 bytes. The same in quick mode, so that the
/// crate keeps building.
fn core_alone() -> Res<(u64, Option<u64>)> {
    let root = util::root();
    let target = util::target_dir().join("core-wasm");
    let mut cargo = util::cargo();
    cargo
        .args(["build", "--release", "--target", setup::WASM_TARGET, "--manifest-path"])
        .arg(root.join("benches").join("core-wasm").join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target);
    util::run(&mut cargo)?;
    let dir = util::target_dir().join("bench").join("core-wasm");
    std::fs::create_dir_all(&dir)?;
    util::run(
        util::cmd(util::tools_bin().join("wasm-bindgen"))
            .args(["--target", "web", "--out-dir"])
            .arg(&dir)
            .arg(target.join(setup::WASM_TARGET).join("release").join("core_wasm.wasm")),
    )?;
    let (bg, opt) = (dir.join("core_wasm_bg.wasm"), dir.join("core_wasm.wasm"));
    util::run(
        util::cmd(setup::wasm_opt_path())
            .arg(&bg)
            .arg("-o")
            .arg(&opt)
            .args(build::WASM_OPT)
            .args(build::WASM_FEATURES)
            .args(["--strip-debug", "--strip-producers"]),
    )?;
    Ok((std::fs::metadata(&opt)?.len(), util::gzip_size(&opt)))
}

/// Full mode: wasm-bindgen + `wasm-opt -Oz -g` of the release build (names kept, otherwise the
/// shipped code). Quick: the cargo output as is.
fn attribution(quick: bool) -> Res<Option<Attribution>> {
    let input = util::target_dir().join(setup::WASM_TARGET).join("release").join(format!("{}.wasm", build::OUT_NAME));
    if !input.is_file() {
        println!("bench: no {} (run cargo xtask build); no size attribution", input.display());
        return Ok(None);
    }
    // wasm-bindgen demangles the names (cargo's output has them mangled).
    let dir = util::target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    util::run(
        util::cmd(util::tools_bin().join("wasm-bindgen"))
            .args(["--target", "web", "--out-dir"])
            .arg(&dir)
            .args(["--out-name", build::OUT_NAME])
            .arg(&input),
    )?;
    let bg = dir.join(format!("{}_bg.wasm", build::OUT_NAME));
    let (file, source) = if quick {
        (bg, "the release build after wasm-bindgen, before wasm-opt".to_string())
    } else {
        let named = dir.join("named.wasm");
        let mut opt = util::cmd(setup::wasm_opt_path());
        opt.arg(&bg).arg("-o").arg(&named).args(build::WASM_OPT).arg("-g").args(build::WASM_FEATURES);
        util::run(&mut opt)?;
        (named, "the shipped build (wasm-bindgen, wasm-opt -Oz) with its name section kept".to_string())
    };
    let bytes = std::fs::read(&file)?;
    Ok(Some(attribute(&bytes, source).map_err(|e| fail!("cannot read {}: {e}", file.display()))?))
}

fn limits(bytes: &[u8], pos: &mut usize) -> Result<(), String> {
    let flags = *bytes.get(*pos).ok_or("truncated limits")?;
    *pos += 1;
    wasm::leb(bytes, pos)?;
    if flags & 1 != 0 {
        wasm::leb(bytes, pos)?;
    }
    Ok(())
}

/// Reads the import, code, data and name sections: code bytes per function, grouped.
fn attribute(bytes: &[u8], source: String) -> Result<Attribution, String> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err("not a wasm module".into());
    }
    let mut pos = 8;
    let mut imported = 0u64;
    let mut bodies: Vec<u64> = Vec::new();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut data = 0u64;
    while pos < bytes.len() {
        let id = *bytes.get(pos).ok_or("truncated section")?;
        pos += 1;
        let size = wasm::leb(bytes, &mut pos)? as usize;
        let end = pos + size;
        let section = bytes.get(pos..end).ok_or("truncated section body")?;
        let mut p = 0;
        match id {
            2 => {
                for _ in 0..wasm::leb(section, &mut p)? {
                    wasm::read_name(section, &mut p)?;
                    wasm::read_name(section, &mut p)?;
                    let kind = *section.get(p).ok_or("truncated import")?;
                    p += 1;
                    match kind {
                        0 => {
                            wasm::leb(section, &mut p)?;
                            imported += 1;
                        }
                        1 => {
                            p += 1;
                            limits(section, &mut p)?;
                        }
                        2 => limits(section, &mut p)?,
                        3 => p += 2,
                        4 => {
                            p += 1;
                            wasm::leb(section, &mut p)?;
                        }
                        _ => return Err("unknown import kind".into()),
                    }
                }
            }
            10 => {
                for _ in 0..wasm::leb(section, &mut p)? {
                    let body = wasm::leb(section, &mut p)?;
                    p += body as usize;
                    bodies.push(body);
                }
            }
            11 => data = size as u64,
            0 if wasm::read_name(section, &mut p)? == "name" => {
                while p < section.len() {
                    let sub = *section.get(p).ok_or("truncated name section")?;
                    p += 1;
                    let len = wasm::leb(section, &mut p)? as usize;
                    let next = p + len;
                    if sub == 1 {
                        for _ in 0..wasm::leb(section, &mut p)? {
                            let index = wasm::leb(section, &mut p)?;
                            names.insert(index, wasm::read_name(section, &mut p)?.to_string());
                        }
                    }
                    p = next;
                }
            }
            _ => {}
        }
        pos = end;
    }
    let mut functions: Vec<(String, u64)> = bodies
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            let index = imported + i as u64;
            let n = names.get(&index).map_or_else(|| format!("func[{index}]"), |n| clean(n));
            (n, size)
        })
        .collect();
    let mut modules: BTreeMap<String, u64> = BTreeMap::new();
    for (n, size) in &functions {
        *modules.entry(module_of(n)).or_default() += size;
    }
    let mut modules: Vec<(String, u64)> = modules.into_iter().collect();
    modules.sort_by_key(|m| std::cmp::Reverse(m.1));
    functions.sort_by_key(|f| std::cmp::Reverse(f.1));
    let code = bodies.iter().sum();
    Ok(Attribution { source, code, data, total: bytes.len() as u64, functions, modules })
}

/// Drops the `::h0123…` hash and `[0123…]` crate disambiguators.
fn clean(name: &str) -> String {
    let mut s = name.to_string();
    if let Some(i) = s.rfind("::h") {
        if s.len() - i == 19 && s.get(i + 3..).is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) {
            s.truncate(i);
        }
    }
    while let Some(start) = s.find('[') {
        match s.get(start..).and_then(|rest| rest.find(']')) {
            Some(len) if s.get(start + 1..start + len).is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) => {
                s.replace_range(start..start + len + 1, "");
            }
            _ => break,
        }
    }
    s
}

/// `chat_sentinel::core::json::…` → `chat_sentinel::core::json`; `core::fmt::…` → `core::fmt`;
/// `dlmalloc::…` → `dlmalloc`; `<T as core::fmt::Debug>::fmt` → its trait's module.
fn module_of(name: &str) -> String {
    let path = match name.strip_prefix('<') {
        Some(rest) => match rest.split_once(" as ") {
            Some((ty, tr)) if ty.contains("::") && !tr.starts_with("core::") && !tr.starts_with("alloc::") => ty,
            Some((_, tr)) => tr,
            None => rest,
        },
        None => name,
    };
    let segments: Vec<&str> = path.split("::").map(|s| s.trim_start_matches('<')).collect();
    let depth = match segments.first().copied() {
        Some("chat_sentinel") => 3,
        Some("core" | "alloc" | "std" | "wasm_bindgen" | "js_sys") => 2,
        _ => 1,
    };
    let keep: Vec<&str> =
        segments.iter().take(depth).map(|s| s.split(['<', '>', ' ', '(', '{']).next().unwrap_or("")).collect();
    if keep.first().is_none_or(|s| s.is_empty()) || name.starts_with("func[") {
        "(unnamed)".to_string()
    } else {
        keep.join("::")
    }
}

fn num(map: &BTreeMap<String, String>, key: &str) -> Option<f64> {
    map.get(key).and_then(|v| v.parse().ok())
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "n/a",
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.0} KiB", bytes / 1024.0)
}

/// The results table (markdown), then the bundle attribution.
fn table(f: &Figures) -> String {
    let b = &f.browser;
    let mut rows: Vec<[String; 4]> = Vec::new();
    for d in ["netra", "sequenced"] {
        let (sdk, floor, ratio, events, bytes) = (
            num(b, &format!("floor.{d}.sdkEps")),
            num(b, &format!("floor.{d}.floorEps")),
            num(b, &format!("floor.{d}.ratio")),
            num(b, &format!("floor.{d}.events")).unwrap_or(0.0),
            num(b, &format!("floor.{d}.bytes")).unwrap_or(0.0),
        );
        rows.push([
            format!("1. SDK/floor, from memory, {d} ({events:.0} events, avg {bytes:.0} B)"),
            format!(
                "**{:.3}** (SDK {:.0} ev/s = {:.0} ns/ev; floor {:.0} ev/s = {:.0} ns/ev)",
                ratio.unwrap_or(0.0),
                sdk.unwrap_or(0.0),
                1e9 / sdk.unwrap_or(f64::INFINITY),
                floor.unwrap_or(0.0),
                1e9 / floor.unwrap_or(f64::INFINITY)
            ),
            format!("≥ {GOAL_RATIO}"),
            verdict(ratio.map(|r| r >= GOAL_RATIO)).into(),
        ]);
    }
    for d in ["netra", "sequenced"] {
        let (copy, body, ceiling) = (
            num(b, &format!("floor.{d}.copyNs")).unwrap_or(0.0),
            num(b, &format!("floor.{d}.bodyNs")).unwrap_or(0.0),
            num(b, &format!("floor.{d}.ceiling")).unwrap_or(0.0),
        );
        rows.push([
            format!("1. the design's bound, {d}: floor / (frame → wasm copy + `JSON.parse` of the body)"),
            format!("**{ceiling:.3}** (copy {copy:.0} ns + body parse {body:.0} ns per event)"),
            "reported".into(),
            "n/a".into(),
        ]);
    }
    for d in ["netra", "sequenced"] {
        let (sdk, bare, ratio, events) = (
            num(b, &format!("socket.{d}.sdkEps")).unwrap_or(0.0),
            num(b, &format!("socket.{d}.bareEps")).unwrap_or(0.0),
            num(b, &format!("socket.{d}.ratio")),
            num(b, &format!("socket.{d}.events")).unwrap_or(0.0),
        );
        rows.push([
            format!("1. SDK/bare onmessage, real socket (`flood`), {d} ({events:.0} events)"),
            format!("**{:.3}** (SDK {sdk:.0} ev/s; bare {bare:.0} ev/s)", ratio.unwrap_or(0.0)),
            "reported".into(),
            "n/a".into(),
        ]);
    }
    rows.extend(per_event_goal(b));
    for (d, ns) in &f.native {
        rows.push([
            format!("2. core natively, {d}, parse included"),
            format!("**{ns:.1} ns/event**"),
            format!("≤ {GOAL_NS} ns"),
            verdict(Some(*ns <= GOAL_NS)).into(),
        ]);
    }
    if let Some(s) = f.sizes {
        let total = s.wasm_gz.zip(s.js_gz).map(|(a, b)| a + b);
        rows.push([
            "3. bundle: wasm + JS (glue and snippets), wasm-opt -Oz, terser, gzip -9".into(),
            format!(
                "**{} B** (wasm {} B gz / {} B raw; JS {} B gz / {} B raw)",
                total.map_or("n/a".into(), |t| t.to_string()),
                s.wasm_gz.unwrap_or(0),
                s.wasm_raw,
                s.js_gz.unwrap_or(0),
                s.js_raw
            ),
            format!("≤ {GOAL_BUNDLE} B"),
            verdict(total.map(|t| t <= GOAL_BUNDLE)).into(),
        ]);
    }
    if let Some((raw, gz)) = f.core_alone {
        rows.push([
            "3. of which the core: `src/core/` alone in wasm (`benches/core-wasm`), built the same way".into(),
            format!("**{} B** gz ({raw} B raw)", gz.map_or("n/a".into(), |g| g.to_string())),
            "reported".into(),
            "n/a".into(),
        ]);
    }
    for d in ["netra", "sequenced"] {
        let get = |k: &str| num(b, &format!("memory.{d}.{k}")).unwrap_or(0.0);
        let (small, large) = (get("afterSmall"), get("afterLarge"));
        rows.push([
            format!(
                "4. wasm memory, {d}: start / {:.0} events / {:.0} events ({:.0} runs)",
                get("small"),
                get("large"),
                get("runs")
            ),
            format!("{} / {} / **{}**", kib(get("before")), kib(small), kib(large)),
            "no growth past the caps".into(),
            verdict(Some(large <= small)).into(),
        ]);
    }
    let kinds: Vec<String> = b
        .keys()
        .filter_map(|k| k.strip_prefix("latency.").and_then(|k| k.strip_suffix(".boundMs")).map(str::to_string))
        .collect();
    for kind in kinds {
        let get = |k: &str| b.get(&format!("latency.{kind}.{k}")).cloned().unwrap_or_default();
        let latency = num(b, &format!("latency.{kind}.latencyMs"));
        let bound = num(b, &format!("latency.{kind}.boundMs")).unwrap_or(0.0);
        rows.push([
            format!("5. `{kind}` latency ({} `{}`; from the {})", get("dialect"), get("scenario"), get("faultText")),
            latency.map_or("not reported".into(), |l| format!("**{l:.0} ms**")),
            format!("≤ {bound:.0} ms ({})", get("boundText")),
            verdict(Some(latency.is_some_and(|l| l <= bound))).into(),
        ]);
    }
    if let (Some(init), Some(connect), Some(bare)) =
        (num(b, "startup.initMs"), num(b, "startup.connectMs"), num(b, "startup.bareConnectMs"))
    {
        rows.push([
            "6. startup: init() → open, handshaken connection (loopback)".into(),
            format!(
                "**{:.1} ms** (init {init:.1} ms + connect {connect:.1} ms; bare WebSocket {bare:.1} ms)",
                init + connect
            ),
            "reported".into(),
            "n/a".into(),
        ]);
    }
    rows.extend(cold_start_goal(b));
    rows.extend(hinted_cold_start(b));
    let mut out = String::new();
    out.push_str(&format!(
        "\n{} — `{}`\n\n",
        if f.quick { "Quick run (small counts; figures not meaningful)" } else { "Results" },
        f.command
    ));
    out.push_str("| machine | |\n|---|---|\n");
    for (k, v) in &f.machine {
        out.push_str(&format!("| {k} | {v} |\n"));
    }
    out.push_str("\n| figure | measured | goal | |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!("| {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3]));
    }
    out.push_str(&peers_table(f));
    if let Some(a) = &f.attribution {
        out.push_str(&format!(
            "\nWhat the wasm is made of ({}): {} B in all, {} B of code, {} B of data.\n\n",
            a.source, a.total, a.code, a.data
        ));
        out.push_str("| module | code bytes | | function | code bytes |\n|---|---:|---|---|---:|\n");
        for i in 0..12 {
            let m = a.modules.get(i).map_or((String::new(), String::new()), |(n, s)| (format!("`{n}`"), s.to_string()));
            let g =
                a.functions.get(i).map_or((String::new(), String::new()), |(n, s)| (format!("`{n}`"), s.to_string()));
            out.push_str(&format!("| {} | {} | | {} | {} |\n", m.0, m.1, truncate(&g.0, 90), g.1));
        }
    }
    out
}

/// Figure 1 against the peers: the SDK's floor ÷ SDK against [`GOAL_PEER`]'s floor ÷ peer,
/// both from the same rounds.
fn per_event_goal(b: &BTreeMap<String, String>) -> Option<[String; 4]> {
    let (sdk, peer) = (num(b, "floor.netra.ratio")?, num(b, &format!("peers.{GOAL_PEER}.ratio"))?);
    Some([
        format!("1. per event against the peers, netra from memory: SDK's floor ÷ SDK over {GOAL_PEER}'s"),
        format!("**{:.2}×** (SDK {sdk:.3}; {GOAL_PEER} {peer:.3})", sdk / peer),
        format!("≥ 1× (at or ahead of {GOAL_PEER})"),
        verdict(Some(sdk >= peer)).into(),
    ])
}

/// The peer with the smallest cold-start figure `name` (`startup.cold.<peer>.<name>`), and it.
fn fastest_peer(b: &BTreeMap<String, String>, name: &str) -> Option<(&'static str, f64)> {
    let figure = |lib: &str| num(b, &format!("startup.cold.{lib}.{name}"));
    PEERS.iter().filter_map(|p| figure(p.package).map(|ms| (p.package, ms))).min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Figure 6 against the peers: the SDK's median cold start over the fastest peer's.
fn cold_start_goal(b: &BTreeMap<String, String>) -> Option<[String; 4]> {
    let sdk = num(b, &format!("startup.cold.{SDK}.medianMs"))?;
    let (fastest, ms) = fastest_peer(b, "medianMs")?;
    Some([
        "6. cold start to the first frame (loopback), against the fastest peer's".into(),
        format!("**{:.2}×** (SDK {sdk:.1} ms; {fastest} {ms:.1} ms)", sdk / ms),
        format!("≤ {GOAL_STARTUP_FACTOR}×"),
        verdict(Some(sdk <= GOAL_STARTUP_FACTOR * ms)).into(),
    ])
}

/// Figure 6 with each library's files preloaded by hints in the page's `<head>` (ours: the
/// package README's two; a peer: one for its file), so that its bytes are here before the
/// import begins: the SDK's median cold start over the fastest peer's, so preloaded, and the
/// SDK's without the hints. Reported only: the goal is the row without hints.
fn hinted_cold_start(b: &BTreeMap<String, String>) -> Option<[String; 4]> {
    let sdk = num(b, &format!("startup.cold.{SDK}.hintedMs"))?;
    let plain = num(b, &format!("startup.cold.{SDK}.medianMs"))?;
    let (fastest, ms) = fastest_peer(b, "hintedMs")?;
    Some([
        "6. cold start with each library's files preloaded by hints in the page's `<head>` (ours: the package \
         README's two), against the fastest peer's so preloaded"
            .into(),
        format!("**{:.2}×** (SDK {sdk:.1} ms, without the hints {plain:.1} ms; {fastest} {ms:.1} ms)", sdk / ms),
        "reported".into(),
        "n/a".into(),
    ])
}

/// The SDK and each peer side by side: per event, cold start, bytes.
fn peers_table(f: &Figures) -> String {
    let b = &f.browser;
    let get = |key: &str| num(b, key).unwrap_or(0.0);
    let cold = |lib: &str| {
        let phase = |name: &str| num(b, &format!("startup.cold.{lib}.{name}"));
        let Some(ms) = phase("medianMs") else { return "n/a".to_string() };
        let module = phase("moduleMs").map_or_else(String::new, |m| format!("module {m:.1} ms, "));
        let ready = phase("readyMs").map_or_else(String::new, |r| format!(" ({module}ready {r:.1} ms)"));
        format!("{ms:.1} ms{ready}")
    };
    let per_event = |ratio: f64, ns: f64| format!("**{ratio:.3}** ({ns:.0} ns/event)");
    let mut out = format!(
        "\nBeside the peers, in the same run: per event, floor ÷ library over the netra frames of figure 1 \
         ({:.0} events, floor {:.0} ns/event), each in the library's own envelope, from memory; the cold \
         start, from `import` to the first frame on loopback, median of {:.0} fresh browser contexts, \
         and in brackets the median time at which the library could make a client (ours: its JavaScript \
         module imported, then its wasm instantiated; a peer: its file loaded); the bytes, gzip -9 of \
         what the page loads.\n\n",
        get("peers.events"),
        get("floor.netra.floorNs"),
        get(&format!("startup.cold.{SDK}.loads")),
    );
    out.push_str(
        "| library | file loaded | per event: floor ÷ library | cold start | gzip -9 |\n|---|---|---|---|---|\n",
    );
    let sdk_bytes =
        f.sizes.and_then(|s| s.wasm_gz.zip(s.js_gz)).map_or_else(|| "n/a".into(), |(w, j)| format!("{} B", w + j));
    out.push_str(&format!(
        "| **{SDK}** (this commit) | `pkg/` (wasm and JS) | {} | {} | {sdk_bytes} |\n",
        per_event(get("floor.netra.ratio"), get("floor.netra.sdkNs")),
        cold(SDK)
    ));
    for (p, (raw, gz)) in PEERS.iter().zip(&f.peer_bytes) {
        let key = |k: &str| format!("peers.{}.{k}", p.package);
        out.push_str(&format!(
            "| {}@{} | `{}` | {} | {} | {} ({raw} B raw) |\n",
            p.package,
            p.version,
            p.file,
            per_event(get(&key("ratio")), get(&key("ns"))),
            cold(p.package),
            gz.map_or_else(|| "n/a".into(), |g| format!("{g} B")),
        ));
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 2).collect();
        t.push_str("…`");
        t
    }
}

/// Replaces what is between the markers of BENCHMARKS.md (the file is created if missing).
fn write_benchmarks_md(f: &Figures) -> Res<()> {
    let path = util::root().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| format!("# Benchmarks\n\n{BEGIN}\n{END}\n"));
    let block = format!("{BEGIN}\n{}\n{END}", table(f));
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{block}{}", &old[..a], &old[b + END.len()..]),
        _ => format!("{old}\n{block}\n"),
    };
    write(&path, &new)
}

fn write(path: &Path, text: &str) -> Res<()> {
    std::fs::write(path, text).map_err(|e| fail!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_native_lines() {
        let text =
            "core netra        200000 events    687.3 ns/event  (avg frame 314 B, delivered 200000, failures 0)\n\
                    core sequenced    200000 events    708.8 ns/event  (avg frame 387 B)\nnoise\n";
        assert_eq!(parse_native(text), vec![("netra".to_string(), 687.3), ("sequenced".to_string(), 708.8)]);
    }

    /// `BENCH` lines as run.mjs prints them, for the peers' figures.
    fn peer_lines() -> BTreeMap<String, String> {
        let mut b: BTreeMap<String, String> = [
            ("floor.netra.ratio", "0.3"),
            ("floor.netra.sdkNs", "3000"),
            ("floor.netra.floorNs", "900"),
            ("peers.events", "5000"),
            ("startup.cold.chat-sentinel.medianMs", "60"),
            ("startup.cold.chat-sentinel.loads", "2"),
            ("startup.cold.chat-sentinel.moduleMs", "20"),
            ("startup.cold.chat-sentinel.readyMs", "45"),
            ("startup.cold.chat-sentinel.hintedMs", "36"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (i, p) in PEERS.iter().enumerate() {
            b.insert(format!("peers.{}.ratio", p.package), format!("0.{}", i + 2));
            b.insert(format!("peers.{}.ns", p.package), "1000".into());
            b.insert(format!("startup.cold.{}.medianMs", p.package), format!("{}", 50 + 10 * i));
            b.insert(format!("startup.cold.{}.hintedMs", p.package), format!("{}", 50 - 10 * i));
        }
        b
    }

    #[test]
    fn goals_against_the_peers() {
        let b = peer_lines();
        let cold = cold_start_goal(&b).unwrap_or_else(|| panic!("no cold start row"));
        assert_eq!(cold[1], format!("**1.20×** (SDK 60.0 ms; {} 50.0 ms)", PEERS[0].package));
        assert_eq!(cold[3], "**missed**");
        let event = per_event_goal(&b).unwrap_or_else(|| panic!("no per-event row"));
        assert!(event[1].contains(&format!("{GOAL_PEER} 0.")), "{}", event[1]);
        assert!(cold_start_goal(&BTreeMap::new()).is_none());
        let hinted = hinted_cold_start(&b).unwrap_or_else(|| panic!("no hinted cold start row"));
        let last = PEERS.len() - 1;
        let fastest = format!("{} {}.0 ms", PEERS[last].package, 50 - 10 * last);
        assert_eq!(hinted[1], format!("**1.20×** (SDK 36.0 ms, without the hints 60.0 ms; {fastest})"));
        assert!(hinted_cold_start(&BTreeMap::new()).is_none());
    }

    #[test]
    fn side_by_side_has_a_row_per_library() {
        let figures = Figures {
            quick: true,
            command: String::new(),
            machine: Vec::new(),
            browser: peer_lines(),
            native: Vec::new(),
            sizes: None,
            core_alone: None,
            attribution: None,
            peer_bytes: PEERS.iter().map(|_| (100, Some(40))).collect(),
        };
        let table = peers_table(&figures);
        assert!(table.contains(
            "| **chat-sentinel** (this commit) | `pkg/` (wasm and JS) | **0.300** (3000 ns/event) | 60.0 ms (module 20.0 ms, ready 45.0 ms) | n/a |"
        ));
        for p in &PEERS {
            assert!(table.contains(&format!("| {}@{} | `{}` |", p.package, p.version, p.file)), "{table}");
        }
        assert!(table.contains("| 40 B (100 B raw) |"));
    }

    #[test]
    fn groups_function_names() {
        assert_eq!(
            clean("chat_sentinel::core::json::Scanner::string::h314b44af9f456b0d"),
            "chat_sentinel::core::json::Scanner::string"
        );
        assert_eq!(module_of("chat_sentinel::core::json::Scanner::string"), "chat_sentinel::core::json");
        assert_eq!(module_of(&clean("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<A>>::malloc")), "dlmalloc");
        assert_eq!(module_of("core::fmt::write"), "core::fmt");
        assert_eq!(module_of("<alloc::string::String as core::fmt::Write>::write_str"), "core::fmt");
        assert_eq!(module_of("func[12]"), "(unnamed)");
    }

    #[test]
    fn reads_a_tiny_module() {
        // magic, version, one import (func), one code body of 2 bytes, names.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([2, 7, 1, 1, b'm', 1, b'f', 0, 0]);
        m.extend([10, 4, 1, 2, 0, 0x0b]);
        let names = [4, b'n', b'a', b'm', b'e', 1, 5, 1, 1, 2, b'h', b'i'];
        m.push(0);
        m.push(names.len() as u8);
        m.extend(names);
        let a = attribute(&m, String::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.functions, vec![("hi".to_string(), 2)]);
        assert_eq!(a.code, 2);
    }
}
