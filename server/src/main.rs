//! `satchel-server`: serve the Satchel API and PWA. See `satchel-server --help`.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::io::IsTerminal;
use std::process::ExitCode;
use std::str::FromStr;

use satchel_server::config::{Command, USAGE};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// mimalloc instead of glibc's malloc (issue 16): allocation was the largest item of a drain's
/// profile; see docs/performance.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logging() {
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let (filter, bad) = match spec.as_deref().map(Targets::from_str) {
        Some(Ok(t)) => (t, false),
        Some(Err(_)) => (Targets::new().with_default(LevelFilter::INFO), true),
        None => (Targets::new().with_default(LevelFilter::INFO), false),
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    if bad {
        tracing::warn!("RUST_LOG could not be parsed; logging at info");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = match Command::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("satchel-server: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match command {
        Command::Help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("satchel-server {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Tax { rules } => return satchel_server::tax_cli::run(&rules),
        Command::Rules(command) => return satchel_server::rules_cli::run(command),
        Command::DevCert(args) => return satchel_server::tls::dev_cert_command(args),
        Command::Serve(config) => config,
    };
    init_logging();
    match satchel_server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("satchel-server: {e}");
            ExitCode::FAILURE
        }
    }
}
