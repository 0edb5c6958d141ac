//! Runs one case for one implementation in child processes and reads back its numbers;
//! sizes each run to a time budget from a short calibration run.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio, exit};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::case::{Case, Impl, Kind, Security, Transport};

/// One run's numbers (latencies are round trips in microseconds).
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub msgs_per_sec: f64,
    /// Mean round trip, from the tools' average one-way latency.
    pub mean_rtt: f64,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Sample {
    /// Messages (or round trips) per second this run achieved.
    fn rate(&self) -> f64 {
        if self.msgs_per_sec > 0.0 {
            self.msgs_per_sec
        } else {
            1e6 / self.mean_rtt.max(0.001)
        }
    }
}

/// The count a calibration run uses: enough to get past connection set-up, little enough
/// for the slowest implementation to finish in a fraction of a second.
pub fn calibration_count(case: &Case) -> u64 {
    match case.kind {
        Kind::Throughput => (4_000_000 / case.size as u64).clamp(500, 50_000),
        Kind::Latency => 500,
    }
}

/// The count that makes a run last about `budget`, at the rate `calibration` achieved;
/// never fewer than 1 000 (a p99.9 needs a thousand round trips).
pub fn count_for(calibration: &Sample, budget: Duration) -> u64 {
    ((calibration.rate() * budget.as_secs_f64()) as u64).max(1_000)
}

/// How long a calibration run may take: its fixed count moves at most 500 MiB or 50 000
/// messages, seconds for the slowest peer here.
pub const CALIBRATION_LIMIT: Duration = Duration::from_secs(30);

/// How long a run sized to last `planned` may take before it counts as hung: a peer that
/// stalls (zmq.rs 0.7 at 1 MiB over tcp) must not hold the report up for minutes.
pub fn run_limit(planned: Duration) -> Duration {
    Duration::from_secs(30) + planned * 20
}

/// Runs `case` for `imp` with `count` messages (or round trips); a round trip's
/// distribution goes to `hgrm`. `Err` says why a run failed (a tool that exited with an
/// error, took longer than `limit` or printed no numbers); both tools are gone by then.
pub fn measure(imp: Impl, case: &Case, count: u64, hgrm: &Path, limit: Duration) -> Result<Sample, String> {
    let (local_tool, remote_tool) = case.tools();
    let deadline = Instant::now() + limit;
    let output = match remote_tool {
        None => wait_output(
            spawn(imp, local_tool, None, case, count, hgrm),
            deadline,
            local_tool,
        )?,
        Some(remote_tool) => {
            let endpoint = Endpoint::new(case.transport);
            let address = endpoint.address();
            let mut local = spawn(imp, local_tool, Some(&address), case, count, hgrm);
            // Plain sockets' connecting side retries until the other listens; a library's
            // would wait a reconnect interval, so wait until the listener is up instead (a
            // probe connection the library simply sees close).
            if imp != Impl::Plain
                && let Err(e) = endpoint.wait_listening(local_tool)
            {
                stop(&mut local);
                return Err(e);
            }
            let mut remote = spawn(imp, remote_tool, Some(&address), case, count, hgrm);
            match case.kind {
                Kind::Latency => match wait_output(remote, deadline, remote_tool) {
                    Ok(out) => {
                        wait_output(local, deadline, local_tool)?;
                        out
                    }
                    Err(e) => {
                        stop(&mut local);
                        return Err(e);
                    }
                },
                Kind::Throughput => {
                    // The sender may be holding its connection open (see
                    // `hold_while_asked`): release it once the receiver has everything.
                    match wait_output(local, deadline, local_tool) {
                        Ok(out) => {
                            drop(remote.stdin.take());
                            wait_output(remote, deadline, remote_tool)?;
                            out
                        }
                        Err(e) => {
                            stop(&mut remote);
                            return Err(e);
                        }
                    }
                }
            }
        }
    };
    Ok(match case.kind {
        Kind::Latency => Sample {
            mean_rtt: 2.0 * number_after(&output, "average latency: ")?,
            p50: number_after(&output, "round-trip p50: ")?,
            p99: number_after(&output, "round-trip p99: ")?,
            p999: number_after(&output, "round-trip p99.9: ")?,
            max: number_after(&output, "round-trip max: ")?,
            ..Sample::default()
        },
        Kind::Throughput => Sample {
            msgs_per_sec: number_after(&output, "mean throughput: ")?,
            ..Sample::default()
        },
    })
}

