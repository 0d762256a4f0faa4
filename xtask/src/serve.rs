//! `cargo xtask serve [--port P]` (alias `demo`): builds the SDK, then runs the reference
//! server on the workspace root (www/ at /, pkg/ at /pkg/) until Ctrl-C.

use crate::build;
use crate::server::Server;
use crate::util::Res;

pub const DEFAULT_PORT: u16 = 8080;

pub fn run(port: u16) -> Res<()> {
    build::run(false)?;
    let server = Server::start(port)?;
    println!();
    println!("Open {} in a browser", server.url());
    println!("(Ctrl-C stops the server)");
    server.wait()
}
