//! `cargo xtask <command>`: the project's developer and CI tasks, in plain Rust.
//!
//! Each command lives in its own module; add one by writing `src/<name>.rs` with a `run`
//! function and a line in [`dispatch`] and [`USAGE`].

mod bench;
mod build;
mod check;
mod fixtures;
mod fuzz;
mod net;
mod peers;
mod serve;
mod server;
mod setup;
mod test;
mod util;
mod wasm;

use util::{fail, Res};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup               install the wasm target, wasm-bindgen-cli (pinned), chromium +
                      chromedriver, playwright-core, binaryen and terser (into target/tools),
                      the bench's peer libraries (into target/tools/peers)
  build [--dev]       build the SDK into pkg/ (wasm-bindgen --target web, wasm-opt -Oz,
                      short imports, terser, package.json) and print its sizes; --dev:
                      debug build, no wasm-opt, no minification
  serve [--port P]    build, then run the reference server on http://127.0.0.1:P/
                      (default 8080; 0 picks a free port) until Ctrl-C
  demo [--port P]     same as serve
  test                everything CI runs: setup, native tests, a fuzz smoke run, build, then against a live
                      reference server: browser wasm tests, JS page tests, the fixture
                      apps, page tests, the check matrix, a quick bench and the network
                      faults (root only)
  fixtures [--only NAME]
                      build, start the reference server, then install, build and run
                      the fixture apps of tests/fixtures (Vite 6/7/8, webpack, Next.js,
                      Node.js ESM and CommonJS, Jest, Vitest) against its drop scenario
  fuzz [--seconds N]  run each cargo-fuzz target of fuzz/ for N seconds (default 300)
  bench [--quick] [--flood N]
                      measure SDK vs floor, core ns/event, bundle, memory, detection
                      latency, startup, and beside phoenix, socket.io-client and
                      centrifuge; print a table and write BENCHMARKS.md
                      (--quick: seconds, small counts, writes nothing)
  help                this text
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = dispatch(&args) {
        eprintln!("xtask: error: {e}");
        std::process::exit(1);
    }
}

fn dispatch(args: &[String]) -> Res<()> {
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    let mut opts = Opts::parse(rest)?;
    match command {
        "setup" => {
            opts.done()?;
            setup::run()
        }
        "build" => {
            let dev = opts.flag("--dev");
            opts.done()?;
            build::run(dev).map(|_| ())
        }
        "serve" | "demo" => {
            let port = opts.value("--port")?.unwrap_or(serve::DEFAULT_PORT);
            opts.done()?;
            serve::run(port)
        }
        "test" => {
            opts.done()?;
            test::run()
        }
        "check" => check::run(&mut opts),
        "fixtures" => {
            let only: Option<String> = opts.value("--only")?;
            opts.done()?;
            test::fixtures(only.as_deref())
        }
        "fuzz" => {
            let seconds = opts.value("--seconds")?.unwrap_or(fuzz::DEFAULT_SECONDS);
            opts.done()?;
            fuzz::run(seconds)
        }
        "bench" => {
            let quick = opts.flag("--quick");
            let flood = opts.value("--flood")?;
            opts.done()?;
            bench::run(quick, flood)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}{}", check::USAGE);
            Ok(())
        }
        other => Err(fail!("unknown command `{other}`\n\n{USAGE}{}", check::USAGE)),
    }
}

/// A tiny option parser: `--flag`, `--key value` and `--key=value`.
struct Opts {
    args: Vec<String>,
}

impl Opts {
    fn parse(args: &[String]) -> Res<Opts> {
        let mut out = Vec::new();
        for a in args {
            match a.split_once('=') {
                Some((k, v)) if k.starts_with("--") => {
                    out.push(k.to_string());
                    out.push(v.to_string());
                }
                _ => out.push(a.clone()),
            }
        }
        Ok(Opts { args: out })
    }

    fn flag(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| a != name);
        self.args.len() != before
    }

    fn value<T: std::str::FromStr>(&mut self, name: &str) -> Res<Option<T>> {
        let Some(i) = self.args.iter().position(|a| a == name) else {
            return Ok(None);
        };
        let raw = self.args.get(i + 1).cloned().ok_or_else(|| fail!("{name} needs a value"))?;
        self.args.drain(i..i + 2);
        raw.parse().map(Some).map_err(|_| fail!("bad value for {name}: `{raw}`"))
    }

    fn done(&self) -> Res<()> {
        match self.args.first() {
            None => Ok(()),
            Some(a) => Err(fail!("unexpected argument `{a}` (see `cargo xtask help`)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Opts {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Opts::parse(&args).unwrap_or(Opts { args: vec![] })
    }

    #[test]
    fn parses_options() {
        let mut o = opts(&["--port", "0", "--dev"]);
        assert!(o.flag("--dev"));
        assert_eq!(o.value::<u16>("--port").ok().flatten(), Some(0));
        assert!(o.done().is_ok());

        let mut o = opts(&["--port=9000"]);
        assert_eq!(o.value::<u16>("--port").ok().flatten(), Some(9000));

        let mut o = opts(&["--port"]);
        assert!(o.value::<u16>("--port").is_err());
        assert!(opts(&["--bogus"]).done().is_err());
    }
}
