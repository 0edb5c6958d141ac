//! Opaque handles that C holds as `void *`: a boxed Rust value handed out by a `*_new`
//! function and taken back, once, by its `*_destroy` function through the caller's slot.

use std::ffi::c_void;

use crate::errors::CResult;

/// Hands `value` to C as an opaque pointer, freed later by [`take_from_slot`].
pub(crate) fn into_handle<T>(value: T) -> *mut c_void {
    Box::into_raw(Box::new(value)).cast()
}

/// Takes the handle out of `*slot`, clears the slot and returns the value it owned;
/// EFAULT when the slot or the handle in it is NULL (libzmq's answer to both).
///
/// # Safety
/// `slot` is NULL or valid for reads and writes, and holds NULL or a pointer that
/// [`into_handle`] made from a `T` and no one has taken yet.
pub(crate) unsafe fn take_from_slot<T>(slot: *mut *mut c_void) -> CResult<Box<T>> {
    if slot.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: non-null, and valid for reads and writes by the caller's contract.
    let handle = unsafe { std::ptr::replace(slot, std::ptr::null_mut()) };
    if handle.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: made by `into_handle::<T>` and not taken before; clearing the slot above
    // means a second destroy through it finds NULL instead of freeing twice.
    Ok(unsafe { Box::from_raw(handle.cast::<T>()) })
}
