//! A session: one peer of a socket over a stream transport (tcp://, ipc://), as a shard task.
//!
//! A connecting session owns its pipe for its whole life and replaces its connection as often
//! as it breaks (RECONNECT_IVL with optional doubling up to RECONNECT_IVL_MAX, plus jitter,
//! as libzmq does); messages queue in the pipe meanwhile, up to SNDHWM. With IMMEDIATE (and
//! always for STREAM) it makes a new pipe for each completed connection instead, which ends
//! with it. An accepted session has one connection and creates its pipe when the handshake
//! completes (at once for STREAM, which has none).
//!
//! The connection's life is [`Link`], and every change of it is a method in this file (the
//! "transitions" section); the other files of this module do one job each over the current
//! state: [`dial`] connecting and reconnect back-off, [`input`] decoding and its
//! back-pressure, [`output`] batching and zero-copy sends, [`linger`] what happens once the
//! socket has let go. A replaced connection is retired: its I/O ([`ConnIo`]) is kept until
//! none of its operations is in flight, and its completions are told apart by generation.

mod dial;
mod input;
mod linger;
mod output;
mod properties;
mod zap;

use std::os::fd::{OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ringmq_engine::task::Completion;
use ringmq_engine::{ShardCx, ShardRef, Task, TaskId};

use super::TcpOptions;
use super::conn::{ConnIo, GENERATION_BITS, Op, known_peer_address, untag};
use crate::codec::Codec;
use crate::flow::InputEnd;
use crate::flow::{Flow, Input, Stage};
use crate::monitor::{EventKind, Reason, event_value, handshake_failure};
use crate::msg::Msg;
use crate::pipe::{Linger, ShardPipe, SocketEvent, SocketInbox, pipe};
use crate::zmtp::ProtocolError;
use crate::zmtp::{BodyPool, Metadata, PeerInfo};

pub use dial::DialTarget;
use dial::{DialPipes, Dialer, PipeFor};

/// How long a connection that failed a handshake rule may take to deliver the ERROR it owes
/// its peer before it is closed anyway (a peer that does not read gets no more).
const ERROR_GRACE: Duration = Duration::from_secs(1);

/// How long a lingering ipc:// connection that delivered everything waits, half-closed,
/// for its peer to close its end (at most; LINGER may say sooner).
const DRAIN_WAIT: Duration = Duration::from_secs(10);

/// Why a session gives a connection up: what its monitor reports, and whether it tries
/// again.
#[derive(Debug)]
pub(super) enum Failure {
    /// The peer closed, or a receive failed.
    Input(InputEnd),
    /// A connect or a send failed with this errno.
    Io(i32),
    /// The peer broke a protocol rule, or a handshake or heartbeat rule ran out.
    Protocol(ProtocolError),
    /// This side stopped wanting the peer during its handshake (the socket disconnected,
    /// the listener closed).
    Abandoned(&'static str),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(end) => end.fmt(f),
            Failure::Io(errno) => std::io::Error::from_raw_os_error(*errno).fmt(f),
            Failure::Protocol(e) => e.fmt(f),
            Failure::Abandoned(why) => f.write_str(why),
        }
    }
}

impl Failure {
    /// The reason a typed monitor reports.
    fn reason(&self) -> Reason {
        match self {
            Failure::Input(InputEnd::PeerClosed) => Reason::PeerClosed,
            Failure::Input(InputEnd::Failed(errno)) | Failure::Io(errno) => Reason::Io(*errno),
            Failure::Protocol(e) => Reason::Protocol(e.clone()),
            Failure::Abandoned(_) => Reason::Abandoned,
        }
    }

    /// The monitor event a failure in the handshake reports before DISCONNECTED, as
    /// libzmq's: the errno of an I/O failure (EPIPE for a peer that closed), the ZMTP or
    /// ZAP code of a protocol error, the ZAP status of a refusal; none for what libzmq
    /// reports no detail of.
    fn handshake_event(&self) -> Option<(EventKind, u32)> {
        match self {
            Failure::Input(InputEnd::PeerClosed) => {
                Some((EventKind::HandshakeFailedNoDetail, event_value(libc::EPIPE)))
            }
            Failure::Input(InputEnd::Failed(errno)) | Failure::Io(errno) => {
                Some((EventKind::HandshakeFailedNoDetail, event_value(*errno)))
            }
            Failure::Protocol(e) => handshake_failure(e),
            Failure::Abandoned(_) => None,
        }
    }
}

