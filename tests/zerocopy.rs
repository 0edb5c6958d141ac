//! `set_zerocopy_threshold`: batches holding large bodies go out with io_uring's SEND_ZC.
//! Whatever the path, every message arrives whole and in order, to ringmq and to libzmq,
//! and a socket closed with zero-copy sends in flight still delivers what it queued. Where
//! the kernel has SEND_ZC (6.0 and later) the socket's counters must show zero-copy sends
//! over tcp, each with its notification, and none over ipc (Unix sockets refuse them).

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::*;
use ringmq::{Flags, Socket, SocketType};

/// Message `seq`: a sequence frame and a body whose size cycles from small (copied into the
/// batch) to far above the threshold (sent in place).
fn message(seq: u64) -> Vec<Vec<u8>> {
    let sizes = [100, 16 * 1024, 64 * 1024 + 7, 300 * 1024];
    let size = sizes[seq as usize % sizes.len()];
    vec![seq.to_be_bytes().to_vec(), pattern(size, seq)]
}

const COUNT: u64 = 120;

/// `true` where the kernel has io_uring's SEND_ZC (Linux 6.0 and later).
fn kernel_has_send_zc() -> bool {
    // SAFETY: uname fills the struct we hand it.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a live utsname.
    assert_eq!(unsafe { libc::uname(&mut name) }, 0);
    // SAFETY: uname NUL-terminates its fields.
    let release = unsafe { std::ffi::CStr::from_ptr(name.release.as_ptr()) }.to_string_lossy();
    let mut numbers = release.split(['.', '-']).map(|n| n.parse::<u32>().unwrap_or(0));
    (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0)) >= (6, 0)
}

/// Waits (bounded) until every zero-copy send has had its notification; returns the counts.
fn settled_counts(socket: &Socket) -> ringmq::StatsSnapshot {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = socket.stats();
        if stats.zerocopy_notifications == stats.zerocopy_sends || Instant::now() > deadline {
            return stats;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Sends messages 0..COUNT from a thread of their own; the socket comes back at the end.
fn send_all(mut push: Socket) -> thread::JoinHandle<Socket> {
    thread::spawn(move || {
        for seq in 0..COUNT {
            let m = message(seq);
            push.send_multipart(m.iter().map(|p| &p[..]), Flags::NONE)
                .unwrap();
        }
        push
    })
}

#[test]
fn zero_copy_sends_carry_every_message_whole_over_tcp_and_ipc() {
    for transport in ["tcp://127.0.0.1:*", "ipc://*"] {
        let ctx = context();
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        pull.bind(transport).unwrap();
        let mut push = ringmq_socket(&ctx, SocketType::Push);
        assert_eq!(push.zerocopy_threshold(), -1, "off by default");
        push.set_zerocopy_threshold(16 * 1024).unwrap();
        push.connect(&pull.last_endpoint()).unwrap();
        let sender = send_all(push);
        for seq in 0..COUNT {
            assert!(
                recv_parts(&mut pull) == message(seq),
                "{transport}: message {seq}"
            );
        }
        let push = sender.join().unwrap();
        let stats = settled_counts(&push);
        assert_eq!(
            stats.zerocopy_notifications, stats.zerocopy_sends,
            "{transport}: {stats:?}"
        );
        if transport.starts_with("ipc") {
            assert_eq!(stats.zerocopy_sends, 0, "Unix sockets refuse SEND_ZC: {stats:?}");
        } else if kernel_has_send_zc() {
            assert!(stats.zerocopy_sends > 0, "SEND_ZC never ran: {stats:?}");
        }
    }
}

#[test]
fn a_zero_copy_sender_reaches_libzmq() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let theirs = zmq_socket(&zctx, zmq::PULL);
    let mut ours = ringmq_socket(&ctx, SocketType::Push);
    ours.set_zerocopy_threshold(8 * 1024).unwrap();
    join_libzmq(false, &mut ours, &theirs);
    let sender = send_all(ours);
    for seq in 0..COUNT {
        let got = theirs.recv_multipart(0).expect("libzmq recv");
        assert!(got == message(seq), "message {seq}");
    }
    let ours = sender.join().unwrap();
    let stats = settled_counts(&ours);
    assert_eq!(stats.zerocopy_notifications, stats.zerocopy_sends, "{stats:?}");
    assert!(
        !kernel_has_send_zc() || stats.zerocopy_sends > 0,
        "SEND_ZC never ran: {stats:?}"
    );
}

#[test]
fn closing_with_zero_copy_sends_in_flight_delivers_them() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(-1).unwrap();
    push.set_zerocopy_threshold(0).unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    let body = pattern(256 * 1024, 9);
    // Connected first, so that the sends below are batched onto a live connection.
    push.send("hello", Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "hello");
    for seq in 0u64..40 {
        push.send_multipart([&seq.to_be_bytes()[..], &body[..]], Flags::NONE)
            .unwrap();
    }
    let sent_before_close = push.stats();
    drop(push);
    for seq in 0u64..40 {
        let got = recv_parts(&mut pull);
        assert!(got[0] == seq.to_be_bytes() && got[1] == body, "message {seq}");
    }
    assert!(
        !kernel_has_send_zc() || sent_before_close.zerocopy_sends > 0,
        "no zero-copy send was in flight at the close: {sent_before_close:?}"
    );
}

#[test]
fn the_threshold_takes_minus_one_or_more() {
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    let err = push.set_zerocopy_threshold(-2).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);
    push.set_zerocopy_threshold(0).unwrap();
    assert_eq!(push.zerocopy_threshold(), 0);
}
