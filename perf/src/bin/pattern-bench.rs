//! `pattern-bench`: PUB/SUB fan-out to 1, 10 and 100 tcp subscribers, a ROUTER echoing
//! for 1 000 connected DEALERs, and N independent PUSH/PULL pairs on a context of N shards
//! (libzmq: N I/O threads) for N = 1, 2 and the core count, for ringmq and libzmq side by
//! side, alternating the two in every round; prints markdown tables of medians and ratios,
//! the pairs also as the ratio of N pairs' total to N times one pair's rate.
//!
//! ```text
//! pattern-bench [--rounds N] [--quick]
//! ```

use std::process::exit;

use ringmq_perf::die;
use ringmq_perf::patterns::{Library, Libzmq, PatternResult, Ringmq, fanout, pairs, router_dealers};

#[derive(Clone, Copy, Debug)]
enum Case {
    Fanout { subscribers: usize },
    Router { dealers: usize },
    Pairs { pairs: usize },
}

const SIZE: usize = 64;

impl Case {
    fn label(self) -> String {
        match self {
            Case::Fanout { subscribers } => {
                format!("PUB/SUB fan-out {SIZE} B to {subscribers} subscriber(s)")
            }
            Case::Router { dealers } => format!("ROUTER echo {SIZE} B for {dealers} DEALERs"),
            Case::Pairs { pairs } => {
                format!("{pairs} PUSH/PULL pair(s) {SIZE} B, {pairs} shard(s) / I/O thread(s)")
            }
        }
    }

    /// The context's shards (ringmq) or I/O threads (libzmq); `None`: the default.
    fn threads(self) -> Option<usize> {
        match self {
            Case::Pairs { pairs } => Some(pairs),
            _ => None,
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
            Case::Pairs { pairs: n } => pairs(lib, n, SIZE, 500_000 * scale / 10),
        }
    }
}

fn run_one(case: Case, ringmq: bool, scale: u64) -> f64 {
    if ringmq {
        let mut builder = ringmq::Context::builder();
        if let Some(n) = case.threads() {
            builder = builder.shards(n);
        }
        let ctx = builder.build().unwrap_or_else(|e| die("Context::build", e));
        let result = case.run(&Ringmq(ctx.clone()), scale);
        let _ = ctx.term();
        result.deliveries_per_sec
    } else {
        let ctx = zmq::Context::new();
        if let Some(n) = case.threads() {
            ctx.set_io_threads(n as i32)
                .unwrap_or_else(|e| die("io_threads", e));
        }
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
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut cases = vec![
        Case::Fanout { subscribers: 1 },
        Case::Fanout { subscribers: 10 },
        Case::Fanout { subscribers: 100 },
        Case::Router { dealers: 1000 },
        Case::Pairs { pairs: 1 },
        Case::Pairs { pairs: 2 },
    ];
    if cores > 2 {
        cases.push(Case::Pairs { pairs: cores });
    }
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
    let medians: Vec<(f64, f64)> = samples
        .into_iter()
        .map(|(ours, theirs)| (median(ours), median(theirs)))
        .collect();
    for (case, &(ours, theirs)) in cases.iter().zip(&medians) {
        println!(
            "| {} | {:.2} M deliveries/s | {:.2} M deliveries/s | {:.2}× |",
            case.label(),
            ours / 1e6,
            theirs / 1e6,
            ours / theirs
        );
    }
    print_scaling(&cases, &medians, cores);
}

/// The pairs again, as N pairs' total against N times one pair's rate.
fn print_scaling(cases: &[Case], medians: &[(f64, f64)], cores: usize) {
    let rate_of = |n: usize| {
        cases
            .iter()
            .position(|c| matches!(c, Case::Pairs { pairs } if *pairs == n))
            .map(|i| medians[i])
    };
    let Some((one_ours, one_theirs)) = rate_of(1) else {
        return;
    };
    println!();
    println!("Scaling on {cores} core(s): N pairs' total / (N × one pair)");
    println!();
    println!("| pairs | ringmq total | ringmq scaling | libzmq total | libzmq scaling |");
    println!("|---:|---:|---:|---:|---:|");
    for case in cases {
        if let Case::Pairs { pairs: n } = *case
            && let Some((ours, theirs)) = rate_of(n)
        {
            println!(
                "| {n} | {:.2} M msg/s | {:.2}× | {:.2} M msg/s | {:.2}× |",
                ours / 1e6,
                ours / (n as f64 * one_ours),
                theirs / 1e6,
                theirs / (n as f64 * one_theirs)
            );
        }
    }
}
