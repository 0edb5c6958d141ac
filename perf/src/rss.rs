//! `rss-bench`: how much memory a bound PULL holds under attack, ringmq beside libzmq in one
//! run. Each victim is a process of its own (`idle_pull` / `libzmq_idle_pull`: bind, never
//! receive) whose resident set size is read from `/proc/PID/status` before and during:
//!
//! - **PING flood**: a raw ZMTP peer completes the NULL handshake as a PUSH, then sends PING
//!   commands as fast as the victim takes them and never reads (its receive buffer is
//!   small), so every PONG the victim owes stays with it;
//! - **stalled reader**: a libzmq PUSH sends 64 KiB messages as fast as it can to the
//!   victim, which never receives: what the victim holds is what RCVHWM lets in.
//!
//! The report gives the growth of each victim's RSS over the run and ringmq's growth as a
//! ratio of libzmq's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An attack the victims go through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attack {
    /// PINGs from a peer that never reads.
    PingFlood,
    /// 64 KiB messages to a PULL that never receives.
    StalledReader,
}

impl Attack {
    fn name(self) -> &'static str {
        match self {
            Attack::PingFlood => "PING flood, peer never reads",
            Attack::StalledReader => "64 KiB PUSH to a PULL that never receives",
        }
    }
}

/// What one victim's memory did.
#[derive(Clone, Copy, Debug)]
pub struct Growth {
    /// RSS once connected, before the attack (KiB).
    pub before_kib: u64,
    /// The largest RSS seen during the attack (KiB).
    pub peak_kib: u64,
    /// RSS at the end of the attack (KiB).
    pub after_kib: u64,
}

