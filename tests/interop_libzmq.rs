//! Interoperability with real libzmq (4.3.4, built from source by the `zmq` crate): every
//! supported pattern in both directions (ringmq binds / libzmq connects, and the reverse),
//! with multipart messages, empty frames, a 1 MiB frame and 10 000-message streams.

mod common;

use common::*;
use ringmq::{Flags, SocketType};

/// Which side binds.
#[derive(Clone, Copy, Debug)]
enum Binder {
    Ringmq,
    Libzmq,
}

const BOTH: [Binder; 2] = [Binder::Ringmq, Binder::Libzmq];

/// Connects a ringmq socket and a libzmq socket, `binder` binding.
fn join(binder: Binder, ours: &mut ringmq::Socket, theirs: &zmq::Socket) {
    join_libzmq(matches!(binder, Binder::Ringmq), ours, theirs);
}

fn interesting_messages() -> Vec<Vec<Vec<u8>>> {
    vec![
        vec![b"hello".to_vec()],
        vec![Vec::new()],
        vec![b"multi".to_vec(), Vec::new(), b"part".to_vec(), pattern(300, 1)],
        vec![pattern(70, 2), pattern(71, 3), pattern(255, 4), pattern(256, 5)],
        vec![pattern(1 << 20, 6)],
        vec![pattern(100_000, 7), b"tail".to_vec()],
    ]
}

#[test]
fn ringmq_push_to_libzmq_pull() {
    for binder in BOTH {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut push = ringmq_socket(&ctx, SocketType::Push);
        let pull = zmq_socket(&zctx, zmq::PULL);
        join(binder, &mut push, &pull);
        for msg in interesting_messages() {
            push.send_multipart(msg.iter().map(|p| &p[..]), Flags::NONE)
                .unwrap();
            let got = pull.recv_multipart(0).unwrap();
            assert_eq!(got, msg, "{binder:?}");
        }
    }
}

#[test]
fn libzmq_push_to_ringmq_pull() {
    for binder in BOTH {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        let push = zmq_socket(&zctx, zmq::PUSH);
        join(binder, &mut pull, &push);
        for msg in interesting_messages() {
            push.send_multipart(&msg, 0).unwrap();
            assert_eq!(recv_parts(&mut pull), msg, "{binder:?}");
        }
    }
}

#[test]
fn pair_talks_both_ways_with_libzmq() {
    for binder in BOTH {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut ours = ringmq_socket(&ctx, SocketType::Pair);
        let theirs = zmq_socket(&zctx, zmq::PAIR);
        join(binder, &mut ours, &theirs);
        for msg in interesting_messages() {
            ours.send_multipart(msg.iter().map(|p| &p[..]), Flags::NONE)
                .unwrap();
            assert_eq!(theirs.recv_multipart(0).unwrap(), msg);
            theirs.send_multipart(&msg, 0).unwrap();
            assert_eq!(recv_parts(&mut ours), msg, "{binder:?}");
        }
    }
}

#[test]
fn ringmq_req_to_libzmq_rep() {
    for binder in BOTH {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut req = ringmq_socket(&ctx, SocketType::Req);
        let rep = zmq_socket(&zctx, zmq::REP);
        join(binder, &mut req, &rep);
        for msg in interesting_messages() {
            req.send_multipart(msg.iter().map(|p| &p[..]), Flags::NONE)
                .unwrap();
            let request = rep.recv_multipart(0).unwrap();
            assert_eq!(request, msg);
            let mut reply = request.clone();
            reply.reverse();
            rep.send_multipart(&reply, 0).unwrap();
            assert_eq!(recv_parts(&mut req), reply, "{binder:?}");
        }
    }
}

#[test]
fn libzmq_req_to_ringmq_rep() {
    for binder in BOTH {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut rep = ringmq_socket(&ctx, SocketType::Rep);
        let req = zmq_socket(&zctx, zmq::REQ);
        join(binder, &mut rep, &req);
        for msg in interesting_messages() {
            req.send_multipart(&msg, 0).unwrap();
            let request = recv_parts(&mut rep);
            assert_eq!(request, msg, "{binder:?}");
            rep.send_multipart(request.iter().rev().map(|p| &p[..]), Flags::NONE)
                .unwrap();
            let mut expected = msg.clone();
            expected.reverse();
            assert_eq!(req.recv_multipart(0).unwrap(), expected);
        }
    }
}

#[test]
fn ten_thousand_messages_arrive_in_order_both_ways() {
    const N: u64 = 10_000;
    for binder in BOTH {
        let ctx = context();
        let zctx = zmq::Context::new();
        // ringmq -> libzmq
        let mut push = ringmq_socket(&ctx, SocketType::Push);
        let pull = zmq_socket(&zctx, zmq::PULL);
        join(binder, &mut push, &pull);
        let receiver = std::thread::spawn(move || {
            for i in 0..N {
                let parts = pull.recv_multipart(0).unwrap();
                assert_eq!(parts.len(), 2);
                assert_eq!(parts[0], i.to_be_bytes());
                assert_eq!(parts[1], pattern((i % 97) as usize * 13, i));
            }
        });
        for i in 0..N {
            push.send(&i.to_be_bytes(), Flags::SNDMORE).unwrap();
            push.send(pattern((i % 97) as usize * 13, i), Flags::NONE)
                .unwrap();
        }
        receiver.join().unwrap();

        // libzmq -> ringmq
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        let push = zmq_socket(&zctx, zmq::PUSH);
        join(binder, &mut pull, &push);
        let sender = std::thread::spawn(move || {
            for i in 0..N {
                push.send(&i.to_be_bytes()[..], zmq::SNDMORE).unwrap();
                push.send(pattern((i % 89) as usize * 17, i), 0).unwrap();
            }
            push
        });
        for i in 0..N {
            let parts = recv_parts(&mut pull);
            assert_eq!(
                parts,
                vec![i.to_be_bytes().to_vec(), pattern((i % 89) as usize * 17, i)],
                "{binder:?} #{i}"
            );
        }
        drop(sender.join().unwrap());
    }
}
