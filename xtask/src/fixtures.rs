//! The "fixture apps" step of `cargo xtask test`, and `cargo xtask fixtures`: the npm package
//! in the bundlers, frameworks and runtimes it must work in, unconfigured or with the one line
//! that npm/README.md's bundler notes give.
//!
//! Each app is `tests/fixtures/<name>/` (exact versions, a lock without download addresses)
//! and depends on `"chat-sentinel": "file:../../../pkg"`. It is copied (sources only) to
//! `target/fixtures/<name>/`, at the same depth, so that the relative path still names the
//! workspace's `pkg/`, and installed there once (`node_modules` is kept between runs). A
//! [`Install::Path`] check runs on that install (npm links the package); an
//! [`Install::Tarball`] check after `npm install --no-save` of `npm pack ./pkg` on top of it.
//! Every check connects to the reference server's `drop` scenario and passes only when the
//! message's turn ends with a `missing_event` report for that message: pages are checked in
//! headless Chromium by `tests/fixtures/page.mjs`, the Node.js and test-runner apps check
//! themselves and exit non-zero otherwise. One line `fixtures: PASS|FAIL <label>` per check;
//! each check counts as one test.

use crate::server::Server;
use crate::util::{self, fail, Counts, Res};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An install, a build, a test run or a page check.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// From starting a dev or production server to its port accepting connections.
const SERVE_TIMEOUT: Duration = Duration::from_secs(60);
/// Node.js 20 has a global `WebSocket` only with this flag (22 on always has one, and accepts it).
const NODE_WEBSOCKET: &str = "--experimental-websocket";

/// How an app gets the package.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Install {
    /// `npm install ../../pkg`: a symlink to the package's folder.
    Path,
    /// `npm install chat-sentinel-<version>.tgz` (`npm pack ./pkg`), as from a registry.
    Tarball,
}

impl Install {
    fn label(self) -> &'static str {
        match self {
            Install::Path => "path install",
            Install::Tarball => "tarball",
        }
    }
}

/// What an app is, and so how it is built and checked.
#[derive(Clone, Copy)]
enum Kind {
    /// `vite` dev server and `vite build` (output in `dist/`).
    Vite,
    /// `npm run build` (output in `dist/`, page `index.html` at the app's root).
    Webpack,
    /// `npm run build`, then `next start`.
    Next,
    /// `node esm.mjs WS` and `node cjs.cjs WS`.
    Node,
    /// `npm test` with the ws URL in env `CHAT_SENTINEL_WS` (Jest, Vitest).
    TestRunner,
}

struct Fixture {
    name: &'static str,
    kind: Kind,
    installs: &'static [Install],
}

const BOTH: &[Install] = &[Install::Path, Install::Tarball];

/// The apps, in the order they run.
const FIXTURES: [Fixture; 9] = [
    Fixture { name: "vite6", kind: Kind::Vite, installs: BOTH },
    Fixture { name: "vite7", kind: Kind::Vite, installs: BOTH },
    Fixture { name: "vite8", kind: Kind::Vite, installs: BOTH },
    Fixture { name: "webpack", kind: Kind::Webpack, installs: BOTH },
    // Turbopack resolves nothing outside the app's folder: a path install needs `turbopack.root`.
    Fixture { name: "next", kind: Kind::Next, installs: &[Install::Tarball] },
    Fixture { name: "node", kind: Kind::Node, installs: BOTH },
    Fixture { name: "jest", kind: Kind::TestRunner, installs: BOTH },
    Fixture { name: "vitest", kind: Kind::TestRunner, installs: BOTH },
    // Telemetry through the official @opentelemetry packages (its page also checks the export).
    Fixture { name: "otel", kind: Kind::Vite, installs: &[Install::Tarball] },
];

/// The names of the apps, for `cargo xtask fixtures --only`.
pub fn names() -> Vec<&'static str> {
    FIXTURES.iter().map(|f| f.name).collect()
}

