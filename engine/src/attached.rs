//! Attached mode: the calling thread becomes a shard for a while, and the application code
//! it runs drives the shard's ring itself whenever it would otherwise sleep.
//!
//! The loop lives in a thread-local slot, so any code on that thread can drive it given
//! the shard's handle ([`drive`]); on any other thread the same call answers `None` and
//! the caller parks as usual. Nothing here knows what the tasks are: sockets (in
//! `ringmq-sockets`) decide when to drive and what they wait for.

use std::cell::RefCell;
use std::io;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use crate::shard::{ShardConfig, ShardCx, ShardLoop, ShardRef};

thread_local! {
    static CURRENT: RefCell<Option<ShardLoop>> = const { RefCell::new(None) };
}

/// The current thread's shard, while it is one. Not `Send`: the ring belongs to the
/// thread that built it.
#[derive(Debug)]
pub struct AttachedShard {
    shard: ShardRef,
    _this_thread: PhantomData<*const ()>,
}

impl AttachedShard {
    /// Makes the current thread a shard built from `config`. Fails if it already is one.
    pub fn enter(config: &ShardConfig) -> io::Result<Self> {
        if CURRENT.with(|c| c.borrow().is_some()) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "this thread already runs an attached shard",
            ));
        }
        let shard_loop = ShardLoop::on_this_thread(config)?;
        let shard = shard_loop.shard().clone();
        CURRENT.with(|c| *c.borrow_mut() = Some(shard_loop));
        Ok(Self {
            shard,
            _this_thread: PhantomData,
        })
    }

    /// The shard's handle (for tasks, sockets and wake-ups).
    pub fn shard(&self) -> &ShardRef {
        &self.shard
    }

    /// Leaves attached mode: the shard runs until its tasks have finished (lingering
    /// connections deliver what is queued) or `force_at`, then its ring is closed.
    pub fn finish(mut self, force_at: Option<Instant>) {
        self.leave(force_at);
    }

    fn leave(&mut self, force_at: Option<Instant>) {
        if let Some(shard_loop) = CURRENT.with(|c| c.borrow_mut().take()) {
            shard_loop.finish(force_at);
        }
    }
}

impl Drop for AttachedShard {
    /// Leaves attached mode if [`finish`](Self::finish) did not, giving lingering
    /// connections up to five seconds.
    fn drop(&mut self) {
        self.leave(Some(Instant::now() + Duration::from_secs(5)));
    }
}

/// Drives `shard`'s ring from this thread until `ready()` holds (`Some(true)`) or
/// `until` passes (`Some(false)`), spinning without sleeping for up to `spin` first.
/// `None` if this thread does not run `shard`. `ready` must not drive the shard itself.
pub fn drive(
    shard: &ShardRef,
    until: Option<Instant>,
    spin: Duration,
    ready: &dyn Fn() -> bool,
) -> Option<bool> {
    with_loop(shard, |shard_loop| shard_loop.drive(until, spin, ready))
}

/// Runs `f` on `shard`'s context now, if this thread runs `shard` (`None` otherwise).
pub fn run_now<R>(shard: &ShardRef, f: impl FnOnce(&mut ShardCx<'_>) -> R) -> Option<R> {
    with_loop(shard, |shard_loop| shard_loop.run_now(f))
}

/// `true` if this thread runs `shard` now (inside the attached call that made it).
pub fn runs_here(shard: &ShardRef) -> bool {
    with_loop(shard, |_| ()).is_some()
}

/// Runs what `shard` has ready (submissions, completions, commands) without blocking.
/// `false` if this thread does not run `shard`.
pub fn run_ready(shard: &ShardRef) -> bool {
    with_loop(shard, ShardLoop::run_ready).is_some()
}

fn with_loop<R>(shard: &ShardRef, f: impl FnOnce(&mut ShardLoop) -> R) -> Option<R> {
    CURRENT.with(|c| {
        let mut slot = c.try_borrow_mut().ok()?;
        let shard_loop = slot.as_mut().filter(|l| l.shard().same_shard(shard))?;
        Some(f(shard_loop))
    })
}
