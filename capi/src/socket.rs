//! Sockets: `zmq_socket`, `zmq_close`, `zmq_bind`, `zmq_connect`, `zmq_unbind`,
//! `zmq_disconnect`, `zmq_socket_monitor`, and the socket handle every other module reads.
//!
//! libzmq's threading rule holds: a socket of a classic type is used by one thread at a
//! time (the application moves it between threads with a full memory barrier), so the
//! handle gives that thread the [`Socket`] itself with no lock; the thread-safe draft types
//! (CLIENT, SERVER, SCATTER, GATHER, CHANNEL, PEER) are a [`SharedSocket`], which any
//! thread may call at once.

use std::cell::UnsafeCell;
use std::ffi::{CStr, c_char, c_void};
use std::sync::Arc;

use ringmq::{SharedSocket, Socket, SocketType};

use crate::context::{CtxShared, clone_handle};
use crate::errors::{CResult, call, errno_of};

/// Tells a live socket handle from anything else (ENOTSOCK).
const ALIVE: u32 = 0x736f_636b;

/// The socket behind a handle.
// The handle is boxed once; boxing the socket inside it again would add a pointer chase to
// every call on the classic types.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Inner {
    /// One thread at a time, by libzmq's rule for these types.
    Single(UnsafeCell<Socket>),
    /// Any thread, at once.
    Shared(SharedSocket),
}

/// What a socket handle points at.
#[derive(Debug)]
pub struct SocketHandle {
    alive: u32,
    pub(crate) inner: Inner,
    pub(crate) socket_type: SocketType,
    /// Keeps the context's handle (and its socket count) valid until the socket is closed.
    context: Arc<CtxShared>,
    /// Option values ringmq's socket takes but does not report (see `options`).
    pub(crate) kept: crate::options::Kept,
}

impl SocketHandle {
    /// Runs `f` on the socket itself: directly for the classic types, under the shared
    /// socket's lock for the thread-safe ones (so `f` must not block).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Socket) -> R) -> R {
        match &self.inner {
            // SAFETY: libzmq's rule, which the caller accepted: a socket of a classic type
            // is used by one thread at a time, so no other reference to it exists now.
            Inner::Single(cell) => f(unsafe { &mut *cell.get() }),
            Inner::Shared(shared) => shared.with(f),
        }
    }

    /// The socket itself for code that holds it for a while (poll, proxy); ENOTSUP for
    /// the thread-safe types, which libzmq's zmq_poll and zmq_proxy do not take either.
    ///
    /// # Safety
    /// No other reference to this socket may be alive while the result is (libzmq's
    /// one-thread-at-a-time rule, and the caller passing each socket once).
    // A `&mut` out of `&self` is what the UnsafeCell is for, under the contract above.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn single_mut(&self) -> CResult<&mut Socket> {
        match &self.inner {
            // SAFETY: the caller's contract.
            Inner::Single(cell) => Ok(unsafe { &mut *cell.get() }),
            Inner::Shared(_) => Err(libc::ENOTSUP),
        }
    }
}

/// The socket behind a C handle, or ENOTSOCK.
///
/// # Safety
/// `s` is NULL or a pointer from `zmq_socket` not yet closed.
pub(crate) unsafe fn handle<'a>(s: *mut c_void) -> CResult<&'a SocketHandle> {
    if s.is_null() {
        return Err(libc::ENOTSOCK);
    }
    // SAFETY: non-null, so by the caller's contract a live `SocketHandle`.
    let handle = unsafe { &*s.cast::<SocketHandle>() };
    if handle.alive != ALIVE {
        return Err(libc::ENOTSOCK);
    }
    Ok(handle)
}

/// A C string argument as UTF-8 (EINVAL for NULL or invalid UTF-8).
///
/// # Safety
/// `s` is NULL or a NUL-terminated string.
pub(crate) unsafe fn c_str<'a>(s: *const c_char) -> CResult<&'a str> {
    if s.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(s) }.to_str().map_err(|_| libc::EINVAL)
}

/// The socket type of libzmq's number, or EINVAL.
pub(crate) fn socket_type(number: i32) -> CResult<SocketType> {
    use SocketType::*;
    Ok(match number {
        0 => Pair,
        1 => Pub,
        2 => Sub,
        3 => Req,
        4 => Rep,
        5 => Dealer,
        6 => Router,
        7 => Pull,
        8 => Push,
        9 => XPub,
        10 => XSub,
        11 => Stream,
        12 => Server,
        13 => Client,
        14 => Radio,
        15 => Dish,
        16 => Gather,
        17 => Scatter,
        18 => Dgram,
        19 => Peer,
        20 => Channel,
        _ => return Err(libc::EINVAL),
    })
}

