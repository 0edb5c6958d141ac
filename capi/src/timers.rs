//! `zmq_timers_*`: libzmq's timer set for an application's own loop. `zmq_timers_timeout`
//! says how long to wait (for a `zmq_poll`, say) and `zmq_timers_execute` calls the handlers
//! of the timers that are due, each rescheduled one interval later. Handlers may cancel
//! timers, their own included, while `zmq_timers_execute` runs.

use std::ffi::c_void;
use std::time::{Duration, Instant};

use crate::errors::{CResult, call};
use crate::handles::{into_handle, take_from_slot};

/// A timer's handler.
pub type TimerFn = unsafe extern "C" fn(timer_id: i32, arg: *mut c_void);

#[derive(Debug)]
struct Timer {
    id: i32,
    interval: Duration,
    due: Instant,
    handler: TimerFn,
    arg: *mut c_void,
}

/// A set of timers.
#[derive(Debug, Default)]
pub struct Timers {
    timers: Vec<Timer>,
    next_id: i32,
}

/// The timer set behind a handle, or EFAULT.
///
/// # Safety
/// `t` is NULL or a live handle from `zmq_timers_new`, used by one thread at a time.
unsafe fn timers<'a>(t: *mut c_void) -> CResult<&'a mut Timers> {
    if t.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: non-null, so a live timer set by the caller's contract.
    Ok(unsafe { &mut *t.cast::<Timers>() })
}

impl Timers {
    fn find(&mut self, id: i32) -> CResult<&mut Timer> {
        self.timers.iter_mut().find(|t| t.id == id).ok_or(libc::EINVAL)
    }
}

/// `zmq_timers_new`.
#[unsafe(no_mangle)]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    into_handle(Timers::default())
}

/// `zmq_timers_destroy`: frees the set and sets `*timers_p` to NULL.
///
/// # Safety
/// `timers_p` is NULL or points at NULL or a live timer set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract; the slot holds a handle from `zmq_timers_new`.
        drop(unsafe { take_from_slot::<Timers>(timers_p) }?);
        Ok(0)
    })
}

/// `zmq_timers_add`: a timer calling `handler(id, arg)` every `interval` ms; its id.
///
/// # Safety
/// `t` is NULL or a live timer set; `handler` may be called with `arg`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_add(
    t: *mut c_void,
    interval: usize,
    handler: Option<TimerFn>,
    arg: *mut c_void,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let set = unsafe { timers(t) }?;
        let handler = handler.ok_or(libc::EFAULT)?;
        set.next_id = set.next_id.checked_add(1).ok_or(libc::ENOMEM)?;
        let interval = Duration::from_millis(interval as u64);
        set.timers.push(Timer {
            id: set.next_id,
            interval,
            due: Instant::now() + interval,
            handler,
            arg,
        });
        Ok(set.next_id)
    })
}

/// `zmq_timers_cancel`: EINVAL for an unknown id.
///
/// # Safety
/// `t` is NULL or a live timer set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_cancel(t: *mut c_void, timer_id: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let set = unsafe { timers(t) }?;
        let i = set
            .timers
            .iter()
            .position(|x| x.id == timer_id)
            .ok_or(libc::EINVAL)?;
        set.timers.remove(i);
        Ok(0)
    })
}

/// `zmq_timers_set_interval`: a new interval, counted from now.
///
/// # Safety
/// `t` is NULL or a live timer set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_set_interval(t: *mut c_void, timer_id: i32, interval: usize) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let timer = unsafe { timers(t) }?.find(timer_id)?;
        timer.interval = Duration::from_millis(interval as u64);
        timer.due = Instant::now() + timer.interval;
        Ok(0)
    })
}

/// `zmq_timers_reset`: restarts the timer's interval from now.
///
/// # Safety
/// `t` is NULL or a live timer set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_reset(t: *mut c_void, timer_id: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let timer = unsafe { timers(t) }?.find(timer_id)?;
        timer.due = Instant::now() + timer.interval;
        Ok(0)
    })
}

/// `zmq_timers_timeout`: ms until the next timer is due (0 if one is), -1 if there is none.
///
/// # Safety
/// `t` is NULL or a live timer set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_timeout(t: *mut c_void) -> libc::c_long {
    call(-1, || {
        // SAFETY: the caller's contract.
        let set = unsafe { timers(t) }?;
        let now = Instant::now();
        Ok(set
            .timers
            .iter()
            .map(|x| x.due.saturating_duration_since(now))
            .min()
            .map_or(-1, |wait| {
                wait.as_millis().min(libc::c_long::MAX as u128) as libc::c_long
            }))
    })
}

/// `zmq_timers_execute`: calls the handlers of the timers that are due.
///
/// # Safety
/// `t` is NULL or a live timer set; the handlers may use it (not destroy it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_timers_execute(t: *mut c_void) -> i32 {
    call(-1, || {
        let now = Instant::now();
        // SAFETY: the caller's contract.
        let due: Vec<i32> = unsafe { timers(t) }?
            .timers
            .iter()
            .filter(|x| x.due <= now)
            .map(|x| x.id)
            .collect();
        for id in due {
            // Looked up again each time: an earlier handler may have cancelled it.
            // SAFETY: the caller's contract; no reference into the set is held across the
            // handler call, which may change the set.
            let Ok(timer) = (unsafe { timers(t) }?).find(id) else {
                continue;
            };
            timer.due = now + timer.interval;
            let (handler, arg) = (timer.handler, timer.arg);
            // SAFETY: the handler and argument the caller registered.
            unsafe { handler(id, arg) };
        }
        Ok(0)
    })
}
