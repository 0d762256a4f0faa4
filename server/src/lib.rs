//! The chat-sentinel reference chat server.
//!
//! Serves the demo page and the SDK's files, and a WebSocket endpoint `/ws` that speaks the
//! `netra` or `sequenced` dialect of PROTOCOL.md and injects one deterministic fault scenario
//! per connection (see `server/README.md`), and the few endpoints the bench's peer libraries
//! need for their handshakes (`peers`). [`start`] binds it; tests run it in-process.

mod conn;
mod delivery;
mod frames;
mod http;
mod otlp;
mod outbound;
mod params;
mod peers;
mod rng;
mod run;
mod scenario;
mod session;

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

pub use scenario::{names as scenario_names, GOLDEN_EVENTS};

/// Where and what to serve.
#[derive(Debug, Clone)]
pub struct Config {
    /// A loopback address, or a private one (a test's own network namespace); a public
    /// address is refused.
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// The directory holding `www/`, `pkg/` and `tests/js/`.
    pub root: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config { host: IpAddr::V4(Ipv4Addr::LOCALHOST), port: 8787, root: PathBuf::from(".") }
    }
}

/// Binds the server and returns its address and the future that serves it (until an I/O
/// error). Fails if the host is a public address or the port cannot be bound.
pub async fn start(config: Config) -> io::Result<(SocketAddr, impl Future<Output = io::Result<()>> + Send)> {
    let private = match config.host {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(_) => false,
    };
    if !config.host.is_loopback() && !private {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to bind {}: loopback or private addresses only", config.host),
        ));
    }
    let listener = TcpListener::bind((config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    // Differs between two processes, also when one restarts the other within a second.
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let nonce = (since.as_secs() << 20 ^ u64::from(since.subsec_nanos()) ^ u64::from(std::process::id())) & 0xff_ffff;
    let app = http::router(&config.root, nonce);
    // Small responses and frames go out at once, not after the client's delayed ACK (~40 ms).
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            eprintln!("TCP_NODELAY not set on a connection: {e}");
        }
    });
    Ok((addr, async move { axum::serve(listener, app).await }))
}
