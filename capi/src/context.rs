//! Contexts: `zmq_ctx_new` / `term` / `shutdown` / `set` / `get` and the old `zmq_init` /
//! `zmq_term` / `zmq_ctx_destroy`.
//!
//! The handle given to C is an `Arc<CtxShared>` turned into a pointer; each socket holds a
//! clone, so a socket closed while `zmq_ctx_term` returns never touches freed memory. The
//! ringmq [`Context`] is made when the first socket is, as libzmq starts its I/O threads,
//! so that ZMQ_IO_THREADS set before then decides how many shards it has.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ringmq::Context;

use crate::errors::{CResult, ETERM, call, errno_of};

/// Context options (libzmq's numbers).
pub const ZMQ_IO_THREADS: i32 = 1;
pub const ZMQ_MAX_SOCKETS: i32 = 2;
pub const ZMQ_SOCKET_LIMIT: i32 = 3;
pub const ZMQ_THREAD_PRIORITY: i32 = 3;
pub const ZMQ_THREAD_SCHED_POLICY: i32 = 4;
pub const ZMQ_MAX_MSGSZ: i32 = 5;
pub const ZMQ_MSG_T_SIZE: i32 = 6;
pub const ZMQ_THREAD_AFFINITY_CPU_ADD: i32 = 7;
pub const ZMQ_THREAD_AFFINITY_CPU_REMOVE: i32 = 8;
pub const ZMQ_THREAD_NAME_PREFIX: i32 = 9;
pub const ZMQ_IPV6: i32 = 42;
pub const ZMQ_BLOCKY: i32 = 70;

/// libzmq's defaults and limits.
const DEFAULT_IO_THREADS: i32 = 1;
const DEFAULT_MAX_SOCKETS: i32 = 1023;
const SOCKET_LIMIT: i32 = 65535;

/// Tells a live context handle from a stray pointer.
const ALIVE: u32 = 0x7a63_7478;

/// The options of a context, as `zmq_ctx_set` left them.
#[derive(Debug, Clone)]
pub(crate) struct CtxOptions {
    pub io_threads: i32,
    pub max_sockets: i32,
    pub ipv6: bool,
    pub blocky: bool,
    pub max_msgsz: i32,
    pub thread_sched_policy: i32,
    pub thread_name_prefix: i32,
}

impl Default for CtxOptions {
    fn default() -> Self {
        Self {
            io_threads: DEFAULT_IO_THREADS,
            max_sockets: DEFAULT_MAX_SOCKETS,
            ipv6: false,
            blocky: true,
            max_msgsz: i32::MAX,
            thread_sched_policy: -1,
            thread_name_prefix: -1,
        }
    }
}

#[derive(Debug, Default)]
struct CtxState {
    options: CtxOptions,
    /// Made with the first socket.
    context: Option<Context>,
    /// `zmq_ctx_shutdown` or `zmq_ctx_term` was called: no new sockets.
    shut: bool,
}

/// What a context handle points at.
#[derive(Debug)]
pub struct CtxShared {
    alive: AtomicU32,
    state: Mutex<CtxState>,
    /// Sockets made and not yet closed (for ZMQ_MAX_SOCKETS).
    open_sockets: AtomicUsize,
}

impl CtxShared {
    fn state(&self) -> MutexGuard<'_, CtxState> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The ringmq context and the options for a new socket, making the context now if this
    /// is the first socket; ETERM after shutdown, EMFILE beyond ZMQ_MAX_SOCKETS.
    pub(crate) fn context_for_new_socket(&self) -> CResult<(Context, CtxOptions)> {
        let mut state = self.state();
        if state.shut {
            return Err(ETERM);
        }
        let limit = usize::try_from(state.options.max_sockets).unwrap_or(0);
        if self.open_sockets.load(Ordering::Acquire) >= limit {
            return Err(libc::EMFILE);
        }
        let context = match &state.context {
            Some(context) => context.clone(),
            None => {
                let shards = usize::try_from(state.options.io_threads.max(1)).unwrap_or(1);
                let context = Context::builder()
                    .shards(shards)
                    .pin_cores(false)
                    .build()
                    .map_err(errno_of)?;
                state.context = Some(context.clone());
                context
            }
        };
        Ok((context, state.options.clone()))
    }

    /// Counts a socket made (after `context_for_new_socket` succeeded and it exists).
    pub(crate) fn socket_opened(&self) {
        self.open_sockets.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts a socket closed.
    pub(crate) fn socket_closed(&self) {
        self.open_sockets.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The context behind a C handle, or EFAULT for NULL or a handle that is not a live context.
///
/// # Safety
/// `ctx` is NULL or a pointer `zmq_ctx_new` returned whose context was not terminated.
pub(crate) unsafe fn shared<'a>(ctx: *mut c_void) -> CResult<&'a CtxShared> {
    if ctx.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: non-null, so by the caller's contract a live `CtxShared` from `Arc::into_raw`.
    let shared = unsafe { &*ctx.cast::<CtxShared>() };
    if shared.alive.load(Ordering::Acquire) != ALIVE {
        return Err(libc::EFAULT);
    }
    Ok(shared)
}

/// A new reference to the context behind `ctx` (a socket keeps one).
///
/// # Safety
/// As for [`shared`].
pub(crate) unsafe fn clone_handle(ctx: *mut c_void) -> CResult<Arc<CtxShared>> {
    // SAFETY: the caller's contract.
    unsafe { shared(ctx) }?;
    let ptr = ctx.cast::<CtxShared>().cast_const();
    // SAFETY: `ptr` came from `Arc::into_raw` and that reference is still held (the
    // context is live), so adding one and taking it is sound.
    unsafe {
        Arc::increment_strong_count(ptr);
        Ok(Arc::from_raw(ptr))
    }
}

/// `zmq_ctx_new`: a new context (its I/O threads start with its first socket).
#[unsafe(no_mangle)]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    call(std::ptr::null_mut(), || {
        let shared = Arc::new(CtxShared {
            alive: AtomicU32::new(ALIVE),
            state: Mutex::new(CtxState::default()),
            open_sockets: AtomicUsize::new(0),
        });
        Ok(Arc::into_raw(shared).cast_mut().cast())
    })
}

