//! Tasks: the objects a shard drives. A task owns file descriptors and buffers and reacts to
//! io_uring completions, timers, wake-ups from other threads and end-of-turn polls.

use std::any::Any;

use crate::shard::ShardCx;

/// Identifies a task on its shard. The generation makes an id stale once its slot is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl TaskId {
    /// The id as one integer, for storing in an atomic.
    pub fn to_raw(self) -> u64 {
        (u64::from(self.index) << 32) | u64::from(self.generation)
    }

    /// The inverse of [`to_raw`](Self::to_raw).
    pub fn from_raw(raw: u64) -> Self {
        Self {
            index: (raw >> 32) as u32,
            generation: raw as u32,
        }
    }

    /// Packs the id and an operation tag into an io_uring `user_data` value: the slot index
    /// in the top [`INDEX_BITS`], 16 bits of the slot's generation, then the tag's
    /// [`TAG_BITS`].
    pub(crate) fn user_data(self, tag: OpTag) -> u64 {
        debug_assert!(tag <= MAX_TAG, "operation tags have {TAG_BITS} bits");
        (u64::from(self.index) << (16 + TAG_BITS))
            | (u64::from(self.generation & 0xffff) << TAG_BITS)
            | u64::from(tag & MAX_TAG)
    }

    /// Splits a `user_data` value into slot index, 16-bit generation and tag.
    pub(crate) fn split_user_data(user_data: u64) -> (u32, u16, OpTag) {
        (
            (user_data >> (16 + TAG_BITS)) as u32,
            (user_data >> TAG_BITS) as u16,
            user_data as u32 & MAX_TAG,
        )
    }
}

/// What a task tags its operations with, to tell their completions apart: any value up to
/// [`MAX_TAG`].
pub type OpTag = u32;

/// Bits of an operation tag in `user_data`.
pub const TAG_BITS: u32 = 24;
/// The largest operation tag.
pub const MAX_TAG: OpTag = (1 << TAG_BITS) - 1;
/// Bits of a task's slot index in `user_data`: a shard holds fewer than 2^24 tasks (each
/// owns at least one descriptor, and a process has at most 2^20 by default).
pub(crate) const INDEX_BITS: u32 = 64 - 16 - TAG_BITS;

/// One io_uring completion delivered to a task.
#[derive(Clone, Copy, Debug)]
pub struct Completion {
    /// The operation tag given at submission.
    pub tag: OpTag,
    /// The kernel's result: a byte count or file descriptor, or a negated errno.
    pub result: i32,
    /// The CQE flags (buffer id, `MORE`, `NOTIF`, …).
    pub flags: u32,
}

impl Completion {
    /// `true` if more completions will follow for the same submission (multishot, or the
    /// notification of a zero-copy send).
    pub fn more(&self) -> bool {
        io_uring::cqueue::more(self.flags)
    }

    /// The provided buffer id the kernel filled, if any.
    pub fn buffer_id(&self) -> Option<u16> {
        io_uring::cqueue::buffer_select(self.flags)
    }

    /// `true` for the notification that a zero-copy send no longer uses its buffer.
    pub fn is_notification(&self) -> bool {
        io_uring::cqueue::notif(self.flags)
    }
}

/// Something a shard drives. All methods run on the shard's thread; `me` is the task's own id.
///
/// A task is dropped once [`is_done`](Task::is_done) returns `true` and none of the operations
/// it submitted is still in flight, so buffers a task owns outlive every operation using them.
pub trait Task: Any {
    /// An operation this task submitted completed.
    fn on_completion(&mut self, cx: &mut ShardCx<'_>, me: TaskId, completion: Completion);

    /// A timer this task set with [`ShardCx::set_timer`] fired. Tasks ignore stale tags.
    fn on_timer(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId, _tag: u64) {}

    /// Another thread sent [`ShardCommand::Wake`](crate::ShardCommand::Wake) for this task.
    fn on_wake(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId) {}

    /// The task asked with [`ShardCx::defer`] to be polled once at the end of the loop turn.
    fn on_deferred(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId) {}

    /// The shard is stopping and its grace period is over: close everything now.
    fn on_shard_stop(&mut self, _cx: &mut ShardCx<'_>, _me: TaskId) {}

    /// `true` once the task has nothing more to do (its operations may still be draining).
    fn is_done(&self) -> bool;

    /// The task as `Any`, so code holding its id can reach its concrete type.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}
