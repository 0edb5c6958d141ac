//! CURVE and PLAIN against pyzmq (libzmq 4.3.5 with libsodium), in its own process: every
//! pattern in both directions, with ringmq as the server (it binds) and as the client (pyzmq
//! binds), multipart messages and 1 MiB frames. Then the failures: a wrong server key, a
//! wrong password and a ZAP refusal deliver nothing, and the socket keeps serving the
//! peers that got it right. Key pairs are interchanged with pyzmq's curve_keypair and
//! curve_public.

mod common;

use std::process::Command;
use std::thread;
use std::time::Duration;

use common::pyzmq::{Peer, join};
use common::*;
use ringmq::{Context, CurveKeyPair, Flags, Socket, SocketType};

const COUNT: usize = 120;
const USER: &str = "admin";
const PASSWORD: &str = "s3cret";

/// What peer.py's message `i` is with PEER_BIG=1.
fn message(i: usize) -> Vec<Vec<u8>> {
    let payload = if i % 50 == 7 {
        (0..1 << 20).map(|k| (k % 256) as u8).collect()
    } else {
        (0..i % 300).map(|k| ((i * 7 + k) % 256) as u8).collect()
    };
    vec![i.to_string().into_bytes(), Vec::new(), payload]
}

#[derive(Clone, Copy, Debug)]
enum Mechanism {
    Curve,
    Plain,
}

/// A ZAP handler on `ctx` admitting USER/PASSWORD over PLAIN and any CURVE key except
/// `refused_key`, as "admin" or "curve-user"; it runs until the context ends.
fn zap_handler(ctx: &Context, refused_key: Option<[u8; 32]>) {
    let mut zap = ctx.socket(SocketType::Rep).unwrap();
    zap.bind("inproc://zeromq.zap.01").unwrap();
    thread::spawn(move || {
        while let Ok(request) = zap.recv_multipart(Flags::NONE) {
            let request: Vec<Vec<u8>> = request.iter().map(|m| m.to_vec()).collect();
            let credentials = &request[6..];
            let user: Option<&[u8]> = match &request[5][..] {
                b"PLAIN" if credentials == [USER.as_bytes().to_vec(), PASSWORD.as_bytes().to_vec()] => {
                    Some(b"admin")
                }
                b"CURVE" if refused_key.is_none_or(|k| credentials[0] != k) => Some(b"curve-user"),
                _ => None,
            };
            let (status, user) = match user {
                Some(u) => (&b"200"[..], u),
                None => (&b"400"[..], &b""[..]),
            };
            let reply = [&request[0][..], &request[1], status, b"", user, b""];
            if zap.send_multipart(reply, Flags::NONE).is_err() {
                break;
            }
        }
    });
}

/// Configures `ours` and says what the pyzmq peer's environment must be: the binding side
/// is the server.
fn secure(ours: &mut Socket, mechanism: Mechanism, ringmq_is_server: bool) -> Vec<(&'static str, String)> {
    let mut env = vec![("PEER_BIG", "1".to_owned())];
    match (mechanism, ringmq_is_server) {
        (Mechanism::Curve, true) => {
            let keys = CurveKeyPair::generate();
            ours.set_curve_server(true).unwrap();
            ours.set_curve_secretkey(keys.secret.to_z85().as_bytes()).unwrap();
            env.push(("PEER_CURVE_SERVER_KEY", keys.public.to_z85()));
        }
        (Mechanism::Curve, false) => {
            // The server's keys come from pyzmq, and ours are a pair pyzmq made too.
            let (server_public, server_secret) = py_keypair();
            let (public, secret) = py_keypair();
            ours.set_curve_serverkey(server_public.as_bytes()).unwrap();
            ours.set_curve_publickey(public.as_bytes()).unwrap();
            ours.set_curve_secretkey(secret.as_bytes()).unwrap();
            env.push(("PEER_CURVE_SECRET", server_secret));
        }
        (Mechanism::Plain, true) => {
            ours.set_plain_server(true).unwrap();
            env.push(("PEER_PLAIN_CLIENT", format!("{USER}:{PASSWORD}")));
        }
        (Mechanism::Plain, false) => {
            ours.set_plain_username(USER).unwrap();
            ours.set_plain_password(PASSWORD).unwrap();
            env.push(("PEER_PLAIN_SERVER", format!("{USER}:{PASSWORD}")));
        }
    }
    env
}

