//! `cargo xtask test`: the one command CI runs (`.ci/run`).
//!
//! 1. setup (all tools)
//! 2. native tests: `cargo test --workspace`, then the simulation for 20,000 seeds in release
//! 3. fuzz smoke: each cargo-fuzz target for `fuzz::SMOKE_SECONDS` (see `fuzz`)
//! 4. build (release, into pkg/), its size against `build::SIZE_BUDGET`, its types compiled by TypeScript (`tests/types`), and the
//!    package in plain Node.js (`tests/node`)
//! 5. start the reference server on a free port (stopped at the end, whatever happens)
//! 6. browser wasm tests: `cargo test -p chat-sentinel --target wasm32-unknown-unknown --tests`,
//!    with `CHAT_SENTINEL_SERVER=127.0.0.1:PORT` (read by the tests at compile time)
//! 7. JS page tests: `node tests/js/run.mjs <url of each tests/js/*.test.html>`, then the
//!    fixture apps (`tests/fixtures`, see `fixtures`)
//! 8. page tests, the check matrix and a quick bench
//! 9. network faults: `node tests/net/faults.mjs` (root only; skipped with the reason
//!    elsewhere, see `net`)
//!
//! Then a summary of every step and the summed test counts; non-zero exit if any step failed.

use crate::build;
use crate::server::Server;
use crate::setup::{self, WASM_TARGET};
use crate::util::{self, fail, Counts, Res};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const NATIVE_TIMEOUT: Duration = Duration::from_secs(40 * 60);
const WASM_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const JS_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Per test binary, for wasm-bindgen-test-runner (its default, 20 s, is too short).
const WASM_BINDGEN_TEST_TIMEOUT: &str = "300";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

struct Step {
    name: &'static str,
    outcome: Outcome,
    note: String,
    secs: u64,
}

#[derive(Default)]
struct Report {
    steps: Vec<Step>,
    counts: Counts,
}

impl Report {
    /// Records a step's outcome; the test counts it saw are added even when it failed.
    fn record(&mut self, name: &'static str, started: Instant, (counts, result): Tested) -> bool {
        let secs = started.elapsed().as_secs();
        self.counts.add(counts);
        let (outcome, note) = match result {
            Ok(()) => (Outcome::Pass, String::new()),
            Err(e) => (Outcome::Fail, e.0),
        };
        println!(
            "\n=== {name}: {} ({secs}s){}\n",
            if outcome == Outcome::Pass { "PASS" } else { "FAIL" },
            if note.is_empty() { String::new() } else { format!(": {note}") }
        );
        self.steps.push(Step { name, outcome, note, secs });
        outcome == Outcome::Pass
    }

    fn skip(&mut self, name: &'static str, why: &str) {
        self.steps.push(Step { name, outcome: Outcome::Skip, note: why.to_string(), secs: 0 });
    }

    fn failed(&self) -> bool {
        self.steps.iter().any(|s| s.outcome != Outcome::Pass)
    }

    /// The summary of `command` (`"test"`, `"fixtures"`).
    fn print(&self, command: &str, total: Duration) {
        println!("\n=== cargo xtask {command}: summary ({}s)", total.as_secs());
        for s in &self.steps {
            let tag = match s.outcome {
                Outcome::Pass => "PASS",
                Outcome::Fail => "FAIL",
                Outcome::Skip => "SKIP",
            };
            let note = if s.note.is_empty() { String::new() } else { format!(" - {}", s.note) };
            println!("  {tag}  {:<28} {:>5}s{note}", s.name, s.secs);
        }
        let bad = self.steps.iter().filter(|s| s.outcome != Outcome::Pass).count();
        println!(
            "  {}",
            if bad == 0 { "all steps passed".to_string() } else { format!("{bad} step(s) failed or were skipped") }
        );
        println!("tests: {} passed, {} failed", self.counts.passed, self.counts.failed);
    }
}

pub fn run() -> Res<()> {
    let started = Instant::now();
    let mut report = Report::default();
    run_steps(&mut report);
    report.print("test", started.elapsed());
    if report.failed() {
        Err(fail!("some steps failed (see the summary above)"))
    } else {
        Ok(())
    }
}

/// The steps that need the built package and a running server, in order.
const SERVER_STEPS: [&str; 7] = [
    "browser wasm tests",
    "JS page tests",
    "fixture apps",
    "page tests",
    "check matrix",
    "quick bench",
    "network faults",
];

