//! `ringmq`: poke ZeroMQ sockets from a shell, over ringmq's public API only.
//!
//! `ringmq send`, `recv`, `proxy`, `monitor` and `keygen`; `ringmq help COMMAND` or
//! `ringmq COMMAND --help` for each one's options. Exit status: 0 on success, 1 on an error
//! (named on stderr), 2 for bad arguments. It uses only the public `ringmq` API.

mod args;
mod commands;
mod error;
mod format;
mod monitor_lines;
mod setup;

use std::process::ExitCode;

fn main() -> ExitCode {
    let matches = args::command().get_matches();
    let outcome = match matches.subcommand() {
        Some(("send", m)) => commands::send::run(m),
        Some(("recv", m)) => commands::recv::run(m),
        Some(("proxy", m)) => commands::proxy::run(m),
        Some(("monitor", m)) => commands::monitor::run(m),
        Some(("keygen", m)) => commands::keygen::run(m),
        _ => unreachable!("clap requires a known subcommand"),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringmq: {e}");
            // As clap's own parse errors: 2 for arguments that make no sense.
            ExitCode::from(if matches!(e, error::CliError::Usage(_)) {
                2
            } else {
                1
            })
        }
    }
}
