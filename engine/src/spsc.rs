//! The single-producer single-consumer frame queue between an application thread and a shard.
//!
//! One queue carries the frames of one pipe in one direction. It is bounded like a libzmq pipe:
//! the high-water mark counts whole messages, a message whose first frame was admitted is always
//! accepted to its last frame, and `0` means no limit. Storage is a linked list of fixed-size
//! chunks; the reader hands each chunk it finishes back to the writer (one spare is kept), so a
//! steady stream allocates nothing.
//!
//! Atomicity: the writer writes frames privately and [`Writer::flush`] makes visible only whole
//! messages; [`Writer::rollback`] discards the frames of an unfinished message. A reader can
//! therefore never observe a torn multipart message.
//!
//! Wake-ups follow libzmq's `ypipe` rule: the side that finds nothing to do (an empty queue for
//! the reader, a full one for the writer) marks itself asleep, and the other side learns from
//! the return value of [`Writer::flush`] or [`Reader::release`] that it must send a wake-up. A
//! busy stream therefore costs no wake-up, and no syscall, per message. How the wake-up is
//! delivered (a shard mailbox, a futex) is the caller's business; this module only decides
//! *whether* one is owed. Each sleep flag lives in the low bit of the counter word it waits on
//! (the reader's in the published-frames word, the writer's in the consumed-messages word), so
//! "publish, then check whether the reader sleeps" is one atomic swap, and "go to sleep unless
//! something arrived" is one compare-and-swap on the same word: no fences, no lost wake-ups.
//!
//! Spurious wake-ups are possible (both sides may decide at once that a wake-up is owed) and
//! every caller must tolerate them.

use std::mem::MaybeUninit;
use std::ptr;

use crate::sync::{Arc, AtomicPtr, AtomicUsize, CachePadded, Ordering, UnsafeCell};

/// The sleep bit in a counter word; counts are stored shifted left by one.
const ASLEEP: usize = 1;

/// Items carried by the queue say whether another frame of the same message follows.
pub trait Frame {
    /// `true` if this frame is followed by another frame of the same message.
    fn has_more(&self) -> bool;
}

#[cfg(not(loom))]
const CHUNK_LEN: usize = 128;
#[cfg(loom)]
const CHUNK_LEN: usize = 2;

struct Chunk<T> {
    slots: [UnsafeCell<MaybeUninit<T>>; CHUNK_LEN],
    next: AtomicPtr<Chunk<T>>,
}

impl<T> Chunk<T> {
    fn allocate() -> *mut Chunk<T> {
        Box::into_raw(Box::new(Chunk {
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
            next: AtomicPtr::new(ptr::null_mut()),
        }))
    }
}

/// A position in the chunk list: `idx == CHUNK_LEN` means "at the end of `chunk`", and the
/// next frame goes to (or comes from) `chunk.next`.
struct Cursor<T> {
    chunk: *mut Chunk<T>,
    idx: usize,
}

impl<T> Clone for Cursor<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Cursor<T> {}

impl<T> PartialEq for Cursor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.chunk == other.chunk && self.idx == other.idx
    }
}

struct Shared<T> {
    /// Frames made visible to the reader, shifted left by one; the low bit says the reader
    /// sleeps. The writer swaps in new counts (clearing the bit); the reader only sets the bit,
    /// by compare-and-swap against the count it has read up to.
    published: CachePadded<AtomicUsize>,
    /// Whole messages the reader has taken, shifted left by one; the low bit says the writer
    /// sleeps. The reader adds to the count (keeping the bit) and clears the bit; the writer
    /// only sets it, by compare-and-swap against the count it last saw.
    consumed: CachePadded<AtomicUsize>,
    /// The writer's count of complete messages when it went to sleep.
    writer_asleep_at: AtomicUsize,
    /// High-water mark in messages; `0` = unlimited. Written by the writer only.
    hwm: AtomicUsize,
    /// One finished chunk handed back from the reader to the writer.
    spare: AtomicPtr<Chunk<T>>,
    /// Where the reader stopped, recorded when it is dropped, for the final clean-up.
    final_head: AtomicPtr<Chunk<T>>,
    final_head_idx: AtomicUsize,
    final_read: AtomicUsize,
}

