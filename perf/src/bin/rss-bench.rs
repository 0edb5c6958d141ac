//! `rss-bench [--duration SECS]`: the resident memory of a bound PULL under a PING flood
//! from a peer that never reads, and under a PUSH of 64 KiB messages it never receives,
//! ringmq beside libzmq in one run (see `ringmq_perf::rss`). Run from a release build:
//! `cargo run --release -p ringmq-perf --bin rss-bench`.

use std::time::Duration;

fn main() {
    let mut duration = Duration::from_secs(10);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--duration" => {
                let secs: f64 = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| ringmq_perf::die("--duration", "expects seconds"));
                duration = Duration::from_secs_f64(secs);
            }
            "--help" | "-h" => {
                println!("usage: rss-bench [--duration SECS]   (default 10 s per attack and implementation)");
                return;
            }
            other => ringmq_perf::die("arguments", format!("unknown option '{other}'")),
        }
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| ringmq_perf::die("current_exe", e));
    let tools = exe.parent().expect("the binary is in a directory");
    ringmq_perf::rss::report(tools, duration);
}
