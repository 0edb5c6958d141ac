//! A session: one peer of a socket over TCP, as a shard task.
//!
//! A connecting session owns its pipe for its whole life and replaces its TCP connection as
//! often as it breaks (RECONNECT_IVL with optional doubling up to RECONNECT_IVL_MAX, plus
//! jitter, as libzmq does); messages queue in the pipe meanwhile, up to SNDHWM. With
//! IMMEDIATE (and always for STREAM) it makes a new pipe for each completed connection
//! instead, which ends with it. An accepted session has one connection and creates its pipe
//! when the handshake completes (at once for STREAM, which has none).
//!
//! Each connection ([`conn`](super::conn)) gets a generation number that is part of every
//! operation's tag, so completions of a connection that was replaced are recognised; a
//! replaced connection stays "retired" (fd open, buffers alive) until its last operation has
//! completed.
//!
//! Data path: received bytes go through the codec into the pipe, published once per received
//! chunk; outgoing messages are drained from the pipe into a
//! [`WriteBatch`](crate::zmtp::WriteBatch) at the end of the loop turn (one `sendmsg` per
//! connection per turn), with one send in flight at a time.

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use io_uring::{opcode, types};
use ringmq_engine::task::Completion;
use ringmq_engine::{ShardCx, ShardRef, Task, TaskId};

use super::TcpOptions;
use super::conn::{Conn, OP_CONNECT, OP_RECV, OP_SEND, untag};
use super::sys::{self, StreamAddr};
use crate::codec::Codec;
use crate::msg::Msg;
use crate::pipe::{Linger, ShardPipe, SocketEvent, SocketInbox, pipe};
use crate::zmtp::{Event, Metadata, PeerInfo};

