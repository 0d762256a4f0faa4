//! `cargo xtask build [--dev]`: the SDK as an npm-style package in `pkg/`.
//!
//! cargo (wasm32, release, feature `shipped`) → wasm-bindgen `--target web` → wasm-opt `-Oz` (release only) →
//! `pkg/package.json` + README, then the raw and gzip -9 sizes of the wasm and the JS glue.

use crate::setup::{self, WASM_TARGET};
use crate::util::{self, fail, json_str, Res};
use std::path::{Path, PathBuf};

pub const OUT_NAME: &str = "chat_sentinel";

/// What a build produced (for later commands such as size checks).
#[derive(Debug)]
pub struct Built {
    pub pkg: PathBuf,
    pub wasm: PathBuf,
    pub js: PathBuf,
    pub sizes: Sizes,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Sizes {
    pub wasm_raw: u64,
    pub wasm_gz: Option<u64>,
    pub js_raw: u64,
    pub js_gz: Option<u64>,
}

pub fn run(dev: bool) -> Res<Built> {
    setup::wasm()?;
    let root = util::root();
    let profile = if dev { "debug" } else { "release" };

    let mut cargo = util::cargo();
    cargo.args(["build", "-p", "chat-sentinel", "--lib", "--target", WASM_TARGET]);
    if !dev {
        // `shipped`: no std, talc, a trapping panic handler (see src/lib.rs).
        cargo.args(["--release", "--features", "shipped"]);
    }
    util::run(&mut cargo)?;

    let input = util::target_dir().join(WASM_TARGET).join(profile).join(format!("{OUT_NAME}.wasm"));
    if !input.is_file() {
        return Err(fail!("cargo did not produce {}", input.display()));
    }

    let pkg = root.join("pkg");
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg)?;
    }
    let mut bindgen = util::cmd(util::tools_bin().join("wasm-bindgen"));
    bindgen.args(["--target", "web", "--out-dir"]).arg(&pkg).args(["--out-name", OUT_NAME]);
    if dev {
        bindgen.arg("--debug").arg("--keep-debug");
    }
    bindgen.arg(&input);
    util::run(&mut bindgen)?;

    let wasm = pkg.join(format!("{OUT_NAME}_bg.wasm"));
    let js = pkg.join(format!("{OUT_NAME}.js"));
    if !dev {
        wasm_opt(&wasm)?;
    }

    write_package_json(&root, &pkg)?;
    let readme = root.join("README.md");
    if readme.is_file() {
        std::fs::copy(&readme, pkg.join("README.md"))?;
    } else {
        println!("build: warning: no README.md at the workspace root to copy into pkg/");
    }

    let sizes = sizes(&wasm, &js)?;
    let built = Built { pkg, wasm, js, sizes };
    print_sizes(&built, dev);
    Ok(built)
}

/// wasm-opt's optimisation level for the shipped build.
pub const WASM_OPT: [&str; 1] = ["-Oz"];

/// The wasm features rustc emits, which wasm-opt must be told about.
pub const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-sign-ext",
    "--enable-mutable-globals",
];

/// Optimizes and strips a wasm file in place with binaryen's wasm-opt.
fn wasm_opt(wasm: &Path) -> Res<()> {
    let tmp = wasm.with_extension("opt.wasm");
    let mut opt = util::cmd(setup::wasm_opt_path());
    opt.arg(wasm).arg("-o").arg(&tmp).args(WASM_OPT).args(WASM_FEATURES).args(["--strip-debug", "--strip-producers"]);
    util::run(&mut opt)?;
    std::fs::rename(&tmp, wasm)?;
    Ok(())
}

fn write_package_json(root: &Path, pkg: &Path) -> Res<()> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let field = |key: &str| util::toml_value(&manifest, "package", key);
    let version = field("version").ok_or_else(|| fail!("no version in Cargo.toml [package]"))?;
    let has_snippets = pkg.join("snippets").is_dir();
    let json = package_json(
        &version,
        field("description").as_deref(),
        field("license").as_deref(),
        field("repository").as_deref(),
        has_snippets,
    );
    std::fs::write(pkg.join("package.json"), json)?;
    Ok(())
}

