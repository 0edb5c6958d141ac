//! `Socket`: the public socket API — bind/connect, send/recv, options — over the socket's
//! pipes and its type's routing.
//!
//! A socket lives on the application thread that uses it (it is `Send`, not `Sync`, like a
//! libzmq socket). It talks to its shard only through its pipes (SPSC queues) and through
//! closures posted for control operations; its shard talks back through the socket's inbox.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ringmq_engine::ShardRef;
use ringmq_engine::event_fd::EventFd;
use ringmq_engine::parker::Wake;
use ringmq_transports::endpoint::Endpoint;
use ringmq_transports::ipc::IpcFile;
use ringmq_transports::pipe::{Linger, SocketEvent, SocketInbox, SocketPipe};
use ringmq_transports::tcp::SocketId;
use ringmq_transports::transport::{self, PipePlan, SocketSide};
use ringmq_transports::{Error, Msg, Result, SocketType};

use crate::flags::Flags;
use crate::home::SocketHome;
use crate::kinds::{self, Origin, RecvError, SendError, SocketKind, TypeOption};
use crate::options::SocketOptions;
use crate::pipes::Pipes;
use crate::readiness::PollEvents;

pub use typed_monitor::{MonitorStream, TYPED_QUEUE};

mod diagnostics;
mod monitor;
mod options_api;
mod security_api;
mod typed_monitor;

/// A frame [`Socket::send_or_hand_back`] did not queue, and why.
#[derive(Debug)]
pub struct Unsent {
    /// Why the frame was not sent.
    pub error: Error,
    /// The frame itself, unless the socket type consumed it (see
    /// [`Socket::send_or_hand_back`]).
    pub msg: Option<Msg>,
}

/// A ZeroMQ socket. Create one with [`Context::socket`](crate::Context::socket); dropping it
/// closes it (messages already sent keep going for up to LINGER).
///
/// ```
/// use ringmq_sockets::{Context, Flags, SocketType};
/// let ctx = Context::new()?;
/// let mut rep = ctx.socket(SocketType::Rep)?;
/// rep.bind("tcp://127.0.0.1:*")?;
/// let mut req = ctx.socket(SocketType::Req)?;
/// req.connect(&rep.last_endpoint())?;
/// req.send_multipart(["two", "parts"], Flags::NONE)?;
/// let request = rep.recv_multipart(Flags::NONE)?;
/// assert_eq!(request, ["two", "parts"]);
/// rep.send("reply", Flags::NONE)?;
/// assert_eq!(req.recv(Flags::NONE)?, "reply");
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
pub struct Socket {
    id: SocketId,
    /// What this socket sees of its context.
    home: Arc<SocketHome>,
    /// Keeps the context, and so its shards, alive while the socket is (opaque: the socket
    /// reaches the context only through `home`).
    context: Arc<dyn Send + Sync>,
    shard: ShardRef,
    inbox: Arc<SocketInbox>,
    events: VecDeque<SocketEvent>,
    pipes: Pipes,
    kind: Box<dyn SocketKind>,
    options: SocketOptions,
    last_endpoint: String,
    /// Bound endpoints: (as requested, as resolved).
    bound: Vec<(String, String)>,
    /// Connected endpoints, as given.
    connected: Vec<String>,
    /// Socket files of bound ipc:// endpoints, removed when dropped (unbind, close).
    ipc_files: Vec<(String, IpcFile)>,
    rcvmore: bool,
    /// A frame received early to answer `poll` (POLLIN), returned by the next `recv`.
    peeked: Option<Msg>,
    /// Behind ZMQ_FD, once asked for.
    event_fd: Option<Arc<EventFd>>,
    /// Made inside `Context::run_attached`: waiting drives the shard's ring on this thread,
    /// and this waker rings the shard's doorbell for events from other threads.
    attached: Option<Arc<dyn Wake>>,
    /// Attached: octets sent since this socket last ran its ring, by waiting or by a turn
    /// (see [`ATTACHED_SEND_TURN`]).
    sent_since_turn: usize,
    monitor: monitor::Monitor,
    traffic: diagnostics::Traffic,
}

