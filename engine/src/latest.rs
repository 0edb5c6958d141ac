//! A single-producer single-consumer slot that keeps only the newest whole message: the
//! conflating counterpart of [`spsc`](crate::spsc), for sockets with CONFLATE.
//!
//! The writer collects a message's frames privately and, when the message is complete,
//! swaps it into the slot, dropping the message it replaces if the reader never took it. The
//! reader swaps the slot empty to take the newest message whole. There is no high-water mark:
//! memory is one message, whatever the rates.
//!
//! Wake-ups follow the queue's rule: a reader that finds the slot empty marks it "asleep"
//! with a compare-and-swap (so a message arriving meanwhile makes the mark fail), and the
//! writer learns from the value its swap replaced that the reader sleeps and must be woken.
//! The mark is a tagged null pointer (boxed messages are at least 8-aligned, so `1` is never
//! a message).

use std::collections::VecDeque;
use std::ptr;

use crate::spsc::Frame;
use crate::sync::{Arc, AtomicPtr, Ordering};

/// A message: its frames in order.
type Message<T> = Vec<T>;

/// The "reader sleeps" mark stored in the slot in place of a message.
fn asleep_mark<T>() -> *mut Message<T> {
    ptr::without_provenance_mut(1)
}

struct Shared<T> {
    slot: AtomicPtr<Message<T>>,
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        let p = self.slot.swap(ptr::null_mut(), Ordering::Acquire);
        if !p.is_null() && p != asleep_mark() {
            // SAFETY: a non-null, non-mark pointer in the slot came from `Box::into_raw` in
            // `Writer::flush` and nobody else owns it once both ends are gone.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

/// Creates a slot: its writing and reading ends.
pub fn channel<T: Frame>() -> (Writer<T>, Reader<T>) {
    let shared = Arc::new(Shared {
        slot: AtomicPtr::new(ptr::null_mut()),
    });
    (
        Writer {
            shared: shared.clone(),
            pending: Vec::new(),
        },
        Reader {
            shared,
            current: VecDeque::new(),
        },
    )
}

/// The writing end.
pub struct Writer<T> {
    shared: Arc<Shared<T>>,
    /// Frames of the message being written; `complete` once its last frame is in.
    pending: Message<T>,
}

impl<T> std::fmt::Debug for Writer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("latest::Writer")
            .field("pending_frames", &self.pending.len())
            .finish()
    }
}

impl<T: Frame> Writer<T> {
    fn message_complete(&self) -> bool {
        self.pending.last().is_some_and(|f| !f.has_more())
    }

    /// `true` while the frames written so far end in the middle of a message.
    pub fn in_message(&self) -> bool {
        !self.pending.is_empty() && !self.message_complete()
    }

    /// Writes one frame; it becomes visible with its whole message at [`flush`](Self::flush).
    pub fn write(&mut self, frame: T) {
        if self.message_complete() {
            // A complete message not flushed yet is replaced by the newer one.
            self.pending.clear();
        }
        self.pending.push(frame);
    }

    /// Discards the frames of an unfinished message.
    pub fn rollback(&mut self) {
        if !self.message_complete() {
            self.pending.clear();
        }
    }

    /// Publishes the last complete message, replacing the one the reader has not taken.
    /// Returns `true` if the reader was asleep, in which case the caller owes it a wake-up.
    pub fn flush(&mut self) -> bool {
        if !self.message_complete() {
            return false;
        }
        let message = Box::into_raw(Box::new(std::mem::take(&mut self.pending)));
        let old = self.shared.slot.swap(message, Ordering::AcqRel);
        if old == asleep_mark() {
            return true;
        }
        if !old.is_null() {
            // SAFETY: `old` was published by an earlier flush and the reader never took it:
            // the swap just made this writer its only owner.
            drop(unsafe { Box::from_raw(old) });
        }
        false
    }
}

