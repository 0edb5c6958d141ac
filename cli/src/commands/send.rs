//! `ringmq send`: messages from standard input to the socket; a REQ prints each reply.

use std::io::Write;

use clap::ArgMatches;
use ringmq::{Flags, SocketType};

use super::timed_out_or;
use crate::error::CliResult;
use crate::format::{Input, Output};
use crate::setup;

pub fn run(m: &ArgMatches) -> CliResult {
    let input = Input::parse(m.get_one::<String>("input").expect("has a default"));
    let output = Output::parse(m.get_one::<String>("output").expect("has a default"));
    let count = m.get_one::<u64>("count").copied();
    let timeout = m.get_one::<i32>("timeout").copied();
    let mut prepared = setup::open(m)?;
    let awaits_replies = prepared.socket.socket_type() == SocketType::Req;
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut sent = 0u64;
    let outcome = (|| -> CliResult {
        while count.is_none_or(|c| sent < c) {
            let Some(frames) = input.read(&mut stdin)? else {
                break;
            };
            prepared
                .socket
                .send_multipart(frames, Flags::NONE)
                .map_err(|e| timed_out_or(e, timeout))?;
            sent += 1;
            if awaits_replies {
                let reply = prepared
                    .socket
                    .recv_multipart(Flags::NONE)
                    .map_err(|e| timed_out_or(e, timeout))?;
                output.write(&mut stdout, &reply)?;
            }
        }
        stdout.flush()?;
        Ok(())
    })();
    prepared.close();
    outcome
}
