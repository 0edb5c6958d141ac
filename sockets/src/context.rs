//! `Context`: owns the shards and knows every open socket, so it can terminate like
//! `zmq_ctx_term`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringmq_engine::attached::AttachedShard;
use ringmq_engine::ring::RingSetup;
use ringmq_engine::{ShardConfig, ShardHandle, ShardRef};
use ringmq_transports::tcp::SocketId;
use ringmq_transports::{Error, Result, SocketType};

use crate::home::SocketHome;
use crate::shared::{SharedSocket, is_thread_safe};
use crate::socket::Socket;

/// How a [`Context`] is set up. Obtain one with [`Context::builder`].
#[derive(Clone, Debug)]
pub struct ContextBuilder {
    shards: Option<usize>,
    pin_cores: bool,
    ring_entries: u32,
    recv_buffers: u16,
    recv_buffer_size: u32,
    ring_setup: RingSetup,
    max_drop_wait: Duration,
    busy_poll: Duration,
}

/// How long a waiting socket watches for its wake-up before it sleeps on a futex, at the
/// least (see [`ContextBuilder::busy_poll`]): long enough that a peer answering at once
/// on another core costs neither side a syscall, short enough not to matter as CPU time.
pub const BRIEF_SPIN: Duration = Duration::from_micros(2);

impl Default for ContextBuilder {
    fn default() -> Self {
        Self {
            shards: None,
            pin_cores: false,
            ring_entries: 256,
            recv_buffers: 128,
            recv_buffer_size: 32 * 1024,
            ring_setup: RingSetup::Best,
            max_drop_wait: Duration::from_secs(5),
            busy_poll: Duration::ZERO,
        }
    }
}

impl ContextBuilder {
    /// Number of shards (I/O threads with one io_uring each). Default: the number of cores
    /// this process may run on. `0` makes an attached-only context, which starts no thread
    /// at all: its sockets are made inside [`Context::run_attached`].
    pub fn shards(mut self, n: usize) -> Self {
        self.shards = Some(n);
        self
    }

    /// Pin shard `i` to the `i`-th core this process may use. Off by default, since two
    /// processes pinning their first shard to the same core would share it.
    pub fn pin_cores(mut self, pin: bool) -> Self {
        self.pin_cores = pin;
        self
    }

    /// Submission queue size of each shard's ring.
    pub fn ring_entries(mut self, n: u32) -> Self {
        self.ring_entries = n;
        self
    }

    /// Provided receive buffers per shard (a power of two) and their size in bytes.
    pub fn recv_buffers(mut self, count: u16, size: u32) -> Self {
        self.recv_buffers = count;
        self.recv_buffer_size = size;
        self
    }

    /// Forces the plain io_uring setup (no SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN), as on
    /// kernels that lack them.
    pub fn plain_ring(mut self, plain: bool) -> Self {
        self.ring_setup = if plain { RingSetup::Plain } else { RingSetup::Best };
        self
    }

    /// How long dropping the last `Context` handle waits for lingering messages (an explicit
    /// [`Context::term`] waits as long as LINGER says, like `zmq_ctx_term`). Default 5 s.
    pub fn max_drop_wait(mut self, wait: Duration) -> Self {
        self.max_drop_wait = wait;
        self
    }

    /// Busy-polling: a socket that must wait first watches for its wake-up for up to this
    /// long, burning its core, before it sleeps. Off by default (only a brief spin of
    /// [`BRIEF_SPIN`]); worth a few tens of microseconds to latency-sensitive users with
    /// cores to spare.
    pub fn busy_poll(mut self, spin: Duration) -> Self {
        self.busy_poll = spin;
        self
    }

    /// Starts the shards.
    pub fn build(self) -> Result<Context> {
        // 0 is an attached-only context: sockets live on threads entered with run_attached.
        let count = self
            .shards
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let cores = if self.pin_cores { core_ids() } else { Vec::new() };
        let mut handles = Vec::with_capacity(count);
        for index in 0..count {
            let config = ShardConfig {
                index,
                core: (!cores.is_empty()).then(|| cores[index % cores.len()]),
                ring_entries: self.ring_entries,
                recv_buffers: self.recv_buffers,
                recv_buffer_size: self.recv_buffer_size,
                setup: self.ring_setup,
            };
            let handle =
                ShardHandle::spawn(config).map_err(|e| Error::io(format!("starting shard {index}"), e))?;
            handles.push(handle);
        }
        let inner = Arc::new(ContextInner {
            attached_template: ShardConfig {
                index: count,
                core: None,
                ring_entries: self.ring_entries,
                recv_buffers: self.recv_buffers,
                recv_buffer_size: self.recv_buffer_size,
                setup: self.ring_setup,
            },
            next_attached: AtomicUsize::new(count),
            shards: handles.iter().map(|h| h.shard().clone()).collect(),
            handles: Mutex::new(handles),
            home: Arc::new(SocketHome::new(self.busy_poll.max(BRIEF_SPIN), self.busy_poll)),
            stopped: AtomicBool::new(false),
            max_drop_wait: self.max_drop_wait,
        });
        Ok(Context {
            inner,
            handles: Arc::new(AtomicUsize::new(1)),
        })
    }
}

