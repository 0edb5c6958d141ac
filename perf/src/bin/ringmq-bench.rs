//! `ringmq-bench`: runs libzmq's perf tools for ringmq and for libzmq side by side on this
//! machine and prints a markdown table with the ratios.
//!
//! Each side of each measurement runs in its own process (this binary re-executed with
//! `--child`), as a user would run `local_thr` and `remote_thr`; implementations alternate
//! within every round so drift on a shared machine hits both alike; the table shows the
//! median of the rounds.
//!
//! ```text
//! ringmq-bench [--rounds N] [--quick] [--impl ringmq,libzmq]
//! ```

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio, exit};
use std::time::{Duration, Instant};

use ringmq_perf::{PerfArgs, libzmq, ringmq_tools};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Impl {
    Ringmq,
    Libzmq,
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Ringmq => "ringmq",
            Impl::Libzmq => "libzmq",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Throughput,
    Latency,
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
        }
    }

    fn tools(&self) -> (&'static str, &'static str) {
        match self.kind {
            Kind::Throughput => ("local_thr", "remote_thr"),
            Kind::Latency => ("local_lat", "remote_lat"),
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
    // --child <impl> <tool> <address> <size> <count>
    let [imp, tool, rest @ ..] = args else {
        eprintln!("ringmq-bench: bad --child arguments");
        exit(2);
    };
    let mut perf_args = vec![tool.clone()];
    perf_args.extend(rest.iter().cloned());
    let parsed = PerfArgs::parse(tool, "address", "count", &perf_args);
    match (imp.as_str(), tool.as_str()) {
        ("ringmq", "local_thr") => ringmq_tools::local_thr(&parsed),
        ("ringmq", "remote_thr") => ringmq_tools::remote_thr(&parsed),
        ("ringmq", "local_lat") => ringmq_tools::local_lat(&parsed),
        ("ringmq", "remote_lat") => ringmq_tools::remote_lat(&parsed),
        ("libzmq", "local_thr") => libzmq::local_thr(&parsed),
        ("libzmq", "remote_thr") => libzmq::remote_thr(&parsed),
        ("libzmq", "local_lat") => libzmq::local_lat(&parsed),
        ("libzmq", "remote_lat") => libzmq::remote_lat(&parsed),
        _ => {
            eprintln!("ringmq-bench: unknown child {imp} {tool}");
            exit(2);
        }
    }
    exit(0);
}

fn spawn(imp: Impl, tool: &str, address: &str, case: &Case) -> Child {
    let exe = std::env::current_exe().expect("own path");
    Command::new(exe)
        .args([
            "--child",
            imp.name(),
            tool,
            address,
            &case.size.to_string(),
            &case.count.to_string(),
        ])
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

fn measure(imp: Impl, case: &Case) -> Sample {
    let port = free_port();
    let address = format!("tcp://127.0.0.1:{port}");
    let (local_tool, remote_tool) = case.tools();
    let local = spawn(imp, local_tool, &address, case);
    // Wait until the local side listens (a probe connection it simply sees close).
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(10) {
            eprintln!("ringmq-bench: {} {local_tool} never listened", imp.name());
            exit(1);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let remote = spawn(imp, remote_tool, &address, case);
    let deadline = Instant::now() + Duration::from_secs(300);
    let remote_out = wait_output(remote, deadline, remote_tool);
    let local_out = wait_output(local, deadline, local_tool);
    match case.kind {
        Kind::Throughput => Sample {
            msgs_per_sec: number_after(&local_out, "mean throughput: "),
            megabits: local_out
                .lines()
                .filter(|l| l.contains("[Mb/s]"))
                .find_map(|l| l.strip_prefix("mean throughput: "))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0),
            ..Sample::default()
        },
        Kind::Latency => Sample {
            p50: number_after(&remote_out, "round-trip p50: "),
            p99: number_after(&remote_out, "round-trip p99: "),
            p999: number_after(&remote_out, "round-trip p99.9: "),
            max: number_after(&remote_out, "round-trip max: "),
            ..Sample::default()
        },
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        run_child(&args[1..]);
    }
    let mut rounds = 3usize;
    let mut scale = 1u64;
    let mut impls = vec![Impl::Ringmq, Impl::Libzmq];
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
            "--impl" => {
                impls = it
                    .next()
                    .map(|v| {
                        v.split(',')
                            .map(|s| match s {
                                "ringmq" => Impl::Ringmq,
                                "libzmq" => Impl::Libzmq,
                                other => {
                                    eprintln!("ringmq-bench: unknown implementation '{other}'");
                                    exit(2);
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            "-h" | "--help" => {
                println!("usage: ringmq-bench [--rounds N] [--quick] [--impl ringmq,libzmq]");
                return;
            }
            other => {
                eprintln!("ringmq-bench: unknown argument '{other}' (see --help)");
                exit(2);
            }
        }
    }
    let cases = [
        Case {
            kind: Kind::Throughput,
            size: 64,
            count: 2_000_000 / scale,
        },
        Case {
            kind: Kind::Throughput,
            size: 1024,
            count: 500_000 / scale,
        },
        Case {
            kind: Kind::Latency,
            size: 64,
            count: 20_000 / scale,
        },
    ];
    let total = rounds * cases.len() * impls.len();
    let mut done = 0;
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); impls.len()]; cases.len()];
    for round in 0..rounds {
        for (c, case) in cases.iter().enumerate() {
            // Alternate which implementation goes first.
            let order: Vec<usize> = if round % 2 == 0 {
                (0..impls.len()).collect()
            } else {
                (0..impls.len()).rev().collect()
            };
            for i in order {
                done += 1;
                eprint!(
                    "\r[{done}/{total}] round {} {} {}          ",
                    round + 1,
                    case.label(),
                    impls[i].name()
                );
                samples[c][i].push(measure(impls[i], case));
            }
        }
    }
    eprintln!();
    println!("ringmq-bench: {rounds} round(s), median shown; libzmq 4.3.4 via the zmq crate\n");
    let header: Vec<&str> = impls.iter().map(|i| i.name()).collect();
    let ratio = impls.len() == 2;
    println!(
        "| case | {} |{}",
        header.join(" | "),
        if ratio { " ringmq / libzmq |" } else { "" }
    );
    println!(
        "|---|{}{}",
        "---|".repeat(impls.len()),
        if ratio { "---|" } else { "" }
    );
    for (c, case) in cases.iter().enumerate() {
        match case.kind {
            Kind::Throughput => {
                let m: Vec<(f64, f64)> = samples[c]
                    .iter()
                    .map(|s| {
                        (
                            median(s.iter().map(|x| x.msgs_per_sec).collect()),
                            median(s.iter().map(|x| x.megabits).collect()),
                        )
                    })
                    .collect();
                let cells: Vec<String> = m
                    .iter()
                    .map(|(rate, mb)| format!("{:.2} M msg/s ({:.0} Mb/s)", rate / 1e6, mb))
                    .collect();
                let r = if ratio {
                    format!(" {:.2}× |", m[0].0 / m[1].0)
                } else {
                    String::new()
                };
                println!("| {} | {} |{r}", case.label(), cells.join(" | "));
            }
            Kind::Latency => {
                for (label, pick) in [
                    ("p50", (|s: &Sample| s.p50) as fn(&Sample) -> f64),
                    ("p99", |s: &Sample| s.p99),
                    ("p99.9", |s: &Sample| s.p999),
                    ("max", |s: &Sample| s.max),
                ] {
                    let m: Vec<f64> = samples[c]
                        .iter()
                        .map(|s| median(s.iter().map(pick).collect()))
                        .collect();
                    let cells: Vec<String> = m.iter().map(|v| format!("{v:.1} µs")).collect();
                    let r = if ratio {
                        format!(" {:.2}× (lower is better) |", m[0] / m[1])
                    } else {
                        String::new()
                    };
                    println!("| {} {label} | {} |{r}", case.label(), cells.join(" | "));
                }
            }
        }
    }
}
