//! The peer libraries `cargo xtask bench` measures beside the SDK: phoenix, socket.io-client
//! and centrifuge, pinned to exact npm versions and installed into `target/tools/peers` (its
//! own prefix, apart from the build tools of `target/tools/node`).
//!
//! Each peer is measured through one prebuilt browser file of its package, the file a page
//! loads without a bundler; the reference server serves the prefix's `node_modules` at
//! [`LIB_URL`] (server/src/peers.rs), and the bench counts that file's gzip -9 bytes.

use crate::util::{self, fail, Res};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Where the reference server serves `target/tools/peers/node_modules`.
const LIB_URL: &str = "/peers/lib";

/// One peer library.
pub struct Peer {
    /// The npm package, also the peer's name in the bench's figures.
    pub package: &'static str,
    /// The exact version installed.
    pub version: &'static str,
    /// The file the pages load, relative to the package.
    pub file: &'static str,
}

/// The peers, in the order the bench runs them.
pub const PEERS: [Peer; 3] = [
    // An IIFE that sets `window.Phoenix` (minified); loaded as a classic script.
    Peer { package: "phoenix", version: "1.8.16", file: "priv/static/phoenix.min.js" },
    // The minified ES module build, loaded with `import()`.
    Peer { package: "socket.io-client", version: "4.8.4", file: "dist/socket.io.esm.min.js" },
    // The minified browser bundle (JSON protocol) that sets `globalThis.Centrifuge`; a classic script.
    Peer { package: "centrifuge", version: "5.8.0", file: "dist/centrifuge.js" },
];

fn node_modules() -> PathBuf {
    util::tools_dir().join("peers").join("node_modules")
}

impl Peer {
    /// The installed file the pages load.
    pub fn path(&self) -> PathBuf {
        node_modules().join(self.package).join(self.file)
    }

    /// The installed version, if any (from the package's package.json).
    fn installed(&self) -> Option<String> {
        let text = std::fs::read_to_string(node_modules().join(self.package).join("package.json")).ok()?;
        let manifest: Value = serde_json::from_str(&text).ok()?;
        manifest.get("version")?.as_str().map(str::to_string)
    }
}

/// Installs every peer at its pinned version with npm, unless all are present.
pub fn install() -> Res<()> {
    let missing: Vec<&Peer> =
        PEERS.iter().filter(|p| p.installed().as_deref() != Some(p.version) || !p.path().is_file()).collect();
    if missing.is_empty() {
        println!("setup: the bench's peers (phoenix, socket.io-client, centrifuge) present in target/tools/peers");
        return Ok(());
    }
    if util::which("npm").is_none() {
        return Err(fail!(
            "npm is needed to install the bench's peer libraries: install Node.js 20 and npm \
             (e.g. `apt-get install -y nodejs npm`), then run `cargo xtask setup` again"
        ));
    }
    let prefix = util::tools_dir().join("peers");
    std::fs::create_dir_all(&prefix)?;
    let packages: Vec<String> = PEERS.iter().map(|p| format!("{}@{}", p.package, p.version)).collect();
    println!("setup: installing {} into target/tools/peers", packages.join(" "));
    util::run(
        util::cmd("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args(["--save-exact", "--no-audit", "--no-fund", "--loglevel=error"])
            .args(&packages),
    )?;
    match PEERS.iter().find(|p| !p.path().is_file()) {
        Some(p) => Err(fail!("npm installed {}@{}, but {} is not there", p.package, p.version, p.path().display())),
        None => Ok(()),
    }
}

/// What the bench pages are told: `{"<package>": "<URL path of its file>", …}`.
pub fn urls() -> String {
    let map: Map<String, Value> = PEERS
        .iter()
        .map(|p| (p.package.to_string(), Value::from(format!("{LIB_URL}/{}/{}", p.package, p.file))))
        .collect();
    Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_get_one_url_per_peer() {
        let urls: Value = serde_json::from_str(&urls()).unwrap_or_default();
        assert_eq!(urls.get("phoenix").and_then(Value::as_str), Some("/peers/lib/phoenix/priv/static/phoenix.min.js"));
        assert_eq!(urls.as_object().map(Map::len), Some(PEERS.len()));
    }
}