/// An attached socket runs its ring after this many octets of sends, whether or not it has
/// to wait. Otherwise nothing goes out until SNDHWM is reached: 1 000 messages of 1 MiB,
/// a gigabyte queued and written cold, where a turn of the ring every quarter megabyte
/// lets the kernel take each body while it is still in the cache.
const ATTACHED_SEND_TURN: usize = 256 * 1024;

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("type", &self.options.socket_type)
            .field("id", &self.id)
            .field("shard", &self.shard.index())
            .field("pipes", &self.pipes.len())
            .field("last_endpoint", &self.last_endpoint)
            .finish()
    }
}

/// When a blocking call with timeout `ms` (libzmq convention: -1 = forever) gives up.
const OUTSIDE_ITS_SHARD: &str =
    "an attached socket was used outside the run_attached call that made it (nothing drives its shard there)";

fn deadline_after(ms: i32) -> Option<Instant> {
    (ms >= 0).then(|| Instant::now() + Duration::from_millis(ms as u64))
}

impl Socket {
    /// Registers and creates a socket of `home`'s context (kept alive by `context`), served
    /// by `shard`.
    pub(crate) fn open(
        home: &Arc<SocketHome>,
        context: Arc<dyn Send + Sync>,
        id: SocketId,
        socket_type: SocketType,
        shard: ShardRef,
        attached: bool,
    ) -> Result<Self> {
        let inbox = home.register(id)?;
        Self::new(id, socket_type, inbox, shard, attached, home.clone(), context)
            .inspect_err(|_| home.socket_closed(id))
    }

    fn new(
        id: SocketId,
        socket_type: SocketType,
        inbox: Arc<SocketInbox>,
        shard: ShardRef,
        attached: bool,
        home: Arc<SocketHome>,
        context: Arc<dyn Send + Sync>,
    ) -> Result<Self> {
        let kind = kinds::for_type(socket_type)?;
        let attached = attached.then(|| {
            let doorbell: Arc<dyn Wake> = Arc::new(shard.clone());
            inbox.add_watcher(doorbell.clone());
            doorbell
        });
        Ok(Self {
            id,
            home,
            context,
            shard,
            inbox,
            events: VecDeque::new(),
            pipes: Pipes::new(attached.is_none()),
            kind,
            options: SocketOptions::new(socket_type),
            last_endpoint: String::new(),
            bound: Vec::new(),
            connected: Vec::new(),
            ipc_files: Vec::new(),
            rcvmore: false,
            peeked: None,
            event_fd: None,
            attached,
            sent_since_turn: 0,
            monitor: monitor::Monitor::default(),
            traffic: diagnostics::Traffic::default(),
        })
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.options.socket_type
    }

    /// The index of the shard serving this socket.
    pub fn shard_index(&self) -> usize {
        self.shard.index()
    }

    /// ETERM once the context terminates; EFSM for an attached socket used where nothing
    /// drives its shard (another thread, or after its `run_attached` returned), which
    /// would otherwise wait forever.
    fn check_term(&self) -> Result<()> {
        if self.home.is_terminating() {
            return Err(Error::Terminated);
        }
        if self.attached.is_some() && !ringmq_engine::attached::runs_here(&self.shard) {
            return Err(Error::InvalidState(OUTSIDE_ITS_SHARD));
        }
        Ok(())
    }

    // ----- endpoints -----

    /// Accepts connections on `endpoint` (`tcp://*:5555`, `tcp://127.0.0.1:*`, `tcp://eth0:0`,
    /// `ipc:///tmp/feed`, `ipc://@name`, `ipc://*`, and for DISH `udp://…`). Errors
    /// (EADDRINUSE, ENODEV, ENAMETOOLONG, EINVAL) are reported here; the resolved endpoint
    /// (with the ephemeral port or the `ipc://*` path filled in) is then
    /// [`last_endpoint`](Self::last_endpoint).
    pub fn bind(&mut self, endpoint: &str) -> Result<()> {
        self.check_term()?;
        let parsed = Endpoint::parse(endpoint)?;
        match &parsed {
            Endpoint::Inproc(name) => return self.bind_inproc(endpoint, name),
            Endpoint::Udp(_) => self.check_udp(SocketType::Dish, "bind")?,
            Endpoint::Tcp(_) | Endpoint::Ipc(_) => {}
        }
        let bound = transport::bind(endpoint, &parsed, &self.transport_side()?)?;
        if let Some(pipe) = bound.pipe {
            self.attach_pipe(pipe);
        }
        if let Some(file) = bound.ipc_file {
            self.ipc_files.push((bound.resolved.clone(), file));
        }
        self.bound.push((endpoint.to_owned(), bound.resolved.clone()));
        self.last_endpoint = bound.resolved;
        Ok(())
    }

