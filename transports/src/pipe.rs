//! Pipes: what joins a socket to one of its peers.
//!
//! A pipe is two SPSC frame queues, one per direction, with the socket holding one end
//! ([`SocketPipe`], used on the application thread) and a shard-side session holding the
//! other ([`ShardPipe`]). Each end tells the other when it must be woken: the socket wakes the
//! session through the shard's mailbox ([`ShardRef::wake`]); the session tells the socket
//! through the socket's [`SocketInbox`]. Both only when the SPSC queue says the other side
//! sleeps, so a busy stream sends no wake-ups at all.
//!
//! Ends are dropped independently: a socket that lets go of a pipe (close, disconnect,
//! refusal) records its linger deadline first, and the session finishes sending what was
//! queued within it; a session that loses its peer for good posts [`SocketEvent::Detached`],
//! and the socket reads what is left before forgetting the pipe.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringmq_engine::mailbox::Mailbox;
use ringmq_engine::parker::{Parker, Wake};
use ringmq_engine::{ShardRef, TaskId};

use crate::msg::Msg;
use crate::pipe_ends::{FrameReader, FrameWriter, direction};

/// Identifies a pipe within its socket (unique per process).
pub type PipeId = u64;

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

const NO_SESSION: u64 = u64::MAX;

/// What a shard (or another pipe end) tells a socket.
#[derive(Debug)]
pub enum SocketEvent {
    /// A new peer completed its handshake on a bound endpoint: here is its pipe.
    Attached(SocketPipe),
    /// A pipe the socket was waiting on has messages.
    Readable(PipeId),
    /// A pipe the socket was waiting on has room.
    Writable(PipeId),
    /// The pipe's peer is gone for good; read what is left, then drop it.
    Detached(PipeId),
    /// The pipe's connection was replaced by a new one (after a reconnect): state the peer
    /// kept per connection, such as subscriptions, must be sent again.
    Reconnected(PipeId),
}

/// A socket's inbox: events from its pipes and shards, and the parker its thread waits on.
#[derive(Debug, Default)]
pub struct SocketInbox {
    mailbox: Mailbox<SocketEvent>,
    parker: Parker,
    /// Also woken with the socket's own parker: a `poll` waiting on this socket among others,
    /// the threads sharing a thread-safe socket, the eventfd behind a socket's ZMQ_FD.
    watchers: Mutex<Vec<Arc<dyn Wake>>>,
}

impl SocketInbox {
    /// A new, empty inbox.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Delivers an event and wakes the socket's thread if it waits. After [`close`](Self::close)
    /// events are dropped at once (a pipe attached to a closed socket is thereby let go).
    pub fn post(&self, event: SocketEvent) {
        match self.mailbox.push(event) {
            Ok(()) => self.wake(),
            Err(refused) => drop(refused),
        }
    }

    fn wake(&self) {
        self.parker.unpark();
        for watcher in self.watchers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            watcher.wake();
        }
    }

    /// Makes every later event (and interruption) also wake `watcher`.
    pub fn add_watcher(&self, watcher: Arc<dyn Wake>) {
        self.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(watcher);
    }

    /// Stops waking `watcher` (the same `Arc` that was added).
    pub fn remove_watcher(&self, watcher: &Arc<dyn Wake>) {
        self.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|w| !Arc::ptr_eq(w, watcher));
    }

    /// Closes the inbox for good and returns the events still waiting.
    pub fn close(&self) -> VecDeque<SocketEvent> {
        self.mailbox.close()
    }

    /// Wakes the socket's thread without an event (for example on context termination).
    pub fn interrupt(&self) {
        self.wake();
    }

    /// `true` if an event may be waiting.
    #[inline]
    pub fn has_pending(&self) -> bool {
        self.mailbox.has_pending()
    }

    /// Moves all waiting events into `out`.
    pub fn drain_into(&self, out: &mut VecDeque<SocketEvent>) {
        self.mailbox.drain_into(out);
    }

    /// Waits for an event or interruption until `deadline`; `false` on timeout.
    pub fn wait(&self, deadline: Option<Instant>) -> bool {
        self.parker.park(deadline)
    }
}

/// How long a session keeps sending after its socket let go of the pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linger {
    /// Until everything queued is sent.
    Forever,
    /// Until this deadline.
    Until(Instant),
}

impl Linger {
    /// The linger for a LINGER option value (`None` = -1 = forever), starting now.
    pub fn from_option(linger: Option<Duration>) -> Self {
        match linger {
            None => Linger::Forever,
            Some(d) => Linger::Until(Instant::now() + d),
        }
    }

