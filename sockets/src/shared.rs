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
        socket.inbox().set_watcher(Some(events.clone()));
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

    /// [`Socket::last_endpoint`].
    pub fn last_endpoint(&self) -> String {
        self.lock().last_endpoint()
    }

    /// Sends one message, blocking (up to SNDTIMEO) while it cannot be queued, or EAGAIN with
    /// DONTWAIT. SNDMORE is refused with EINVAL: these types carry single-part messages.
    pub fn send(&self, msg: impl Into<Msg>, flags: Flags) -> Result<()> {
        let mut msg = msg.into();
        if flags.contains(Flags::SNDMORE) {
            return Err(Error::InvalidArgument(
                "thread-safe sockets send single-part messages only: SNDMORE is not allowed".into(),
            ));
        }
        let mut deadline = None;
        loop {
            let epoch = self.inner.events.epoch();
            let timeout = {
                let mut socket = self.lock();
                match socket.send_now(msg)? {
                    Ok(()) => return Ok(()),
                    Err(back) => msg = back,
                }
                socket.sndtimeo()
            };
            if flags.contains(Flags::DONTWAIT) || timeout == 0 {
                return Err(Error::Again);
            }
            let at = *deadline.get_or_insert_with(|| deadline_after(timeout));
            if !self.inner.events.wait(epoch, at) {
                return Err(Error::Again);
            }
        }
    }

    /// Receives one message, blocking (up to RCVTIMEO) until one arrives, or EAGAIN with
    /// DONTWAIT. Each message goes to exactly one of the threads receiving.
    pub fn recv(&self, flags: Flags) -> Result<Msg> {
        let mut deadline = None;
        loop {
            let epoch = self.inner.events.epoch();
            let timeout = {
                let mut socket = self.lock();
                if let Some(msg) = socket.recv_now()? {
                    return Ok(msg);
                }
                socket.rcvtimeo()
            };
            if flags.contains(Flags::DONTWAIT) || timeout == 0 {
                return Err(Error::Again);
            }
            let at = *deadline.get_or_insert_with(|| deadline_after(timeout));
            if !self.inner.events.wait(epoch, at) {
                return Err(Error::Again);
            }
        }
    }
}
