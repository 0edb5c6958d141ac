//! `ringmq-bench`: the side-by-side report. Runs libzmq's perf tools for ringmq (detached,
//! attached, and with the sender's zero-copy `Bytes` body for large messages), libzmq, omq.rs (with its I/O thread and on one thread), rzmq (with and
//! without its io_uring backend), zmq.rs and plain stream sockets over tcp, ipc and inproc
//! at several message sizes, and prints markdown tables with the ratios to libzmq, to the
//! best other implementation of each case and to plain sockets. Round-trip distributions are written as HdrHistogram `.hgrm` files and
//! plotted in an SVG per case, in `--out` (default `target/ringmq-bench`).
//!
//! Each side of each measurement runs in its own process (this binary re-executed with
//! `--child`), as a user would run `local_thr` and `remote_thr`; a short calibration run
//! sizes every run to `--duration`; implementations alternate within every round so drift
//! on a shared machine hits all alike; the tables show the median of the rounds.

use std::path::PathBuf;
use std::process::exit;
use std::time::{Duration, Instant};

use ringmq_perf::bench::case::{Case, Impl, Kind, Security, Transport};
use ringmq_perf::bench::results::Results;
use ringmq_perf::bench::runner;
use ringmq_perf::bench::{child, distributions, table};

const USAGE: &str = "\
usage: ringmq-bench [options]
  --impl LIST        implementations (ringmq,ringmq-attached,ringmq-shared,libzmq,omq,
                     omq-1thread,rzmq,rzmq-uring,zmq.rs,plain; default all; ringmq-shared
                     sends one application-owned Bytes body, tcp/ipc 64 KiB and up)
  --transport LIST   transports (tcp,ipc,inproc; default all)
  --kind LIST        throughput,latency (default both)
  --sizes LIST       throughput message sizes in bytes, k for KiB, m for MiB
                     (default 8,64,1k,64k,1m)
  --lat-sizes LIST   round-trip message sizes (default 64)
  --security LIST    null,curve,plain (default null): CURVE and PLAIN rows run ringmq and
                     libzmq (the system's libzmq5, which has CURVE) over tcp and ipc
  --duration SECS    length of each run (default 0.25)
  --rounds N         rounds; the median is shown (default 3)
  --quick            one round of 0.1 s runs
  --out DIR          where the .hgrm files and plots go (default target/ringmq-bench)";

struct Options {
    impls: Vec<Impl>,
    transports: Vec<Transport>,
    kinds: Vec<Kind>,
    sizes: Vec<usize>,
    lat_sizes: Vec<usize>,
    security: Vec<Security>,
    duration: Duration,
    rounds: usize,
    out_dir: PathBuf,
}

fn usage_error(message: &str) -> ! {
    eprintln!("ringmq-bench: {message}\n{USAGE}");
    exit(2);
}

/// `LIST` of names from `all`.
fn pick<T: Copy>(list: &str, all: &[T], name: fn(T) -> &'static str, what: &str) -> Vec<T> {
    list.split(',')
        .map(|n| {
            all.iter()
                .copied()
                .find(|&x| name(x) == n)
                .unwrap_or_else(|| usage_error(&format!("unknown {what} '{n}'")))
        })
        .collect()
}

fn sizes(list: &str) -> Vec<usize> {
    list.split(',')
        .map(|s| {
            let (digits, unit) = if let Some(d) = s.strip_suffix(['k', 'K']) {
                (d, 1 << 10)
            } else if let Some(d) = s.strip_suffix(['m', 'M']) {
                (d, 1 << 20)
            } else {
                (s, 1)
            };
            digits
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .map(|n| n * unit)
                .unwrap_or_else(|| usage_error(&format!("bad size '{s}'")))
        })
        .collect()
}

fn parse_options(args: &[String]) -> Options {
    let mut o = Options {
        impls: Impl::ALL.to_vec(),
        transports: Transport::ALL.to_vec(),
        kinds: Kind::ALL.to_vec(),
        sizes: vec![8, 64, 1024, 65536, 1 << 20],
        lat_sizes: vec![64],
        security: vec![Security::Null],
        duration: Duration::from_millis(250),
        rounds: 3,
        out_dir: PathBuf::from("target/ringmq-bench"),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .map(String::as_str)
                .unwrap_or_else(|| usage_error(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--impl" => o.impls = pick(value(), &Impl::ALL, Impl::name, "implementation"),
            "--transport" => o.transports = pick(value(), &Transport::ALL, Transport::name, "transport"),
            "--kind" => o.kinds = pick(value(), &Kind::ALL, Kind::name, "kind"),
            "--sizes" => o.sizes = sizes(value()),
            "--lat-sizes" => o.lat_sizes = sizes(value()),
            "--security" => o.security = pick(value(), &Security::ALL, Security::name, "security"),
            "--duration" => {
                o.duration = value()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0 && *s < 3600.0)
                    .map(Duration::from_secs_f64)
                    .unwrap_or_else(|| usage_error("bad --duration"))
            }
            "--rounds" => {
                o.rounds = value()
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage_error("bad --rounds"))
            }
            "--quick" => {
                o.rounds = 1;
                o.duration = Duration::from_millis(100);
            }
            "--out" => o.out_dir = PathBuf::from(value()),
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            other => usage_error(&format!("unknown argument '{other}'")),
        }
    }
    o
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child::run(&args[1..]);
    }
    let o = parse_options(&args);
    if let Err(e) = std::fs::create_dir_all(o.out_dir.join("rounds")) {
        runner::fail(&format!("cannot create {}: {e}", o.out_dir.display()));
    }
    let mut cases = Vec::new();
    for &security in &o.security {
        for &kind in &o.kinds {
            for &transport in &o.transports {
                // Mechanisms do not apply to inproc.
                if security != Security::Null && transport == Transport::Inproc {
                    continue;
                }
                let sizes = if kind == Kind::Latency {
                    &o.lat_sizes
                } else {
                    &o.sizes
                };
                cases.extend(sizes.iter().map(|&size| Case {
                    kind,
                    transport,
                    size,
                    security,
                }));
            }
        }
    }
    let runs: Vec<(usize, usize)> = (0..cases.len())
        .flat_map(|c| (0..o.impls.len()).map(move |i| (c, i)))
        .filter(|&(c, i)| cases[c].runs(o.impls[i]))
        .collect();
    if runs.is_empty() {
        usage_error("nothing to run: no implementation takes part in the chosen cases");
    }
    let started = Instant::now();

    // Calibration: a short run of each, to size the real ones to the time budget.
    let scratch = o.out_dir.join("rounds").join("calibration.hgrm");
    let mut counts = vec![vec![0u64; o.impls.len()]; cases.len()];
    let mut failures = Failures::default();
    for (n, &(c, i)) in runs.iter().enumerate() {
        let (case, imp) = (&cases[c], o.impls[i]);
        progress(&format!(
            "[calibrating {}/{}] {} {case} {}",
            n + 1,
            runs.len(),
            case.kind.name(),
            imp.name()
        ));
        match runner::measure(
            imp,
            case,
            runner::calibration_count(case),
            &scratch,
            runner::CALIBRATION_LIMIT,
        ) {
            Ok(sample) => counts[c][i] = runner::count_for(&sample, o.duration),
            Err(why) => failures.record(imp, case, why),
        }
    }
    let _ = std::fs::remove_file(&scratch);

    let mut results = Results::new(cases.clone(), o.impls.clone());
    let total = o.rounds * runs.len();
    let mut done = 0;
    for round in 0..o.rounds {
        for (c, case) in cases.iter().enumerate() {
            let mut order: Vec<usize> = (0..o.impls.len())
                .filter(|&i| case.runs(o.impls[i]) && !failures.has(o.impls[i], case))
                .collect();
            // Alternate which implementation goes first.
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                done += 1;
                let imp = o.impls[i];
                progress(&format!(
                    "[{done}/{total}] round {} {} {case} {} ({} msgs)",
                    round + 1,
                    case.kind.name(),
                    imp.name(),
                    counts[c][i]
                ));
                let file = distributions::round_file(&o.out_dir, case, imp, round);
                match runner::measure(imp, case, counts[c][i], &file, runner::run_limit(o.duration)) {
                    Ok(sample) => results.push(c, i, sample),
                    Err(why) => failures.record(imp, case, why),
                }
            }
        }
    }
    progress("");
    let written = distributions::keep_medians(&o.out_dir, &results);
    println!(
        "ringmq-bench: {} round(s) of {:.2} s runs, median shown, {:.0} s in all; {}\n",
        o.rounds,
        o.duration.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        ringmq_perf::bench::PEERS,
    );
    print!("{}", table::markdown(&results));
    failures.print();
    if !written.is_empty() {
        println!("\nRound-trip distributions (the median round's, HdrHistogram .hgrm) and plots:");
        for path in written {
            println!("- {}", path.display());
        }
    }
}

