//! Socket-pattern benchmarks run the same way over ringmq and over libzmq (the `zmq` crate):
//! PUB/SUB fan-out to many tcp subscribers, a ROUTER serving many connected DEALERs, and N
//! independent PUSH/PULL pairs (how throughput scales with shards / I/O threads).
//! Each run is one process's threads over loopback tcp, as a user would deploy them on one
//! host; [`Library`] hides which library a run uses, so both run the very same code.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::die;

/// The socket types the pattern benchmarks use.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Publisher.
    Pub,
    /// Subscriber (to everything).
    Sub,
    /// Router.
    Router,
    /// Dealer.
    Dealer,
    /// Push.
    Push,
    /// Pull.
    Pull,
}

/// What the benchmarks need of a socket.
pub trait BenchSocket: Send + 'static {
    /// Binds to an ephemeral tcp port on loopback and returns the endpoint.
    fn bind_ephemeral(&mut self) -> String;
    /// Connects.
    fn connect(&mut self, endpoint: &str);
    /// Sends one frame.
    fn send(&mut self, data: &[u8], more: bool);
    /// Receives one frame into `buf`; returns whether more frames follow.
    fn recv(&mut self, buf: &mut Vec<u8>) -> bool;
}

/// A messaging library: makes sockets with unlimited high-water marks (the benchmarks count
/// every message, so nothing may be dropped).
pub trait Library: Clone + Send + 'static {
    /// The library's socket.
    type Socket: BenchSocket;
    /// The name in reports.
    fn name(&self) -> &'static str;
    /// A new socket of `kind`.
    fn socket(&self, kind: Kind) -> Self::Socket;
}

/// ringmq.
#[derive(Clone, Debug)]
pub struct Ringmq(pub ringmq::Context);

impl Library for Ringmq {
    type Socket = ringmq::Socket;

    fn name(&self) -> &'static str {
        "ringmq"
    }

    fn socket(&self, kind: Kind) -> ringmq::Socket {
        use ringmq::SocketType as T;
        let t = match kind {
            Kind::Pub => T::Pub,
            Kind::Sub => T::Sub,
            Kind::Router => T::Router,
            Kind::Dealer => T::Dealer,
            Kind::Push => T::Push,
            Kind::Pull => T::Pull,
        };
        let mut s = self.0.socket(t).unwrap_or_else(|e| die("socket", e));
        s.set_sndhwm(0).unwrap_or_else(|e| die("sndhwm", e));
        s.set_rcvhwm(0).unwrap_or_else(|e| die("rcvhwm", e));
        s.set_linger(0).unwrap_or_else(|e| die("linger", e));
        if let Kind::Sub = kind {
            s.set_subscribe(b"").unwrap_or_else(|e| die("subscribe", e));
        }
        s
    }
}

impl BenchSocket for ringmq::Socket {
    fn bind_ephemeral(&mut self) -> String {
        self.bind("tcp://127.0.0.1:*").unwrap_or_else(|e| die("bind", e));
        self.last_endpoint()
    }

    fn connect(&mut self, endpoint: &str) {
        ringmq::Socket::connect(self, endpoint).unwrap_or_else(|e| die("connect", e));
    }

    fn send(&mut self, data: &[u8], more: bool) {
        let flags = if more {
            ringmq::Flags::SNDMORE
        } else {
            ringmq::Flags::NONE
        };
        ringmq::Socket::send(self, data, flags).unwrap_or_else(|e| die("send", e));
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> bool {
        let m = ringmq::Socket::recv(self, ringmq::Flags::NONE).unwrap_or_else(|e| die("recv", e));
        buf.clear();
        buf.extend_from_slice(&m);
        m.more()
    }
}

/// libzmq through the `zmq` crate.
#[derive(Clone)]
pub struct Libzmq(pub zmq::Context);

impl std::fmt::Debug for Libzmq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Libzmq")
    }
}

/// A libzmq socket and a reusable message.
#[allow(missing_debug_implementations)] // zmq::Socket has no Debug
pub struct ZmqSocket(zmq::Socket, zmq::Message);

impl Library for Libzmq {
    type Socket = ZmqSocket;

