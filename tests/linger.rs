//! LINGER: messages queued before close reach a peer that shows up late, within the linger
//! time; with LINGER=0 termination is immediate.

mod common;

use std::time::{Duration, Instant};

use common::raw::free_port;
use common::*;
use ringmq::{Flags, SocketType};

#[test]
fn queued_messages_reach_a_late_peer_within_linger() {
    let port = free_port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(10_000).unwrap();
    push.set_reconnect_ivl(20).unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..50u32 {
        push.send_multipart([i.to_be_bytes().to_vec(), pattern(500, i as u64)], Flags::NONE)
            .unwrap();
    }
    drop(push);

    let receiver = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let zctx = zmq::Context::new();
        let pull = zmq_socket(&zctx, zmq::PULL);
        pull.bind(&endpoint).unwrap();
        for i in 0..50u32 {
            assert_eq!(
                pull.recv_multipart(0).unwrap(),
                vec![i.to_be_bytes().to_vec(), pattern(500, i as u64)]
            );
        }
    });
    // term waits for delivery, not for the whole 10 s linger.
    term_within(ctx, Duration::from_secs(8));
    receiver.join().unwrap();
}

#[test]
fn linger_zero_makes_term_return_at_once() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(0).unwrap();
    push.connect(&endpoint).unwrap();
    for _ in 0..100 {
        push.send("undeliverable", Flags::NONE).unwrap();
    }
    drop(push);
    term_within(ctx, Duration::from_secs(1));
}

#[test]
fn finite_linger_gives_up_when_no_peer_comes() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(300).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("nobody listens", Flags::NONE).unwrap();
    drop(push);
    let took = term_within(ctx, Duration::from_secs(3));
    assert!(took >= Duration::from_millis(250), "{took:?}");
}

#[test]
fn default_infinite_linger_delivers_everything_to_a_connected_peer() {
    let zctx = zmq::Context::new();
    let pull = zmq_socket(&zctx, zmq::PULL);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = zmq_endpoint(&pull);
    let ctx = context();
    let mut push = ctx.socket(SocketType::Push).unwrap();
    assert_eq!(push.linger(), -1, "libzmq's default");
    push.connect(&endpoint).unwrap();
    const N: u32 = 20_000;
    for i in 0..N {
        push.send(&i.to_be_bytes(), Flags::NONE).unwrap();
    }
    drop(push);
    let receiver = std::thread::spawn(move || {
        for i in 0..N {
            assert_eq!(pull.recv_bytes(0).unwrap(), i.to_be_bytes());
        }
    });
    term_within(ctx, Duration::from_secs(30));
    receiver.join().unwrap();
}

#[test]
fn dropping_the_context_does_not_block_forever() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = ringmq::Context::builder()
        .shards(1)
        .max_drop_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("waits for a peer that never comes", Flags::NONE)
        .unwrap();
    drop(push);
    let start = Instant::now();
    drop(ctx);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn closing_while_a_connect_hangs_terminates_at_once() {
    // A listener whose accept queue is full drops further SYNs, so a connect to it hangs in
    // the kernel: a loopback black hole.
    // SAFETY: socket() has no memory preconditions.
    let listener = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
    assert!(listener >= 0);
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: binding and listening on our own socket with a valid address.
    unsafe {
        assert_eq!(
            libc::bind(
                listener,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as u32
            ),
            0
        );
        assert_eq!(libc::listen(listener, 0), 0);
    }
    let bound = {
        let mut a = addr;
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        // SAFETY: getsockname into a sockaddr_in of the right size.
        unsafe { libc::getsockname(listener, (&mut a as *mut libc::sockaddr_in).cast(), &mut len) };
        u16::from_be(a.sin_port)
    };
    let endpoint = format!("tcp://127.0.0.1:{bound}");
    // Fill the accept queue so later SYNs are dropped.
    let fillers: Vec<_> = (0..4)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(
                &format!("127.0.0.1:{bound}").parse().unwrap(),
                Duration::from_millis(200),
            )
            .ok()
        })
        .collect();
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_linger(0).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("never leaves", Flags::NONE).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(push);
    term_within(ctx, Duration::from_secs(2));
    drop(fillers);
    // SAFETY: closing our own descriptor.
    unsafe { libc::close(listener) };
}
