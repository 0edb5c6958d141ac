//! `WriteBatch`: the bytes one connection will write next, as data.
//!
//! Frame headers and small bodies are copied into one contiguous buffer; large bodies are
//! referenced (a `Bytes` clone, no copy). The driver turns the batch into an iovec array for
//! a single `sendmsg`, and on a short write calls [`WriteBatch::consume`] with what the kernel
//! took, so the rest goes out next time, in order.

use std::collections::VecDeque;

use bytes::Bytes;

use super::FLAG_MORE;
use super::frame::encode_frame_header;
use crate::msg::Msg;

/// Largest iovec array handed to the kernel at once (Linux's UIO_MAXIOV).
pub const MAX_IOVECS: usize = 1024;

#[derive(Debug)]
enum Segment {
    /// A range of `copied`.
    Copied { start: usize, end: usize },
    /// A large body kept alive until written.
    Shared(Bytes),
}

/// An ordered list of byte ranges to write.
#[derive(Debug, Default)]
pub struct WriteBatch {
    copied: Vec<u8>,
    segments: VecDeque<Segment>,
    /// Octets of the first segment already written.
    head_offset: usize,
    len: usize,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Octets still to write.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when nothing is left to write.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a copy of `data`.
    pub fn push_copy(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let start = self.copied.len();
        self.copied.extend_from_slice(data);
        let end = self.copied.len();
        self.len += data.len();
        if let Some(Segment::Copied { end: last_end, .. }) = self.segments.back_mut() {
            if *last_end == start {
                *last_end = end;
                return;
            }
        }
        self.segments.push_back(Segment::Copied { start, end });
    }

