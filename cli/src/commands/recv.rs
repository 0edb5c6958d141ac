//! `ringmq recv`: prints what the socket receives; a REP echoes each request back.

use clap::ArgMatches;
use ringmq::{Flags, SocketType};

use super::timed_out_or;
use crate::error::CliResult;
use crate::format::Output;
use crate::setup;

pub fn run(m: &ArgMatches) -> CliResult {
    let output = Output::parse(m.get_one::<String>("output").expect("has a default"));
    let count = m.get_one::<u64>("count").copied();
    let timeout = m.get_one::<i32>("timeout").copied();
    let mut prepared = setup::open(m)?;
    let echoes = prepared.socket.socket_type() == SocketType::Rep;
    let mut stdout = std::io::stdout().lock();
    let mut received = 0u64;
    let outcome = (|| -> CliResult {
        while count.is_none_or(|c| received < c) {
            let frames = prepared
                .socket
                .recv_multipart(Flags::NONE)
                .map_err(|e| timed_out_or(e, timeout))?;
            output.write(&mut stdout, &frames)?;
            received += 1;
            if echoes {
                prepared
                    .socket
                    .send_multipart(frames, Flags::NONE)
                    .map_err(|e| timed_out_or(e, timeout))?;
            }
        }
        Ok(())
    })();
    prepared.close();
    outcome
}