impl Growth {
    /// Peak growth over the baseline (KiB).
    pub fn grown_kib(&self) -> u64 {
        self.peak_kib.saturating_sub(self.before_kib)
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A victim process and the endpoint it bound.
struct Victim {
    child: Child,
    endpoint: String,
}

impl Victim {
    fn start(tool: &std::path::Path) -> Self {
        let mut child = Command::new(tool)
            .arg("tcp://127.0.0.1:*")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| crate::die(&format!("starting {}", tool.display()), e));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap_or_else(|e| crate::die("reading the victim's endpoint", e));
        Self {
            child,
            endpoint: line.trim().to_string(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Runs `attack` against the victim `tool` for `duration`, sampling its RSS.
pub fn measure(tool: &std::path::Path, attack: Attack, duration: Duration) -> Growth {
    let victim = Victim::start(tool);
    let mut attacker = Attacker::connect(attack, &victim.endpoint);
    std::thread::sleep(Duration::from_millis(200));
    let before = rss_kib(victim.pid());
    let mut peak = before;
    let end = Instant::now() + duration;
    let mut next_sample = Instant::now();
    while Instant::now() < end {
        attacker.step();
        if Instant::now() >= next_sample {
            peak = peak.max(rss_kib(victim.pid()));
            next_sample += Duration::from_millis(100);
        }
    }
    let after = rss_kib(victim.pid());
    Growth {
        before_kib: before,
        peak_kib: peak.max(after),
        after_kib: after,
    }
}

/// The attacking peer.
enum Attacker {
    Pings {
        stream: TcpStream,
        burst: Vec<u8>,
    },
    Push {
        _ctx: zmq::Context,
        push: zmq::Socket,
        body: Vec<u8>,
    },
}

impl Attacker {
    fn connect(attack: Attack, endpoint: &str) -> Self {
        match attack {
            Attack::PingFlood => {
                let mut stream = connect_with_small_window(endpoint);
                handshake_as_push(&mut stream);
                // A victim that stops reading ends the run instead of hanging it.
                stream
                    .set_write_timeout(Some(Duration::from_secs(5)))
                    .unwrap_or_else(|e| crate::die("set_write_timeout", e));
                let mut ping = vec![0x04, 23, 4];
                ping.extend_from_slice(b"PING");
                ping.extend_from_slice(&[0, 0]);
                ping.extend_from_slice(&[7; 16]);
                Attacker::Pings {
                    stream,
                    burst: ping.repeat(2_000),
                }
            }
            Attack::StalledReader => {
                let ctx = zmq::Context::new();
                let push = ctx.socket(zmq::PUSH).unwrap_or_else(|e| crate::die("socket", e));
                // What is still queued when the run ends is dropped, not waited for.
                push.set_linger(0).unwrap_or_else(|e| crate::die("set_linger", e));
                push.connect(endpoint)
                    .unwrap_or_else(|e| crate::die("connect", e));
                Attacker::Push {
                    _ctx: ctx,
                    push,
                    body: vec![0; 64 * 1024],
                }
            }
        }
    }

    fn step(&mut self) {
        match self {
            Attacker::Pings { stream, burst } => {
                if let Err(e) = stream.write_all(burst) {
                    crate::die("PING flood", format!("the victim stopped taking PINGs: {e}"));
                }
            }
            Attacker::Push { push, body, .. } => {
                if push.send(&body[..], zmq::DONTWAIT).is_err() {
                    // Full: the victim does not read. Try again shortly.
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
}

/// A TCP connection whose receive buffer is small from the start, so a peer that never
/// reads fills up soon.
fn connect_with_small_window(endpoint: &str) -> TcpStream {
    use ringmq_transports::tcp::sys::{self, StreamAddr};
    use std::os::fd::AsRawFd;
    let addr: std::net::SocketAddr = endpoint
        .trim_start_matches("tcp://")
        .parse()
        .unwrap_or_else(|e| crate::die("victim endpoint", e));
    let addr = StreamAddr::Ip(addr);
    let connected = (|| {
        let fd = sys::stream_socket(&addr)?;
        // Small, but not so small that loopback TCP (64 KiB segments) stalls on its own.
        sys::set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, 64 * 1024)?;
        sys::connect_now(&fd, &addr)?;
        Ok::<_, std::io::Error>(TcpStream::from(fd))
    })();
    connected.unwrap_or_else(|e| crate::die("connect", e))
}

/// Greeting and READY both ways, as a PUSH.
fn handshake_as_push(stream: &mut TcpStream) {
    let mut greeting = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1];
    greeting.extend_from_slice(b"NULL");
    greeting.resize(64, 0);
    let mut ready = vec![0x04, 0, 5];
    ready.extend_from_slice(b"READY\x0bSocket-Type\0\0\0\x04PUSH");
    ready[1] = (ready.len() - 2) as u8;
    stream
        .write_all(&[greeting, ready].concat())
        .unwrap_or_else(|e| crate::die("handshake", e));
    let mut theirs = [0u8; 64];
    stream
        .read_exact(&mut theirs)
        .unwrap_or_else(|e| crate::die("handshake", e));
    let mut header = [0u8; 2];
    stream
        .read_exact(&mut header)
        .unwrap_or_else(|e| crate::die("handshake", e));
    let mut body = vec![0; usize::from(header[1])];
    stream
        .read_exact(&mut body)
        .unwrap_or_else(|e| crate::die("handshake", e));
}

/// Runs every attack against both victims, alternating them, and prints a markdown table.
pub fn report(tools_dir: &std::path::Path, duration: Duration) {
    println!("| attack | implementation | RSS before | peak | after | growth | vs libzmq |");
    println!("|---|---|---|---|---|---|---|");
    for attack in [Attack::PingFlood, Attack::StalledReader] {
        let ringmq = measure(&tools_dir.join("idle_pull"), attack, duration);
        let libzmq = measure(&tools_dir.join("libzmq_idle_pull"), attack, duration);
        for (name, g) in [("ringmq", ringmq), ("libzmq 4.3.4", libzmq)] {
            let ratio = if name == "ringmq" {
                format!("{:.2}×", g.grown_kib() as f64 / libzmq.grown_kib().max(1) as f64)
            } else {
                String::new()
            };
            println!(
                "| {} | {name} | {} KiB | {} KiB | {} KiB | {} KiB | {ratio} |",
                attack.name(),
                g.before_kib,
                g.peak_kib,
                g.after_kib,
                g.grown_kib()
            );
        }
    }
}