/// Where a session that makes its own pipe hands the socket's end.
#[derive(Debug)]
pub struct PipeHandout {
    /// The socket's inbox.
    pub inbox: Arc<SocketInbox>,
    /// The endpoint the pipe belongs to.
    pub origin: String,
}

/// How a connecting session gets its pipe.
#[derive(Debug)]
pub enum ConnectPipe {
    /// The socket holds the other end already: messages queue before the connection exists,
    /// and the pipe outlives reconnections.
    Held(ShardPipe),
    /// IMMEDIATE: a pipe is made for each completed handshake and ends with its connection,
    /// so messages are only ever queued to a live peer.
    PerConnection(PipeHandout),
}

/// Which side made the connection.
#[derive(Debug)]
enum Role {
    /// We connect, and reconnect when the connection breaks.
    Dial(Dialer),
    /// A listener accepted the connection; the session ends with it.
    Accepted {
        /// Set when the listener closes: a peer still handshaking is then refused.
        listener_closed: Arc<AtomicBool>,
        handout: PipeHandout,
    },
}

/// A connection whose stream is established: its I/O, and the rules between its codec and
/// the pipe (held-back input included).
#[derive(Debug)]
struct Conn {
    io: ConnIo,
    flow: Flow,
    recv_mode: input::RecvMode,
}

/// What a session does once its closing connection is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterClose {
    /// The connection was lost: reconnect or end, as for any lost connection.
    Lost,
    /// STREAM closed it on purpose: the session ends.
    End,
}

/// Where the session's connection is in its life.
#[derive(Debug)]
enum Link {
    /// No connection. A connecting session waits for its next attempt (its [`Dialer`] knows
    /// when); an accepted one is ending.
    Down,
    /// The endpoint's host name is being looked up off the shard (connecting only).
    Resolving,
    /// The stream connect is in flight.
    Connecting(ConnIo),
    /// Connected; greeting and handshake under way.
    Handshaking(Conn),
    /// The handshake completed (at once for STREAM's raw peers): messages flow both ways.
    Up(Conn),
    /// Writing its last octets, then closing: the ERROR a failed handshake owes its peer,
    /// or what STREAM queued before the empty message that closes a connection. Nothing is
    /// read any more.
    Closing {
        conn: Conn,
        /// When to close even if the octets are not out (a peer that does not read).
        deadline: Option<Instant>,
        then: AfterClose,
    },
    /// ipc:// only: everything was delivered and our end is half-closed; the descriptor
    /// stays open until the peer closes its end (its receive sees the end of input), or
    /// `deadline`. A Unix socket closed outright is a hang-up to the peer, and libzmq's
    /// engine, its input held back by RCVHWM, stops on a hang-up with the octets still in
    /// its socket buffer unread: the end of the stream would be lost. What arrives
    /// meanwhile is dropped.
    Draining { io: ConnIo, deadline: Instant },
}

impl Link {
    /// The connection messages and handshake bytes flow on (handshaking or up).
    fn open_conn(&mut self) -> Option<&mut Conn> {
        match self {
            Link::Handshaking(c) | Link::Up(c) => Some(c),
            _ => None,
        }
    }

    /// The current connection's I/O, in any state that has one.
    fn io(&mut self) -> Option<&mut ConnIo> {
        match self {
            Link::Connecting(io) | Link::Draining { io, .. } => Some(io),
            Link::Handshaking(c) | Link::Up(c) | Link::Closing { conn: c, .. } => Some(&mut c.io),
            Link::Down | Link::Resolving => None,
        }
    }

    fn generation(&self) -> Option<u32> {
        match self {
            Link::Connecting(io) | Link::Draining { io, .. } => Some(io.generation()),
            Link::Handshaking(c) | Link::Up(c) | Link::Closing { conn: c, .. } => Some(c.io.generation()),
            Link::Down | Link::Resolving => None,
        }
    }

    fn is_up(&self) -> bool {
        matches!(self, Link::Up(_))
    }
}