/// The reading end.
pub struct Reader<T> {
    shared: Arc<Shared<T>>,
    /// The rest of the message being read.
    current: VecDeque<T>,
}

impl<T> std::fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("latest::Reader")
            .field("current_frames", &self.current.len())
            .finish()
    }
}

impl<T: Frame> Reader<T> {
    /// Takes the next frame: the rest of the message being read, else the first frame of the
    /// newest published message.
    pub fn read(&mut self) -> Option<T> {
        if let Some(frame) = self.current.pop_front() {
            return Some(frame);
        }
        let p = self.shared.slot.load(Ordering::Acquire);
        if p.is_null() || p == asleep_mark() {
            return None;
        }
        let taken = self.shared.slot.swap(ptr::null_mut(), Ordering::AcqRel);
        debug_assert!(
            !taken.is_null() && taken != asleep_mark(),
            "only the reader empties the slot"
        );
        // SAFETY: a message pointer in the slot came from `Box::into_raw` in `Writer::flush`;
        // the swap made the reader its only owner (the writer only replaces what it finds).
        let message = unsafe { Box::from_raw(taken) };
        self.current.extend(*message);
        self.current.pop_front()
    }

    /// `true` if a frame can be read now.
    pub fn has_data(&self) -> bool {
        if !self.current.is_empty() {
            return true;
        }
        let p = self.shared.slot.load(Ordering::Acquire);
        !p.is_null() && p != asleep_mark()
    }

    /// Declares that the reader will wait. Returns `true` if it should now sleep until the
    /// writer wakes it, `false` if a message arrived meanwhile (or frames are left to read).
    pub fn sleep(&mut self) -> bool {
        if !self.current.is_empty() {
            return false;
        }
        self.shared
            .slot
            .compare_exchange(
                ptr::null_mut(),
                asleep_mark(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
            || self.shared.slot.load(Ordering::Acquire) == asleep_mark()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct F(u32, bool);

    impl Frame for F {
        fn has_more(&self) -> bool {
            self.1
        }
    }

    #[test]
    fn keeps_only_the_newest_whole_message() {
        let (mut w, mut r) = channel::<F>();
        assert_eq!(r.read(), None);
        for i in 0..5 {
            w.write(F(i, true));
            w.write(F(i + 100, false));
            assert!(!w.flush(), "the reader is awake");
        }
        assert!(r.has_data());
        assert_eq!(r.read(), Some(F(4, true)));
        // A newer message arriving mid-read does not tear the one being read.
        w.write(F(9, false));
        w.flush();
        assert_eq!(r.read(), Some(F(104, false)));
        assert_eq!(r.read(), Some(F(9, false)));
        assert_eq!(r.read(), None);
    }

    #[test]
    fn unfinished_messages_stay_private_and_roll_back() {
        let (mut w, mut r) = channel::<F>();
        w.write(F(1, true));
        assert!(w.in_message());
        assert!(!w.flush());
        assert!(!r.has_data());
        w.rollback();
        w.write(F(2, false));
        w.flush();
        assert_eq!(r.read(), Some(F(2, false)));
    }

    #[test]
    fn a_sleeping_reader_is_owed_one_wake_up() {
        let (mut w, mut r) = channel::<F>();
        assert!(r.sleep());
        assert!(r.sleep(), "sleeping again is harmless");
        w.write(F(1, false));
        assert!(w.flush(), "the reader slept: wake it");
        w.write(F(2, false));
        assert!(!w.flush(), "already owed");
        assert!(!r.sleep(), "a message is waiting");
        assert_eq!(r.read(), Some(F(2, false)));
    }

    #[test]
    fn unread_messages_are_freed_with_the_slot() {
        let (mut w, r) = channel::<Box<u32>>();
        w.write(Box::new(7));
        w.flush();
        drop((w, r));
    }

    impl Frame for Box<u32> {
        fn has_more(&self) -> bool {
            false
        }
    }
}
