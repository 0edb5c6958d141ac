//! The shard's provided-buffer ring: a pool of equally sized receive buffers the kernel picks
//! from for multishot receives, so an idle connection holds no buffer of its own.
//!
//! Buffers are handed back as soon as their bytes are decoded (small frames are copied out,
//! large ones are assembled in their own allocation), so the pool is never held across loop
//! turns and one slow reader cannot starve the others.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::Submitter;
use io_uring::types::BufRingEntry;

/// Anonymous private memory from `mmap`, page aligned, unmapped on drop.
#[derive(Debug)]
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> io::Result<Self> {
        // SAFETY: an anonymous private mapping with no address hint has no preconditions.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            ptr: NonNull::new(ptr.cast()).expect("mmap returned null"),
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe a mapping we created and nobody references any more
        // (the shard drops the buffer ring only after its io_uring is gone).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// A registered provided-buffer ring and the buffers it hands to the kernel.
#[derive(Debug)]
pub struct BufRing {
    entries: Mapping,
    storage: Mapping,
    count: u16,
    buf_size: u32,
    group: u16,
    tail: u16,
}

impl BufRing {
    /// Allocates `count` (a power of two, at most 32768) buffers of `buf_size` bytes, registers
    /// them as buffer group `group` and hands them all to the kernel.
    ///
    /// The memory must outlive every receive that may use it: the owner drops this only
    /// after the ring is gone.
    pub fn register(submitter: &Submitter<'_>, group: u16, count: u16, buf_size: u32) -> io::Result<Self> {
        if !count.is_power_of_two() || count > 32768 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "receive buffer count must be a power of two no larger than 32768",
            ));
        }
        let entries = Mapping::new(usize::from(count) * std::mem::size_of::<BufRingEntry>())?;
        let storage = Mapping::new(usize::from(count) * buf_size as usize)?;
        // SAFETY: `entries` is page aligned, sized for `count` entries and lives as long as
        // `self`, which the shard keeps until after the ring is dropped.
        unsafe {
            submitter.register_buf_ring_with_flags(entries.ptr.as_ptr() as u64, count, group, 0)?;
        }
        let mut ring = Self {
            entries,
            storage,
            count,
            buf_size,
            group,
            tail: 0,
        };
        for bid in 0..count {
            ring.push(bid);
        }
        ring.publish();
        Ok(ring)
    }

    /// The buffer group id to put in receive SQEs.
    pub fn group(&self) -> u16 {
        self.group
    }

    /// Size of each buffer in bytes.
    pub fn buffer_size(&self) -> u32 {
        self.buf_size
    }

    /// The first `len` bytes of buffer `bid`, as filled by the kernel.
    pub fn buffer(&self, bid: u16, len: usize) -> &[u8] {
        assert!(
            bid < self.count && len <= self.buf_size as usize,
            "bad buffer {bid}/{len}"
        );
        let offset = usize::from(bid) * self.buf_size as usize;
        // SAFETY: the range lies inside `storage`; the kernel wrote it before posting the CQE
        // that named `bid`, and will not write it again until `recycle(bid)` hands it back.
        unsafe { std::slice::from_raw_parts(self.storage.ptr.as_ptr().add(offset), len) }
    }

    /// Hands buffer `bid` back to the kernel.
    pub fn recycle(&mut self, bid: u16) {
        self.push(bid);
        self.publish();
    }

    fn push(&mut self, bid: u16) {
        let slot = usize::from(self.tail & (self.count - 1));
        let base = self.entries.ptr.as_ptr().cast::<BufRingEntry>();
        // SAFETY: `slot < count`, so the entry lies inside `entries`; the kernel reads entries
        // only up to the published tail, and this one is beyond it until `publish`.
        let entry = unsafe { &mut *base.add(slot) };
        let addr = self.storage.ptr.as_ptr() as u64 + u64::from(bid) * u64::from(self.buf_size);
        entry.set_addr(addr);
        entry.set_len(self.buf_size);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    fn publish(&self) {
        let base = self.entries.ptr.as_ptr().cast::<BufRingEntry>();
        // SAFETY: the tail field overlays the first entry's reserved field, inside `entries`;
        // the kernel reads it atomically, so we store it as an atomic u16 with release order
        // after writing the entries it covers.
        unsafe {
            let tail = BufRingEntry::tail(base) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }
}