// SAFETY: the raw chunk pointers are owned by the queue and every frame is moved across threads
// exactly once (written by the writer, read by the reader); `T: Send` is all that requires.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; shared access goes through atomics, and each slot is touched by one side at
// a time, ordered by the release/acquire pair on `published` (and on `spare` for reuse).
unsafe impl<T: Send> Sync for Shared<T> {}

/// Creates a queue with the given high-water mark in messages (`0` = unlimited).
pub fn channel<T: Frame>(hwm: usize) -> (Writer<T>, Reader<T>) {
    let first = Chunk::<T>::allocate();
    let shared = Arc::new(Shared {
        published: CachePadded(AtomicUsize::new(0)),
        consumed: CachePadded(AtomicUsize::new(0)),
        writer_asleep_at: AtomicUsize::new(0),
        hwm: AtomicUsize::new(hwm),
        spare: AtomicPtr::new(ptr::null_mut()),
        final_head: AtomicPtr::new(first),
        final_head_idx: AtomicUsize::new(0),
        final_read: AtomicUsize::new(0),
    });
    let start = Cursor { chunk: first, idx: 0 };
    let writer = Writer {
        shared: shared.clone(),
        tail: start,
        boundary: start,
        frames_written: 0,
        frames_complete: 0,
        frames_published: 0,
        msgs_complete: 0,
        consumed_cache: 0,
        hwm,
        in_message: false,
    };
    let reader = Reader {
        shared,
        head: start,
        frames_read: 0,
        published_cache: 0,
        msgs_read: 0,
        msgs_released: 0,
    };
    (writer, reader)
}

/// The producing end of a queue.
pub struct Writer<T: Frame> {
    shared: Arc<Shared<T>>,
    /// Where the next frame goes.
    tail: Cursor<T>,
    /// Just after the last frame of the last complete message.
    boundary: Cursor<T>,
    frames_written: usize,
    frames_complete: usize,
    frames_published: usize,
    msgs_complete: usize,
    consumed_cache: usize,
    hwm: usize,
    in_message: bool,
}

// SAFETY: the writer's cursors point into chunks owned by the queue; only this handle writes
// through them, and frames are `Send`.
unsafe impl<T: Frame + Send> Send for Writer<T> {}

impl<T: Frame> std::fmt::Debug for Writer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("frames_written", &self.frames_written)
            .field("frames_published", &self.frames_published)
            .field("msgs_complete", &self.msgs_complete)
            .field("hwm", &self.hwm)
            .finish()
    }
}

impl<T: Frame> Writer<T> {
    /// Whether a new message may begin now without passing the high-water mark. Always `true`
    /// in the middle of a message: a message once begun is accepted whole.
    #[inline]
    pub fn can_write(&mut self) -> bool {
        if self.in_message || self.hwm == 0 {
            return true;
        }
        if self.msgs_complete - self.consumed_cache < self.hwm {
            return true;
        }
        self.consumed_cache = self.shared.consumed.load(Ordering::Acquire) >> 1;
        self.msgs_complete - self.consumed_cache < self.hwm
    }

    /// `true` while the frames written so far end in the middle of a message.
    pub fn in_message(&self) -> bool {
        self.in_message
    }

    /// Writes one frame. It stays invisible to the reader until its message is complete and
    /// [`flush`](Self::flush) is called. The caller checks [`can_write`](Self::can_write)
    /// before the first frame of a message; the queue does not refuse frames.
    #[inline]
    pub fn write(&mut self, frame: T) {
        let more = frame.has_more();
        if self.tail.idx == CHUNK_LEN {
            self.tail = self.next_chunk(self.tail.chunk);
        }
        // SAFETY: `tail.chunk` is a live chunk of this queue and slot `tail.idx` (< CHUNK_LEN)
        // lies beyond everything published, so the reader cannot touch it; it holds no value
        // (it was never written, or its value was moved out by the reader or dropped by a
        // rollback).
        unsafe {
            (*self.tail.chunk).slots[self.tail.idx].with_mut(|slot| (*slot).write(frame));
        }
        self.tail.idx += 1;
        self.frames_written += 1;
        if more {
            self.in_message = true;
        } else {
            self.in_message = false;
            self.boundary = self.tail;
            self.frames_complete = self.frames_written;
            self.msgs_complete += 1;
        }
    }

