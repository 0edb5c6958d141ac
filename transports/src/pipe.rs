//! Pipes: what joins a socket to one of its peers.
//!
//! A pipe is two SPSC frame queues, one per direction, with the socket holding one end
//! ([`SocketPipe`], used on the application thread) and a shard-side session holding the
//! other ([`ShardPipe`]) — or, for inproc, another socket holding a second socket end
//! ([`inproc_pipe`]), with no shard on the path at all. Each end tells the other when it
//! must be woken: a socket wakes a session through the shard's mailbox ([`ShardRef::wake`]);
//! a session (or an inproc peer) tells a socket through the socket's [`SocketInbox`]. Both
//! only when the SPSC queue says the other side sleeps, so a busy stream sends no wake-ups
//! at all.
//!
//! Ends are dropped independently: a socket that lets go of a pipe (close, disconnect,
//! refusal) records its linger deadline first, and the session finishes sending what was
//! queued within it; a session that loses its peer for good posts [`SocketEvent::Detached`],
//! and the socket reads what is left before forgetting the pipe.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringmq_engine::mailbox::Mailbox;
use ringmq_engine::parker::{Parker, Wake};
use ringmq_engine::{ShardRef, TaskId};

use crate::msg::Msg;
use crate::pipe_ends::{FrameReader, FrameWriter, direction};
use crate::zmtp::Metadata;

/// Identifies a pipe within its socket (unique per process).
pub type PipeId = u64;

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

const NO_SESSION: u64 = u64::MAX;

/// What a shard (or another pipe end) tells a socket.
#[derive(Debug)]
pub enum SocketEvent {
    /// A new peer completed its handshake on a bound endpoint: here is its pipe.
    Attached(Box<SocketPipe>),
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
    /// `watchers` is not empty: lets the common wake-up skip its lock.
    watched: AtomicBool,
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
        // The fences pair with `add_watcher`'s: of "event pushed, then look for watchers"
        // and "watcher added, then look at the socket", one sees the other.
        fence(Ordering::SeqCst);
        if self.watched.load(Ordering::Relaxed) {
            for watcher in self.watchers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                watcher.wake();
            }
        }
    }

    /// Makes every later event (and interruption) also wake `watcher`.
    pub fn add_watcher(&self, watcher: Arc<dyn Wake>) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        watchers.push(watcher);
        self.watched.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// Stops waking `watcher` (the same `Arc` that was added).
    pub fn remove_watcher(&self, watcher: &Arc<dyn Wake>) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        watchers.retain(|w| !Arc::ptr_eq(w, watcher));
        self.watched.store(!watchers.is_empty(), Ordering::Relaxed);
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

    /// Like [`wait`](Self::wait), watching for the event without sleeping for up to `spin`
    /// first (see [`Parker::park_after_spin`]).
    pub fn wait_after_spin(&self, deadline: Option<Instant>, spin: Duration) -> bool {
        self.parker.park_after_spin(deadline, spin)
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
    });
    let (to_peer_w, to_peer_r) = direction(limits.sndhwm, limits.conflate_out);
    let (to_socket_w, to_socket_r) = direction(limits.rcvhwm, limits.conflate_in);
    (
        SocketPipe {
            id: shared.id,
            origin: shared.origin.clone(),
            connected,
            peer: PeerLink::Session(shared.clone()),
            out: to_peer_w,
            inp: to_socket_r,
            properties: None,
        },
        ShardPipe {
            shared,
            out: to_peer_r,
            inp: to_socket_w,
            stamp: None,
            announced: None,
        },
    )
}

/// The socket's end of a pipe (application thread).
#[derive(Debug)]
pub struct SocketPipe {
    id: PipeId,
    origin: Option<String>,
    connected: bool,
    peer: PeerLink,
    out: FrameWriter,
    inp: FrameReader,
    /// The properties of the connection whose frames are being read, from the first frame
    /// of that connection (see [`ShardPipe::announce_properties`]); put on every frame read
    /// after it.
    properties: Option<Arc<Metadata>>,
}

