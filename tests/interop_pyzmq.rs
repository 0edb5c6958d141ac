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

#[test]
fn pyzmq_push_to_ringmq_pull_both_directions() {
    let ctx = context();
    // pyzmq binds, ringmq connects.
    let mut peer = Peer::start("push", "bind", "tcp://127.0.0.1:*");
    let endpoint = peer.line();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.connect(&endpoint).unwrap();
    for i in 0..COUNT {
        assert_eq!(recv_parts(&mut pull), message(i));
    }
    peer.finish();
    // ringmq binds, pyzmq connects.
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let peer = Peer::start("push", "connect", &pull.last_endpoint());
    for i in 0..COUNT {
        assert_eq!(recv_parts(&mut pull), message(i));
    }
    peer.finish();
}

#[test]
fn ringmq_push_to_pyzmq_pull_both_directions() {
    let ctx = context();
    let mut peer = Peer::start("pull", "bind", "tcp://127.0.0.1:*");
    let endpoint = peer.line();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&endpoint).unwrap();
    for i in 0..COUNT {
        push.send_multipart(message(i), Flags::NONE).unwrap();
    }
    peer.finish();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.bind("tcp://127.0.0.1:*").unwrap();
    let peer = Peer::start("pull", "connect", &push.last_endpoint());
    for i in 0..COUNT {
        push.send_multipart(message(i), Flags::NONE).unwrap();
    }
    peer.finish();
}

#[test]
fn pyzmq_req_to_ringmq_rep_both_directions() {
    let ctx = context();
    for mode in ["bind", "connect"] {
        let mut rep = ringmq_socket(&ctx, SocketType::Rep);
        let peer = if mode == "bind" {
            let mut p = Peer::start("req", "bind", "tcp://127.0.0.1:*");
            rep.connect(&p.line()).unwrap();
            p
        } else {
            rep.bind("tcp://127.0.0.1:*").unwrap();
            Peer::start("req", "connect", &rep.last_endpoint())
        };
        for i in 0..COUNT {
            let request = recv_parts(&mut rep);
            assert_eq!(request, message(i), "{mode}");
            rep.send_multipart(request.into_iter().rev(), Flags::NONE)
                .unwrap();
        }
        peer.finish();
    }
}

#[test]
fn ringmq_req_to_pyzmq_rep_both_directions() {
    let ctx = context();
    for mode in ["bind", "connect"] {
        let mut req = ringmq_socket(&ctx, SocketType::Req);
        let peer = if mode == "bind" {
            let mut p = Peer::start("rep", "bind", "tcp://127.0.0.1:*");
            req.connect(&p.line()).unwrap();
            p
        } else {
            req.bind("tcp://127.0.0.1:*").unwrap();
            Peer::start("rep", "connect", &req.last_endpoint())
        };
        for i in 0..COUNT {
            req.send_multipart(message(i), Flags::NONE).unwrap();
            let mut expected = message(i);
            expected.reverse();
            assert_eq!(recv_parts(&mut req), expected, "{mode}");
        }
        peer.finish();
    }
}