/// Runs every app's checks (or only `only`'s) against `server`, with the package already built
/// in `pkg/`. Returns the checks passed and failed, and an error naming the failed ones.
pub fn run(server: &Server, only: Option<&str>) -> (Counts, Res<()>) {
    let mut counts = Counts::default();
    let mut failed = Vec::new();
    let fixtures: Vec<&Fixture> = FIXTURES.iter().filter(|f| only.is_none_or(|name| f.name == name)).collect();
    if fixtures.is_empty() {
        return (counts, Err(fail!("no fixture app named {}: {}", only.unwrap_or_default(), names().join(", "))));
    }
    let tarball = if fixtures.iter().any(|f| f.installs.contains(&Install::Tarball)) {
        match pack() {
            Ok(tarball) => Some(tarball),
            Err(e) => return (counts, Err(e)),
        }
    } else {
        None
    };
    let ws = format!("ws://{}/ws?dialect=netra&scenario=drop", server.addr);
    for fixture in fixtures {
        for (label, result) in run_fixture(fixture, tarball.as_deref(), &ws) {
            match result {
                Ok(()) => {
                    println!("fixtures: PASS {label}");
                    counts.passed += 1;
                }
                Err(e) => {
                    println!("fixtures: FAIL {label}: {e}");
                    counts.failed += 1;
                    failed.push(label);
                }
            }
        }
    }
    let result = if failed.is_empty() { Ok(()) } else { Err(fail!("failed: {}", failed.join("; "))) };
    (counts, result)
}

/// Where the apps are installed and built: `<root>/target/fixtures` (not `CARGO_TARGET_DIR`:
/// the apps' relative path to `pkg/` fixes the depth).
fn work_dir() -> PathBuf {
    util::root().join("target").join("fixtures")
}

/// `npm pack ./pkg` into [`work_dir`]; the tarball's path.
fn pack() -> Res<PathBuf> {
    let dir = work_dir();
    std::fs::create_dir_all(&dir)?;
    let mut c = util::cmd("npm");
    c.args(["pack", "./pkg", "--json", "--pack-destination"]).arg(&dir);
    let out = util::output_of(&mut c).ok_or_else(|| fail!("`{}` failed", util::show(&c)))?;
    let packed: serde_json::Value = serde_json::from_str(&out).map_err(|e| fail!("npm pack --json: {e}"))?;
    let name = packed.get(0).and_then(|p| p.get("filename")).and_then(|f| f.as_str());
    Ok(dir.join(name.ok_or_else(|| fail!("npm pack --json named no filename: {out}"))?))
}

/// One app: copied, installed, then each of its installs' checks; a label and result each.
fn run_fixture(fixture: &Fixture, tarball: Option<&Path>, ws: &str) -> Vec<(String, Res<()>)> {
    let dir = work_dir().join(fixture.name);
    let mut results = Vec::new();
    let mut installed = copy_app(fixture.name, &dir).and_then(|()| npm(&dir, &["install"]));
    for &install in fixture.installs {
        if install == Install::Tarball {
            let tarball = tarball.ok_or_else(|| fail!("no tarball"));
            installed = installed.and(tarball).and_then(|t| npm_install_no_save(&dir, t));
        }
        for check in checks(fixture.kind) {
            let label = format!("{} {}({})", fixture.name, check.label(), install.label());
            let result = match &installed {
                Ok(()) => check.run(&dir, ws, &label),
                Err(e) => Err(fail!("install failed: {e}")),
            };
            results.push((label, result));
        }
    }
    results
}

/// `tests/fixtures/<name>` copied over `dir`, whose files except `node_modules` go first.
fn copy_app(name: &str, dir: &Path) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.file_name().is_some_and(|n| n == "node_modules") {
            continue;
        }
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    copy_tree(&util::root().join("tests").join("fixtures").join(name), dir)
}

