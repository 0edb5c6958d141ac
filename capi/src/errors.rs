//! libzmq's errno values, setting the calling thread's `errno`, and [`call`], the guard every
//! entry point runs in: an error becomes errno and the function's failure value (-1 or
//! NULL), and a panic (a bug in ringmq) becomes EFAULT instead of unwinding into C.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// libzmq's base for the error numbers it defines itself.
pub const ZMQ_HAUSNUMERO: i32 = 156_384_712;
/// The operation is not valid in the socket's current state (REQ sending twice, …).
pub const EFSM: i32 = ZMQ_HAUSNUMERO + 51;
/// The peer speaks no protocol this socket type accepts.
pub const ENOCOMPATPROTO: i32 = ZMQ_HAUSNUMERO + 52;
/// The context was terminated.
pub const ETERM: i32 = ZMQ_HAUSNUMERO + 53;
/// No I/O thread is available.
pub const EMTHREAD: i32 = ZMQ_HAUSNUMERO + 54;

const _: () = assert!(ETERM == ringmq::errno::ETERM && EFSM == ringmq::errno::EFSM);

/// What a failing call reports: an errno value.
pub(crate) type CResult<T> = Result<T, i32>;

/// The errno of a ringmq error (its `errno()` is libzmq's numbering).
pub(crate) fn errno_of(error: ringmq::Error) -> i32 {
    error.errno()
}

/// Sets the calling thread's `errno`, which C callers read directly.
pub(crate) fn set_errno(value: i32) {
    // SAFETY: __errno_location returns the calling thread's errno slot, valid for the
    // thread's whole life.
    unsafe { *libc::__errno_location() = value }
}

/// The calling thread's `errno`.
pub(crate) fn errno() -> i32 {
    // SAFETY: as in `set_errno`.
    unsafe { *libc::__errno_location() }
}

/// Runs one entry point's body: its value on success; on an error, sets errno and returns
/// `failure`; on a panic, sets EFAULT and returns `failure` (unwinding out of an
/// `extern "C"` function would abort the caller's process).
pub(crate) fn call<T>(failure: T, body: impl FnOnce() -> CResult<T>) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(errno)) => {
            set_errno(errno);
            failure
        }
        Err(_) => {
            set_errno(libc::EFAULT);
            failure
        }
    }
}

/// `zmq_errno`: the calling thread's errno (for callers that cannot read it themselves).
#[unsafe(no_mangle)]
pub extern "C" fn zmq_errno() -> i32 {
    errno()
}

/// `zmq_strerror`: a message for `errnum`, libzmq's own for its own numbers and the
/// system's otherwise. The string is static.
#[unsafe(no_mangle)]
pub extern "C" fn zmq_strerror(errnum: i32) -> *const libc::c_char {
    let own: Option<&'static [u8]> = match errnum {
        EFSM => Some(b"Operation cannot be accomplished in current state\0"),
        ENOCOMPATPROTO => Some(b"The protocol is not compatible with the socket type\0"),
        ETERM => Some(b"Context was terminated\0"),
        EMTHREAD => Some(b"No thread available\0"),
        _ => None,
    };
    match own {
        Some(text) => text.as_ptr().cast(),
        // SAFETY: strerror accepts any number and returns a string valid until the next
        // call on this thread, which is libzmq's contract too.
        None => unsafe { libc::strerror(errnum) },
    }
}
