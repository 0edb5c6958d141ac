//! CURVE with omq.rs (the `omq-tokio` crate, a pure-Rust ZeroMQ with its own CURVE), in both
//! directions: ringmq as the server with an omq.rs client and the reverse, multipart messages
//! and 1 MiB frames; and an omq.rs client with the wrong server key delivers nothing.

mod common;

use std::time::Duration;

use common::*;
use omq_tokio::{
    CurveKeypair, CurvePublicKey, CurveSecretKey, Endpoint, Message, Options, SocketType as OmqType,
};
use ringmq::{CurveKeyPair, Flags, SocketType};

const COUNT: usize = 60;

fn message(i: usize) -> Vec<Vec<u8>> {
    let payload = if i % 20 == 3 {
        pattern(1 << 20, i as u64)
    } else {
        pattern(i * 13 % 500, i as u64)
    };
    vec![i.to_string().into_bytes(), Vec::new(), payload]
}

fn omq_message(i: usize) -> Message {
    Message::multipart(message(i))
}

fn parts(m: &Message) -> Vec<Vec<u8>> {
    m.iter().map(|b| b.to_vec()).collect()
}

/// omq.rs's key pair for ringmq's (the same 32 octets).
fn omq_keys(keys: &CurveKeyPair) -> CurveKeypair {
    CurveKeypair {
        public: CurvePublicKey::from_bytes(*keys.public.as_bytes()),
        secret: CurveSecretKey::from_bytes(*keys.secret.expose()),
    }
}

/// A ringmq PULL, CURVE server with `keys`, bound to an ephemeral port.
fn ringmq_curve_pull(ctx: &ringmq::Context, keys: &CurveKeyPair) -> (ringmq::Socket, Endpoint) {
    let mut pull = ringmq_socket(ctx, SocketType::Pull);
    pull.set_curve_server(true).unwrap();
    pull.set_curve_secretkey(keys.secret.expose()).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.last_endpoint().parse().unwrap();
    (pull, endpoint)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_omq_curve_client_to_a_ringmq_server() {
    let ctx = context();
    let server_keys = CurveKeyPair::generate();
    let (mut pull, endpoint) = ringmq_curve_pull(&ctx, &server_keys);
    let rt = runtime();
    let public = CurvePublicKey::from_bytes(*server_keys.public.as_bytes());
    // omq.rs makes its sockets inside a tokio runtime.
    let push = rt.block_on(async {
        omq_tokio::Socket::new(
            OmqType::Push,
            Options::default().curve_client(CurveKeypair::generate(), public),
        )
    });
    rt.block_on(push.connect(endpoint)).unwrap();
    let received = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let all_in = received.clone();
    let sender = std::thread::spawn(move || {
        rt.block_on(async {
            for i in 0..COUNT {
                push.send(omq_message(i)).await.unwrap();
            }
            // The runtime drives omq.rs's I/O: keep it running until the receiver has
            // everything (at most 10 s).
            for _ in 0..1000 {
                if all_in.load(std::sync::atomic::Ordering::Acquire) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            push.close().await.unwrap();
        })
    });
    for i in 0..COUNT {
        assert_eq!(recv_parts(&mut pull), message(i), "message {i}");
    }
    received.store(true, std::sync::atomic::Ordering::Release);
    sender.join().unwrap();
    drop(pull);
    term_within(ctx, Duration::from_secs(10));
}

#[test]
fn a_ringmq_curve_client_to_an_omq_server() {
    let server_keys = CurveKeyPair::generate();
    let rt = runtime();
    let pull = rt.block_on(async {
        omq_tokio::Socket::new(
            OmqType::Pull,
            Options::default().curve_server(omq_keys(&server_keys)),
        )
    });
    let any_port: Endpoint = "tcp://127.0.0.1:0".parse().unwrap();
    let endpoint = rt.block_on(pull.bind(any_port)).unwrap();
    let ctx = context();
    let mut push = ringmq_socket(&ctx, SocketType::Push);
    push.set_curve_serverkey(server_keys.public.to_z85().as_bytes())
        .unwrap();
    push.connect(&endpoint.to_string()).unwrap();
    for i in 0..COUNT {
        push.send_multipart(message(i), Flags::NONE).unwrap();
    }
    rt.block_on(async {
        for i in 0..COUNT {
            let got = tokio::time::timeout(Duration::from_secs(10), pull.recv())
                .await
                .expect("omq.rs received nothing for 10 s")
                .unwrap();
            assert_eq!(parts(&got), message(i), "message {i}");
        }
        pull.close().await.unwrap();
    });
    drop(push);
    term_within(ctx, Duration::from_secs(10));
}

#[test]
fn an_omq_client_with_the_wrong_server_key_delivers_nothing() {
    let ctx = context();
    let server_keys = CurveKeyPair::generate();
    let (mut pull, endpoint) = ringmq_curve_pull(&ctx, &server_keys);
    let rt = runtime();
    let wrong = CurvePublicKey::from_bytes(*CurveKeyPair::generate().public.as_bytes());
    let push = rt.block_on(async {
        omq_tokio::Socket::new(
            OmqType::Push,
            Options::default().curve_client(CurveKeypair::generate(), wrong),
        )
    });
    rt.block_on(async {
        push.connect(endpoint).await.unwrap();
        // The send may queue (no connection completes); it must never be delivered.
        let _ = tokio::time::timeout(Duration::from_millis(200), push.send(omq_message(1))).await;
    });
    pull.set_rcvtimeo(1500).unwrap();
    assert!(
        pull.recv(Flags::NONE).is_err(),
        "a client with the wrong key delivered a message"
    );
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(2), push.close()).await;
    });
    drop(pull);
    term_within(ctx, Duration::from_secs(10));
}

#[test]
fn omq_plain_clients_checked_by_ringmqs_authenticator() {
    let ctx = context();
    let auth = ringmq::Authenticator::start(&ctx).unwrap();
    auth.configure_plain("*", [("admin".to_owned(), "secret".to_owned())].into());
    let mut pull = ringmq_socket(&ctx, SocketType::Pull);
    pull.set_plain_server(true).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint: Endpoint = pull.last_endpoint().parse().unwrap();
    let rt = runtime();
    let (wrong, right) = rt.block_on(async {
        (
            omq_tokio::Socket::new(OmqType::Push, Options::default().plain_client("admin", "guess")),
            omq_tokio::Socket::new(OmqType::Push, Options::default().plain_client("admin", "secret")),
        )
    });
    rt.block_on(async {
        wrong.connect(endpoint.clone()).await.unwrap();
        let _ = tokio::time::timeout(Duration::from_millis(200), wrong.send(omq_message(1))).await;
        right.connect(endpoint).await.unwrap();
        for i in 0..COUNT {
            right.send(omq_message(i)).await.unwrap();
        }
    });
    // The runtime must run for omq.rs to write: drive it while ringmq receives.
    let driver = std::thread::spawn(move || {
        rt.block_on(async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let _ = tokio::time::timeout(Duration::from_secs(2), wrong.close()).await;
            let _ = tokio::time::timeout(Duration::from_secs(2), right.close()).await;
        })
    });
    for i in 0..COUNT {
        assert_eq!(
            recv_parts(&mut pull),
            message(i),
            "message {i}: only the right password's"
        );
    }
    driver.join().unwrap();
    drop((pull, auth));
    term_within(ctx, Duration::from_secs(10));
}