/// A key pair from pyzmq's `zmq.curve_keypair`, checked against ringmq's curve_public both
/// ways.
fn py_keypair() -> (String, String) {
    let script = "import zmq\np, s = zmq.curve_keypair()\nprint(p.decode()); print(s.decode()); print(zmq.curve_public(s).decode())";
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (public, secret) = (lines[0].to_owned(), lines[1].to_owned());
    assert_eq!(lines[2], public);
    assert_eq!(
        ringmq::curve_public(&secret).unwrap(),
        public,
        "ringmq's curve_public agrees"
    );
    (public, secret)
}

/// Receives a message from a pyzmq PUSH client that ZAP admitted as `user`: every frame
/// says so (the User-Id property) and says where it came from.
fn recv_from_user(pull: &mut Socket, user: &str) -> Vec<Vec<u8>> {
    let frames = pull.recv_multipart(Flags::NONE).expect("recv_multipart");
    for f in &frames {
        assert_eq!(f.gets("User-Id"), Some(user), "{f:?}");
        assert_eq!(f.gets("Socket-Type"), Some("PUSH"));
        assert_eq!(f.gets("Peer-Address"), Some("127.0.0.1"));
    }
    frames.iter().map(|m| m.to_vec()).collect()
}

/// ringmq's side of one exchange with a peer.py `role`.
fn exchange(ours: &mut Socket, role: &str, i: usize) {
    let mut reversed = message(i);
    reversed.reverse();
    match role {
        "push" => assert_eq!(recv_parts(ours), message(i), "message {i}"),
        "pull" => ours.send_multipart(message(i), Flags::NONE).unwrap(),
        "req" => {
            assert_eq!(recv_parts(ours), message(i), "request {i}");
            ours.send_multipart(reversed, Flags::NONE).unwrap();
        }
        "rep" => {
            ours.send_multipart(message(i), Flags::NONE).unwrap();
            assert_eq!(recv_parts(ours), reversed, "reply {i}");
        }
        "dealer" => {
            let mut request = recv_parts(ours);
            let id = request.remove(0);
            assert_eq!(
                (&id[..], &request),
                (&b"py-dealer"[..], &message(i)),
                "request {i}"
            );
            let mut reply = vec![id];
            reply.extend(reversed);
            ours.send_multipart(reply, Flags::NONE).unwrap();
        }
        "router" => {
            ours.send_multipart(message(i), Flags::NONE).unwrap();
            assert_eq!(recv_parts(ours), reversed, "reply {i}");
        }
        "sub" => {
            let seq = i.to_string();
            ours.send_multipart(["drop", &seq], Flags::NONE).unwrap();
            ours.send_multipart(["keep", &seq], Flags::NONE).unwrap();
        }
        "xpub" => assert_eq!(recv_parts(ours), [b"keep".to_vec(), i.to_string().into_bytes()]),
        other => unreachable!("{other}"),
    }
}

/// ringmq as `ours` against peer.py as `role`, with `mechanism`, as server and as client.
fn pattern(mechanism: Mechanism, ours_type: SocketType, role: &str) {
    for peer_binds in [true, false] {
        let ctx = context();
        zap_handler(&ctx, None);
        let mut ours = ringmq_socket(&ctx, ours_type);
        match ours_type {
            SocketType::XPub => ours.set_sndhwm(0).unwrap(),
            SocketType::Sub => {
                ours.set_rcvhwm(0).unwrap();
                ours.set_subscribe(b"keep").unwrap();
            }
            _ => {}
        }
        // libzmq 4.3.5 (pyzmq's) REQ as a PLAIN server never receives a REP client's reply,
        // libzmq to libzmq too (checked with two pyzmq sockets; with the roles swapped, or
        // with CURVE, it works). There the binding pyzmq REQ is the PLAIN client instead.
        let libzmq_req_plain_server = matches!(mechanism, Mechanism::Plain) && role == "req" && peer_binds;
        let env = secure(&mut ours, mechanism, !peer_binds || libzmq_req_plain_server);
        let peer = join(role, peer_binds, &mut ours, COUNT, &env);
        if ours_type == SocketType::XPub {
            assert_eq!(ours.recv(Flags::NONE).unwrap(), &b"\x01keep"[..]);
        }
        for i in 0..COUNT {
            exchange(&mut ours, role, i);
        }
        peer.finish();
        drop(ours);
        term_within(ctx, Duration::from_secs(10));
        eprintln!("{mechanism:?} {ours_type:?} vs pyzmq {role}, peer binds {peer_binds}: ok");
    }
}

