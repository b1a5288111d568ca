//! The `bilet` binary: parse the command line, load the configuration, run.

use std::process::ExitCode;

use bilet::cli::{self, Cli, Command};
use clap::Parser;

fn main() -> ExitCode {
    // The data folder holds customers' mail and files: nothing Bilet
    // creates is readable by other local users (folders 0700, files 0600).
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    bilet::use_ring_for_tls();
    let cli = Cli::parse();
    if let Some(line) = cli::packaged_as_root() {
        eprintln!("error: run Bilet as its own user, so its files stay its own:\n  {line}");
        return ExitCode::from(1);
    }
    // A pipe from the MTA must hear "try again" for any failure that is
    // not the mail's own fault, the configuration included.
    let pipe = matches!(&cli.command, Command::Mail(cli::MailCommand::Ingest(i)) if i.is_pipe());
    let config = match cli::load_config(&cli) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(if pipe { cli::pipe::EX_TEMPFAIL } else { 2 });
        }
    };
    bilet::telemetry::init(&config.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen } => bilet::app::serve(config, listen).await,
            other => cli::run(config, other).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            match err.downcast_ref::<cli::pipe::Exit>() {
                Some(exit) => ExitCode::from(exit.code),
                None if pipe => ExitCode::from(cli::pipe::EX_TEMPFAIL),
                None => ExitCode::FAILURE,
            }
        }
    }
}
