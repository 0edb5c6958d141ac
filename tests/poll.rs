//! `poll` over several sockets: POLLIN and POLLOUT as libzmq means them, the timeout, and
//! ETERM when the context terminates. (Raw file descriptors are not pollable yet.)

mod common;

use std::time::{Duration, Instant};

use common::raw::free_port;
use common::*;
use ringmq::{Flags, PollEvents, PollItem, SocketType, poll};

#[test]
fn readiness_across_three_sockets() {
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Router);
    b.bind("tcp://127.0.0.1:*").unwrap();
    // A PUSH with no peer at all has nowhere to send: not writable.
    let mut c = ringmq_socket(&ctx, SocketType::Push);

    {
        let mut items = [
            PollItem::new(&mut a, PollEvents::POLLIN),
            PollItem::new(&mut b, PollEvents::POLLIN | PollEvents::POLLOUT),
            PollItem::new(&mut c, PollEvents::POLLOUT),
        ];
        assert_eq!(poll(&mut items, 0).unwrap(), 1);
        assert_eq!(items[0].revents(), PollEvents::NONE);
        assert_eq!(
            items[1].revents(),
            PollEvents::POLLOUT,
            "a ROUTER can always send"
        );
        assert_eq!(items[2].revents(), PollEvents::NONE);
    }

    // A message for the ROUTER arrives while we wait.
    let mut dealer = ringmq_socket(&ctx, SocketType::Dealer);
    dealer.set_routing_id(&b"d"[..]).unwrap();
    dealer.connect(&b.last_endpoint()).unwrap();
    dealer.send("hi", Flags::NONE).unwrap();
    c.connect(&a.last_endpoint()).unwrap();
    let mut items = [
        PollItem::new(&mut a, PollEvents::POLLIN),
        PollItem::new(&mut b, PollEvents::POLLIN),
        PollItem::new(&mut c, PollEvents::POLLOUT),
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(items[1].is_readable() && items[2].is_writable()) {
        assert!(Instant::now() < deadline, "never became ready");
        poll(&mut items, 10_000).unwrap();
    }
    assert!(!items[0].is_readable());
    // The frame poll looked at is the one recv returns.
    assert_eq!(recv_parts(items[1].socket()), [&b"d"[..], b"hi"]);
    items[2].socket().send("to a", Flags::NONE).unwrap();
    let n = poll(&mut items[..1], 10_000).unwrap();
    assert_eq!(n, 1);
    assert_eq!(items[0].socket().recv(Flags::NONE).unwrap(), "to a");
}