fn copy_tree(from: &Path, to: &Path) -> Res<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A command run in the app's folder, with Next.js's telemetry off.
fn app_cmd(dir: &Path, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = util::cmd(program);
    c.current_dir(dir).env("NEXT_TELEMETRY_DISABLED", "1");
    c
}

fn npm(dir: &Path, args: &[&str]) -> Res<()> {
    let mut c = app_cmd(dir, "npm");
    c.args(args).args(["--no-audit", "--no-fund"]);
    checked(&mut c)
}

fn npm_install_no_save(dir: &Path, tarball: &Path) -> Res<()> {
    let mut c = app_cmd(dir, "npm");
    c.args(["install", "--no-save", "--no-audit", "--no-fund"]).arg(tarball);
    checked(&mut c)
}

/// Runs `c` to its end (output forwarded, [`COMMAND_TIMEOUT`]); an error unless it succeeded.
fn checked(c: &mut Command) -> Res<()> {
    let run = util::run_step(c, COMMAND_TIMEOUT);
    if run.ok {
        Ok(())
    } else {
        Err(fail!("`{}`: {}", util::show(c), run.note))
    }
}

/// One check of an app.
#[derive(Clone, Copy)]
enum Check {
    /// The app's dev server (`vite`), its page in Chromium.
    ViteDev,
    /// `vite build`, `dist/` served, its page in Chromium.
    ViteBuild,
    /// `npm run build`, the app's folder served, its page in Chromium.
    Webpack,
    /// `npm run build`, then `next start`, its page in Chromium.
    Next,
    /// `node --experimental-websocket <script> WS`.
    Node(&'static str),
    /// `npm test`.
    NpmTest,
}

fn checks(kind: Kind) -> Vec<Check> {
    match kind {
        Kind::Vite => vec![Check::ViteDev, Check::ViteBuild],
        Kind::Webpack => vec![Check::Webpack],
        Kind::Next => vec![Check::Next],
        Kind::Node => vec![Check::Node("esm.mjs"), Check::Node("cjs.cjs")],
        Kind::TestRunner => vec![Check::NpmTest],
    }
}

impl Check {
    /// The check's part of a label (empty, or ending in a space).
    fn label(self) -> String {
        match self {
            Check::ViteDev => "dev ".into(),
            Check::ViteBuild => "build ".into(),
            Check::Webpack | Check::NpmTest => String::new(),
            Check::Next => "build + start ".into(),
            Check::Node(script) => format!("{script} "),
        }
    }

    /// Runs the check in the app's folder `dir`; `label` names its page.
    fn run(self, dir: &Path, ws: &str, label: &str) -> Res<()> {
        let query = format!("?ws={}", query_value(ws));
        let bin = |name: &str| dir.join("node_modules").join(".bin").join(name);
        match self {
            Check::ViteDev => {
                // A fresh pre-bundle, as a new install has: Vite keys its cache on the lock,
                // which `npm install --no-save` leaves as it was.
                remove_dir(&dir.join("node_modules").join(".vite"))?;
                let port = free_port()?;
                let mut vite = app_cmd(dir, bin("vite"));
                vite.args(["--strictPort", "--host", "127.0.0.1", "--port"]).arg(port.to_string());
                served(vite, port, || page(label, &format!("http://127.0.0.1:{port}/{query}"), None))
            }
            Check::ViteBuild => {
                checked(app_cmd(dir, bin("vite")).arg("build"))?;
                page(label, &query, Some(&dir.join("dist")))
            }
            Check::Webpack => {
                npm(dir, &["run", "build"])?;
                page(label, &query, Some(dir))
            }
            Check::Next => {
                npm(dir, &["run", "build"])?;
                let port = free_port()?;
                let mut next = app_cmd(dir, bin("next"));
                next.args(["start", "-H", "127.0.0.1", "-p"]).arg(port.to_string());
                served(next, port, || page(label, &format!("http://127.0.0.1:{port}/{query}"), None))
            }
            Check::Node(script) => checked(app_cmd(dir, "node").arg(NODE_WEBSOCKET).arg(script).arg(ws)),
            Check::NpmTest => {
                checked(app_cmd(dir, "npm").arg("test").env("CHAT_SENTINEL_WS", ws).env("NODE_OPTIONS", NODE_WEBSOCKET))
            }
        }
    }
}

fn remove_dir(dir: &Path) -> Res<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(())
}

