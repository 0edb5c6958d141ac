//! The draft functions ringmq serves: `zmq_join` / `zmq_leave` (DISH), `zmq_connect_peer`
//! (PEER), and the poller (`zmq_poller_*`) over sockets of every type and file descriptors. (The
//! message draft functions, routing id and group, are in `msg`.) The header declares them
//! only under ZMQ_BUILD_DRAFT_API, as libzmq's does; the library always exports them.

use std::ffi::{c_char, c_void};

use crate::errors::{CResult, call, errno_of};
use crate::handles::{into_handle, take_from_slot};
use crate::poll::{ZMQ_POLLERR, zmq_pollitem_t};
use crate::socket::{c_str, handle};

/// `zmq_join` (DISH): receive the messages of `group`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `group` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let (handle, group) = unsafe { (handle(s)?, c_str(group)?) };
        handle.with(|socket| socket.join(group)).map_err(errno_of)?;
        Ok(0)
    })
}

/// `zmq_leave` (DISH): stop receiving `group`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `group` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let (handle, group) = unsafe { (handle(s)?, c_str(group)?) };
        handle.with(|socket| socket.leave(group)).map_err(errno_of)?;
        Ok(0)
    })
}

/// `zmq_connect_peer` (PEER): connects and returns the routing id of the peer to be, for
/// addressing messages to it (0 with errno on failure).
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_connect_peer(s: *mut c_void, addr: *const c_char) -> u32 {
    call(0, || {
        // SAFETY: the caller's contract.
        let (handle, addr) = unsafe { (handle(s)?, c_str(addr)?) };
        handle.with(|socket| socket.connect_peer(addr)).map_err(errno_of)
    })
}

/// libzmq's `zmq_poller_event_t`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: libc::c_int,
    pub user_data: *mut c_void,
    pub events: libc::c_short,
}

/// One registration of a poller.
#[derive(Debug)]
struct Entry {
    socket: *mut c_void,
    fd: libc::c_int,
    user_data: *mut c_void,
    events: i16,
}

/// A poller: its registrations, polled with `zmq_poll`'s machinery on each wait.
#[derive(Debug, Default)]
pub struct Poller {
    entries: Vec<Entry>,
}

/// The poller behind a handle, or EFAULT.
///
/// # Safety
/// `p` is NULL or a live poller handle used by this thread only.
unsafe fn poller<'a>(p: *mut c_void) -> CResult<&'a mut Poller> {
    if p.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: non-null, so a live poller by the caller's contract.
    Ok(unsafe { &mut *p.cast::<Poller>() })
}

/// `zmq_poller_new`.
#[unsafe(no_mangle)]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    into_handle(Poller::default())
}

/// `zmq_poller_destroy`: frees the poller and sets `*poller_p` to NULL.
///
/// # Safety
/// `poller_p` is NULL or points at NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract; the slot holds a handle from `zmq_poller_new`.
        drop(unsafe { take_from_slot::<Poller>(poller_p) }?);
        Ok(0)
    })
}

/// `zmq_poller_size`: the number of registrations.
///
/// # Safety
/// `p` is NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_size(p: *mut c_void) -> i32 {
    // SAFETY: the caller's contract.
    call(-1, || Ok(unsafe { poller(p) }?.entries.len() as i32))
}

fn position(poller: &Poller, socket: *mut c_void, fd: libc::c_int) -> Option<usize> {
    poller.entries.iter().position(|e| {
        if socket.is_null() {
            e.socket.is_null() && e.fd == fd
        } else {
            e.socket == socket
        }
    })
}

/// `zmq_poller_add`: watches `socket` for `events`; EINVAL if it is there already.
///
/// # Safety
/// `p` is NULL or a live poller; `socket` is NULL or a live socket handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_add(
    p: *mut c_void,
    socket: *mut c_void,
    user_data: *mut c_void,
    events: i16,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let poller = unsafe { poller(p)? };
        // SAFETY: the caller's contract (checked to be a socket).
        unsafe { handle(socket) }?;
        if position(poller, socket, -1).is_some() {
            return Err(libc::EINVAL);
        }
        poller.entries.push(Entry {
            socket,
            fd: -1,
            user_data,
            events,
        });
        Ok(0)
    })
}

