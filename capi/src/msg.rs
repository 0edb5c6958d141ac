//! `zmq_msg_t` and the `zmq_msg_*` functions.
//!
//! A `zmq_msg_t` is 64 octets the caller owns (often on its stack) and may move with
//! memcpy, so nothing in it points into itself: its contents are plain data plus owned
//! pointers. Octets 0..56 hold the body (see [`Body`]), then the routing id, the inline
//! length, the flags and a tag saying which body form is there:
//!
//! - `INLINE`: up to 56 octets in the message itself, as libzmq's "very small messages"
//!   (`zmq_msg_init`, small `zmq_msg_init_size`, and small frames received from inproc
//!   peers): no allocation;
//! - `HELD`: a boxed [`ringmq::Msg`] with its group and the C strings `zmq_msg_gets` has
//!   handed out: frames received from connections (they carry the connection's
//!   properties), copies, and anything else not writable;
//! - `VEC`: a writable buffer from `zmq_msg_init_size`, larger than inline;
//! - `FOREIGN`: the caller's buffer from `zmq_msg_init_data`, freed by its callback once
//!   ringmq is done with it (after sending, or at close).
//!
//! A ringmq `Msg` (80 octets with its properties) does not fit in 64, so the ABI does not
//! store one directly; see docs/capi.md for the measurements behind this layout.

use std::ffi::{CString, c_char, c_void};
use std::mem::ManuallyDrop;

use ringmq::{Bytes, Msg};

use crate::errors::{CResult, call};

/// `sizeof(zmq_msg_t)`, as libzmq's ZMQ_MSG_T_SIZE reports it.
pub const ZMQ_MSG_T_SIZE: usize = 64;

/// libzmq's `zmq_msg_t`: 64 octets aligned like a pointer, contents private.
#[repr(C, align(8))]
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct zmq_msg_t {
    // Not `[u8; N]`: a typed copy of plain bytes would drop the provenance of the pointers
    // stored in a message, where C's memcpy keeps it, so Rust code moving a message by
    // value could no longer use its body. MaybeUninit octets are copied as they are.
    _opaque: [std::mem::MaybeUninit<u8>; ZMQ_MSG_T_SIZE],
}

/// The free callback of `zmq_msg_init_data`.
pub type FreeFn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// Message properties for `zmq_msg_get`.
pub const ZMQ_MORE: i32 = 1;
pub const ZMQ_SRCFD: i32 = 2;
pub const ZMQ_SHARED: i32 = 3;

/// Octets a body may have to be kept in the message itself.
pub(crate) const INLINE_CAPACITY: usize = 56;
/// libzmq's longest RADIO/DISH group.
const GROUP_MAX_LENGTH: usize = 255;

const TAG_INLINE: u8 = 0xa1;
const TAG_HELD: u8 = 0xa2;
const TAG_VEC: u8 = 0xa3;
const TAG_FOREIGN: u8 = 0xa4;

const FLAG_MORE: u8 = 1;
/// The body is shared with a copy (`zmq_msg_copy`), for ZMQ_SHARED.
const FLAG_SHARED: u8 = 2;

/// A boxed frame and what the C caller may borrow from it.
#[derive(Debug)]
pub(crate) struct Held {
    pub msg: Msg,
    /// RADIO/DISH group, NUL-terminated for `zmq_msg_group`.
    pub group: Option<CString>,
    /// Values `zmq_msg_gets` returned: valid until the message is closed, as libzmq's;
    /// one per distinct value, so at most as many as the connection has properties.
    property_strings: Vec<CString>,
    /// The caller's `zmq_msg_init_data` buffer when `msg` holds a copy of it (small bodies
    /// are inline): kept, with every `zmq_msg_copy`, so that its free function runs only
    /// once no copy of the message is left, as in libzmq (pyzmq's MessageTracker counts
    /// on it).
    foreign: Option<Bytes>,
}

impl Held {
    fn new(msg: Msg, group: Option<CString>) -> Self {
        Self {
            msg,
            group,
            property_strings: Vec::new(),
            foreign: None,
        }
    }
}