    /// What the transports need from this socket, with its options as they are now.
    fn transport_side(&self) -> Result<SocketSide> {
        Ok(SocketSide {
            id: self.id,
            shard: self.shard.clone(),
            inbox: self.inbox.clone(),
            options: self.options.tcp_options(&self.home.inproc)?,
        })
    }

    /// Connects to `endpoint`, asynchronously: the call returns at once, messages queue until
    /// the connection is up, and it reconnects after failures (RECONNECT_IVL).
    pub fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.connect_returning_pipe(endpoint).map(|_| ())
    }

    /// Connects; returns the slot of the pipe made at once (`None` when pipes come with
    /// connections, as for IMMEDIATE and STREAM).
    fn connect_returning_pipe(&mut self, endpoint: &str) -> Result<Option<usize>> {
        self.check_term()?;
        let parsed = Endpoint::parse(endpoint)?;
        match &parsed {
            Endpoint::Inproc(name) => return self.connect_inproc(endpoint, name),
            Endpoint::Udp(_) => self.check_udp(SocketType::Radio, "connect")?,
            Endpoint::Tcp(_) | Endpoint::Ipc(_) => {}
        }
        // STREAM peers are connections: each one is a new peer with its own pipe.
        let plan = if self.options.immediate || self.options.socket_type.is_raw() {
            PipePlan::PerConnection
        } else {
            PipePlan::Held
        };
        let pipe = transport::connect(endpoint, &parsed, &self.transport_side()?, plan)?;
        let attached = pipe.and_then(|pipe| self.attach_pipe(pipe));
        self.connected.push(endpoint.to_owned());
        self.last_endpoint = endpoint.to_owned();
        Ok(attached)
    }

    /// ZMQ's `zmq_connect_peer` (PEER): connects to `endpoint` and returns the routing id the
    /// new peer has here, to address messages to it at once (they queue until the connection
    /// is up). Other types fail with ENOTSUP.
    pub fn connect_peer(&mut self, endpoint: &str) -> Result<u32> {
        if self.options.socket_type != SocketType::Peer {
            return Err(Error::NotSupported(format!(
                "connect_peer is for PEER sockets, not {}",
                self.options.socket_type
            )));
        }
        if self.options.immediate {
            return Err(Error::NotSupported(
                "connect_peer needs the peer's queue at once: ZMQ_IMMEDIATE must be off".into(),
            ));
        }
        let idx = self
            .connect_returning_pipe(endpoint)?
            .expect("without IMMEDIATE a connect makes its pipe at once");
        Ok(self.kind.routing_id_of(idx).expect("PEER gives every pipe an id"))
    }

    /// inproc:// carries ZMTP messages between sockets; STREAM's raw bytes have no place
    /// there (libzmq refuses it too).
    fn check_inproc(&self, endpoint: &str) -> Result<()> {
        if self.options.socket_type.is_raw() {
            return Err(Error::NotSupported(format!(
                "'{endpoint}': STREAM sockets speak raw tcp://, not inproc://"
            )));
        }
        Ok(())
    }

    /// Binds an inproc name: peers that connected before the bind join now.
    fn bind_inproc(&mut self, endpoint: &str, name: &str) -> Result<()> {
        self.check_inproc(endpoint)?;
        let me = self.options.inproc_peer(self.id, self.inbox.clone());
        for waiting in self.home.inproc.bind(name, me.clone())? {
            self.attach_pipe(waiting.complete(&me));
        }
        self.bound.push((endpoint.to_owned(), endpoint.to_owned()));
        self.last_endpoint = endpoint.to_owned();
        Ok(())
    }

    /// Connects to an inproc name, bound or not yet: the pipe is there at once either way
    /// (under IMMEDIATE, only once the name is bound).
    fn connect_inproc(&mut self, endpoint: &str, name: &str) -> Result<Option<usize>> {
        self.check_inproc(endpoint)?;
        let me = self.options.inproc_peer(self.id, self.inbox.clone());
        let attached = self
            .home
            .inproc
            .connect(name, endpoint, me)
            .and_then(|pipe| self.attach_pipe(pipe));
        self.connected.push(endpoint.to_owned());
        self.last_endpoint = endpoint.to_owned();
        Ok(attached)
    }

    /// `udp://` is for RADIO (connect) and DISH (bind) only, as in libzmq.
    fn check_udp(&self, wanted: SocketType, what: &str) -> Result<()> {
        if self.options.socket_type == wanted {
            Ok(())
        } else {
            Err(Error::NotSupported(format!(
                "udp:// is for RADIO (connect) and DISH (bind); a {} socket cannot {what} it",
                self.options.socket_type
            )))
        }
    }

    /// Stops accepting on a bound endpoint (give the resolved endpoint for wildcard binds)
    /// and closes the connections accepted there.
    pub fn unbind(&mut self, endpoint: &str) -> Result<()> {
        self.check_term()?;
        let position = self
            .bound
            .iter()
            .position(|(requested, resolved)| {
                resolved == endpoint || (requested == endpoint && !endpoint.contains('*'))
            })
            .ok_or_else(|| Error::NotFound(format!("'{endpoint}' is not bound on this socket")))?;
        let (_, resolved) = self.bound.remove(position);
        // An ipc:// socket file goes with its endpoint.
        self.ipc_files.retain(|(bound, _)| *bound != resolved);
        if let Ok(Endpoint::Inproc(name)) = Endpoint::parse(&resolved) {
            self.home.inproc.unbind(&name, self.id);
            self.drop_pipes_from(&resolved);
            return Ok(());
        }
        transport::unbind(&self.shard, self.id, &resolved);
        self.drop_pipes_from(&resolved);
        Ok(())
    }

    /// Drops the connection to a connected endpoint (messages queued for it follow LINGER).
    pub fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        self.check_term()?;
        let position = self
            .connected
            .iter()
            .position(|e| e == endpoint)
            .ok_or_else(|| Error::NotFound(format!("'{endpoint}' is not connected on this socket")))?;
        self.connected.remove(position);
        self.drop_pipes_from(endpoint);
        if let Ok(Endpoint::Inproc(name)) = Endpoint::parse(endpoint) {
            self.home.inproc.cancel_pending(&name, self.id);
            return Ok(());
        }
        transport::disconnect(&self.shard, self.id, endpoint);
        Ok(())
    }

    /// The last endpoint bound (resolved) or connected (as given).
    pub fn last_endpoint(&self) -> String {
        self.last_endpoint.clone()
    }

    fn drop_pipes_from(&mut self, origin: &str) {
        let linger = Linger::from_option(self.options.linger());
        for idx in self.pipes.indices() {
            if self.pipes.get(idx).pipe.origin() == Some(origin) {
                self.kind.forget(&mut self.pipes, idx);
                let pipe = self.pipes.remove(idx);
                pipe.set_linger(linger);
            }
        }
    }

    // ----- pipes and events -----

    /// Gives the socket type a new pipe; its slot, unless the type refused it.
    fn attach_pipe(&mut self, pipe: SocketPipe) -> Option<usize> {
        let origin = if pipe.is_connected() {
            Origin::Connected
        } else {
            Origin::Accepted
        };
        let idx = self.pipes.insert(pipe);
        if self.kind.attach(&mut self.pipes, idx, origin) {
            return Some(idx);
        }
        // Refused (a PAIR already has its peer): let it go at once.
        let pipe = self.pipes.remove(idx);
        pipe.set_linger(Linger::Until(Instant::now()));
        None
    }

    #[inline]
    fn process_events(&mut self) {
        if !self.inbox.has_pending() {
            return;
        }
        self.inbox.drain_into(&mut self.events);
        while let Some(event) = self.events.pop_front() {
            match event {
                SocketEvent::Attached(pipe) => {
                    self.attach_pipe(*pipe);
                }
                SocketEvent::Readable(id) => {
                    if let Some(idx) = self.pipes.index_of(id) {
                        self.kind.readable(&mut self.pipes, idx);
                    }
                }
                SocketEvent::Writable(id) => {
                    if let Some(idx) = self.pipes.index_of(id) {
                        self.kind.writable(&mut self.pipes, idx);
                    }
                }
                SocketEvent::Reconnected(id) => {
                    if let Some(idx) = self.pipes.index_of(id) {
                        self.kind.reconnected(&mut self.pipes, idx);
                    }
                }
                SocketEvent::Detached(id) => {
                    if let Some(idx) = self.pipes.index_of(id) {
                        self.pipes.get(idx).detached = true;
                        self.kind.detached(&mut self.pipes, idx);
                    }
                }
            }
        }
        self.reap_finished();
    }

    fn reap_finished(&mut self) {
        for idx in self.kind.take_finished() {
            let detached = self.pipes.get(idx).detached;
            let pipe = self.pipes.remove(idx);
            if !detached {
                // Pushed out by the socket type (a ROUTER handover, a duplicate routing id):
                // its connection closes now.
                pipe.set_linger(Linger::Until(Instant::now()));
            }
        }
    }

    /// Waits for an event until `deadline`; `Ok(false)` on timeout, ETERM on termination.
    fn wait(&mut self, deadline: Option<Instant>) -> Result<bool> {
        if self.inbox.has_pending() {
            return Ok(true);
        }
        if self.attached.is_some() {
            // The ring is about to run: what was sent goes out now.
            self.sent_since_turn = 0;
        }
        let inbox = &self.inbox;
        let driven = match self.attached {
            // Attached: run the shard's ring until an event comes, instead of sleeping
            // while another thread does the I/O. Only an explicit busy-poll spins: the
            // events come from this very thread's ring.
            Some(_) => Some(
                ringmq_engine::attached::drive(&self.shard, deadline, self.home.busy_poll, &|| {
                    inbox.has_pending()
                })
                .ok_or(Error::InvalidState(OUTSIDE_ITS_SHARD))?,
            ),
            None => None,
        };
        let woken = match driven {
            Some(ready) => ready,
            // A brief spin pays when the answer may come from another application thread
            // (inproc) within it; a session's comes after a trip through the kernel, and
            // spinning for it only takes the core from the threads doing that work.
            None if self.pipes.has_inproc() => inbox.wait_after_spin(deadline, self.home.spin_before_sleep),
            None => inbox.wait_after_spin(deadline, self.home.busy_poll),
        };
        self.check_term()?;
        Ok(woken || self.inbox.has_pending())
    }

    // ----- sending -----

    /// Sends one frame; with [`Flags::SNDMORE`] more frames of the same message follow and
    /// the message is delivered only when its last frame is sent. Blocks while no peer can
    /// take the message (up to SNDTIMEO), or fails with EAGAIN under [`Flags::DONTWAIT`].
    pub fn send(&mut self, msg: impl Into<Msg>, flags: Flags) -> Result<()> {
        let msg = msg.into().with_more(flags.contains(Flags::SNDMORE));
        self.send_frame(msg, flags.contains(Flags::DONTWAIT))
    }

    /// Like [`send`](Self::send), but a frame that was not queued comes back with the error
    /// when it still exists, as libzmq's `zmq_msg_send` leaves the caller's message intact:
    /// after EAGAIN (would block, or SNDTIMEO passed) and ETERM it does; after an error of
    /// the socket type (EFSM, EHOSTUNREACH) the frame was consumed and `msg` is `None`.
    ///
    /// ```
    /// use ringmq_sockets::{Context, Error, Flags, SocketType};
    /// let ctx = Context::new()?;
    /// let mut push = ctx.socket(SocketType::Push)?;
    /// let unsent = push.send_or_hand_back("kept".into(), Flags::DONTWAIT).unwrap_err();
    /// assert!(matches!(unsent.error, Error::Again));
    /// assert_eq!(unsent.msg.unwrap(), "kept");
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn send_or_hand_back(&mut self, msg: Msg, flags: Flags) -> std::result::Result<(), Unsent> {
        let msg = msg.with_more(flags.contains(Flags::SNDMORE));
        self.send_frame_or_hand_back(msg, flags.contains(Flags::DONTWAIT))
            .map_err(|(error, msg)| Unsent { error, msg })
    }

    /// Sends a whole message, one frame per item.
    pub fn send_multipart<I, T>(&mut self, frames: I, flags: Flags) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Msg>,
    {
        let dontwait = flags.contains(Flags::DONTWAIT);
        let mut frames = frames.into_iter().peekable();
        if frames.peek().is_none() {
            return Err(Error::InvalidArgument(
                "send_multipart needs at least one frame".into(),
            ));
        }
        while let Some(frame) = frames.next() {
            let more = frames.peek().is_some();
            self.send_frame(frame.into().with_more(more), dontwait)?;
        }
        Ok(())
    }

    fn send_frame(&mut self, msg: Msg, dontwait: bool) -> Result<()> {
        self.send_frame_or_hand_back(msg, dontwait)
            .map_err(|(error, _)| error)
    }

    fn send_frame_or_hand_back(
        &mut self,
        mut msg: Msg,
        dontwait: bool,
    ) -> std::result::Result<(), (Error, Option<Msg>)> {
        if let Err(e) = self.check_term() {
            return Err((e, Some(msg)));
        }
        let mut deadline = None;
        loop {
            self.process_events();
            let (len, more) = (msg.len(), msg.more());
            match self.kind.send(&mut self.pipes, msg) {
                Ok(()) => {
                    self.traffic.sent(len, more);
                    if self.attached.is_some() {
                        self.sent_since_turn += len;
                        if self.sent_since_turn >= ATTACHED_SEND_TURN {
                            self.sent_since_turn = 0;
                            ringmq_engine::attached::run_ready(&self.shard);
                        }
                    }
                    return Ok(());
                }
                Err(SendError::Fail(e)) => return Err((e, None)),
                Err(SendError::WouldBlock(back)) => {
                    msg = back;
                    if dontwait || self.options.sndtimeo == 0 {
                        return Err((Error::Again, Some(msg)));
                    }
                    let at = *deadline.get_or_insert_with(|| deadline_after(self.options.sndtimeo));
                    match self.wait(at) {
                        Ok(true) => {}
                        Ok(false) => return Err((Error::Again, Some(msg))),
                        Err(e) => return Err((e, Some(msg))),
                    }
                }
            }
        }
    }

    // ----- receiving -----

    /// Receives one frame; [`Msg::more`] (or [`rcvmore`](Self::rcvmore)) tells whether more
    /// frames of the message follow. Blocks until one arrives (up to RCVTIMEO), or fails with
    /// EAGAIN under [`Flags::DONTWAIT`].
    pub fn recv(&mut self, flags: Flags) -> Result<Msg> {
        self.check_term()?;
        if let Some(msg) = self.peeked.take() {
            self.rcvmore = msg.more();
            self.traffic.received(msg.len(), msg.more());
            return Ok(msg);
        }
        let dontwait = flags.contains(Flags::DONTWAIT);
        let mut deadline = None;
        loop {
            self.process_events();
            match self.kind.recv(&mut self.pipes) {
                Ok(msg) => {
                    self.rcvmore = msg.more();
                    self.traffic.received(msg.len(), msg.more());
                    return Ok(msg);
                }
                Err(RecvError::Fail(e)) => return Err(e),
                Err(RecvError::WouldBlock) => {
                    self.reap_finished();
                    if dontwait || self.options.rcvtimeo == 0 {
                        return Err(Error::Again);
                    }
                    let at = *deadline.get_or_insert_with(|| deadline_after(self.options.rcvtimeo));
                    if !self.wait(at)? {
                        return Err(Error::Again);
                    }
                }
            }
        }
    }

    /// Receives a whole message (all its frames). With DONTWAIT it fails with EAGAIN only if
    /// no message is there at all; a message's frames always arrive together.
    pub fn recv_multipart(&mut self, flags: Flags) -> Result<Vec<Msg>> {
        let mut frames = vec![self.recv(flags)?];
        while frames.last().is_some_and(|f| f.more()) {
            frames.push(self.recv(flags)?);
        }
        Ok(frames)
    }

    /// ZMQ_RCVMORE: whether the last frame received has more frames after it.
    pub fn rcvmore(&self) -> bool {
        self.rcvmore
    }

    // ----- single attempts (thread-safe sockets) -----

    /// Tries to send one whole single-frame message now: `Ok(Err(msg))` hands it back if
    /// that would block.
    pub(crate) fn send_now(&mut self, msg: Msg) -> Result<std::result::Result<(), Msg>> {
        self.check_term()?;
        self.process_events();
        match self.kind.send(&mut self.pipes, msg) {
            Ok(()) => Ok(Ok(())),
            Err(SendError::WouldBlock(back)) => Ok(Err(back)),
            Err(SendError::Fail(e)) => Err(e),
        }
    }

    /// Tries to receive one frame now.
    pub(crate) fn recv_now(&mut self) -> Result<Option<Msg>> {
        match self.recv(Flags::DONTWAIT) {
            Ok(msg) => Ok(Some(msg)),
            Err(Error::Again) => Ok(None),
            Err(e) => Err(e),
        }
    }

    // ----- readiness (poll) -----

    /// What the socket could do now without blocking, among `wanted`.
    pub(crate) fn readiness(&mut self, wanted: PollEvents) -> Result<PollEvents> {
        self.check_term()?;
        self.process_events();
        let mut ready = PollEvents::NONE;
        if wanted.contains(PollEvents::POLLIN) {
            let has_in = match self.kind.has_in(&mut self.pipes) {
                Some(answer) => answer,
                None if self.peeked.is_some() => true,
                None => match self.kind.recv(&mut self.pipes) {
                    Ok(msg) => {
                        self.peeked = Some(msg);
                        true
                    }
                    Err(_) => false,
                },
            };
            if has_in {
                ready |= PollEvents::POLLIN;
            }
        }
        if wanted.contains(PollEvents::POLLOUT) && self.kind.has_out(&mut self.pipes) {
            ready |= PollEvents::POLLOUT;
        }
        self.reap_finished();
        Ok(ready)
    }

    /// The shard this socket is attached to, if it was made inside `Context::run_attached`.
    pub(crate) fn attached_shard(&self) -> Option<&ShardRef> {
        self.attached.as_ref().map(|_| &self.shard)
    }

    /// The inbox whose events wake a waiting `poll`.
    pub(crate) fn inbox(&self) -> &Arc<SocketInbox> {
        &self.inbox
    }

    /// ZMQ_FD: a file descriptor that becomes readable when something may have changed for
    /// this socket, to put it in the application's own epoll or io_uring loop. As with
    /// libzmq's, it signals "look again", not "a message is there": when it is readable, ask
    /// [`events`](Self::events) and send or receive (with DONTWAIT) until it says nothing is
    /// ready; only then is waiting on the descriptor again safe.
    ///
    /// ```
    /// use ringmq_sockets::{Context, Flags, PollEvents, SocketType};
    /// let ctx = Context::new()?;
    /// let mut pull = ctx.socket(SocketType::Pull)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let fd = pull.fd()?;
    /// let mut push = ctx.socket(SocketType::Push)?;
    /// push.connect(&pull.last_endpoint())?;
    /// push.send("hi", Flags::NONE)?;
    /// loop {
    ///     // The application's own loop would wait for `fd` to be readable here.
    ///     let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    ///     // SAFETY: one valid pollfd.
    ///     unsafe { libc::poll(&mut pfd, 1, 1000) };
    ///     if pull.events()?.contains(PollEvents::POLLIN) {
    ///         assert_eq!(pull.recv(Flags::DONTWAIT)?, "hi");
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn fd(&mut self) -> Result<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        if self.event_fd.is_none() {
            let efd = Arc::new(EventFd::new().map_err(|e| Error::io("ZMQ_FD: eventfd", e))?);
            self.inbox.add_watcher(efd.clone());
            // Readable at once, so the first look happens.
            efd.wake();
            self.event_fd = Some(efd);
        }
        Ok(self.event_fd.as_ref().expect("made above").as_raw_fd())
    }

    /// ZMQ_EVENTS: what the socket can do now without blocking (POLLIN, POLLOUT). Also makes
    /// [`fd`](Self::fd) unreadable until the next change.
    pub fn events(&mut self) -> Result<PollEvents> {
        if let Some(efd) = &self.event_fd {
            efd.reset();
        }
        self.readiness(PollEvents::POLLIN | PollEvents::POLLOUT)
    }

    // ----- groups (RADIO and DISH) -----

    /// `zmq_join` (DISH): receive messages sent to `group` (up to 255 octets, no zero
    /// octet). Joining a group twice is EINVAL.
    pub fn join(&mut self, group: &str) -> Result<()> {
        self.set_type_option(TypeOption::Join(Bytes::copy_from_slice(group.as_bytes())))
    }

    /// `zmq_leave` (DISH): stop receiving `group`. Leaving a group not joined is EINVAL.
    pub fn leave(&mut self, group: &str) -> Result<()> {
        self.set_type_option(TypeOption::Leave(Bytes::copy_from_slice(group.as_bytes())))
    }

    /// RADIO: sends `body` to the dishes that joined `group` (a message is the two frames
    /// `[group, body]`, as on the wire; this sends both). Never blocks: a full dish misses it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ringmq_sockets::{Context, Flags, SocketType};
    /// let ctx = Context::new()?;
    /// let mut radio = ctx.socket(SocketType::Radio)?;
    /// radio.bind("tcp://127.0.0.1:*")?;
    /// let mut dish = ctx.socket(SocketType::Dish)?;
    /// dish.join("alerts")?;
    /// dish.connect(&radio.last_endpoint())?;
    /// // The JOIN travels asynchronously: send until the first message gets through.
    /// let (group, body) = loop {
    ///     radio.send_group("alerts", "disk full", Flags::NONE)?;
    ///     std::thread::sleep(Duration::from_millis(5));
    ///     if let Ok(got) = dish.recv_group(Flags::DONTWAIT) {
    ///         break got;
    ///     }
    /// };
    /// assert_eq!((&group[..], &body[..]), (&b"alerts"[..], &b"disk full"[..]));
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn send_group(&mut self, group: &str, body: impl Into<Msg>, flags: Flags) -> Result<()> {
        let dontwait = flags.contains(Flags::DONTWAIT);
        self.send_frame(Msg::copy_from_slice(group.as_bytes()).with_more(true), dontwait)?;
        self.send_frame(body.into().with_more(false), dontwait)
    }

    /// DISH: receives one message and its group.
    pub fn recv_group(&mut self, flags: Flags) -> Result<(Bytes, Msg)> {
        let group = self.recv(flags)?;
        // The body was received with the group: it is there now.
        let body = self.recv(Flags::DONTWAIT)?;
        Ok((group.into_bytes(), body))
    }
}