/// `zmq_poller_add_fd`: watches a file descriptor; EINVAL if it is there already.
///
/// # Safety
/// `p` is NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_add_fd(
    p: *mut c_void,
    fd: libc::c_int,
    user_data: *mut c_void,
    events: i16,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let poller = unsafe { poller(p) }?;
        if fd < 0 {
            return Err(libc::EBADF);
        }
        if position(poller, std::ptr::null_mut(), fd).is_some() {
            return Err(libc::EINVAL);
        }
        poller.entries.push(Entry {
            socket: std::ptr::null_mut(),
            fd,
            user_data,
            events,
        });
        Ok(0)
    })
}

/// Changes or removes a registration (EINVAL if there is none).
///
/// # Safety
/// `p` is NULL or a live poller handle.
unsafe fn change(p: *mut c_void, socket: *mut c_void, fd: libc::c_int, events: Option<i16>) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let poller = unsafe { poller(p) }?;
        let i = position(poller, socket, fd).ok_or(libc::EINVAL)?;
        match events {
            Some(events) => poller.entries[i].events = events,
            None => {
                poller.entries.remove(i);
            }
        }
        Ok(0)
    })
}

/// `zmq_poller_modify`.
///
/// # Safety
/// `p` is NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_modify(p: *mut c_void, socket: *mut c_void, events: i16) -> i32 {
    if socket.is_null() {
        crate::errors::set_errno(libc::ENOTSOCK);
        return -1;
    }
    // SAFETY: the caller's contract.
    unsafe { change(p, socket, -1, Some(events)) }
}

/// `zmq_poller_modify_fd`.
///
/// # Safety
/// `p` is NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_modify_fd(p: *mut c_void, fd: libc::c_int, events: i16) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { change(p, std::ptr::null_mut(), fd, Some(events)) }
}

/// `zmq_poller_remove`.
///
/// # Safety
/// `p` is NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_remove(p: *mut c_void, socket: *mut c_void) -> i32 {
    if socket.is_null() {
        crate::errors::set_errno(libc::ENOTSOCK);
        return -1;
    }
    // SAFETY: the caller's contract.
    unsafe { change(p, socket, -1, None) }
}

/// `zmq_poller_remove_fd`.
///
/// # Safety
/// `p` is NULL or a live poller handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_remove_fd(p: *mut c_void, fd: libc::c_int) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { change(p, std::ptr::null_mut(), fd, None) }
}

/// `zmq_poller_wait_all`: waits up to `timeout` ms (-1 = forever) for registrations to be
/// ready and fills in up to `n_events` events; the number filled in, or -1 with EAGAIN if
/// none was ready in time.
///
/// # Safety
/// `p` is NULL or a live poller handle; `events` has room for `n_events` events.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_wait_all(
    p: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: i32,
    timeout: libc::c_long,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let poller = unsafe { poller(p) }?;
        if events.is_null() || n_events < 0 {
            return Err(libc::EFAULT);
        }
        let mut items: Vec<zmq_pollitem_t> = poller
            .entries
            .iter()
            .map(|e| zmq_pollitem_t {
                socket: e.socket,
                fd: e.fd,
                events: e.events,
                revents: 0,
            })
            .collect();
        // SAFETY: the registered sockets are live handles (the caller's contract).
        let ready = unsafe { crate::poll::zmq_poll(items.as_mut_ptr(), items.len() as i32, timeout) };
        if ready < 0 {
            return Err(crate::errors::errno());
        }
        let mut filled = 0usize;
        for (entry, item) in poller.entries.iter().zip(&items) {
            if filled == n_events as usize {
                break;
            }
            let revents = item.revents & (entry.events | ZMQ_POLLERR);
            if revents == 0 {
                continue;
            }
            // SAFETY: `events` has room for `n_events` > `filled` events.
            unsafe {
                *events.add(filled) = zmq_poller_event_t {
                    socket: entry.socket,
                    fd: entry.fd,
                    user_data: entry.user_data,
                    events: revents,
                };
            }
            filled += 1;
        }
        if filled == 0 {
            return Err(libc::EAGAIN);
        }
        Ok(filled as i32)
    })
}

/// `zmq_poller_wait`: as `zmq_poller_wait_all` for one event; 0 when it was filled in.
///
/// # Safety
/// As for [`zmq_poller_wait_all`], with room for one event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_poller_wait(
    p: *mut c_void,
    event: *mut zmq_poller_event_t,
    timeout: libc::c_long,
) -> i32 {
    // SAFETY: the same contract.
    let n = unsafe { zmq_poller_wait_all(p, event, 1, timeout) };
    if n < 0 { -1 } else { 0 }
}