/// Who holds the other end of a socket's pipe, and so how it is woken.
#[derive(Debug)]
enum PeerLink {
    /// A session on a shard (tcp, ipc, udp): woken through the shard's mailbox.
    Session(Arc<PipeShared>),
    /// Another socket (inproc): woken through that socket's inbox.
    Socket(InprocLink),
}

impl SocketPipe {
    /// The pipe's id.
    pub fn id(&self) -> PipeId {
        self.id
    }

    /// The endpoint this pipe belongs to, if any.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// `true` if the socket connected to the peer (`false`: accepted on a bound endpoint).
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// `true` for an inproc pipe, whose other end is another socket.
    pub fn is_inproc(&self) -> bool {
        matches!(self.peer, PeerLink::Socket(_))
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

    /// Publishes complete messages and wakes the peer if it sleeps.
    #[inline]
    pub fn flush(&mut self) {
        if self.out.flush() {
            self.wake_peer(SocketEvent::Readable);
        }
    }

    /// Tells the other end that it has work: input to read (`Readable`) or room to write
    /// (`Writable`). A session learns which from its pipe; a socket from the event.
    #[cold]
    fn wake_peer(&mut self, event: fn(PipeId) -> SocketEvent) {
        match &mut self.peer {
            PeerLink::Session(shared) => shared.wake_session(),
            PeerLink::Socket(link) => link.post(event(self.id)),
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

    /// Takes the next incoming frame, with its connection's properties on it. A session's
    /// frame that carries properties is the first of a new connection (or a conflating
    /// pipe's, which carries them all): its properties go on every frame after it that
    /// carries none. An inproc peer's frames are read as they were sent (as in libzmq,
    /// they carry only what the sending application's frames carried).
    #[inline]
    pub fn read(&mut self) -> Option<Msg> {
        let mut msg = self.inp.read()?;
        if let PeerLink::Session(_) = self.peer {
            match msg.shared_properties() {
                None => {
                    if let Some(properties) = &self.properties {
                        msg.set_properties(properties);
                    }
                }
                Some(carried) => {
                    if !self.properties.as_ref().is_some_and(|p| Arc::ptr_eq(p, carried)) {
                        self.properties = Some(Arc::clone(carried));
                    }
                }
            }
        }
        Some(msg)
    }

    /// `true` if an incoming frame is waiting.
    #[inline]
    pub fn has_incoming(&mut self) -> bool {
        self.inp.has_data()
    }

    /// Counts what was read against RCVHWM; wakes the peer if it waits for room.
    #[inline]
    pub fn release(&mut self) {
        if self.inp.release() {
            self.wake_peer(SocketEvent::Writable);
        }
    }

    /// Declares the socket waits for input: `true` means a [`SocketEvent::Readable`] will
    /// come; `false` means input arrived meanwhile.
    pub fn sleep_reader(&mut self) -> bool {
        self.release();
        self.inp.sleep()
    }

    /// Waits a moment (a few dozen spin-loop hints, well under a microsecond) for input
    /// before the caller puts the pipe to sleep. A reader faster than its writer otherwise
    /// empties the queue at every message and pays for a sleep, a wake-up event and a
    /// contended cache line each time; pausing lets a few messages gather and be read as
    /// one batch. `true` if input came.
    pub fn pause_for_incoming(&mut self) -> bool {
        for _ in 0..4 {
            for _ in 0..8 {
                std::hint::spin_loop();
            }
            if self.has_incoming() {
                return true;
            }
        }
        false
    }

    /// Sets how long the session may keep sending after this end is dropped. An inproc
    /// pipe has no session: what was sent is already with the peer, which reads it all.
    pub fn set_linger(&self, linger: Linger) {
        if let PeerLink::Session(shared) = &self.peer {
            *shared.linger.lock().unwrap_or_else(|e| e.into_inner()) = linger;
        }
    }

    /// Changes the outgoing high-water mark for messages begun from now on.
    pub fn set_sndhwm(&mut self, hwm: usize) {
        self.out.set_hwm(hwm);
    }

    /// Inproc: makes this end, made before any socket owned it (connect before bind),
    /// the end of the socket whose inbox is `inbox`. If the peer already let go, a
    /// [`SocketEvent::Detached`] follows at once.
    pub fn adopt(&mut self, inbox: Arc<SocketInbox>) {
        if let PeerLink::Socket(link) = &self.peer {
            link.adopt(self.id, inbox);
        }
    }
}

impl Drop for SocketPipe {
    fn drop(&mut self) {
        match &self.peer {
            PeerLink::Session(shared) => {
                shared.socket_gone.store(true, Ordering::SeqCst);
                shared.wake_session();
            }
            PeerLink::Socket(link) => link.let_go(self.id),
        }
    }
}

/// Creates an inproc pipe: two socket ends joined directly, no shard in between.
/// `a` is the connecting socket's side and `b` the binding one's; each side gives its
/// inbox (`None` for a side no socket owns yet, see [`SocketPipe::adopt`]), its origin and
/// how its outgoing direction is bounded (the caller adds the reader's RCVHWM into `hwm`).
pub fn inproc_pipe(a: InprocSide, b: InprocSide) -> (SocketPipe, SocketPipe) {
    let id = NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed);
    let shared = Arc::new(Mutex::new(InprocState {
        inboxes: [a.inbox.clone(), b.inbox.clone()],
        gone: [false, false],
    }));
    let (a_to_b_w, a_to_b_r) = direction(a.hwm, a.conflate);
    let (b_to_a_w, b_to_a_r) = direction(b.hwm, b.conflate);
    let end = |side: usize, origin: String, connected, out, inp, peer_inbox| SocketPipe {
        id,
        origin: Some(origin),
        connected,
        peer: PeerLink::Socket(InprocLink {
            shared: shared.clone(),
            side,
            peer_inbox,
        }),
        out,
        inp,
        properties: None,
    };
    let a_end = end(0, a.origin, true, a_to_b_w, b_to_a_r, b.inbox);
    let b_end = end(1, b.origin, false, b_to_a_w, a_to_b_r, a.inbox);
    (a_end, b_end)
}

/// One side of an inproc pipe, as [`inproc_pipe`] takes it.
#[derive(Debug)]
pub struct InprocSide {
    /// The owning socket's inbox, if a socket owns this side yet.
    pub inbox: Option<Arc<SocketInbox>>,
    /// The endpoint, for unbind/disconnect.
    pub origin: String,
    /// Bound of this side's outgoing direction in messages (0 = none).
    pub hwm: usize,
    /// The outgoing direction keeps only the newest message (CONFLATE).
    pub conflate: bool,
}

/// What both ends of an inproc pipe know: whose inboxes to wake, and who let go.
#[derive(Debug)]
struct InprocState {
    inboxes: [Option<Arc<SocketInbox>>; 2],
    gone: [bool; 2],
}

#[derive(Debug)]
struct InprocLink {
    shared: Arc<Mutex<InprocState>>,
    /// 0: the connecting side, 1: the binding side.
    side: usize,
    /// The peer's inbox once known (cached so that a wake-up takes no lock).
    peer_inbox: Option<Arc<SocketInbox>>,
}

impl InprocLink {
    fn state(&self) -> std::sync::MutexGuard<'_, InprocState> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn post(&mut self, event: SocketEvent) {
        if self.peer_inbox.is_none() {
            // Not adopted when this end was made: a wake-up is owed only once the peer
            // slept on the pipe, which it cannot do before it owns it.
            let known = self.state().inboxes[1 - self.side].clone();
            self.peer_inbox = known;
        }
        if let Some(inbox) = &self.peer_inbox {
            inbox.post(event);
        }
    }

    fn adopt(&self, id: PipeId, inbox: Arc<SocketInbox>) {
        let peer_gone = {
            let mut state = self.state();
            state.inboxes[self.side] = Some(inbox.clone());
            state.gone[1 - self.side]
        };
        if peer_gone {
            inbox.post(SocketEvent::Detached(id));
        }
    }

    /// This end is dropped: the peer reads what is left, then lets go too.
    fn let_go(&self, id: PipeId) {
        let peer = {
            let mut state = self.state();
            state.gone[self.side] = true;
            state.inboxes[1 - self.side].clone()
        };
        if let Some(inbox) = peer {
            inbox.post(SocketEvent::Detached(id));
        }
    }
}

/// The session's end of a pipe (shard thread).
#[derive(Debug)]
pub struct ShardPipe {
    shared: Arc<PipeShared>,
    out: FrameReader,
    inp: FrameWriter,
    /// CONFLATE: the connection's properties, put on each frame written (the slot keeps
    /// only the newest frame, so the first frame's would not survive).
    stamp: Option<Arc<Metadata>>,
    /// The properties of a new connection, for the next frame written (see
    /// [`announce_properties`](Self::announce_properties)).
    announced: Option<Arc<Metadata>>,
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
    pub fn write(&mut self, mut msg: Msg) {
        if let Some(properties) = &self.stamp {
            msg.set_properties(properties);
        } else if let Some(properties) = self.announced.take() {
            msg.put_properties(properties);
        }
        self.inp.write(msg);
    }