/// A writable buffer's raw parts (a `Vec<u8>` taken apart).
#[derive(Clone, Copy)]
#[repr(C)]
struct VecParts {
    ptr: *mut u8,
    len: usize,
    cap: usize,
}

/// The caller's buffer from `zmq_msg_init_data`.
#[derive(Clone, Copy)]
#[repr(C)]
struct ForeignParts {
    data: *mut u8,
    len: usize,
    free: Option<FreeFn>,
    hint: *mut c_void,
}

/// The body forms, selected by [`MsgRepr::tag`].
#[repr(C)]
union Body {
    inline: [u8; INLINE_CAPACITY],
    held: ManuallyDrop<Box<Held>>,
    vec: VecParts,
    foreign: ForeignParts,
}

/// The layout of a `zmq_msg_t`.
#[repr(C)]
pub(crate) struct MsgRepr {
    /// Invariant: the field `tag` names is initialised and owned by this message.
    body: Body,
    /// CLIENT/SERVER and PEER: the peer a message came from or goes to (0 = none).
    routing_id: u32,
    /// The body's length when `tag` is `TAG_INLINE`.
    inline_len: u8,
    flags: u8,
    tag: u8,
    _reserved: u8,
}

const _: () = assert!(std::mem::size_of::<MsgRepr>() == ZMQ_MSG_T_SIZE);
const _: () = assert!(std::mem::align_of::<MsgRepr>() <= std::mem::align_of::<zmq_msg_t>());

/// Owns the caller's `zmq_msg_init_data` buffer inside a `Bytes`, calling its free function
/// when the last reference goes (on whichever thread that is, as libzmq does).
struct ForeignOwner(ForeignParts);

// SAFETY: libzmq's contract for zmq_msg_init_data: the buffer is handed over to the library
// and its free function may be called from any thread.
unsafe impl Send for ForeignOwner {}

impl AsRef<[u8]> for ForeignOwner {
    fn as_ref(&self) -> &[u8] {
        if self.0.len == 0 {
            return &[];
        }
        // SAFETY: zmq_msg_init_data's contract: `data` holds `len` octets, unchanged until
        // the free function is called (by this owner's drop).
        unsafe { std::slice::from_raw_parts(self.0.data, self.0.len) }
    }
}

impl Drop for ForeignOwner {
    fn drop(&mut self) {
        if let Some(free) = self.0.free {
            // SAFETY: the callback the caller gave for this buffer, called once.
            unsafe { free(self.0.data.cast(), self.0.hint) }
        }
    }
}

impl MsgRepr {
    fn empty() -> Self {
        Self {
            body: Body {
                inline: [0; INLINE_CAPACITY],
            },
            routing_id: 0,
            inline_len: 0,
            flags: 0,
            tag: TAG_INLINE,
            _reserved: 0,
        }
    }

    fn held(held: Held, routing_id: u32, flags: u8) -> Self {
        // Each form is written over `empty`'s zeroed body, so all 64 octets of a message
        // are initialised whatever the form (a Rust caller may read them as plain bytes).
        let mut repr = Self::empty();
        repr.body.held = ManuallyDrop::new(Box::new(held));
        repr.routing_id = routing_id;
        repr.flags = flags;
        repr.tag = TAG_HELD;
        repr
    }

    /// A received (or handed back) frame: inline when nothing but its body matters and it
    /// fits, boxed otherwise.
    pub(crate) fn from_msg(msg: Msg, group: Option<CString>) -> Self {
        let flags = if msg.more() { FLAG_MORE } else { 0 };
        let routing_id = msg.routing_id();
        if group.is_none() && msg.len() <= INLINE_CAPACITY && msg.properties().is_none() {
            let mut repr = Self::empty();
            // SAFETY: `empty` made the inline form.
            unsafe { repr.body.inline[..msg.len()].copy_from_slice(&msg) };
            repr.inline_len = msg.len() as u8;
            repr.flags = flags;
            repr.routing_id = routing_id;
            return repr;
        }
        Self::held(Held::new(msg, group), routing_id, flags)
    }

    fn is_valid(&self) -> bool {
        matches!(self.tag, TAG_INLINE | TAG_HELD | TAG_VEC | TAG_FOREIGN)
    }