/// Kills a tool whose partner failed, so it cannot outlive the run.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Where a tcp or ipc run's two sides meet.
enum Endpoint {
    Tcp(u16),
    Ipc(PathBuf),
}

impl Endpoint {
    fn new(transport: Transport) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        match transport {
            Transport::Ipc => Endpoint::Ipc(std::env::temp_dir().join(format!(
                "ringmq-bench-{}-{}.sock",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ))),
            _ => Endpoint::Tcp(
                TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port())
                    .unwrap_or_else(|e| fail(&format!("no free port: {e}"))),
            ),
        }
    }

    fn address(&self) -> String {
        match self {
            Endpoint::Tcp(port) => format!("tcp://127.0.0.1:{port}"),
            Endpoint::Ipc(path) => format!("ipc://{}", path.display()),
        }
    }

    fn wait_listening(&self, tool: &str) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let up = match self {
                Endpoint::Tcp(port) => TcpStream::connect(("127.0.0.1", *port)).is_ok(),
                Endpoint::Ipc(path) => UnixStream::connect(path).is_ok(),
            };
            if up {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("{tool} never listened"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Endpoint::Ipc(path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The CURVE servers' key pair for this run of the bench (Z85: public, secret).
fn bench_server_keys() -> &'static (String, zeroize::Zeroizing<String>) {
    static KEYS: std::sync::OnceLock<(String, zeroize::Zeroizing<String>)> = std::sync::OnceLock::new();
    KEYS.get_or_init(ringmq::curve_keypair)
}

fn spawn(imp: Impl, tool: &str, address: Option<&str>, case: &Case, count: u64, hgrm: &Path) -> Child {
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("own path: {e}")));
    let mut args = vec!["--child".to_string(), imp.child().into(), tool.into()];
    args.extend(address.map(str::to_string));
    args.extend([case.size.to_string(), count.to_string()]);
    let mode = if imp == Impl::RingmqAttached {
        "attached"
    } else {
        "detached"
    };
    let body = if imp == Impl::RingmqShared {
        "shared"
    } else {
        "fresh"
    };
    let mut command = Command::new(exe);
    for var in ["RINGMQ_CURVE_SECRET", "RINGMQ_CURVE_SERVER_KEY", "RINGMQ_PLAIN"] {
        command.env_remove(var);
    }
    // The binding side (local_*) is the server.
    let binds = tool.starts_with("local_");
    match case.security {
        Security::Null => {}
        Security::Curve if binds => {
            command.env("RINGMQ_CURVE_SECRET", &*bench_server_keys().1);
        }
        Security::Curve => {
            command.env("RINGMQ_CURVE_SERVER_KEY", &bench_server_keys().0);
        }
        Security::Plain => {
            command.env("RINGMQ_PLAIN", "bench:bench-password");
        }
    }
    command
        .args(args)
        .env("RINGMQ_MODE", mode)
        .env("RINGMQ_BODY", body)
        .env("RINGMQ_HGRM", hgrm)
        .env("RINGMQ_HOLD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| fail(&format!("spawning {tool}: {e}")))
}

fn wait_output(mut child: Child, deadline: Instant, what: &str) -> Result<String, String> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = String::new();
                if let Some(mut stdout) = child.stdout.take() {
                    let _ = stdout.read_to_string(&mut out);
                }
                if !status.success() {
                    return Err(format!("{what} failed ({status})"));
                }
                return Ok(out);
            }
            Ok(None) if Instant::now() > deadline => {
                stop(&mut child);
                return Err(format!("{what} timed out"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                stop(&mut child);
                return Err(format!("waiting for {what}: {e}"));
            }
        }
    }
}

fn number_after(output: &str, prefix: &str) -> Result<f64, String> {
    output
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no '{prefix}' in output:\n{output}"))
}

/// Stops the report with a message.
pub fn fail(message: &str) -> ! {
    eprintln!("\nringmq-bench: {message}");
    exit(1);
}
