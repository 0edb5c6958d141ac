//! `BodyPool`: recycled buffers for large received message bodies.
//!
//! A large body is assembled on the shard and dropped by the application thread. Handed
//! straight back to the allocator, such buffers make glibc trim its heap and grow it again,
//! a page fault every 4 KiB (measured: three faults per 64 KiB message, about 30 % of a
//! receiver's CPU). Here the buffer comes back to its connection's pool when the last
//! `Bytes` referring to it is dropped, on whichever thread that is.
//!
//! Owns only spare buffers; knows nothing of frames (the decoder decides what to pool).

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// Bodies from this size up are pooled; smaller ones are cheap for the allocator.
pub const POOLED_MIN: usize = 8 * 1024;
/// Bodies above this go back to the allocator, so a pool never holds much memory.
const POOLED_MAX: usize = 1 << 20;
/// Spare buffers a pool keeps (enough to cover a burst being consumed while more arrive).
const KEPT: usize = 32;

type Spares = Arc<Mutex<Vec<Vec<u8>>>>;

/// A connection's spare body buffers.
#[derive(Clone, Debug, Default)]
pub struct BodyPool {
    spares: Spares,
}

impl BodyPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `size` octets: a spare if one is large enough.
    pub fn take(&self, size: usize) -> Vec<u8> {
        if (POOLED_MIN..=POOLED_MAX).contains(&size) {
            let mut spares = self.spares.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(i) = spares.iter().rposition(|b| b.capacity() >= size) {
                return spares.swap_remove(i);
            }
        }
        Vec::with_capacity(size)
    }

    /// `body` as `Bytes`; a poolable buffer returns here once its last `Bytes` is dropped.
    pub fn freeze(&self, body: Vec<u8>) -> Bytes {
        if (POOLED_MIN..=POOLED_MAX).contains(&body.capacity()) {
            Bytes::from_owner(Pooled {
                body,
                home: Arc::clone(&self.spares),
            })
        } else {
            Bytes::from(body)
        }
    }

    /// Spare buffers held now.
    #[cfg(test)]
    fn spare_count(&self) -> usize {
        self.spares.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A pooled body lent to `Bytes`.
struct Pooled {
    body: Vec<u8>,
    home: Spares,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        let mut spares = self.home.lock().unwrap_or_else(PoisonError::into_inner);
        if spares.len() < KEPT {
            spares.push(body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_bodies_come_back_when_their_last_reference_drops() {
        let pool = BodyPool::new();
        let mut buf = pool.take(64 * 1024);
        buf.extend_from_slice(&[7u8; 64 * 1024]);
        let first_ptr = buf.as_ptr();
        let bytes = pool.freeze(buf);
        let slice = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(pool.spare_count(), 0, "a slice still refers to the buffer");
        assert_eq!(&slice[..], &[7u8; 10]);
        // Dropped on another thread, as the application does.
        std::thread::spawn(move || drop(slice)).join().unwrap();
        assert_eq!(pool.spare_count(), 1);
        let again = pool.take(60 * 1024);
        assert_eq!(again.as_ptr(), first_ptr, "the spare is reused");
        assert!(again.is_empty());
        assert_eq!(pool.spare_count(), 0);
    }

    #[test]
    fn small_huge_and_surplus_buffers_are_not_kept() {
        let pool = BodyPool::new();
        drop(pool.freeze(vec![1u8; 100]));
        drop(pool.freeze(vec![1u8; 2 << 20]));
        assert_eq!(pool.spare_count(), 0);
        let held: Vec<Bytes> = (0..KEPT + 5)
            .map(|_| pool.freeze(Vec::with_capacity(POOLED_MIN)))
            .collect();
        drop(held);
        assert_eq!(pool.spare_count(), KEPT);
        // A spare too small for the request is left for a smaller one.
        assert!(pool.take(POOLED_MAX).capacity() >= POOLED_MAX);
        assert_eq!(pool.spare_count(), KEPT);
    }

    #[test]
    fn a_pool_that_is_gone_still_takes_its_buffers_back_safely() {
        let pool = BodyPool::new();
        let bytes = pool.freeze(vec![3u8; POOLED_MIN]);
        drop(pool);
        assert_eq!(bytes.len(), POOLED_MIN);
        drop(bytes);
    }
}
