//! CURVE through the whole connection: the handshake as libzmq frames it, the boxed
//! traffic after it, and every way a hostile or mistaken peer can fail it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::batch::WriteBatch;
use super::command::{Metadata, encode_command, split_command};
use super::connection::{Connection, Event, ProtocolError, ZmtpConfig};
use super::frame::{DecodedFrame, FrameDecoder};
use super::greeting::GREETING_LEN;
use super::limits::MAX_COMMAND_SIZE;
use super::mechanism::{AuthRequest, Security, Verdict};
use super::test_support::{accept, control, feed, pump};
use crate::msg::Msg;
use crate::security::{CurveKeyPair, CurvePublicKey};
use crate::socket_type::SocketType;

struct Keys {
    server: CurveKeyPair,
    client: CurveKeyPair,
}

fn keys() -> Keys {
    Keys {
        server: CurveKeyPair::generate(),
        client: CurveKeyPair::generate(),
    }
}

fn client_config(t: SocketType, server_key: CurvePublicKey, keys: &CurveKeyPair) -> Arc<ZmtpConfig> {
    let mut cfg = ZmtpConfig::new(t);
    cfg.security = Security::CurveClient {
        server_key,
        keys: keys.clone(),
    };
    cfg.heartbeat_interval = Some(Duration::from_secs(1));
    Arc::new(cfg)
}

fn server_config(t: SocketType, keys: &CurveKeyPair) -> Arc<ZmtpConfig> {
    let mut cfg = ZmtpConfig::new(t);
    cfg.security = Security::CurveServer { keys: keys.clone() };
    cfg.heartbeat_interval = Some(Duration::from_secs(1));
    Arc::new(cfg)
}

/// The frames of `wire` (after any greeting), as (flags octet, body).
fn frames(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut decoder = FrameDecoder::new(None, u64::MAX);
    let mut out = Vec::new();
    while !wire.is_empty() {
        let flags = wire[0];
        let (n, frame) = decoder.decode(wire).unwrap();
        wire = &wire[n..];
        match frame {
            Some(DecodedFrame::Message(m)) => out.push((flags, m.to_vec())),
            Some(DecodedFrame::Command(c)) => out.push((flags, c.to_vec())),
            None => {}
        }
    }
    out
}

/// A client and a server whose handshake completed; the ZAP handler accepted "alice".
fn ready_pair(client_type: SocketType, server_type: SocketType) -> (Connection, Connection, Keys, Instant) {
    let keys = keys();
    let now = Instant::now();
    let mut client = Connection::new(client_config(client_type, keys.server.public, &keys.client), now);
    let mut server = Connection::new(server_config(server_type, &keys.server), now);
    let [c, s] = pump(&mut client, &mut server, now, accept("alice"));
    assert!(c.1.is_none() && s.1.is_none(), "{c:?} {s:?}");
    assert!(client.is_ready() && server.is_ready());
    (client, server, keys, now)
}

fn encode(c: &mut Connection, msgs: &[Msg]) -> Vec<u8> {
    let mut batch = WriteBatch::new();
    for m in msgs {
        c.encode_message(m, &mut batch);
    }
    batch.to_vec()
}

