//! PLAIN (RFC 24) and ZAP (RFC 27): credentials checked by a ZAP handler written as a plain
//! REP socket speaking libzmq's protocol. The same handler code serves a ringmq socket and
//! a libzmq one (through the `zmq` crate) in the same test, and both must see the same
//! requests. Refused peers deliver nothing and the socket keeps serving the others.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;

use common::*;
use ringmq::{Flags, Mechanism, Socket, SocketType};

/// A ZAP request as the handler sees it (after REP's envelope).
type Request = Vec<Vec<u8>>;

/// The handler's rule: admin/secret is accepted as User-Id "admin-user"; anything else is
/// refused with 400. NULL requests are accepted as "anonymous" unless the domain is
/// "closed".
fn answer(request: &Request) -> Vec<Vec<u8>> {
    let (version, id, domain, mechanism) = (&request[0], &request[1], &request[2], &request[5]);
    let credentials = &request[6..];
    let accepted_as = match &mechanism[..] {
        b"PLAIN" if credentials == [b"admin".to_vec(), b"secret".to_vec()] => Some(&b"admin-user"[..]),
        b"NULL" if &domain[..] != b"closed" => Some(&b"anonymous"[..]),
        _ => None,
    };
    let (status, text, user): (&[u8], &[u8], &[u8]) = match accepted_as {
        Some(user) => (b"200", b"OK", user),
        None => (b"400", b"No access", b""),
    };
    vec![
        version.clone(),
        id.clone(),
        status.to_vec(),
        text.to_vec(),
        user.to_vec(),
        Vec::new(),
    ]
}

/// What a ZAP handler socket needs: the same loop runs over ringmq's and libzmq's.
trait ZapSocket: Send {
    fn recv_request(&mut self) -> Option<Request>;
    fn send_reply(&mut self, reply: Vec<Vec<u8>>);
}

impl ZapSocket for Socket {
    fn recv_request(&mut self) -> Option<Request> {
        self.recv_multipart(Flags::NONE)
            .ok()
            .map(|parts| parts.into_iter().map(|m| m.to_vec()).collect())
    }
    fn send_reply(&mut self, reply: Vec<Vec<u8>>) {
        self.send_multipart(reply.iter().map(|f| &f[..]), Flags::NONE)
            .unwrap();
    }
}

impl ZapSocket for zmq::Socket {
    fn recv_request(&mut self) -> Option<Request> {
        self.recv_multipart(0).ok()
    }
    fn send_reply(&mut self, reply: Vec<Vec<u8>>) {
        self.send_multipart(reply, 0).unwrap();
    }
}

/// Runs the handler on `socket` (bound at inproc://zeromq.zap.01) until it times out,
/// recording every request.
fn serve_zap(mut socket: impl ZapSocket + 'static, seen: Arc<Mutex<Vec<Request>>>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        while let Some(request) = socket.recv_request() {
            seen.lock().unwrap().push(request.clone());
            socket.send_reply(answer(&request));
        }
    })
}

fn ringmq_zap(ctx: &ringmq::Context) -> (thread::JoinHandle<()>, Arc<Mutex<Vec<Request>>>) {
    let mut rep = ctx.socket(SocketType::Rep).unwrap();
    rep.set_rcvtimeo(3_000).unwrap();
    rep.bind("inproc://zeromq.zap.01").unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    (serve_zap(rep, seen.clone()), seen)
}

fn libzmq_zap(zctx: &zmq::Context) -> (thread::JoinHandle<()>, Arc<Mutex<Vec<Request>>>) {
    let rep = zctx.socket(zmq::REP).unwrap();
    rep.set_rcvtimeo(3_000).unwrap();
    rep.bind("inproc://zeromq.zap.01").unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    (serve_zap(rep, seen.clone()), seen)
}

fn plain_client(ctx: &ringmq::Context, password: &str) -> Socket {
    let mut push = ringmq_socket(ctx, SocketType::Push);
    push.set_plain_username("admin").unwrap();
    push.set_plain_password(password).unwrap();
    push
}