/// The cores this process may run on.
fn core_ids() -> Vec<usize> {
    core_affinity::get_core_ids()
        .map(|ids| ids.into_iter().map(|c| c.id).collect())
        .unwrap_or_default()
}

pub(crate) struct ContextInner {
    /// How attached shards are built (their index counts on from the detached ones).
    attached_template: ShardConfig,
    next_attached: AtomicUsize,
    shards: Vec<ShardRef>,
    handles: Mutex<Vec<ShardHandle>>,
    /// What the sockets see of this context.
    home: Arc<SocketHome>,
    stopped: AtomicBool,
    max_drop_wait: Duration,
}

impl std::fmt::Debug for ContextInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("shards", &self.shards.len())
            .field("terminating", &self.home.is_terminating())
            .finish_non_exhaustive()
    }
}

impl ContextInner {
    /// Creates a socket served by `shard`.
    fn make_socket(
        self: &Arc<Self>,
        id: SocketId,
        socket_type: SocketType,
        shard: ShardRef,
        attached: bool,
    ) -> Result<Socket> {
        let keep_alive: Arc<dyn Send + Sync> = self.clone();
        Socket::open(&self.home, keep_alive, id, socket_type, shard, attached)
    }

    /// Stops the shards once their tasks are done, forcing them at `force_at`, and joins them.
    fn stop_shards(&self, force_at: Option<Instant>) {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        for h in handles.iter() {
            h.stop(force_at);
        }
        for h in handles.iter_mut() {
            h.join();
        }
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        // The last socket or context handle is gone: give lingering messages a bounded time.
        self.stop_shards(Some(Instant::now() + self.max_drop_wait));
    }
}

/// The current thread while it runs as a shard inside [`Context::run_attached`].
#[derive(Debug)]
pub struct Attached<'a> {
    ctx: &'a Arc<ContextInner>,
    shard: ShardRef,
}

impl Attached<'_> {
    /// Creates a socket served by this thread's shard: its connections live here and its
    /// blocking calls drive this shard's ring.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        let id = self.ctx.home.next_socket_id();
        self.ctx.make_socket(id, socket_type, self.shard.clone(), true)
    }

    /// Runs what the shard has ready without blocking: submits queued sends, handles
    /// completions. Blocking socket calls do this by themselves; call it when the thread
    /// is about to do something else for a while after sending.
    pub fn run_ready(&self) {
        ringmq_engine::attached::run_ready(&self.shard);
    }

    /// The shard's index (detached shards come first).
    pub fn index(&self) -> usize {
        self.shard.index()
    }
}

/// A ringmq context: a set of shards (I/O threads, one io_uring each) and the sockets made
/// from it. Cheap to clone; all clones are the same context.
///
/// ```
/// use ringmq_sockets::{Context, SocketType, Flags};
/// let ctx = Context::new()?;
/// let mut pull = ctx.socket(SocketType::Pull)?;
/// pull.bind("tcp://127.0.0.1:*")?;
/// let mut push = ctx.socket(SocketType::Push)?;
/// push.connect(&pull.last_endpoint())?;
/// push.send("hello", Flags::NONE)?;
/// assert_eq!(pull.recv(Flags::NONE)?, "hello");
/// # Ok::<(), ringmq_sockets::Error>(())
/// ```
#[derive(Debug)]
pub struct Context {
    inner: Arc<ContextInner>,
    /// Live `Context` handles (sockets do not count): the last one to go terminates.
    handles: Arc<AtomicUsize>,
}

impl Clone for Context {
    fn clone(&self) -> Self {
        self.handles.fetch_add(1, Ordering::AcqRel);
        Self {
            inner: self.inner.clone(),
            handles: self.handles.clone(),
        }
    }
}

impl Context {
    /// A context with the default settings (one shard per usable core).
    pub fn new() -> Result<Self> {
        ContextBuilder::default().build()
    }