enum Role {
    Connect {
        target: StreamAddr,
        source: Option<SocketAddr>,
        /// The next reconnect interval (grows with RECONNECT_IVL_MAX).
        backoff: Option<Duration>,
        /// When to try again, while disconnected.
        retry_at: Option<Instant>,
        /// Handshakes completed so far (the pipe outlives connections).
        handshakes: u32,
        /// IMMEDIATE: where to hand a new pipe for each completed handshake (the pipe then
        /// ends with its connection).
        per_connection: Option<PipeHandout>,
        /// The socket disconnected or closed: no more connections.
        cancelled: bool,
    },
    Accepted {
        listener_closed: Arc<AtomicBool>,
        handout: PipeHandout,
    },
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

/// A peer of a socket over TCP (see the module documentation).
pub struct Session {
    me: TaskId,
    shard: ShardRef,
    role: Role,
    options: Arc<TcpOptions>,
    pipe: Option<ShardPipe>,
    conn: Option<Conn>,
    retired: Vec<Conn>,
    next_generation: u8,
    /// Set once the socket has let go of the pipe.
    linger: Option<Linger>,
    timer: Option<(Instant, u64)>,
    timer_seq: u64,
    flush_requested: bool,
    done: bool,
    /// STREAM: the socket sent an empty message, so the connection closes once what was
    /// queued before it is sent.
    closing: bool,
    jitter_state: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("me", &self.me)
            .field("connected", &self.conn.is_some())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Session {
    fn new(
        me: TaskId,
        shard: ShardRef,
        role: Role,
        options: Arc<TcpOptions>,
        pipe: Option<ShardPipe>,
    ) -> Self {
        let seed = (me.to_raw() ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
        Self {
            me,
            shard,
            role,
            options,
            pipe,
            conn: None,
            retired: Vec::new(),
            next_generation: 0,
            linger: None,
            timer: None,
            timer_seq: 0,
            flush_requested: false,
            done: false,
            closing: false,
            jitter_state: seed,
        }
    }

    /// Spawns a session that connects to `target` and serves `pipe`.
    pub fn spawn_connect(
        cx: &mut ShardCx<'_>,
        pipe: ConnectPipe,
        options: Arc<TcpOptions>,
        target: StreamAddr,
        source: Option<SocketAddr>,
    ) -> TaskId {
        let shard = cx.shard().clone();
        let id = cx.spawn_with(|me| {
            let (pipe, per_connection) = match pipe {
                ConnectPipe::Held(pipe) => {
                    pipe.bind_session(me);
                    (Some(pipe), None)
                }
                ConnectPipe::PerConnection(handout) => (None, Some(handout)),
            };
            Box::new(Session::new(
                me,
                shard,
                Role::Connect {
                    target,
                    source,
                    backoff: options.reconnect_ivl,
                    retry_at: None,
                    handshakes: 0,
                    per_connection,
                    cancelled: false,
                },
                options,
                pipe,
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
            Box::new(Session::new(
                me,
                shard,
                Role::Accepted {
                    listener_closed,
                    handout: PipeHandout { inbox, origin },
                },
                options,
                None,
            ))
        });
        cx.with_task::<Session, _>(id, |s, cx| {
            let generation = s.take_generation();
            // The address is unused for accepted connections.
            let addr = sys::to_raw(&SocketAddr::from(([0, 0, 0, 0], 0)));
            s.conn = Some(Conn::new(generation, fd, addr));
            s.on_established(cx);
        });
        id
    }

    fn take_generation(&mut self) -> u8 {
        let g = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        g
    }

    fn random_jitter(&mut self, below: Duration) -> Duration {
        // xorshift64*: reconnect jitter only needs to spread peers apart.
        let mut x = self.jitter_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.jitter_state = x;
        let nanos = below.as_nanos().max(1) as u64;
        Duration::from_nanos(x.wrapping_mul(0x2545_f491_4f6c_dd1d) % nanos)
    }

    // ----- connecting -----

    fn begin_connect(&mut self, cx: &mut ShardCx<'_>) {
        let Role::Connect {
            target,
            source,
            retry_at,
            ..
        } = &mut self.role
        else {
            return;
        };
        *retry_at = None;
        let (target, source) = (target.clone(), *source);
        let attempt = (|| -> std::io::Result<(OwnedFd, sys::RawAddr)> {
            let fd = sys::stream_socket(&target)?;
            sys::tune(fd.as_raw_fd(), &self.options.tuning)?;
            if let Some(src) = source {
                sys::set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
                sys::bind(&fd, &src)?;
            }
            Ok((fd, target.to_raw()?))
        })();
        match attempt {
            Ok((fd, raw)) => {
                let generation = self.take_generation();
                let mut conn = Conn::new(generation, fd, raw);
                let entry = opcode::Connect::new(
                    types::Fd(conn.fd.as_raw_fd()),
                    (&conn.addr.storage as *const libc::sockaddr_storage).cast(),
                    conn.addr.len,
                )
                .build();
                // SAFETY: the address is boxed in the connection, which lives until the
                // operation completes.
                unsafe { conn.submit(cx, self.me, OP_CONNECT, entry) };
                self.conn = Some(conn);
            }
            Err(_) => self.after_connection_lost(cx),
        }
    }

    fn schedule_reconnect(&mut self, cx: &mut ShardCx<'_>) {
        let Role::Connect { backoff, .. } = &self.role else {
            return;
        };
        let Some(current) = *backoff else {
            return;
        };
        // Jitter below one base interval spreads peers that lost a server at the same time.
        let jitter = self.random_jitter(self.options.reconnect_ivl.unwrap_or(current));
        let grown = match (self.options.reconnect_ivl_max, self.options.reconnect_ivl) {
            (Some(max), Some(first)) if max > first => (current * 2).min(max),
            _ => current,
        };
        let retry = cx.now() + current + jitter;
        if let Role::Connect {
            backoff, retry_at, ..
        } = &mut self.role
        {
            *backoff = Some(grown);
            *retry_at = Some(retry);
        }
        self.rearm_timer(cx);
    }

    fn on_established(&mut self, cx: &mut ShardCx<'_>) {
        let now = cx.now();
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        let codec = Codec::new(self.options.zmtp.clone(), now);
        let raw = codec.is_raw();
        conn.zmtp = Some(codec);
        conn.arm_recv(cx, self.me);
        if raw {
            // No handshake: the peer is there now. STREAM learns of it from an empty message.
            let peer = PeerInfo {
                socket_type: self.options.zmtp.socket_type,
                routing_id: None,
                version: (0, 0),
                metadata: Metadata::new(),
            };
            if let Err(reason) = self.on_ready(peer) {
                return self.fail(cx, &reason);
            }
            self.notify_raw_peer();
        }
        self.request_flush(cx);
        self.rearm_timer(cx);
    }

    /// STREAM: an empty message tells the socket a raw peer connected or disconnected.
    fn notify_raw_peer(&mut self) {
        if let Some(p) = self.pipe.as_mut() {
            p.write(Msg::new());
            p.flush();
        }
    }

    fn is_raw(&self) -> bool {
        self.options.zmtp.socket_type.is_raw()
    }

    /// The handshake completed. For an accepted peer this creates the pipe and hands the
    /// socket its end; fails if the listener was closed meanwhile.
    fn on_ready(&mut self, peer: PeerInfo) -> Result<(), String> {
        let routing_id = self
            .options
            .zmtp
            .socket_type
            .receives_routing_id()
            .then(|| Msg::from(peer.routing_id.clone().unwrap_or_default()).with_routing_id_flag());
        match &mut self.role {
            Role::Connect {
                backoff,
                handshakes,
                per_connection,
                cancelled,
                ..
            } => {
                if *cancelled {
                    return Err("the socket disconnected during the handshake".into());
                }
                // A successful connection resets the back-off, as libzmq's new connecter does.
                *backoff = self.options.reconnect_ivl;
                *handshakes += 1;
                if let Some(handout) = per_connection {
                    // IMMEDIATE: every connection brings a fresh pipe (and a fresh peer).
                    let pipe = hand_out_pipe(self.me, &self.shard, &self.options, handout, true, routing_id);
                    self.pipe = Some(pipe);
                    return Ok(());
                }
                let reconnected = *handshakes > 1;
                if let Some(p) = self.pipe.as_mut() {
                    if let Some(id) = routing_id {
                        p.write(id);
                        p.flush();
                    }
                    if reconnected {
                        // Subscribers send their subscriptions again to the new connection.
                        p.notify_reconnected();
                    }
                }
                Ok(())
            }
            Role::Accepted {
                listener_closed,
                handout,
            } => {
                if listener_closed.load(Ordering::Acquire) {
                    return Err("listener closed during the handshake".into());
                }
                let pipe = hand_out_pipe(self.me, &self.shard, &self.options, handout, false, routing_id);
                self.pipe = Some(pipe);
                Ok(())
            }
        }
    }

    /// The socket disconnected from this session's endpoint, or closed.
    pub(crate) fn on_connect_cancelled(&mut self, cx: &mut ShardCx<'_>) {
        // A session holding the socket's pipe learns of it from the pipe, whose linger then
        // decides (it may still reconnect to deliver); only IMMEDIATE sessions need this.
        let Role::Connect {
            per_connection: Some(_),
            cancelled,
            ..
        } = &mut self.role
        else {
            return;
        };
        *cancelled = true;
        if self.pipe.is_none() {
            // Between connections: nothing is queued anywhere.
            self.abort(cx);
        }
    }

    // ----- input -----

    fn on_recv(&mut self, cx: &mut ShardCx<'_>, c: Completion) {
        let now = cx.now();
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if !c.more() {
            conn.recv_armed = false;
        }
        if c.result > 0 {
            let bid = c.buffer_id().expect("a provided-buffer receive names its buffer");
            let outcome = {
                let data = cx.buffers().buffer(bid, c.result as usize);
                self.feed(data, now).map(|used| {
                    if let Some(conn) = self.conn.as_mut().filter(|_| used < data.len()) {
                        conn.pending_input.push(&data[used..]);
                    }
                })
            };
            cx.buffers().recycle(bid);
            match outcome {
                Err(reason) => self.fail(cx, &reason),
                Ok(()) => self.after_input(cx),
            }
            return;
        }
        let reason = match c.result {
            // ENOBUFS: the shard's buffers ran out; they come back within the turn.
            // ECANCELED: we stopped the receive ourselves.
            e if e == -libc::ENOBUFS || e == -libc::ECANCELED => return self.after_input(cx),
            0 => "connection closed by peer".to_string(),
            e => std::io::Error::from_raw_os_error(-e).to_string(),
        };
        if conn.input_stopped {
            // Octets received before the end are held back for a full queue: they are
            // delivered first, and the connection closes once they are (libzmq likewise keeps
            // its engine until its input is consumed).
            conn.input_ended = Some(reason);
            return;
        }
        self.fail(cx, &reason);
    }

    /// Decodes received octets into the pipe, publishing once at the end, and returns how
    /// many it took. When the socket's queue is full it stops: the caller keeps the rest in
    /// `pending_input` until the queue has room.
    fn feed(&mut self, data: &[u8], now: Instant) -> Result<usize, String> {
        let mut pos = 0;
        while pos < data.len() {
            let Some(conn) = self.conn.as_mut() else {
                return Ok(data.len());
            };
            let zmtp = conn
                .zmtp
                .as_mut()
                .expect("input only after the connection is established");
            if conn.input_stopped {
                zmtp.saw_traffic();
                break;
            }
            if zmtp.is_ready() {
                if let Some(p) = self.pipe.as_mut() {
                    if !p.can_write() {
                        p.flush();
                        if p.sleep_writer() {
                            conn.input_stopped = true;
                        }
                        continue;
                    }
                }
            }
            let (used, event) = zmtp.decode(&data[pos..], now).map_err(|e| e.to_string())?;
            pos += used;
            match event {
                None => {}
                // While lingering nobody reads incoming messages: they are dropped.
                Some(Event::Message(msg)) if self.linger.is_none() => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.write(msg);
                    }
                }
                Some(Event::Message(_)) => {}
                Some(Event::Ready(peer)) => self.on_ready(peer)?,
                // Publishers see every subscription in the message form, whichever way the
                // peer sent it (RFC 29 / RFC 37).
                Some(Event::Subscribe(topic)) if self.linger.is_none() => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.write(Msg::subscription(true, &topic));
                    }
                }
                Some(Event::Cancel(topic)) if self.linger.is_none() => {
                    if let Some(p) = self.pipe.as_mut() {
                        p.write(Msg::subscription(false, &topic));
                    }
                }
                Some(Event::Subscribe(_)) | Some(Event::Cancel(_)) => {}
            }
        }
        if let Some(p) = self.pipe.as_mut() {
            p.flush();
        }
        Ok(pos)
    }

