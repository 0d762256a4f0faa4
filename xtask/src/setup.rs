//! `cargo xtask setup`: installs (idempotently) every tool the build and the tests need.
//!
//! - the `wasm32-unknown-unknown` target (rustup);
//! - `wasm-bindgen-cli` at exactly the version of the `wasm-bindgen` crate in Cargo.lock,
//!   into `target/tools` (no `--locked`: see shared/toolchain-notes.md);
//! - Debian's `chromium` and `chromedriver` (apt-get, when root);
//! - playwright-core, binaryen (wasm-opt), esbuild (which inlines the glue into the package's one
//!   JS file), terser (its minifier) and typescript (the type check of `tests/types`) from npm,
//!   into `target/tools/node`;
//! - the peer libraries the bench measures beside the SDK, into `target/tools/peers`
//!   ([`crate::peers`]).

use crate::util::{self, fail, Res};
use std::path::PathBuf;
use std::process::Command;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PLAYWRIGHT: (&str, &str) = ("playwright-core", "1.64");
const BINARYEN: (&str, &str) = ("binaryen", "132");
const TERSER: (&str, &str) = ("terser", "5");
/// The bundler that makes wasm-bindgen's main module and its glue snippet one file.
const ESBUILD: (&str, &str) = ("esbuild", "0.28");
/// The TypeScript the package's types are checked with (`tests/types`).
const TYPESCRIPT: (&str, &str) = ("typescript", "5");
/// The cargo-fuzz release installed.
const CARGO_FUZZ: &str = "0.13.2";

/// Everything: wasm tools, browser, node tools, the bench's peers.
pub fn run() -> Res<()> {
    wasm()?;
    browser()?;
    crate::peers::install()?;
    println!("setup: all tools present");
    Ok(())
}

/// What `build` needs: the wasm target, wasm-bindgen, wasm-opt and terser.
pub fn wasm() -> Res<()> {
    wasm_target()?;
    wasm_bindgen_cli()?;
    node_tools()?;
    Ok(())
}

/// What the browser tests need besides the wasm tools: chromium and chromedriver.
pub fn browser() -> Res<()> {
    chromium()?;
    Ok(())
}

fn wasm_target() -> Res<()> {
    if util::which("rustup").is_some() {
        let installed =
            util::output_of(util::cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
        if installed.lines().any(|l| l.trim() == WASM_TARGET) {
            println!("setup: rust target {WASM_TARGET} present");
            return Ok(());
        }
        println!("setup: adding rust target {WASM_TARGET}");
        return util::run(util::cmd("rustup").args(["target", "add", WASM_TARGET]));
    }
    // No rustup: accept a toolchain that ships the target's std anyway.
    let sysroot = util::output_of(util::cmd("rustc").args(["--print", "sysroot"]));
    let present = sysroot.is_some_and(|s| PathBuf::from(s).join("lib/rustlib").join(WASM_TARGET).is_dir());
    if present {
        println!("setup: rust target {WASM_TARGET} present");
        Ok(())
    } else {
        Err(fail!(
            "the rust target {WASM_TARGET} is missing and rustup is not on PATH: \
             install rustup and run `rustup target add {WASM_TARGET}`"
        ))
    }
}

/// The `wasm-bindgen` crate's version: from Cargo.lock, else the `=x.y.z` pin in Cargo.toml.
pub fn wasm_bindgen_version() -> Res<String> {
    let root = util::root();
    if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
        if let Some(v) = version_in_lock(&lock, "wasm-bindgen") {
            return Ok(v);
        }
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    version_pin_in_manifest(&manifest, "wasm-bindgen").ok_or_else(|| {
        fail!("cannot tell the wasm-bindgen version: not in Cargo.lock, and Cargo.toml has no `wasm-bindgen = \"=x.y.z\"`")
    })
}

/// The version of package `name` in a Cargo.lock (the first one, if several).
fn version_in_lock(lock: &str, name: &str) -> Option<String> {
    let lock: toml::Table = lock.parse().ok()?;
    let packages = lock.get("package")?.as_array()?;
    let package = packages.iter().find(|p| p.get("name").and_then(toml::Value::as_str) == Some(name))?;
    package.get("version")?.as_str().map(str::to_string)
}

/// The version `name` is pinned to in a manifest's `[dependencies]`: `name = "=x.y.z"` or
/// `name = { version = "=x.y.z", ... }` (the requirement's operator dropped).
fn version_pin_in_manifest(manifest: &str, name: &str) -> Option<String> {
    let manifest: toml::Table = manifest.parse().ok()?;
    let dependency = manifest.get("dependencies")?.get(name)?;
    let requirement = dependency.as_str().or_else(|| dependency.get("version")?.as_str())?;
    Some(requirement.trim_start_matches(['=', '^', '~']).trim().to_string())
}

fn wasm_bindgen_cli() -> Res<()> {
    let version = wasm_bindgen_version()?;
    let bin = util::tools_bin().join("wasm-bindgen");
    let have = util::output_of(Command::new(&bin).arg("--version")).unwrap_or_default();
    let runner = util::tools_bin().join("wasm-bindgen-test-runner");
    if have.split_whitespace().nth(1) == Some(version.as_str()) && runner.is_file() {
        println!("setup: {have} present in target/tools");
        return Ok(());
    }
    println!("setup: installing wasm-bindgen-cli {version} into target/tools (takes a few minutes)");
    util::run(
        util::cargo()
            .args(["install", "wasm-bindgen-cli", "--version"])
            .arg(&version)
            .arg("--root")
            .arg(util::tools_dir()),
    )
}

/// cargo-fuzz, for `cargo xtask fuzz` and the fuzz smoke step, into target/tools.
pub fn cargo_fuzz() -> Res<()> {
    let bin = util::tools_bin().join("cargo-fuzz");
    if let Some(have) = util::output_of(Command::new(&bin).args(["fuzz", "--version"])) {
        println!("setup: {} present in target/tools", have.trim());
        return Ok(());
    }
    println!("setup: installing cargo-fuzz {CARGO_FUZZ} into target/tools (takes a minute)");
    util::run(
        util::cargo()
            .args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ, "--root"])
            .arg(util::tools_dir()),
    )
}

