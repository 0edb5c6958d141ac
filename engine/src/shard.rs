//! A shard: one OS thread (pinned to a core when asked), one io_uring ring, a provided-buffer
//! ring, a timer queue and a table of [`Task`]s.
//!
//! Other threads reach a shard only through its [`ShardRef`]: they post [`ShardCommand`]s to
//! its mailbox and ring its doorbell (an eventfd the ring keeps a read armed on) only when the
//! shard has announced that it is about to sleep, so a busy shard is never sent a syscall.
//!
//! One loop turn: reap completions and dispatch them to their tasks, fire due timers, run the
//! mailbox's commands, poll the tasks that asked to be polled once per turn (this is where a
//! connection turns everything queued during the turn into one send), then submit and, if
//! nothing is pending, sleep in `io_uring_enter` until a completion, the doorbell, or the
//! nearest timer.

use std::any::{Any, TypeId};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use io_uring::{IoUring, opcode, squeue, types};

use crate::buf_ring::BufRing;
use crate::mailbox::Mailbox;
use crate::ring::{self, RingFeatures, RingSetup};
use crate::task::{Completion, INDEX_BITS, OpTag, Task, TaskId};
use crate::timers::TimerQueue;

/// `user_data` of the doorbell read; no task slot can produce it (the last slot index is
/// never used).
const DOORBELL: u64 = u64::MAX;
/// `user_data` of the cancellation of the doorbell read at shutdown.
const DOORBELL_CANCEL: u64 = u64::MAX - 1;
/// `user_data` of the cancellation of everything at teardown.
const TEARDOWN_CANCEL: u64 = u64::MAX - 2;
/// Slot indices a task may have (the last one is left to the shard's own operations).
const MAX_TASKS: usize = (1 << INDEX_BITS) - 1;
/// How long a shard torn down with operations still in flight waits for their completions
/// before it leaks the memory they point into rather than free it under the kernel.
const TEARDOWN_WAIT: Duration = Duration::from_secs(2);
/// `IORING_ENTER_GETEVENTS` from the kernel ABI: reap completions (and run deferred task work).
const IORING_ENTER_GETEVENTS: u32 = 1;
/// The provided-buffer group every shard registers.
const RECV_BUFFER_GROUP: u16 = 0;

/// A closure run on the shard thread with access to the shard.
pub type ShardFn = Box<dyn FnOnce(&mut ShardCx<'_>) + Send>;

/// What other threads can ask of a shard.
pub enum ShardCommand {
    /// Run a closure on the shard (control plane: spawning tasks, bind/connect, close).
    Run(ShardFn),
    /// Call [`Task::on_wake`] on a task (data plane: a pipe it reads has new data, or one it
    /// writes has room again).
    Wake(TaskId),
    /// Stop once no task is left; at `force_at` (if given) tell every task to close now.
    Stop {
        /// When to give up waiting for tasks to finish by themselves.
        force_at: Option<Instant>,
    },
}

impl std::fmt::Debug for ShardCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Run(_) => f.write_str("Run(..)"),
            Self::Wake(id) => write!(f, "Wake({id:?})"),
            Self::Stop { force_at } => write!(f, "Stop {{ force_at: {force_at:?} }}"),
        }
    }
}

/// How to build a shard.
#[derive(Clone, Debug)]
pub struct ShardConfig {
    /// The shard's index in its context (used in the thread name).
    pub index: usize,
    /// Core id to pin the thread to, if any.
    pub core: Option<usize>,
    /// Submission queue size.
    pub ring_entries: u32,
    /// Number of provided receive buffers (a power of two).
    pub recv_buffers: u16,
    /// Size of each receive buffer in bytes.
    pub recv_buffer_size: u32,
    /// Which ring setup flags to try.
    pub setup: RingSetup,
}

impl Default for ShardConfig {
    fn default() -> Self {
        Self {
            index: 0,
            core: None,
            ring_entries: 256,
            recv_buffers: 128,
            recv_buffer_size: 32 * 1024,
            setup: RingSetup::Best,
        }
    }
}

struct ShardShared {
    index: usize,
    mailbox: Mailbox<ShardCommand>,
    /// Set by the shard just before it sleeps; whoever clears it rings the doorbell.
    asleep: AtomicBool,
    doorbell: OwnedFd,
    features: std::sync::OnceLock<RingFeatures>,
}

/// A cheap, cloneable handle for posting commands to a shard from any thread.
#[derive(Clone)]
pub struct ShardRef(Arc<ShardShared>);

impl std::fmt::Debug for ShardRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShardRef({})", self.0.index)
    }
}

impl crate::parker::Wake for ShardRef {
    fn wake(&self) {
        self.ring_doorbell();
    }
}

