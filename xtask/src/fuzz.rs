//! `cargo xtask fuzz [--seconds N]`: the coverage-guided fuzz targets of `fuzz/` (cargo-fuzz,
//! libFuzzer), each for N seconds (default 300) from its checked-in corpus. `cargo xtask test`
//! runs each for [`SMOKE_SECONDS`] ("fuzz smoke").
//!
//! The machine has one stable toolchain, so the targets build with `RUSTC_BOOTSTRAP=1` (for the
//! `-Z` flags cargo-fuzz passes) and without a sanitizer (`-s none`): the code under test
//! forbids `unsafe`, so a sanitizer would find nothing that a panic does not. New inputs go to
//! `target/fuzz/corpus/<target>`, never into the checked-in corpus; a finding is written to
//! `fuzz/artifacts/<target>/` and fails the run.

use std::path::Path;

use crate::util::{self, fail, Res};

/// The targets in `fuzz/fuzz_targets/`.
pub const TARGETS: [&str; 2] = ["json_differential", "tracker"];
/// Seconds per target in `cargo xtask test`.
pub const SMOKE_SECONDS: u64 = 30;
/// Seconds per target in `cargo xtask fuzz` unless `--seconds` says otherwise.
pub const DEFAULT_SECONDS: u64 = 300;
/// The longest input libFuzzer makes (the tracker target's frames are capped at 2 KiB).
const MAX_LEN: u32 = 4096;

/// Runs every target for `seconds`.
pub fn run(seconds: u64) -> Res<()> {
    crate::setup::cargo_fuzz()?;
    let root = util::root();
    for target in TARGETS {
        let fresh = util::target_dir().join("fuzz").join("corpus").join(target);
        std::fs::create_dir_all(&fresh)?;
        let checked_in = root.join("fuzz").join("corpus").join(target);
        println!("fuzz: {target} for {seconds} s");
        util::run(
            util::cmd(util::tools_bin().join("cargo-fuzz"))
                .current_dir(&root)
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["fuzz", "run", "--sanitizer", "none", "--release", "--target-dir"])
                .arg(util::target_dir().join("fuzz").join("build"))
                .arg(target)
                .arg(&fresh)
                .arg(&checked_in)
                .arg("--")
                .arg(format!("-max_total_time={seconds}"))
                .arg(format!("-max_len={MAX_LEN}"))
                .arg("-print_final_stats=1"),
        )
        .map_err(|e| fail!("fuzz target {target} failed (its input is in {}): {e}", artifacts(&root, target)))?;
    }
    Ok(())
}

fn artifacts(root: &Path, target: &str) -> String {
    root.join("fuzz").join("artifacts").join(target).display().to_string()
}