/// The session's own life, apart from its connection's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// The socket holds the pipe (or will be handed it).
    Serving,
    /// The socket let go of the pipe: deliver what is queued until drained or the deadline;
    /// incoming messages are dropped.
    Lingering(Linger),
    /// Nothing more to do; the shard frees the task once no operation is in flight.
    Ended,
}

/// The one timer a session keeps armed: the earliest of its deadlines.
#[derive(Debug, Default)]
struct Alarm {
    armed: Option<(Instant, u64)>,
    seq: u64,
}

/// A peer of a socket over a stream transport (see the module documentation).
#[derive(Debug)]
pub struct Session {
    me: TaskId,
    shard: ShardRef,
    options: Arc<TcpOptions>,
    role: Role,
    pipe: Option<ShardPipe>,
    link: Link,
    /// Replaced connections with operations still in flight.
    retired: Vec<ConnIo>,
    life: Life,
    alarm: Alarm,
    last_generation: u32,
    /// A ZAP request waiting for the handler's reply.
    zap: Option<zap::ZapExchange>,
    /// The endpoint monitor events name: the connect endpoint as the socket gave it, or the
    /// bound endpoint a connection was accepted on.
    endpoint: String,
}

impl Session {
    fn new(
        me: TaskId,
        shard: ShardRef,
        role: Role,
        options: Arc<TcpOptions>,
        pipe: Option<ShardPipe>,
        endpoint: String,
    ) -> Self {
        Self {
            endpoint,
            me,
            shard,
            options,
            role,
            pipe,
            link: Link::Down,
            retired: Vec::new(),
            life: Life::Serving,
            alarm: Alarm::default(),
            last_generation: 0,
            zap: None,
        }
    }

    /// Spawns a session that connects to `target` (the socket's `endpoint`) and serves
    /// `pipe`.
    pub fn spawn_connect(
        cx: &mut ShardCx<'_>,
        endpoint: String,
        pipe: ConnectPipe,
        options: Arc<TcpOptions>,
        target: DialTarget,
        source: Option<std::net::SocketAddr>,
    ) -> TaskId {
        let shard = cx.shard().clone();
        let id = cx.spawn_with(|me| {
            let (pipe, pipes) = match pipe {
                ConnectPipe::Held(pipe) => {
                    pipe.bind_session(me);
                    (Some(pipe), DialPipes::Held)
                }
                ConnectPipe::PerConnection(handout) => (None, DialPipes::PerConnection(handout)),
            };
            let dialer = Dialer::new(me, target, source, options.reconnect_ivl, pipes);
            Box::new(Session::new(
                me,
                shard,
                Role::Dial(dialer),
                options,
                pipe,
                endpoint,
            ))
        });
        cx.with_task::<Session, _>(id, |s, cx| {
            s.begin_connect(cx);
            // The socket may have let go before this session existed to be woken.
            s.check_socket_gone(cx);
        });
        id
    }

    /// Spawns a session for a connection accepted on `origin`.
    pub(crate) fn spawn_accepted(
        cx: &mut ShardCx<'_>,
        fd: OwnedFd,
        options: Arc<TcpOptions>,
        inbox: Arc<SocketInbox>,
        origin: String,
        listener_closed: Arc<AtomicBool>,
    ) -> TaskId {
        let shard = cx.shard().clone();
        let id = cx.spawn_with(|me| {
            let endpoint = origin.clone();
            let role = Role::Accepted {
                listener_closed,
                handout: PipeHandout { inbox, origin },
            };
            Box::new(Session::new(me, shard, role, options, None, endpoint))
        });
        cx.with_task::<Session, _>(id, |s, cx| {
            let mut io = ConnIo::new(s.new_generation(), fd);
            io.size_send_buffer_by_use(&s.options.tuning);
            s.establish(cx, io);
        });
        id
    }

