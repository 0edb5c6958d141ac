//! The SPSC frame queue: single-threaded write/flush/read cost per message, and a two-thread
//! stream with the real wake-up protocol (spinning instead of sleeping, to measure the
//! queue rather than the scheduler).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringmq_engine::spsc;
use ringmq_transports::Msg;

fn same_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("spsc");
    group.throughput(Throughput::Elements(1));
    group.bench_function("write_flush_read_64B", |b| {
        let (mut w, mut r) = spsc::channel::<Msg>(1000);
        let payload = [5u8; 64];
        b.iter(|| {
            w.write(Msg::copy_from_slice(&payload));
            w.flush();
            let m = r.read().unwrap();
            r.release();
            black_box(m);
        });
    });
    group.finish();
}

fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("spsc");
    const N: u64 = 1_000_000;
    group.throughput(Throughput::Elements(N));
    group.sample_size(10);
    group.bench_function("stream_64B_two_threads", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let (mut w, mut r) = spsc::channel::<Msg>(1000);
                let start = Instant::now();
                let producer = std::thread::spawn(move || {
                    let payload = [5u8; 64];
                    for _ in 0..N {
                        while !w.can_write() {
                            std::hint::spin_loop();
                        }
                        w.write(Msg::copy_from_slice(&payload));
                        w.flush();
                    }
                });
                let mut got = 0;
                while got < N {
                    match r.read() {
                        Some(m) => {
                            black_box(m);
                            got += 1;
                            if got % 64 == 0 {
                                r.release();
                            }
                        }
                        None => {
                            r.release();
                            std::hint::spin_loop();
                        }
                    }
                }
                producer.join().unwrap();
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, same_thread, two_threads);
criterion_main!(benches);
