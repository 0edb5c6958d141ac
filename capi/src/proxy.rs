//! `zmq_proxy`, `zmq_proxy_steerable` and the old `zmq_device`, on ringmq's proxy.

use std::ffi::c_void;

use ringmq::Socket;

use crate::errors::{CResult, call, errno_of};
use crate::socket::handle;

/// The old device types `zmq_device` takes (any of them runs a proxy).
pub const ZMQ_STREAMER: i32 = 1;
pub const ZMQ_FORWARDER: i32 = 2;
pub const ZMQ_QUEUE: i32 = 3;

/// Runs the proxy over the given sockets; a frontend that is also the backend proxies to
/// itself, as libzmq allows.
///
/// # Safety
/// Each pointer is NULL (capture, control) or a live socket handle used by this thread only.
unsafe fn run(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> CResult<()> {
    if frontend.is_null() || backend.is_null() {
        return Err(libc::EFAULT);
    }
    if frontend == backend {
        // SAFETY: the caller's contract.
        let mut s = unsafe { sockets(&[frontend, capture, control]) }?;
        let control = s.pop().flatten();
        let capture = s.pop().flatten();
        let socket = s.pop().flatten().expect("checked non-null");
        return ringmq::proxy_single(socket, capture, control).map_err(errno_of);
    }
    // SAFETY: the caller's contract.
    let mut s = unsafe { sockets(&[frontend, backend, capture, control]) }?;
    let control = s.pop().flatten();
    let capture = s.pop().flatten();
    let backend = s.pop().flatten().expect("checked non-null");
    let frontend = s.pop().flatten().expect("checked non-null");
    match control {
        Some(control) => ringmq::proxy_steerable(frontend, backend, capture, control),
        None => ringmq::proxy(frontend, backend, capture),
    }
    .map_err(errno_of)
}

/// The sockets of a proxy call: distinct, live, and of the classic types.
///
/// # Safety
/// Each pointer is NULL (where allowed) or a live socket handle used by this thread only.
unsafe fn sockets<'a>(pointers: &[*mut c_void]) -> CResult<Vec<Option<&'a mut Socket>>> {
    for (i, p) in pointers.iter().enumerate() {
        if !p.is_null() && pointers[..i].contains(p) {
            return Err(libc::EINVAL);
        }
    }
    pointers
        .iter()
        .map(|&p| {
            if p.is_null() {
                return Ok(None);
            }
            // SAFETY: the caller's contract; distinct sockets, so one reference each.
            unsafe { handle(p)?.single_mut().map(Some) }
        })
        .collect()
}

/// `zmq_proxy`: moves messages between `frontend` and `backend` (and copies them to
/// `capture` if not NULL) until the context terminates; then -1 with ETERM, as in libzmq.
/// `frontend` may be `backend`: the socket's messages go back out of it.
///
/// # Safety
/// The sockets are live handles (capture may be NULL), not used by other threads meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_proxy(frontend: *mut c_void, backend: *mut c_void, capture: *mut c_void) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { run(frontend, backend, capture, std::ptr::null_mut()) }.map(|()| 0)
    })
}

/// `zmq_proxy_steerable`: as `zmq_proxy`, obeying PAUSE, RESUME, TERMINATE and STATISTICS
/// on `control` (if not NULL); returns 0 after TERMINATE.
///
/// # Safety
/// The sockets are live handles (capture and control may be NULL), not used by other
/// threads meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { run(frontend, backend, capture, control) }.map(|()| 0)
    })
}

/// `zmq_device`: the old form of `zmq_proxy` (the device type is not used).
///
/// # Safety
/// As for [`zmq_proxy`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_device(_type: i32, frontend: *mut c_void, backend: *mut c_void) -> i32 {
    // SAFETY: the same contract.
    unsafe { zmq_proxy(frontend, backend, std::ptr::null_mut()) }
}
