//! Shared helpers of the perf tools: argument parsing in libzmq's style and the output
//! lines libzmq's perf tools print, so ringmq's tools and libzmq's are interchangeable.

use std::process::exit;
use std::time::Duration;

/// `<address> <message-size> <count>` as libzmq's perf tools take them.
#[derive(Clone, Debug)]
pub struct PerfArgs {
    /// Endpoint to bind or connect.
    pub address: String,
    /// Message size in bytes.
    pub message_size: usize,
    /// Message (or round-trip) count.
    pub count: u64,
}

impl PerfArgs {
    /// Parses `std::env::args()` or exits with libzmq's usage line.
    pub fn from_env(tool: &str, address_kind: &str, count_kind: &str) -> Self {
        let args: Vec<String> = std::env::args().collect();
        Self::parse(tool, address_kind, count_kind, &args)
    }

    /// Parses `[program, address, size, count]` or exits with libzmq's usage line.
    pub fn parse(tool: &str, address_kind: &str, count_kind: &str, args: &[String]) -> Self {
        if args.len() != 4 {
            eprintln!("usage: {tool} <{address_kind}> <message-size> <{count_kind}>");
            exit(1);
        }
        Self {
            address: args[1].clone(),
            message_size: number(tool, "message size", &args[2]) as usize,
            count: number(tool, count_kind, &args[3]),
        }
    }
}

/// `<message-size> <count>` as libzmq's inproc_thr and inproc_lat take them.
#[derive(Clone, Copy, Debug)]
pub struct InprocArgs {
    /// Message size in bytes.
    pub message_size: usize,
    /// Message (or round-trip) count.
    pub count: u64,
}

impl InprocArgs {
    /// Parses `std::env::args()` or exits with libzmq's usage line.
    pub fn from_env(tool: &str, count_kind: &str) -> Self {
        let args: Vec<String> = std::env::args().collect();
        Self::parse(tool, count_kind, &args)
    }

    /// Parses `[program, size, count]` or exits with libzmq's usage line.
    pub fn parse(tool: &str, count_kind: &str, args: &[String]) -> Self {
        if args.len() != 3 {
            eprintln!("usage: {tool} <message-size> <{count_kind}>");
            exit(1);
        }
        Self {
            message_size: number(tool, "message size", &args[1]) as usize,
            count: number(tool, count_kind, &args[2]),
        }
    }
}

/// A numeric argument, or exit naming it.
fn number(tool: &str, what: &str, text: &str) -> u64 {
    text.parse().unwrap_or_else(|_| {
        eprintln!("{tool}: bad {what} '{text}'");
        exit(1);
    })
}

/// Prints local_thr's result lines exactly as libzmq does.
pub fn print_throughput(message_size: usize, message_count: u64, elapsed: Duration) {
    let micros = (elapsed.as_micros() as f64).max(1.0);
    let throughput = (message_count as f64 / micros * 1_000_000.0) as u64;
    let megabits = throughput as f64 * message_size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {message_size} [B]");
    println!("message count: {message_count}");
    println!("mean throughput: {throughput} [msg/s]");
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

/// Prints remote_lat's result lines as libzmq does (average one-way latency: half the mean
/// round trip), followed by round-trip percentiles from `histogram` (nanoseconds). With
/// `RINGMQ_HGRM=path` in the environment, also writes the percentile distribution there.
pub fn print_latency(
    message_size: usize,
    roundtrips: u64,
    elapsed: Duration,
    histogram: &hdrhistogram::Histogram<u64>,
) {
    let latency = elapsed.as_micros() as f64 / (roundtrips as f64 * 2.0);
    println!("message size: {message_size} [B]");
    println!("roundtrip count: {roundtrips}");
    println!("average latency: {latency:.3} [us]");
    let us = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!("round-trip p50: {:.3} [us]", us(0.5));
    println!("round-trip p99: {:.3} [us]", us(0.99));
    println!("round-trip p99.9: {:.3} [us]", us(0.999));
    println!("round-trip max: {:.3} [us]", histogram.max() as f64 / 1000.0);
    if let Some(path) = std::env::var_os("RINGMQ_HGRM") {
        report::write_hgrm(histogram, std::path::Path::new(&path))
            .unwrap_or_else(|e| die("writing the .hgrm file", e));
    }
}

/// A histogram for round trips from 1 µs to 10 s in nanoseconds, 3 significant digits.
pub fn latency_histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1_000, 10_000_000_000, 3).expect("histogram bounds")
}

pub mod bench;
pub mod handshakes;
pub mod libzmq;
pub mod libzmq_system;
pub mod omq_peer;
pub mod patterns;
pub mod plain;
pub mod report;
pub mod ringmq_tools;
pub mod rss;
pub mod rzmq_peer;
pub mod security;
pub mod zmqrs;

/// Exits like libzmq's tools when a received message has the wrong size.
pub fn check_size(expected: usize, got: usize) {
    if got != expected {
        die("recv", format!("message of incorrect size received: {got}"));
    }
}

/// With `RINGMQ_HOLD=1` in the environment (set by `ringmq-bench`), blocks until standard
/// input ends, so a sender stays connected until whoever started it says the receiver is
/// done; otherwise returns at once.
pub fn hold_while_asked() {
    if std::env::var_os("RINGMQ_HOLD").is_some() {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
    }
}

/// Exits with a message naming what failed.
pub fn die(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("error in {what}: {error}");
    exit(1);
}
