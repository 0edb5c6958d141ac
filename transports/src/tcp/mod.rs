//! The TCP transport on a shard: listeners that accept, sessions that connect (and
//! reconnect), and the ZMTP codec driven over each connection with io_uring.
//!
//! Entry points are plain functions to call inside a closure running on the socket's shard
//! ([`start_listener`], [`stop_listener`], [`stop_listeners`], [`start_connect`],
//! [`cancel_connects`]); the socket
//! itself creates the listening socket synchronously (so bind errors are reported at once)
//! and the pipes of its connections.

mod conn;
mod listener;
pub mod resolve;
mod session;
pub mod sys;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use ringmq_engine::{ShardCx, TaskId};

use crate::inproc::InprocRegistry;
use crate::monitor::EventHook;
use crate::pipe::{PipeLimits, SocketInbox};
use crate::stats::TransportStats;
use crate::zmtp::ZmtpConfig;
use resolve::{Resolve, ResolverThreads};

pub use listener::Listener;
pub use session::{ConnectPipe, DialTarget, PipeHandout, Session};
pub use sys::TcpTuning;

/// Identifies a socket across its shard's state.
pub type SocketId = u64;

/// What a socket's connections need from its options, fixed when bind or connect is called
/// (as libzmq snapshots options then).
#[derive(Clone, Debug)]
pub struct TcpOptions {
    /// The codec's configuration.
    pub zmtp: Arc<ZmtpConfig>,
    /// SNDHWM for pipes of accepted connections.
    pub sndhwm: usize,
    /// RCVHWM for pipes of accepted connections.
    pub rcvhwm: usize,
    /// RECONNECT_IVL; `None` (-1) disables reconnection.
    pub reconnect_ivl: Option<Duration>,
    /// RECONNECT_IVL_MAX; `None` (0) keeps the interval constant.
    pub reconnect_ivl_max: Option<Duration>,
    /// BACKLOG for listeners.
    pub backlog: i32,
    /// Per-connection socket options.
    pub tuning: TcpTuning,
    /// Largest batch of octets handed to one `sendmsg`.
    pub batch_limit: usize,
    /// A batch holding a body at least this large goes out with SEND_ZC (zero-copy, the
    /// batch held until the kernel's notification) where the kernel has it; `None`: never.
    pub zerocopy_threshold: Option<usize>,
    /// CONFLATE for pipes of this socket's connections: (socket-to-peer, peer-to-socket).
    pub conflate: (bool, bool),
    /// ZMQ_IPV6: IPv6 addresses are usable for binds and lookups.
    pub ipv6: bool,
    /// ZMQ_MULTICAST_HOPS for a RADIO's multicast datagrams.
    pub multicast_hops: u32,
    /// ZMQ_MULTICAST_LOOP for a RADIO's multicast datagrams.
    pub multicast_loop: bool,
    /// The socket's counters.
    pub stats: Arc<TransportStats>,
    /// The socket's monitor hook.
    pub events: Arc<EventHook>,
    /// Looks up connect endpoints' host names, before every attempt.
    pub resolver: Arc<dyn Resolve>,
    /// The context's inproc names, where a ZAP handler binds `inproc://zeromq.zap.01`
    /// (`None`: no context, so no handler).
    pub zap_handlers: Option<Arc<InprocRegistry>>,
}

impl TcpOptions {
    /// libzmq's defaults around a codec configuration.
    pub fn new(zmtp: Arc<ZmtpConfig>) -> Self {
        Self {
            zmtp,
            sndhwm: 1000,
            rcvhwm: 1000,
            reconnect_ivl: Some(Duration::from_millis(100)),
            reconnect_ivl_max: None,
            backlog: 100,
            tuning: TcpTuning::default(),
            batch_limit: 256 * 1024,
            zerocopy_threshold: None,
            conflate: (false, false),
            ipv6: false,
            multicast_hops: 1,
            multicast_loop: true,
            stats: Arc::default(),
            events: Arc::default(),
            resolver: Arc::new(ResolverThreads),
            zap_handlers: None,
        }
    }

    /// The bounds of the pipes made for connections.
    pub fn pipe_limits(&self) -> PipeLimits {
        PipeLimits {
            sndhwm: self.sndhwm,
            rcvhwm: self.rcvhwm,
            conflate_out: self.conflate.0,
            conflate_in: self.conflate.1,
        }
    }
}

/// The listeners of each socket on one shard.
#[derive(Debug, Default)]
struct Listeners {
    by_socket: HashMap<SocketId, Vec<(String, TaskId)>>,
}