impl Drop for Socket {
    /// Closes the socket like `zmq_close`: listeners stop at once; connections keep sending
    /// what was queued for up to LINGER, then close.
    fn drop(&mut self) {
        if let Some(efd) = self.event_fd.take() {
            // The inbox may outlive the socket a while (its sessions hold it): let the
            // descriptor go now.
            let waker: Arc<dyn Wake> = efd;
            self.inbox.remove_watcher(&waker);
        }
        if let Some(doorbell) = self.attached.take() {
            self.inbox.remove_watcher(&doorbell);
        }
        let linger = Linger::from_option(self.options.linger());
        // Pipes that arrive from now on are let go by the closed inbox.
        for event in self.inbox.close() {
            if let SocketEvent::Attached(pipe) = event {
                pipe.set_linger(linger);
            }
        }
        for idx in self.pipes.indices() {
            let pipe = self.pipes.remove(idx);
            pipe.set_linger(linger);
        }
        transport::close(
            &self.shard,
            self.id,
            !self.bound.is_empty(),
            !self.connected.is_empty(),
        );
        self.monitor
            .stop_after_shard_work(&self.options.events, &self.shard);
        self.home.inproc.socket_closed(self.id, self.options.linger == 0);
        self.home.socket_closed(self.id);
    }
}
