//! Attached mode: application code running on its own shard, driving the ring inline.

mod common;

use std::time::Duration;

use common::*;
use ringmq::{AsyncSocket, Context, Error, Flags, PollEvents, PollItem, SocketType, poll};

fn attached_only() -> Context {
    Context::builder()
        .shards(0)
        .max_drop_wait(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn req_rep_round_trips_on_one_attached_shard_over_every_transport() {
    let ctx = attached_only();
    assert_eq!(ctx.shard_count(), 0);
    for transport in ["tcp://127.0.0.1:*", "ipc://*", "inproc://attached-rr"] {
        ctx.run_attached(|shard| {
            let mut rep = shard.socket(SocketType::Rep).unwrap();
            rep.set_rcvtimeo(10_000).unwrap();
            rep.bind(transport).unwrap();
            let mut req = shard.socket(SocketType::Req).unwrap();
            req.set_rcvtimeo(10_000).unwrap();
            req.connect(&rep.last_endpoint()).unwrap();
            echo_round_trips(&mut req, &mut rep, 200, transport);
        })
        .unwrap();
    }
}

#[test]
fn an_attached_socket_is_woken_by_peers_on_other_threads() {
    let ctx = context();
    ctx.run_attached(|shard| {
        // Over inproc the peer posts straight to our inbox, which rings our doorbell.
        let mut pull = shard.socket(SocketType::Pull).unwrap();
        pull.set_rcvtimeo(10_000).unwrap();
        pull.bind("inproc://to-attached").unwrap();
        // Over tcp the peer's shard is another thread; our connection is ours.
        let mut tcp_pull = shard.socket(SocketType::Pull).unwrap();
        tcp_pull.set_rcvtimeo(10_000).unwrap();
        tcp_pull.bind("tcp://127.0.0.1:*").unwrap();
        let tcp_endpoint = tcp_pull.last_endpoint();
        let sender = {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let mut inproc_push = ringmq_socket(&ctx, SocketType::Push);
                inproc_push.connect("inproc://to-attached").unwrap();
                let mut tcp_push = ringmq_socket(&ctx, SocketType::Push);
                tcp_push.connect(&tcp_endpoint).unwrap();
                for i in 0..2_000u32 {
                    inproc_push.send(i.to_le_bytes().to_vec(), Flags::NONE).unwrap();
                    tcp_push.send(i.to_le_bytes().to_vec(), Flags::NONE).unwrap();
                    if i % 500 == 0 {
                        // Let the attached thread run dry and sleep in the ring.
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            })
        };
        for i in 0..2_000u32 {
            assert_eq!(&pull.recv(Flags::NONE).unwrap()[..], i.to_le_bytes());
            assert_eq!(&tcp_pull.recv(Flags::NONE).unwrap()[..], i.to_le_bytes());
        }
        sender.join().unwrap();
    })
    .unwrap();
}

#[test]
fn leaving_attached_mode_delivers_what_was_queued() {
    let receiver_ctx = context();
    let mut pull = ringmq_socket(&receiver_ctx, SocketType::Pull);
    pull.set_rcvtimeo(10_000).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let ctx = attached_only();
    ctx.run_attached(|shard| {
        let mut push = shard.socket(SocketType::Push).unwrap();
        push.connect(&endpoint).unwrap();
        for i in 0..500u32 {
            push.send(i.to_le_bytes().to_vec(), Flags::NONE).unwrap();
        }
        // Returns at once: nothing has been written to the kernel yet.
    })
    .unwrap();
    for i in 0..500u32 {
        assert_eq!(&pull.recv(Flags::NONE).unwrap()[..], i.to_le_bytes());
    }
}

#[test]
fn poll_drives_the_ring_for_attached_sockets() {
    let ctx = attached_only();
    ctx.run_attached(|shard| {
        let mut a = shard.socket(SocketType::Pull).unwrap();
        a.bind("tcp://127.0.0.1:*").unwrap();
        let mut b = shard.socket(SocketType::Pull).unwrap();
        b.bind("ipc://*").unwrap();
        let mut push = shard.socket(SocketType::Push).unwrap();
        push.connect(&b.last_endpoint()).unwrap();
        push.send("to b", Flags::NONE).unwrap();
        let mut items = [
            PollItem::new(&mut a, PollEvents::POLLIN),
            PollItem::new(&mut b, PollEvents::POLLIN),
        ];
        assert_eq!(poll(&mut items, 10_000).unwrap(), 1);
        assert!(!items[0].is_readable() && items[1].is_readable());
        assert_eq!(items[1].socket().recv(Flags::NONE).unwrap(), "to b");
        // The timeout is honoured while driving.
        let start = std::time::Instant::now();
        let mut items = [PollItem::new(&mut a, PollEvents::POLLIN)];
        assert_eq!(poll(&mut items, 50).unwrap(), 0);
        assert!(start.elapsed() >= Duration::from_millis(50));
    })
    .unwrap();
}

#[test]
fn misuse_is_refused_clearly() {
    let ctx = attached_only();
    let err = ctx.socket(SocketType::Pull).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL, "{err}");
    assert!(err.to_string().contains("run_attached"), "{err}");
    ctx.run_attached(|shard| {
        let nested = ctx.run_attached(|_| ()).unwrap_err();
        assert_eq!(nested.errno(), libc::EINVAL, "{nested}");
        // Its ring is driven by blocking calls, which an executor never makes.
        let err = AsyncSocket::new(shard.socket(SocketType::Pull).unwrap()).unwrap_err();
        assert_eq!(err.errno(), libc::EINVAL, "{err}");
    })
    .unwrap();
    // A timeout on an attached socket is a timeout.
    ctx.run_attached(|shard| {
        let mut pull = shard.socket(SocketType::Pull).unwrap();
        pull.set_rcvtimeo(30).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        assert!(matches!(pull.recv(Flags::NONE), Err(Error::Again)));
    })
    .unwrap();
}

#[test]
fn an_attached_socket_that_escapes_its_shard_fails_instead_of_waiting_forever() {
    // Leaving attached mode waits for the escaped socket's listener until max_drop_wait.
    let ctx = Context::builder()
        .shards(0)
        .max_drop_wait(Duration::from_millis(200))
        .build()
        .unwrap();
    // Out of run_attached: its shard is gone.
    let mut escaped = ctx
        .run_attached(|shard| {
            let mut pull = shard.socket(SocketType::Pull).unwrap();
            pull.bind("tcp://127.0.0.1:*").unwrap();
            pull
        })
        .unwrap();
    let err = escaped.recv(Flags::NONE).unwrap_err();
    assert_eq!(err.errno(), ringmq::errno::EFSM, "{err}");
    assert!(err.to_string().contains("run_attached"), "{err}");
    assert_eq!(
        escaped.bind("tcp://127.0.0.1:*").unwrap_err().errno(),
        ringmq::errno::EFSM
    );
    drop(escaped);
    // On another thread while its shard runs here: that thread does not drive it.
    ctx.run_attached(|shard| {
        let mut push = shard.socket(SocketType::Push).unwrap();
        push.set_sndtimeo(-1).unwrap();
        let (push, err) = std::thread::spawn(move || {
            let err = push.send("x", Flags::NONE).unwrap_err();
            (push, err)
        })
        .join()
        .unwrap();
        assert_eq!(err.errno(), ringmq::errno::EFSM, "{err}");
        // Back home it works again.
        let mut push = push;
        assert!(matches!(push.send("x", Flags::DONTWAIT), Err(Error::Again)));
    })
    .unwrap();
}

#[test]
fn busy_polling_contexts_behave_the_same_in_both_modes() {
    let ctx = Context::builder()
        .busy_poll(Duration::from_micros(200))
        .build()
        .unwrap();
    // Detached, over tcp and inproc.
    for transport in ["tcp://127.0.0.1:*", "inproc://busy"] {
        let mut rep = ringmq_socket(&ctx, SocketType::Rep);
        rep.bind(transport).unwrap();
        let mut req = ringmq_socket(&ctx, SocketType::Req);
        req.connect(&rep.last_endpoint()).unwrap();
        let server = std::thread::spawn(move || {
            for _ in 0..100 {
                let q = rep.recv(Flags::NONE).unwrap();
                rep.send(q, Flags::NONE).unwrap();
            }
        });
        for i in 0..100u32 {
            req.send(i.to_le_bytes().to_vec(), Flags::NONE).unwrap();
            assert_eq!(
                &req.recv(Flags::NONE).unwrap()[..],
                i.to_le_bytes(),
                "{transport}"
            );
        }
        server.join().unwrap();
    }
    // Attached: waiting drives the ring without blocking for a while first.
    ctx.run_attached(|shard| {
        let mut rep = shard.socket(SocketType::Rep).unwrap();
        rep.set_rcvtimeo(10_000).unwrap();
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let mut req = shard.socket(SocketType::Req).unwrap();
        req.set_rcvtimeo(10_000).unwrap();
        req.connect(&rep.last_endpoint()).unwrap();
        echo_round_trips(&mut req, &mut rep, 100, "attached, busy-polling");
        // A timeout shorter than the busy-poll is still a timeout.
        let mut lonely = shard.socket(SocketType::Pull).unwrap();
        lonely.set_rcvtimeo(1).unwrap();
        lonely.bind("tcp://127.0.0.1:*").unwrap();
        assert!(matches!(lonely.recv(Flags::NONE), Err(Error::Again)));
    })
    .unwrap();
}

/// An attached socket sending large messages runs its ring as it goes (every 256 KiB of
/// sends), so the peer gets them while the sender is still sending and has never waited,
/// instead of only once SNDHWM is reached or the thread blocks.
#[test]
fn an_attached_sender_of_large_messages_writes_them_out_without_waiting() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const BULK: usize = 64;
    let receiver_ctx = context();
    let mut pull = ringmq_socket(&receiver_ctx, SocketType::Pull);
    pull.set_rcvtimeo(10_000).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let received = Arc::new(AtomicUsize::new(0));
    let receiver = {
        let received = received.clone();
        std::thread::spawn(move || {
            for _ in 0..=BULK {
                pull.recv(Flags::NONE).unwrap();
                received.fetch_add(1, Ordering::Release);
            }
        })
    };
    let wait_for = |n: usize, drive: &dyn Fn()| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while received.load(Ordering::Acquire) < n {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {n} arrived",
                received.load(Ordering::Acquire)
            );
            drive();
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let ctx = attached_only();
    ctx.run_attached(|shard| {
        let mut push = shard.socket(SocketType::Push).unwrap();
        push.connect(&endpoint).unwrap();
        // The connection is up once a first message has arrived.
        push.send(&b"first"[..], Flags::NONE).unwrap();
        wait_for(1, &|| shard.run_ready());
        // 64 × 8 KiB, far below SNDHWM: no send waits.
        for _ in 0..BULK {
            push.send(vec![7u8; 8 * 1024], Flags::NONE).unwrap();
        }
        // Nothing here drives the ring any more: what arrives was written during the sends.
        wait_for(2, &|| {});
    })
    .unwrap();
    receiver.join().unwrap();
    assert_eq!(received.load(Ordering::Acquire), BULK + 1);
}
