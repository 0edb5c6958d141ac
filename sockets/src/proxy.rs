//! `proxy`: the built-in device (`zmq_proxy`): moves whole messages between a frontend and a
//! backend socket in both directions, optionally copying every frame to a capture socket,
//! until the context terminates. ROUTER/DEALER makes a request-reply broker, XSUB/XPUB a
//! publish-subscribe forwarder (subscriptions flow upstream through it), PULL/PUSH a
//! pipeline streamer. `proxy_steerable` (`zmq_proxy_steerable`) also obeys a control
//! socket: PAUSE, RESUME, TERMINATE and STATISTICS.

use ringmq_transports::{Msg, Result, SocketType};

use crate::flags::Flags;
use crate::poll::{PollItem, poll};
use crate::readiness::PollEvents;
use crate::socket::Socket;

/// Messages and octets one side of a proxy moved (libzmq's `stats_socket`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Moved {
    messages: u64,
    bytes: u64,
}

impl Moved {
    fn add(&mut self, bytes: u64) {
        self.messages += 1;
        self.bytes += bytes;
    }
}

/// What a proxy moved, per socket and direction, as STATISTICS reports it.
#[derive(Clone, Copy, Debug, Default)]
struct ProxyStats {
    frontend_in: Moved,
    frontend_out: Moved,
    backend_in: Moved,
    backend_out: Moved,
}

impl ProxyStats {
    /// libzmq's reply order: frontend received (messages, octets), frontend sent, backend
    /// received, backend sent.
    fn reply(&self) -> [Msg; 8] {
        let values = [
            self.frontend_in.messages,
            self.frontend_in.bytes,
            self.frontend_out.messages,
            self.frontend_out.bytes,
            self.backend_in.messages,
            self.backend_in.bytes,
            self.backend_out.messages,
            self.backend_out.bytes,
        ];
        values.map(|v| Msg::from(v.to_ne_bytes().to_vec()))
    }
}

/// Moves one whole message from `from` to `to`, copying its frames to `capture`; returns
/// its size in octets (a multipart message counts once, as libzmq 4.3's proxy counts it).
/// (`to` `None`: back out of `from` itself).
fn forward(from: &mut Socket, mut to: Option<&mut Socket>, capture: &mut Option<&mut Socket>) -> Result<u64> {
    let mut size = 0u64;
    loop {
        let frame = from.recv(Flags::NONE)?;
        let more = frame.more();
        size += frame.len() as u64;
        if let Some(c) = capture.as_deref_mut() {
            // As libzmq's proxy does, the copy is sent like any message: a capture socket
            // with no peer to take it (a PUSH not yet connected) holds the proxy back, and
            // one that fails (its SNDTIMEO passed) ends it with that error.
            c.send(frame.clone(), if more { Flags::SNDMORE } else { Flags::NONE })?;
        }
        let to = match to.as_deref_mut() {
            Some(to) => to,
            None => &mut *from,
        };
        to.send(frame, if more { Flags::SNDMORE } else { Flags::NONE })?;
        if !more {
            return Ok(size);
        }
    }
}

/// Runs the proxy until the context is terminated, which ends it with ETERM (as
/// `zmq_proxy` returns -1 with ETERM); any other error ends it too and is returned.
///
/// ```no_run
/// use ringmq_sockets::{Context, SocketType, proxy};
/// let ctx = Context::new()?;
/// let mut frontend = ctx.socket(SocketType::Router)?;
/// frontend.bind("tcp://*:5559")?;
/// let mut backend = ctx.socket(SocketType::Dealer)?;
/// backend.bind("tcp://*:5560")?;
/// let stopped = proxy(&mut frontend, &mut backend, None); // runs until ctx.term()
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
pub fn proxy(frontend: &mut Socket, backend: &mut Socket, capture: Option<&mut Socket>) -> Result<()> {
    run(frontend, Some(backend), capture, None)
}

/// `zmq_proxy(socket, socket, capture)`: one socket as both ends, every message it
/// receives sent back out of it (a ROUTER replying to whoever sent, a PAIR or DEALER
/// echoing), copied to `capture`; with a `control` socket it obeys PAUSE, RESUME,
/// TERMINATE and STATISTICS as [`proxy_steerable`] does. Runs until the context terminates
/// (ETERM) or TERMINATE.
///
/// ```
/// use ringmq_sockets::{Context, Flags, SocketType, proxy_single};
/// let ctx = Context::new()?;
/// let mut echo = ctx.socket(SocketType::Router)?;
/// echo.bind("inproc://echo")?;
/// let device = std::thread::spawn(move || proxy_single(&mut echo, None, None));
/// let mut client = ctx.socket(SocketType::Dealer)?;
/// client.connect("inproc://echo")?;
/// client.send("ping", Flags::NONE)?;
/// assert_eq!(client.recv(Flags::NONE)?, "ping");
/// drop(client);
/// drop(ctx);
/// assert!(device.join().unwrap().is_err()); // ETERM
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
pub fn proxy_single(
    socket: &mut Socket,
    capture: Option<&mut Socket>,
    control: Option<&mut Socket>,
) -> Result<()> {
    run(socket, None, capture, control)
}

/// A control command, as libzmq's proxy reads one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Pause,
    Resume,
    Terminate,
    Statistics,
    /// Anything else: ignored, as libzmq ignores it.
    Unknown,
}

impl Command {
    fn parse(frame: &[u8]) -> Self {
        match frame {
            b"PAUSE" => Command::Pause,
            b"RESUME" => Command::Resume,
            b"TERMINATE" => Command::Terminate,
            b"STATISTICS" => Command::Statistics,
            _ => Command::Unknown,
        }
    }
}