    fn held_ref(&self) -> Option<&Held> {
        // SAFETY: the tag says `held` is the initialised field.
        (self.tag == TAG_HELD).then(|| unsafe { &**self.body.held })
    }

    fn held_mut(&mut self) -> Option<&mut Held> {
        // SAFETY: the tag says `held` is the initialised field.
        (self.tag == TAG_HELD).then(|| unsafe { &mut **self.body.held })
    }

    /// The body's octets.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self.tag {
            // SAFETY: the tag says which field is initialised; `inline_len` is at most
            // INLINE_CAPACITY by construction.
            TAG_INLINE => unsafe { &self.body.inline[..usize::from(self.inline_len)] },
            TAG_HELD => self.held_ref().map_or(&[], |held| held.msg.as_bytes()),
            TAG_VEC => {
                // SAFETY: the tag says `vec` holds a live Vec's parts.
                let parts = unsafe { self.body.vec };
                // SAFETY: the Vec's first `len` octets are initialised (zeroed when made).
                unsafe { std::slice::from_raw_parts(parts.ptr, parts.len) }
            }
            TAG_FOREIGN => {
                // SAFETY: the tag says `foreign` is initialised.
                let parts = unsafe { self.body.foreign };
                if parts.len == 0 {
                    return &[];
                }
                // SAFETY: zmq_msg_init_data's contract: `data` holds `len` octets.
                unsafe { std::slice::from_raw_parts(parts.data, parts.len) }
            }
            _ => &[],
        }
    }

    /// Where the body starts, for `zmq_msg_data` (writable by libzmq's contract).
    fn data_ptr(&mut self) -> *mut u8 {
        match self.tag {
            // SAFETY: the tag says `inline` is initialised.
            TAG_INLINE => unsafe { self.body.inline.as_mut_ptr() },
            // SAFETY: the tag says which field is initialised.
            TAG_VEC => unsafe { self.body.vec.ptr },
            // SAFETY: the tag says which field is initialised.
            TAG_FOREIGN => unsafe { self.body.foreign.data },
            _ => self.bytes().as_ptr().cast_mut(),
        }
    }

    fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    /// Takes the body out as a ringmq frame (with the routing id and MORE as set) and its
    /// group, leaving this message empty.
    pub(crate) fn take(&mut self) -> (Msg, Option<CString>) {
        let routing_id = self.routing_id;
        let more = self.more();
        let taken = std::mem::replace(self, Self::empty());
        let mut taken = ManuallyDrop::new(taken);
        // In every arm: the tag says which field is initialised and owned, and `taken` is
        // never dropped, so what it owns is moved out exactly once.
        let (mut msg, group) = match taken.tag {
            TAG_INLINE => (Msg::copy_from_slice(taken.bytes()), None),
            TAG_HELD => {
                // SAFETY: see above; `held` is the initialised field.
                let held = unsafe { ManuallyDrop::take(&mut taken.body.held) };
                let Held { msg, group, .. } = *held;
                (msg, group)
            }
            TAG_VEC => {
                // SAFETY: see above; `vec` is the initialised field.
                let parts = unsafe { taken.body.vec };
                // SAFETY: the parts of a Vec this module took apart, reassembled once.
                let vec = unsafe { Vec::from_raw_parts(parts.ptr, parts.len, parts.cap) };
                (Msg::from(vec), None)
            }
            TAG_FOREIGN => {
                // SAFETY: see above; `foreign` is the initialised field.
                let parts = unsafe { taken.body.foreign };
                (Msg::from(Bytes::from_owner(ForeignOwner(parts))), None)
            }
            _ => (Msg::new(), None),
        };
        msg.set_more(more);
        msg.set_routing_id(routing_id);
        (msg, group)
    }

    /// Turns a writable or foreign body into a held one (for copies, groups, properties).
    fn make_held(&mut self) -> &mut Held {
        if self.tag == TAG_FOREIGN {
            let (routing_id, flags) = (self.routing_id, self.flags);
            let taken = std::mem::replace(self, Self::empty());
            let taken = ManuallyDrop::new(taken);
            // SAFETY: the tag says `foreign` is initialised and owned; `taken` is never
            // dropped, so the buffer passes to the owner below exactly once.
            let parts = unsafe { taken.body.foreign };
            let buffer = Bytes::from_owner(ForeignOwner(parts));
            let mut held = Held::new(Msg::from(buffer.clone()), None);
            held.foreign = Some(buffer);
            held.msg.set_more(flags & FLAG_MORE != 0);
            held.msg.set_routing_id(routing_id);
            *self = Self::held(held, routing_id, flags);
        } else if self.tag != TAG_HELD {
            let (routing_id, flags) = (self.routing_id, self.flags);
            let (msg, group) = self.take();
            *self = Self::held(Held::new(msg, group), routing_id, flags);
        }
        self.held_mut().expect("made held above")
    }

    /// Releases the body; the message must be initialised again before use.
    fn close(&mut self) {
        drop(self.take());
        self.tag = 0;
    }
}

