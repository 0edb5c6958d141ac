//! LINGER: messages queued before close reach a peer that shows up late, within the linger
//! time; with LINGER=0 termination is immediate.

mod common;

use std::time::{Duration, Instant};

use common::raw::free_port;
use common::*;
use ringmq::{Flags, SocketType};

#[test]
fn queued_messages_reach_a_late_peer_within_linger() {
    let port = free_port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(10_000).unwrap();
    push.set_reconnect_ivl(20).unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..50u32 {
        push.send_multipart([i.to_be_bytes().to_vec(), pattern(500, i as u64)], Flags::NONE)
            .unwrap();
    }
    drop(push);

    let receiver = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let zctx = zmq::Context::new();
        let pull = zmq_socket(&zctx, zmq::PULL);
        pull.bind(&endpoint).unwrap();
        for i in 0..50u32 {
            assert_eq!(
                pull.recv_multipart(0).unwrap(),
                vec![i.to_be_bytes().to_vec(), pattern(500, i as u64)]
            );
        }
    });
    let start = Instant::now();
    ctx.term().unwrap();
    let took = start.elapsed();
    receiver.join().unwrap();
    assert!(
        took < Duration::from_secs(8),
        "term waited for delivery, not the full linger: {took:?}"
    );
}

#[test]
fn linger_zero_makes_term_return_at_once() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(0).unwrap();
    push.connect(&endpoint).unwrap();
    for _ in 0..100 {
        push.send("undeliverable", Flags::NONE).unwrap();
    }
    drop(push);
    let start = Instant::now();
    ctx.term().unwrap();
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
}

#[test]
fn finite_linger_gives_up_when_no_peer_comes() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(300).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("nobody listens", Flags::NONE).unwrap();
    drop(push);
    let start = Instant::now();
    ctx.term().unwrap();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn default_infinite_linger_delivers_everything_to_a_connected_peer() {
    let zctx = zmq::Context::new();
    let pull = zmq_socket(&zctx, zmq::PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = zmq_endpoint(&pull);
    let ctx = context();
    let mut push = ctx.socket(SocketType::Push).unwrap();
    assert_eq!(push.linger(), -1, "libzmq's default");
    push.connect(&endpoint).unwrap();
    const N: u32 = 20_000;
    for i in 0..N {
        push.send(&i.to_be_bytes(), Flags::NONE).unwrap();
    }
    drop(push);
    let receiver = std::thread::spawn(move || {
        for i in 0..N {
            assert_eq!(pull.recv_bytes(0).unwrap(), i.to_be_bytes());
        }
    });
    ctx.term().unwrap();
    receiver.join().unwrap();
}

#[test]
fn dropping_the_context_does_not_block_forever() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = ringmq::Context::builder()
        .shards(1)
        .max_drop_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("waits for a peer that never comes", Flags::NONE)
        .unwrap();
    drop(push);
    let start = Instant::now();
    drop(ctx);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}
