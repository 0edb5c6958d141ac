//! The shard engine of ringmq.
//!
//! This crate owns the machinery that moves bytes and wake-ups, and nothing that knows what
//! the bytes mean: it has no notion of ZMTP, socket types or endpoints (those live in
//! `ringmq-transports` and `ringmq-sockets`, which depend on this crate, never the reverse).
//!
//! What it provides:
//! - [`shard`]: a shard is an OS thread, optionally pinned to a core, that owns one io_uring
//!   ring, a provided-buffer ring for multishot receives, a timer queue, and a table of
//!   [`Task`]s that own file descriptors and react to completions, timers and wake-ups.
//! - [`attached`]: attached mode, where the calling thread is a shard and drives its ring
//!   inline whenever it would otherwise sleep.
//! - [`spsc`]: the bounded (by a high-water mark counted in messages) single-producer
//!   single-consumer frame queue that is the only data path between an application thread and
//!   a shard. Each side learns whether the other sleeps, so a wake-up is sent only then.
//! - [`latest`]: the conflating counterpart of the queue (CONFLATE): a slot holding only the
//!   newest whole message.
//! - [`event_count`]: many application threads waiting on one socket (thread-safe sockets);
//!   [`event_fd`]: a wake-up as a file descriptor (poll over descriptors, ZMQ_FD).
//! - [`parker`]: a futex-based parker for application threads, and [`mailbox`]: the
//!   multi-producer command queue each shard and each socket reads its control messages from.
#![warn(missing_docs)]

pub mod attached;
pub mod buf_ring;
pub mod event_count;
pub mod event_fd;
pub mod futex;
pub mod latest;
pub mod mailbox;
pub mod parker;
pub mod ring;
pub mod shard;
pub mod spsc;
mod sync;
pub mod task;
pub mod timers;

pub use shard::{ShardCommand, ShardConfig, ShardCx, ShardHandle, ShardRef};
pub use task::{Task, TaskId};