impl Drop for MsgRepr {
    fn drop(&mut self) {
        match self.tag {
            // SAFETY: the tag says `held` is initialised and owned; dropped once.
            TAG_HELD => unsafe { ManuallyDrop::drop(&mut self.body.held) },
            TAG_VEC | TAG_FOREIGN => drop(self.take()),
            _ => {}
        }
    }
}

/// The representation behind a caller's `zmq_msg_t`, or EFAULT if it is NULL or was never
/// initialised (or was closed).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
pub(crate) unsafe fn repr<'a>(msg: *mut zmq_msg_t) -> CResult<&'a mut MsgRepr> {
    // SAFETY: the caller's contract; the checks below reject what is not a message.
    let repr = unsafe { uninit_repr(msg) }?;
    if !repr.is_valid() {
        return Err(libc::EFAULT);
    }
    Ok(repr)
}

/// As [`repr`], read only: for the calls libzmq declares on a `const zmq_msg_t *`.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
unsafe fn repr_ref<'a>(msg: *const zmq_msg_t) -> CResult<&'a MsgRepr> {
    if msg.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: as in `uninit_repr`, shared instead of unique.
    let repr = unsafe { &*msg.cast::<MsgRepr>() };
    if !repr.is_valid() {
        return Err(libc::EFAULT);
    }
    Ok(repr)
}

/// As [`repr`], without checking that the message was initialised (for the init calls).
///
/// # Safety
/// As for [`repr`].
unsafe fn uninit_repr<'a>(msg: *mut zmq_msg_t) -> CResult<&'a mut MsgRepr> {
    if msg.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: `zmq_msg_t` has MsgRepr's size and at least its alignment (asserted above);
    // the caller owns it, and every bit pattern is a value of MsgRepr's fields that the tag
    // check guards before any body field is read.
    Ok(unsafe { &mut *msg.cast::<MsgRepr>() })
}

/// Writes a fresh representation into a message without dropping what was there (which
/// is uninitialised memory for the init calls).
///
/// # Safety
/// `msg` points at a `zmq_msg_t` the caller owns.
pub(crate) unsafe fn write(msg: *mut zmq_msg_t, repr: MsgRepr) {
    // SAFETY: the caller's contract; sizes and alignment asserted above.
    unsafe { std::ptr::write(msg.cast::<MsgRepr>(), repr) }
}

/// `zmq_msg_init`: an empty message.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { uninit_repr(msg) }?;
        // SAFETY: checked non-null; the caller owns it.
        unsafe { write(msg, MsgRepr::empty()) };
        Ok(0)
    })
}

/// `zmq_msg_init_size`: a message of `size` octets for the caller to fill in (zeroed).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { uninit_repr(msg) }?;
        let mut repr = MsgRepr::empty();
        if size <= INLINE_CAPACITY {
            repr.inline_len = size as u8;
        } else {
            let mut vec = Vec::new();
            vec.try_reserve_exact(size).map_err(|_| libc::ENOMEM)?;
            vec.resize(size, 0);
            let mut vec = ManuallyDrop::new(vec);
            repr.body.vec = VecParts {
                ptr: vec.as_mut_ptr(),
                len: vec.len(),
                cap: vec.capacity(),
            };
            repr.tag = TAG_VEC;
        }
        // SAFETY: checked non-null; the caller owns it.
        unsafe { write(msg, repr) };
        Ok(0)
    })
}