    /// After input was handled: stop the receive if the socket's queue is full, otherwise
    /// keep it armed; send what the codec produced (PONG) and re-arm its timers.
    fn after_input(&mut self, cx: &mut ShardCx<'_>) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if conn.input_stopped {
            if conn.recv_armed {
                conn.cancel(cx, self.me, OP_RECV);
                // The cancellation's final completion clears `recv_armed`.
            }
        } else {
            conn.arm_recv(cx, self.me);
        }
        if conn
            .zmtp
            .as_ref()
            .is_some_and(|z| z.has_control() || z.is_ready())
        {
            self.request_flush(cx);
        }
        self.rearm_timer(cx);
    }

    /// The socket made room: decode what was held back and start receiving again.
    fn resume_input(&mut self, cx: &mut ShardCx<'_>) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if !conn.input_stopped || conn.zmtp.is_none() {
            return;
        }
        if let Some(p) = self.pipe.as_mut() {
            if !p.can_write() && p.sleep_writer() {
                return;
            }
        }
        conn.input_stopped = false;
        let mut pending = std::mem::take(&mut conn.pending_input);
        match self.feed(pending.unread(), cx.now()) {
            Err(reason) => return self.fail(cx, &reason),
            Ok(used) => pending.consume(used),
        }
        // Nothing can have been queued meanwhile: only a receive completion adds to it.
        if let Some(conn) = self.conn.as_mut() {
            debug_assert!(conn.pending_input.is_empty());
            conn.pending_input = pending;
        }
        let ended = self
            .conn
            .as_mut()
            .filter(|c| !c.input_stopped)
            .and_then(|c| c.input_ended.take());
        match ended {
            Some(reason) => self.fail(cx, &reason),
            None => self.after_input(cx),
        }
    }

    // ----- output -----

    fn request_flush(&mut self, cx: &mut ShardCx<'_>) {
        if !self.flush_requested {
            self.flush_requested = true;
            cx.defer(self.me);
        }
    }

    /// Moves control bytes and queued messages into the write batch and starts a send.
    fn flush_output(&mut self, cx: &mut ShardCx<'_>) {
        let batch_limit = self.options.batch_limit;
        let zerocopy = self.options.zerocopy_threshold;
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if conn.sending {
            return;
        }
        let Some(zmtp) = conn.zmtp.as_mut() else {
            return;
        };
        while !self.closing {
            zmtp.take_control(&mut conn.out);
            let Some(p) = self.pipe.as_mut().filter(|_| zmtp.is_ready()) else {
                break;
            };
            let mut mid_message = false;
            while mid_message || conn.out.len() < batch_limit {
                match p.read() {
                    Some(msg) if msg.is_empty() && zmtp.is_raw() => {
                        // STREAM's way of closing a connection.
                        self.closing = true;
                        break;
                    }
                    Some(msg) => {
                        mid_message = msg.more();
                        zmtp.encode_message(&msg, &mut conn.out);
                    }
                    None => break,
                }
            }
            p.release();
            if !conn.out.is_empty() || self.linger.is_some() || self.closing {
                break;
            }
            // Idle: sleep on the pipe unless something arrived meanwhile.
            if p.sleep_reader() {
                break;
            }
        }
        if !conn.out.is_empty() {
            conn.submit_send(cx, self.me, zerocopy);
        } else if self.closing {
            self.close_raw(cx);
        }
    }

    /// STREAM: everything before the empty message is sent; close gracefully, and end (the
    /// socket already forgot this peer).
    fn close_raw(&mut self, cx: &mut ShardCx<'_>) {
        if let Some(mut conn) = self.conn.take() {
            conn.retire(cx, self.me, true);
            self.park_retired(conn);
        }
        self.finish(cx);
    }

    fn on_send(&mut self, cx: &mut ShardCx<'_>, c: Completion) {
        let zerocopy = self.options.zerocopy_threshold;
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        // A zero-copy send completes twice: its result (with MORE), then the notification
        // that the kernel no longer reads the batch. Only then may the batch change.
        let result = if c.is_notification() {
            match conn.zerocopy_result.take() {
                Some(result) => result,
                None => return,
            }
        } else if c.more() {
            conn.zerocopy_result = Some(c.result);
            return;
        } else {
            c.result
        };
        conn.sending = false;
        if result == -libc::EOPNOTSUPP && conn.zerocopy_sending {
            conn.zerocopy_refused = true;
            conn.submit_send(cx, self.me, zerocopy);
            return;
        }
        if result < 0 {
            if result == -libc::EAGAIN || result == -libc::EINTR {
                conn.submit_send(cx, self.me, zerocopy);
                return;
            }
            let reason = std::io::Error::from_raw_os_error(-result).to_string();
            self.fail(cx, &reason);
            return;
        }
        conn.out.consume(result as usize);
        if !conn.out.is_empty() {
            conn.submit_send(cx, self.me, zerocopy);
            return;
        }
        if self.closing {
            return self.close_raw(cx);
        }
        self.flush_output(cx);
        self.check_linger_done(cx);
    }

    // ----- connection loss, linger, end -----

    /// Drops the current connection after an error and reconnects or ends.
    fn fail(&mut self, cx: &mut ShardCx<'_>, _reason: &str) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if let Some(p) = self.pipe.as_mut() {
            // A message cut short by the failure never reaches the socket.
            p.rollback();
            p.flush();
        }
        if self.is_raw() && self.linger.is_none() {
            self.notify_raw_peer();
        }
        if matches!(
            self.role,
            Role::Connect {
                per_connection: Some(_),
                ..
            }
        ) {
            // IMMEDIATE: the pipe ends with its connection (the socket reads what arrived,
            // and what it queued for this peer is dropped, as in libzmq).
            self.pipe = None;
        }
        conn.retire(cx, self.me, false);
        self.park_retired(conn);
        self.after_connection_lost(cx);
    }

    /// Without a connection: a connecting session tries again later, unless reconnection is
    /// off (RECONNECT_IVL = -1: like libzmq, the pipe then ends) or it was only lingering with
    /// nothing left to send; an accepted session ends.
    fn after_connection_lost(&mut self, cx: &mut ShardCx<'_>) {
        let reconnect = matches!(
            self.role,
            Role::Connect {
                backoff: Some(_),
                cancelled: false,
                ..
            }
        );
        let lingering_done = self.linger.is_some() && !self.has_queued_output();
        if reconnect && !lingering_done {
            self.schedule_reconnect(cx);
        } else {
            self.finish(cx);
        }
    }

    fn park_retired(&mut self, conn: Conn) {
        if conn.inflight > 0 {
            self.retired.push(conn);
        }
    }

    fn has_queued_output(&mut self) -> bool {
        self.pipe.as_mut().is_some_and(|p| p.has_outgoing())
    }

    /// The socket let go of the pipe (close, disconnect, unbind or refusal).
    fn check_socket_gone(&mut self, cx: &mut ShardCx<'_>) {
        if self.linger.is_some() {
            return;
        }
        let Some(linger) = self.pipe.as_ref().and_then(|p| p.socket_gone()) else {
            return;
        };
        self.linger = Some(linger);
        if matches!(linger, Linger::Until(at) if at <= cx.now()) {
            self.abort(cx);
            return;
        }
        let connected = self.conn.as_ref().is_some_and(|c| c.is_ready());
        if !connected && !self.has_queued_output() {
            self.abort(cx);
            return;
        }
        self.request_flush(cx);
        self.rearm_timer(cx);
    }

    fn check_linger_done(&mut self, cx: &mut ShardCx<'_>) {
        if self.linger.is_none() {
            return;
        }
        let drained = self
            .conn
            .as_ref()
            .is_some_and(|c| c.is_ready() && !c.sending && c.out.is_empty());
        if drained && !self.has_queued_output() {
            if let Some(mut conn) = self.conn.take() {
                conn.retire(cx, self.me, true);
                self.park_retired(conn);
            }
            self.finish(cx);
        }
    }

    /// Closes everything at once, dropping what is queued.
    fn abort(&mut self, cx: &mut ShardCx<'_>) {
        if let Some(mut conn) = self.conn.take() {
            conn.retire(cx, self.me, false);
            self.park_retired(conn);
        }
        self.finish(cx);
    }

    fn finish(&mut self, _cx: &mut ShardCx<'_>) {
        self.done = true;
        // Dropping the pipe tells the socket (if it still holds its end) that the peer is gone.
        self.pipe = None;
    }

    /// The listener that accepted this session was closed (unbind or socket close).
    pub(crate) fn on_listener_closed(&mut self, cx: &mut ShardCx<'_>) {
        if self.pipe.is_none() {
            // Still handshaking: no socket knows this peer yet.
            self.abort(cx);
        }
    }

    // ----- timers -----

    fn next_deadline(&self) -> Option<Instant> {
        let retry = match &self.role {
            Role::Connect { retry_at, .. } if self.conn.is_none() => *retry_at,
            _ => None,
        };
        let codec = self
            .conn
            .as_ref()
            .and_then(|c| c.zmtp.as_ref())
            .and_then(|z| z.next_timeout());
        let linger = self.linger.and_then(|l| l.deadline());
        [retry, codec, linger].into_iter().flatten().min()
    }

    fn rearm_timer(&mut self, cx: &mut ShardCx<'_>) {
        if self.done {
            return;
        }
        let Some(at) = self.next_deadline() else {
            return;
        };
        if self.timer.is_some_and(|(armed, _)| armed <= at) {
            return;
        }
        self.timer_seq += 1;
        self.timer = Some((at, self.timer_seq));
        cx.set_timer(self.me, at, self.timer_seq);
    }

    fn on_tick(&mut self, cx: &mut ShardCx<'_>) {
        let now = cx.now();
        if self.linger.and_then(|l| l.deadline()).is_some_and(|d| d <= now) {
            self.abort(cx);
            return;
        }
        let retry_due = matches!(&self.role, Role::Connect { retry_at: Some(at), .. } if *at <= now);
        if self.conn.is_none() && retry_due {
            self.begin_connect(cx);
        }
        if let Some(conn) = self.conn.as_mut() {
            let holding_input_back = conn.input_stopped;
            let Some(zmtp) = conn.zmtp.as_mut() else {
                return self.rearm_timer(cx);
            };
            if holding_input_back {
                // We are not reading, so silence from the peer proves nothing: the bytes it
                // sent wait in our socket buffer. Heartbeat timeouts resume with reading.
                zmtp.saw_traffic();
            }
            match zmtp.on_timeout(now) {
                Err(e) => self.fail(cx, &e.to_string()),
                Ok(()) => {
                    if zmtp.has_control() {
                        self.request_flush(cx);
                    }
                }
            }
        }
        self.rearm_timer(cx);
    }

    fn on_connect_done(&mut self, cx: &mut ShardCx<'_>, result: i32) {
        if result < 0 {
            let reason = std::io::Error::from_raw_os_error(-result).to_string();
            self.fail(cx, &reason);
            return;
        }
        self.on_established(cx);
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
    routing_id: Option<Msg>,
) -> ShardPipe {
    let (socket_end, mut shard_end) = pipe(
        handout.inbox.clone(),
        shard.clone(),
        options.pipe_limits(),
        Some(handout.origin.clone()),
        connected,
    );
    shard_end.bind_session(me);
    if let Some(id) = routing_id {
        shard_end.write(id);
        shard_end.flush();
    }
    // If the socket is closed, the inbox drops the pipe at once, and the wake-up that drop
    // sends finds this session registered.
    handout.inbox.post(SocketEvent::Attached(Box::new(socket_end)));
    shard_end
}