fn run_steps(report: &mut Report) {
    let t = Instant::now();
    if !report.record("setup", t, untested(setup::run())) {
        let later =
            ["native tests", "long simulation", "fuzz smoke", "build", "size budget", "types", "node", "server"];
        for name in later.into_iter().chain(SERVER_STEPS) {
            report.skip(name, "setup failed");
        }
        return;
    }

    let t = Instant::now();
    report.record("native tests", t, native_tests());
    let t = Instant::now();
    report.record("long simulation", t, long_simulation());

    let t = Instant::now();
    report.record("fuzz smoke", t, untested(crate::fuzz::run(crate::fuzz::SMOKE_SECONDS)));

    let t = Instant::now();
    let built = build::run(false);
    let sizes = built.as_ref().map(|b| b.sizes).ok();
    if !report.record("build", t, untested(built.map(|_| ()))) {
        for name in ["size budget", "types", "node", "server"].into_iter().chain(SERVER_STEPS) {
            report.skip(name, "build failed");
        }
        return;
    }
    if let Some(sizes) = sizes {
        report.record("size budget", Instant::now(), checked(build::check_budget(&sizes)));
    }

    let t = Instant::now();
    report.record("types", t, type_check());
    let t = Instant::now();
    report.record("node", t, node_tests());

    let t = Instant::now();
    let server = match Server::start(0) {
        Ok(server) => {
            report.record("server", t, untested(Ok(())));
            server
        }
        Err(e) => {
            report.record("server", t, untested(Err(e)));
            for name in SERVER_STEPS {
                report.skip(name, "the server did not start");
            }
            return;
        }
    };

    let t = Instant::now();
    report.record("browser wasm tests", t, wasm_tests(&server));

    let t = Instant::now();
    report.record("JS page tests", t, js_tests(&server));
    let t = Instant::now();
    report.record("fixture apps", t, crate::fixtures::run(&server, None));

    let t = Instant::now();
    report.record("page tests", t, crate::check::page_tests(&server));
    let t = Instant::now();
    report.record("check matrix", t, crate::check::matrix(&server));
    let t = Instant::now();
    report.record("quick bench", t, untested(crate::bench::quick(&server)));
    let t = Instant::now();
    match crate::net::unavailable() {
        Some(why) => report.skip("network faults", &why),
        None => {
            report.record("network faults", t, net_faults());
        }
    }

    // Stops the server now, before the summary (Drop also covers panics and early returns).
    drop(server);
}

/// `cargo xtask fixtures [--only NAME]`: the "fixture apps" step alone (after a release build,
/// against a reference server of its own), with its summary.
pub fn fixtures(only: Option<&str>) -> Res<()> {
    let started = Instant::now();
    build::run(false)?;
    let server = Server::start(0)?;
    let mut report = Report::default();
    report.record("fixture apps", Instant::now(), crate::fixtures::run(&server, only));
    drop(server);
    report.print("fixtures", started.elapsed());
    if report.failed() {
        Err(fail!("some fixture apps failed (see above)"))
    } else {
        Ok(())
    }
}

/// The package's `.d.ts` compiled by TypeScript (`tsc --noEmit`, strict, `skipLibCheck: false`)
/// with `tests/types/usage.ts`, once per `tests/types/tsconfig.*.json` (one per `lib`).
fn type_check() -> Tested {
    let dir = util::root().join("tests").join("types");
    let mut configs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("tsconfig.")))
            .collect(),
        Err(e) => return untested(Err(fail!("{}: {e}", dir.display()))),
    };
    configs.sort();
    let mut counts = Counts::default();
    for config in &configs {
        let mut c = util::cmd("node");
        c.arg(setup::tsc_path()).arg("-p").arg(config);
        let ok = util::run(&mut c).is_ok();
        println!("types: {} {}", if ok { "ok" } else { "FAILED" }, config.display());
        if ok {
            counts.passed += 1;
        } else {
            counts.failed += 1;
        }
    }
    let result = if counts.failed == 0 && counts.passed > 0 {
        Ok(())
    } else {
        Err(fail!("{} of {} type checks failed", counts.failed, configs.len()))
    };
    (counts, result)
}

/// The package in plain Node.js: `node tests/node/esm.mjs pkg` (`initSync`, no WebSocket, a
/// scripted transport).
fn node_tests() -> Tested {
    let root = util::root();
    let mut c = util::cmd("node");
    c.arg(root.join("tests").join("node").join("esm.mjs")).arg(root.join("pkg"));
    step_result(util::run_step(&mut c, JS_TIMEOUT), "node tests/node/esm.mjs")
}

/// The network faults (see `net`): their own server, in a namespace.
fn net_faults() -> Tested {
    match crate::net::command() {
        Ok(mut c) => step_result(util::run_step(&mut c, crate::net::TIMEOUT), "node tests/net/faults.mjs"),
        Err(e) => untested(Err(e)),
    }
}

/// Test counts seen by a step, and whether it passed.
type Tested = (Counts, Res<()>);

fn untested(result: Res<()>) -> Tested {
    (Counts::default(), result)
}