/// `zmq_msg_init_buffer` (draft): a message holding a copy of `size` octets at `buf`.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns; `buf` holds `size` octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_init_buffer(msg: *mut zmq_msg_t, buf: *const c_void, size: usize) -> i32 {
    call(-1, || {
        if buf.is_null() && size > 0 {
            return Err(libc::EFAULT);
        }
        // SAFETY: the caller's contract.
        if unsafe { zmq_msg_init_size(msg, size) } != 0 {
            return Err(crate::errors::errno());
        }
        if size > 0 {
            // SAFETY: initialised just above with `size` writable octets; `buf` holds
            // `size` octets by the caller's contract and cannot overlap a fresh body.
            unsafe {
                let repr = repr(msg)?;
                std::ptr::copy_nonoverlapping(buf.cast::<u8>(), repr.data_ptr(), size);
            }
        }
        Ok(0)
    })
}

/// `zmq_msg_init_data`: a message whose body is the caller's buffer, without copying;
/// `ffn(data, hint)` is called (from any thread) once ringmq no longer needs it. With
/// `ffn` NULL the buffer must outlive every use of the message.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns; `data` holds `size` octets
/// that stay unchanged until `ffn` is called.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: Option<FreeFn>,
    hint: *mut c_void,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { uninit_repr(msg) }?;
        if data.is_null() && size > 0 {
            return Err(libc::EFAULT);
        }
        let mut repr = MsgRepr::empty();
        repr.body.foreign = ForeignParts {
            data: data.cast(),
            len: size,
            free: ffn,
            hint,
        };
        repr.tag = TAG_FOREIGN;
        // SAFETY: checked non-null; the caller owns it.
        unsafe { write(msg, repr) };
        Ok(0)
    })
}

/// A body that is the caller's constant buffer (`zmq_send_const`).
pub(crate) fn constant_body(data: *const u8, len: usize) -> Msg {
    Msg::from(Bytes::from_owner(ForeignOwner(ForeignParts {
        data: data.cast_mut(),
        len,
        free: None,
        hint: std::ptr::null_mut(),
    })))
}

/// `zmq_msg_close`: releases the message's body.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { repr(msg) }?.close();
        Ok(0)
    })
}

/// `zmq_msg_move`: `dest` (released first) takes `src`'s body; `src` becomes empty.
///
/// # Safety
/// Both are NULL or point at `zmq_msg_t`s the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> i32 {
    call(-1, || {
        if dest == src {
            // SAFETY: the caller's contract.
            unsafe { repr(src) }?;
            return Ok(0);
        }
        // SAFETY: the caller's contract; distinct messages.
        let (dest, src) = unsafe { (repr(dest)?, repr(src)?) };
        *dest = std::mem::replace(src, MsgRepr::empty());
        Ok(0)
    })
}

/// `zmq_msg_copy`: `dest` (released first) shares `src`'s body, without copying large
/// bodies (both become ZMQ_SHARED).
///
/// # Safety
/// Both are NULL or point at `zmq_msg_t`s the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let src_repr = unsafe { repr(src) }?;
        if dest == src {
            return Ok(0);
        }
        let copy = if src_repr.tag == TAG_INLINE {
            let mut copy = MsgRepr::empty();
            // SAFETY: both inline (the tag and `empty`).
            unsafe { copy.body.inline = src_repr.body.inline };
            copy.inline_len = src_repr.inline_len;
            copy.routing_id = src_repr.routing_id;
            copy.flags = src_repr.flags;
            copy
        } else {
            src_repr.flags |= FLAG_SHARED;
            let (routing_id, flags) = (src_repr.routing_id, src_repr.flags);
            let held = src_repr.make_held();
            let mut copy = Held::new(held.msg.clone(), held.group.clone());
            copy.foreign.clone_from(&held.foreign);
            MsgRepr::held(copy, routing_id, flags)
        };
        // SAFETY: the caller's contract; `dest` is not `src`.
        *unsafe { repr(dest) }? = copy;
        Ok(0)
    })
}

