//! `BodyPool`: recycled buffers for large received message bodies, one pool per shard.
//!
//! A large body is assembled on the shard and dropped by the application thread. Handed
//! straight back to the allocator, such buffers make glibc trim its heap and grow it again,
//! a page fault every 4 KiB (measured: three faults per 64 KiB message, about 30 % of a
//! receiver's CPU). Here the buffer comes back to its shard's pool when the last `Bytes`
//! referring to it is dropped, on whichever thread that is.
//!
//! Buffers come in size classes, powers of two from [`POOLED_MIN`] to 1 MiB, and a body
//! takes a buffer of the smallest class that holds it: a body never carries more than twice
//! its size (an earlier pool lent any spare large enough, so 8 KiB bodies could each hold a
//! 1 MiB buffer, a gigabyte for RCVHWM 1000). Spares are kept up to the pool's byte budget
//! ([`SHARD_SPARE_BUDGET`] for a shard's pool); beyond it a returning buffer is freed.
//!
//! Owns only spare buffers; knows nothing of frames (the decoder decides what to pool).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// Bodies from this size up are pooled; smaller ones are cheap for the allocator.
pub const POOLED_MIN: usize = 8 * 1024;
/// Size classes: 8 KiB, 16 KiB, … 1 MiB. Larger bodies go back to the allocator.
const CLASSES: usize = 8;
const POOLED_MAX: usize = POOLED_MIN << (CLASSES - 1);
/// Spare octets one shard's pool keeps at most, over all classes.
pub const SHARD_SPARE_BUDGET: usize = 8 << 20;

#[derive(Debug)]
struct Spares {
    classes: [Mutex<Vec<Vec<u8>>>; CLASSES],
    /// Capacity of the buffers in `classes`, kept within `budget`.
    held: AtomicUsize,
    budget: usize,
}

/// Spare body buffers, shared by the connections of one shard (cheap to clone).
#[derive(Clone, Debug)]
pub struct BodyPool {
    spares: Arc<Spares>,
}

impl Default for BodyPool {
    fn default() -> Self {
        Self::with_budget(SHARD_SPARE_BUDGET)
    }
}

/// The class whose buffers hold `size` octets, if it is pooled.
fn class_for(size: usize) -> Option<usize> {
    (POOLED_MIN..=POOLED_MAX)
        .contains(&size)
        .then(|| (size.next_power_of_two() / POOLED_MIN).trailing_zeros() as usize)
}

/// The class a buffer of exactly `capacity` octets belongs to.
fn class_of_capacity(capacity: usize) -> Option<usize> {
    class_for(capacity).filter(|_| capacity.is_power_of_two())
}

impl BodyPool {
    /// An empty pool keeping at most `budget` spare octets.
    pub fn with_budget(budget: usize) -> Self {
        Self {
            spares: Arc::new(Spares {
                classes: std::array::from_fn(|_| Mutex::new(Vec::new())),
                held: AtomicUsize::new(0),
                budget,
            }),
        }
    }

    /// An empty buffer with room for `size` octets: for a pooled size, a buffer of its
    /// class (a spare if there is one).
    pub fn take(&self, size: usize) -> Vec<u8> {
        let Some(class) = class_for(size) else {
            return Vec::with_capacity(size);
        };
        let spare = self.spares.classes[class]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match spare {
            Some(buffer) => {
                self.spares.held.fetch_sub(buffer.capacity(), Ordering::Relaxed);
                buffer
            }
            None => Vec::with_capacity(POOLED_MIN << class),
        }
    }

    /// `body` as `Bytes`; a buffer of a pooled class returns here once its last `Bytes` is
    /// dropped.
    pub fn freeze(&self, body: Vec<u8>) -> Bytes {
        if class_of_capacity(body.capacity()).is_some() {
            Bytes::from_owner(Pooled {
                body,
                home: Arc::clone(&self.spares),
            })
        } else {
            Bytes::from(body)
        }
    }

