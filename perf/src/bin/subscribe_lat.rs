//! `subscribe_lat [reps]`: how long a subscription takes to reach the publisher over tcp
//! loopback after the connection sat idle, ringmq beside libzmq (the `zmq` crate, one I/O
//! thread; ringmq with one shard, as the C ABI's default context has): a SUB sets SUBSCRIBE,
//! and the time runs until the XPUB in the same thread, polling without blocking, sees it.
//!
//! A publisher filters by what it has received, so this is the window in which a message
//! published right after a subscribe is dropped (pyzmq's `test_blank_root_topic` loses that
//! race on either library; docs/capi.md). The idle gap matters: a sleeping I/O thread and an
//! idle loopback path cost far more than the bytes do.

use std::time::{Duration, Instant};

const IDLE_GAPS_MS: [u64; 4] = [0, 1, 10, 100];

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .map_or(Ok(40), |s| s.parse())
        .unwrap_or_else(|_| {
            eprintln!("usage: subscribe_lat [reps]");
            std::process::exit(1);
        })
        .max(1);
    println!("subscription reaching the publisher over tcp, {reps} subscriptions per idle gap [us]");
    for idle_ms in IDLE_GAPS_MS {
        let idle = Duration::from_millis(idle_ms);
        report("ringmq", idle_ms, ringmq_samples(reps, idle));
        report("libzmq", idle_ms, libzmq_samples(reps, idle));
    }
}

fn ringmq_samples(reps: usize, idle: Duration) -> Vec<f64> {
    use ringmq::{Context, Flags, SocketType};
    let ctx = Context::builder().shards(1).build().expect("context");
    let mut xpub = ctx.socket(SocketType::XPub).expect("xpub");
    xpub.bind("tcp://127.0.0.1:*").expect("bind");
    let mut sub = ctx.socket(SocketType::Sub).expect("sub");
    sub.connect(&xpub.last_endpoint()).expect("connect");
    samples(
        reps,
        idle,
        |topic| sub.set_subscribe(topic).expect("subscribe"),
        || xpub.recv(Flags::DONTWAIT).is_ok(),
    )
}

fn libzmq_samples(reps: usize, idle: Duration) -> Vec<f64> {
    let ctx = zmq::Context::new();
    let xpub = ctx.socket(zmq::XPUB).expect("xpub");
    xpub.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = xpub
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8 endpoint");
    let sub = ctx.socket(zmq::SUB).expect("sub");
    sub.connect(&endpoint).expect("connect");
    samples(
        reps,
        idle,
        |topic| sub.set_subscribe(topic).expect("subscribe"),
        || xpub.recv_bytes(zmq::DONTWAIT).is_ok(),
    )
}

/// After the connection settles: `reps` times, waits `idle`, subscribes to a new topic and
/// spins until the publisher has it; the times in µs.
fn samples(
    reps: usize,
    idle: Duration,
    mut subscribe: impl FnMut(&[u8]),
    mut publisher_has_it: impl FnMut() -> bool,
) -> Vec<f64> {
    std::thread::sleep(Duration::from_millis(100));
    (0..reps)
        .map(|i| {
            std::thread::sleep(idle);
            let start = Instant::now();
            subscribe(format!("topic{i}").as_bytes());
            while !publisher_has_it() {
                std::hint::spin_loop();
            }
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect()
}

fn report(library: &str, idle_ms: u64, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{library:7} idle {idle_ms:>3} ms: median {:6.0}  p90 {:6.0}  max {:6.0}",
        at(0.5),
        at(0.9),
        at(1.0)
    );
}