    /// Moves past the end of `chunk`, reusing a chunk already linked by an earlier rollback,
    /// else the reader's spare, else a fresh allocation.
    fn next_chunk(&mut self, chunk: *mut Chunk<T>) -> Cursor<T> {
        // SAFETY: `chunk` is the writer's current chunk, which is live: the reader frees or
        // recycles only chunks it has moved past, and it cannot move past a chunk the writer
        // still writes into.
        let linked = unsafe { (*chunk).next.load(Ordering::Relaxed) };
        if !linked.is_null() {
            return Cursor {
                chunk: linked,
                idx: 0,
            };
        }
        let spare = self.shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
        let fresh = if spare.is_null() {
            Chunk::allocate()
        } else {
            // SAFETY: the swap made this thread the sole owner of the spare chunk; the reader
            // gave it up with a release swap after its last access.
            unsafe { (*spare).next.store(ptr::null_mut(), Ordering::Relaxed) };
            spare
        };
        // SAFETY: as above, `chunk` is live; the reader reads `next` only after acquiring a
        // `published` count that covers a frame in `fresh`, which is released after this store.
        unsafe { (*chunk).next.store(fresh, Ordering::Relaxed) };
        Cursor { chunk: fresh, idx: 0 }
    }

    /// Discards the frames of the unfinished message, if any.
    pub fn rollback(&mut self) {
        let mut at = self.boundary;
        while at != self.tail {
            if at.idx == CHUNK_LEN {
                // SAFETY: chunks between the boundary and the tail are linked and unpublished,
                // so only the writer uses them.
                let next = unsafe { (*at.chunk).next.load(Ordering::Relaxed) };
                at = Cursor { chunk: next, idx: 0 };
                continue;
            }
            // SAFETY: slots from the boundary to the tail hold frames written by this writer and
            // never published, so each holds an initialised value that nobody else can see.
            unsafe {
                (*at.chunk).slots[at.idx].with_mut(|slot| (*slot).assume_init_drop());
            }
            at.idx += 1;
        }
        self.tail = self.boundary;
        self.frames_written = self.frames_complete;
        self.in_message = false;
    }

    /// Publishes every complete message written so far. Returns `true` if the reader was
    /// asleep, in which case the caller owes it a wake-up.
    #[inline]
    pub fn flush(&mut self) -> bool {
        if self.frames_complete == self.frames_published {
            return false;
        }
        let previous = self
            .shared
            .published
            .swap(self.frames_complete << 1, Ordering::AcqRel);
        self.frames_published = self.frames_complete;
        previous & ASLEEP != 0
    }

    /// Declares that the writer will wait for room (after [`can_write`](Self::can_write)
    /// returned `false` and everything was flushed). Returns `true` if the writer should now
    /// sleep until the reader wakes it, `false` if room appeared meanwhile.
    pub fn sleep(&mut self) -> bool {
        debug_assert_eq!(self.frames_published, self.frames_complete, "flush before sleep");
        self.shared
            .writer_asleep_at
            .store(self.msgs_complete, Ordering::Relaxed);
        let mut current = self.shared.consumed.load(Ordering::Acquire);
        loop {
            self.consumed_cache = current >> 1;
            if self.hwm == 0 || self.msgs_complete - self.consumed_cache < self.hwm {
                return false;
            }
            // Release: the reader that sees the bit also sees `writer_asleep_at`.
            match self.shared.consumed.compare_exchange(
                current,
                current | ASLEEP,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Changes the high-water mark (messages; `0` = unlimited) for messages begun from now on.
    pub fn set_hwm(&mut self, hwm: usize) {
        self.hwm = hwm;
        self.shared.hwm.store(hwm, Ordering::Relaxed);
    }
}

impl<T: Frame> Drop for Writer<T> {
    fn drop(&mut self) {
        self.rollback();
        self.flush();
    }
}

/// The consuming end of a queue.
pub struct Reader<T: Frame> {
    shared: Arc<Shared<T>>,
    head: Cursor<T>,
    frames_read: usize,
    published_cache: usize,
    msgs_read: usize,
    msgs_released: usize,
}

// SAFETY: the reader's cursor points into chunks owned by the queue; only this handle reads
// through it, and frames are `Send`.
unsafe impl<T: Frame + Send> Send for Reader<T> {}

impl<T: Frame> std::fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("frames_read", &self.frames_read)
            .field("msgs_read", &self.msgs_read)
            .finish()
    }
}

impl<T: Frame> Reader<T> {
    /// `true` if a published frame is waiting.
    #[inline]
    pub fn has_data(&mut self) -> bool {
        if self.frames_read != self.published_cache {
            return true;
        }
        self.published_cache = self.shared.published.load(Ordering::Acquire) >> 1;
        self.frames_read != self.published_cache
    }