/// Peers' runs that failed. A peer that cannot run a case leaves a gap in the tables and a
/// line under them, and the rest of the report goes on (one peer's bug must not hide the
/// others' numbers); ringmq's own tools and plain sockets
/// failing stop the report, as that is a bug of ours.
#[derive(Default)]
struct Failures(Vec<(Impl, Case, String)>);

impl Failures {
    fn record(&mut self, imp: Impl, case: &Case, why: String) {
        if !imp.is_peer() {
            runner::fail(&format!("{} {} {case}: {why}", imp.name(), case.kind.name()));
        }
        eprintln!(
            "\nringmq-bench: {} {} {case} failed: {why}",
            imp.name(),
            case.kind.name()
        );
        self.0.push((imp, *case, why));
    }

    fn has(&self, imp: Impl, case: &Case) -> bool {
        self.0.iter().any(|(i, c, _)| *i == imp && c == case)
    }

    fn print(&self) {
        if self.0.is_empty() {
            return;
        }
        println!(
            "\nRuns that failed (each left out of later rounds; a row shows the rounds that finished before):"
        );
        for (imp, case, why) in &self.0 {
            let first_line = why.lines().next().unwrap_or_default();
            println!("- {} {} {case}: {first_line}", imp.name(), case.kind.name());
        }
    }
}

/// Rewrites the progress line on stderr (an empty one clears it).
fn progress(line: &str) {
    eprint!("\r{line:<100}\r");
}