#[test]
fn plain_options_follow_libzmq() {
    let ctx = context();
    let mut s = ringmq_socket(&ctx, SocketType::Pull);
    assert_eq!((s.mechanism(), s.plain_server()), (Mechanism::Null, false));
    s.set_plain_server(true).unwrap();
    assert_eq!((s.mechanism(), s.plain_server()), (Mechanism::Plain, true));
    s.set_plain_username("u").unwrap();
    assert_eq!(
        (s.mechanism(), s.plain_server()),
        (Mechanism::Plain, false),
        "a username makes a client"
    );
    s.set_plain_password("").unwrap();
    assert_eq!(s.mechanism(), Mechanism::Null, "an empty value goes back to NULL");
    assert_eq!(s.plain_username(), "u");
    assert_eq!(Mechanism::Plain.zmq_value(), 1);
    let long = "x".repeat(256);
    for err in [
        s.set_plain_username(&long).unwrap_err(),
        s.set_plain_password(&long).unwrap_err(),
        s.set_zap_domain(&long).unwrap_err(),
    ] {
        assert_eq!(err.errno(), libc::EINVAL, "{err}");
    }
    s.set_zap_domain("global").unwrap();
    assert_eq!(s.zap_domain(), "global");
    assert!(!format!("{s:?}").contains("secret"));
}

#[test]
fn a_plain_client_with_the_right_password_is_served_and_a_wrong_one_gets_nothing() {
    let ctx = context();
    let (zap, seen) = ringmq_zap(&ctx);
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut wrong = plain_client(&ctx, "guess");
    wrong.connect(&pull.last_endpoint()).unwrap();
    // The refused session may already have ended, leaving no peer to queue for.
    let _ = wrong.send("must not arrive", Flags::DONTWAIT);
    let mut good = plain_client(&ctx, "secret");
    good.connect(&pull.last_endpoint()).unwrap();
    for i in 0..100u32 {
        good.send_multipart([&i.to_be_bytes()[..], &pattern(1000, u64::from(i))], Flags::NONE)
            .unwrap();
    }
    for i in 0..100u32 {
        assert_eq!(
            recv_parts(&mut pull),
            vec![i.to_be_bytes().to_vec(), pattern(1000, u64::from(i))]
        );
    }
    // A 1 MiB frame too.
    good.send(pattern(1 << 20, 5), Flags::NONE).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap().to_vec(), pattern(1 << 20, 5));
    pull.set_rcvtimeo(300).unwrap();
    assert!(
        pull.recv(Flags::NONE).is_err(),
        "the refused client delivered nothing"
    );
    zap.join().unwrap();
    let seen = seen.lock().unwrap();
    // The refused client got ERROR and, as libzmq's, did not try again.
    assert_eq!(seen.len(), 2, "one request from each client");
    for request in seen.iter() {
        assert_eq!(&request[0], b"1.0");
        assert_eq!(&request[1], b"1");
        assert_eq!(&request[3], b"127.0.0.1", "the peer's address");
        assert_eq!(&request[5], b"PLAIN");
        assert_eq!(&request[6], b"admin");
    }
}

#[test]
fn a_plain_server_without_a_zap_handler_refuses_every_client() {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.set_rcvtimeo(500).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = plain_client(&ctx, "secret");
    push.connect(&pull.last_endpoint()).unwrap();
    push.send("x", Flags::NONE).unwrap();
    assert!(pull.recv(Flags::NONE).is_err());
}