    /// Octets this session's connections hold besides the messages queued in its pipe:
    /// what the protocol owes the peer, a frame being received, received input held back
    /// for a full queue, and write batches (also of retired connections).
    pub(crate) fn buffered_octets(&self) -> usize {
        let current = match &self.link {
            Link::Connecting(io) | Link::Draining { io, .. } => io.buffered_octets(),
            Link::Handshaking(c) | Link::Up(c) | Link::Closing { conn: c, .. } => {
                c.io.buffered_octets() + c.flow.buffered_octets()
            }
            Link::Down | Link::Resolving => 0,
        };
        current + self.retired.iter().map(ConnIo::buffered_octets).sum::<usize>()
    }

    /// A generation for a new connection that no connection still around has.
    fn new_generation(&mut self) -> u32 {
        let wrap = (1u32 << GENERATION_BITS) - 1;
        loop {
            self.last_generation = (self.last_generation + 1) & wrap;
            let candidate = self.last_generation;
            let taken = self.link.generation() == Some(candidate)
                || self.retired.iter().any(|io| io.generation() == candidate);
            if !taken {
                return candidate;
            }
        }
    }

    fn is_raw(&self) -> bool {
        self.options.zmtp.socket_type.is_raw()
    }

    fn is_lingering(&self) -> bool {
        matches!(self.life, Life::Lingering(_))
    }

    /// Where the connection stands, for the flow rules.
    fn stage(&self) -> Stage {
        Stage {
            up: self.link.is_up(),
            lingering: self.is_lingering(),
        }
    }

    fn request_flush(&mut self, cx: &mut ShardCx<'_>) {
        // The shard polls a task at most once per turn however often it is asked.
        cx.defer(self.me);
    }

    fn has_queued_output(&mut self) -> bool {
        self.pipe.as_mut().is_some_and(|p| p.has_outgoing())
    }

    /// STREAM: an empty message tells the socket a raw peer connected or disconnected.
    fn notify_raw_peer(&mut self) {
        if let Some(p) = self.pipe.as_mut() {
            p.write(Msg::new());
            p.flush();
        }
    }

    // ----- transitions: every change of `link` and `life` -----

    /// Down or Resolving → Connecting: the stream connect is in flight.
    fn enter_connecting(&mut self, io: ConnIo) {
        debug_assert!(matches!(self.link, Link::Down | Link::Resolving));
        self.link = Link::Connecting(io);
    }

    /// Down → Resolving: the host name is being looked up.
    fn enter_resolving(&mut self) {
        debug_assert!(matches!(self.link, Link::Down));
        self.link = Link::Resolving;
    }

    /// Connecting (or a fresh accepted stream) → Handshaking, or Up at once for STREAM's
    /// raw peers: the stream is established, the codec starts.
    fn establish(&mut self, cx: &mut ShardCx<'_>, mut io: ConnIo) {
        // One pool of body buffers per shard, within its byte budget.
        let bodies = cx.extension::<BodyPool>().clone();
        let codec = Codec::new(self.options.zmtp.clone(), cx.now(), &bodies);
        io.arm_recv(cx, self.me);
        let raw = codec.is_raw();
        let conn = Conn {
            io,
            flow: Flow::new(codec),
            recv_mode: input::RecvMode::default(),
        };
        self.link = Link::Handshaking(conn);
        if raw {
            // No handshake: the peer is there now. STREAM learns of it from an empty message.
            let peer = PeerInfo {
                socket_type: self.options.zmtp.socket_type,
                routing_id: None,
                version: (0, 0),
                metadata: Metadata::new(),
                user_id: None,
                zap_metadata: Metadata::new(),
            };
            if let Err(reason) = self.on_handshake_done(peer) {
                return self.fail(cx, Failure::Abandoned(reason));
            }
            self.notify_raw_peer();
        }
        self.request_flush(cx);
        self.rearm_timer(cx);
    }