impl ShardRef {
    /// The shard's index in its context.
    pub fn index(&self) -> usize {
        self.0.index
    }

    /// What the shard's ring was built with (known once the shard has started).
    pub fn features(&self) -> RingFeatures {
        self.0.features.get().copied().unwrap_or_default()
    }

    /// A new shard's shared half, with its doorbell.
    fn new(index: usize) -> io::Result<Self> {
        // Blocking mode on purpose: io_uring polls a blocking fd itself, while on an
        // O_NONBLOCK one a read would complete at once with EAGAIN.
        // SAFETY: eventfd has no memory preconditions; the fd is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor we own.
        let doorbell = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(ShardRef(Arc::new(ShardShared {
            index,
            mailbox: Mailbox::new(),
            asleep: AtomicBool::new(false),
            doorbell,
            features: std::sync::OnceLock::new(),
        })))
    }

    /// `true` if both handles lead to the same shard.
    pub fn same_shard(&self, other: &ShardRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Queues a command and wakes the shard if it sleeps.
    pub fn post(&self, command: ShardCommand) {
        // A shard's mailbox is never closed; it lives as long as any handle.
        let _ = self.0.mailbox.push(command);
        self.ring_doorbell();
    }

    /// Wakes the shard if it sleeps in `io_uring_enter`, so that it looks at what changed
    /// (its mailbox, or for an attached shard the sockets its thread waits on). The caller
    /// made the change visible before calling.
    pub fn ring_doorbell(&self) {
        fence(Ordering::SeqCst);
        if self.0.asleep.load(Ordering::Relaxed) && self.0.asleep.swap(false, Ordering::AcqRel) {
            let one: u64 = 1;
            // SAFETY: writing 8 bytes from a live u64 to our eventfd.
            let _ = unsafe {
                libc::write(
                    self.0.doorbell.as_raw_fd(),
                    (&one as *const u64).cast(),
                    std::mem::size_of::<u64>(),
                )
            };
        }
    }

    /// Runs `f` on the shard thread.
    pub fn run(&self, f: impl FnOnce(&mut ShardCx<'_>) + Send + 'static) {
        self.post(ShardCommand::Run(Box::new(f)));
    }

    /// Asks the shard to call [`Task::on_wake`] on `task`.
    pub fn wake(&self, task: TaskId) {
        self.post(ShardCommand::Wake(task));
    }
}

/// Owns a running shard thread. Dropping it stops the shard at once and joins the thread;
/// use [`stop`](Self::stop) and [`join`](Self::join) for a graceful end.
#[derive(Debug)]
pub struct ShardHandle {
    shard: ShardRef,
    thread: Option<JoinHandle<()>>,
}

impl ShardHandle {
    /// Starts a shard thread. Returns once its ring is built, or with the reason it could not be.
    pub fn spawn(config: ShardConfig) -> io::Result<Self> {
        let shard = ShardRef::new(config.index)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let for_thread = shard.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ringmq-shard-{}", config.index))
            .spawn(move || {
                if let Some(core) = config.core {
                    core_affinity::set_for_current(core_affinity::CoreId { id: core });
                }
                match ShardLoop::new(&config, for_thread) {
                    Ok(shard_loop) => {
                        let _ = tx.send(Ok(()));
                        shard_loop.run();
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })?;
        match rx.recv() {
            Ok(Ok(())) => Ok(Self {
                shard,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(io::Error::other("shard thread died during start-up"))
            }
        }
    }

    /// A handle for posting commands.
    pub fn shard(&self) -> &ShardRef {
        &self.shard
    }

    /// Asks the shard to stop once its tasks have finished, forcing them at `force_at`.
    pub fn stop(&self, force_at: Option<Instant>) {
        self.shard.post(ShardCommand::Stop { force_at });
    }

    /// Waits for the shard thread to end.
    pub fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ShardHandle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop(Some(Instant::now()));
            self.join();
        }
    }
}

struct TaskSlot {
    generation: u32,
    task: Option<Box<dyn Task>>,
    occupied: bool,
    inflight: u32,
    deferred: bool,
}

#[derive(Default)]
struct TaskTable {
    slots: Vec<TaskSlot>,
    free: Vec<u32>,
    live: usize,
}

impl TaskTable {
    fn reserve(&mut self) -> TaskId {
        self.live += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.occupied = true;
            return TaskId {
                index,
                generation: slot.generation,
            };
        }
        assert!(
            self.slots.len() < MAX_TASKS,
            "a shard holds at most {MAX_TASKS} tasks"
        );
        self.slots.push(TaskSlot {
            generation: 0,
            task: None,
            occupied: true,
            inflight: 0,
            deferred: false,
        });
        TaskId {
            index: (self.slots.len() - 1) as u32,
            generation: 0,
        }
    }

    fn slot(&mut self, id: TaskId) -> Option<&mut TaskSlot> {
        self.slots
            .get_mut(id.index as usize)
            .filter(|s| s.occupied && s.generation == id.generation)
    }

    fn slot_by_user_data(&mut self, index: u32, generation16: u16) -> Option<TaskId> {
        let slot = self.slots.get(index as usize)?;
        (slot.occupied && (slot.generation & 0xffff) as u16 == generation16).then_some(TaskId {
            index,
            generation: slot.generation,
        })
    }

    /// Takes the task out of its slot to run it; `None` if absent or already running.
    fn take(&mut self, id: TaskId) -> Option<Box<dyn Task>> {
        let slot = self.slot(id)?;
        slot.task.take()
    }

    /// Puts a task back after running it, or frees it if it is done and nothing is in flight.
    fn put_back(&mut self, id: TaskId, task: Box<dyn Task>) {
        let Some(slot) = self.slot(id) else {
            return;
        };
        if task.is_done() && slot.inflight == 0 {
            slot.occupied = false;
            slot.deferred = false;
            slot.generation = slot.generation.wrapping_add(1);
            self.free.push(id.index);
            self.live -= 1;
            drop(task);
        } else {
            slot.task = Some(task);
        }
    }

    /// Operations in flight over all tasks.
    fn in_flight(&self) -> u64 {
        self.slots
            .iter()
            .filter(|s| s.occupied)
            .map(|s| u64::from(s.inflight))
            .sum()
    }

    fn ids(&self) -> Vec<TaskId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.occupied)
            .map(|(i, s)| TaskId {
                index: i as u32,
                generation: s.generation,
            })
            .collect()
    }
}

