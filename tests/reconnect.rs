//! Reconnection: a connecting ringmq socket survives its peer being stopped and restarted
//! on the same port, resumes without tearing a multipart message, and delivers everything
//! sent while the peer was away (it was queued) and after it came back.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::raw::{RawPeer, frame};
use common::*;
use ringmq::{Flags, SocketType};

fn three_parts(i: u32) -> Vec<Vec<u8>> {
    vec![
        i.to_be_bytes().to_vec(),
        pattern(50, i as u64),
        pattern(3000, i as u64 + 1),
    ]
}

#[test]
fn push_resumes_after_its_libzmq_peer_restarts_on_the_same_port() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let pull = zmq_socket(&zctx, zmq::PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = zmq_endpoint(&pull);

    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(50).unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..100 {
        push.send_multipart(three_parts(i), Flags::NONE).unwrap();
    }
    for i in 0..100 {
        assert_eq!(pull.recv_multipart(0).unwrap(), three_parts(i));
    }

    // Stop the peer; ringmq notices the closed connection and keeps trying to reconnect.
    pull.set_linger(0).unwrap();
    drop(pull);
    std::thread::sleep(Duration::from_millis(300));

    // Sent while the peer is away: queued in the pipe (SNDHWM is 1000).
    for i in 100..200 {
        push.send_multipart(three_parts(i), Flags::NONE).unwrap();
    }
    let pull = zmq_socket(&zctx, zmq::PULL);
    pull.bind(&endpoint).unwrap();
    // Sent after the peer is back.
    for i in 200..300 {
        push.send_multipart(three_parts(i), Flags::NONE).unwrap();
    }
    for i in 100..300 {
        assert_eq!(pull.recv_multipart(0).unwrap(), three_parts(i), "message {i}");
    }
}

#[test]
fn req_keeps_working_after_its_rep_peer_restarts() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let rep = zmq_socket(&zctx, zmq::REP);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = zmq_endpoint(&rep);
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.set_reconnect_ivl(50).unwrap();
    req.connect(&endpoint).unwrap();
    req.send("before", Flags::NONE).unwrap();
    assert_eq!(rep.recv_bytes(0).unwrap(), b"before");
    rep.send("ok", 0).unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "ok");

    rep.set_linger(0).unwrap();
    drop(rep);
    std::thread::sleep(Duration::from_millis(300));
    req.send_multipart(["after", "restart"], Flags::NONE).unwrap();
    let rep = zmq_socket(&zctx, zmq::REP);
    rep.bind(&endpoint).unwrap();
    assert_eq!(
        rep.recv_multipart(0).unwrap(),
        vec![b"after".to_vec(), b"restart".to_vec()]
    );
    rep.send("ok again", 0).unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "ok again");
}

#[test]
fn a_multipart_message_cut_by_a_disconnect_is_never_delivered() {
    // A raw server: the first connection sends one whole message and the first frame of a
    // second, then dies; the reconnection sends a whole message. The PULL must deliver the
    // two whole messages and nothing of the cut one.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_reconnect_ivl(20).unwrap();
    pull.connect(&endpoint).unwrap();

    let (stream, _) = listener.accept().unwrap();
    let mut first = RawPeer::from_stream(stream);
    first.handshake("PUSH");
    first.send(&frame(0x01, b"whole-1a"));
    first.send(&frame(0x00, b"whole-1b"));
    first.send(&frame(0x01, b"cut-a"));
    first.send(&frame(0x01, b"cut-b"));
    assert_eq!(
        recv_parts(&mut pull),
        vec![b"whole-1a".to_vec(), b"whole-1b".to_vec()]
    );
    drop(first);

    let (stream, _) = listener.accept().unwrap();
    let mut second = RawPeer::from_stream(stream);
    second.handshake("PUSH");
    second.send(&frame(0x01, b"whole-2a"));
    second.send(&frame(0x00, b"whole-2b"));
    assert_eq!(
        recv_parts(&mut pull),
        vec![b"whole-2a".to_vec(), b"whole-2b".to_vec()]
    );
    pull.set_rcvtimeo(100).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap_err().errno(), libc::EAGAIN);
}

#[test]
fn disabled_reconnect_stays_down_and_ends_the_pipe() {
    // With RECONNECT_IVL=-1 the socket never reconnects after losing its peer.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_reconnect_ivl(-1).unwrap();
    pull.connect(&endpoint).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut peer = RawPeer::from_stream(stream);
    peer.handshake("PUSH");
    drop(peer);
    listener.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        listener.accept().is_err(),
        "no reconnection attempt with RECONNECT_IVL = -1"
    );
    // As in libzmq, the pipe of such a connection ends with it, so a PUSH whose only peer
    // was never reachable holds nothing back: term does not wait on it even with the
    // default infinite linger.
    let mut push = ctx.socket(SocketType::Push).unwrap();
    push.set_reconnect_ivl(-1).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{}", common::raw::free_port()))
        .unwrap();
    let _ = push.send("never delivered", Flags::DONTWAIT);
    drop(push);
    drop(pull);
    term_within(ctx, Duration::from_secs(2));
}

#[test]
fn reconnect_backs_off_up_to_reconnect_ivl_max() {
    // With a doubling interval the attempts thin out: count them over a window.
    let ctx = context();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_reconnect_ivl(20).unwrap();
    pull.set_reconnect_ivl_max(400).unwrap();
    pull.connect(&endpoint).unwrap();
    let mut accepted = 0;
    let start = std::time::Instant::now();
    listener.set_nonblocking(true).unwrap();
    while start.elapsed() < Duration::from_millis(1500) {
        if let Ok((s, _)) = listener.accept() {
            accepted += 1;
            // Close at once, before the handshake: a failed attempt, so the interval doubles.
            drop(s);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // 20, 40, 80, 160, 320, 400… (plus jitter): about 6 attempts in 1.5 s; without back-off
    // there would be dozens.
    assert!((3..=12).contains(&accepted), "{accepted} attempts");
    drop(pull);
}

#[test]
fn messages_received_before_the_peer_closes_are_all_delivered() {
    // A fast sender that closes as soon as it has written everything, and a slow reader with
    // a tiny RCVHWM: what the session held back (the socket's queue was full) when the peer
    // closed must still arrive.
    for peer in ["libzmq", "raw"] {
        let ctx = context();
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        pull.set_rcvhwm(4).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.last_endpoint();
        const N: u32 = 20_000;
        let sender = std::thread::spawn(move || match peer {
            "libzmq" => {
                let zctx = zmq::Context::new();
                let push = zmq_socket(&zctx, zmq::PUSH);
                push.set_linger(-1).unwrap();
                push.connect(&endpoint).unwrap();
                for i in 0..N {
                    push.send(&i.to_be_bytes()[..], 0).unwrap();
                }
            }
            _ => {
                let mut raw = RawPeer::connect(&endpoint);
                raw.handshake("PUSH");
                let mut all = Vec::new();
                for i in 0..N {
                    all.extend(frame(0, &i.to_be_bytes()));
                }
                raw.send(&all);
            }
        });
        sender.join().unwrap();
        // The peer is gone now; everything it sent must still come out, in order.
        for i in 0..N {
            assert_eq!(
                pull.recv(Flags::NONE).unwrap()[..],
                i.to_be_bytes(),
                "{peer}: message {i}"
            );
        }
    }
}
