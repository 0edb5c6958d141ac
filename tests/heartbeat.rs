//! ZMTP 3.1 heartbeats against a raw peer: PINGs sent on HEARTBEAT_IVL with HEARTBEAT_TTL,
//! PONGs echo the context, silence after a PING closes the connection (HEARTBEAT_TIMEOUT),
//! and a peer's TTL is honoured.

mod common;

use std::time::Duration;

use common::raw::{RawPeer, frame};
use common::*;
use ringmq::{Flags, SocketType};

fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    frame(0x04, &body)
}

#[test]
fn pings_carry_the_ttl_and_silence_closes_the_connection() {
    let ctx = context();
    let mut pair = ringmq_socket(&ctx, SocketType::Pair);
    pair.set_heartbeat_ivl(100).unwrap();
    pair.set_heartbeat_ttl(2_000).unwrap();
    pair.set_heartbeat_timeout(300).unwrap();
    pair.bind("tcp://127.0.0.1:*").unwrap();
    let mut raw = RawPeer::connect(&pair.last_endpoint());
    raw.handshake("PAIR");
    // A PING arrives about 100 ms after the handshake, TTL 2000 ms = 20 deciseconds.
    let (flags, body) = raw.read_frame();
    assert_eq!(flags, 0x04);
    assert_eq!(body, [&b"\x04PING"[..], &20u16.to_be_bytes()].concat());
    // Answering keeps the connection alive across several intervals.
    for _ in 0..3 {
        raw.send(&command(b"PONG", b""));
        let (_, body) = raw.read_frame();
        assert_eq!(&body[..5], b"\x04PING");
    }
    // Then silence: closed about 300 ms after the next PING.
    raw.expect_closed(Duration::from_secs(3));
}

#[test]
fn a_ping_is_answered_with_its_context_and_its_ttl_is_honoured() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut raw = RawPeer::connect(&pull.last_endpoint());
    raw.handshake("PUSH");
    raw.send(&command(b"PING", &[0, 5, b'c', b't', b'x']));
    let (flags, body) = raw.read_frame();
    assert_eq!((flags, body), (0x04, b"\x04PONGctx".to_vec()));
    // Traffic is still delivered.
    raw.send(&frame(0, b"after ping"));
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "after ping");
    // TTL 5 deciseconds: silence beyond 500 ms from the last traffic closes the connection.
    raw.send(&command(b"PING", &[0, 5]));
    let _pong = raw.read_frame();
    raw.expect_closed(Duration::from_secs(3));
}

#[test]
fn heartbeating_with_libzmq_keeps_an_idle_connection_up() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let mut pair = ringmq_socket(&ctx, SocketType::Pair);
    pair.set_heartbeat_ivl(50).unwrap();
    pair.set_heartbeat_timeout(200).unwrap();
    pair.bind("tcp://127.0.0.1:*").unwrap();
    let theirs = zmq_socket(&zctx, zmq::PAIR);
    // No reconnecting: had heartbeats broken the link, nothing would mend it unseen.
    theirs.set_reconnect_ivl(-1).unwrap();
    theirs.set_heartbeat_ivl(50).unwrap();
    theirs.set_heartbeat_timeout(200).unwrap();
    theirs.connect(&pair.last_endpoint()).unwrap();
    theirs.send("first", 0).unwrap();
    assert_eq!(pair.recv(Flags::NONE).unwrap(), "first");
    // Idle for many heartbeat timeouts; both sides answer each other's PINGs.
    std::thread::sleep(Duration::from_millis(1200));
    pair.send("still here", Flags::NONE).unwrap();
    assert_eq!(theirs.recv_bytes(0).unwrap(), b"still here");
    theirs.send("and here", 0).unwrap();
    assert_eq!(pair.recv(Flags::NONE).unwrap(), "and here");
}

#[test]
fn a_slow_consumer_is_not_mistaken_for_a_dead_peer() {
    // The PULL stops reading for several heartbeat timeouts while its queue is full; the
    // connection must survive and every message arrive.
    let ctx = context();
    let zctx = zmq::Context::new();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(2).unwrap();
    pull.set_heartbeat_ivl(50).unwrap();
    pull.set_heartbeat_timeout(150).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = zmq_socket(&zctx, zmq::PUSH);
    // No reconnecting: a dropped connection would lose what was in flight on it and fail
    // the test, instead of being mended unseen.
    push.set_reconnect_ivl(-1).unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    const N: u32 = 3_000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            push.send_multipart([i.to_be_bytes().to_vec(), pattern(4000, i as u64)], 0)
                .unwrap();
        }
        push
    });
    assert_eq!(recv_parts(&mut pull)[0], 0u32.to_be_bytes());
    std::thread::sleep(Duration::from_millis(1000));
    for i in 1..N {
        assert_eq!(
            recv_parts(&mut pull),
            vec![i.to_be_bytes().to_vec(), pattern(4000, i as u64)],
            "message {i}"
        );
    }
    drop(sender.join().unwrap());
}
