//! Large message bodies received in place (straight into their buffer once the header is
//! in): whole and in order among small frames, over tcp:// and ipc://, with a reader slow
//! enough that RCVHWM holds input back, with heartbeats on (a receive per chunk) and off
//! (one receive for the whole body); from libzmq; and from a peer that trickles a body.

mod common;

use std::time::{Duration, Instant};

use common::raw::{RawPeer, frame};
use common::*;
use ringmq::{Flags, SocketType};

/// Messages of mixed sizes: large single frames, small ones between them, and multipart
/// messages with large parts (a frame that ends a large body is followed at once by the
/// next header).
fn mixed_messages() -> Vec<Vec<Vec<u8>>> {
    let mut seed = 0;
    let mut part = |len: usize| {
        seed += 1;
        pattern(len, seed)
    };
    let mut out = Vec::new();
    for round in 0..3 {
        out.push(vec![part(1 << 20)]);
        out.push(vec![part(7)]);
        out.push(vec![part(300_000), part(5), part(150_000)]);
        out.push(vec![part(64 << 10)]);
        out.push(vec![part(3 << 20), part(0)]);
        out.push(vec![part((129 << 10) + round)]);
        out.push(vec![part(200)]);
    }
    out
}

#[test]
fn large_bodies_among_small_frames_arrive_whole_and_in_order() {
    for transport in ["tcp://127.0.0.1:*", "ipc://*"] {
        for heartbeats in [false, true] {
            let label = format!("{transport} heartbeats={heartbeats}");
            let ctx = context();
            let mut pull = ringmq_socket(&ctx, SocketType::Pull);
            // A short queue: input is held back whenever the reader dawdles.
            pull.set_rcvhwm(2).unwrap();
            let mut push = ringmq_socket(&ctx, SocketType::Push);
            if heartbeats {
                for s in [&mut pull, &mut push] {
                    s.set_heartbeat_ivl(50).unwrap();
                    s.set_heartbeat_timeout(2000).unwrap();
                }
            }
            pull.bind(transport).unwrap();
            push.connect(&pull.last_endpoint()).unwrap();
            let sent = mixed_messages();
            let to_send = sent.clone();
            let sender = std::thread::spawn(move || {
                for m in &to_send {
                    push.send_multipart(m.iter().map(|p| &p[..]), Flags::NONE)
                        .unwrap();
                }
                push
            });
            for (i, m) in sent.iter().enumerate() {
                if i % 5 == 0 {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let got = recv_parts(&mut pull);
                assert_eq!(got.len(), m.len(), "{label}: message {i}");
                assert!(got == *m, "{label}: message {i} differs");
            }
            drop(sender.join().unwrap());
        }
    }
}

#[test]
fn large_bodies_from_libzmq_arrive_whole() {
    let zctx = zmq::Context::new();
    let theirs = zmq_socket(&zctx, zmq::PUSH);
    let ctx = context();
    let mut ours = ringmq_socket(&ctx, SocketType::Pull);
    join_libzmq(true, &mut ours, &theirs);
    let sent = mixed_messages();
    for m in &sent {
        theirs.send_multipart(m.iter().map(|p| &p[..]), 0).unwrap();
    }
    for (i, m) in sent.iter().enumerate() {
        assert!(recv_parts(&mut ours) == *m, "message {i} differs");
    }
}

#[test]
fn a_body_trickled_slower_than_the_heartbeat_timeout_keeps_the_connection() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_heartbeat_ivl(50).unwrap();
    pull.set_heartbeat_timeout(300).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = RawPeer::connect(&pull.last_endpoint());
    peer.handshake("PUSH");
    let body = pattern(1 << 20, 99);
    let wire = frame(0, &body);
    // 64 KiB every 60 ms: about a second for the frame, more than three heartbeat timeouts,
    // but never a silence as long as one.
    let started = Instant::now();
    for piece in wire.chunks(64 << 10) {
        peer.send(piece);
        std::thread::sleep(Duration::from_millis(60));
    }
    assert!(started.elapsed() > Duration::from_millis(900));
    peer.send(&frame(0, b"after"));
    assert!(pull.recv(Flags::NONE).unwrap() == body[..]);
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "after");
}

#[test]
fn a_peer_that_closes_in_the_middle_of_a_large_body_delivers_nothing_torn() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvtimeo(300).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let mut liar = RawPeer::connect(&endpoint);
    liar.handshake("PUSH");
    let wire = frame(0, &pattern(2 << 20, 5));
    liar.send(&frame(0, b"whole"));
    liar.send(&wire[..wire.len() / 2]);
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "whole");
    drop(liar);
    assert!(pull.recv(Flags::NONE).is_err(), "half a body was delivered");
    // The socket goes on with other peers.
    pull.set_rcvtimeo(TIMEOUT_MS).unwrap();
    let mut honest = RawPeer::connect(&endpoint);
    honest.handshake("PUSH");
    let body = pattern(1 << 20, 6);
    honest.send(&frame(0, &body));
    assert!(pull.recv(Flags::NONE).unwrap() == body[..]);
}