    /// Takes the next published frame. Frames of one message are always published together,
    /// so after a frame with more to follow, the next call returns the following frame.
    #[inline]
    pub fn read(&mut self) -> Option<T> {
        if !self.has_data() {
            return None;
        }
        if self.head.idx == CHUNK_LEN {
            self.leave_chunk();
        }
        // SAFETY: `frames_read < published`, so the slot at `head` holds a frame the writer
        // initialised and released (the acquire load of `published` in `has_data` orders it);
        // the writer never touches published slots again, and the value is moved out once.
        let frame =
            unsafe { (*self.head.chunk).slots[self.head.idx].with_mut(|slot| (*slot).assume_init_read()) };
        self.head.idx += 1;
        self.frames_read += 1;
        if !frame.has_more() {
            self.msgs_read += 1;
        }
        Some(frame)
    }

    fn leave_chunk(&mut self) {
        let done = self.head.chunk;
        // SAFETY: a frame past the end of `done` is published, so the writer linked `next`
        // before releasing that frame and our acquire of `published` makes it visible.
        let next = unsafe { (*done).next.load(Ordering::Relaxed) };
        debug_assert!(!next.is_null());
        self.head = Cursor { chunk: next, idx: 0 };
        let previous = self.shared.spare.swap(done, Ordering::AcqRel);
        if !previous.is_null() {
            // SAFETY: `previous` was put there by this reader earlier and not taken by the
            // writer (else the slot would be null); the swap made us its sole owner again, and
            // every value in it was already moved out.
            drop(unsafe { Box::from_raw(previous) });
        }
    }

    /// Makes the messages read so far count as consumed for the writer's high-water mark.
    /// Returns `true` if the writer was asleep waiting for room and enough room has now been
    /// made (half the high-water mark, or an empty queue), in which case the caller owes it a
    /// wake-up. Call it after each batch of reads.
    #[inline]
    pub fn release(&mut self) -> bool {
        if self.msgs_read == self.msgs_released {
            return false;
        }
        let delta = (self.msgs_read - self.msgs_released) << 1;
        self.msgs_released = self.msgs_read;
        let previous = self.shared.consumed.fetch_add(delta, Ordering::AcqRel);
        if previous & ASLEEP == 0 {
            return false;
        }
        let asleep_at = self.shared.writer_asleep_at.load(Ordering::Relaxed);
        let low_water = self.shared.hwm.load(Ordering::Relaxed) / 2;
        if asleep_at.saturating_sub(self.msgs_read) > low_water {
            return false;
        }
        // Only the reader clears the bit, so it is still set and the wake-up is ours to send.
        self.shared.consumed.fetch_and(!ASLEEP, Ordering::AcqRel);
        true
    }

