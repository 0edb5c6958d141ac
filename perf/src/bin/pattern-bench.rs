//! `pattern-bench`: PUB/SUB fan-out to 1, 10 and 100 tcp subscribers and a ROUTER echoing
//! for 1 000 connected DEALERs, for ringmq and libzmq side by side, alternating the two in
//! every round; prints a markdown table of medians and ratios.
//!
//! ```text
//! pattern-bench [--rounds N] [--quick]
//! ```

use std::process::exit;

use ringmq_perf::die;
use ringmq_perf::patterns::{Library, Libzmq, PatternResult, Ringmq, fanout, router_dealers};

#[derive(Clone, Copy, Debug)]
enum Case {
    Fanout { subscribers: usize },
    Router { dealers: usize },
}

const SIZE: usize = 64;

impl Case {
    fn label(self) -> String {
        match self {
            Case::Fanout { subscribers } => {
                format!("PUB/SUB fan-out {SIZE} B to {subscribers} subscriber(s)")
            }
            Case::Router { dealers } => format!("ROUTER echo {SIZE} B for {dealers} DEALERs"),
        }
    }

    fn run<L: Library>(self, lib: &L, scale: u64) -> PatternResult {
        match self {
            Case::Fanout { subscribers } => {
                // The same number of deliveries whatever the fan-out.
                let count = 2_000_000 * scale / 10 / subscribers as u64;
                fanout(lib, subscribers, SIZE, count)
            }
            Case::Router { dealers } => router_dealers(lib, dealers, 4, SIZE, 10 * scale),
        }
    }
}

fn run_one(case: Case, ringmq: bool, scale: u64) -> f64 {
    if ringmq {
        let ctx = ringmq::Context::new().unwrap_or_else(|e| die("Context::new", e));
        let result = case.run(&Ringmq(ctx.clone()), scale);
        let _ = ctx.term();
        result.deliveries_per_sec
    } else {
        let ctx = zmq::Context::new();
        let result = case.run(&Libzmq(ctx.clone()), scale);
        drop(ctx);
        result.deliveries_per_sec
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut rounds = 3;
    let mut scale = 10;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n: &usize| n > 0)
                    .unwrap_or_else(|| die("--rounds", "needs a positive number"));
            }
            "--quick" => scale = 1,
            _ => {
                eprintln!("usage: pattern-bench [--rounds N] [--quick]");
                exit(2);
            }
        }
    }
    let cases = [
        Case::Fanout { subscribers: 1 },
        Case::Fanout { subscribers: 10 },
        Case::Fanout { subscribers: 100 },
        Case::Router { dealers: 1000 },
    ];
    let mut samples = vec![(Vec::new(), Vec::new()); cases.len()];
    for round in 0..rounds {
        for (i, case) in cases.iter().enumerate() {
            // Alternate which library goes first, so drift hits both alike.
            for ringmq_first in [round % 2 == 0, round % 2 != 0] {
                eprint!(
                    "\r[round {}/{rounds}] {} {}          ",
                    round + 1,
                    case.label(),
                    if ringmq_first { "ringmq" } else { "libzmq" }
                );
                let v = run_one(*case, ringmq_first, scale);
                if ringmq_first {
                    samples[i].0.push(v);
                } else {
                    samples[i].1.push(v);
                }
            }
        }
    }
    eprintln!();
    println!(
        "pattern-bench: {rounds} round(s), median shown; libzmq 4.3.4 via the zmq crate; loopback tcp, HWM unlimited"
    );
    println!();
    println!("| case | ringmq | libzmq | ringmq / libzmq |");
    println!("|---|---|---|---|");
    for (case, (ours, theirs)) in cases.iter().zip(samples) {
        let (ours, theirs) = (median(ours), median(theirs));
        println!(
            "| {} | {:.2} M deliveries/s | {:.2} M deliveries/s | {:.2}× |",
            case.label(),
            ours / 1e6,
            theirs / 1e6,
            ours / theirs
        );
    }
}
