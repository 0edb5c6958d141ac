//! `SharedSocket`: a socket several threads use at once, like libzmq's thread-safe draft
//! types (CLIENT, SERVER, SCATTER, GATHER, CHANNEL, PEER). Their messages are single-part, so each
//! call sends or receives one whole message and calls from different threads never interleave
//! frames.
//!
//! The socket sits behind a mutex that is held only for an attempt, never while waiting:
//! a blocked caller waits on an event count that the socket's inbox wakes whenever something
//! happens to it, reading the count's epoch before its attempt so that nothing in between is
//! missed. Several threads may wait at once; each retries when woken.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ringmq_engine::event_count::EventCount;
use ringmq_transports::{Error, Msg, Result, SocketType};

use crate::flags::Flags;
use crate::socket::Socket;

/// A thread-safe socket: clone it into every thread that uses it (see the module docs).
///
/// ```
/// use ringmq_sockets::{Context, Flags, Msg, SocketType};
/// let ctx = Context::new()?;
/// let server = ctx.shared_socket(SocketType::Server)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let client = ctx.shared_socket(SocketType::Client)?;
/// client.connect(&server.last_endpoint())?;
/// let asker = {
///     let client = client.clone();
///     std::thread::spawn(move || client.send("ping", Flags::NONE))
/// };
/// let request = server.recv(Flags::NONE)?;
/// server.send(Msg::from("pong").with_routing_id(request.routing_id()), Flags::NONE)?;
/// asker.join().unwrap()?;
/// assert_eq!(client.recv(Flags::NONE)?, "pong");
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SharedSocket {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    socket: Mutex<Socket>,
    events: Arc<EventCount>,
}

/// Whether libzmq makes this type thread-safe.
pub(crate) fn is_thread_safe(t: SocketType) -> bool {
    matches!(
        t,
        SocketType::Client
            | SocketType::Server
            | SocketType::Scatter
            | SocketType::Gather
            | SocketType::Channel
            | SocketType::Radio
            | SocketType::Dish
            | SocketType::Peer
    )
}

fn deadline_after(ms: i32) -> Option<Instant> {
    (ms >= 0).then(|| Instant::now() + Duration::from_millis(ms as u64))
}

impl SharedSocket {
    pub(crate) fn new(socket: Socket) -> Self {
        let events = Arc::new(EventCount::new());
        socket.inbox().add_watcher(events.clone());
        Self {
            inner: Arc::new(Inner {
                socket: Mutex::new(socket),
                events,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Socket> {
        self.inner.socket.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the socket, for its options and endpoints (`set_rcvtimeo`, `bind`, …).
    /// Other threads wait meanwhile; do not block inside.
    pub fn with<R>(&self, f: impl FnOnce(&mut Socket) -> R) -> R {
        f(&mut self.lock())
    }

    /// [`Socket::bind`].
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.lock().bind(endpoint)
    }

    /// [`Socket::connect`].
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.lock().connect(endpoint)
    }

    /// [`Socket::connect_peer`] (PEER).
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        self.lock().connect_peer(endpoint)
    }

    /// [`Socket::join`] (DISH).
    pub fn join(&self, group: &str) -> Result<()> {
        self.lock().join(group)
    }

    /// [`Socket::leave`] (DISH).
    pub fn leave(&self, group: &str) -> Result<()> {
        self.lock().leave(group)
    }

    /// [`Socket::send_group`] (RADIO): never blocks.
    pub fn send_group(&self, group: &str, body: impl Into<Msg>, flags: Flags) -> Result<()> {
        self.lock().send_group(group, body, flags | Flags::DONTWAIT)
    }

    /// [`Socket::recv_group`] (DISH), blocking (up to RCVTIMEO) until a message arrives,
    /// or EAGAIN with DONTWAIT.
    pub fn recv_group(&self, flags: Flags) -> Result<(Bytes, Msg)> {
        self.retry(flags, Socket::rcvtimeo, |socket| {
            match socket.recv_group(Flags::DONTWAIT) {
                Ok(got) => Ok(Some(got)),
                Err(Error::Again) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// [`Socket::last_endpoint`].
    pub fn last_endpoint(&self) -> String {
        self.lock().last_endpoint()
    }

    /// Retries `attempt` until it gives a result, waiting (with the lock released) for the
    /// socket's events in between, up to the timeout option `timeout` reads (-1 = forever);
    /// EAGAIN at once with DONTWAIT or a zero timeout.
    fn retry<T>(
        &self,
        flags: Flags,
        timeout: fn(&Socket) -> i32,
        mut attempt: impl FnMut(&mut Socket) -> Result<Option<T>>,
    ) -> Result<T> {
        let mut deadline = None;
        loop {
            let epoch = self.inner.events.epoch();
            let timeout_ms = {
                let mut socket = self.lock();
                if let Some(done) = attempt(&mut socket)? {
                    return Ok(done);
                }
                timeout(&socket)
            };
            if flags.contains(Flags::DONTWAIT) || timeout_ms == 0 {
                return Err(Error::Again);
            }
            let at = *deadline.get_or_insert_with(|| deadline_after(timeout_ms));
            if !self.inner.events.wait(epoch, at) {
                return Err(Error::Again);
            }
        }
    }

    /// Sends one message, blocking (up to SNDTIMEO) while it cannot be queued, or EAGAIN with
    /// DONTWAIT. SNDMORE is refused with EINVAL: these types carry single-part messages.
    pub fn send(&self, msg: impl Into<Msg>, flags: Flags) -> Result<()> {
        if flags.contains(Flags::SNDMORE) {
            return Err(Error::InvalidArgument(
                "thread-safe sockets send single-part messages only: SNDMORE is not allowed".into(),
            ));
        }
        let mut pending = Some(msg.into());
        self.retry(flags, Socket::sndtimeo, |socket| {
            let msg = pending.take().expect("a message to send");
            match socket.send_now(msg)? {
                Ok(()) => Ok(Some(())),
                Err(back) => {
                    pending = Some(back);
                    Ok(None)
                }
            }
        })
    }

    /// Receives one message, blocking (up to RCVTIMEO) until one arrives, or EAGAIN with
    /// DONTWAIT. Each message goes to exactly one of the threads receiving. (A DISH's
    /// messages come with their group: use [`recv_group`](Self::recv_group).)
    pub fn recv(&self, flags: Flags) -> Result<Msg> {
        self.retry(flags, Socket::rcvtimeo, Socket::recv_now)
    }
}