struct ShardCore {
    // Field order matters: the ring is dropped before the buffers its operations point into.
    ring: IoUring,
    bufs: BufRing,
    doorbell_buf: Box<u64>,
    features: RingFeatures,
    timers: TimerQueue,
    now: Instant,
    deferred: Vec<TaskId>,
    extensions: HashMap<TypeId, Box<dyn Any>>,
    shard: ShardRef,
    stopping: bool,
    force_at: Option<Instant>,
    forced: bool,
    doorbell_armed: bool,
    /// The loop is being torn down: completions still reach their tasks, but nothing new is
    /// submitted.
    tearing_down: bool,
}

impl ShardCore {
    fn push_sqe(&mut self, entry: &squeue::Entry) {
        loop {
            // SAFETY: the caller of `ShardCx::submit` guarantees the entry's buffers stay
            // valid until completion; the doorbell entry points into `doorbell_buf`, which
            // lives as long as the ring.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return;
            }
            // Queue full: hand what we have to the kernel and retry.
            if let Err(e) = self.ring.submit() {
                if e.raw_os_error() != Some(libc::EBUSY) && e.raw_os_error() != Some(libc::EINTR) {
                    panic!("io_uring submit failed: {e}");
                }
            }
        }
    }

    fn arm_doorbell(&mut self) {
        let entry = opcode::Read::new(
            types::Fd(self.shard.0.doorbell.as_raw_fd()),
            (&mut *self.doorbell_buf as *mut u64).cast(),
            8,
        )
        .build()
        .user_data(DOORBELL);
        self.push_sqe(&entry);
        self.doorbell_armed = true;
    }
}

/// The shard as a task sees it while one of its callbacks runs.
pub struct ShardCx<'a> {
    core: &'a mut ShardCore,
    tasks: &'a mut TaskTable,
}

impl std::fmt::Debug for ShardCx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShardCx({})", self.core.shard.index())
    }
}

