//! `zmq_poll` over sockets and file descriptors, on `ringmq::poll`.
//!
//! libzmq lets one socket appear in several items; ringmq's poll holds each socket once, so
//! such items are merged into one (their events combined) and each gets back its own share
//! of what is ready. Thread-safe sockets are polled through their ZMQ_FD and ZMQ_EVENTS,
//! as libzmq's poller polls them.

use std::ffi::c_void;

use std::time::{Duration, Instant};

use ringmq::{PollEvents, PollItem};

use crate::errors::{CResult, call, errno_of};
use crate::socket::{Inner, handle};

/// libzmq's poll events.
pub const ZMQ_POLLIN: i16 = 1;
pub const ZMQ_POLLOUT: i16 = 2;
pub const ZMQ_POLLERR: i16 = 4;
pub const ZMQ_POLLPRI: i16 = 8;

/// libzmq's `zmq_pollitem_t`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: libc::c_int,
    pub events: libc::c_short,
    pub revents: libc::c_short,
}

/// ringmq's events for libzmq's bits.
pub(crate) fn events_of(bits: i16) -> PollEvents {
    let mut events = PollEvents::NONE;
    if bits & ZMQ_POLLIN != 0 {
        events |= PollEvents::POLLIN;
    }
    if bits & ZMQ_POLLOUT != 0 {
        events |= PollEvents::POLLOUT;
    }
    if bits & ZMQ_POLLERR != 0 {
        events |= PollEvents::POLLERR;
    }
    events
}

/// libzmq's bits for ringmq's events.
pub(crate) fn bits_of(events: PollEvents) -> i16 {
    let mut bits = 0;
    if events.contains(PollEvents::POLLIN) {
        bits |= ZMQ_POLLIN;
    }
    if events.contains(PollEvents::POLLOUT) {
        bits |= ZMQ_POLLOUT;
    }
    if events.contains(PollEvents::POLLERR) {
        bits |= ZMQ_POLLERR;
    }
    bits
}

/// How one distinct socket of the items is polled.
enum Polled<'a> {
    /// A classic socket: ringmq's poll watches it directly.
    Single,
    /// A thread-safe socket: its ZMQ_FD is polled (readable when something may have
    /// changed) and its ZMQ_EVENTS read, as libzmq polls thread-safe sockets.
    Shared(&'a ringmq::SharedSocket),
}

/// Polls `items`, filling in their `revents`; the number of items with events.
fn poll_items(items: &mut [zmq_pollitem_t], timeout_ms: i64) -> CResult<usize> {
    // Which distinct socket serves each item, merging items of the same socket.
    let mut entry_of = Vec::with_capacity(items.len());
    let mut sockets: Vec<(*mut c_void, i16)> = Vec::new();
    for item in items.iter() {
        if item.socket.is_null() {
            entry_of.push(usize::MAX);
            continue;
        }
        match sockets.iter_mut().position(|(s, _)| *s == item.socket) {
            Some(i) => {
                sockets[i].1 |= item.events;
                entry_of.push(i);
            }
            None => {
                entry_of.push(sockets.len());
                sockets.push((item.socket, item.events));
            }
        }
    }
    let deadline = (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
    let mut kinds = Vec::with_capacity(sockets.len());
    let mut polled = Vec::with_capacity(items.len());
    for &(socket, events) in &sockets {
        // SAFETY: each item's socket is NULL or a live handle (the caller's contract).
        let handle = unsafe { handle(socket) }?;
        match &handle.inner {
            Inner::Single(_) => {
                // SAFETY: each socket appears once in `sockets`, and the caller's thread is
                // the one using it (libzmq's rule), so this is the only reference while
                // polling.
                let socket = unsafe { handle.single_mut() }?;
                polled.push(PollItem::new(socket, events_of(events)));
                kinds.push(Polled::Single);
            }
            Inner::Shared(shared) => {
                let fd = shared.with(|s| s.fd()).map_err(errno_of)?;
                polled.push(PollItem::fd(fd, PollEvents::POLLIN));
                kinds.push(Polled::Shared(shared));
            }
        }
    }
    for (item, entry) in items.iter().zip(entry_of.iter_mut()) {
        if item.socket.is_null() {
            *entry = polled.len();
            polled.push(PollItem::fd(item.fd, events_of(item.events)));
        }
    }
    loop {
        // Thread-safe sockets first: reading their events also re-arms their descriptors.
        let mut shared_ready = vec![0i16; sockets.len()];
        for (i, kind) in kinds.iter().enumerate() {
            if let Polled::Shared(shared) = kind {
                let events = shared.with(|s| s.events()).map_err(errno_of)?;
                shared_ready[i] = bits_of(events) & sockets[i].1;
            }
        }
        let timeout = if shared_ready.iter().any(|&r| r != 0) {
            0
        } else {
            deadline.map_or(-1, |d| {
                d.saturating_duration_since(Instant::now()).as_millis() as i64
            })
        };
        ringmq::poll(&mut polled, timeout).map_err(errno_of)?;
        let mut ready = 0;
        for (item, &entry) in items.iter_mut().zip(&entry_of) {
            let (got, wanted) = if item.socket.is_null() {
                (bits_of(polled[entry].revents()), item.events | ZMQ_POLLERR)
            } else if let Polled::Shared(_) = kinds[entry] {
                (shared_ready[entry], item.events)
            } else {
                (bits_of(polled[entry].revents()), item.events)
            };
            item.revents = got & wanted;
            if item.revents != 0 {
                ready += 1;
            }
        }
        // Only a thread-safe socket's descriptor fired: look at its events again.
        if ready > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(ready);
        }
    }
}

/// `zmq_poll`: waits until one of `items` is ready or `timeout` ms pass (-1 = forever,
/// 0 = just look); returns how many items have events in `revents`.
///
/// # Safety
/// `items` points at `nitems` poll items whose sockets are NULL or live handles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poll(items: *mut zmq_pollitem_t, nitems: i32, timeout: libc::c_long) -> i32 {
    call(-1, || {
        if nitems < 0 {
            return Err(libc::EINVAL);
        }
        if nitems == 0 {
            if timeout > 0 {
                std::thread::sleep(std::time::Duration::from_millis(timeout as u64));
            }
            return Ok(0);
        }
        if items.is_null() {
            return Err(libc::EFAULT);
        }
        // SAFETY: `items` holds `nitems` items by the caller's contract.
        let items = unsafe { std::slice::from_raw_parts_mut(items, nitems as usize) };
        Ok(poll_items(items, timeout)? as i32)
    })
}
