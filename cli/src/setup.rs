//! Making the socket a command works on from its options: type, timeouts, security,
//! subscriptions, monitor, then its binds and connects.

use clap::ArgMatches;
use ringmq::{Context, Socket, SocketType};

use crate::args::all;
use crate::error::{CliError, CliResult};
use crate::monitor_lines::{MonitorLines, Sink};

/// A command's socket, its context, and the monitor printing its events, if asked for.
pub struct Prepared {
    /// The socket.
    pub socket: Socket,
    /// Its monitor's printer (`--monitor`).
    pub monitor: Option<MonitorLines>,
    /// Kept last: the context outlives the socket and the monitor.
    pub ctx: Context,
}

impl Prepared {
    /// Closes the socket (queued messages go out within LINGER), then lets the monitor
    /// print the events of the close and stop.
    pub fn close(self) {
        let Prepared { socket, monitor, ctx } = self;
        drop(socket);
        if let Some(monitor) = monitor {
            monitor.finish();
        }
        drop(ctx);
    }
}

/// A socket type by its libzmq name, in any case.
pub fn socket_type(name: &str) -> CliResult<SocketType> {
    SocketType::from_name(name.to_ascii_uppercase().as_bytes()).ok_or_else(|| {
        CliError::Usage(format!(
            "'{name}' is not a socket type (PUSH, PULL, PUB, SUB, REQ, REP, ...)"
        ))
    })
}

/// Opens the socket `m` describes, monitored on stderr with `--monitor`.
pub fn open(m: &ArgMatches) -> CliResult<Prepared> {
    let ctx = Context::new()?;
    let kind = socket_type(m.get_one::<String>("type").expect("has a default"))?;
    let mut socket = ctx.socket(kind)?;
    configure(&mut socket, m, kind)?;
    let monitor = if m.get_flag("monitor") {
        Some(MonitorLines::start(&mut socket, Sink::Stderr, None)?)
    } else {
        None
    };
    attach(&mut socket, &all(m, "bind"), &all(m, "connect"))?;
    Ok(Prepared { socket, monitor, ctx })
}

/// Options, security and subscriptions, before any endpoint.
pub fn configure(socket: &mut Socket, m: &ArgMatches, kind: SocketType) -> CliResult {
    if let Some(&ms) = m.get_one::<i32>("timeout") {
        socket.set_rcvtimeo(ms)?;
        socket.set_sndtimeo(ms)?;
    }
    if let Some(secret) = m.get_one::<String>("curve-secret") {
        let public = ringmq::curve_public(secret)?;
        socket.set_curve_secretkey(secret.as_bytes())?;
        socket.set_curve_publickey(public.as_bytes())?;
    }
    if m.get_flag("curve-server") {
        if m.get_one::<String>("curve-secret").is_none() {
            return Err(CliError::Usage("--curve-server needs --curve-secret".into()));
        }
        socket.set_curve_server(true)?;
    }
    if let Some(key) = m.get_one::<String>("curve-serverkey") {
        socket.set_curve_serverkey(key.as_bytes())?;
    }
    match (
        m.get_one::<String>("plain-user"),
        m.get_one::<String>("plain-password"),
    ) {
        (Some(user), Some(password)) => {
            socket.set_plain_username(user)?;
            socket.set_plain_password(password)?;
        }
        (None, None) => {}
        _ => {
            return Err(CliError::Usage(
                "--plain-user and --plain-password go together".into(),
            ));
        }
    }
    let prefixes = all(m, "subscribe");
    if kind == SocketType::Sub {
        if prefixes.is_empty() {
            socket.set_subscribe(b"")?;
        }
        for prefix in prefixes {
            socket.set_subscribe(prefix.as_bytes())?;
        }
    } else if !prefixes.is_empty() {
        return Err(CliError::Usage("--subscribe is for SUB sockets".into()));
    }
    Ok(())
}

/// Binds and connects; at least one endpoint is needed.
pub fn attach(socket: &mut Socket, binds: &[&str], connects: &[&str]) -> CliResult {
    if binds.is_empty() && connects.is_empty() {
        return Err(CliError::Usage(
            "give at least one --bind or --connect endpoint".into(),
        ));
    }
    for endpoint in binds {
        socket.bind(endpoint)?;
    }
    for endpoint in connects {
        socket.connect(endpoint)?;
    }
    Ok(())
}