    /// Spare octets held now (never above the budget).
    pub fn spare_octets(&self) -> usize {
        self.spares.held.load(Ordering::Relaxed)
    }
}

impl Spares {
    /// Keeps `buffer` as a spare if the budget has room for it; frees it otherwise.
    fn give_back(&self, mut buffer: Vec<u8>) {
        let capacity = buffer.capacity();
        let Some(class) = class_of_capacity(capacity) else {
            return;
        };
        let admitted = self
            .held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                (held + capacity <= self.budget).then_some(held + capacity)
            })
            .is_ok();
        if admitted {
            buffer.clear();
            self.classes[class]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(buffer);
        }
    }
}

/// A pooled body lent to `Bytes`.
struct Pooled {
    body: Vec<u8>,
    home: Arc<Spares>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.home.give_back(std::mem::take(&mut self.body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spare_count(pool: &BodyPool) -> usize {
        pool.spares
            .classes
            .iter()
            .map(|c| c.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    #[test]
    fn large_bodies_come_back_when_their_last_reference_drops() {
        let pool = BodyPool::default();
        let mut buf = pool.take(64 * 1024);
        buf.extend_from_slice(&[7u8; 64 * 1024]);
        let first_ptr = buf.as_ptr();
        let bytes = pool.freeze(buf);
        let slice = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(spare_count(&pool), 0, "a slice still refers to the buffer");
        assert_eq!(&slice[..], &[7u8; 10]);
        // Dropped on another thread, as the application does.
        std::thread::spawn(move || drop(slice)).join().unwrap();
        assert_eq!(spare_count(&pool), 1);
        assert_eq!(pool.spare_octets(), 64 * 1024);
        let again = pool.take(60 * 1024);
        assert_eq!(again.as_ptr(), first_ptr, "the spare is reused");
        assert!(again.is_empty());
        assert_eq!(spare_count(&pool), 0);
        assert_eq!(pool.spare_octets(), 0);
    }

    #[test]
    fn a_body_takes_a_buffer_of_its_own_class_never_a_much_larger_one() {
        let pool = BodyPool::default();
        // A 1 MiB spare is there, but an 8 KiB body does not get it.
        drop(pool.freeze(pool.take(1 << 20)));
        assert_eq!(pool.spare_octets(), 1 << 20);
        for (size, class_size) in [
            (8 * 1024, 8 * 1024),
            (8 * 1024 + 1, 16 * 1024),
            (100_000, 128 * 1024),
        ] {
            let buffer = pool.take(size);
            assert_eq!(buffer.capacity(), class_size, "{size}");
        }
        assert_eq!(pool.spare_octets(), 1 << 20, "the large spare was left alone");
    }

    #[test]
    fn spares_are_kept_within_the_budget() {
        let budget = 256 * 1024;
        let pool = BodyPool::with_budget(budget);
        let held: Vec<Bytes> = (0..40).map(|_| pool.freeze(pool.take(64 * 1024))).collect();
        drop(held);
        assert_eq!(pool.spare_octets(), budget);
        assert_eq!(spare_count(&pool), 4);
    }

    #[test]
    fn small_huge_and_odd_buffers_are_not_pooled() {
        let pool = BodyPool::default();
        drop(pool.freeze(vec![1u8; 100]));
        drop(pool.freeze(Vec::with_capacity(POOLED_MAX * 2)));
        drop(pool.freeze(Vec::with_capacity(POOLED_MIN + 1)));
        assert_eq!(spare_count(&pool), 0);
        assert_eq!(pool.take(POOLED_MAX * 2).capacity(), POOLED_MAX * 2);
    }

    #[test]
    fn a_pool_that_is_gone_still_takes_its_buffers_back_safely() {
        let pool = BodyPool::default();
        let bytes = pool.freeze(pool.take(POOLED_MIN));
        drop(pool);
        assert!(bytes.is_empty());
        drop(bytes);
    }
}