impl Task for Session {
    fn on_completion(&mut self, cx: &mut ShardCx<'_>, _me: TaskId, c: Completion) {
        let (generation, op) = untag(c.tag);
        let current = self
            .conn
            .as_ref()
            .is_some_and(|conn| conn.generation == generation);
        if !current {
            // A retired connection's operation finished; drop the connection when it is idle.
            if let Some(i) = self.retired.iter().position(|r| r.generation == generation) {
                if !c.more() {
                    self.retired[i].inflight -= 1;
                }
                if op == OP_RECV && c.result > 0 {
                    if let Some(bid) = c.buffer_id() {
                        cx.buffers().recycle(bid);
                    }
                }
                if self.retired[i].inflight == 0 {
                    self.retired.swap_remove(i);
                }
            }
            return;
        }
        if !c.more() {
            if let Some(conn) = self.conn.as_mut() {
                conn.inflight -= 1;
            }
        }
        match op {
            OP_CONNECT => self.on_connect_done(cx, c.result),
            OP_RECV => self.on_recv(cx, c),
            OP_SEND => self.on_send(cx, c),
            _ => {}
        }
    }

    fn on_timer(&mut self, cx: &mut ShardCx<'_>, _me: TaskId, tag: u64) {
        if self.timer.is_some_and(|(_, seq)| seq == tag) {
            self.timer = None;
            self.on_tick(cx);
        }
    }

    fn on_wake(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        if self.done {
            return;
        }
        self.check_socket_gone(cx);
        if self.done {
            return;
        }
        // The socket may have made room in a queue we were blocked on.
        self.resume_input(cx);
        self.request_flush(cx);
    }

    fn on_deferred(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        self.flush_requested = false;
        if self.done {
            return;
        }
        if let Some(conn) = self.conn.as_mut() {
            conn.arm_recv(cx, self.me);
        }
        self.flush_output(cx);
        self.check_linger_done(cx);
    }

    fn on_shard_stop(&mut self, cx: &mut ShardCx<'_>, _me: TaskId) {
        self.abort(cx);
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
