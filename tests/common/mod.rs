//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod pyzmq;
pub mod raw;
pub mod victim;

use std::time::Duration;

use ringmq::{Context, Flags, Msg, Socket, SocketType};

/// Every blocking call in a test is bounded by this.
pub const TIMEOUT_MS: i32 = 10_000;

/// A ringmq socket with test timeouts set (so a bug fails the test instead of hanging it).
pub fn ringmq_socket(ctx: &Context, t: SocketType) -> Socket {
    let mut s = ctx.socket(t).expect("socket");
    s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    s.set_sndtimeo(TIMEOUT_MS).unwrap();
    s.set_linger(1000).unwrap();
    s
}

/// A libzmq socket with test timeouts set.
pub fn zmq_socket(ctx: &zmq::Context, t: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(t).expect("zmq socket");
    s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    s.set_sndtimeo(TIMEOUT_MS).unwrap();
    s.set_linger(1000).unwrap();
    s
}

/// The endpoint a libzmq socket bound to.
pub fn zmq_endpoint(s: &zmq::Socket) -> String {
    s.get_last_endpoint().unwrap().unwrap()
}

/// Joins a ringmq socket and a libzmq socket over tcp: with `ringmq_binds` ours binds and
/// theirs connects, otherwise the reverse.
pub fn join_libzmq(ringmq_binds: bool, ours: &mut Socket, theirs: &zmq::Socket) {
    if ringmq_binds {
        ours.bind("tcp://127.0.0.1:*").unwrap();
        theirs.connect(&ours.last_endpoint()).unwrap();
    } else {
        theirs.bind("tcp://127.0.0.1:*").unwrap();
        ours.connect(&zmq_endpoint(theirs)).unwrap();
    }
}

/// Receives a whole message from a ringmq socket as byte vectors.
pub fn recv_parts(s: &mut Socket) -> Vec<Vec<u8>> {
    s.recv_multipart(Flags::NONE)
        .expect("recv_multipart")
        .into_iter()
        .map(|m: Msg| m.to_vec())
        .collect()
}

/// A payload whose bytes depend on `seed`, to catch reordering and corruption.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A small context for tests.
pub fn context() -> Context {
    Context::builder()
        .shards(2)
        .max_drop_wait(Duration::from_secs(2))
        .build()
        .expect("context")
}

/// Runs `ctx.term()` and fails the test if it takes longer than `limit` (instead of hanging
/// the suite). Returns how long it took.
pub fn term_within(ctx: Context, limit: Duration) -> Duration {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = std::time::Instant::now();
    std::thread::spawn(move || {
        ctx.term().expect("term");
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => start.elapsed(),
        Err(_) => panic!("Context::term did not return within {limit:?}"),
    }
}

/// `rounds` REQ/REP round trips, each reply checked (`label` names the case on failure).
pub fn echo_round_trips(req: &mut Socket, rep: &mut Socket, rounds: usize, label: &str) {
    for i in 0..rounds {
        req.send(format!("q{i}"), Flags::NONE).unwrap();
        let q = rep.recv(Flags::NONE).unwrap();
        rep.send(q, Flags::NONE).unwrap();
        assert_eq!(
            req.recv(Flags::NONE).unwrap(),
            format!("q{i}").as_str(),
            "{label}"
        );
    }
}
