//! The two kinds of queue a pipe direction can be: the bounded SPSC frame queue (the normal
//! case) or, with CONFLATE, the slot that keeps only the newest message. Both offer the same
//! operations, so pipe code does not care which it holds; the conflating slot is never full
//! and has nothing to release.

use ringmq_engine::{latest, spsc};

use crate::msg::Msg;

/// The writing end of one pipe direction.
#[derive(Debug)]
pub(crate) enum FrameWriter {
    Queue(spsc::Writer<Msg>),
    Latest(latest::Writer<Msg>),
}

/// The reading end of one pipe direction.
#[derive(Debug)]
pub(crate) enum FrameReader {
    Queue(spsc::Reader<Msg>),
    Latest(latest::Reader<Msg>),
}

/// A pipe direction: a queue bounded by `hwm` messages, or a conflating slot.
pub(crate) fn direction(hwm: usize, conflate: bool) -> (FrameWriter, FrameReader) {
    if conflate {
        let (w, r) = latest::channel();
        (FrameWriter::Latest(w), FrameReader::Latest(r))
    } else {
        let (w, r) = spsc::channel(hwm);
        (FrameWriter::Queue(w), FrameReader::Queue(r))
    }
}

impl FrameWriter {
    #[inline]
    pub(crate) fn can_write(&mut self) -> bool {
        match self {
            FrameWriter::Queue(w) => w.can_write(),
            FrameWriter::Latest(_) => true,
        }
    }

    #[inline]
    pub(crate) fn write(&mut self, msg: Msg) {
        match self {
            FrameWriter::Queue(w) => w.write(msg),
            FrameWriter::Latest(w) => w.write(msg),
        }
    }

    /// Publishes complete messages; `true` if the reader sleeps and must be woken.
    #[inline]
    pub(crate) fn flush(&mut self) -> bool {
        match self {
            FrameWriter::Queue(w) => w.flush(),
            FrameWriter::Latest(w) => w.flush(),
        }
    }

    pub(crate) fn rollback(&mut self) {
        match self {
            FrameWriter::Queue(w) => w.rollback(),
            FrameWriter::Latest(w) => w.rollback(),
        }
    }

    /// Waits for room: `true` if the reader will wake us. A slot never needs to wait.
    pub(crate) fn sleep(&mut self) -> bool {
        match self {
            FrameWriter::Queue(w) => w.sleep(),
            FrameWriter::Latest(_) => false,
        }
    }

    /// `true` for a conflating slot, which keeps only the newest frame.
    pub(crate) fn conflates(&self) -> bool {
        matches!(self, FrameWriter::Latest(_))
    }

    pub(crate) fn set_hwm(&mut self, hwm: usize) {
        if let FrameWriter::Queue(w) = self {
            w.set_hwm(hwm);
        }
    }
}

impl FrameReader {
    #[inline]
    pub(crate) fn read(&mut self) -> Option<Msg> {
        match self {
            FrameReader::Queue(r) => r.read(),
            FrameReader::Latest(r) => r.read(),
        }
    }

    #[inline]
    pub(crate) fn has_data(&mut self) -> bool {
        match self {
            FrameReader::Queue(r) => r.has_data(),
            FrameReader::Latest(r) => r.has_data(),
        }
    }

    /// Counts what was read against the high-water mark; `true` if the writer sleeps and
    /// must be woken. A slot has no mark.
    #[inline]
    pub(crate) fn release(&mut self) -> bool {
        match self {
            FrameReader::Queue(r) => r.release(),
            FrameReader::Latest(_) => false,
        }
    }

    pub(crate) fn sleep(&mut self) -> bool {
        match self {
            FrameReader::Queue(r) => r.sleep(),
            FrameReader::Latest(r) => r.sleep(),
        }
    }
}