    /// Appends `len` octets written in place by `fill` (a frame built where it will be
    /// sent from, such as a CURVE box sealed in place).
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        if len == 0 {
            return;
        }
        let start = self.copied.len();
        self.copied.resize(start + len, 0);
        fill(&mut self.copied[start..]);
        self.len += len;
        let end = self.copied.len();
        if let Some(Segment::Copied { end: last_end, .. }) = self.segments.back_mut() {
            if *last_end == start {
                *last_end = end;
                return;
            }
        }
        self.segments.push_back(Segment::Copied { start, end });
    }

    /// Appends a shared body without copying it.
    pub fn push_shared(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        self.len += data.len();
        self.segments.push_back(Segment::Shared(data));
    }

    /// Appends a message frame: its header, and its body copied when it is at most
    /// `copy_threshold` octets or referenced otherwise.
    #[inline]
    pub fn push_message_frame(&mut self, msg: &Msg, copy_threshold: usize) {
        let mut header = [0u8; 9];
        let flags = if msg.more() { FLAG_MORE } else { 0 };
        let n = encode_frame_header(flags, msg.len(), &mut header);
        match msg.shared_bytes() {
            Some(body) if body.len() > copy_threshold => {
                self.push_copy(&header[..n]);
                self.push_shared(body.clone());
            }
            _ => {
                // Header and body in one contiguous append.
                let start = self.copied.len();
                self.copied.extend_from_slice(&header[..n]);
                self.copied.extend_from_slice(msg.as_bytes());
                let added = self.copied.len() - start;
                self.len += added;
                if let Some(Segment::Copied { end, .. }) = self.segments.back_mut() {
                    if *end == start {
                        *end = self.copied.len();
                        return;
                    }
                }
                self.segments.push_back(Segment::Copied {
                    start,
                    end: self.copied.len(),
                });
            }
        }
    }

    /// The largest body still referenced rather than copied (0 if none).
    pub fn largest_shared(&self) -> usize {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Shared(b) => b.len(),
                Segment::Copied { .. } => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// Fills `iovecs` (cleared first) with at most `MAX_IOVECS` entries describing the
    /// unwritten bytes. The pointers stay valid until the batch is next modified.
    pub fn fill_iovecs(&self, iovecs: &mut Vec<libc::iovec>) {
        iovecs.clear();
        for (i, segment) in self.segments.iter().enumerate().take(MAX_IOVECS) {
            let skip = if i == 0 { self.head_offset } else { 0 };
            let slice: &[u8] = match segment {
                Segment::Copied { start, end } => &self.copied[*start..*end],
                Segment::Shared(b) => b,
            };
            let slice = &slice[skip..];
            iovecs.push(libc::iovec {
                iov_base: slice.as_ptr() as *mut libc::c_void,
                iov_len: slice.len(),
            });
        }
    }

    /// Marks the first `n` octets as written.
    pub fn consume(&mut self, mut n: usize) {
        assert!(n <= self.len, "consumed {n} of {} octets", self.len);
        self.len -= n;
        while n > 0 {
            let front = self.segments.front().expect("octets left imply a segment");
            let seg_len = match front {
                Segment::Copied { start, end } => end - start,
                Segment::Shared(b) => b.len(),
            } - self.head_offset;
            if n < seg_len {
                self.head_offset += n;
                return;
            }
            n -= seg_len;
            self.head_offset = 0;
            self.segments.pop_front();
        }
        if self.segments.is_empty() {
            self.copied.clear();
            self.head_offset = 0;
        }
    }

    /// Drops everything not yet written.
    pub fn clear(&mut self) {
        self.copied.clear();
        self.segments.clear();
        self.head_offset = 0;
        self.len = 0;
    }

    /// The unwritten bytes as one vector (for tests and diagnostics).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut iov = Vec::new();
        self.fill_iovecs(&mut iov);
        let mut out = Vec::with_capacity(self.len);
        for v in iov {
            // SAFETY: each iovec points into this batch's live storage, as `fill_iovecs` says.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_shared_names_the_biggest_referenced_body() {
        let mut b = WriteBatch::new();
        assert_eq!(b.largest_shared(), 0);
        b.push_message_frame(&Msg::from(vec![1u8; 100]), 64);
        b.push_message_frame(&Msg::from(vec![2u8; 50]), 64);
        assert_eq!(b.largest_shared(), 100);
        b.push_message_frame(&Msg::from(vec![3u8; 40]), 64);
        assert_eq!(b.largest_shared(), 100, "copied bodies do not count");
    }

    #[test]
    fn frames_are_encoded_with_small_bodies_copied_and_large_ones_referenced() {
        let mut b = WriteBatch::new();
        b.push_message_frame(&Msg::from("hi").with_more(true), 1024);
        b.push_message_frame(&Msg::from(vec![7u8; 2000]), 1024);
        b.push_message_frame(&Msg::new(), 1024);
        let mut iov = Vec::new();
        b.fill_iovecs(&mut iov);
        assert_eq!(iov.len(), 3, "copied, shared body, copied");
        let bytes = b.to_vec();
        assert_eq!(&bytes[..4], &[0x01, 2, b'h', b'i']);
        assert_eq!(&bytes[4..13], &[0x02, 0, 0, 0, 0, 0, 0, 0x07, 0xd0]);
        assert_eq!(bytes.len(), 4 + 9 + 2000 + 2);
        assert_eq!(&bytes[bytes.len() - 2..], &[0, 0]);
    }

    #[test]
    fn short_writes_resume_exactly_where_they_stopped() {
        let mut b = WriteBatch::new();
        b.push_copy(b"abc");
        b.push_shared(Bytes::from_static(b"defgh"));
        b.push_copy(b"ij");
        let all = b.to_vec();
        let mut written = Vec::new();
        for step in [1, 3, 2, 4] {
            let chunk = b.to_vec();
            written.extend_from_slice(&chunk[..step]);
            b.consume(step);
        }
        assert!(b.is_empty());
        assert_eq!(written, all);
        b.push_copy(b"z");
        assert_eq!(b.to_vec(), b"z");
    }
}
