//! Sending and receiving: `zmq_send`, `zmq_send_const`, `zmq_recv`, `zmq_msg_send`,
//! `zmq_msg_recv`, the old `zmq_sendmsg` / `zmq_recvmsg`, and `zmq_sendiov` / `zmq_recviov`.
//!
//! As in libzmq, a message that could not be sent (EAGAIN, ETERM) stays with the caller,
//! RADIO sends a message's group with it and DISH receives it, and the byte-buffer calls
//! return the full frame length even when they truncate.

use std::ffi::{CString, c_void};

use ringmq::{Flags, Msg, SocketType};

use crate::errors::{CResult, call, errno_of};
use crate::msg::{MsgRepr, constant_body, repr, zmq_msg_t};
use crate::socket::{Inner, SocketHandle, handle};

/// libzmq's send and receive flags.
pub const ZMQ_DONTWAIT: i32 = 1;
pub const ZMQ_SNDMORE: i32 = 2;

fn flags_of(flags: i32) -> Flags {
    let mut out = Flags::NONE;
    if flags & ZMQ_DONTWAIT != 0 {
        out |= Flags::DONTWAIT;
    }
    if flags & ZMQ_SNDMORE != 0 {
        out |= Flags::SNDMORE;
    }
    out
}

/// A length as the `int` the C calls return.
fn c_len(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Sends one frame; on failure, the errno and the frame if it still exists.
pub(crate) fn send(
    handle: &SocketHandle,
    msg: Msg,
    group: Option<&CString>,
    flags: i32,
) -> Result<(), (i32, Option<Msg>)> {
    let flags = flags_of(flags);
    if handle.socket_type == SocketType::Radio {
        let group = match group.map(|g| g.to_str()) {
            Some(Ok(group)) => group,
            Some(Err(_)) => return Err((libc::EINVAL, Some(msg))),
            None => "",
        };
        return handle
            .with(|socket| socket.send_group(group, msg, flags))
            .map_err(|e| (errno_of(e), None));
    }
    match &handle.inner {
        Inner::Shared(shared) if !flags.contains(Flags::DONTWAIT) => {
            shared.send(msg, flags).map_err(|e| (errno_of(e), None))
        }
        _ => handle
            .with(|socket| socket.send_or_hand_back(msg, flags))
            .map_err(|unsent| (errno_of(unsent.error), unsent.msg)),
    }
}

/// Receives one frame and, from a DISH, its group.
pub(crate) fn recv(handle: &SocketHandle, flags: i32) -> CResult<(Msg, Option<CString>)> {
    let flags = flags_of(flags);
    if handle.socket_type == SocketType::Dish {
        let (group, body) = match &handle.inner {
            Inner::Shared(_) => return Err(libc::ENOTSUP),
            Inner::Single(_) => handle.with(|socket| socket.recv_group(flags)).map_err(errno_of)?,
        };
        let group = CString::new(group.to_vec()).map_err(|_| libc::EPROTO)?;
        return Ok((body, Some(group)));
    }
    let msg = match &handle.inner {
        Inner::Shared(shared) => shared.recv(flags),
        Inner::Single(_) => handle.with(|socket| socket.recv(flags)),
    }
    .map_err(errno_of)?;
    Ok((msg, None))
}

/// `zmq_send`: sends a copy of `len` octets at `buf`; returns `len`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `buf` holds `len` octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_send(s: *mut c_void, buf: *const c_void, len: usize, flags: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        let body = if len == 0 {
            Msg::new()
        } else if buf.is_null() {
            return Err(libc::EFAULT);
        } else {
            // SAFETY: non-null and holding `len` octets by the caller's contract.
            Msg::copy_from_slice(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) })
        };
        send(handle, body, None, flags).map_err(|(errno, _)| errno)?;
        Ok(c_len(len))
    })
}

/// `zmq_send_const`: sends `len` octets at `buf` without copying them; the buffer must
/// stay valid and unchanged for as long as the library may read it (libzmq's contract:
/// constant data).
///
/// # Safety
/// `s` is NULL or a live socket handle; `buf` holds `len` octets that never change.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_send_const(s: *mut c_void, buf: *const c_void, len: usize, flags: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        if buf.is_null() && len > 0 {
            return Err(libc::EFAULT);
        }
        send(handle, constant_body(buf.cast(), len), None, flags).map_err(|(errno, _)| errno)?;
        Ok(c_len(len))
    })
}

/// `zmq_recv`: receives a frame into `buf`, truncated to `len` octets; returns the
/// frame's whole length.
///
/// # Safety
/// `s` is NULL or a live socket handle; `buf` has room for `len` octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_recv(s: *mut c_void, buf: *mut c_void, len: usize, flags: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        if buf.is_null() && len > 0 {
            return Err(libc::EFAULT);
        }
        let (msg, _) = recv(handle, flags)?;
        let n = msg.len().min(len);
        if n > 0 {
            // SAFETY: `buf` has room for `len` >= `n` octets; a received frame does not
            // overlap the caller's buffer.
            unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n) };
        }
        Ok(c_len(msg.len()))
    })
}

