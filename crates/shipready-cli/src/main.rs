//! The `shipready` command: parse arguments, run a command, map the outcome
//! to an exit code (0 ready, 1 not ready, 2 usage / configuration / plugin /
//! internal error). Errors print their whole cause chain once, no backtrace.

mod cli;
mod commands;
mod config;
mod output;
mod suppress;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

// The host allocates and frees many small values across threads (parsed
// statements, search hits, file texts): mimalloc does that with fewer
// page faults and less contention than the system allocator. Its arenas
// are committed as used (.cargo/config.toml), so resident memory stays
// what the run holds.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a command concluded, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ready = 0,
    NotReady = 1,
    Error = 2,
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Check(args) => commands::check::run(args),
        cli::Command::Checks(args) => commands::checks::run(args),
        cli::Command::Explain(args) => commands::explain::run(args),
        cli::Command::Baseline(args) => commands::check::baseline(args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(Exit::Error as u8)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
