//! The transports that have descriptors (tcp://, ipc://, udp://) behind one interface for
//! sockets: [`bind`], [`connect`], [`unbind`], [`disconnect`] and [`close`].
//!
//! A socket hands over what its connections need ([`SocketSide`]: its id, shard, inbox and
//! option snapshot) and gets back what it keeps: the resolved endpoint, the pipe made at once
//! (a connect's pipe, a DISH's datagram pipe), and the ipc:// socket file that goes with a
//! bound endpoint. Every descriptor is made here, and the ones that carry traffic are handed
//! to tasks on the socket's shard; `sockets/` touches none. inproc:// is not here: it has no
//! descriptor and no shard, only the context's registry (`inproc.rs`).
//!
//! Bind errors (EADDRINUSE, ENODEV, ENAMETOOLONG, EINVAL) are returned by [`bind`] itself:
//! the listening socket is made on the caller's thread, then handed to the shard.

use std::net::SocketAddr;
use std::sync::Arc;

use ringmq_engine::ShardRef;

use crate::endpoint::{ConnectTarget, Endpoint, TcpEndpoint, endpoint_string, tcp_endpoint_string};
use crate::error::{Error, Result};
use crate::ipc::{self, IpcFile, IpcPath};
use crate::monitor::{EventKind, event_value};
use crate::pipe::{SocketInbox, SocketPipe, pipe};
use crate::tcp::sys::{self, StreamAddr};
use crate::tcp::{self, ConnectPipe, DialTarget, PipeHandout, SocketId, TcpOptions};
use crate::udp;

/// What a socket's endpoints need from it.
#[derive(Clone, Debug)]
pub struct SocketSide {
    /// The socket's id on its shard.
    pub id: SocketId,
    /// The shard serving the socket.
    pub shard: ShardRef,
    /// Where the socket learns of new pipes and of pipe events.
    pub inbox: Arc<SocketInbox>,
    /// The socket's options as its connections see them, fixed at bind or connect (as
    /// libzmq snapshots them then).
    pub options: Arc<TcpOptions>,
}

/// What a bind leaves the socket with.
#[derive(Debug)]
pub struct Bound {
    /// The endpoint as bound: the ephemeral port or the `ipc://*` path filled in.
    pub resolved: String,
    /// udp:// (a DISH): the one pipe every radio's datagrams arrive on.
    pub pipe: Option<SocketPipe>,
    /// ipc:// with a path: the socket file (and the directory made for `ipc://*`), removed
    /// when this is dropped.
    pub ipc_file: Option<IpcFile>,
}

/// Binds `endpoint` (tcp://, ipc://, or udp:// for a DISH): peers of a listening endpoint
/// arrive in the socket's inbox as their handshakes complete.
pub fn bind(endpoint: &str, parsed: &Endpoint, side: &SocketSide) -> Result<Bound> {
    let bound = bind_endpoint(endpoint, parsed, side);
    if let Err(e) = &bound {
        side.options
            .events
            .emit(EventKind::BindFailed, event_value(e.errno()), endpoint);
    }
    bound
}

fn bind_endpoint(endpoint: &str, parsed: &Endpoint, side: &SocketSide) -> Result<Bound> {
    match parsed {
        Endpoint::Tcp(tcp) => {
            let addr = tcp.resolve_bind(endpoint, side.options.ipv6)?;
            let (fd, local) = sys::listen(&addr, side.options.backlog)
                .map_err(|e| Error::io(format!("bind {endpoint}"), e))?;
            let resolved = tcp_endpoint_string(&local);
            listen(side, fd, resolved.clone());
            Ok(Bound {
                resolved,
                pipe: None,
                ipc_file: None,
            })
        }
        Endpoint::Ipc(path) => bind_ipc(endpoint, path, side),
        Endpoint::Udp(udp) => bind_udp(endpoint, udp, side),
        Endpoint::Inproc(_) => Err(not_here(endpoint)),
    }
}

fn listen(side: &SocketSide, fd: std::os::fd::OwnedFd, resolved: String) {
    use std::os::fd::AsRawFd;
    side.options
        .events
        .emit(EventKind::Listening, event_value(fd.as_raw_fd()), &resolved);
    let (socket, options, inbox) = (side.id, side.options.clone(), side.inbox.clone());
    side.shard
        .run(move |cx| tcp::start_listener(cx, socket, fd, resolved, options, inbox));
}

/// Listens on an ipc:// endpoint with the same listener and sessions as tcp://.
fn bind_ipc(endpoint: &str, path: &IpcPath, side: &SocketSide) -> Result<Bound> {
    let binding = ipc::bind(endpoint, path, side.options.backlog)?;
    let resolved = binding.endpoint.clone();
    listen(side, binding.fd, resolved.clone());
    Ok(Bound {
        resolved,
        pipe: None,
        ipc_file: binding.file,
    })
}