    /// The deadline, if any.
    pub fn deadline(self) -> Option<Instant> {
        match self {
            Linger::Forever => None,
            Linger::Until(at) => Some(at),
        }
    }
}

#[derive(Debug)]
struct PipeShared {
    id: PipeId,
    inbox: Arc<SocketInbox>,
    shard: ShardRef,
    session: AtomicU64,
    socket_gone: AtomicBool,
    linger: Mutex<Linger>,
    origin: Option<String>,
    connected: bool,
}

impl PipeShared {
    fn wake_session(&self) {
        // SeqCst pairs with `bind_session`: of "socket marks itself gone, then looks for the
        // session" and "session registers, then looks at the socket", one sees the other.
        let raw = self.session.load(Ordering::SeqCst);
        if raw != NO_SESSION {
            self.shard.wake(TaskId::from_raw(raw));
        }
    }
}

/// How a pipe's two directions are bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipeLimits {
    /// Socket-to-peer queue limit in messages (SNDHWM; 0 = unlimited).
    pub sndhwm: usize,
    /// Peer-to-socket queue limit in messages (RCVHWM; 0 = unlimited).
    pub rcvhwm: usize,
    /// CONFLATE on the socket-to-peer direction: it keeps only the newest message (SNDHWM
    /// does not apply).
    pub conflate_out: bool,
    /// CONFLATE on the peer-to-socket direction (RCVHWM does not apply).
    pub conflate_in: bool,
}

/// Creates a pipe for a socket whose inbox is `inbox`, served by `shard`, bounded by `limits`.
/// `origin` is the endpoint the pipe belongs to (for unbind/disconnect), and `connected` says
/// whether the socket connected to it (rather than accepted the peer on a bound endpoint).
pub fn pipe(
    inbox: Arc<SocketInbox>,
    shard: ShardRef,
    limits: PipeLimits,
    origin: Option<String>,
    connected: bool,
) -> (SocketPipe, ShardPipe) {
    let shared = Arc::new(PipeShared {
        id: NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed),
        inbox,
        shard,
        session: AtomicU64::new(NO_SESSION),
        socket_gone: AtomicBool::new(false),
        linger: Mutex::new(Linger::Forever),
        origin,
        connected,
    });
    let (to_peer_w, to_peer_r) = direction(limits.sndhwm, limits.conflate_out);
    let (to_socket_w, to_socket_r) = direction(limits.rcvhwm, limits.conflate_in);
    (
        SocketPipe {
            shared: shared.clone(),
            out: to_peer_w,
            inp: to_socket_r,
        },
        ShardPipe {
            shared,
            out: to_peer_r,
            inp: to_socket_w,
        },
    )
}

/// The socket's end of a pipe (application thread).
#[derive(Debug)]
pub struct SocketPipe {
    shared: Arc<PipeShared>,
    out: FrameWriter,
    inp: FrameReader,
}

impl SocketPipe {
    /// The pipe's id.
    pub fn id(&self) -> PipeId {
        self.shared.id
    }

    /// The endpoint this pipe belongs to, if any.
    pub fn origin(&self) -> Option<&str> {
        self.shared.origin.as_deref()
    }

    /// `true` if the socket connected to the peer (`false`: accepted on a bound endpoint).
    pub fn is_connected(&self) -> bool {
        self.shared.connected
    }

    /// Whether a new outgoing message may start (SNDHWM).
    #[inline]
    pub fn can_write(&mut self) -> bool {
        self.out.can_write()
    }

    /// Queues one outgoing frame (visible to the peer once its message is complete and
    /// flushed).
    #[inline]
    pub fn write(&mut self, msg: Msg) {
        self.out.write(msg);
    }

    /// Publishes complete messages and wakes the session if it sleeps.
    #[inline]
    pub fn flush(&mut self) {
        if self.out.flush() {
            self.shared.wake_session();
        }
    }

    /// Declares the socket waits for room: `true` means a [`SocketEvent::Writable`] will come.
    pub fn sleep_writer(&mut self) -> bool {
        self.out.sleep()
    }

    /// `true` if a new outgoing message may start now; `false` means the pipe is full and a
    /// [`SocketEvent::Writable`] will come when it has room.
    pub fn writable_or_sleep(&mut self) -> bool {
        while !self.out.can_write() {
            if self.out.sleep() {
                return false;
            }
        }
        true
    }

    /// Takes the next incoming frame.
    #[inline]
    pub fn read(&mut self) -> Option<Msg> {
        self.inp.read()
    }