    fn name(&self) -> &'static str {
        "libzmq"
    }

    fn socket(&self, kind: Kind) -> ZmqSocket {
        let t = match kind {
            Kind::Pub => zmq::PUB,
            Kind::Sub => zmq::SUB,
            Kind::Router => zmq::ROUTER,
            Kind::Dealer => zmq::DEALER,
            Kind::Push => zmq::PUSH,
            Kind::Pull => zmq::PULL,
        };
        let s = self.0.socket(t).unwrap_or_else(|e| die("socket", e));
        s.set_sndhwm(0).unwrap_or_else(|e| die("sndhwm", e));
        s.set_rcvhwm(0).unwrap_or_else(|e| die("rcvhwm", e));
        s.set_linger(0).unwrap_or_else(|e| die("linger", e));
        if let Kind::Sub = kind {
            s.set_subscribe(b"").unwrap_or_else(|e| die("subscribe", e));
        }
        ZmqSocket(s, zmq::Message::new())
    }
}

impl BenchSocket for ZmqSocket {
    fn bind_ephemeral(&mut self) -> String {
        self.0
            .bind("tcp://127.0.0.1:*")
            .unwrap_or_else(|e| die("bind", e));
        self.0
            .get_last_endpoint()
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| die("last_endpoint", "not valid UTF-8"))
    }

    fn connect(&mut self, endpoint: &str) {
        self.0.connect(endpoint).unwrap_or_else(|e| die("connect", e));
    }

    fn send(&mut self, data: &[u8], more: bool) {
        let flags = if more { zmq::SNDMORE } else { 0 };
        self.0.send(data, flags).unwrap_or_else(|e| die("send", e));
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> bool {
        self.0.recv(&mut self.1, 0).unwrap_or_else(|e| die("recv", e));
        buf.clear();
        buf.extend_from_slice(&self.1);
        self.1.get_more()
    }
}

/// Waits until `warm` counts `expected` threads warmed up, opens `gate`, and returns when
/// the clock started and when the last of `threads` (each returning its finishing time)
/// finished.
fn timed_after_warm_up(
    warm: &AtomicUsize,
    expected: usize,
    gate: &AtomicUsize,
    threads: Vec<thread::JoinHandle<Instant>>,
    what: &str,
) -> (Instant, Instant) {
    while warm.load(Ordering::Acquire) < expected {
        thread::sleep(Duration::from_millis(1));
    }
    let start = Instant::now();
    gate.store(1, Ordering::Release);
    let end = threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|_| die(what, "panicked")))
        .max()
        .unwrap_or(start);
    (start, end)
}

/// omq.rs: `omq-tokio`'s blocking API over its own I/O threads (`ContextConfig::io_threads`).
#[derive(Clone)]
pub struct Omq(pub omq_tokio::Context);

impl std::fmt::Debug for Omq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Omq")
    }
}

/// An omq.rs socket. omq sends and receives whole messages, so the frames of one are
/// gathered before it is sent and handed out one by one after it is received.
#[allow(missing_debug_implementations)] // omq's blocking socket has no Debug
pub struct OmqSocket {
    socket: omq_tokio::blocking::Socket,
    sending: Vec<Vec<u8>>,
    received: std::collections::VecDeque<Vec<u8>>,
}

impl Library for Omq {
    type Socket = OmqSocket;

    fn name(&self) -> &'static str {
        "omq"
    }

    fn socket(&self, kind: Kind) -> OmqSocket {
        use omq_tokio::SocketType as T;
        let t = match kind {
            Kind::Pub => T::Pub,
            Kind::Sub => T::Sub,
            Kind::Router => T::Router,
            Kind::Dealer => T::Dealer,
            Kind::Push => T::Push,
            Kind::Pull => T::Pull,
        };
        // omq's largest queue stands for "unlimited" (it has no 0 = unlimited).
        let options = omq_tokio::Options::default()
            .send_hwm(u32::MAX)
            .recv_hwm(u32::MAX)
            .linger(Duration::ZERO);
        let socket = self.0.blocking_socket(t, options);
        if let Kind::Sub = kind {
            socket
                .subscribe(Vec::new())
                .unwrap_or_else(|e| die("subscribe", e));
        }
        OmqSocket {
            socket,
            sending: Vec::new(),
            received: std::collections::VecDeque::new(),
        }
    }
}