#[test]
fn the_same_zap_handler_sees_the_same_requests_from_ringmq_and_libzmq() {
    // ringmq's server, asking its handler about a libzmq client.
    let ctx = context();
    let zctx = zmq::Context::new();
    let (ours_zap, ours_seen) = ringmq_zap(&ctx);
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.set_zap_domain("test-domain").unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = zmq_socket(&zctx, zmq::PUSH);
    push.set_plain_username(Some("admin")).unwrap();
    push.set_plain_password(Some("secret")).unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    push.send("to ringmq", 0).unwrap();
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "to ringmq");
    // libzmq's server, asking the same handler code about a ringmq client.
    let (theirs_zap, theirs_seen) = libzmq_zap(&zctx);
    let zpull = zmq_socket(&zctx, zmq::PULL);
    zpull.set_plain_server(true).unwrap();
    zpull.set_zap_domain("test-domain").unwrap();
    zpull.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = plain_client(&ctx, "secret");
    client.connect(&zmq_endpoint(&zpull)).unwrap();
    client.send("to libzmq", Flags::NONE).unwrap();
    assert_eq!(zpull.recv_bytes(0).unwrap(), b"to libzmq");
    // And libzmq refuses a wrong password from ringmq the way ringmq refuses it.
    let mut wrong = plain_client(&ctx, "guess");
    wrong.connect(&zmq_endpoint(&zpull)).unwrap();
    // The refused session may already have ended (no reconnect after ERROR, as in libzmq),
    // leaving the PUSH no peer to queue for: the send may fail; nothing may arrive.
    let _ = wrong.send("never", Flags::DONTWAIT);
    zpull.set_rcvtimeo(300).unwrap();
    assert!(zpull.recv_bytes(0).is_err());
    ours_zap.join().unwrap();
    theirs_zap.join().unwrap();
    let ours = ours_seen.lock().unwrap();
    let theirs = theirs_seen.lock().unwrap();
    assert_eq!(ours.len(), 1);
    assert_eq!(theirs.len(), 2);
    // Version, request id, domain, address, identity, mechanism, username, password.
    assert_eq!(ours[0], theirs[0], "the same request from either library");
    assert_eq!(&ours[0][2], b"test-domain");
}

#[test]
fn null_with_a_zap_domain_asks_the_handler_and_a_refusal_delivers_nothing() {
    let ctx = context();
    let (zap, seen) = ringmq_zap(&ctx);
    let mut open = ringmq_socket(&ctx, SocketType::Pull);
    open.set_zap_domain("open").unwrap();
    open.bind("tcp://127.0.0.1:*").unwrap();
    let mut closed = ringmq_socket(&ctx, SocketType::Pull);
    closed.set_zap_domain("closed").unwrap();
    closed.set_rcvtimeo(500).unwrap();
    closed.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.connect(&open.last_endpoint()).unwrap();
    push.send("welcome", Flags::NONE).unwrap();
    assert_eq!(open.recv(Flags::NONE).unwrap(), "welcome");
    let mut refused = ringmq_socket(&ctx, SocketType::Push);
    refused.connect(&closed.last_endpoint()).unwrap();
    refused.send("refused", Flags::NONE).unwrap();
    assert!(closed.recv(Flags::NONE).is_err());
    zap.join().unwrap();
    let seen = seen.lock().unwrap();
    let mechanisms: Vec<&[u8]> = seen.iter().map(|r| &r[5][..]).collect();
    assert!(mechanisms.iter().all(|m| *m == b"NULL"), "{mechanisms:?}");
    // Without a domain no request is made at all: both requests came from the two above.
    assert!(seen.iter().all(|r| !r[2].is_empty()));
}

#[test]
fn a_zap_handler_that_replies_garbage_fails_only_that_handshake() {
    let ctx = context();
    let mut rep = ctx.socket(SocketType::Rep).unwrap();
    rep.set_rcvtimeo(3_000).unwrap();
    rep.bind("inproc://zeromq.zap.01").unwrap();
    let handler = thread::spawn(move || {
        let mut first = true;
        while let Ok(request) = rep.recv_multipart(Flags::NONE) {
            let request: Request = request.into_iter().map(|m| m.to_vec()).collect();
            if first {
                // A bad status code: the handshake fails.
                rep.send_multipart(["1.0", "1", "201", "", "", ""], Flags::NONE)
                    .unwrap();
                first = false;
            } else {
                rep.send_reply(answer(&request));
            }
        }
    });
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.set_reconnect_ivl(50).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = plain_client(&ctx, "secret");
    push.set_reconnect_ivl(50).unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    push.send("after a retry", Flags::NONE).unwrap();
    // The first handshake fails; the client reconnects and the second is accepted.
    assert_eq!(pull.recv(Flags::NONE).unwrap(), "after a retry");
    drop(push);
    handler.join().unwrap();
}
