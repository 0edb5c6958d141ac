//! `ringmq monitor`: a socket whose monitor events are the output, on stdout.

use std::time::{Duration, Instant};

use clap::ArgMatches;
use ringmq::Context;

use crate::args::all;
use crate::error::{CliError, CliResult};
use crate::monitor_lines::{MonitorLines, Sink};
use crate::setup;

pub fn run(m: &ArgMatches) -> CliResult {
    let count = m.get_one::<u64>("count").copied();
    let timeout = m.get_one::<i32>("timeout").copied();
    let ctx = Context::new()?;
    let kind = setup::socket_type(m.get_one::<String>("type").expect("has a default"))?;
    let mut socket = ctx.socket(kind)?;
    setup::configure(&mut socket, m, kind)?;
    let lines = MonitorLines::start(&mut socket, Sink::Stdout, count)?;
    setup::attach(&mut socket, &all(m, "bind"), &all(m, "connect"))?;
    let deadline = timeout.map(|ms| Instant::now() + Duration::from_millis(ms.max(0) as u64));
    // The socket lives until `count` events are printed, or the timeout.
    while !lines.is_done() {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let printed = lines.printed();
            drop(socket);
            lines.finish();
            return match count {
                Some(c) if printed < c => Err(CliError::TimedOut(timeout.unwrap_or(0))),
                _ => Ok(()),
            };
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(socket);
    lines.finish();
    Ok(())
}