impl ShardCx<'_> {
    /// The time at the start of this loop turn.
    pub fn now(&self) -> Instant {
        self.core.now
    }

    /// What the ring supports.
    pub fn features(&self) -> RingFeatures {
        self.core.features
    }

    /// A handle to this shard, to give to other threads.
    pub fn shard(&self) -> &ShardRef {
        &self.core.shard
    }

    /// Queues an io_uring operation on behalf of `task`; its completion(s) go to that task's
    /// [`Task::on_completion`] with `tag`. The entry is handed to the kernel by the end of the
    /// loop turn at the latest.
    ///
    /// # Safety
    ///
    /// Every buffer, address or structure the entry points to must stay valid and unmoved
    /// until the operation's final completion (for a zero-copy send: until its notification).
    /// Tasks meet this by owning those buffers: a task is dropped only when none of its
    /// operations is in flight.
    pub unsafe fn submit(&mut self, task: TaskId, tag: OpTag, entry: squeue::Entry) {
        if self.core.tearing_down {
            // Nothing new starts while the loop waits for what is in flight; the task goes
            // with the loop.
            return;
        }
        let Some(slot) = self.tasks.slot(task) else {
            panic!("submit for a task that does not exist: {task:?}");
        };
        slot.inflight += 1;
        self.core.push_sqe(&entry.user_data(task.user_data(tag)));
    }

    /// Asks the kernel to cancel `task`'s operation(s) submitted with `target_tag`; the
    /// cancellation's own completion goes to `task` with `cancel_tag`, and each cancelled
    /// operation completes with `-ECANCELED` as usual.
    pub fn cancel(&mut self, task: TaskId, target_tag: OpTag, cancel_tag: OpTag) {
        let entry =
            opcode::AsyncCancel2::new(types::CancelBuilder::user_data(task.user_data(target_tag)).all())
                .build();
        // SAFETY: a cancellation references no memory of ours.
        unsafe { self.submit(task, cancel_tag, entry) };
    }

    /// Asks the kernel to cancel every operation in flight on `fd` (any task's); the
    /// cancellation's own completion goes to `task` with `cancel_tag`.
    pub fn cancel_fd(&mut self, task: TaskId, fd: std::os::fd::RawFd, cancel_tag: OpTag) {
        let entry = opcode::AsyncCancel2::new(types::CancelBuilder::fd(types::Fd(fd)).all()).build();
        // SAFETY: a cancellation references no memory of ours.
        unsafe { self.submit(task, cancel_tag, entry) };
    }

    /// Calls `task`'s [`Task::on_timer`] with `tag` at or after `at`.
    pub fn set_timer(&mut self, task: TaskId, at: Instant, tag: u64) {
        self.core.timers.schedule(at, task, tag);
    }

    /// Calls `task`'s [`Task::on_deferred`] once at the end of this loop turn.
    pub fn defer(&mut self, task: TaskId) {
        if let Some(slot) = self.tasks.slot(task) {
            if !slot.deferred {
                slot.deferred = true;
                self.core.deferred.push(task);
            }
        }
    }

    /// Adds a task built by `make`, which is given the new task's id.
    pub fn spawn_with(&mut self, make: impl FnOnce(TaskId) -> Box<dyn Task>) -> TaskId {
        let id = self.tasks.reserve();
        let task = make(id);
        let slot = self.tasks.slot(id).expect("just reserved");
        slot.task = Some(task);
        id
    }

    /// Runs `f` on the task `id` if it exists, is of type `T` and is not running right now
    /// (a task cannot reach itself this way; it already has `&mut self`).
    pub fn with_task<T: Task, R>(
        &mut self,
        id: TaskId,
        f: impl FnOnce(&mut T, &mut ShardCx<'_>) -> R,
    ) -> Option<R> {
        let mut task = self.tasks.take(id)?;
        // A panic must not drop the task while its operations are in flight: it goes back
        // to its slot first, and the loop's teardown waits for them.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            task.as_any_mut()
                .downcast_mut::<T>()
                .map(|concrete| f(concrete, &mut *self))
        }));
        self.tasks.put_back(id, task);
        outcome.unwrap_or_else(|panic| resume_unwind(panic))
    }

    /// `true` if `id` names a live task.
    pub fn task_exists(&mut self, id: TaskId) -> bool {
        self.tasks.slot(id).is_some()
    }

    /// The shard's provided receive buffers.
    pub fn buffers(&mut self) -> &mut BufRing {
        &mut self.core.bufs
    }

    /// A receive on `fd` into the shard's provided buffers: multishot where the kernel has
    /// it, else a single-shot one the caller re-arms. Each completion names its buffer,
    /// which the caller hands back with [`BufRing::recycle`]. The entry points only into
    /// the buffer ring, which outlives every task, so submitting it is always sound.
    pub fn provided_buffer_recv(&mut self, fd: std::os::fd::RawFd) -> io_uring::squeue::Entry {
        let multishot = self.features().multishot_recv;
        self.provided_buffer_recv_with(fd, multishot)
    }

    /// A single-shot receive on `fd` into one of the shard's provided buffers (see
    /// [`provided_buffer_recv`](Self::provided_buffer_recv)): for a reader that wants one
    /// chunk and then to decide how to go on.
    pub fn provided_buffer_recv_once(&mut self, fd: std::os::fd::RawFd) -> io_uring::squeue::Entry {
        self.provided_buffer_recv_with(fd, false)
    }

    fn provided_buffer_recv_with(
        &mut self,
        fd: std::os::fd::RawFd,
        multishot: bool,
    ) -> io_uring::squeue::Entry {
        let group = self.core.bufs.group();
        let fd = io_uring::types::Fd(fd);
        if multishot {
            io_uring::opcode::RecvMulti::new(fd, group).build()
        } else {
            io_uring::opcode::Recv::new(fd, std::ptr::null_mut(), self.core.bufs.buffer_size())
                .buf_group(group)
                .build()
                .flags(io_uring::squeue::Flags::BUFFER_SELECT)
        }
    }

    /// Per-shard state of type `E` that upper layers keep here (created on first use).
    pub fn extension<E: Default + 'static>(&mut self) -> &mut E {
        self.core
            .extensions
            .entry(TypeId::of::<E>())
            .or_insert_with(|| Box::new(E::default()))
            .downcast_mut::<E>()
            .expect("extension type matches its TypeId")
    }
}

