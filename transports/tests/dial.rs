//! Issue 14, finding 6: a connecting session looks its endpoint's host name up before every
//! attempt (as libzmq does), off the shard, and keeps retrying a name that does not resolve
//! with its back-off. A scripted resolver stands in for DNS, so the test knows what each
//! lookup answers.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringmq_engine::{ShardConfig, ShardHandle};
use ringmq_transports::SocketType;
use ringmq_transports::pipe::{PipeLimits, SocketInbox, pipe};
use ringmq_transports::tcp::resolve::{HostName, Reply, Resolve};
use ringmq_transports::tcp::{self, ConnectPipe, DialTarget, TcpOptions};
use ringmq_transports::zmtp::ZmtpConfig;

/// Answers lookups from a script, one answer per lookup (the last one repeats), and
/// remembers when each came.
#[derive(Debug)]
struct Scripted {
    answers: Vec<Result<SocketAddr, String>>,
    asked: Mutex<Vec<(HostName, Instant)>>,
}

impl Resolve for Scripted {
    fn lookup(&self, name: HostName, reply: Reply) {
        let mut asked = self.asked.lock().unwrap();
        asked.push((name, Instant::now()));
        let answer = self.answers[(asked.len() - 1).min(self.answers.len() - 1)].clone();
        drop(asked);
        // From another thread, as the resolver threads answer.
        std::thread::spawn(move || reply(answer));
    }
}

fn name() -> HostName {
    HostName {
        host: "moving.example".into(),
        port: 5555,
        ipv6: false,
    }
}

/// Starts a connecting PUSH session to `name()` whose lookups `resolver` answers.
fn dial(resolver: Arc<Scripted>) -> (ShardHandle, ringmq_transports::pipe::SocketPipe) {
    let shard = ShardHandle::spawn(ShardConfig::default()).unwrap();
    let limits = PipeLimits {
        sndhwm: 1000,
        rcvhwm: 1000,
        conflate_out: false,
        conflate_in: false,
    };
    let endpoint = "tcp://moving.example:5555".to_string();
    let (socket_end, shard_end) = pipe(
        SocketInbox::new(),
        shard.shard().clone(),
        limits,
        Some(endpoint.clone()),
        true,
    );
    let mut options = TcpOptions::new(Arc::new(ZmtpConfig::new(SocketType::Push)));
    options.reconnect_ivl = Some(Duration::from_millis(20));
    options.resolver = resolver;
    let options = Arc::new(options);
    shard.shard().run(move |cx| {
        tcp::start_connect(
            cx,
            1,
            endpoint,
            ConnectPipe::Held(shard_end),
            options,
            DialTarget::Name(name()),
            None,
        );
    });
    (shard, socket_end)
}

/// Waits for a connection on `listener` (non-blocking accepts, bounded).
fn accept_within(listener: &TcpListener, within: Duration) -> std::net::TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + within;
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no connection came");
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn every_attempt_looks_the_name_up_again_and_follows_it() {
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let second = TcpListener::bind("127.0.0.1:0").unwrap();
    let resolver = Arc::new(Scripted {
        answers: vec![Ok(first.local_addr().unwrap()), Ok(second.local_addr().unwrap())],
        asked: Mutex::new(Vec::new()),
    });
    let (_shard, _pipe) = dial(resolver.clone());
    // The first lookup's address gets the first connection; dropping it makes the session
    // reconnect, and the new lookup sends it to the second address.
    drop(accept_within(&first, Duration::from_secs(10)));
    let _kept = accept_within(&second, Duration::from_secs(10));
    let asked = resolver.asked.lock().unwrap();
    assert!(asked.len() >= 2, "{} lookups", asked.len());
    assert!(asked.iter().all(|(n, _)| *n == name()));
}

#[test]
fn a_name_that_does_not_resolve_yet_is_retried_with_the_back_off() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let resolver = Arc::new(Scripted {
        answers: vec![
            Err("not yet".into()),
            Err("not yet".into()),
            Err("not yet".into()),
            Ok(listener.local_addr().unwrap()),
        ],
        asked: Mutex::new(Vec::new()),
    });
    let (_shard, _pipe) = dial(resolver.clone());
    let _stream = accept_within(&listener, Duration::from_secs(10));
    let asked = resolver.asked.lock().unwrap();
    assert_eq!(
        asked.len(),
        4,
        "three failed lookups, then the one that connected"
    );
    // Each retry waited for the reconnect interval (20 ms) at least.
    for pair in asked.windows(2) {
        assert!(
            pair[1].1 - pair[0].1 >= Duration::from_millis(20),
            "{:?}",
            pair[1].1 - pair[0].1
        );
    }
}