    /// Says that the frames written from now on come from a connection with these
    /// properties: the next frame carries them, and the socket's end puts them on every
    /// frame after it (on the application thread, so the shard never touches the reference
    /// count the application's frames share). Call it between messages; a connection's
    /// first message is never rolled back without the connection ending, and the next
    /// connection announces its own.
    pub fn announce_properties(&mut self, properties: Arc<Metadata>) {
        if self.inp.conflates() {
            self.stamp = Some(properties);
        } else {
            self.announced = Some(properties);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn side(inbox: Option<Arc<SocketInbox>>, hwm: usize) -> InprocSide {
        InprocSide {
            inbox,
            origin: "inproc://test".into(),
            hwm,
            conflate: false,
        }
    }

    /// Waits for the next event of `inbox`.
    fn next_event(inbox: &SocketInbox, events: &mut VecDeque<SocketEvent>) -> SocketEvent {
        loop {
            if let Some(event) = events.pop_front() {
                return event;
            }
            inbox.drain_into(events);
            if events.is_empty() {
                inbox.wait(None);
            }
        }
    }

    /// Two threads, each owning one end of an inproc pipe, with wake-ups through their
    /// inboxes only: every message arrives whole and in order with a small queue (so both
    /// sides sleep and wake each other), and the reader learns the writer let go.
    #[test]
    fn inproc_ends_wake_each_other_and_report_letting_go() {
        const MESSAGES: u32 = if cfg!(miri) { 60 } else { 20_000 };
        let (writer_inbox, reader_inbox) = (SocketInbox::new(), SocketInbox::new());
        let (mut writer, mut reader) = inproc_pipe(
            side(Some(writer_inbox.clone()), 3),
            side(Some(reader_inbox.clone()), 3),
        );
        let sender = std::thread::spawn(move || {
            let mut events = VecDeque::new();
            for i in 0..MESSAGES {
                while !writer.writable_or_sleep() {
                    match next_event(&writer_inbox, &mut events) {
                        SocketEvent::Writable(id) => assert_eq!(id, writer.id()),
                        other => panic!("unexpected {other:?}"),
                    }
                }
                writer.write(Msg::from(i.to_le_bytes().to_vec()).with_more(true));
                writer.write(Msg::from(vec![i as u8; (i % 5) as usize]));
                writer.flush();
            }
        });
        let mut events = VecDeque::new();
        let mut expected = 0u32;
        let mut detached = false;
        loop {
            match reader.read() {
                Some(first) => {
                    assert!(first.more());
                    assert_eq!(&first[..], expected.to_le_bytes());
                    let second = reader.read().expect("published whole");
                    assert_eq!(second.len(), (expected % 5) as usize);
                    expected += 1;
                    reader.release();
                }
                None if detached => break,
                None => {
                    if reader.sleep_reader() {
                        match next_event(&reader_inbox, &mut events) {
                            SocketEvent::Readable(_) => {}
                            SocketEvent::Detached(id) => {
                                assert_eq!(id, reader.id());
                                detached = true;
                            }
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                }
            }
        }
        sender.join().unwrap();
        assert_eq!(expected, MESSAGES);
    }

    /// A session's end puts a new connection's properties on the next frame it writes; the
    /// socket's end puts them on every frame after it, until the next connection's. An
    /// inproc peer's frames are read as sent.
    #[test]
    fn frames_carry_the_properties_of_the_connection_they_came_over() {
        let properties = |value: &str| {
            let mut m = Metadata::new();
            m.push("X-Connection", value.to_owned());
            Arc::new(m)
        };
        let mut shard =
            ringmq_engine::shard::ShardHandle::spawn(ringmq_engine::shard::ShardConfig::default()).unwrap();
        let limits = PipeLimits {
            sndhwm: 0,
            rcvhwm: 0,
            conflate_out: false,
            conflate_in: false,
        };
        let (mut socket_end, mut shard_end) =
            pipe(SocketInbox::new(), shard.shard().clone(), limits, None, true);
        shard_end.write(Msg::from("before"));
        shard_end.announce_properties(properties("first"));
        shard_end.write(Msg::from("a").with_more(true));
        shard_end.write(Msg::from("b"));
        shard_end.write(Msg::from("c"));
        shard_end.announce_properties(properties("second"));
        shard_end.write(Msg::from("d"));
        shard_end.flush();
        let got: Vec<(Vec<u8>, Option<String>)> = std::iter::from_fn(|| socket_end.read())
            .map(|m| (m.to_vec(), m.gets("X-Connection").map(str::to_owned)))
            .collect();
        let expected = [
            ("before", None),
            ("a", Some("first")),
            ("b", Some("first")),
            ("c", Some("first")),
            ("d", Some("second")),
        ]
        .map(|(body, conn)| (body.as_bytes().to_vec(), conn.map(str::to_owned)));
        assert_eq!(got, expected);
        socket_end.release();

        let (mut writer, mut reader) = inproc_pipe(
            side(Some(SocketInbox::new()), 0),
            side(Some(SocketInbox::new()), 0),
        );
        let mut forwarded = Msg::from("forwarded");
        forwarded.put_properties(properties("elsewhere"));
        writer.write(forwarded);
        writer.write(Msg::from("made here"));
        writer.flush();
        assert_eq!(reader.read().unwrap().gets("X-Connection"), Some("elsewhere"));
        assert_eq!(
            reader.read().unwrap().gets("X-Connection"),
            None,
            "inproc frames are not stamped"
        );
        reader.release();
        drop((socket_end, shard_end));
        shard.stop(None);
        shard.join();
    }

    /// An end made before its socket existed (connect before bind) learns at adoption
    /// that its peer already let go, and still reads what the peer sent.
    #[test]
    fn an_adopted_end_reads_what_a_departed_peer_left() {
        let connector_inbox = SocketInbox::new();
        let (mut early, mut waiting) = inproc_pipe(side(Some(connector_inbox), 0), side(None, 0));
        early.write(Msg::from(&b"before the bind"[..]));
        early.flush();
        drop(early);
        let binder_inbox = SocketInbox::new();
        waiting.adopt(binder_inbox.clone());
        let mut events = VecDeque::new();
        binder_inbox.drain_into(&mut events);
        assert!(matches!(events.pop_front(), Some(SocketEvent::Detached(id)) if id == waiting.id()));
        assert_eq!(&waiting.read().unwrap()[..], b"before the bind");
    }
}
