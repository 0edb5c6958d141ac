//! `pattern-bench`: PUB/SUB fan-out to 1, 10 and 100 tcp subscribers, a ROUTER echoing
//! for 1 000 connected DEALERs, and N independent PUSH/PULL pairs on a context of N shards
//! (libzmq and omq.rs: N I/O threads) for N = 1, 2 and the core count, for ringmq and libzmq
//! side by side (and omq.rs in the pairs), alternating them in every round; prints markdown
//! tables of medians and ratios, the pairs also as the ratio of N pairs' total to N times one
//! pair's rate.
//!
//! ```text
//! pattern-bench [--rounds N] [--quick]
//! ```

use std::process::exit;

use ringmq_perf::die;
use ringmq_perf::patterns::{Library, Libzmq, Omq, PatternResult, Ringmq, fanout, pairs, router_dealers};

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

/// The libraries a run can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lib {
    Ringmq,
    Libzmq,
    Omq,
}

impl Lib {
    const ALL: [Lib; 3] = [Lib::Ringmq, Lib::Libzmq, Lib::Omq];

    fn name(self) -> &'static str {
        match self {
            Lib::Ringmq => "ringmq",
            Lib::Libzmq => "libzmq",
            Lib::Omq => "omq",
        }
    }

    /// omq.rs runs the pairs only: they are what compares I/O-thread scaling.
    fn runs(self, case: Case) -> bool {
        self != Lib::Omq || matches!(case, Case::Pairs { .. })
    }
}

fn run_one(case: Case, lib: Lib, scale: u64) -> f64 {
    match lib {
        Lib::Ringmq => {
            let mut builder = ringmq::Context::builder();
            if let Some(n) = case.threads() {
                builder = builder.shards(n);
            }
            let ctx = builder.build().unwrap_or_else(|e| die("Context::build", e));
            let result = case.run(&Ringmq(ctx.clone()), scale);
            let _ = ctx.term();
            result.deliveries_per_sec
        }
        Lib::Libzmq => {
            let ctx = zmq::Context::new();
            if let Some(n) = case.threads() {
                ctx.set_io_threads(n as i32)
                    .unwrap_or_else(|e| die("io_threads", e));
            }
            let result = case.run(&Libzmq(ctx.clone()), scale);
            drop(ctx);
            result.deliveries_per_sec
        }
        Lib::Omq => {
            let io_threads = case.threads().unwrap_or(1);
            let ctx = omq_tokio::Context::with_config(omq_tokio::ContextConfig { io_threads });
            case.run(&Omq(ctx), scale).deliveries_per_sec
        }
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
    // samples[case][library]
    let mut samples = vec![[Vec::new(), Vec::new(), Vec::new()]; cases.len()];
    for round in 0..rounds {
        for (i, case) in cases.iter().enumerate() {
            // Alternate which library goes first, so drift hits all alike.
            let mut order: Vec<usize> = (0..Lib::ALL.len()).filter(|&l| Lib::ALL[l].runs(*case)).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for l in order {
                let lib = Lib::ALL[l];
                eprint!(
                    "\r[round {}/{rounds}] {} {}          ",
                    round + 1,
                    case.label(),
                    lib.name()
                );
                samples[i][l].push(run_one(*case, lib, scale));
            }
        }
    }
    eprintln!();
    println!(
        "pattern-bench: {rounds} round(s), median shown; libzmq 4.3.4 via the zmq crate, omq.rs 0.33 (omq-tokio, pairs only); loopback tcp, HWM unlimited"
    );
    println!();
    println!("| case | ringmq | libzmq | ringmq / libzmq |");
    println!("|---|---|---|---|");
    let medians: Vec<[Option<f64>; 3]> = samples
        .into_iter()
        .map(|per_lib| per_lib.map(|v| (!v.is_empty()).then(|| median(v))))
        .collect();
    for (case, m) in cases.iter().zip(&medians) {
        let (Some(ours), Some(theirs)) = (m[0], m[1]) else {
            continue;
        };
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

/// The pairs again, as N pairs' total against N times one pair's rate, for each library.
fn print_scaling(cases: &[Case], medians: &[[Option<f64>; 3]], cores: usize) {
    let rates_of = |n: usize| {
        cases
            .iter()
            .position(|c| matches!(c, Case::Pairs { pairs } if *pairs == n))
            .map(|i| medians[i])
    };
    let Some(one) = rates_of(1) else {
        return;
    };
    println!();
    println!("Scaling on {cores} core(s): N pairs' total / (N × one pair); omq.rs with N I/O threads");
    println!();
    println!(
        "| pairs | ringmq total | scaling | libzmq total | scaling | omq total | scaling | ringmq / omq |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for case in cases {
        let Case::Pairs { pairs: n } = *case else {
            continue;
        };
        let Some(rates) = rates_of(n) else {
            continue;
        };
        let mut row = format!("| {n} |");
        for l in 0..Lib::ALL.len() {
            match (rates[l], one[l]) {
                (Some(total), Some(single)) => {
                    row += &format!(
                        " {:.2} M msg/s | {:.2}× |",
                        total / 1e6,
                        total / (n as f64 * single)
                    );
                }
                _ => row += " | |",
            }
        }
        match (rates[0], rates[2]) {
            (Some(ours), Some(omq)) => row += &format!(" {:.2}× |", ours / omq),
            _ => row += " |",
        }
        println!("{row}");
    }
}