#[test]
fn curve_with_pyzmq_push_pull_both_ways() {
    pattern(Mechanism::Curve, SocketType::Pull, "push");
    pattern(Mechanism::Curve, SocketType::Push, "pull");
}

#[test]
fn curve_with_pyzmq_req_rep_both_ways() {
    pattern(Mechanism::Curve, SocketType::Rep, "req");
    pattern(Mechanism::Curve, SocketType::Req, "rep");
}

#[test]
fn curve_with_pyzmq_router_dealer_both_ways() {
    pattern(Mechanism::Curve, SocketType::Router, "dealer");
    pattern(Mechanism::Curve, SocketType::Dealer, "router");
}

#[test]
fn curve_with_pyzmq_pub_sub_both_ways() {
    pattern(Mechanism::Curve, SocketType::XPub, "sub");
    pattern(Mechanism::Curve, SocketType::Sub, "xpub");
}

#[test]
fn plain_with_pyzmq_push_pull_both_ways() {
    pattern(Mechanism::Plain, SocketType::Pull, "push");
    pattern(Mechanism::Plain, SocketType::Push, "pull");
}

#[test]
fn plain_with_pyzmq_req_rep_both_ways() {
    pattern(Mechanism::Plain, SocketType::Rep, "req");
    pattern(Mechanism::Plain, SocketType::Req, "rep");
}

#[test]
fn plain_with_pyzmq_router_dealer_both_ways() {
    pattern(Mechanism::Plain, SocketType::Router, "dealer");
    pattern(Mechanism::Plain, SocketType::Dealer, "router");
}

#[test]
fn plain_with_pyzmq_pub_sub_both_ways() {
    pattern(Mechanism::Plain, SocketType::XPub, "sub");
    pattern(Mechanism::Plain, SocketType::Sub, "xpub");
}

/// A ringmq PULL server that refused `bad_env`'s pyzmq PUSH still serves a good one, and
/// nothing of the refused one arrives.
/// The User-Id a ZAP handler (a plain REP socket) gave a pyzmq client is on every frame it
/// sends, for CURVE and PLAIN.
#[test]
fn user_id_from_zap_is_seen_on_messages_from_pyzmq() {
    for (mechanism, user) in [(Mechanism::Curve, "curve-user"), (Mechanism::Plain, USER)] {
        let ctx = context();
        zap_handler(&ctx, None);
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        let env = secure(&mut pull, mechanism, true);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let peer = Peer::start("push", "connect", &pull.last_endpoint(), COUNT, &env);
        for i in 0..COUNT {
            assert_eq!(recv_from_user(&mut pull, user), message(i), "{mechanism:?}");
        }
        peer.finish();
        drop(pull);
        term_within(ctx, Duration::from_secs(10));
    }
}

fn refused_then_served(
    configure: impl FnOnce(&mut Socket, &Context) -> (Vec<(&'static str, String)>, Vec<(&'static str, String)>),
) {
    let ctx = context();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    let (bad_env, good_env) = configure(&mut pull, &ctx);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    // The refused pusher tries to send all COUNT messages; none may arrive. It never
    // finishes (its messages wait for a connection that never completes).
    let bad = Peer::start("push", "connect", &endpoint, COUNT, &bad_env);
    pull.set_rcvtimeo(1500).unwrap();
    assert!(
        pull.recv(Flags::NONE).is_err(),
        "a refused peer delivered a message"
    );
    let good = Peer::start("push", "connect", &endpoint, COUNT, &good_env);
    pull.set_rcvtimeo(TIMEOUT_MS).unwrap();
    for i in 0..COUNT {
        assert_eq!(recv_parts(&mut pull), message(i));
    }
    good.finish();
    bad.kill();
    drop(pull);
    term_within(ctx, Duration::from_secs(10));
}