    /// A builder for a context with other settings.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.inner.shards.len()
    }

    /// Creates a socket. Sockets are spread over the shards by a hash of their id. In an
    /// attached-only context (`shards(0)`) this fails with EINVAL: make sockets with
    /// [`Attached::socket`] inside [`run_attached`](Self::run_attached).
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        if self.inner.shards.is_empty() {
            return Err(Error::InvalidArgument(
                "this context has no shards (shards(0)): make sockets with Attached::socket inside Context::run_attached"
                    .into(),
            ));
        }
        let id = self.inner.home.next_socket_id();
        // Fibonacci hashing spreads consecutive ids evenly over the shards.
        let hash = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
        let shard = self.inner.shards[(hash as usize) % self.inner.shards.len()].clone();
        self.inner.make_socket(id, socket_type, shard, false)
    }

    /// Attached mode: runs `f` with the current thread as a shard of its own (its own
    /// io_uring ring), so that sockets made with [`Attached::socket`] have their
    /// connections here, and their blocking calls drive the ring inline instead of
    /// sleeping while another thread does the I/O: no thread hop between the application
    /// and the kernel. Sends go out when the thread next waits (a blocking call, or
    /// [`Attached::run_ready`]). When `f` returns, the shard runs until lingering
    /// connections have delivered what is queued (at most `max_drop_wait`), then closes.
    ///
    /// Attached sockets belong to this thread and this call: used elsewhere they wait
    /// for a driver that does not come. Fails with EINVAL if the thread already runs an
    /// attached shard.
    ///
    /// ```
    /// use ringmq_sockets::{Context, Flags, SocketType};
    /// // No shard threads at all: everything below runs on this thread.
    /// let ctx = Context::builder().shards(0).build()?;
    /// let answer = ctx.run_attached(|shard| -> ringmq_sockets::Result<_> {
    ///     let mut rep = shard.socket(SocketType::Rep)?;
    ///     rep.bind("tcp://127.0.0.1:*")?;
    ///     let mut req = shard.socket(SocketType::Req)?;
    ///     req.connect(&rep.last_endpoint())?;
    ///     req.send("ping", Flags::NONE)?;
    ///     let ping = rep.recv(Flags::NONE)?; // drives the ring: connect, handshake, read
    ///     rep.send(ping, Flags::NONE)?;
    ///     req.recv(Flags::NONE)
    /// })??;
    /// assert_eq!(answer, "ping");
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn run_attached<R>(&self, f: impl FnOnce(&Attached<'_>) -> R) -> Result<R> {
        if self.inner.home.is_terminating() {
            return Err(Error::Terminated);
        }
        let mut config = self.inner.attached_template.clone();
        config.index = self.inner.next_attached.fetch_add(1, Ordering::Relaxed);
        let entered = AttachedShard::enter(&config).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::InvalidArgument(e.to_string()),
            _ => Error::io("starting an attached shard", e),
        })?;
        let attached = Attached {
            ctx: &self.inner,
            shard: entered.shard().clone(),
        };
        let result = f(&attached);
        entered.finish(Some(Instant::now() + self.inner.max_drop_wait));
        Ok(result)
    }

    /// A socket that several threads may use at once: one of the thread-safe draft types
    /// (CLIENT, SERVER, SCATTER, GATHER, CHANNEL, PEER), as libzmq makes them. Other types are
    /// refused with EINVAL: use [`socket`](Self::socket), one thread at a time.
    pub fn shared_socket(&self, socket_type: SocketType) -> Result<SharedSocket> {
        if !is_thread_safe(socket_type) {
            return Err(Error::InvalidArgument(format!(
                "{socket_type} sockets are not thread-safe: use Context::socket"
            )));
        }
        Ok(SharedSocket::new(self.socket(socket_type)?))
    }

    /// Shuts the context down like `zmq_ctx_shutdown`: blocking calls on its sockets return
    /// ETERM at once, as do new calls and new sockets, without waiting for anything; a
    /// later [`term`](Self::term) still waits for the sockets to be closed.
    ///
    /// ```
    /// use ringmq_sockets::{Context, Error, Flags, SocketType};
    /// let ctx = Context::new()?;
    /// let mut pull = ctx.socket(SocketType::Pull)?;
    /// ctx.shutdown();
    /// assert!(matches!(pull.recv(Flags::NONE), Err(Error::Terminated)));
    /// drop(pull);
    /// ctx.term()?;
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.inner.home.begin_termination();
    }

    /// Terminates the context like `zmq_ctx_term`: blocking calls on its sockets return
    /// ETERM at once (as do new calls), then this waits until every socket is closed
    /// (dropped) and every message queued before closing was sent or its LINGER expired.
    pub fn term(&self) -> Result<()> {
        self.inner.home.begin_termination();
        self.inner.home.wait_until_empty();
        self.inner.stop_shards(None);
        Ok(())
    }
}

impl Drop for Context {
    /// Dropping the last handle terminates the context without waiting for sockets that are
    /// still open (they see ETERM); lingering messages get at most `max_drop_wait`.
    fn drop(&mut self) {
        if self.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        self.inner.home.begin_termination();
        if self.inner.home.is_empty() {
            self.inner
                .stop_shards(Some(Instant::now() + self.inner.max_drop_wait));
        }
    }
}
