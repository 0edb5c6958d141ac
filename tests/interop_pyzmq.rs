//! Interoperability with pyzmq (its wheel bundles libzmq 4.3.5): PUSH/PULL and REQ/REP in
//! both directions, with the peer in its own process. The test command installs pyzmq when
//! it is missing; if it still cannot be imported these tests fail, never skip.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use ringmq::{Flags, SocketType};

const COUNT: usize = 2_000;

/// What peer.py's message `i` is.
fn message(i: usize) -> Vec<Vec<u8>> {
    vec![
        i.to_string().into_bytes(),
        Vec::new(),
        (0..i % 300).map(|k| ((i * 7 + k) % 256) as u8).collect(),
    ]
}

struct Peer {
    child: Child,
    lines: BufReader<std::process::ChildStdout>,
}

impl Peer {
    fn start(role: &str, mode: &str, endpoint: &str) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyzmq/peer.py");
        let mut child = Command::new("python3")
            .args([script, role, mode, endpoint, &COUNT.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed for the pyzmq interop tests");
        let lines = BufReader::new(child.stdout.take().unwrap());
        Self { child, lines }
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.lines.read_line(&mut l).unwrap();
        assert!(
            !l.is_empty(),
            "pyzmq peer exited early (is pyzmq installed? `pip install pyzmq`)"
        );
        l.trim().to_string()
    }

    fn finish(mut self) {
        assert_eq!(self.line(), "done");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "pyzmq peer failed: {status}");
    }
}

#[test]
fn pyzmq_is_importable() {
    let out = Command::new("python3")
        .args(["-c", "import zmq; print(zmq.zmq_version())"])
        .output()
        .expect("python3 must be installed");
    assert!(
        out.status.success(),
        "pyzmq is missing: run the README's test command, which installs it ({})",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a pyzmq peer in `role` and joins it to `ours`: with `peer_binds` the peer binds and
/// ringmq connects, otherwise the reverse.
fn join(role: &str, peer_binds: bool, ours: &mut ringmq::Socket) -> Peer {
    if peer_binds {
        let mut peer = Peer::start(role, "bind", "tcp://127.0.0.1:*");
        ours.connect(&peer.line()).unwrap();
        peer
    } else {
        ours.bind("tcp://127.0.0.1:*").unwrap();
        Peer::start(role, "connect", &ours.last_endpoint())
    }
}

#[test]
fn pyzmq_push_to_ringmq_pull_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        let peer = join("push", peer_binds, &mut pull);
        for i in 0..COUNT {
            assert_eq!(recv_parts(&mut pull), message(i), "peer binds: {peer_binds}");
        }
        peer.finish();
    }
}

#[test]
fn ringmq_push_to_pyzmq_pull_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut push = ringmq_socket(&ctx, SocketType::Push);
        let peer = join("pull", peer_binds, &mut push);
        for i in 0..COUNT {
            push.send_multipart(message(i), Flags::NONE).unwrap();
        }
        peer.finish();
    }
}

#[test]
fn pyzmq_req_to_ringmq_rep_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut rep = ringmq_socket(&ctx, SocketType::Rep);
        let peer = join("req", peer_binds, &mut rep);
        for i in 0..COUNT {
            let request = recv_parts(&mut rep);
            assert_eq!(request, message(i), "peer binds: {peer_binds}");
            rep.send_multipart(request.into_iter().rev(), Flags::NONE)
                .unwrap();
        }
        peer.finish();
    }
}

#[test]
fn ringmq_req_to_pyzmq_rep_both_directions() {
    let ctx = context();
    for peer_binds in [true, false] {
        let mut req = ringmq_socket(&ctx, SocketType::Req);
        let peer = join("rep", peer_binds, &mut req);
        for i in 0..COUNT {
            req.send_multipart(message(i), Flags::NONE).unwrap();
            let mut expected = message(i);
            expected.reverse();
            assert_eq!(recv_parts(&mut req), expected, "peer binds: {peer_binds}");
        }
        peer.finish();
    }
}