fn chromium() -> Res<()> {
    let chromium = browser_path();
    let driver = util::which("chromedriver");
    if let (Some(c), Some(d)) = (&chromium, &driver) {
        println!("setup: chromium ({}) and chromedriver ({}) present", c.display(), d.display());
        return Ok(());
    }
    let apt = util::which("apt-get");
    if apt.is_none() || !util::is_root() {
        return Err(fail!(
            "chromium and/or chromedriver are not on PATH. Install them, e.g. on Debian: \
             `sudo apt-get update && sudo apt-get install -y chromium chromium-driver`, \
             then run `cargo xtask setup` again"
        ));
    }
    println!("setup: installing chromium and chromium-driver with apt-get");
    util::run(util::cmd("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    util::run(
        util::cmd("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if browser_path().is_none() || util::which("chromedriver").is_none() {
        return Err(fail!(
            "apt-get installed chromium and chromium-driver, but `chromium`/`chromedriver` are still not on PATH"
        ));
    }
    Ok(())
}

/// The Chromium executable on PATH.
pub fn browser_path() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| util::which(name))
}

/// The chromedriver executable on PATH.
pub fn chromedriver_path() -> Option<PathBuf> {
    util::which("chromedriver")
}

/// The installed version of an npm package under target/tools/node, if any.
fn npm_package_version(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(util::node_modules().join(name).join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(manifest.get("version")?.as_str()?.to_string())
}

fn node_tools() -> Res<()> {
    let wanted = [PLAYWRIGHT, BINARYEN, ESBUILD, TERSER, TYPESCRIPT];
    let missing: Vec<_> = wanted
        .iter()
        .filter(|(name, major)| {
            !npm_package_version(name).is_some_and(|v| v == *major || v.starts_with(&format!("{major}.")))
        })
        .collect();
    if missing.is_empty() && wasm_opt_path().is_file() && terser_path().is_file() && esbuild_path().is_file() {
        println!("setup: playwright-core, binaryen, esbuild, terser and typescript present in target/tools/node");
        return Ok(());
    }
    if util::which("npm").is_none() || util::which("node").is_none() {
        return Err(fail!(
            "node and npm are needed for wasm-opt (binaryen) and the JS page tests (playwright-core): \
             install Node.js 20 and npm (e.g. `apt-get install -y nodejs npm`), then run `cargo xtask setup` again"
        ));
    }
    let prefix = util::tools_dir().join("node");
    std::fs::create_dir_all(&prefix)?;
    let packages: Vec<String> = wanted.iter().map(|(name, major)| format!("{name}@{major}")).collect();
    println!("setup: installing {} into target/tools/node", packages.join(" "));
    util::run(
        util::cmd("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args(["--no-audit", "--no-fund", "--loglevel=error"])
            .args(&packages),
    )
}

/// TypeScript's compiler, which checks the package's types.
pub fn tsc_path() -> PathBuf {
    util::node_modules().join("typescript").join("bin").join("tsc")
}

/// terser, which minifies the shipped JS glue.
pub fn terser_path() -> PathBuf {
    util::node_modules().join(".bin").join("terser")
}

/// esbuild, which bundles the glue snippet into the package's main module.
pub fn esbuild_path() -> PathBuf {
    util::node_modules().join(".bin").join("esbuild")
}

/// binaryen's wasm-opt (the npm build; Debian's is too old).
pub fn wasm_opt_path() -> PathBuf {
    util::node_modules().join(".bin").join("wasm-opt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_version_in_lock() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-futures"
version = "0.4.50"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(version_in_lock(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(version_in_lock(lock, "js-sys"), None);
    }

    #[test]
    fn finds_pin_in_manifest() {
        let plain = "[dependencies]\nwasm-bindgen-futures = \"0.4\"\nwasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(version_pin_in_manifest(plain, "wasm-bindgen").as_deref(), Some("0.2.130"));
        let table = "[dependencies]\nwasm-bindgen = { version = \"=0.2.99\", default-features = false }\n";
        assert_eq!(version_pin_in_manifest(table, "wasm-bindgen").as_deref(), Some("0.2.99"));
    }
}
