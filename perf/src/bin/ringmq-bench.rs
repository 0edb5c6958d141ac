//! `ringmq-bench`: runs libzmq's perf tools for ringmq and for libzmq side by side on this
//! machine, with zmq.rs for tcp (and, for the tcp round trip, ringmq in attached mode and
//! plain blocking sockets)
//! and prints a markdown table with the ratios to libzmq. Round-trip distributions are
//! written as HdrHistogram `.hgrm` files and plotted in an SVG per case, in `--out`
//! (default `target/ringmq-bench`).
//!
//! Each side of each measurement runs in its own process (this binary re-executed with
//! `--child`), as a user would run `local_thr` and `remote_thr`; implementations alternate
//! within every round so drift on a shared machine hits all alike; the table shows the
//! median of the rounds.
//!
//! ```text
//! ringmq-bench [--rounds N] [--quick] [--impl ringmq,ringmq-attached,libzmq,zmq.rs,plain] [--out DIR]
//! ```

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio, exit};
use std::time::{Duration, Instant};

use ringmq_perf::{InprocArgs, PerfArgs, libzmq, plain, report, ringmq_tools, zmqrs};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Impl {
    Ringmq,
    /// ringmq with each side's socket in attached mode (its own thread drives its ring).
    RingmqAttached,
    Libzmq,
    /// zmq.rs (the `zeromq` crate, on tokio); tcp only, it has no inproc.
    Zmqrs,
    /// Plain blocking sockets: the floor for the tcp round trip.
    Plain,
}

impl Impl {
    const ALL: [Impl; 5] = [
        Impl::Ringmq,
        Impl::RingmqAttached,
        Impl::Libzmq,
        Impl::Zmqrs,
        Impl::Plain,
    ];

