//! `ringmq proxy`: `zmq_proxy` between two sockets (and a capture), until interrupted.

use clap::ArgMatches;
use ringmq::{Context, SocketType};

use crate::args::all;
use crate::error::CliResult;
use crate::setup;

pub fn run(m: &ArgMatches) -> CliResult {
    let ctx = Context::new()?;
    let side = |prefix: &str| -> CliResult<ringmq::Socket> {
        let kind = setup::socket_type(
            m.get_one::<String>(&format!("{prefix}-type"))
                .expect("has a default"),
        )?;
        let mut socket = ctx.socket(kind)?;
        setup::attach(
            &mut socket,
            &all(m, &format!("{prefix}-bind")),
            &all(m, &format!("{prefix}-connect")),
        )?;
        Ok(socket)
    };
    let mut frontend = side("frontend")?;
    let mut backend = side("backend")?;
    let mut capture = match m.get_one::<String>("capture") {
        Some(endpoint) => {
            let mut socket = ctx.socket(SocketType::Push)?;
            socket.bind(endpoint)?;
            Some(socket)
        }
        None => None,
    };
    ringmq::proxy(&mut frontend, &mut backend, capture.as_mut())?;
    Ok(())
}
