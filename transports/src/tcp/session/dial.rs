//! Connecting and reconnecting: where a connecting session's connections go, the back-off
//! between attempts, and the host-name lookup that precedes each attempt (off the shard,
//! through [`resolve`](crate::tcp::resolve)), as libzmq resolves on every attempt.

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use ringmq_engine::{ShardCx, TaskId};

use super::{Failure, Link, PipeHandout, Role, Session};
use crate::monitor::{EventKind, event_value};
use crate::tcp::TcpOptions;
use crate::tcp::conn::ConnIo;
use crate::tcp::resolve::{self, HostName};
use crate::tcp::sys::{self, StreamAddr};

/// Where a connecting session's connections go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialTarget {
    /// An address known now (an IP literal, or an ipc:// path).
    Addr(StreamAddr),
    /// A host name, looked up before every attempt.
    Name(HostName),
}

/// How a connecting session's pipes come and go.
#[derive(Debug)]
pub(super) enum DialPipes {
    /// One pipe, held by the socket from the start, outliving connections.
    Held,
    /// IMMEDIATE (and STREAM): a new pipe for each completed handshake, ending with its
    /// connection, handed to the socket here.
    PerConnection(PipeHandout),
    /// IMMEDIATE after the socket disconnected or closed: no more connections.
    Cancelled,
}

/// What a completed handshake means for the pipe.
pub(super) enum PipeFor<'a> {
    /// Make a pipe for this connection and hand it out here.
    New(&'a PipeHandout),
    /// The held pipe goes on; `reconnected` if an earlier connection had completed.
    Held {
        /// Not the first completed handshake.
        reconnected: bool,
    },
}

/// A connecting session's side of things.
#[derive(Debug)]
pub(super) struct Dialer {
    target: DialTarget,
    source: Option<SocketAddr>,
    /// The next reconnect interval (grows up to RECONNECT_IVL_MAX); `None`: no reconnects.
    backoff: Option<Duration>,
    /// When to try again, while down.
    retry_at: Option<Instant>,
    /// Counts lookups, so an answer to an abandoned one is ignored.
    lookups: u64,
    handshakes: u32,
    pipes: DialPipes,
    jitter_state: u64,
}

impl Dialer {
    pub(super) fn new(
        me: TaskId,
        target: DialTarget,
        source: Option<SocketAddr>,
        reconnect_ivl: Option<Duration>,
        pipes: DialPipes,
    ) -> Self {
        Self {
            target,
            source,
            backoff: reconnect_ivl,
            retry_at: None,
            lookups: 0,
            handshakes: 0,
            pipes,
            jitter_state: (me.to_raw() ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0x2545_f491_4f6c_dd1d) | 1,
        }
    }

    pub(super) fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// `true` unless reconnection is off or the socket cancelled this connect.
    pub(super) fn may_reconnect(&self) -> bool {
        self.backoff.is_some() && !matches!(self.pipes, DialPipes::Cancelled)
    }

    /// No more connections after this one: the peer refused us (libzmq's session
    /// terminates on a protocol error rather than reconnect).
    pub(super) fn stop_reconnecting(&mut self) {
        self.backoff = None;
    }

    pub(super) fn pipe_per_connection(&self) -> bool {
        !matches!(self.pipes, DialPipes::Held)
    }

    /// A handshake completed: the back-off starts over (as libzmq's new connecter does).
    /// Fails if the socket disconnected meanwhile.
    pub(super) fn handshake_done(
        &mut self,
        reconnect_ivl: Option<Duration>,
    ) -> Result<PipeFor<'_>, &'static str> {
        if matches!(self.pipes, DialPipes::Cancelled) {
            return Err("the socket disconnected during the handshake");
        }
        self.backoff = reconnect_ivl;
        self.handshakes += 1;
        Ok(match &self.pipes {
            DialPipes::PerConnection(handout) => PipeFor::New(handout),
            _ => PipeFor::Held {
                reconnected: self.handshakes > 1,
            },
        })
    }

    /// Sets the next attempt: the current interval plus jitter below one base interval
    /// (spreading peers that lost a server at the same time), then doubles the interval up
    /// to RECONNECT_IVL_MAX.
    /// Returns the delay until that attempt (`None`: no more attempts).
    pub(super) fn schedule_retry(&mut self, now: Instant, options: &TcpOptions) -> Option<Duration> {
        let current = self.backoff?;
        let jitter = self.random_jitter(options.reconnect_ivl.unwrap_or(current));
        let grown = match (options.reconnect_ivl_max, options.reconnect_ivl) {
            (Some(max), Some(first)) if max > first => (current * 2).min(max),
            _ => current,
        };
        self.backoff = Some(grown);
        self.retry_at = Some(now + current + jitter);
        Some(current + jitter)
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
}

impl Session {
    pub(super) fn dialer(&mut self) -> Option<&mut Dialer> {
        match &mut self.role {
            Role::Dial(dialer) => Some(dialer),
            Role::Accepted { .. } => None,
        }
    }