/// The loop: its ring and buffers (`core`) and the tasks whose operations point into their
/// own buffers. Both are dropped only by [`ShardLoop`]'s `Drop`, after every operation in
/// flight has completed (or never, if some cannot be made to: leaked memory is safe,
/// memory freed under the kernel's feet is not).
pub(crate) struct ShardLoop {
    core: ManuallyDrop<ShardCore>,
    tasks: ManuallyDrop<TaskTable>,
    inbox: VecDeque<ShardCommand>,
    cqes: Vec<(u64, i32, u32)>,
}

impl ShardLoop {
    /// Builds a loop on the current thread (an attached shard).
    pub(crate) fn on_this_thread(config: &ShardConfig) -> io::Result<Self> {
        Self::new(config, ShardRef::new(config.index)?)
    }

    pub(crate) fn shard(&self) -> &ShardRef {
        &self.core.shard
    }

    /// Runs what is ready, then (unless `ready()` already holds) submits and waits for a
    /// completion, the doorbell, a timer, or `until`; first spinning (submitting and
    /// reaping without blocking) for up to `spin`. `true` once `ready()` holds.
    pub(crate) fn drive(&mut self, until: Option<Instant>, spin: Duration, ready: &dyn Fn() -> bool) -> bool {
        let spin_until = (!spin.is_zero()).then(|| Instant::now() + spin);
        loop {
            self.process_events();
            if ready() {
                return true;
            }
            let now = self.core.now;
            if until.is_some_and(|at| at <= now) {
                return false;
            }
            if spin_until.is_some_and(|at| at > now) {
                self.enter(0, None);
                continue;
            }
            self.wait(until, ready);
        }
    }

    /// Runs `f` with the shard's context, on the loop's own thread.
    pub(crate) fn run_now<R>(&mut self, f: impl FnOnce(&mut ShardCx<'_>) -> R) -> R {
        f(&mut self.cx())
    }

    /// Runs what is ready without blocking: submits, reaps and dispatches once.
    pub(crate) fn run_ready(&mut self) {
        self.process_events();
        self.enter(0, None);
        self.process_events();
    }

    /// Stops like a detached shard: tasks get until `force_at` to finish (lingering
    /// connections sending what is queued), then the ring is torn down.
    pub(crate) fn finish(self, force_at: Option<Instant>) {
        self.core.shard.post(ShardCommand::Stop { force_at });
        self.run();
    }

    fn new(config: &ShardConfig, shard: ShardRef) -> io::Result<Self> {
        let (ring, features) = ring::build(config.ring_entries, config.setup)?;
        let bufs = BufRing::register(
            &ring.submitter(),
            RECV_BUFFER_GROUP,
            config.recv_buffers,
            config.recv_buffer_size,
        )?;
        let _ = shard.0.features.set(features);
        let mut core = ShardCore {
            ring,
            bufs,
            doorbell_buf: Box::new(0),
            features,
            timers: TimerQueue::default(),
            now: Instant::now(),
            deferred: Vec::new(),
            extensions: HashMap::new(),
            shard,
            stopping: false,
            force_at: None,
            forced: false,
            doorbell_armed: false,
            tearing_down: false,
        };
        core.arm_doorbell();
        Ok(Self {
            core: ManuallyDrop::new(core),
            tasks: ManuallyDrop::new(TaskTable::default()),
            inbox: VecDeque::new(),
            cqes: Vec::with_capacity(256),
        })
    }

    fn run(mut self) {
        loop {
            self.process_events();
            if self.core.stopping && self.tasks.live == 0 {
                break;
            }
            self.wait(None, &|| false);
        }
        self.shutdown();
    }

    fn process_events(&mut self) {
        self.core.now = Instant::now();
        self.reap_completions();
        self.fire_timers();
        self.drain_mailbox();
        self.enforce_stop_deadline();
        self.run_deferred();
    }

    fn cx(&mut self) -> ShardCx<'_> {
        ShardCx {
            core: &mut self.core,
            tasks: &mut self.tasks,
        }
    }