/// `zmq_msg_send`: sends the message, which is empty afterwards; returns its length. On
/// EAGAIN (and ETERM) the message is left as it was.
///
/// # Safety
/// `msg` is NULL or an initialised message the caller owns; `s` is NULL or a live socket.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        // SAFETY: the caller's contract.
        let repr = unsafe { repr(msg) }?;
        let (body, group) = repr.take();
        let len = body.len();
        if let Err((errno, back)) = send(handle, body, group.as_ref(), flags) {
            if let Some(back) = back {
                *repr = MsgRepr::from_msg(back, group);
            }
            return Err(errno);
        }
        Ok(c_len(len))
    })
}

/// `zmq_msg_recv`: receives a frame into the message (its old body released); returns the
/// frame's length.
///
/// # Safety
/// `msg` is NULL or an initialised message the caller owns; `s` is NULL or a live socket.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        // SAFETY: the caller's contract.
        let repr = unsafe { repr(msg) }?;
        let (body, group) = recv(handle, flags)?;
        let len = body.len();
        *repr = MsgRepr::from_msg(body, group);
        Ok(c_len(len))
    })
}

/// `zmq_sendmsg`: the old name of `zmq_msg_send` (arguments swapped).
///
/// # Safety
/// As for [`zmq_msg_send`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: i32) -> i32 {
    // SAFETY: the same contract.
    unsafe { zmq_msg_send(msg, s, flags) }
}

/// `zmq_recvmsg`: the old name of `zmq_msg_recv` (arguments swapped).
///
/// # Safety
/// As for [`zmq_msg_recv`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: i32) -> i32 {
    // SAFETY: the same contract.
    unsafe { zmq_msg_recv(msg, s, flags) }
}

/// `zmq_sendiov`: sends `count` buffers as the frames of one message (copied).
///
/// # Safety
/// `s` is NULL or a live socket handle; `iov` points at `count` iovecs of readable buffers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_sendiov(s: *mut c_void, iov: *mut libc::iovec, count: usize, flags: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        if count == 0 || iov.is_null() {
            return Err(libc::EINVAL);
        }
        // SAFETY: `iov` holds `count` iovecs by the caller's contract.
        let iovs = unsafe { std::slice::from_raw_parts(iov, count) };
        for (i, v) in iovs.iter().enumerate() {
            let body = if v.iov_len == 0 {
                Msg::new()
            } else {
                // SAFETY: each iovec describes a readable buffer (the caller's contract).
                Msg::copy_from_slice(unsafe {
                    std::slice::from_raw_parts(v.iov_base.cast::<u8>(), v.iov_len)
                })
            };
            let more = if i + 1 < count { ZMQ_SNDMORE } else { 0 };
            send(handle, body, None, (flags & !ZMQ_SNDMORE) | more).map_err(|(errno, _)| errno)?;
        }
        Ok(c_len(count))
    })
}

/// `zmq_recviov`: receives up to `*count` frames of one message, each into a buffer this
/// call allocates with `malloc` (the caller frees them); sets `*count` to the frames stored.
///
/// # Safety
/// `s` is NULL or a live socket handle; `iov` has room for `*count` iovecs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_recviov(
    s: *mut c_void,
    iov: *mut libc::iovec,
    count: *mut usize,
    flags: i32,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        if iov.is_null() || count.is_null() {
            return Err(libc::EINVAL);
        }
        // SAFETY: `count` is valid by the caller's contract.
        let room = unsafe { *count };
        let mut stored = 0;
        let mut total = 0usize;
        loop {
            if stored == room {
                break;
            }
            let (msg, _) = recv(handle, flags)?;
            // SAFETY: malloc of the frame's size (at least one octet, so the result is
            // unique); checked for NULL below.
            let buf = unsafe { libc::malloc(msg.len().max(1)) }.cast::<u8>();
            if buf.is_null() {
                return Err(libc::ENOMEM);
            }
            // SAFETY: `buf` has room for the frame; `iov` has room for `room` > `stored`.
            unsafe {
                std::ptr::copy_nonoverlapping(msg.as_ptr(), buf, msg.len());
                *iov.add(stored) = libc::iovec {
                    iov_base: buf.cast(),
                    iov_len: msg.len(),
                };
            }
            stored += 1;
            total += msg.len();
            if !msg.more() {
                break;
            }
        }
        // SAFETY: as above.
        unsafe { *count = stored };
        Ok(c_len(total))
    })
}
