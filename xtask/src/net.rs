//! The "network faults" step: `tests/net/faults.mjs` puts the reference server in a network
//! namespace of its own, joined by a veth pair, and makes real network faults on that link
//! with iptables (a black hole both ways, a TCP reset, 30 % loss, a 2 s stall, the server
//! killed and restarted) while Chromium runs a chat against it.
//!
//! It needs root, `ip` (iproute2) and `iptables`; as root on Debian the missing tools are
//! installed with apt-get. Where namespaces cannot be made, the step is skipped with the reason.
//! (This machine kind's kernel has no `netem` qdisc, so latency and loss are made with
//! iptables rules rather than `tc netem`.)

use std::time::Duration;

use crate::server::PACKAGE;
use crate::util::{self, Res};

/// The longest the script may take.
pub const TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Why the step cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    if !util::is_root() {
        return Some("needs root (network namespaces and iptables)".to_owned());
    }
    if (util::which("ip").is_none() || util::which("iptables").is_none()) && util::which("apt-get").is_some() {
        println!("network faults: installing iproute2 and iptables with apt-get");
        let apt = || {
            let mut c = util::cmd("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        let installed = util::run(apt().arg("update"))
            .and_then(|()| util::run(apt().args(["install", "-y", "--no-install-recommends", "iproute2", "iptables"])));
        if let Err(e) = installed {
            return Some(format!("could not install iproute2 and iptables: {e}"));
        }
    }
    for tool in ["ip", "iptables"] {
        if util::which(tool).is_none() {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    let probe = format!("cs-probe-{}", std::process::id());
    if util::output_of(util::cmd("ip").args(["netns", "add", &probe])).is_none() {
        return Some("`ip netns add` failed: network namespaces are not available here".to_owned());
    }
    let _ = util::output_of(util::cmd("ip").args(["netns", "del", &probe]));
    None
}

/// The command that runs the script against the release server binary.
pub fn command() -> Res<std::process::Command> {
    util::run(util::cargo().args(["build", "-p", PACKAGE, "--release", "--bin", PACKAGE]))?;
    let root = util::root();
    let mut c = util::cmd("node");
    c.arg(root.join("tests").join("net").join("faults.mjs"))
        .arg(util::target_dir().join("release").join(PACKAGE))
        .arg(&root)
        .env("NODE_PATH", util::node_modules());
    Ok(c)
}
