//! The ZMTP codec per frame size: framing messages into a write batch, and decoding a
//! stream of frames (as they arrive in one receive buffer).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ringmq_transports::zmtp::{Connection, FrameDecoder, WriteBatch, ZmtpConfig};
use ringmq_transports::{Msg, SocketType};

const SIZES: [usize; 4] = [8, 64, 1024, 65536];

fn stream_of(size: usize, frames: usize) -> Vec<u8> {
    let mut batch = WriteBatch::new();
    let msg = Msg::from(vec![7u8; size]);
    for _ in 0..frames {
        batch.push_message_frame(&msg, usize::MAX);
    }
    batch.to_vec()
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let mut conn = ready_connection();
    for size in SIZES {
        let msg = Msg::from(vec![7u8; size]);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(size), &msg, |b, msg| {
            let mut batch = WriteBatch::new();
            b.iter(|| {
                conn.encode_message(black_box(msg), &mut batch);
                if batch.len() > 1 << 20 {
                    batch.clear();
                }
            });
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in SIZES {
        let frames = (256 * 1024 / (size + 9)).max(4);
        let stream = stream_of(size, frames);
        group.throughput(Throughput::Elements(frames as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &stream, |b, stream| {
            b.iter(|| {
                let mut decoder = FrameDecoder::new(None, 1 << 20);
                let mut input = &stream[..];
                let mut count = 0;
                while !input.is_empty() {
                    let (used, frame) = decoder.decode(input).unwrap();
                    input = &input[used..];
                    count += usize::from(frame.is_some());
                }
                assert_eq!(count, frames);
            });
        });
    }
    group.finish();
}

/// A connection past its handshake, to frame messages with.
fn ready_connection() -> Connection {
    let now = Instant::now();
    let mut ours = Connection::new(Arc::new(ZmtpConfig::new(SocketType::Push)), now);
    let mut peer = Connection::new(Arc::new(ZmtpConfig::new(SocketType::Pull)), now);
    for _ in 0..3 {
        let (mut a, mut b) = (WriteBatch::new(), WriteBatch::new());
        ours.take_control(&mut a);
        peer.take_control(&mut b);
        feed(&mut peer, &a.to_vec(), now);
        feed(&mut ours, &b.to_vec(), now);
    }
    assert!(ours.is_ready());
    ours
}

fn feed(c: &mut Connection, mut input: &[u8], now: Instant) {
    while !input.is_empty() {
        let (used, _) = c.decode(input, now).unwrap();
        input = &input[used..];
    }
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
