//! libzmq's utilities: `zmq_version`, `zmq_has`, Z85 and CURVE keys, atomic counters, the
//! stopwatch, `zmq_sleep` and `zmq_threadstart` / `zmq_threadclose`.

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

use zeroize::Zeroizing;

use crate::errors::{CResult, call, errno_of};
use crate::handles::{into_handle, take_from_slot};
use crate::socket::c_str;

/// The libzmq version this library stands in for.
pub const ZMQ_VERSION_MAJOR: i32 = 4;
pub const ZMQ_VERSION_MINOR: i32 = 3;
pub const ZMQ_VERSION_PATCH: i32 = 5;

/// `zmq_version`: 4.3.5, the libzmq whose API this is.
///
/// # Safety
/// Each pointer is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_version(major: *mut i32, minor: *mut i32, patch: *mut i32) {
    for (out, value) in [
        (major, ZMQ_VERSION_MAJOR),
        (minor, ZMQ_VERSION_MINOR),
        (patch, ZMQ_VERSION_PATCH),
    ] {
        if !out.is_null() {
            // SAFETY: non-null and writable by the caller's contract.
            unsafe { *out = value };
        }
    }
}

/// `zmq_has`: 1 for what ringmq serves (ipc, curve, draft), 0 for the rest (pgm, tipc,
/// norm, gssapi, vmci, ws, wss).
///
/// # Safety
/// `capability` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_has(capability: *const c_char) -> i32 {
    call(0, || {
        // SAFETY: the caller's contract.
        let name = unsafe { c_str(capability) }?;
        Ok(i32::from(matches!(name, "ipc" | "curve" | "draft")))
    })
}

/// Copies `text` and a NUL to `dest`.
///
/// # Safety
/// `dest` has room for `text.len() + 1` octets.
unsafe fn write_c_string(dest: *mut c_char, text: &str) {
    // SAFETY: the caller's contract.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), dest.cast::<u8>(), text.len());
        *dest.add(text.len()) = 0;
    }
}

/// `zmq_z85_encode`: `size` octets (a multiple of 4) as Z85 text in `dest` (room for
/// `size * 5 / 4 + 1`); returns `dest`, or NULL with EINVAL.
///
/// # Safety
/// `data` holds `size` octets; `dest` has room for the text and its NUL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char {
    call(std::ptr::null_mut(), || {
        if dest.is_null() || (data.is_null() && size > 0) || size % 4 != 0 {
            return Err(libc::EINVAL);
        }
        let bytes = if size == 0 {
            &[][..]
        } else {
            // SAFETY: non-null and holding `size` octets by the caller's contract.
            unsafe { std::slice::from_raw_parts(data, size) }
        };
        let text = Zeroizing::new(ringmq::z85_encode(bytes).map_err(errno_of)?);
        // SAFETY: `dest` has room for size * 5 / 4 + 1 octets, which is the text and NUL.
        unsafe { write_c_string(dest, &text) };
        Ok(dest)
    })
}

/// `zmq_z85_decode`: Z85 text (a multiple of 5 characters) into `dest` (room for
/// `strlen * 4 / 5`); returns `dest`, or NULL with EINVAL.
///
/// # Safety
/// `string` is a NUL-terminated string; `dest` has room for the decoded octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let text = unsafe { c_str(string) }?;
        if dest.is_null() || text.len() % 5 != 0 {
            return Err(libc::EINVAL);
        }
        let bytes = Zeroizing::new(ringmq::z85_decode(text).map_err(errno_of)?);
        // SAFETY: `dest` has room for len * 4 / 5 octets, which is what decoding gives.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dest, bytes.len()) };
        Ok(dest)
    })
}

/// `zmq_curve_keypair`: a fresh CURVE key pair, each key as 40 Z85 characters and a NUL.
///
/// # Safety
/// Both pointers have room for 41 octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_curve_keypair(z85_public_key: *mut c_char, z85_secret_key: *mut c_char) -> i32 {
    call(-1, || {
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(libc::EINVAL);
        }
        let (public, secret) = ringmq::curve_keypair();
        // SAFETY: both have room for 41 octets by the caller's contract.
        unsafe {
            write_c_string(z85_public_key, &public);
            write_c_string(z85_secret_key, &secret);
        }
        Ok(0)
    })
}

/// `zmq_curve_public`: the Z85 public key of a Z85 secret key.
///
/// # Safety
/// `z85_public_key` has room for 41 octets; `z85_secret_key` is a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_curve_public(z85_public_key: *mut c_char, z85_secret_key: *const c_char) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let secret = unsafe { c_str(z85_secret_key) }?;
        if z85_public_key.is_null() {
            return Err(libc::EINVAL);
        }
        let public = ringmq::curve_public(secret).map_err(errno_of)?;
        // SAFETY: room for 41 octets by the caller's contract.
        unsafe { write_c_string(z85_public_key, &public) };
        Ok(0)
    })
}