/// A step that is one test of its own.
fn checked(result: Res<()>) -> Tested {
    let counts = if result.is_ok() { Counts { passed: 1, failed: 0 } } else { Counts { passed: 0, failed: 1 } };
    (counts, result)
}

fn step_result(run: util::StepRun, what: &str) -> Tested {
    let result = if run.ok {
        Ok(())
    } else {
        let counts =
            if run.counts.failed > 0 { format!(" ({} test(s) failed)", run.counts.failed) } else { String::new() };
        Err(fail!("{what} failed: {}{counts}", run.note))
    };
    (run.counts, result)
}

fn native_tests() -> Tested {
    let mut c = util::cargo();
    c.args(["test", "--workspace"]);
    step_result(util::run_step(&mut c, NATIVE_TIMEOUT), "cargo test --workspace")
}

/// Seeds of the long simulation run (the native tests run the default 2,000).
const LONG_SIM_SEEDS: &str = "20000";

/// The simulation for [`LONG_SIM_SEEDS`] seeds, in release (about half a minute): seed 6715 is
/// how a lost tool call whose wait a page's sleep pushed past its run's close was found.
fn long_simulation() -> Tested {
    let mut c = util::cargo();
    c.args(["test", "--release", "-p", "chat-sentinel", "--test", "sim"]).env("SIM_SEEDS", LONG_SIM_SEEDS);
    step_result(util::run_step(&mut c, NATIVE_TIMEOUT), "the long simulation")
}

fn wasm_tests(server: &Server) -> Tested {
    let Some(driver) = setup::chromedriver_path() else {
        return untested(Err(fail!("chromedriver is not on PATH")));
    };
    let webdriver_json = match write_webdriver_json() {
        Ok(path) => path,
        Err(e) => return untested(Err(e)),
    };
    let mut c = util::cargo();
    // `--tests`: unit and integration tests only; the doctests already ran natively.
    c.args([
        "test",
        "-p",
        "chat-sentinel",
        "--target",
        WASM_TARGET,
        "--tests",
        // Every browser test binary runs even when an earlier one fails.
        "--no-fail-fast",
    ])
    .env("CHAT_SENTINEL_SERVER", &server.addr)
    .env("CHROMEDRIVER", &driver)
    .env("WASM_BINDGEN_TEST_TIMEOUT", WASM_BINDGEN_TEST_TIMEOUT)
    .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json);
    println!(
        "(env CHAT_SENTINEL_SERVER={} CHROMEDRIVER={} WASM_BINDGEN_TEST_TIMEOUT={WASM_BINDGEN_TEST_TIMEOUT} WASM_BINDGEN_TEST_WEBDRIVER_JSON={})",
        server.addr,
        driver.display(),
        webdriver_json.display()
    );
    step_result(util::run_step(&mut c, WASM_TIMEOUT), "cargo test --target wasm32-unknown-unknown")
}

/// Chromium flags that keep it off this machine's closed network (the runner itself adds
/// headless, no-sandbox and disable-dev-shm-usage; chromedriver gives it a fresh profile).
const CHROMIUM_ARGS: [&str; 6] = [
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
];

/// Capabilities for wasm-bindgen-test-runner (it reads `WASM_BINDGEN_TEST_WEBDRIVER_JSON`).
fn write_webdriver_json() -> Res<PathBuf> {
    let args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| util::json_str(a)).collect();
    let json = format!("{{\n  \"goog:chromeOptions\": {{ \"args\": [{}] }}\n}}\n", args.join(", "));
    let path = util::tools_dir().join("webdriver.json");
    std::fs::create_dir_all(util::tools_dir())?;
    std::fs::write(&path, json)?;
    Ok(path)
}

/// `tests/js/*.test.html`, sorted by name.
fn js_pages() -> Res<Vec<String>> {
    let dir = util::root().join("tests").join("js");
    let mut pages = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".test.html") {
                pages.push(name);
            }
        }
    }
    pages.sort();
    Ok(pages)
}

fn js_tests(server: &Server) -> Tested {
    let pages = match js_pages() {
        Ok(pages) => pages,
        Err(e) => return untested(Err(e)),
    };
    if pages.is_empty() {
        println!("JS page tests: no tests/js/*.test.html pages; nothing to run");
        return untested(Ok(()));
    }
    let root = util::root();
    let mut c = util::cmd("node");
    c.arg(root.join("tests").join("js").join("run.mjs"))
        .arg("--screenshots")
        .arg(util::target_dir().join("js-screenshots"))
        .env("NODE_PATH", util::node_modules());
    for page in &pages {
        c.arg(format!("{}tests/js/{page}", server.url()));
    }
    step_result(util::run_step(&mut c, JS_TIMEOUT), "node tests/js/run.mjs")
}