impl BenchSocket for OmqSocket {
    fn bind_ephemeral(&mut self) -> String {
        self.socket
            .bind("tcp://127.0.0.1:0")
            .unwrap_or_else(|e| die("bind", e))
            .to_string()
    }

    fn connect(&mut self, endpoint: &str) {
        self.socket
            .connect(endpoint)
            .unwrap_or_else(|e| die("connect", e));
    }

    fn send(&mut self, data: &[u8], more: bool) {
        if more || !self.sending.is_empty() {
            self.sending.push(data.to_vec());
        }
        if more {
            return;
        }
        let msg = if self.sending.is_empty() {
            omq_tokio::Message::from_slice(data)
        } else {
            omq_tokio::Message::multipart(std::mem::take(&mut self.sending))
        };
        self.socket.send(msg).unwrap_or_else(|e| die("send", e));
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> bool {
        if self.received.is_empty() {
            let msg = self.socket.recv().unwrap_or_else(|e| die("recv", e));
            for i in 0..msg.len() {
                self.received
                    .push_back(msg.part_slice(i).unwrap_or_default().to_vec());
            }
        }
        *buf = self.received.pop_front().unwrap_or_default();
        !self.received.is_empty()
    }
}

/// What one pattern run measured.
#[derive(Clone, Copy, Debug)]
pub struct PatternResult {
    /// Messages delivered (to each receiver counted separately) per second.
    pub deliveries_per_sec: f64,
    /// Wall time of the measured part.
    pub elapsed: Duration,
}

const WARM_UP: u8 = b'w';
const DATA: u8 = b'd';

/// PUB/SUB fan-out: one PUB, `subscribers` SUB sockets (one thread each) subscribed to
/// everything over tcp; the publisher sends `count` messages of `size` bytes (at least 1) and
/// the clock stops when the last subscriber has them all. Before timing, the publisher sends
/// warm-up messages until every subscriber has one (the "slow joiner" is excluded).
pub fn fanout<L: Library>(lib: &L, subscribers: usize, size: usize, count: u64) -> PatternResult {
    let mut publisher = lib.socket(Kind::Pub);
    let endpoint = publisher.bind_ephemeral();
    let ready = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..subscribers)
        .map(|_| {
            let (lib, endpoint, ready) = (lib.clone(), endpoint.clone(), ready.clone());
            thread::spawn(move || {
                let mut sub = lib.socket(Kind::Sub);
                sub.connect(&endpoint);
                let mut buf = Vec::new();
                let mut warm = false;
                let mut got = 0u64;
                while got < count {
                    sub.recv(&mut buf);
                    match buf.first() {
                        Some(&DATA) => got += 1,
                        _ if !warm => {
                            warm = true;
                            ready.fetch_add(1, Ordering::Release);
                        }
                        _ => {}
                    }
                }
                Instant::now()
            })
        })
        .collect();
    while ready.load(Ordering::Acquire) < subscribers {
        publisher.send(&[WARM_UP], false);
        thread::sleep(Duration::from_millis(1));
    }
    let mut payload = vec![0u8; size.max(1)];
    payload[0] = DATA;
    let start = Instant::now();
    for _ in 0..count {
        publisher.send(&payload, false);
    }
    let end = threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|_| die("subscriber", "panicked")))
        .max()
        .unwrap_or(start);
    let elapsed = end - start;
    PatternResult {
        deliveries_per_sec: (count * subscribers as u64) as f64 / elapsed.as_secs_f64(),
        elapsed,
    }
}