    /// Handshaking → Up: the peer is known; an accepted peer (or any peer of an IMMEDIATE
    /// connect) gets its pipe now. Fails if the socket stopped wanting this peer meanwhile.
    fn on_handshake_done(&mut self, peer: PeerInfo) -> Result<(), &'static str> {
        let properties = self.connection_properties(&peer);
        let routing_id = self
            .options
            .zmtp
            .socket_type
            .receives_routing_id()
            .then(|| Msg::from(peer.routing_id.clone().unwrap_or_default()).with_routing_id_flag());
        match &mut self.role {
            Role::Dial(dialer) => match dialer.handshake_done(self.options.reconnect_ivl)? {
                PipeFor::New(handout) => {
                    // IMMEDIATE: every connection brings a fresh pipe (and a fresh peer).
                    let first = (properties, routing_id);
                    let pipe = hand_out_pipe(self.me, &self.shard, &self.options, handout, true, first);
                    self.pipe = Some(pipe);
                }
                PipeFor::Held { reconnected } => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.announce_properties(properties);
                        if let Some(id) = routing_id {
                            p.write(id);
                        }
                        p.flush();
                        if reconnected {
                            // Subscribers send their subscriptions again to the new connection.
                            p.notify_reconnected();
                        }
                    }
                }
            },
            Role::Accepted {
                listener_closed,
                handout,
            } => {
                if listener_closed.load(Ordering::Acquire) {
                    return Err("listener closed during the handshake");
                }
                let first = (properties, routing_id);
                let pipe = hand_out_pipe(self.me, &self.shard, &self.options, handout, false, first);
                self.pipe = Some(pipe);
            }
        }
        self.link = match std::mem::replace(&mut self.link, Link::Down) {
            Link::Handshaking(conn) => Link::Up(conn),
            other => other,
        };
        self.report(EventKind::HandshakeSucceeded, 0);
        Ok(())
    }

    /// Handshaking or Up → Closing: write the last octets, then close. `deadline` bounds the
    /// wait for a peer that does not read.
    fn begin_close(&mut self, cx: &mut ShardCx<'_>, deadline: Option<Instant>, then: AfterClose) {
        let conn = match std::mem::replace(&mut self.link, Link::Down) {
            Link::Handshaking(c) | Link::Up(c) => c,
            other => {
                self.link = other;
                return;
            }
        };
        self.link = Link::Closing { conn, deadline, then };
        if let Some(io) = self.link.io() {
            io.cancel_recv(cx, self.me);
        }
        self.flush_output(cx);
        self.rearm_timer(cx);
    }

    /// Closing → Down: the last octets are out (`graceful`) or the deadline passed.
    fn finish_close(&mut self, cx: &mut ShardCx<'_>, graceful: bool) {
        let Link::Closing { conn, then, .. } = std::mem::replace(&mut self.link, Link::Down) else {
            unreachable!("finish_close outside Closing");
        };
        self.retire(cx, conn.io, graceful);
        match then {
            AfterClose::Lost => self.after_connection_lost(cx),
            AfterClose::End => self.finish(),
        }
    }

    /// Any connection → Down, after an error or the peer closing: what was cut short never
    /// reaches the socket; the peer gets the ERROR it is owed, if any, before the close;
    /// then the session reconnects or ends.
    fn fail(&mut self, cx: &mut ShardCx<'_>, why: Failure) {
        if matches!(
            self.link,
            Link::Down | Link::Resolving | Link::Closing { .. } | Link::Draining { .. }
        ) {
            return;
        }
        self.report_failure(&why);
        if let Some(p) = self.pipe.as_mut() {
            // A message cut short by the failure never reaches the socket.
            p.rollback();
            p.flush();
        }
        if self.is_raw() && !self.is_lingering() {
            self.notify_raw_peer();
        }
        if let Role::Dial(dialer) = &self.role {
            if dialer.pipe_per_connection() {
                // IMMEDIATE: the pipe ends with its connection (the socket reads what arrived,
                // and what it queued for this peer is dropped, as in libzmq).
                self.pipe = None;
            }
        }
        let owes_error = self.link.open_conn().is_some_and(|c| c.flow.codec().owes_error());
        if owes_error {
            let deadline = cx.now() + ERROR_GRACE;
            return self.begin_close(cx, Some(deadline), AfterClose::Lost);
        }
        let io = match std::mem::replace(&mut self.link, Link::Down) {
            Link::Connecting(io) => io,
            Link::Handshaking(c) | Link::Up(c) => c.io,
            Link::Down | Link::Resolving | Link::Closing { .. } | Link::Draining { .. } => {
                unreachable!("checked above")
            }
        };
        self.retire(cx, io, false);
        self.after_connection_lost(cx);
    }

    /// Down: a connecting session tries again later, unless reconnection is off
    /// (RECONNECT_IVL = -1: like libzmq, the pipe then ends) or it was only lingering with
    /// nothing left to send; an accepted session ends.
    fn after_connection_lost(&mut self, cx: &mut ShardCx<'_>) {
        debug_assert!(matches!(self.link, Link::Down | Link::Resolving));
        self.link = Link::Down;
        let lingering_done = self.is_lingering() && !self.has_queued_output();
        match &mut self.role {
            Role::Dial(dialer) if dialer.may_reconnect() && !lingering_done => {
                let delay = dialer.schedule_retry(cx.now(), &self.options);
                let millis = delay.map_or(0, |d| d.as_millis().min(u128::from(u32::MAX)) as u32);
                self.report(EventKind::ConnectRetried, millis);
                self.rearm_timer(cx);
            }
            _ => self.finish(),
        }
    }

    /// Up → Down and Ended, lingering delivered everything: the connection closes
    /// gracefully; an ipc:// one → Draining first.
    fn close_delivered(&mut self, cx: &mut ShardCx<'_>) {
        let Link::Up(conn) = std::mem::replace(&mut self.link, Link::Down) else {
            unreachable!("only an up connection delivers");
        };
        let mut io = conn.io;
        if io.is_unix() {
            io.half_close();
            io.arm_recv(cx, self.me);
            let lingering_until = match self.life {
                Life::Lingering(linger) => linger.deadline(),
                _ => None,
            };
            let most = cx.now() + DRAIN_WAIT;
            let deadline = lingering_until.map_or(most, |at| at.min(most));
            self.link = Link::Draining { io, deadline };
            return self.rearm_timer(cx);
        }
        self.retire(cx, io, true);
        self.finish();
    }

    /// Draining → Down and Ended: the peer closed its end, or the wait is over.
    fn finish_draining(&mut self, cx: &mut ShardCx<'_>) {
        let Link::Draining { io, .. } = std::mem::replace(&mut self.link, Link::Down) else {
            unreachable!("finish_draining outside Draining");
        };
        self.retire(cx, io, false);
        self.finish();
    }

    /// The socket let go of the pipe: → Lingering.
    fn enter_lingering(&mut self, linger: Linger) {
        if self.life == Life::Serving {
            self.life = Life::Lingering(linger);
        }
    }

    /// Closes the connection at once, dropping what is queued, and ends.
    fn abort(&mut self, cx: &mut ShardCx<'_>) {
        let io = match std::mem::replace(&mut self.link, Link::Down) {
            Link::Connecting(io) | Link::Draining { io, .. } => Some(io),
            Link::Handshaking(c) | Link::Up(c) | Link::Closing { conn: c, .. } => Some(c.io),
            Link::Down | Link::Resolving => None,
        };
        if let Some(io) = io {
            self.retire(cx, io, false);
        }
        self.finish();
    }

    /// → Ended. Dropping the pipe tells the socket (if it still holds its end) that the peer
    /// is gone.
    fn finish(&mut self) {
        self.life = Life::Ended;
        self.pipe = None;
    }

    /// What the monitor and a tracing subscriber hear of a connection given up: CLOSED for
    /// a failed connect; DISCONNECTED for a connection, after the handshake's own failure
    /// event if it broke in the handshake.
    fn report_failure(&self, why: &Failure) {
        match why {
            Failure::Protocol(e) => {
                tracing::warn!(endpoint = %self.endpoint, error = %e, "ringmq: connection closed on a protocol rule");
            }
            other => tracing::debug!(endpoint = %self.endpoint, reason = %other, "ringmq: connection lost"),
        }
        let (fd, handshaking) = match &self.link {
            // As libzmq: a connect that failed closes its descriptor.
            Link::Connecting(io) => {
                return self.report_detailed(EventKind::Closed, event_value(io.raw_fd()), Some(why));
            }
            Link::Handshaking(c) => (c.io.raw_fd(), true),
            Link::Up(c) => (c.io.raw_fd(), false),
            Link::Down | Link::Resolving | Link::Closing { .. } | Link::Draining { .. } => return,
        };
        if let Some((kind, value)) = why.handshake_event().filter(|_| handshaking) {
            self.report_detailed(kind, value, Some(why));
        }
        self.report_detailed(EventKind::Disconnected, event_value(fd), Some(why));
    }

    /// Reports a monitor event about this session's endpoint (and traces it), with its
    /// connection's peer address for typed monitors.
    fn report(&self, kind: EventKind, value: u32) {
        self.report_detailed(kind, value, None);
    }

    /// As [`report`](Self::report), with the reason a connection ended.
    fn report_detailed(&self, kind: EventKind, value: u32, why: Option<&Failure>) {
        self.report_about(kind, value, self.connection_fd(), why);
    }

    /// Reports an event about the connection on `fd` (its peer's address goes to typed
    /// monitors, looked up only if one wants the event).
    fn report_about(&self, kind: EventKind, value: u32, fd: Option<RawFd>, why: Option<&Failure>) {
        tracing::debug!(endpoint = %self.endpoint, event = kind.name(), value, "ringmq: connection event");
        let detail = || (fd.and_then(known_peer_address), why.map(Failure::reason));
        self.options
            .events
            .emit_detailed(kind, value, &self.endpoint, detail);
    }

    /// The descriptor of the current connection, if there is one.
    fn connection_fd(&self) -> Option<RawFd> {
        let io = match &self.link {
            Link::Connecting(io) | Link::Draining { io, .. } => io,
            Link::Handshaking(c) | Link::Up(c) | Link::Closing { conn: c, .. } => &c.io,
            Link::Down | Link::Resolving => return None,
        };
        Some(io.raw_fd())
    }

    /// Stops a replaced connection and keeps it until none of its operations is in flight.
    fn retire(&mut self, cx: &mut ShardCx<'_>, mut io: ConnIo, graceful: bool) {
        io.retire(cx, self.me, graceful);
        if !io.is_idle() {
            self.retired.push(io);
        }
    }

    // ----- timers -----

    fn next_deadline(&mut self) -> Option<Instant> {
        let retry = match (&self.role, &self.link) {
            (Role::Dial(dialer), Link::Down) => dialer.retry_at(),
            _ => None,
        };
        let (codec, closing) = match &self.link {
            Link::Handshaking(c) | Link::Up(c) => (c.flow.codec().next_timeout(), None),
            Link::Closing { deadline, .. } => (None, *deadline),
            Link::Draining { deadline, .. } => (None, Some(*deadline)),
            _ => (None, None),
        };
        let linger = match self.life {
            Life::Lingering(l) => l.deadline(),
            _ => None,
        };
        [retry, codec, closing, linger].into_iter().flatten().min()
    }

    fn rearm_timer(&mut self, cx: &mut ShardCx<'_>) {
        if self.life == Life::Ended {
            return;
        }
        let Some(at) = self.next_deadline() else {
            return;
        };
        if self.alarm.armed.is_some_and(|(armed, _)| armed <= at) {
            return;
        }
        self.alarm.seq += 1;
        self.alarm.armed = Some((at, self.alarm.seq));
        cx.set_timer(self.me, at, self.alarm.seq);
    }

    fn on_tick(&mut self, cx: &mut ShardCx<'_>) {
        let now = cx.now();
        if let Life::Lingering(linger) = self.life {
            if linger.deadline().is_some_and(|d| d <= now) {
                return self.abort(cx);
            }
        }
        if let Link::Closing { deadline, .. } = &self.link {
            if deadline.is_some_and(|d| d <= now) {
                self.finish_close(cx, false);
                return self.rearm_timer(cx);
            }
        }
        if let Link::Draining { deadline, .. } = &self.link {
            if *deadline <= now {
                return self.finish_draining(cx);
            }
        }
        if let (Role::Dial(dialer), Link::Down) = (&self.role, &self.link) {
            if dialer.retry_at().is_some_and(|at| at <= now) {
                self.begin_connect(cx);
            }
        }
        if let Some(conn) = self.link.open_conn() {
            let held_back = conn.flow.input() != &Input::Flowing;
            let codec = conn.flow.codec_mut();
            if held_back {
                // We are not reading, so silence from the peer proves nothing: the bytes it
                // sent wait in our socket buffer. Heartbeat timeouts resume with reading.
                codec.saw_traffic();
            }
            match codec.on_timeout(now) {
                Err(e) => self.fail(cx, Failure::Protocol(e)),
                Ok(()) if codec.has_control() => self.request_flush(cx),
                Ok(()) => {}
            }
        }
        self.rearm_timer(cx);
    }

    /// A completion of a retired connection: account for it, and let the connection go once
    /// nothing of it is in flight. A receive's buffer goes back to the shard in any case.
    fn on_retired_completion(
        &mut self,
        cx: &mut ShardCx<'_>,
        generation: u32,
        op: Option<Op>,
        c: Completion,
    ) {
        if op == Some(Op::Recv) && c.result > 0 {
            if let Some(bid) = c.buffer_id() {
                cx.buffers().recycle(bid);
            }
        }
        let Some(i) = self.retired.iter().position(|io| io.generation() == generation) else {
            return;
        };
        let io = &mut self.retired[i];
        match op {
            Some(Op::Connect) => io.on_connect_done(),
            Some(Op::Recv) => io.on_recv_completion(c.more()),
            Some(Op::RecvBody) => drop(io.on_body_recv(c.result)),
            Some(Op::Send) => {
                io.on_send_completion(c.result, c.more(), c.is_notification(), &self.options.stats);
            }
            Some(Op::Cancel) | None => {}
        }
        if io.is_idle() {
            self.retired.swap_remove(i);
        }
    }
}