    fn dispatch(&mut self, id: TaskId, f: impl FnOnce(&mut dyn Task, &mut ShardCx<'_>, TaskId)) {
        let Some(mut task) = self.tasks.take(id) else {
            return;
        };
        // A panicking task goes back to its slot before the panic goes on, so that its
        // buffers outlive its operations (the teardown waits for them).
        let outcome = catch_unwind(AssertUnwindSafe(|| f(&mut *task, &mut self.cx(), id)));
        self.tasks.put_back(id, task);
        if let Err(panic) = outcome {
            // While tearing down, a task that panics again is only waited for.
            if !self.core.tearing_down {
                resume_unwind(panic);
            }
        }
    }

    fn reap_completions(&mut self) {
        loop {
            self.cqes.clear();
            self.cqes.extend(
                self.core
                    .ring
                    .completion()
                    .map(|c| (c.user_data(), c.result(), c.flags())),
            );
            if self.cqes.is_empty() {
                return;
            }
            let batch = std::mem::take(&mut self.cqes);
            for &(user_data, result, flags) in &batch {
                self.complete(user_data, result, flags);
            }
            self.cqes = batch;
        }
    }

    fn complete(&mut self, user_data: u64, result: i32, flags: u32) {
        match user_data {
            DOORBELL => {
                self.core.doorbell_armed = false;
                if result != -libc::ECANCELED && !self.core.tearing_down {
                    self.core.arm_doorbell();
                }
            }
            DOORBELL_CANCEL | TEARDOWN_CANCEL => {}
            _ => {
                let (index, generation, tag) = TaskId::split_user_data(user_data);
                let Some(id) = self.tasks.slot_by_user_data(index, generation) else {
                    return;
                };
                let completion = Completion { tag, result, flags };
                if !completion.more() {
                    if let Some(slot) = self.tasks.slot(id) {
                        slot.inflight = slot.inflight.saturating_sub(1);
                    }
                }
                self.dispatch(id, |task, cx, me| task.on_completion(cx, me, completion));
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = self.core.now;
        while let Some((id, tag)) = self.core.timers.pop_due(now) {
            self.dispatch(id, |task, cx, me| task.on_timer(cx, me, tag));
        }
    }

    fn drain_mailbox(&mut self) {
        self.core.shard.0.mailbox.drain_into(&mut self.inbox);
        while let Some(command) = self.inbox.pop_front() {
            match command {
                ShardCommand::Run(f) => f(&mut self.cx()),
                ShardCommand::Wake(id) => {
                    self.dispatch(id, |task, cx, me| task.on_wake(cx, me));
                }
                ShardCommand::Stop { force_at } => {
                    self.core.stopping = true;
                    self.core.force_at = earliest(self.core.force_at, force_at);
                }
            }
        }
    }

    fn enforce_stop_deadline(&mut self) {
        let due = matches!(self.core.force_at, Some(at) if at <= self.core.now);
        if !self.core.stopping || self.core.forced || !due {
            return;
        }
        self.core.forced = true;
        for id in self.tasks.ids() {
            self.dispatch(id, |task, cx, me| task.on_shard_stop(cx, me));
        }
    }

    fn run_deferred(&mut self) {
        let batch = std::mem::take(&mut self.core.deferred);
        for &id in &batch {
            if let Some(slot) = self.tasks.slot(id) {
                slot.deferred = false;
            } else {
                continue;
            }
            self.dispatch(id, |task, cx, me| task.on_deferred(cx, me));
        }
        if self.core.deferred.is_empty() {
            let mut batch = batch;
            batch.clear();
            self.core.deferred = batch;
        }
    }

    /// Submits queued operations and waits for something to do: a completion, the doorbell
    /// (a command posted by another thread), the next timer, or the stop deadline.
    /// `until` and `ready` are an attached thread's: its own deadline, and what it waits
    /// for besides the shard's work (a socket event, announced through the doorbell).
    fn wait(&mut self, until: Option<Instant>, ready: &dyn Fn() -> bool) {
        let shared = self.core.shard.0.clone();
        let must_not_block = !self.core.deferred.is_empty() || !self.core.ring.completion().is_empty();
        if must_not_block {
            self.enter(0, None);
            return;
        }
        shared.asleep.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if shared.mailbox.has_pending() || ready() {
            shared.asleep.store(false, Ordering::Relaxed);
            self.enter(0, None);
            return;
        }
        let mut deadline = earliest(self.core.timers.next_deadline(), until);
        if self.core.stopping && !self.core.forced {
            deadline = earliest(deadline, self.core.force_at);
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match timeout {
            Some(t) if t.is_zero() => self.enter(0, None),
            _ => self.enter(1, timeout),
        }
        shared.asleep.store(false, Ordering::Relaxed);
    }

    /// One `io_uring_enter`: submit everything queued, reap completions (GETEVENTS, which
    /// DEFER_TASKRUN needs to run deferred work) and wait for `want` of them or `timeout`.
    fn enter(&mut self, want: usize, timeout: Option<Duration>) {
        let result = match timeout {
            Some(t) => {
                let ts = types::Timespec::from(t);
                let args = types::SubmitArgs::new().timespec(&ts);
                self.core.ring.submitter().submit_with_args(want, &args)
            }
            None if want == 0 => {
                let queued = self.core.ring.submission().len() as u32;
                // SAFETY: a plain enter with no argument structure; GETEVENTS (1) without a
                // minimum count never blocks.
                unsafe {
                    self.core.ring.submitter().enter::<libc::sigset_t>(
                        queued,
                        0,
                        IORING_ENTER_GETEVENTS,
                        None,
                    )
                }
            }
            None => self.core.ring.submitter().submit_and_wait(want),
        };
        if let Err(e) = result {
            match e.raw_os_error() {
                Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY) | Some(libc::EAGAIN) => {}
                _ => panic!("io_uring_enter failed: {e}"),
            }
        }
    }

    fn shutdown(&mut self) {
        if self.core.doorbell_armed {
            let cancel = opcode::AsyncCancel::new(DOORBELL)
                .build()
                .user_data(DOORBELL_CANCEL);
            self.core.push_sqe(&cancel);
            let give_up = Instant::now() + Duration::from_secs(1);
            while self.core.doorbell_armed && Instant::now() < give_up {
                self.enter(1, Some(Duration::from_millis(50)));
                let core = &mut *self.core;
                for cqe in core.ring.completion() {
                    if cqe.user_data() == DOORBELL {
                        core.doorbell_armed = false;
                    }
                }
            }
        }
    }
}

impl ShardLoop {
    /// Cancels every operation in flight and waits (at most [`TEARDOWN_WAIT`]) for their
    /// completions, which still reach their tasks. `true` once none is left.
    fn drain_for_teardown(&mut self) -> bool {
        self.core.tearing_down = true;
        let outstanding = |l: &Self| l.tasks.in_flight() + u64::from(l.core.doorbell_armed);
        if outstanding(self) == 0 {
            return true;
        }
        let cancel_all = opcode::AsyncCancel2::new(types::CancelBuilder::any())
            .build()
            .user_data(TEARDOWN_CANCEL);
        self.core.push_sqe(&cancel_all);
        let give_up = Instant::now() + TEARDOWN_WAIT;
        while outstanding(self) > 0 {
            let now = Instant::now();
            if now >= give_up {
                return false;
            }
            self.enter(1, Some((give_up - now).min(Duration::from_millis(50))));
            self.core.now = Instant::now();
            self.reap_completions();
        }
        true
    }
}

impl Drop for ShardLoop {
    /// A loop may end without [`finish`](ShardLoop::finish) or its thread's normal exit (a
    /// panic, a thread that leaves with an attached shard still entered): operations may
    /// then be in flight on buffers its tasks and its buffer ring own. They are cancelled
    /// and waited for before anything is freed; if some never complete, the ring, its
    /// buffers and the tasks are leaked instead.
    fn drop(&mut self) {
        if self.drain_for_teardown() {
            // SAFETY: nothing is in flight any more, and neither field is used after this.
            unsafe {
                ManuallyDrop::drop(&mut self.tasks);
                ManuallyDrop::drop(&mut self.core);
            }
        }
    }
}

/// The earlier of two optional deadlines (`None` = never).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::mpsc;

    struct Counter {
        wakes: u32,
        timers: Vec<u64>,
        report: mpsc::Sender<String>,
        done: bool,
    }

    impl Task for Counter {
        fn on_completion(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId, c: Completion) {
            let _ = self.report.send(format!("nop {} {}", c.tag, c.result));
        }
        fn on_timer(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId, tag: u64) {
            self.timers.push(tag);
            let _ = self.report.send(format!("timer {tag}"));
        }
        fn on_wake(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId) {
            self.wakes += 1;
            let _ = self.report.send(format!("wake {}", self.wakes));
            if self.wakes == 2 {
                self.done = true;
            }
        }
        fn is_done(&self) -> bool {
            self.done
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            self
        }
    }

    fn next(rx: &mpsc::Receiver<String>) -> String {
        rx.recv_timeout(Duration::from_secs(5)).expect("shard event")
    }

    fn run_scenario(setup: RingSetup) {
        let shard = ShardHandle::spawn(ShardConfig {
            setup,
            recv_buffers: 8,
            recv_buffer_size: 4096,
            ..ShardConfig::default()
        })
        .expect("shard starts");
        let (tx, rx) = mpsc::channel();
        let (id_tx, id_rx) = mpsc::channel();
        shard.shard().run(move |cx| {
            let id = cx.spawn_with(|_| {
                Box::new(Counter {
                    wakes: 0,
                    timers: Vec::new(),
                    report: tx,
                    done: false,
                })
            });
            // SAFETY: a NOP references no memory.
            unsafe { cx.submit(id, 7, opcode::Nop::new().build()) };
            let now = cx.now();
            cx.set_timer(id, now + Duration::from_millis(30), 2);
            cx.set_timer(id, now + Duration::from_millis(10), 1);
            id_tx.send(id).unwrap();
        });
        let id = id_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(next(&rx), "nop 7 0");
        assert_eq!(next(&rx), "timer 1");
        assert_eq!(next(&rx), "timer 2");
        // The shard is asleep now; a wake-up must reach it through the doorbell.
        std::thread::sleep(Duration::from_millis(20));
        shard.shard().wake(id);
        assert_eq!(next(&rx), "wake 1");
        shard.shard().wake(id);
        assert_eq!(next(&rx), "wake 2");
        let mut shard = shard;
        shard.stop(None);
        shard.join();
    }

    #[test]
    fn completions_timers_and_wake_ups_reach_their_task_with_the_best_ring() {
        run_scenario(RingSetup::Best);
    }

    #[test]
    fn the_plain_ring_fall_back_behaves_the_same() {
        run_scenario(RingSetup::Plain);
    }

    /// A task with a receive in flight into a buffer it owns; it writes what happens to it
    /// into `log`.
    struct PendingRecv {
        fd: OwnedFd,
        buf: Box<[u8; 64]>,
        log: Arc<std::sync::Mutex<Vec<String>>>,
        panic_on_wake: bool,
    }

    impl Task for PendingRecv {
        fn on_completion(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId, c: Completion) {
            self.log.lock().unwrap().push(format!("completed {}", c.result));
        }
        fn on_wake(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId) {
            assert!(!self.panic_on_wake, "a task panics with its receive in flight");
        }
        fn is_done(&self) -> bool {
            false
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            self
        }
    }

    impl Drop for PendingRecv {
        fn drop(&mut self) {
            self.log.lock().unwrap().push("dropped".into());
        }
    }

    fn loop_with_pending_recv(
        panic_on_wake: bool,
    ) -> (ShardLoop, OwnedFd, TaskId, Arc<std::sync::Mutex<Vec<String>>>) {
        let mut fds = [0; 2];
        // SAFETY: socketpair fills two descriptors we then own.
        let made = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) };
        assert_eq!(made, 0);
        // SAFETY: fresh descriptors from socketpair.
        let (ours, theirs) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mut shard_loop = ShardLoop::on_this_thread(&ShardConfig {
            recv_buffers: 8,
            recv_buffer_size: 4096,
            ..ShardConfig::default()
        })
        .unwrap();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let task_log = log.clone();
        let mut cx = shard_loop.cx();
        let id = cx.spawn_with(|_| {
            Box::new(PendingRecv {
                fd: ours,
                buf: Box::new([0; 64]),
                log: task_log,
                panic_on_wake,
            })
        });
        cx.with_task::<PendingRecv, _>(id, |t, cx| {
            let entry = opcode::Recv::new(types::Fd(t.fd.as_raw_fd()), t.buf.as_mut_ptr(), 64).build();
            // SAFETY: the buffer is boxed in the task, which the shard keeps until the
            // receive completes: what this test checks.
            unsafe { cx.submit(id, 1, entry) };
        });
        shard_loop.run_ready();
        assert!(
            log.lock().unwrap().is_empty(),
            "nothing was sent: the receive waits"
        );
        (shard_loop, theirs, id, log)
    }

    #[test]
    fn a_loop_dropped_with_a_receive_in_flight_waits_for_it_before_freeing_the_task() {
        let (shard_loop, _peer, _id, log) = loop_with_pending_recv(false);
        drop(shard_loop);
        assert_eq!(
            *log.lock().unwrap(),
            [format!("completed {}", -libc::ECANCELED), "dropped".to_string()]
        );
    }

    #[test]
    fn a_task_that_panics_is_kept_until_its_operations_complete() {
        let (mut shard_loop, _peer, id, log) = loop_with_pending_recv(true);
        shard_loop.core.shard.wake(id);
        let unwound = std::panic::catch_unwind(AssertUnwindSafe(move || {
            shard_loop.run_ready();
        }));
        assert!(unwound.is_err(), "the task's panic goes on");
        assert_eq!(
            *log.lock().unwrap(),
            [format!("completed {}", -libc::ECANCELED), "dropped".to_string()]
        );
    }
}
