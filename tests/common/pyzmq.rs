//! A pyzmq peer in its own process (`tests/pyzmq/peer.py`), for the interop tests. Its
//! security comes from the environment (see peer.py); when it binds, its endpoint is the
//! first line it prints, and "done" the last.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use ringmq::Socket;

/// A running peer.
pub struct Peer {
    child: Child,
    lines: BufReader<std::process::ChildStdout>,
}

impl Peer {
    /// Starts peer.py as `role`, binding or connecting `endpoint`, for `count` messages, with
    /// `env` set (its security).
    pub fn start(role: &str, mode: &str, endpoint: &str, count: usize, env: &[(&str, String)]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyzmq/peer.py");
        let mut child = Command::new("python3")
            .args([script, role, mode, endpoint, &count.to_string()])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed for the pyzmq interop tests");
        let lines = BufReader::new(child.stdout.take().unwrap());
        Self { child, lines }
    }

    /// The next line the peer printed.
    pub fn line(&mut self) -> String {
        let mut l = String::new();
        self.lines.read_line(&mut l).unwrap();
        assert!(
            !l.is_empty(),
            "pyzmq peer exited early (is pyzmq installed? `pip install pyzmq`)"
        );
        l.trim().to_string()
    }

    /// Waits for "done" and a successful exit.
    pub fn finish(mut self) {
        assert_eq!(self.line(), "done");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "pyzmq peer failed: {status}");
    }

    /// Stops a peer that is not expected to finish.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a pyzmq peer in `role` and joins it to `ours`: with `peer_binds` the peer binds and
/// ringmq connects, otherwise the reverse.
pub fn join(role: &str, peer_binds: bool, ours: &mut Socket, count: usize, env: &[(&str, String)]) -> Peer {
    if peer_binds {
        let mut peer = Peer::start(role, "bind", "tcp://127.0.0.1:*", count, env);
        ours.connect(&peer.line()).unwrap();
        peer
    } else {
        ours.bind("tcp://127.0.0.1:*").unwrap();
        Peer::start(role, "connect", &ours.last_endpoint(), count, env)
    }
}