/// The counter behind an atomic-counter handle.
///
/// # Safety
/// `counter` is NULL or a handle from `zmq_atomic_counter_new` not yet destroyed.
unsafe fn counter<'a>(counter: *mut c_void) -> CResult<&'a AtomicI32> {
    if counter.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: non-null, so a live counter by the caller's contract.
    Ok(unsafe { &*counter.cast::<AtomicI32>() })
}

/// `zmq_atomic_counter_new`: a counter at 0, safe to use from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    into_handle(AtomicI32::new(0))
}

/// `zmq_atomic_counter_set`.
///
/// # Safety
/// `counter` is a live counter handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_atomic_counter_set(counter_: *mut c_void, value: i32) {
    // SAFETY: the caller's contract.
    if let Ok(c) = unsafe { counter(counter_) } {
        c.store(value, Ordering::SeqCst);
    }
}

/// `zmq_atomic_counter_inc`: adds one; returns the value before.
///
/// # Safety
/// `counter` is a live counter handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_atomic_counter_inc(counter_: *mut c_void) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { counter(counter_) }.map_or(-1, |c| c.fetch_add(1, Ordering::SeqCst))
}

/// `zmq_atomic_counter_dec`: takes one away; returns 1 if the counter is still above zero,
/// 0 if it reached it.
///
/// # Safety
/// `counter` is a live counter handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_atomic_counter_dec(counter_: *mut c_void) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { counter(counter_) }.map_or(-1, |c| i32::from(c.fetch_sub(1, Ordering::SeqCst) - 1 != 0))
}

/// `zmq_atomic_counter_value`.
///
/// # Safety
/// `counter` is a live counter handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_atomic_counter_value(counter_: *mut c_void) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { counter(counter_) }.map_or(-1, |c| c.load(Ordering::SeqCst))
}

/// `zmq_atomic_counter_destroy`: frees the counter and sets `*counter_p` to NULL.
///
/// # Safety
/// `counter_p` is NULL or points at NULL or a live counter handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    // SAFETY: the caller's contract; the slot holds a handle from `zmq_atomic_counter_new`.
    // libzmq's version returns nothing, so a NULL slot or handle is simply ignored.
    let _ = unsafe { take_from_slot::<AtomicI32>(counter_p) };
}

/// `zmq_stopwatch_start`: a stopwatch running from now.
#[unsafe(no_mangle)]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    into_handle(Instant::now())
}

/// `zmq_stopwatch_intermediate`: microseconds since the stopwatch started.
///
/// # Safety
/// `watch` is a live stopwatch handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> libc::c_ulong {
    if watch.is_null() {
        return 0;
    }
    // SAFETY: a live stopwatch by the caller's contract.
    let start = unsafe { *watch.cast::<Instant>() };
    start.elapsed().as_micros() as libc::c_ulong
}

/// `zmq_stopwatch_stop`: microseconds since the stopwatch started; frees it.
///
/// # Safety
/// `watch` is a live stopwatch handle, invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> libc::c_ulong {
    if watch.is_null() {
        return 0;
    }
    // SAFETY: a handle from `zmq_stopwatch_start`, freed once.
    let start = unsafe { Box::from_raw(watch.cast::<Instant>()) };
    start.elapsed().as_micros() as libc::c_ulong
}

/// `zmq_sleep`: sleeps `seconds` seconds.
#[unsafe(no_mangle)]
pub extern "C" fn zmq_sleep(seconds: i32) {
    if seconds > 0 {
        std::thread::sleep(std::time::Duration::from_secs(seconds as u64));
    }
}

/// The function `zmq_threadstart` runs.
pub type ThreadFn = unsafe extern "C" fn(arg: *mut c_void);

/// A thread's argument, sent to it (libzmq's contract: the function may use it there).
struct ThreadArg(*mut c_void);

// SAFETY: zmq_threadstart's contract hands `arg` to the new thread.
unsafe impl Send for ThreadArg {}

/// `zmq_threadstart`: runs `func(arg)` on a new thread; join it with `zmq_threadclose`.
///
/// # Safety
/// `func` is a function that may be called with `arg` on another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_threadstart(func: Option<ThreadFn>, arg: *mut c_void) -> *mut c_void {
    call(std::ptr::null_mut(), || {
        let func = func.ok_or(libc::EINVAL)?;
        let arg = ThreadArg(arg);
        let thread = std::thread::Builder::new()
            .name("zmq-thread".into())
            .spawn(move || {
                let arg = arg;
                // SAFETY: the caller's contract.
                unsafe { func(arg.0) }
            })
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EAGAIN))?;
        Ok(Box::into_raw(Box::new(thread)).cast())
    })
}

/// `zmq_threadclose`: waits for a thread from `zmq_threadstart` to end.
///
/// # Safety
/// `thread` is a handle from `zmq_threadstart`, closed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_threadclose(thread: *mut c_void) {
    if thread.is_null() {
        return;
    }
    // SAFETY: a handle from `zmq_threadstart`, given back once.
    let thread = unsafe { Box::from_raw(thread.cast::<std::thread::JoinHandle<()>>()) };
    let _ = thread.join();
}
