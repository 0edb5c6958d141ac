//! A multi-producer, single-consumer command queue with a cheap emptiness check.
//!
//! Mailboxes carry control traffic (new pipes, activations, bind/connect requests), never
//! message data, so a short mutex-protected section per command is cheap enough; the
//! `pending` flag lets the consumer skip the lock on every loop turn when nothing came.
//! Waking the consumer is up to the owner (a futex parker for sockets, an eventfd for shards).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A command queue with many senders and one receiver.
#[derive(Debug)]
pub struct Mailbox<T> {
    queue: Mutex<Queue<T>>,
    pending: AtomicBool,
}

#[derive(Debug)]
struct Queue<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Mailbox<T> {
    /// An empty mailbox.
    pub fn new() -> Self {
        Self {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                closed: false,
            }),
            pending: AtomicBool::new(false),
        }
    }

    /// Appends a command. The caller then wakes the receiver if it may be asleep. A closed
    /// mailbox hands the command back.
    pub fn push(&self, command: T) -> Result<(), T> {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if q.closed {
            return Err(command);
        }
        q.items.push_back(command);
        self.pending.store(true, Ordering::Release);
        Ok(())
    }

    /// Refuses every later command and returns those still waiting.
    pub fn close(&self) -> VecDeque<T> {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.closed = true;
        self.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut q.items)
    }

    /// `true` if a command may be waiting (cheap; no lock).
    #[inline]
    pub fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Moves every waiting command into `out`, in arrival order.
    pub fn drain_into(&self, out: &mut VecDeque<T>) {
        if !self.has_pending() {
            return;
        }
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        self.pending.store(false, Ordering::Relaxed);
        if out.is_empty() {
            std::mem::swap(out, &mut q.items);
        } else {
            out.extend(q.items.drain(..));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn commands_come_out_in_order() {
        let m = Mailbox::new();
        assert!(!m.has_pending());
        m.push(1).unwrap();
        m.push(2).unwrap();
        assert!(m.has_pending());
        let mut out = VecDeque::new();
        m.drain_into(&mut out);
        assert_eq!(out, [1, 2]);
        assert!(!m.has_pending());
        m.push(3).unwrap();
        m.drain_into(&mut out);
        assert_eq!(out, [1, 2, 3]);
        m.push(4).unwrap();
        assert_eq!(m.close(), [4]);
        assert_eq!(m.push(5), Err(5));
    }
}