fn package_json(
    version: &str,
    description: Option<&str>,
    license: Option<&str>,
    repository: Option<&str>,
    has_snippets: bool,
) -> String {
    let mut files = vec![
        format!("{OUT_NAME}.js"),
        format!("{OUT_NAME}_bg.wasm"),
        format!("{OUT_NAME}.d.ts"),
        "README.md".to_string(),
    ];
    if has_snippets {
        files.push("snippets/".to_string());
    }
    let files: Vec<String> = files.iter().map(|f| json_str(f)).collect();
    let side_effects = if has_snippets { "[\"./snippets/*\"]".to_string() } else { "false".to_string() };
    let mut out = String::from("{\n");
    out.push_str("  \"name\": \"chat-sentinel\",\n");
    out.push_str(&format!("  \"version\": {},\n", json_str(version)));
    if let Some(d) = description {
        out.push_str(&format!("  \"description\": {},\n", json_str(d)));
    }
    if let Some(l) = license {
        out.push_str(&format!("  \"license\": {},\n", json_str(l)));
    }
    if let Some(r) = repository {
        out.push_str(&format!("  \"repository\": {{ \"type\": \"git\", \"url\": {} }},\n", json_str(r)));
    }
    out.push_str("  \"type\": \"module\",\n");
    out.push_str(&format!("  \"main\": \"{OUT_NAME}.js\",\n"));
    out.push_str(&format!("  \"module\": \"{OUT_NAME}.js\",\n"));
    out.push_str(&format!("  \"types\": \"{OUT_NAME}.d.ts\",\n"));
    out.push_str("  \"exports\": {\n");
    out.push_str(&format!("    \".\": {{ \"types\": \"./{OUT_NAME}.d.ts\", \"import\": \"./{OUT_NAME}.js\" }},\n"));
    out.push_str(&format!("    \"./{OUT_NAME}_bg.wasm\": \"./{OUT_NAME}_bg.wasm\"\n"));
    out.push_str("  },\n");
    out.push_str(&format!("  \"files\": [{}],\n", files.join(", ")));
    out.push_str(&format!("  \"sideEffects\": {side_effects}\n"));
    out.push_str("}\n");
    out
}

fn sizes(wasm: &Path, js: &Path) -> Res<Sizes> {
    Ok(Sizes {
        wasm_raw: std::fs::metadata(wasm)?.len(),
        wasm_gz: util::gzip_size(wasm),
        js_raw: std::fs::metadata(js)?.len(),
        js_gz: util::gzip_size(js),
    })
}

fn print_sizes(b: &Built, dev: bool) {
    let s = &b.sizes;
    let gz = |v: Option<u64>| v.map_or("n/a".to_string(), |v| format!("{v} B"));
    let total_gz = s.wasm_gz.zip(s.js_gz).map(|(a, b)| a + b);
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    println!("build: {} ({}); sizes raw / gzip -9:", b.pkg.display(), if dev { "dev, unoptimized" } else { "release" });
    println!("  {:<22} {:>8} B / {}", name(&b.wasm), s.wasm_raw, gz(s.wasm_gz));
    println!("  {:<22} {:>8} B / {}", name(&b.js), s.js_raw, gz(s.js_gz));
    println!("  {:<22} {:>8} B / {}", "wasm + js", s.wasm_raw + s.js_raw, gz(total_gz));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_shape() {
        let j = package_json("0.1.0", Some("An \"SDK\""), Some("MIT"), None, false);
        assert!(j.contains("\"name\": \"chat-sentinel\""));
        assert!(j.contains("\"version\": \"0.1.0\""));
        assert!(j.contains("\"description\": \"An \\\"SDK\\\"\""));
        assert!(j.contains("\"sideEffects\": false"));
        assert!(j.contains("\"./chat_sentinel_bg.wasm\": \"./chat_sentinel_bg.wasm\""));
        assert!(!j.contains("snippets"));
        let j = package_json("0.1.0", None, None, None, true);
        assert!(j.contains("\"sideEffects\": [\"./snippets/*\"]"));
        assert!(j.contains("\"snippets/\""));
    }
}