/// Starts accepting on `fd` (already bound and listening) for socket `socket`; `endpoint` is
/// the resolved endpoint string pipes of accepted peers are tagged with.
pub fn start_listener(
    cx: &mut ShardCx<'_>,
    socket: SocketId,
    fd: OwnedFd,
    endpoint: String,
    options: Arc<TcpOptions>,
    inbox: Arc<SocketInbox>,
) {
    let id = Listener::spawn(cx, fd, endpoint.clone(), options, inbox);
    cx.extension::<Listeners>()
        .by_socket
        .entry(socket)
        .or_default()
        .push((endpoint, id));
}

/// Stops socket `socket`'s listener on `endpoint` and closes the connections it accepted.
/// Returns `false` if there was none.
pub fn stop_listener(cx: &mut ShardCx<'_>, socket: SocketId, endpoint: &str) -> bool {
    let found = {
        let listeners = cx.extension::<Listeners>();
        let Some(list) = listeners.by_socket.get_mut(&socket) else {
            return false;
        };
        let position = list.iter().position(|(e, _)| e == endpoint);
        let found = position.map(|i| list.remove(i).1);
        if list.is_empty() {
            listeners.by_socket.remove(&socket);
        }
        found
    };
    match found {
        Some(id) => {
            cx.with_task::<Listener, _>(id, |l, cx| l.close(cx, id));
            true
        }
        None => false,
    }
}

/// Stops every listener of socket `socket` (the socket is closing).
pub fn stop_listeners(cx: &mut ShardCx<'_>, socket: SocketId) {
    let ids = cx
        .extension::<Listeners>()
        .by_socket
        .remove(&socket)
        .unwrap_or_default();
    for (_, id) in ids {
        cx.with_task::<Listener, _>(id, |l, cx| l.close(cx, id));
    }
}

/// The connecting sessions of each socket on one shard.
#[derive(Debug, Default)]
struct Connects {
    by_socket: HashMap<SocketId, Vec<(String, TaskId)>>,
}

/// Starts connecting to `target` (the socket's `endpoint`) with `pipe`, reconnecting as the
/// options say until the socket lets go of the pipe or cancels the connect.
pub fn start_connect(
    cx: &mut ShardCx<'_>,
    socket: SocketId,
    endpoint: String,
    pipe: ConnectPipe,
    options: Arc<TcpOptions>,
    target: DialTarget,
    source: Option<SocketAddr>,
) -> TaskId {
    let id = Session::spawn_connect(cx, endpoint.clone(), pipe, options, target, source);
    let mut list = cx
        .extension::<Connects>()
        .by_socket
        .remove(&socket)
        .unwrap_or_default();
    // Forget sessions that ended meanwhile, so connect/disconnect cycles don't pile up ids.
    list.retain(|(_, session)| cx.task_exists(*session));
    list.push((endpoint, id));
    cx.extension::<Connects>().by_socket.insert(socket, list);
    id
}

/// Cancels socket `socket`'s connects to `endpoint` (all of them with `None`: the socket is
/// closing). Sessions that hold a pipe also see the socket drop it; this reaches the ones
/// between connections of an IMMEDIATE connect.
pub fn cancel_connects(cx: &mut ShardCx<'_>, socket: SocketId, endpoint: Option<&str>) {
    let ids: Vec<TaskId> = {
        let connects = cx.extension::<Connects>();
        let Some(list) = connects.by_socket.get_mut(&socket) else {
            return;
        };
        let mut cancelled = Vec::new();
        list.retain(|(e, id)| {
            let hit = endpoint.is_none_or(|wanted| wanted == e);
            if hit {
                cancelled.push(*id);
            }
            !hit
        });
        if list.is_empty() {
            connects.by_socket.remove(&socket);
        }
        cancelled
    };
    for id in ids {
        // A stale id (the session ended) finds no task: nothing to do.
        cx.with_task::<Session, _>(id, |s, cx| s.on_connect_cancelled(cx));
    }
}

/// Octets socket `socket`'s stream connections on this shard hold besides the messages
/// queued in their pipes (see [`Session::buffered_octets`]): a diagnostic whose every part
/// has a bound (docs/architecture.md, "Bounds").
pub fn buffered_octets(cx: &mut ShardCx<'_>, socket: SocketId) -> usize {
    let mut sessions: Vec<TaskId> = cx
        .extension::<Connects>()
        .by_socket
        .get(&socket)
        .map(|list| list.iter().map(|(_, id)| *id).collect())
        .unwrap_or_default();
    let listeners: Vec<TaskId> = cx
        .extension::<Listeners>()
        .by_socket
        .get(&socket)
        .map(|list| list.iter().map(|(_, id)| *id).collect())
        .unwrap_or_default();
    for listener in listeners {
        if let Some(accepted) = cx.with_task::<Listener, _>(listener, |l, _| l.sessions().to_vec()) {
            sessions.extend(accepted);
        }
    }
    sessions
        .into_iter()
        .filter_map(|id| cx.with_task::<Session, _>(id, |s, _| s.buffered_octets()))
        .sum()
}
