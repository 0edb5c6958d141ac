//! The `zmq_msg_*` functions called as C calls them, run under miri by the test command
//! (the body forms are a union behind raw pointers): every form made, read, moved by
//! memcpy, copied, taken for sending and closed, with no leak and no double free.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::errors::errno;

fn fresh() -> MaybeUninit<zmq_msg_t> {
    MaybeUninit::uninit()
}

/// The body of an initialised message, through the C calls.
fn body(msg: &mut zmq_msg_t) -> Vec<u8> {
    // SAFETY: `msg` is an initialised message owned here.
    unsafe {
        let len = zmq_msg_size(msg);
        let data = zmq_msg_data(msg).cast::<u8>();
        if len == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(data, len).to_vec()
        }
    }
}

/// Makes a message of `size` octets with `fill` in every octet, as C fills one.
fn filled(size: usize, fill: u8) -> zmq_msg_t {
    let mut msg = fresh();
    // SAFETY: `msg` is owned here; init_size gives `size` writable octets at `data`.
    unsafe {
        assert_eq!(zmq_msg_init_size(msg.as_mut_ptr(), size), 0);
        if size > 0 {
            std::ptr::write_bytes(zmq_msg_data(msg.as_mut_ptr()).cast::<u8>(), fill, size);
        }
        msg.assume_init()
    }
}

#[test]
fn every_size_is_writable_and_reads_back_after_a_memcpy_move() {
    for size in [0, 1, INLINE_CAPACITY, INLINE_CAPACITY + 1, 4096] {
        let msg = filled(size, 0x5a);
        // C may move a zmq_msg_t with memcpy: nothing in it points into itself.
        let mut moved = fresh();
        // SAFETY: the bytes of a live message copied to a new place; the old place is not
        // used again (its body went with the bytes).
        let mut moved = unsafe {
            std::ptr::copy_nonoverlapping(&msg, moved.as_mut_ptr(), 1);
            moved.assume_init()
        };
        assert_eq!(body(&mut moved), vec![0x5a; size]);
        // SAFETY: an initialised message, closed once.
        unsafe { assert_eq!(zmq_msg_close(&mut moved), 0) };
    }
}

#[test]
fn a_closed_or_null_message_is_efault_not_a_double_free() {
    let mut msg = filled(100, 1);
    // SAFETY: an initialised message, then a closed one and NULL: the checks reject both.
    unsafe {
        assert_eq!(zmq_msg_close(&mut msg), 0);
        assert_eq!(zmq_msg_close(&mut msg), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_msg_size(&msg), 0);
        assert_eq!(zmq_msg_close(std::ptr::null_mut()), -1);
    }
}

#[test]
fn an_impossible_size_is_enomem() {
    let mut msg = fresh();
    // SAFETY: `msg` is owned here; a failed init leaves it uninitialised.
    unsafe {
        assert_eq!(zmq_msg_init_size(msg.as_mut_ptr(), usize::MAX), -1);
    }
    assert_eq!(errno(), libc::ENOMEM);
}

static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn free_boxed(data: *mut c_void, hint: *mut c_void) {
    assert_eq!(hint.addr(), 0x1234);
    // SAFETY: `data` is the boxed slice made by the test below, freed once by contract.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data.cast::<u8>(), 300)) });
    FREED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_foreign_buffer_is_freed_once_when_its_last_copy_closes() {
    let buffer = Box::into_raw(vec![9u8; 300].into_boxed_slice());
    let mut msg = fresh();
    let mut copy = filled(3, 3);
    // SAFETY: `buffer` holds 300 octets handed over to the message with its free function.
    let mut msg = unsafe {
        let rc = zmq_msg_init_data(
            msg.as_mut_ptr(),
            buffer.cast(),
            300,
            Some(free_boxed),
            std::ptr::without_provenance_mut(0x1234),
        );
        assert_eq!(rc, 0);
        msg.assume_init()
    };
    // SAFETY: initialised messages owned here.
    unsafe {
        assert_eq!(zmq_msg_copy(&mut copy, &mut msg), 0);
        assert_eq!(zmq_msg_get(&msg, ZMQ_SHARED), 1);
        assert_eq!(zmq_msg_close(&mut msg), 0);
    }
    assert_eq!(FREED.load(Ordering::SeqCst), 0, "a copy still uses the buffer");
    assert_eq!(body(&mut copy), vec![9u8; 300]);
    // SAFETY: as above.
    unsafe { assert_eq!(zmq_msg_close(&mut copy), 0) };
    assert_eq!(FREED.load(Ordering::SeqCst), 1);
}

#[test]
fn taking_a_body_to_send_keeps_its_octets_flags_and_routing_id() {
    for size in [5, 200] {
        let mut msg = filled(size, 7);
        // SAFETY: an initialised message owned here; each borrow of its representation
        // ends before the next C call on it.
        let (frame, group) = unsafe {
            assert_eq!(zmq_msg_set_routing_id(&mut msg, 42), 0);
            let repr = repr(&mut msg).unwrap();
            repr.flags |= FLAG_MORE;
            repr.take()
        };
        assert_eq!(
            (frame.as_bytes(), frame.more(), frame.routing_id(), group),
            (&vec![7u8; size][..], true, 42, None)
        );
        assert_eq!(body(&mut msg), b"", "the message is empty once taken");
        // A frame handed back (EAGAIN) becomes the message again.
        // SAFETY: as above.
        *unsafe { repr(&mut msg) }.unwrap() = MsgRepr::from_msg(frame, None);
        assert_eq!(body(&mut msg), vec![7u8; size]);
        // SAFETY: as above.
        unsafe {
            assert_eq!(zmq_msg_more(&msg), 1);
            assert_eq!(zmq_msg_close(&mut msg), 0);
        }
    }
}

#[test]
fn move_and_copy_leave_the_source_empty_or_shared() {
    let mut src = filled(100, 2);
    let mut dest = filled(10, 1);
    // SAFETY: initialised messages owned here.
    unsafe {
        assert_eq!(zmq_msg_move(&mut dest, &mut src), 0);
        assert_eq!(zmq_msg_size(&src), 0);
        assert_eq!(zmq_msg_copy(&mut src, &mut dest), 0);
        assert_eq!(zmq_msg_copy(&mut src, &mut src), 0);
    }
    assert_eq!(body(&mut src), vec![2u8; 100]);
    assert_eq!(body(&mut dest), vec![2u8; 100]);
    // SAFETY: as above.
    unsafe {
        assert_eq!(zmq_msg_close(&mut src), 0);
        assert_eq!(zmq_msg_close(&mut dest), 0);
    }
}

#[test]
fn a_group_is_kept_and_read_back_as_a_c_string() {
    let mut msg = filled(4, 4);
    // SAFETY: an initialised message; the group is a NUL-terminated string.
    unsafe {
        assert_eq!(zmq_msg_set_group(&mut msg, c"weather".as_ptr()), 0);
        let group = std::ffi::CStr::from_ptr(zmq_msg_group(&mut msg));
        assert_eq!(group.to_bytes(), b"weather");
        assert_eq!(
            zmq_msg_gets(&raw mut msg, c"Socket-Type".as_ptr()),
            std::ptr::null()
        );
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_msg_close(&mut msg), 0);
    }
}