    /// Down → the next attempt: straight to the connect for a known address, through a
    /// lookup for a host name.
    pub(super) fn begin_connect(&mut self, cx: &mut ShardCx<'_>) {
        let me = self.me;
        let shard = self.shard.clone();
        let Some(dialer) = self.dialer() else {
            return;
        };
        dialer.retry_at = None;
        match dialer.target.clone() {
            DialTarget::Addr(addr) => self.connect_to(cx, &addr),
            DialTarget::Name(name) => {
                dialer.lookups += 1;
                let lookup = dialer.lookups;
                self.enter_resolving();
                let reply: resolve::Reply = Box::new(move |answer| {
                    shard.run(move |cx| {
                        // A session that ended meanwhile is not there to answer.
                        cx.with_task::<Session, _>(me, |s, cx| s.on_resolved(cx, lookup, answer));
                    });
                });
                self.options.resolver.lookup(name, reply);
            }
        }
    }

    /// The lookup answered: connect, or try again after the back-off.
    fn on_resolved(&mut self, cx: &mut ShardCx<'_>, lookup: u64, answer: Result<SocketAddr, String>) {
        let current = self.dialer().is_some_and(|d| d.lookups == lookup);
        if !current || !matches!(self.link, Link::Resolving) || self.life == super::Life::Ended {
            return;
        }
        match answer {
            Ok(addr) => self.connect_to(cx, &StreamAddr::Ip(addr)),
            Err(_unresolved) => self.after_connection_lost(cx),
        }
    }

    /// Starts the stream connect to `addr` (→ Connecting), or schedules the next attempt if
    /// no socket could be made.
    fn connect_to(&mut self, cx: &mut ShardCx<'_>, addr: &StreamAddr) {
        let source = self.dialer().and_then(|d| d.source);
        let attempt = (|| -> std::io::Result<_> {
            let fd = sys::stream_socket(addr)?;
            sys::tune(fd.as_raw_fd(), &self.options.tuning)?;
            if let Some(src) = source {
                sys::set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
                sys::bind(&fd, &src)?;
            }
            Ok((fd, addr.to_raw()?))
        })();
        match attempt {
            Ok((fd, raw)) => {
                let mut io = ConnIo::new(self.new_generation(), fd);
                io.size_send_buffer_by_use(&self.options.tuning);
                io.submit_connect(cx, self.me, raw);
                if matches!(addr, StreamAddr::Ip(_)) {
                    // libzmq's non-blocking tcp connect returns EINPROGRESS and says so; a
                    // Unix-domain one completes at once.
                    self.report(EventKind::ConnectDelayed, event_value(libc::EINPROGRESS));
                }
                self.enter_connecting(io);
            }
            Err(_) => self.after_connection_lost(cx),
        }
    }

    /// The stream connect completed: → Handshaking, or the connection is lost.
    pub(super) fn on_connect_done(&mut self, cx: &mut ShardCx<'_>, result: i32) {
        if let Some(io) = self.link.io() {
            io.on_connect_done();
        }
        if result < 0 {
            return self.fail(cx, Failure::Io(-result));
        }
        let Link::Connecting(io) = std::mem::replace(&mut self.link, Link::Down) else {
            unreachable!("a connect completes only while connecting");
        };
        self.report_about(
            EventKind::Connected,
            event_value(io.raw_fd()),
            Some(io.raw_fd()),
            None,
        );
        self.establish(cx, io);
    }

    /// The socket disconnected from this session's endpoint, or closed. A session holding
    /// the socket's pipe learns of it from the pipe, whose linger then decides (it may still
    /// reconnect to deliver); this reaches IMMEDIATE sessions.
    pub(crate) fn on_connect_cancelled(&mut self, cx: &mut ShardCx<'_>) {
        let Some(dialer) = self.dialer() else {
            return;
        };
        if !matches!(dialer.pipes, DialPipes::PerConnection(_)) {
            return;
        }
        dialer.pipes = DialPipes::Cancelled;
        if self.pipe.is_none() {
            // Between connections: nothing is queued anywhere.
            self.abort(cx);
        }
    }
}