/// `pairs` independent PUSH/PULL pairs over tcp, each end on a thread of its own; every
/// PUSH sends `count` messages of `size` bytes (at least 1) and the clock stops when the last
/// PULL has all of its pair's. Timing starts once every pair has delivered a warm-up
/// message. The result counts the messages of all pairs.
pub fn pairs<L: Library>(lib: &L, pairs: usize, size: usize, count: u64) -> PatternResult {
    let ready = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(AtomicUsize::new(0));
    let mut receivers = Vec::with_capacity(pairs);
    let mut senders = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let mut pull = lib.socket(Kind::Pull);
        let endpoint = pull.bind_ephemeral();
        let ready_r = ready.clone();
        receivers.push(thread::spawn(move || {
            let mut buf = Vec::new();
            pull.recv(&mut buf);
            ready_r.fetch_add(1, Ordering::Release);
            for _ in 0..count {
                pull.recv(&mut buf);
            }
            Instant::now()
        }));
        let (lib, go) = (lib.clone(), go.clone());
        senders.push(thread::spawn(move || {
            let mut push = lib.socket(Kind::Push);
            push.connect(&endpoint);
            push.send(&[WARM_UP], false);
            while go.load(Ordering::Acquire) == 0 {
                thread::sleep(Duration::from_micros(100));
            }
            let mut payload = vec![0u8; size.max(1)];
            payload[0] = DATA;
            for _ in 0..count {
                push.send(&payload, false);
            }
            // Stays until its PULL has everything (linger 0 would drop the rest).
            push
        }));
    }
    let (start, end) = timed_after_warm_up(&ready, pairs, &go, receivers, "receiver");
    for t in senders {
        drop(t.join().unwrap_or_else(|_| die("sender", "panicked")));
    }
    let elapsed = end - start;
    PatternResult {
        deliveries_per_sec: (count * pairs as u64) as f64 / elapsed.as_secs_f64(),
        elapsed,
    }
}

/// ROUTER with many DEALERs: `dealers` DEALER sockets (spread over `threads` client threads)
/// connected to one ROUTER that echoes every message to its sender by routing id. Each round,
/// every dealer sends one `size`-byte message and waits for its echo; `rounds` rounds are
/// timed after one untimed round that makes sure every dealer is connected and known.
pub fn router_dealers<L: Library>(
    lib: &L,
    dealers: usize,
    threads: usize,
    size: usize,
    rounds: u64,
) -> PatternResult {
    let mut router = lib.socket(Kind::Router);
    let endpoint = router.bind_ephemeral();
    let total = dealers as u64 * (rounds + 1);
    let echo = thread::spawn(move || {
        let (mut id, mut body) = (Vec::new(), Vec::new());
        for _ in 0..total {
            router.recv(&mut id);
            router.recv(&mut body);
            router.send(&id, true);
            router.send(&body, false);
        }
        // Returned, not dropped: with LINGER 0 dropping it now could discard the last echoes.
        router
    });
    let warmed = Arc::new(AtomicUsize::new(0));
    let start_gate = Arc::new(AtomicUsize::new(0));
    let per_thread = dealers.div_ceil(threads.max(1));
    let clients: Vec<_> = (0..threads.max(1))
        .map(|t| {
            let n = per_thread.min(dealers.saturating_sub(t * per_thread));
            let (lib, endpoint) = (lib.clone(), endpoint.clone());
            let (warmed, start_gate) = (warmed.clone(), start_gate.clone());
            thread::spawn(move || {
                let mut sockets: Vec<_> = (0..n)
                    .map(|_| {
                        let mut d = lib.socket(Kind::Dealer);
                        d.connect(&endpoint);
                        d
                    })
                    .collect();
                let payload = vec![7u8; size];
                let mut buf = Vec::new();
                let mut round = |sockets: &mut Vec<L::Socket>| {
                    for d in sockets.iter_mut() {
                        d.send(&payload, false);
                    }
                    for d in sockets.iter_mut() {
                        d.recv(&mut buf);
                    }
                };
                round(&mut sockets);
                warmed.fetch_add(1, Ordering::AcqRel);
                while start_gate.load(Ordering::Acquire) == 0 {
                    thread::yield_now();
                }
                for _ in 0..rounds {
                    round(&mut sockets);
                }
                Instant::now()
            })
        })
        .collect();
    let expected = clients.len();
    let (start, end) = timed_after_warm_up(&warmed, expected, &start_gate, clients, "dealer thread");
    let router = echo.join().unwrap_or_else(|_| die("router", "panicked"));
    drop(router);
    let elapsed = end - start;
    PatternResult {
        // Each round trip is two deliveries: the request to the router, the echo back.
        deliveries_per_sec: (2 * dealers as u64 * rounds) as f64 / elapsed.as_secs_f64(),
        elapsed,
    }
}