    /// `true` if an incoming frame is waiting.
    #[inline]
    pub fn has_incoming(&mut self) -> bool {
        self.inp.has_data()
    }

    /// Counts what was read against RCVHWM; wakes the session if it waits for room.
    #[inline]
    pub fn release(&mut self) {
        if self.inp.release() {
            self.shared.wake_session();
        }
    }

    /// Declares the socket waits for input: `true` means a [`SocketEvent::Readable`] will
    /// come; `false` means input arrived meanwhile.
    pub fn sleep_reader(&mut self) -> bool {
        self.release();
        self.inp.sleep()
    }

    /// Sets how long the session may keep sending after this end is dropped.
    pub fn set_linger(&self, linger: Linger) {
        *self.shared.linger.lock().unwrap_or_else(|e| e.into_inner()) = linger;
    }

    /// Changes the outgoing high-water mark for messages begun from now on.
    pub fn set_sndhwm(&mut self, hwm: usize) {
        self.out.set_hwm(hwm);
    }
}

impl Drop for SocketPipe {
    fn drop(&mut self) {
        self.shared.socket_gone.store(true, Ordering::SeqCst);
        self.shared.wake_session();
    }
}

/// The session's end of a pipe (shard thread).
#[derive(Debug)]
pub struct ShardPipe {
    shared: Arc<PipeShared>,
    out: FrameReader,
    inp: FrameWriter,
}

impl ShardPipe {
    /// The pipe's id.
    pub fn id(&self) -> PipeId {
        self.shared.id
    }

    /// Records which task serves this pipe, so the socket can wake it. Must be called before
    /// the session first sleeps on the pipe, and followed by a look at
    /// [`socket_gone`](Self::socket_gone): a socket that let go before this found no session
    /// to wake.
    pub fn bind_session(&self, task: TaskId) {
        self.shared.session.store(task.to_raw(), Ordering::SeqCst);
    }

    /// Takes the next outgoing frame.
    #[inline]
    pub fn read(&mut self) -> Option<Msg> {
        self.out.read()
    }

    /// `true` if an outgoing frame is waiting.
    #[inline]
    pub fn has_outgoing(&mut self) -> bool {
        self.out.has_data()
    }

    /// Counts what was read against SNDHWM; tells the socket if it waits for room.
    pub fn release(&mut self) {
        if self.out.release() {
            self.shared.inbox.post(SocketEvent::Writable(self.shared.id));
        }
    }

    /// Declares the session waits for outgoing frames; `true` means the socket will wake it.
    pub fn sleep_reader(&mut self) -> bool {
        self.release();
        self.out.sleep()
    }

    /// Whether a new incoming message may start (RCVHWM).
    #[inline]
    pub fn can_write(&mut self) -> bool {
        self.inp.can_write()
    }

    /// Queues one incoming frame.
    #[inline]
    pub fn write(&mut self, msg: Msg) {
        self.inp.write(msg);
    }

    /// Publishes complete incoming messages; tells the socket if it waits for them.
    pub fn flush(&mut self) {
        if self.inp.flush() {
            self.shared.inbox.post(SocketEvent::Readable(self.shared.id));
        }
    }

    /// Tells the socket the pipe now runs over a new connection.
    pub fn notify_reconnected(&self) {
        self.shared.inbox.post(SocketEvent::Reconnected(self.shared.id));
    }

    /// Discards the frames of an unfinished incoming message (its connection died).
    pub fn rollback(&mut self) {
        self.inp.rollback();
    }

    /// Declares the session waits for room; `true` means the socket will wake it.
    pub fn sleep_writer(&mut self) -> bool {
        self.inp.sleep()
    }

    /// `Some(linger)` once the socket has let go of the pipe.
    pub fn socket_gone(&self) -> Option<Linger> {
        self.shared
            .socket_gone
            .load(Ordering::SeqCst)
            .then(|| *self.shared.linger.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The endpoint this pipe belongs to, if any.
    pub fn origin(&self) -> Option<&str> {
        self.shared.origin.as_deref()
    }

    /// The inbox of the socket this pipe belongs to.
    pub fn inbox(&self) -> &Arc<SocketInbox> {
        &self.shared.inbox
    }
}

impl Drop for ShardPipe {
    fn drop(&mut self) {
        self.inp.rollback();
        self.inp.flush();
        if !self.shared.socket_gone.load(Ordering::Acquire) {
            self.shared.inbox.post(SocketEvent::Detached(self.shared.id));
        }
    }
}