    /// Declares that the reader found nothing and will wait. Returns `true` if it should now
    /// sleep until the writer wakes it, `false` if a frame arrived meanwhile. Call
    /// [`release`](Self::release) first.
    pub fn sleep(&mut self) -> bool {
        debug_assert_eq!(self.msgs_read, self.msgs_released, "release before sleep");
        let expected = self.frames_read << 1;
        match self.shared.published.compare_exchange(
            expected,
            expected | ASLEEP,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            // Already asleep from an earlier call: still nothing new.
            Err(actual) if actual == expected | ASLEEP => true,
            Err(actual) => {
                self.published_cache = actual >> 1;
                false
            }
        }
    }
}

impl<T: Frame> Drop for Reader<T> {
    fn drop(&mut self) {
        self.shared.final_head.store(self.head.chunk, Ordering::Relaxed);
        self.shared.final_head_idx.store(self.head.idx, Ordering::Relaxed);
        self.shared.final_read.store(self.frames_read, Ordering::Relaxed);
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both ends are gone: the writer rolled back its unfinished message and published the
        // rest, and the reader recorded where it stopped. Drop what was never read, then free
        // every chunk from the reader's position on.
        let mut chunk = self.final_head.load(Ordering::Relaxed);
        let mut idx = self.final_head_idx.load(Ordering::Relaxed);
        let published = self.published.load(Ordering::Relaxed) >> 1;
        let read = self.final_read.load(Ordering::Relaxed);
        for _ in read..published {
            if idx == CHUNK_LEN {
                // SAFETY: exclusive access at drop; the chain from the reader's chunk is intact.
                chunk = unsafe { (*chunk).next.load(Ordering::Relaxed) };
                idx = 0;
            }
            // SAFETY: frames between the reader's position and `published` are initialised
            // and were never moved out.
            unsafe { (*chunk).slots[idx].with_mut(|slot| (*slot).assume_init_drop()) };
            idx += 1;
        }
        let mut chunk = self.final_head.load(Ordering::Relaxed);
        while !chunk.is_null() {
            // SAFETY: every chunk from the reader's position on is owned by the queue alone now.
            let boxed = unsafe { Box::from_raw(chunk) };
            chunk = boxed.next.load(Ordering::Relaxed);
        }
        let spare = self.spare.load(Ordering::Relaxed);
        if !spare.is_null() {
            // SAFETY: the spare chunk is owned by the queue and not linked anywhere.
            drop(unsafe { Box::from_raw(spare) });
        }
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
    fn frames_are_invisible_until_flushed_and_come_out_in_order() {
        let (mut w, mut r) = channel::<F>(0);
        for i in 0..1000 {
            w.write(F(i, false));
        }
        assert_eq!(r.read(), None);
        w.flush();
        for i in 0..1000 {
            assert_eq!(r.read(), Some(F(i, false)));
        }
        assert_eq!(r.read(), None);
    }

    #[test]
    fn only_whole_messages_are_published() {
        let (mut w, mut r) = channel::<F>(0);
        w.write(F(1, true));
        w.write(F(2, false));
        w.write(F(3, true));
        w.flush();
        assert_eq!(r.read(), Some(F(1, true)));
        assert_eq!(r.read(), Some(F(2, false)));
        assert_eq!(r.read(), None, "the unfinished message stays hidden");
        w.write(F(4, false));
        w.flush();
        assert_eq!(r.read(), Some(F(3, true)));
        assert_eq!(r.read(), Some(F(4, false)));
    }

    #[test]
    fn rollback_discards_the_unfinished_message_across_chunks() {
        let (mut w, mut r) = channel::<F>(0);
        w.write(F(0, false));
        for i in 1..(3 * CHUNK_LEN as u32) {
            w.write(F(i, true));
        }
        w.rollback();
        w.write(F(99, false));
        w.flush();
        assert_eq!(r.read(), Some(F(0, false)));
        assert_eq!(r.read(), Some(F(99, false)));
        assert_eq!(r.read(), None);
    }

    #[test]
    fn hwm_counts_messages_and_admits_a_begun_message_whole() {
        let (mut w, mut r) = channel::<F>(4);
        for i in 0..3 {
            assert!(w.can_write());
            w.write(F(i, false));
        }
        assert!(w.can_write());
        w.write(F(10, true));
        for i in 0..500 {
            assert!(w.can_write(), "mid-message frames are always accepted");
            w.write(F(11 + i, true));
        }
        w.write(F(0, false));
        assert!(!w.can_write(), "four messages queued: at the high-water mark");
        w.flush();
        assert!(w.sleep(), "full: the writer sleeps");
        assert!(r.read().is_some());
        assert!(
            !r.release(),
            "three still queued: above the low-water mark of two"
        );
        assert!(r.read().is_some());
        assert!(r.release(), "two queued: the sleeping writer is owed a wake-up");
        assert!(w.can_write());
        while r.read().is_some() {}
        assert!(!r.release(), "the writer was already woken");
    }

    #[test]
    fn reader_sleep_and_writer_flush_agree_on_the_wake_up() {
        let (mut w, mut r) = channel::<F>(0);
        assert!(r.sleep());
        w.write(F(1, false));
        assert!(w.flush(), "reader asleep: wake-up owed");
        w.write(F(2, false));
        assert!(!w.flush(), "reader was woken already");
        assert_eq!(r.read(), Some(F(1, false)));
        assert_eq!(r.read(), Some(F(2, false)));
        assert!(!r.release(), "the writer never slept");
        assert!(r.sleep());
    }

    #[test]
    fn sleep_is_refused_when_data_is_waiting() {
        let (mut w, mut r) = channel::<F>(0);
        w.write(F(1, false));
        w.flush();
        assert!(!r.sleep());
        assert!(!w.flush());
    }

    #[test]
    fn dropping_ends_frees_unread_frames() {
        use std::sync::atomic::AtomicUsize as Counter;
        static LIVE: Counter = Counter::new(0);
        struct Tracked(bool);
        impl Tracked {
            fn new(more: bool) -> Self {
                LIVE.fetch_add(1, Ordering::SeqCst);
                Tracked(more)
            }
        }
        impl Drop for Tracked {
            fn drop(&mut self) {
                LIVE.fetch_sub(1, Ordering::SeqCst);
            }
        }
        impl Frame for Tracked {
            fn has_more(&self) -> bool {
                self.0
            }
        }
        {
            let (mut w, mut r) = channel::<Tracked>(0);
            for _ in 0..(CHUNK_LEN * 3 + 5) {
                w.write(Tracked::new(false));
            }
            w.flush();
            for _ in 0..(CHUNK_LEN + 2) {
                drop(r.read());
            }
            w.write(Tracked::new(true));
            drop(r);
            w.write(Tracked::new(false));
            w.write(Tracked::new(true));
        }
        assert_eq!(LIVE.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn two_threads_stream_with_wake_ups_and_lose_nothing() {
        use std::sync::{Condvar, Mutex};
        // A wake-up is modelled by a counter and condvar per side.
        struct Bell(Mutex<u64>, Condvar);
        impl Bell {
            fn ring(&self) {
                *self.0.lock().unwrap() += 1;
                self.1.notify_one();
            }
            fn wait(&self, seen: &mut u64) {
                let mut g = self.0.lock().unwrap();
                while *g == *seen {
                    g = self.1.wait(g).unwrap();
                }
                *seen = *g;
            }
        }
        let to_reader = std::sync::Arc::new(Bell(Mutex::new(0), Condvar::new()));
        let to_writer = std::sync::Arc::new(Bell(Mutex::new(0), Condvar::new()));
        let (mut w, mut r) = channel::<F>(64);
        // Miri interprets every step: keep its run short.
        const N: u32 = if cfg!(miri) { 3_000 } else { 200_000 };
        let (tr, tw) = (to_reader.clone(), to_writer.clone());
        let producer = std::thread::spawn(move || {
            let mut seen = 0;
            let mut i = 0;
            while i < N {
                if !w.can_write() {
                    if w.flush() {
                        tr.ring();
                    }
                    if w.sleep() {
                        tw.wait(&mut seen);
                    }
                    continue;
                }
                w.write(F(i, i % 3 == 0));
                if i % 3 != 0 && w.flush() {
                    tr.ring();
                }
                i += 1;
            }
            w.write(F(N, false));
            if w.flush() {
                tr.ring();
            }
        });
        let mut seen = 0;
        let mut expect = 0;
        loop {
            match r.read() {
                Some(f) => {
                    assert_eq!(f.0, expect);
                    expect += 1;
                    if f.0 == N {
                        break;
                    }
                }
                None => {
                    if r.release() {
                        to_writer.ring();
                    }
                    if r.sleep() {
                        to_reader.wait(&mut seen);
                    }
                }
            }
            if r.release() {
                to_writer.ring();
            }
        }
        producer.join().unwrap();
    }
}
