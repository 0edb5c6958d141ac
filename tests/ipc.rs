//! ipc:// (Unix domain sockets): the forms libzmq has (paths, Linux abstract names, `*`),
//! stale socket files, paths that are too long, the file removed with its endpoint, and
//! libzmq on the other end in both directions.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use ringmq::{Flags, SocketType};

fn unique(tag: &str) -> String {
    format!(
        "ringmq-test-{}-{tag}-{:?}",
        std::process::id(),
        std::time::Instant::now()
    )
    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
}

fn file_of(endpoint: &str) -> PathBuf {
    PathBuf::from(endpoint.strip_prefix("ipc://").unwrap())
}

#[test]
fn push_pull_and_req_rep_over_ipc_paths_and_abstract_names() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("ipc://*").unwrap();
    let endpoint = pull.last_endpoint();
    assert!(file_of(&endpoint).exists(), "{endpoint}");
    let sender = {
        let (ctx, endpoint) = (ctx.clone(), endpoint.clone());
        std::thread::spawn(move || {
            let mut push = ringmq_socket(&ctx, SocketType::Push);
            push.connect(&endpoint).unwrap();
            for i in 0..10_000u32 {
                push.send_multipart(
                    [&i.to_be_bytes()[..], &pattern((i % 100) as usize, i as u64)],
                    Flags::NONE,
                )
                .unwrap();
            }
            push
        })
    };
    for i in 0..10_000u32 {
        let m = recv_parts(&mut pull);
        assert_eq!(
            m,
            [i.to_be_bytes().to_vec(), pattern((i % 100) as usize, i as u64)]
        );
    }
    drop(sender.join().unwrap());

    let name = format!("ipc://@{}", unique("abstract"));
    let mut rep = ringmq_socket(&ctx, SocketType::Rep);
    rep.bind(&name).unwrap();
    assert_eq!(rep.last_endpoint(), name);
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.connect(&name).unwrap();
    req.send("over an abstract name", Flags::NONE).unwrap();
    let q = rep.recv(Flags::NONE).unwrap();
    rep.send(q, Flags::NONE).unwrap();
    assert_eq!(req.recv(Flags::NONE).unwrap(), "over an abstract name");
}

#[test]
fn interop_with_libzmq_over_ipc_both_ways() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let dir = std::env::temp_dir();
    for ours_binds in [true, false] {
        for abstract_name in [false, true] {
            let endpoint = if abstract_name {
                format!("ipc://@{}", unique("interop"))
            } else {
                format!("ipc://{}", dir.join(unique("interop")).display())
            };
            let mut pull = ringmq_socket(&ctx, SocketType::Pull);
            let push = zmq_socket(&zctx, zmq::PUSH);
            if ours_binds {
                pull.bind(&endpoint).unwrap();
                push.connect(&endpoint).unwrap();
            } else {
                push.bind(&endpoint).unwrap();
                pull.connect(&endpoint).unwrap();
            }
            push.send_multipart(["from", "libzmq"], 0).unwrap();
            assert_eq!(
                recv_parts(&mut pull),
                [&b"from"[..], b"libzmq"],
                "ours binds: {ours_binds}, abstract: {abstract_name}"
            );
            let mut our_push = ringmq_socket(&ctx, SocketType::Push);
            let their_pull = zmq_socket(&zctx, zmq::PULL);
            let endpoint2 = format!("{endpoint}-2");
            if ours_binds {
                our_push.bind(&endpoint2).unwrap();
                their_pull.connect(&endpoint2).unwrap();
            } else {
                their_pull.bind(&endpoint2).unwrap();
                our_push.connect(&endpoint2).unwrap();
            }
            our_push.send("from ringmq", Flags::NONE).unwrap();
            assert_eq!(their_pull.recv_bytes(0).unwrap(), b"from ringmq");
        }
    }
}

#[test]
fn stale_files_are_replaced_live_ones_refused_and_files_go_with_their_endpoint() {
    let ctx = context();
    let path = std::env::temp_dir().join(unique("stale"));
    // A crashed process leaves its socket file behind.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let endpoint = format!("ipc://{}", path.display());
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind(&endpoint).unwrap();
    // A live one is not taken over.
    let mut other = ringmq_socket(&ctx, SocketType::Pull);
    assert_eq!(other.bind(&endpoint).unwrap_err().errno(), libc::EADDRINUSE);
    // Not a socket: left alone.
    let plain = std::env::temp_dir().join(unique("plain"));
    std::fs::write(&plain, b"data").unwrap();
    let err = other.bind(&format!("ipc://{}", plain.display())).unwrap_err();
    assert_eq!(err.errno(), libc::EADDRINUSE);
    assert_eq!(std::fs::read(&plain).unwrap(), b"data");
    std::fs::remove_file(&plain).unwrap();

    pull.unbind(&endpoint).unwrap();
    assert!(!path.exists(), "unbind removes the file");
    let mut wild = ringmq_socket(&ctx, SocketType::Pull);
    wild.bind("ipc://*").unwrap();
    let file = file_of(&wild.last_endpoint());
    drop(wild);
    assert!(!file.exists(), "close removes the file");

    let long = format!("ipc:///tmp/{}", "x".repeat(200));
    let err = other.bind(&long).unwrap_err();
    assert_eq!(err.errno(), libc::ENAMETOOLONG, "{err}");
    assert_eq!(other.connect(&long).unwrap_err().errno(), libc::ENAMETOOLONG);
    assert_eq!(other.connect("ipc://*").unwrap_err().errno(), libc::EINVAL);
    drop((pull, other));
    term_within(ctx, Duration::from_secs(5));
}