/// `zmq_init`: a context with `io_threads` I/O threads (deprecated by libzmq).
#[unsafe(no_mangle)]
pub extern "C" fn zmq_init(io_threads: i32) -> *mut c_void {
    if io_threads < 0 {
        crate::errors::set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    let ctx = zmq_ctx_new();
    if !ctx.is_null() {
        // SAFETY: a live handle just made.
        let _ = unsafe { zmq_ctx_set(ctx, ZMQ_IO_THREADS, io_threads) };
    }
    ctx
}

/// `zmq_ctx_shutdown`: blocking calls on the context's sockets fail with ETERM, as do new
/// calls; the sockets still have to be closed.
///
/// # Safety
/// `ctx` is NULL or a live context handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_ctx_shutdown(ctx: *mut c_void) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let shared = unsafe { shared(ctx) }?;
        let mut state = shared.state();
        state.shut = true;
        if let Some(context) = &state.context {
            context.shutdown();
        }
        Ok(0)
    })
}

/// `zmq_ctx_term`: shuts the context down, waits until every socket is closed (and has
/// sent what LINGER allows), then frees the context. EINTR is never returned.
///
/// # Safety
/// `ctx` is NULL or a live context handle; it is invalid once this returns 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_ctx_term(ctx: *mut c_void) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let shared = unsafe { shared(ctx) }?;
        let context = {
            let mut state = shared.state();
            state.shut = true;
            state.context.take()
        };
        if let Some(context) = context {
            // Waits for the sockets without holding the lock, which they take to close.
            context.term().map_err(errno_of)?;
        }
        shared.alive.store(0, Ordering::Release);
        // SAFETY: `ctx` came from `Arc::into_raw` in `zmq_ctx_new`; this gives back the
        // application's reference, which it may not use again.
        drop(unsafe { Arc::from_raw(ctx.cast::<CtxShared>().cast_const()) });
        Ok(0)
    })
}

/// `zmq_term`: the old name of `zmq_ctx_term`.
///
/// # Safety
/// As for [`zmq_ctx_term`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_term(ctx: *mut c_void) -> i32 {
    // SAFETY: the same contract.
    unsafe { zmq_ctx_term(ctx) }
}

/// `zmq_ctx_destroy`: the old name of `zmq_ctx_term`.
///
/// # Safety
/// As for [`zmq_ctx_term`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_ctx_destroy(ctx: *mut c_void) -> i32 {
    // SAFETY: the same contract.
    unsafe { zmq_ctx_term(ctx) }
}

/// `zmq_ctx_set`: sets a context option. ZMQ_IO_THREADS counts once the first socket
/// exists (as in libzmq); EINVAL for unknown options and bad values.
///
/// # Safety
/// `ctx` is NULL or a live context handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_ctx_set(ctx: *mut c_void, option: i32, value: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let shared = unsafe { shared(ctx) }?;
        let mut state = shared.state();
        let options = &mut state.options;
        match option {
            ZMQ_IO_THREADS if value >= 0 => options.io_threads = value,
            ZMQ_MAX_SOCKETS if (1..=SOCKET_LIMIT).contains(&value) => options.max_sockets = value,
            ZMQ_IPV6 if value == 0 || value == 1 => options.ipv6 = value == 1,
            ZMQ_BLOCKY if value == 0 || value == 1 => options.blocky = value == 1,
            ZMQ_MAX_MSGSZ if value >= 0 => options.max_msgsz = value,
            // Priorities and policies of the I/O threads: ringmq's shards run at the
            // process's own; only libzmq's "leave it alone" value is accepted.
            ZMQ_THREAD_PRIORITY | ZMQ_THREAD_SCHED_POLICY | ZMQ_THREAD_NAME_PREFIX if value == -1 => {}
            _ => return Err(libc::EINVAL),
        }
        Ok(0)
    })
}

/// `zmq_ctx_get`: reads a context option; -1 with EINVAL for unknown ones.
///
/// # Safety
/// `ctx` is NULL or a live context handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_ctx_get(ctx: *mut c_void, option: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let shared = unsafe { shared(ctx) }?;
        let state = shared.state();
        let options = &state.options;
        Ok(match option {
            ZMQ_IO_THREADS => options.io_threads,
            ZMQ_MAX_SOCKETS => options.max_sockets,
            ZMQ_SOCKET_LIMIT => SOCKET_LIMIT,
            ZMQ_IPV6 => i32::from(options.ipv6),
            ZMQ_BLOCKY => i32::from(options.blocky),
            ZMQ_MAX_MSGSZ => options.max_msgsz,
            ZMQ_MSG_T_SIZE => crate::msg::ZMQ_MSG_T_SIZE as i32,
            ZMQ_THREAD_SCHED_POLICY => options.thread_sched_policy,
            ZMQ_THREAD_NAME_PREFIX => options.thread_name_prefix,
            _ => return Err(libc::EINVAL),
        })
    })
}