    fn name(self) -> &'static str {
        match self {
            Impl::Ringmq => "ringmq",
            Impl::RingmqAttached => "ringmq-attached",
            Impl::Libzmq => "libzmq",
            Impl::Zmqrs => "zmq.rs",
            Impl::Plain => "plain",
        }
    }

    /// The implementation name the child runs as (attached mode is an environment switch).
    fn child(self) -> &'static str {
        match self {
            Impl::RingmqAttached => "ringmq",
            other => other.name(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Throughput,
    Latency,
    InprocThroughput,
    InprocLatency,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    kind: Kind,
    size: usize,
    count: u64,
}

impl Case {
    fn label(&self) -> String {
        match self.kind {
            Kind::Throughput => format!("tcp throughput {} B", self.size),
            Kind::Latency => format!("tcp REQ/REP round trip {} B", self.size),
            Kind::InprocThroughput => format!("inproc throughput {} B", self.size),
            Kind::InprocLatency => format!("inproc REQ/REP round trip {} B", self.size),
        }
    }

    fn tools(&self) -> (&'static str, &'static str) {
        match self.kind {
            Kind::Throughput => ("local_thr", "remote_thr"),
            Kind::Latency => ("local_lat", "remote_lat"),
            Kind::InprocThroughput => ("inproc_thr", ""),
            Kind::InprocLatency => ("inproc_lat", ""),
        }
    }

    /// The case's name in file names.
    fn slug(&self) -> String {
        self.label().replace([' ', '/'], "-").to_lowercase()
    }

    fn is_latency(&self) -> bool {
        matches!(self.kind, Kind::Latency | Kind::InprocLatency)
    }

    /// Who runs this case: attached mode and plain sockets only for the tcp round trip.
    fn runs(&self, imp: Impl) -> bool {
        match imp {
            Impl::Ringmq | Impl::Libzmq => true,
            Impl::Zmqrs => matches!(self.kind, Kind::Throughput | Kind::Latency),
            Impl::RingmqAttached | Impl::Plain => self.kind == Kind::Latency,
        }
    }
}

/// One run's numbers.
#[derive(Clone, Debug, Default)]
struct Sample {
    msgs_per_sec: f64,
    megabits: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
}

fn run_child(args: &[String]) -> ! {
    // --child <impl> <tool> [address] <size> <count>
    let [imp, tool, rest @ ..] = args else {
        eprintln!("ringmq-bench: bad --child arguments");
        exit(2);
    };
    let mut tool_args = vec![tool.clone()];
    tool_args.extend(rest.iter().cloned());
    if tool.starts_with("inproc_") {
        let parsed = InprocArgs::parse(tool, "count", &tool_args);
        match (imp.as_str(), tool.as_str()) {
            ("ringmq", "inproc_thr") => ringmq_tools::inproc_thr(&parsed),
            ("ringmq", "inproc_lat") => ringmq_tools::inproc_lat(&parsed),
            ("libzmq", "inproc_thr") => libzmq::inproc_thr(&parsed),
            ("libzmq", "inproc_lat") => libzmq::inproc_lat(&parsed),
            _ => {
                eprintln!("ringmq-bench: unknown child {imp} {tool}");
                exit(2);
            }
        }
        exit(0);
    }
    let parsed = PerfArgs::parse(tool, "address", "count", &tool_args);
    match (imp.as_str(), tool.as_str()) {
        ("ringmq", "local_thr") => ringmq_tools::local_thr(&parsed),
        ("ringmq", "remote_thr") => ringmq_tools::remote_thr(&parsed),
        ("ringmq", "local_lat") => ringmq_tools::local_lat(&parsed),
        ("ringmq", "remote_lat") => ringmq_tools::remote_lat(&parsed),
        ("libzmq", "local_thr") => libzmq::local_thr(&parsed),
        ("libzmq", "remote_thr") => libzmq::remote_thr(&parsed),
        ("libzmq", "local_lat") => libzmq::local_lat(&parsed),
        ("libzmq", "remote_lat") => libzmq::remote_lat(&parsed),
        ("zmq.rs", "local_thr") => zmqrs::local_thr(&parsed),
        ("zmq.rs", "remote_thr") => zmqrs::remote_thr(&parsed),
        ("zmq.rs", "local_lat") => zmqrs::local_lat(&parsed),
        ("zmq.rs", "remote_lat") => zmqrs::remote_lat(&parsed),
        ("plain", "local_lat") => plain::local_lat(&parsed),
        ("plain", "remote_lat") => plain::remote_lat(&parsed),
        _ => {
            eprintln!("ringmq-bench: unknown child {imp} {tool}");
            exit(2);
        }
    }
    exit(0);
}

fn spawn(imp: Impl, tool: &str, address: Option<&str>, case: &Case, hgrm: &Path) -> Child {
    let exe = std::env::current_exe().expect("own path");
    let mut args = vec!["--child".to_string(), imp.child().into(), tool.into()];
    args.extend(address.map(str::to_string));
    args.extend([case.size.to_string(), case.count.to_string()]);
    let mode = if imp == Impl::RingmqAttached {
        "attached"
    } else {
        "detached"
    };
    Command::new(exe)
        .args(args)
        .env("RINGMQ_MODE", mode)
        .env("RINGMQ_HGRM", hgrm)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child")
}

fn wait_output(mut child: Child, deadline: Instant, what: &str) -> String {
    loop {
        match child.try_wait().expect("wait child") {
            Some(status) => {
                let mut out = String::new();
                child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
                if !status.success() {
                    eprintln!("ringmq-bench: {what} failed ({status})");
                    exit(1);
                }
                return out;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                eprintln!("ringmq-bench: {what} timed out");
                exit(1);
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn number_after(output: &str, prefix: &str) -> f64 {
    output
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            eprintln!("ringmq-bench: no '{prefix}' in output:\n{output}");
            exit(1);
        })
}

/// Runs one case for one implementation; a round trip's distribution goes to `hgrm`.
fn measure(imp: Impl, case: &Case, hgrm: &Path) -> Sample {
    let (local_tool, remote_tool) = case.tools();
    let deadline = Instant::now() + Duration::from_secs(300);
    let output = if remote_tool.is_empty() {
        // inproc: both ends in one process.
        wait_output(spawn(imp, local_tool, None, case, hgrm), deadline, local_tool)
    } else {
        let port = free_port();
        let address = format!("tcp://127.0.0.1:{port}");
        let local = spawn(imp, local_tool, Some(&address), case, hgrm);
        // Wait until the local side listens (a probe connection it simply sees close;
        // plain sockets take no probe: they would echo into it, so wait a moment instead).
        if imp == Impl::Plain {
            std::thread::sleep(Duration::from_millis(200));
        } else {
            let start = Instant::now();
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if start.elapsed() > Duration::from_secs(10) {
                    eprintln!("ringmq-bench: {} {local_tool} never listened", imp.name());
                    exit(1);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let remote = spawn(imp, remote_tool, Some(&address), case, hgrm);
        let remote_out = wait_output(remote, deadline, remote_tool);
        let local_out = wait_output(local, deadline, local_tool);
        if case.is_latency() { remote_out } else { local_out }
    };
    if case.is_latency() {
        Sample {
            p50: number_after(&output, "round-trip p50: "),
            p99: number_after(&output, "round-trip p99: "),
            p999: number_after(&output, "round-trip p99.9: "),
            max: number_after(&output, "round-trip max: "),
            ..Sample::default()
        }
    } else {
        Sample {
            msgs_per_sec: number_after(&output, "mean throughput: "),
            megabits: output
                .lines()
                .filter(|l| l.contains("[Mb/s]"))
                .find_map(|l| l.strip_prefix("mean throughput: "))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0),
            ..Sample::default()
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn parse_impls(list: &str) -> Vec<Impl> {
    list.split(',')
        .map(|name| {
            Impl::ALL
                .into_iter()
                .find(|i| i.name() == name)
                .unwrap_or_else(|| {
                    eprintln!("ringmq-bench: unknown implementation '{name}'");
                    exit(2);
                })
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        run_child(&args[1..]);
    }
    let mut rounds = 3usize;
    let mut out_dir = PathBuf::from("target/ringmq-bench");
    let mut scale = 1u64;
    let mut impls = Impl::ALL.to_vec();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or(3)
            }
            "--quick" => scale = 10,
            "--out" => out_dir = it.next().map(PathBuf::from).unwrap_or(out_dir),
            "--impl" => impls = parse_impls(it.next().map_or("", String::as_str)),
            "-h" | "--help" => {
                println!(
                    "usage: ringmq-bench [--rounds N] [--quick] [--impl ringmq,ringmq-attached,libzmq,zmq.rs,plain] [--out DIR]"
                );
                return;
            }
            other => {
                eprintln!("ringmq-bench: unknown argument '{other}' (see --help)");
                exit(2);
            }
        }
    }
    if let Err(e) = std::fs::create_dir_all(out_dir.join("rounds")) {
        eprintln!("ringmq-bench: cannot create {}: {e}", out_dir.display());
        exit(1);
    }
    let case = |kind, size, count: u64| Case {
        kind,
        size,
        count: count / scale,
    };
    let cases = [
        case(Kind::Throughput, 64, 2_000_000),
        case(Kind::Throughput, 1024, 500_000),
        case(Kind::Latency, 64, 20_000),
        case(Kind::InprocThroughput, 8, 10_000_000),
        case(Kind::InprocThroughput, 64, 10_000_000),
        case(Kind::InprocLatency, 64, 100_000),
    ];
    let runs: Vec<(usize, usize)> = (0..cases.len())
        .flat_map(|c| (0..impls.len()).map(move |i| (c, i)))
        .filter(|&(c, i)| cases[c].runs(impls[i]))
        .collect();
    let total = rounds * runs.len();
    let mut done = 0;
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); impls.len()]; cases.len()];
    for round in 0..rounds {
        for (c, case) in cases.iter().enumerate() {
            let mut order: Vec<usize> = (0..impls.len()).filter(|&i| case.runs(impls[i])).collect();
            // Alternate which implementation goes first.
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                done += 1;
                eprint!(
                    "\r[{done}/{total}] round {} {} {}          ",
                    round + 1,
                    case.label(),
                    impls[i].name()
                );
                let hgrm = raw_hgrm(&out_dir, case, impls[i], round);
                samples[c][i].push(measure(impls[i], case, &hgrm));
            }
        }
    }
    eprintln!();
    let written = keep_median_distributions(&out_dir, &cases, &impls, &samples);
    println!("ringmq-bench: {rounds} round(s), median shown; libzmq 4.3.4 via the zmq crate\n");
    println!("| case | implementation | msg/s | Mb/s | p50 | p99 | p99.9 | max | vs libzmq |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let libzmq = impls.iter().position(|&i| i == Impl::Libzmq);
    for (c, case) in cases.iter().enumerate() {
        let med = |i: usize, pick: fn(&Sample) -> f64| median(samples[c][i].iter().map(pick).collect());
        for (i, imp) in impls.iter().enumerate() {
            if samples[c][i].is_empty() {
                continue;
            }
            let cells = if case.is_latency() {
                let ratio = libzmq.map_or(String::new(), |l| {
                    format!(
                        "{:.2}× p50 (lower is better)",
                        med(i, |s| s.p50) / med(l, |s| s.p50)
                    )
                });
                format!(
                    "| | | {:.1} µs | {:.1} µs | {:.1} µs | {:.1} µs | {ratio} |",
                    med(i, |s| s.p50),
                    med(i, |s| s.p99),
                    med(i, |s| s.p999),
                    med(i, |s| s.max)
                )
            } else {
                let ratio = libzmq.map_or(String::new(), |l| {
                    format!("{:.2}×", med(i, |s| s.msgs_per_sec) / med(l, |s| s.msgs_per_sec))
                });
                format!(
                    "| {:.2} M | {:.0} | | | | | {ratio} |",
                    med(i, |s| s.msgs_per_sec) / 1e6,
                    med(i, |s| s.megabits)
                )
            };
            println!("| {} | {} {cells}", case.label(), imp.name());
        }
    }
    if !written.is_empty() {
        println!("\nRound-trip distributions (the median round's, HdrHistogram .hgrm) and plots:");
        for path in written {
            println!("- {}", path.display());
        }
    }
}

/// Where round `round` of `case` for `imp` writes its distribution.
fn raw_hgrm(out_dir: &Path, case: &Case, imp: Impl, round: usize) -> PathBuf {
    out_dir
        .join("rounds")
        .join(format!("{}-{}-r{}.hgrm", case.slug(), imp.name(), round + 1))
}

/// For each round-trip case, keeps the distribution of the round whose p50 is the median
/// as `<case>-<impl>.hgrm` and plots them all in `<case>.svg`; returns the files written.
fn keep_median_distributions(
    out_dir: &Path,
    cases: &[Case],
    impls: &[Impl],
    samples: &[Vec<Vec<Sample>>],
) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for (c, case) in cases.iter().enumerate().filter(|(_, c)| c.is_latency()) {
        let mut curves = Vec::new();
        for (i, imp) in impls.iter().enumerate() {
            let runs = &samples[c][i];
            if runs.is_empty() {
                continue;
            }
            let mut order: Vec<usize> = (0..runs.len()).collect();
            order.sort_by(|&a, &b| runs[a].p50.total_cmp(&runs[b].p50));
            let median_round = order[order.len() / 2];
            let kept = out_dir.join(format!("{}-{}.hgrm", case.slug(), imp.name()));
            if std::fs::copy(raw_hgrm(out_dir, case, *imp, median_round), &kept).is_err() {
                continue;
            }
            if let Ok(points) = report::read_hgrm(&kept) {
                curves.push(report::Curve {
                    name: imp.name().into(),
                    points,
                });
            }
            written.push(kept);
        }
        if !curves.is_empty() {
            let svg = out_dir.join(format!("{}.svg", case.slug()));
            match report::plot_latency(&case.label(), &curves, &svg) {
                Ok(()) => written.push(svg),
                Err(e) => eprintln!("ringmq-bench: plotting {}: {e}", svg.display()),
            }
        }
    }
    written
}