/// The thread-safe types, as libzmq makes them (and ringmq's `shared_socket` serves).
fn is_thread_safe(socket_type: SocketType) -> bool {
    use SocketType::*;
    matches!(socket_type, Server | Client | Gather | Scatter | Peer | Channel)
}

/// `zmq_socket`: a new socket of `type_` in `ctx`. EINVAL for an unknown type, ETERM after
/// the context was shut down, EMFILE beyond ZMQ_MAX_SOCKETS, EFAULT for a bad context.
///
/// # Safety
/// `ctx` is NULL or a live context handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_socket(ctx: *mut c_void, type_: i32) -> *mut c_void {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let context_handle = unsafe { clone_handle(ctx) }?;
        let socket_type = socket_type(type_)?;
        let (context, options) = context_handle.context_for_new_socket()?;
        let inner = if is_thread_safe(socket_type) {
            let shared = context.shared_socket(socket_type).map_err(errno_of)?;
            shared.with(|s| apply_context_defaults(s, &options))?;
            Inner::Shared(shared)
        } else {
            let mut socket = context.socket(socket_type).map_err(errno_of)?;
            apply_context_defaults(&mut socket, &options)?;
            Inner::Single(UnsafeCell::new(socket))
        };
        context_handle.socket_opened();
        let handle = Box::new(SocketHandle {
            alive: ALIVE,
            inner,
            socket_type,
            context: context_handle,
            kept: Default::default(),
        });
        Ok(Box::into_raw(handle).cast())
    })
}

/// What a context's options give its new sockets: ZMQ_IPV6, and LINGER 0 when ZMQ_BLOCKY
/// is off (libzmq's "do not block in zmq_ctx_term").
fn apply_context_defaults(socket: &mut Socket, options: &crate::context::CtxOptions) -> CResult<()> {
    if options.ipv6 {
        socket.set_ipv6(true).map_err(errno_of)?;
    }
    if !options.blocky {
        socket.set_linger(0).map_err(errno_of)?;
    }
    Ok(())
}

/// `zmq_close`: closes the socket; what it queued keeps going for up to LINGER.
///
/// # Safety
/// `s` is NULL or a live socket handle, which is invalid once this returns 0. No other
/// thread may be using it (libzmq's rule).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_close(s: *mut c_void) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { handle(s) }?;
        // SAFETY: a live handle from `Box::into_raw` in `zmq_socket`, given back once.
        let mut boxed = unsafe { Box::from_raw(s.cast::<SocketHandle>()) };
        boxed.alive = 0;
        let context = boxed.context.clone();
        drop(boxed);
        context.socket_closed();
        Ok(0)
    })
}

/// Runs an endpoint call: the handle and the string checked, then `f`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
unsafe fn endpoint_call(
    s: *mut c_void,
    addr: *const c_char,
    f: impl FnOnce(&mut Socket, &str) -> ringmq::Result<()>,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        // SAFETY: the caller's contract.
        let addr = unsafe { c_str(addr) }?;
        handle.with(|socket| f(socket, addr)).map_err(errno_of)?;
        Ok(0)
    })
}

/// `zmq_bind`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_bind(s: *mut c_void, addr: *const c_char) -> i32 {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::bind) }
}

/// `zmq_connect`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_connect(s: *mut c_void, addr: *const c_char) -> i32 {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::connect) }
}

/// `zmq_unbind`: ENOENT if the socket is not bound there.
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_unbind(s: *mut c_void, addr: *const c_char) -> i32 {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::unbind) }
}

/// `zmq_disconnect`: ENOENT if the socket is not connected there.
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_disconnect(s: *mut c_void, addr: *const c_char) -> i32 {
    // SAFETY: the same contract.
    unsafe { endpoint_call(s, addr, Socket::disconnect) }
}

/// `zmq_socket_monitor`: publishes the socket's events of the kinds in `events` on a PAIR
/// socket bound at `addr` (inproc only); `addr` NULL stops the monitor.
///
/// # Safety
/// `s` is NULL or a live socket handle; `addr` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_socket_monitor(s: *mut c_void, addr: *const c_char, events: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        if addr.is_null() {
            handle.with(|socket| socket.stop_monitor());
            return Ok(0);
        }
        // SAFETY: the caller's contract.
        let addr = unsafe { c_str(addr) }?;
        handle
            .with(|socket| socket.monitor(addr, events as u32))
            .map_err(errno_of)?;
        Ok(0)
    })
}