#[test]
fn a_pyzmq_client_with_the_wrong_server_key_delivers_nothing() {
    refused_then_served(|pull, _| {
        let keys = CurveKeyPair::generate();
        pull.set_curve_server(true).unwrap();
        pull.set_curve_secretkey(keys.secret.expose()).unwrap();
        let wrong = CurveKeyPair::generate().public.to_z85();
        (
            vec![("PEER_BIG", "1".into()), ("PEER_CURVE_SERVER_KEY", wrong)],
            vec![
                ("PEER_BIG", "1".into()),
                ("PEER_CURVE_SERVER_KEY", keys.public.to_z85()),
            ],
        )
    });
}

#[test]
fn a_pyzmq_client_with_the_wrong_password_delivers_nothing() {
    refused_then_served(|pull, ctx| {
        zap_handler(ctx, None);
        pull.set_plain_server(true).unwrap();
        (
            vec![
                ("PEER_BIG", "1".into()),
                ("PEER_PLAIN_CLIENT", format!("{USER}:wrong")),
            ],
            vec![
                ("PEER_BIG", "1".into()),
                ("PEER_PLAIN_CLIENT", format!("{USER}:{PASSWORD}")),
            ],
        )
    });
}

#[test]
fn a_pyzmq_curve_client_refused_by_zap_delivers_nothing() {
    // The refused client uses a key pair of ours, whose public key the handler refuses.
    let refused = CurveKeyPair::generate();
    refused_then_served(|pull, ctx| {
        zap_handler(ctx, Some(*refused.public.as_bytes()));
        let keys = CurveKeyPair::generate();
        pull.set_curve_server(true).unwrap();
        pull.set_curve_secretkey(keys.secret.expose()).unwrap();
        (
            vec![
                ("PEER_BIG", "1".into()),
                ("PEER_CURVE_SERVER_KEY", keys.public.to_z85()),
                ("PEER_CURVE_CLIENT_SECRET", refused.secret.to_z85().to_string()),
            ],
            vec![
                ("PEER_BIG", "1".into()),
                ("PEER_CURVE_SERVER_KEY", keys.public.to_z85()),
            ],
        )
    });
}

#[test]
fn a_ringmq_client_with_the_wrong_server_key_delivers_nothing_to_pyzmq() {
    let ctx = context();
    let (_server_public, server_secret) = py_keypair();
    let mut peer = Peer::start(
        "pull",
        "bind",
        "tcp://127.0.0.1:*",
        1,
        &[("PEER_CURVE_SECRET", server_secret.clone())],
    );
    let endpoint = peer.line();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_curve_serverkey(CurveKeyPair::generate().public.as_bytes())
        .unwrap();
    push.connect(&endpoint).unwrap();
    push.send_multipart(message(1), Flags::NONE).unwrap();
    thread::sleep(Duration::from_millis(1500));
    // The pyzmq PULL expects message 0 first and fails on anything else: had message 1
    // got through, it would exit with an error. A ringmq PUSH with the right key delivers
    // message 0 and the peer finishes.
    let mut good = ringmq_socket(&ctx, SocketType::Push);
    good.set_curve_serverkey(ringmq::curve_public(&server_secret).unwrap().as_bytes())
        .unwrap();
    good.connect(&endpoint).unwrap();
    good.send_multipart(message(0), Flags::NONE).unwrap();
    peer.finish();
    push.set_linger(0).unwrap();
    drop((push, good));
    term_within(ctx, Duration::from_secs(10));
}