fn messages(events: Vec<Event>) -> Vec<Msg> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => m,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn the_handshake_is_libzmqs_and_zap_is_asked_about_the_clients_key() {
    let keys = keys();
    let now = Instant::now();
    let mut client = Connection::new(
        client_config(SocketType::Dealer, keys.server.public, &keys.client),
        now,
    );
    let mut server = Connection::new(server_config(SocketType::Router, &keys.server), now);
    let client_greeting = control(&mut client);
    let server_greeting = control(&mut server);
    assert_eq!(&client_greeting[12..17], b"CURVE");
    assert_eq!(
        (client_greeting[32], server_greeting[32]),
        (0, 1),
        "as-server bits"
    );
    feed(&mut server, &client_greeting, now).unwrap();
    feed(&mut client, &server_greeting, now).unwrap();
    let hello = control(&mut client);
    let [(flags, body)] = &frames(&hello)[..] else {
        panic!()
    };
    assert_eq!((*flags, body.len()), (0x04, 200), "HELLO is a 200-octet command");
    assert_eq!(&body[..8], b"\x05HELLO\x01\x00");
    assert!(body[8..80].iter().all(|&b| b == 0), "anti-amplification padding");
    assert!(feed(&mut server, &hello, now).unwrap().is_empty());
    let welcome = control(&mut server);
    let [(_, body)] = &frames(&welcome)[..] else {
        panic!()
    };
    assert_eq!((&body[..8], body.len()), (&b"\x07WELCOME"[..], 168));
    feed(&mut client, &welcome, now).unwrap();
    let initiate = control(&mut client);
    let [(_, body)] = &frames(&initiate)[..] else {
        panic!()
    };
    assert_eq!(&body[..9], b"\x08INITIATE");
    assert!(body.len() >= 257);
    let request = match &feed(&mut server, &initiate, now).unwrap()[..] {
        [Event::Authenticate(r)] => r.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(request.mechanism, "CURVE");
    assert_eq!(
        request.credentials,
        [Bytes::copy_from_slice(keys.client.public.as_bytes())]
    );
    let peer = match server.authenticated(accept("alice")(&request), now).unwrap() {
        Some(Event::Ready(peer)) => peer,
        other => panic!("{other:?}"),
    };
    assert_eq!(peer.socket_type, SocketType::Dealer);
    assert_eq!(peer.user_id.as_deref(), Some(&b"alice"[..]));
    assert_eq!(peer.zap_metadata.get("X-Role").map(|v| &v[..]), Some(&b"ops"[..]));
    let ready = control(&mut server);
    let [(_, body)] = &frames(&ready)[..] else {
        panic!()
    };
    assert_eq!(&body[..6], b"\x05READY");
    assert_eq!(
        &body[6..14],
        &1u64.to_be_bytes(),
        "the server's first short nonce"
    );
    match &feed(&mut client, &ready, now).unwrap()[..] {
        [Event::Ready(peer)] => assert_eq!(peer.socket_type, SocketType::Router),
        other => panic!("{other:?}"),
    }
}

#[test]
fn traffic_is_boxed_both_ways_with_multipart_large_frames_and_heartbeats() {
    let (mut client, mut server, _keys, now) = ready_pair(SocketType::Dealer, SocketType::Router);
    let secret = vec![0x5au8; 100 * 1024];
    let sent = [
        Msg::from("routing").with_more(true),
        Msg::from(&b""[..]).with_more(true),
        Msg::from(secret.clone()),
    ];
    let wire = encode(&mut client, &sent);
    // libzmq's framing: each MESSAGE is a message frame without MORE; nothing in clear.
    let on_wire = frames(&wire);
    assert_eq!(on_wire.len(), 3);
    for (flags, body) in &on_wire {
        assert_eq!(flags & 0x05, 0, "neither MORE nor COMMAND on the wire");
        assert!(body.starts_with(b"\x07MESSAGE"));
    }
    assert_eq!(
        &on_wire[0].1[8..16],
        &3u64.to_be_bytes(),
        "after HELLO (1) and INITIATE (2)"
    );
    assert!(
        !wire.windows(64).any(|w| w == &secret[..64]),
        "the body is not in clear"
    );
    let got = messages(feed(&mut server, &wire, now).unwrap());
    assert_eq!(got.len(), 3);
    assert_eq!((got[0].more(), got[1].more(), got[2].more()), (true, true, false));
    assert_eq!(
        (&got[0][..], got[1].len(), &got[2][..]),
        (&b"routing"[..], 0, &secret[..])
    );

    // The same traffic arriving a few octets at a time is gathered by the decoder first,
    // then opened: the same messages.
    let more = encode(&mut client, &sent);
    let mut pieces = Vec::new();
    for piece in more.chunks(7) {
        pieces.extend(messages(feed(&mut server, piece, now).unwrap()));
    }
    assert_eq!(pieces.len(), 3);
    assert_eq!((&pieces[0][..], &pieces[2][..]), (&b"routing"[..], &secret[..]));

    let reply = encode(&mut server, &[Msg::from("pong")]);
    assert_eq!(
        &frames(&reply)[0].1[8..16],
        &2u64.to_be_bytes(),
        "after READY (1)"
    );
    assert_eq!(&messages(feed(&mut client, &reply, now).unwrap())[0][..], b"pong");

    // A PING is a boxed command, and so is the PONG it is owed.
    server.on_timeout(now + Duration::from_secs(1)).unwrap();
    let ping = control(&mut server);
    let [(flags, body)] = &frames(&ping)[..] else {
        panic!()
    };
    assert!(*flags == 0 && body.starts_with(b"\x07MESSAGE"), "PING boxed");
    assert!(feed(&mut client, &ping, now).unwrap().is_empty());
    let pong = control(&mut client);
    assert!(frames(&pong)[0].1.starts_with(b"\x07MESSAGE"));
    assert!(feed(&mut server, &pong, now).unwrap().is_empty());
}

#[test]
fn subscriptions_are_boxed_commands_for_zmtp_3_1_peers() {
    let (mut sub, mut publisher, _keys, now) = ready_pair(SocketType::Sub, SocketType::Pub);
    let wire = encode(
        &mut sub,
        &[
            Msg::subscription(true, b"ticks"),
            Msg::subscription(false, b"ticks"),
        ],
    );
    assert!(!wire.windows(5).any(|w| w == b"ticks"));
    let events = feed(&mut publisher, &wire, now).unwrap();
    assert_eq!(
        events,
        [
            Event::Subscribe(Bytes::from_static(b"ticks")),
            Event::Cancel(Bytes::from_static(b"ticks"))
        ]
    );
}

#[test]
fn a_wrong_server_key_closes_without_an_error_and_a_zap_refusal_with_one() {
    let keys = keys();
    let now = Instant::now();
    let other = CurveKeyPair::generate();
    let mut client = Connection::new(client_config(SocketType::Push, other.public, &keys.client), now);
    let mut server = Connection::new(server_config(SocketType::Pull, &keys.server), now);
    let [c, s] = pump(&mut client, &mut server, now, |_| panic!("ZAP is not asked"));
    assert!(matches!(s.1, Some(ProtocolError::Cryptographic(_))), "{s:?}");
    assert!(
        !server.owes_error() && control(&mut server).is_empty(),
        "no ERROR: libzmq's client retries"
    );
    assert!(c.1.is_none() && c.0.is_empty());

    for status in [300u16, 400, 500] {
        let mut client = Connection::new(
            client_config(SocketType::Push, keys.server.public, &keys.client),
            now,
        );
        let mut server = Connection::new(server_config(SocketType::Pull, &keys.server), now);
        let refuse = |_: &AuthRequest| Verdict::Reply {
            status,
            user_id: Bytes::new(),
            metadata: Metadata::new(),
        };
        let [c, s] = pump(&mut client, &mut server, now, refuse);
        assert_eq!(s.1, Some(ProtocolError::AuthenticationFailed(status)));
        let expected = (status != 300).then(|| ProtocolError::PeerError(status.to_string()));
        assert_eq!(c.1, expected);
        assert!(c.0.is_empty() && s.0.is_empty());
    }
}

#[test]
fn without_a_zap_handler_curve_encrypts_unless_the_domain_is_enforced() {
    let keys = keys();
    let now = Instant::now();
    for enforce in [false, true] {
        let mut cfg = (*server_config(SocketType::Pull, &keys.server)).clone();
        cfg.zap.enforce_domain = enforce;
        cfg.zap.domain = Bytes::from_static(b"global");
        let mut server = Connection::new(Arc::new(cfg), now);
        let mut client = Connection::new(
            client_config(SocketType::Push, keys.server.public, &keys.client),
            now,
        );
        let [_, s] = pump(&mut client, &mut server, now, |_| Verdict::NoHandler);
        assert_eq!(s.1.is_none(), !enforce);
        assert_eq!(server.is_ready(), !enforce);
    }
}

#[test]
fn replayed_reordered_and_altered_messages_close_the_connection() {
    let (mut client, mut server, _keys, now) = ready_pair(SocketType::Push, SocketType::Pull);
    let first = encode(&mut client, &[Msg::from("one")]);
    assert_eq!(messages(feed(&mut server, &first, now).unwrap()).len(), 1);
    assert!(
        matches!(
            feed(&mut server, &first, now),
            Err(ProtocolError::Cryptographic(_))
        ),
        "replayed"
    );

    let (mut client, mut server, _keys, now) = ready_pair(SocketType::Push, SocketType::Pull);
    let first = encode(&mut client, &[Msg::from("one")]);
    let second_wire = encode(&mut client, &[Msg::from("two")]);
    feed(&mut server, &second_wire, now).unwrap();
    assert!(
        matches!(
            feed(&mut server, &first, now),
            Err(ProtocolError::Cryptographic(_))
        ),
        "reordered"
    );

    let (mut client, mut server, _keys, now) = ready_pair(SocketType::Push, SocketType::Pull);
    let mut altered = encode(&mut client, &[Msg::from("three")]);
    let last = altered.len() - 1;
    altered[last] ^= 0x20;
    assert!(matches!(
        feed(&mut server, &altered, now),
        Err(ProtocolError::Cryptographic(_))
    ));

    // An unboxed frame, a stray handshake command and a MESSAGE too short for a box.
    for input in [
        {
            let mut b = WriteBatch::new();
            b.push_message_frame(&Msg::from("clear"), usize::MAX);
            b.to_vec()
        },
        {
            let mut v = Vec::new();
            encode_command("INITIATE", &[0; 300], &mut v);
            v
        },
        {
            let mut v = Vec::new();
            encode_command("MESSAGE", &[0; 20], &mut v);
            v
        },
    ] {
        let (_client, mut server, _keys, now) = ready_pair(SocketType::Push, SocketType::Pull);
        assert!(feed(&mut server, &input, now).is_err());
    }
}

#[test]
fn junk_hellos_and_replayed_initiates_fail_the_handshake() {
    let keys = keys();
    let now = Instant::now();
    let server_at_hello = || {
        let mut s = Connection::new(server_config(SocketType::Pull, &keys.server), now);
        let greeting = super::greeting::our_greeting("CURVE", false);
        assert_eq!(greeting.len(), GREETING_LEN);
        feed(&mut s, &greeting, now).unwrap();
        assert_eq!(control(&mut s).len(), GREETING_LEN, "its own greeting, taken");
        s
    };
    let hello_with = |data: &[u8]| {
        let mut v = Vec::new();
        encode_command("HELLO", data, &mut v);
        v
    };
    let mut good = Connection::new(
        client_config(SocketType::Push, keys.server.public, &keys.client),
        now,
    );
    control(&mut good);
    feed(&mut good, &super::greeting::our_greeting("CURVE", true), now).unwrap();
    let hello = control(&mut good);
    let (_, hello_data) = split_command(&frames(&hello)[0].1)
        .map(|(n, d)| (n.to_vec(), d.to_vec()))
        .unwrap();
    let mut wrong_version = hello_data.clone();
    wrong_version[0] = 2;
    let mut bad_box = hello_data.clone();
    bad_box[150] ^= 1;
    for junk in [
        hello_with(&hello_data[..100]),
        hello_with(&wrong_version),
        hello_with(&bad_box),
        hello_with(&[0; 194]),
    ] {
        assert!(feed(&mut server_at_hello(), &junk, now).is_err());
    }

    // A whole handshake, recorded; its INITIATE replayed to another connection (which got
    // the same HELLO) does not open there: that connection's cookie key is its own.
    let mut server = server_at_hello();
    feed(&mut server, &hello, now).unwrap();
    let welcome = control(&mut server);
    feed(&mut good, &welcome, now).unwrap();
    let initiate = control(&mut good);
    let mut replay_target = server_at_hello();
    feed(&mut replay_target, &hello, now).unwrap();
    assert!(matches!(
        feed(&mut replay_target, &initiate, now),
        Err(ProtocolError::Cryptographic(_))
    ));
    // On its own connection it is accepted once; again, after READY, it is not a MESSAGE.
    assert!(matches!(
        &feed(&mut server, &initiate, now).unwrap()[..],
        [Event::Authenticate(_)]
    ));
    server.authenticated(Verdict::NoHandler, now).unwrap();
    assert!(server.is_ready());
    assert!(feed(&mut server, &initiate, now).is_err());
}

#[test]
fn an_initiate_above_the_command_cap_is_refused_from_its_header() {
    let keys = keys();
    let now = Instant::now();
    let mut server = Connection::new(server_config(SocketType::Pull, &keys.server), now);
    let mut input = super::greeting::our_greeting("CURVE", false).to_vec();
    input.push(0x06);
    input.extend_from_slice(&(MAX_COMMAND_SIZE + 1).to_be_bytes());
    assert!(feed(&mut server, &input, now).is_err());
}

#[test]
fn a_zmtp_3_0_peer_gets_subscriptions_as_boxed_messages() {
    let keys = keys();
    let now = Instant::now();
    let mut sub = Connection::new(
        client_config(SocketType::Sub, keys.server.public, &keys.client),
        now,
    );
    let mut publisher = Connection::new(server_config(SocketType::Pub, &keys.server), now);
    let mut to_sub = control(&mut publisher);
    // The publisher says it speaks ZMTP 3.0 (libzmq's downgrade_sub then applies).
    to_sub[11] = 0;
    feed(&mut publisher, &control(&mut sub), now).unwrap();
    for _ in 0..3 {
        feed(&mut sub, &to_sub, now).unwrap();
        let events = feed(&mut publisher, &control(&mut sub), now).unwrap();
        for event in events {
            if let Event::Authenticate(request) = event {
                publisher.authenticated(accept("alice")(&request), now).unwrap();
            }
        }
        to_sub = control(&mut publisher);
    }
    feed(&mut sub, &to_sub, now).unwrap();
    assert!(sub.is_ready() && publisher.is_ready());
    assert_eq!(sub.peer_version(), (3, 0));
    let wire = encode(&mut sub, &[Msg::subscription(true, b"ticks")]);
    match &feed(&mut publisher, &wire, now).unwrap()[..] {
        [Event::Message(m)] => assert_eq!(&m[..], b"\x01ticks"),
        other => panic!("{other:?}"),
    }
}