/// `zmq_msg_data`: where the body starts (NULL for a message that is not initialised).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        Ok(unsafe { repr(msg) }?.data_ptr().cast())
    })
}

/// `zmq_msg_size`: the body's length in octets (0 for a message that is not initialised).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    call(0, || {
        // SAFETY: the caller's contract; read only.
        Ok(unsafe { repr_ref(msg) }?.bytes().len())
    })
}

/// `zmq_msg_more`: 1 if more frames of the received message follow.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> i32 {
    call(0, || {
        // SAFETY: the caller's contract; read only.
        Ok(i32::from(unsafe { repr_ref(msg) }?.more()))
    })
}

/// `zmq_msg_get`: ZMQ_MORE, ZMQ_SRCFD (-1: ringmq does not expose connection descriptors)
/// or ZMQ_SHARED; EINVAL for other properties.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract; read only.
        let repr = unsafe { repr_ref(msg) }?;
        match property {
            ZMQ_MORE => Ok(i32::from(repr.more())),
            ZMQ_SRCFD => Ok(-1),
            ZMQ_SHARED => Ok(i32::from(repr.flags & FLAG_SHARED != 0)),
            _ => Err(libc::EINVAL),
        }
    })
}

/// `zmq_msg_set`: no property can be set (EINVAL), as in libzmq.
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_set(msg: *mut zmq_msg_t, _property: i32, _value: i32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        unsafe { repr(msg) }?;
        Err(libc::EINVAL)
    })
}

/// `zmq_msg_gets`: the value of a property of the connection the message came from
/// ("Socket-Type", "Routing-Id"/"Identity", "Peer-Address", "User-Id", and what the peer
/// sent in its handshake), valid until the message is closed; NULL with EINVAL if there is
/// none (messages made here and those from inproc peers have none).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns; `property` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_gets(msg: *const zmq_msg_t, property: *const c_char) -> *const c_char {
    call(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        let name = unsafe { crate::socket::c_str(property) }?;
        // SAFETY: the caller's contract. libzmq's signature takes a const message, but the
        // strings handed out are kept in it until close.
        let repr = unsafe { repr(msg.cast_mut()) }?;
        let held = repr.held_mut().ok_or(libc::EINVAL)?;
        let value = held.msg.property(name).ok_or(libc::EINVAL)?;
        let value = CString::new(value).map_err(|_| libc::EINVAL)?;
        // Asking again hands out the string kept the first time, so a caller reading the
        // same property in a loop does not grow the message.
        if let Some(kept) = held.property_strings.iter().find(|kept| **kept == value) {
            return Ok(kept.as_ptr());
        }
        held.property_strings.push(value);
        Ok(held.property_strings.last().expect("pushed").as_ptr())
    })
}

/// `zmq_msg_routing_id` (draft): the peer a SERVER or PEER message came from (0 = none).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    call(0, || {
        // SAFETY: the caller's contract.
        Ok(unsafe { repr(msg) }?.routing_id)
    })
}

/// `zmq_msg_set_routing_id` (draft): the peer a SERVER or PEER message goes to (EINVAL for 0).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let repr = unsafe { repr(msg) }?;
        if routing_id == 0 {
            return Err(libc::EINVAL);
        }
        repr.routing_id = routing_id;
        Ok(0)
    })
}

/// `zmq_msg_group` (draft): the RADIO/DISH group (NULL if none).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    call(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        let repr = unsafe { repr(msg) }?;
        Ok(repr
            .held_ref()
            .and_then(|held| held.group.as_ref())
            .map_or(std::ptr::null(), |group| group.as_ptr()))
    })
}

/// `zmq_msg_set_group` (draft): the group a RADIO message goes to (up to 255 octets).
///
/// # Safety
/// `msg` is NULL or points at a `zmq_msg_t` the caller owns; `group` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let repr = unsafe { repr(msg) }?;
        // SAFETY: the caller's contract.
        let group = unsafe { crate::socket::c_str(group) }?;
        if group.len() > GROUP_MAX_LENGTH {
            return Err(libc::EINVAL);
        }
        repr.make_held().group = Some(CString::new(group).map_err(|_| libc::EINVAL)?);
        Ok(0)
    })
}

#[cfg(test)]
mod tests;