/// DISH over udp://: one pipe for every radio that sends to the bound address.
fn bind_udp(endpoint: &str, udp: &TcpEndpoint, side: &SocketSide) -> Result<Bound> {
    let bound = match udp.multicast_group() {
        Some(group) => {
            let iface = udp.multicast_interface(endpoint)?;
            udp::bind_multicast(group, udp.target.port_or_zero(), iface)
        }
        None => udp::bind(udp.resolve_bind(endpoint, side.options.ipv6)?),
    };
    let (fd, local) = bound.map_err(|e| Error::io(format!("bind {endpoint}"), e))?;
    let resolved = endpoint_string("udp", &local);
    let (socket_end, shard_end) = pipe(
        side.inbox.clone(),
        side.shard.clone(),
        side.options.pipe_limits(),
        Some(resolved.clone()),
        false,
    );
    side.shard.run(move |cx| {
        udp::UdpReceiver::spawn(cx, fd, shard_end);
    });
    Ok(Bound {
        resolved,
        pipe: Some(socket_end),
        ipc_file: None,
    })
}

/// How a connect's pipes come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipePlan {
    /// One pipe, now: messages queue before the connection exists and the pipe outlives
    /// reconnections.
    Held,
    /// A pipe for each completed connection, arriving in the inbox and ending with its
    /// connection (IMMEDIATE, and STREAM whose peers are connections).
    PerConnection,
}

/// Connects to `endpoint` (tcp://, ipc://, or udp:// for a RADIO), asynchronously:
/// connections are made and remade on the shard. Returns the pipe made now, if the plan
/// (or udp://, always one pipe) makes one.
pub fn connect(
    endpoint: &str,
    parsed: &Endpoint,
    side: &SocketSide,
    plan: PipePlan,
) -> Result<Option<SocketPipe>> {
    let (target, source): (DialTarget, Option<SocketAddr>) = match parsed {
        Endpoint::Tcp(tcp) => {
            let (target, source) = tcp.connect_target(endpoint, side.options.ipv6)?;
            let target = match target {
                ConnectTarget::Addr(addr) => DialTarget::Addr(StreamAddr::Ip(addr)),
                ConnectTarget::Name(name) => DialTarget::Name(name),
            };
            (target, source)
        }
        Endpoint::Ipc(path) => (DialTarget::Addr(path.connect_addr(endpoint)?), None),
        Endpoint::Udp(udp) => return connect_udp(endpoint, udp, side).map(Some),
        Endpoint::Inproc(_) => return Err(not_here(endpoint)),
    };
    let (held, for_session) = match plan {
        PipePlan::PerConnection => (
            None,
            ConnectPipe::PerConnection(PipeHandout {
                inbox: side.inbox.clone(),
                origin: endpoint.to_owned(),
            }),
        ),
        PipePlan::Held => {
            let (socket_end, shard_end) = pipe(
                side.inbox.clone(),
                side.shard.clone(),
                side.options.pipe_limits(),
                Some(endpoint.to_owned()),
                true,
            );
            (Some(socket_end), ConnectPipe::Held(shard_end))
        }
    };
    let (socket, origin, options) = (side.id, endpoint.to_owned(), side.options.clone());
    side.shard.run(move |cx| {
        tcp::start_connect(cx, socket, origin, for_session, options, target, source);
    });
    Ok(held)
}

/// RADIO over udp://: every message goes to the target as a datagram.
fn connect_udp(endpoint: &str, udp: &TcpEndpoint, side: &SocketSide) -> Result<SocketPipe> {
    let options = &side.options;
    let (target, _) = udp.resolve_connect(endpoint, options.ipv6)?;
    let connected = match (udp.multicast_group(), target) {
        (Some(_), SocketAddr::V4(group)) => udp::connect_multicast(
            group,
            udp.multicast_interface(endpoint)?,
            options.multicast_hops,
            options.multicast_loop,
        ),
        _ => udp::connect(target),
    };
    let fd = connected.map_err(|e| Error::io(format!("connect {endpoint}"), e))?;
    let (socket_end, shard_end) = pipe(
        side.inbox.clone(),
        side.shard.clone(),
        options.pipe_limits(),
        Some(endpoint.to_owned()),
        true,
    );
    side.shard.run(move |cx| {
        udp::UdpSender::spawn(cx, fd, shard_end);
    });
    Ok(socket_end)
}

/// Stops accepting on the bound endpoint `resolved` and closes the connections accepted
/// there that are still handshaking (the socket drops the pipes of the others).
pub fn unbind(shard: &ShardRef, socket: SocketId, resolved: &str) {
    let resolved = resolved.to_owned();
    shard.run(move |cx| {
        tcp::stop_listener(cx, socket, &resolved);
    });
}

/// Stops the connecting sessions of `endpoint` that hold no pipe (those that do see the
/// socket drop it, and follow LINGER).
pub fn disconnect(shard: &ShardRef, socket: SocketId, endpoint: &str) {
    let endpoint = endpoint.to_owned();
    shard.run(move |cx| tcp::cancel_connects(cx, socket, Some(&endpoint)));
}

/// The socket closes: every listener stops at once, every connect stops reconnecting once
/// its pipe's LINGER is over.
pub fn close(shard: &ShardRef, socket: SocketId, listening: bool, connecting: bool) {
    if listening {
        shard.run(move |cx| tcp::stop_listeners(cx, socket));
    }
    if connecting {
        shard.run(move |cx| tcp::cancel_connects(cx, socket, None));
    }
}

/// What a socket's connections on this shard hold besides queued messages (see
/// `Socket::buffered_bytes`); call it on the socket's shard.
pub use crate::tcp::buffered_octets;

fn not_here(endpoint: &str) -> Error {
    Error::InvalidArgument(format!(
        "'{endpoint}': inproc:// endpoints belong to the context, not to a transport"
    ))
}
