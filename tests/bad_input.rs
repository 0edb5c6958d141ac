//! Hostile or broken peers get disconnected, and only they: the socket keeps serving its
//! other peers without losing or tearing a message.

mod common;

use std::time::Duration;

use common::raw::{RawPeer, frame, greeting, ready};
use common::victim::Victim;
use common::*;
use ringmq::{Flags, SocketType};

fn victim(max_msg_size: i64) -> Victim {
    Victim::new(|pull| pull.set_maxmsgsize(max_msg_size).unwrap())
}

const CLOSE_WITHIN: Duration = Duration::from_secs(5);

#[test]
fn a_bad_signature_is_disconnected() {
    let mut f = victim(-1);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    raw.expect_closed(CLOSE_WITHIN);
    f.check_service();
}

#[test]
fn a_wrong_major_version_is_disconnected() {
    for major in [1u8, 2] {
        let mut f = victim(-1);
        let mut raw = RawPeer::connect(&f.endpoint());
        raw.send(&greeting(major, 0, b"NULL"));
        raw.expect_closed(CLOSE_WITHIN);
        f.check_service();
    }
}

#[test]
fn a_mechanism_mismatch_is_disconnected() {
    let mut f = victim(-1);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.send(&greeting(3, 1, b"CURVE"));
    raw.expect_closed(CLOSE_WITHIN);
    f.check_service();
}

#[test]
fn a_frame_above_maxmsgsize_is_disconnected() {
    let mut f = victim(1000);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.handshake("PUSH");
    // A message that fits, then one that does not.
    raw.send(&frame(0, &[7u8; 1000]));
    assert_eq!(f.pull.recv(Flags::NONE).unwrap().len(), 1000);
    raw.send(&frame(0, &[7u8; 1001]));
    raw.expect_closed(CLOSE_WITHIN);
    f.check_service();
}

#[test]
fn garbage_after_the_greeting_is_disconnected() {
    let mut f = victim(-1);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.send(&greeting(3, 1, b"NULL"));
    raw.send(&pattern(200, 42));
    raw.expect_closed(CLOSE_WITHIN);
    f.check_service();
}

#[test]
fn garbage_after_the_handshake_is_disconnected_without_delivering_a_torn_message() {
    let mut f = victim(-1);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.handshake("PUSH");
    // The first frame of a multipart message, then a frame with reserved flag bits.
    raw.send(&frame(0x01, b"first-part"));
    raw.send(&[0xf8, 3, 1, 2, 3]);
    raw.expect_closed(CLOSE_WITHIN);
    // The orphaned first part must never be delivered: the next message is the good peer's.
    f.check_service();
}

#[test]
fn an_incompatible_socket_type_is_told_so_with_an_error_command_then_closed() {
    let mut f = victim(-1);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.send(&greeting(3, 1, b"NULL"));
    let _ = raw.read_exact(64);
    raw.send(&ready("PUB"));
    // Our READY went out with our greeting's answer; the ERROR follows it (RFC 37), and
    // nothing after it but the close.
    let (flags, body) = raw.read_frame();
    assert_eq!((flags, &body[..6]), (0x04, &b"\x05READY"[..]));
    let rest = raw.expect_closed(CLOSE_WITHIN);
    assert_eq!(rest, frame(0x04, b"\x05ERROR\x13Invalid socket type"));
    f.check_service();
}

#[test]
fn a_message_before_the_handshake_is_disconnected() {
    let mut f = victim(-1);
    let mut raw = RawPeer::connect(&f.endpoint());
    raw.send(&greeting(3, 1, b"NULL"));
    raw.send(&frame(0, b"too early"));
    raw.expect_closed(CLOSE_WITHIN);
    f.check_service();
}

#[test]
fn a_peer_that_never_completes_the_handshake_times_out() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_handshake_ivl(200).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut raw = RawPeer::connect(&pull.last_endpoint());
    raw.send(&greeting(3, 1, b"NULL"));
    raw.expect_closed(CLOSE_WITHIN);
}

#[test]
fn many_hostile_peers_at_once_do_not_disturb_the_good_one() {
    let mut f = victim(4096);
    let mut peers: Vec<RawPeer> = (0..20).map(|_| RawPeer::connect(&f.endpoint())).collect();
    for (i, p) in peers.iter_mut().enumerate() {
        match i % 4 {
            0 => p.send(b"\x00\x01\x02garbage"),
            1 => p.send(&greeting(2, 0, b"NULL")),
            2 => {
                p.handshake("PUSH");
                p.send(&frame(0x02, &vec![1u8; 5000]));
            }
            _ => {
                p.send(&greeting(3, 1, b"NULL"));
                p.send(&[0x04, 5, 0xff, 0xff, 0xff, 0xff, 0xff]);
            }
        }
        f.check_service();
    }
    for p in &mut peers {
        p.expect_closed(CLOSE_WITHIN);
    }
    f.check_service();
}