/// [`proxy`], steered through `control` as `zmq_proxy_steerable`: `PAUSE` stops moving
/// messages (they wait in the sockets' queues), `RESUME` moves them again, `TERMINATE` ends
/// the proxy (it returns `Ok`), and `STATISTICS` replies with eight frames of 64-bit
/// counters in host byte order: messages and octets received on the frontend, sent on the
/// frontend, received on the backend, sent on the backend. A REP control socket gets an
/// empty reply to every other command, so that it can take the next one; anything else is
/// ignored.
///
/// ```
/// use ringmq_sockets::{Context, Flags, SocketType, proxy_steerable};
/// let ctx = Context::new()?;
/// let (mut frontend, mut backend) = (ctx.socket(SocketType::Pull)?, ctx.socket(SocketType::Push)?);
/// frontend.bind("inproc://in")?;
/// backend.bind("inproc://out")?;
/// let mut control = ctx.socket(SocketType::Rep)?;
/// control.bind("inproc://control")?;
/// let device = std::thread::spawn(move || proxy_steerable(&mut frontend, &mut backend, None, &mut control));
///
/// let (mut producer, mut consumer) = (ctx.socket(SocketType::Push)?, ctx.socket(SocketType::Pull)?);
/// producer.connect("inproc://in")?;
/// consumer.connect("inproc://out")?;
/// producer.send("hello", Flags::NONE)?;
/// assert_eq!(consumer.recv(Flags::NONE)?, "hello");
///
/// let mut steer = ctx.socket(SocketType::Req)?;
/// steer.connect("inproc://control")?;
/// steer.send("STATISTICS", Flags::NONE)?;
/// let counters: Vec<u64> = steer
///     .recv_multipart(Flags::NONE)?
///     .iter()
///     .map(|f| u64::from_ne_bytes(f[..].try_into().unwrap()))
///     .collect();
/// assert_eq!(counters, [1, 5, 0, 0, 0, 0, 1, 5]);
/// steer.send("TERMINATE", Flags::NONE)?;
/// steer.recv(Flags::NONE)?;
/// device.join().unwrap()?;
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
pub fn proxy_steerable(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: Option<&mut Socket>,
    control: &mut Socket,
) -> Result<()> {
    run(frontend, Some(backend), capture, Some(control))
}

/// The proxy loop; `backend` `None` is the frontend proxying to itself.
fn run(
    frontend: &mut Socket,
    mut backend: Option<&mut Socket>,
    mut capture: Option<&mut Socket>,
    mut control: Option<&mut Socket>,
) -> Result<()> {
    let mut stats = ProxyStats::default();
    let mut paused = false;
    loop {
        // While paused only the control socket is watched: messages wait where they are.
        let moving = if paused {
            PollEvents::NONE
        } else {
            PollEvents::POLLIN
        };
        let (front_ready, back_ready, control_ready) =
            wait(frontend, backend.as_deref_mut(), control.as_deref_mut(), moving)?;
        if control_ready {
            let Some(c) = control.as_deref_mut() else {
                unreachable!("only a control socket is polled third");
            };
            match obey(c, &stats)? {
                Command::Pause => paused = true,
                Command::Resume => paused = false,
                Command::Terminate => return Ok(()),
                Command::Statistics | Command::Unknown => {}
            }
            continue;
        }
        if front_ready && !paused {
            let size = forward(frontend, backend.as_deref_mut(), &mut capture)?;
            stats.frontend_in.add(size);
            stats.backend_out.add(size);
        }
        if let Some(backend) = backend.as_deref_mut().filter(|_| back_ready && !paused) {
            let size = forward(backend, Some(&mut *frontend), &mut capture)?;
            stats.backend_in.add(size);
            stats.frontend_out.add(size);
        }
    }
}

/// Waits until the frontend or the backend has a message (polled for `moving`), or the
/// control socket a command; returns which are ready. No allocation: this runs once per
/// message moved.
fn wait(
    frontend: &mut Socket,
    backend: Option<&mut Socket>,
    control: Option<&mut Socket>,
    moving: PollEvents,
) -> Result<(bool, bool, bool)> {
    let front = PollItem::new(frontend, moving);
    let Some(backend) = backend else {
        return match control {
            Some(control) => {
                let mut items = [front, PollItem::new(control, PollEvents::POLLIN)];
                poll(&mut items, -1)?;
                Ok((items[0].is_readable(), false, items[1].is_readable()))
            }
            None => {
                let mut items = [front];
                poll(&mut items, -1)?;
                Ok((items[0].is_readable(), false, false))
            }
        };
    };
    let back = PollItem::new(backend, moving);
    match control {
        Some(control) => {
            let mut items = [front, back, PollItem::new(control, PollEvents::POLLIN)];
            poll(&mut items, -1)?;
            Ok((
                items[0].is_readable(),
                items[1].is_readable(),
                items[2].is_readable(),
            ))
        }
        None => {
            let mut items = [front, back];
            poll(&mut items, -1)?;
            Ok((items[0].is_readable(), items[1].is_readable(), false))
        }
    }
}

/// Reads one command from `control` and answers it: the counters for STATISTICS, an empty
/// reply to anything else on a REP socket.
fn obey(control: &mut Socket, stats: &ProxyStats) -> Result<Command> {
    let frames = control.recv_multipart(Flags::NONE)?;
    let command = Command::parse(&frames[0]);
    if command == Command::Statistics {
        control.send_multipart(stats.reply(), Flags::NONE)?;
    } else if control.socket_type() == SocketType::Rep {
        control.send(Msg::new(), Flags::NONE)?;
    }
    Ok(command)
}
