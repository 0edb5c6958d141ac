//! Randomised stress (fixed seeds, bounded time): several senders, random message sizes and
//! frame counts, tiny high-water marks and random pauses in the readers. Every message must
//! arrive exactly once, whole, in per-sender order.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use ringmq::{Flags, SocketType};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Message `seq` of `sender`: a header frame and 0..4 body frames of random sizes.
fn message(sender: u32, seq: u32) -> Vec<Vec<u8>> {
    let mut rng = Rng(((sender as u64) << 32 | seq as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut frames = vec![[sender.to_be_bytes(), seq.to_be_bytes()].concat()];
    for k in 0..rng.below(4) {
        let size = match rng.below(10) {
            0 => 0,
            1..=6 => rng.below(100) as usize,
            7 | 8 => rng.below(5000) as usize,
            _ => rng.below(200_000) as usize,
        };
        frames.push(pattern(size, (seq as u64) << 8 | k));
    }
    frames
}

fn header(frames: &[Vec<u8>]) -> (u32, u32) {
    let h = &frames[0];
    (
        u32::from_be_bytes(h[..4].try_into().unwrap()),
        u32::from_be_bytes(h[4..8].try_into().unwrap()),
    )
}

#[test]
fn many_senders_to_one_slow_pull() {
    const SENDERS: u32 = 6;
    const PER_SENDER: u32 = 1_500;
    let ctx = context();
    let zctx = zmq::Context::new();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(3).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (endpoint, ctx, zctx) = (endpoint.clone(), ctx.clone(), zctx.clone());
            std::thread::spawn(move || {
                if s % 2 == 0 {
                    let mut push = ringmq_socket(&ctx, SocketType::Push);
                    push.set_sndhwm(5).unwrap();
                    push.connect(&endpoint).unwrap();
                    for seq in 0..PER_SENDER {
                        push.send_multipart(message(s, seq), Flags::NONE).unwrap();
                    }
                    // Dropped with linger: the rest is delivered after this thread ends.
                } else {
                    let push = zmq_socket(&zctx, zmq::PUSH);
                    push.set_sndhwm(5).unwrap();
                    push.set_linger(-1).unwrap();
                    push.connect(&endpoint).unwrap();
                    for seq in 0..PER_SENDER {
                        push.send_multipart(message(s, seq), 0).unwrap();
                    }
                }
            })
        })
        .collect();
    let mut next: HashMap<u32, u32> = HashMap::new();
    let mut rng = Rng(7);
    for _ in 0..SENDERS * PER_SENDER {
        if rng.below(500) == 0 {
            std::thread::sleep(Duration::from_millis(rng.below(30)));
        }
        let frames = recv_parts(&mut pull);
        let (sender, seq) = header(&frames);
        let expected = next.entry(sender).or_insert(0);
        assert_eq!(seq, *expected, "sender {sender} out of order or lost");
        *expected += 1;
        assert_eq!(frames, message(sender, seq));
    }
    for s in senders {
        s.join().unwrap();
    }
    assert!(next.values().all(|&n| n == PER_SENDER));
    pull.set_rcvtimeo(100).unwrap();
    assert_eq!(
        pull.recv(Flags::NONE).unwrap_err().errno(),
        libc::EAGAIN,
        "nothing extra"
    );
}

#[test]
fn one_push_to_many_slow_pulls_delivers_each_message_once() {
    const PULLS: usize = 4;
    const TOTAL: u32 = 6_000;
    let ctx = context();
    let zctx = zmq::Context::new();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_sndhwm(4).unwrap();
    push.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = push.last_endpoint();
    let (tx, rx) = std::sync::mpsc::channel::<(usize, u32)>();
    let readers: Vec<_> = (0..PULLS)
        .map(|k| {
            let (endpoint, ctx, zctx, tx) = (endpoint.clone(), ctx.clone(), zctx.clone(), tx.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(k as u64 + 11);
                let mut last = None;
                // Each reader runs until its receive times out, after the last message.
                let mut take = |frames: Vec<Vec<u8>>| {
                    let (_, seq) = header(&frames);
                    assert_eq!(frames, message(0, seq));
                    assert!(last.is_none_or(|l| seq > l), "per-connection order");
                    last = Some(seq);
                    tx.send((k, seq)).unwrap();
                };
                if k % 2 == 0 {
                    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
                    pull.set_rcvhwm(2).unwrap();
                    pull.set_rcvtimeo(2000).unwrap();
                    pull.connect(&endpoint).unwrap();
                    while let Ok(frames) = pull.recv_multipart(Flags::NONE) {
                        take(frames.into_iter().map(|m| m.to_vec()).collect());
                        if rng.below(300) == 0 {
                            std::thread::sleep(Duration::from_millis(rng.below(20)));
                        }
                    }
                } else {
                    let pull = zmq_socket(&zctx, zmq::PULL);
                    pull.set_rcvhwm(2).unwrap();
                    pull.set_rcvtimeo(2000).unwrap();
                    pull.connect(&endpoint).unwrap();
                    while let Ok(frames) = pull.recv_multipart(0) {
                        take(frames);
                        if rng.below(300) == 0 {
                            std::thread::sleep(Duration::from_millis(rng.below(20)));
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    // Wait for every reader to be connected, so round-robin covers them all.
    std::thread::sleep(Duration::from_millis(300));
    for seq in 0..TOTAL {
        push.send_multipart(message(0, seq), Flags::NONE).unwrap();
    }
    let mut seen = vec![0u8; TOTAL as usize];
    let mut per_reader = [0usize; PULLS];
    for _ in 0..TOTAL {
        let (k, seq) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a message went missing");
        seen[seq as usize] += 1;
        per_reader[k] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1), "every message exactly once");
    assert!(
        per_reader.iter().all(|&n| n > 0),
        "every reader served: {per_reader:?}"
    );
    for r in readers {
        r.join().unwrap();
    }
}