/// pyzmq's `zmq.auth.create_certificates` in `dir`: (public z85, secret z85) of `name`, as
/// pyzmq reads its own files back.
fn py_certificate(dir: &std::path::Path, name: &str) -> (String, String) {
    let script = "import sys, zmq.auth as a\npub, sec = a.create_certificates(sys.argv[1], sys.argv[2])\np, s = a.load_certificate(sec)\nprint(p.decode()); print(s.decode())";
    let out = Command::new("python3")
        .args(["-c", script, dir.to_str().unwrap(), name])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines().map(str::to_owned);
    (lines.next().unwrap(), lines.next().unwrap())
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ringmq-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn zcert_certificates_interchange_with_pyzmq() {
    use ringmq::auth::zcert::Certificate;
    let dir = temp_dir("zcert");
    // pyzmq's files, read by ringmq.
    let (public, secret) = py_certificate(&dir, "py");
    let theirs = Certificate::load(&dir.join("py.key_secret")).unwrap();
    assert_eq!(theirs.public.to_z85(), public);
    assert_eq!(&*theirs.secret.unwrap().to_z85(), &secret);
    assert_eq!(
        Certificate::load(&dir.join("py.key")).unwrap().public.to_z85(),
        public
    );
    // ringmq's files, read by pyzmq.
    let ours = Certificate::generate();
    ours.save(&dir.join("ours")).unwrap();
    let script = "import sys, zmq.auth as a\np, s = a.load_certificate(sys.argv[1])\nprint(p.decode()); print(s.decode())";
    let path = dir.join("ours.key_secret");
    let out = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], ours.public.to_z85());
    assert_eq!(lines[1], &*ours.secret.as_ref().unwrap().to_z85());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_authenticator_admits_pyzmq_clients_from_a_certificate_directory() {
    let dir = temp_dir("certs");
    let (alice_public, alice_secret) = py_certificate(&dir, "alice");
    let server_keys = CurveKeyPair::generate();
    let ctx = context();
    let auth = ringmq::Authenticator::start(&ctx).unwrap();
    auth.configure_curve_certificates("*", &dir).unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_curve_server(true).unwrap();
    pull.set_curve_secretkey(server_keys.secret.expose()).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let base = [
        ("PEER_BIG", "1".to_owned()),
        ("PEER_CURVE_SERVER_KEY", server_keys.public.to_z85()),
    ];
    // A stranger (a fresh key pair) is refused; alice, whose certificate is in the
    // directory, is served.
    let stranger = Peer::start("push", "connect", &endpoint, COUNT, &base);
    pull.set_rcvtimeo(1500).unwrap();
    assert!(pull.recv(Flags::NONE).is_err(), "a stranger delivered a message");
    let mut alice_env = base.to_vec();
    alice_env.push(("PEER_CURVE_CLIENT_SECRET", alice_secret));
    let alice = Peer::start("push", "connect", &endpoint, COUNT, &alice_env);
    pull.set_rcvtimeo(TIMEOUT_MS).unwrap();
    for i in 0..COUNT {
        // The authenticator names a CURVE client by its public key, as pyzmq's does.
        assert_eq!(recv_from_user(&mut pull, &alice_public), message(i));
    }
    alice.finish();
    stranger.kill();
    drop((pull, auth));
    term_within(ctx, Duration::from_secs(10));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_authenticator_checks_plain_users_from_a_password_file_and_addresses() {
    let dir = temp_dir("passwords");
    let file = dir.join("passwords");
    std::fs::write(&file, format!("# users\n{USER}={PASSWORD}\nbob=other\n")).unwrap();
    let ctx = context();
    let auth = ringmq::Authenticator::start(&ctx).unwrap();
    auth.configure_plain_file("*", &file).unwrap();
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint();
    let env = |credentials: &str| {
        vec![
            ("PEER_BIG", "1".to_owned()),
            ("PEER_PLAIN_CLIENT", credentials.to_owned()),
        ]
    };
    let wrong = Peer::start("push", "connect", &endpoint, COUNT, &env(&format!("{USER}:nope")));
    pull.set_rcvtimeo(1500).unwrap();
    assert!(
        pull.recv(Flags::NONE).is_err(),
        "a wrong password delivered a message"
    );
    let good = Peer::start(
        "push",
        "connect",
        &endpoint,
        COUNT,
        &env(&format!("{USER}:{PASSWORD}")),
    );
    pull.set_rcvtimeo(TIMEOUT_MS).unwrap();
    for i in 0..COUNT {
        assert_eq!(recv_from_user(&mut pull, USER), message(i));
    }
    good.finish();
    wrong.kill();
    // Loopback on the deny list: even the right password is refused from there.
    auth.deny(["127.0.0.1"]);
    let denied = Peer::start(
        "push",
        "connect",
        &endpoint,
        COUNT,
        &env(&format!("{USER}:{PASSWORD}")),
    );
    pull.set_rcvtimeo(1500).unwrap();
    assert!(
        pull.recv(Flags::NONE).is_err(),
        "a denied address delivered a message"
    );
    denied.kill();
    drop((pull, auth));
    term_within(ctx, Duration::from_secs(10));
    std::fs::remove_dir_all(&dir).unwrap();
}