#[test]
fn req_and_rep_readiness_follows_their_state() {
    let ctx = context();
    let mut rep = ringmq_socket(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = ringmq_socket(&ctx, SocketType::Req);
    req.connect(&rep.last_endpoint()).unwrap();
    let both = PollEvents::POLLIN | PollEvents::POLLOUT;
    {
        let mut items = [PollItem::new(&mut req, both)];
        poll(&mut items, 0).unwrap();
        assert_eq!(items[0].revents(), PollEvents::POLLOUT, "REQ: send first");
    }
    req.send("q", Flags::NONE).unwrap();
    {
        let mut items = [PollItem::new(&mut req, both), PollItem::new(&mut rep, both)];
        poll(&mut items, 10_000).unwrap();
        assert_eq!(items[0].revents(), PollEvents::NONE, "REQ waits for its reply");
        assert_eq!(
            items[1].revents(),
            PollEvents::POLLIN,
            "REP: a request, no reply yet"
        );
    }
    rep.recv(Flags::NONE).unwrap();
    let mut items = [PollItem::new(&mut rep, both)];
    poll(&mut items, 0).unwrap();
    assert_eq!(items[0].revents(), PollEvents::POLLOUT, "REP: the reply is due");
}

#[test]
fn the_timeout_is_honoured() {
    let ctx = context();
    let mut idle = ringmq_socket(&ctx, SocketType::Pull);
    idle.connect(&format!("tcp://127.0.0.1:{}", free_port())).unwrap();
    let started = Instant::now();
    let mut items = [PollItem::new(&mut idle, PollEvents::POLLIN)];
    assert_eq!(poll(&mut items, 150).unwrap(), 0);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(150), "returned early: {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let started = Instant::now();
    assert_eq!(poll(&mut items, 0).unwrap(), 0);
    assert!(started.elapsed() < Duration::from_secs(1), "0 only looks");
}

#[test]
fn term_interrupts_a_waiting_poll_with_eterm() {
    let ctx = context();
    let mut s = ringmq_socket(&ctx, SocketType::Pull);
    s.bind("tcp://127.0.0.1:*").unwrap();
    let waiter = std::thread::spawn(move || {
        let result = {
            let mut items = [PollItem::new(&mut s, PollEvents::POLLIN)];
            poll(&mut items, -1)
        };
        drop(s);
        result
    });
    std::thread::sleep(Duration::from_millis(100));
    term_within(ctx, Duration::from_secs(5));
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(err.errno(), ringmq::errno::ETERM);
}

/// A pipe whose ends are plain descriptors (closed on drop).
fn os_pipe() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe() writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors are fresh and ours.
    unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

#[test]
fn readiness_across_three_sockets_and_a_pipe() {
    use std::os::fd::AsRawFd;
    let ctx = context();
    let mut a = ringmq_socket(&ctx, SocketType::Pull);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let mut b = ringmq_socket(&ctx, SocketType::Pull);
    b.bind("ipc://*").unwrap();
    let mut c = ringmq_socket(&ctx, SocketType::Pull);
    c.bind("tcp://127.0.0.1:*").unwrap();
    let (read_end, write_end) = os_pipe();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&b.last_endpoint()).unwrap();
    {
        let mut items = [
            PollItem::new(&mut a, PollEvents::POLLIN),
            PollItem::new(&mut b, PollEvents::POLLIN),
            PollItem::new(&mut c, PollEvents::POLLIN),
            PollItem::fd(read_end.as_raw_fd(), PollEvents::POLLIN),
        ];
        let started = Instant::now();
        assert_eq!(poll(&mut items, 100).unwrap(), 0, "nothing yet");
        assert!(started.elapsed() >= Duration::from_millis(100));
    }
    // The pipe gets a byte from another thread while we wait.
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        // SAFETY: writes one byte from a live buffer to our pipe.
        let written = unsafe { libc::write(write_end.as_raw_fd(), b"x".as_ptr().cast(), 1) };
        assert_eq!(written, 1);
        write_end
    });
    {
        let mut items = [
            PollItem::new(&mut a, PollEvents::POLLIN),
            PollItem::new(&mut b, PollEvents::POLLIN),
            PollItem::new(&mut c, PollEvents::POLLIN),
            PollItem::fd(read_end.as_raw_fd(), PollEvents::POLLIN),
        ];
        assert_eq!(poll(&mut items, 10_000).unwrap(), 1);
        assert!(items[3].is_readable(), "the pipe");
    }
    let _write_end = writer.join().unwrap();
    // Then a message for the socket over ipc, while the pipe stays readable.
    push.send("to b", Flags::NONE).unwrap();
    let mut items = [
        PollItem::new(&mut a, PollEvents::POLLIN),
        PollItem::new(&mut b, PollEvents::POLLIN),
        PollItem::new(&mut c, PollEvents::POLLIN),
        PollItem::fd(read_end.as_raw_fd(), PollEvents::POLLIN),
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !items[1].is_readable() {
        assert!(Instant::now() < deadline, "the socket never became readable");
        poll(&mut items, 10_000).unwrap();
    }
    assert!(!items[0].is_readable() && !items[2].is_readable());
    assert_eq!(items[1].socket().recv(Flags::NONE).unwrap(), "to b");
}

#[test]
fn a_sockets_fd_signals_when_to_look_again() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let fd = pull.fd().unwrap();
    let wait_readable = |ms| {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, ms) == 1 }
    };
    assert!(wait_readable(0), "readable at first, so the first look happens");
    assert_eq!(pull.events().unwrap(), PollEvents::NONE);
    assert!(!wait_readable(50), "nothing changed since");
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&pull.last_endpoint()).unwrap();
    for i in 0..3u8 {
        push.send(&[i][..], Flags::NONE).unwrap();
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < 3 {
        assert!(Instant::now() < deadline, "missed a wake-up");
        // The application's loop: wait for the descriptor, then drain while ready.
        wait_readable(1000);
        while pull.events().unwrap().contains(PollEvents::POLLIN) {
            got.push(pull.recv(Flags::DONTWAIT).unwrap()[0]);
        }
    }
    assert_eq!(got, [0, 1, 2]);
}