/// Makes the pipe of a connection whose handshake completed and hands the socket its end
/// (an accepted peer, or any peer of an IMMEDIATE connect); the peer's routing id, when the
/// socket type wants it, is readable at once.
fn hand_out_pipe(
    me: TaskId,
    shard: &ShardRef,
    options: &TcpOptions,
    handout: &PipeHandout,
    connected: bool,
    (properties, routing_id): (Arc<Metadata>, Option<Msg>),
) -> ShardPipe {
    let (socket_end, mut shard_end) = pipe(
        handout.inbox.clone(),
        shard.clone(),
        options.pipe_limits(),
        Some(handout.origin.clone()),
        connected,
    );
    shard_end.bind_session(me);
    shard_end.announce_properties(properties);
    if let Some(id) = routing_id {
        shard_end.write(id);
    }
    shard_end.flush();
    // If the socket is closed, the inbox drops the pipe at once, and the wake-up that drop
    // sends finds this session registered.
    handout.inbox.post(SocketEvent::Attached(Box::new(socket_end)));
    shard_end
}

impl Task for Session {
    fn on_completion(&mut self, cx: &mut ShardCx<'_>, _me: TaskId, c: Completion) {
        let (generation, op) = untag(c.tag);
        if self.link.generation() != Some(generation) {
            return self.on_retired_completion(cx, generation, op, c);
        }
        match op {
            Some(Op::Connect) => self.on_connect_done(cx, c.result),
            Some(Op::Recv) => self.on_recv(cx, c),
            Some(Op::RecvBody) => self.on_body_recv(cx, c),
            Some(Op::Send) => self.on_send(cx, c),
            Some(Op::Cancel) | None => {}
        }
    }

    fn on_timer(&mut self, cx: &mut ShardCx<'_>, _me: TaskId, tag: u64) {
        if self.alarm.armed.is_some_and(|(_, seq)| seq == tag) {
            self.alarm.armed = None;
            self.on_tick(cx);
        }
    }

    fn on_wake(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        if self.life == Life::Ended {
            return;
        }
        self.check_socket_gone(cx);
        if self.life == Life::Ended {
            return;
        }
        // The ZAP handler may have answered.
        self.poll_zap(cx);
        // The socket may have made room in a queue we were blocked on.
        self.resume_input(cx);
        self.request_flush(cx);
    }

    fn on_deferred(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        if self.life == Life::Ended {
            return;
        }
        if let Some(conn) = self.link.open_conn() {
            if conn.flow.input() == &Input::Flowing {
                conn.keep_receiving(cx, self.me);
            }
        }
        self.flush_output(cx);
        self.check_linger_done(cx);
    }

    fn on_shard_stop(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        self.abort(cx);
    }

    fn is_done(&self) -> bool {
        // The shard keeps the task (and with it every retired connection) until none of its
        // operations is in flight.
        self.life == Life::Ended
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