/// `node tests/fixtures/page.mjs LABEL URL`, or with `dir`: `… --dir DIR QUERY` (`target` is
/// then the query).
fn page(label: &str, target: &str, dir: Option<&Path>) -> Res<()> {
    let root = util::root();
    let mut c = util::cmd("node");
    c.arg(root.join("tests").join("fixtures").join("page.mjs")).arg(label).env("NODE_PATH", util::node_modules());
    if let Some(dir) = dir {
        c.arg("--dir").arg(dir);
    }
    c.arg(target);
    checked(&mut c)
}

/// Starts `server` (a dev or production server listening on `port`), runs `check` once the port
/// accepts connections, then stops the server with its children.
fn served(mut server: Command, port: u16, check: impl FnOnce() -> Res<()>) -> Res<()> {
    println!("$ {}", util::show(&server));
    let mut child =
        server.stdin(Stdio::null()).spawn().map_err(|e| fail!("cannot start {}: {e}", util::show(&server)))?;
    let deadline = Instant::now() + SERVE_TIMEOUT;
    let result = loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break check();
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(fail!("`{}` exited ({status}) before listening", util::show(&server)));
        }
        if Instant::now() >= deadline {
            break Err(fail!("`{}` was not listening within {}s", util::show(&server), SERVE_TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    util::kill_tree(&mut child);
    let _ = child.wait();
    result
}

/// A loopback port that was free a moment ago.
fn free_port() -> Res<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// `value` percent-encoded for a URL's query (everything but ASCII letters, digits, `-._~`).
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_ws_url_as_a_query_value() {
        assert_eq!(
            query_value("ws://127.0.0.1:1/ws?dialect=netra&scenario=drop"),
            "ws%3A%2F%2F127.0.0.1%3A1%2Fws%3Fdialect%3Dnetra%26scenario%3Ddrop"
        );
    }

    #[test]
    fn every_fixture_app_exists_and_names_the_package_by_the_relative_path() {
        for fixture in &FIXTURES {
            let dir = util::root().join("tests").join("fixtures").join(fixture.name);
            let text = std::fs::read_to_string(dir.join("package.json")).unwrap();
            let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(manifest["dependencies"]["chat-sentinel"], "file:../../../pkg", "{}", fixture.name);
            let lock = std::fs::read_to_string(dir.join("package-lock.json")).unwrap();
            let lock: serde_json::Value = serde_json::from_str(&lock).unwrap();
            for (name, entry) in lock["packages"].as_object().unwrap() {
                let resolved = entry["resolved"].as_str().unwrap_or_default();
                let machine = resolved.contains("://") || resolved.starts_with('/');
                assert!(!machine, "{}: the lock resolves {name} to {resolved}", fixture.name);
            }
        }
    }

    #[test]
    fn the_vite_apps_differ_only_in_their_package_and_config() {
        let read = |app: &str, file: &str| {
            std::fs::read_to_string(util::root().join("tests").join("fixtures").join(app).join(file)).unwrap()
        };
        for file in ["index.html", "src/main.js"] {
            assert_eq!(read("vite6", file), read("vite7", file), "{file}");
            assert_eq!(read("vite6", file), read("vite8", file), "{file}");
        }
    }

    #[test]
    fn labels_name_the_app_the_check_and_the_install() {
        assert_eq!(format!("vite6 {}({})", Check::ViteDev.label(), Install::Path.label()), "vite6 dev (path install)");
        assert_eq!(checks(Kind::Node).len(), 2);
    }
}
