//! Handshakes per second: a REQ client that connects, does one round trip and closes, again
//! and again, to one REP server, with NULL and with CURVE; ringmq beside libzmq (the
//! system's libzmq5, for CURVE). What it costs to let a peer in, key agreements included.

use std::time::{Duration, Instant};

use ringmq::{Context, CurveKeyPair, Flags, SocketType};

use crate::die;

/// ringmq's `count` connect-round-trip-close cycles; the time they took.
pub fn ringmq_round_trips(count: usize, curve: bool) -> Duration {
    let ctx = Context::new().unwrap_or_else(|e| die("Context::new", e));
    let server_keys = curve.then(CurveKeyPair::generate);
    let client_keys = CurveKeyPair::generate();
    let mut server = ctx.socket(SocketType::Rep).unwrap_or_else(|e| die("socket", e));
    if let Some(keys) = &server_keys {
        server.set_curve_server(true).unwrap_or_else(|e| die("curve", e));
        server
            .set_curve_secretkey(keys.secret.expose())
            .unwrap_or_else(|e| die("curve", e));
    }
    server
        .bind("tcp://127.0.0.1:*")
        .unwrap_or_else(|e| die("bind", e));
    let endpoint = server.last_endpoint();
    let serving = std::thread::spawn(move || {
        for _ in 0..count {
            let request = server.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
            server
                .send(request, Flags::NONE)
                .unwrap_or_else(|e| die("send", e));
        }
    });
    let start = Instant::now();
    for _ in 0..count {
        let mut client = ctx.socket(SocketType::Req).unwrap_or_else(|e| die("socket", e));
        client.set_linger(0).unwrap_or_else(|e| die("linger", e));
        if let Some(keys) = &server_keys {
            let set = |r: ringmq::Result<()>| r.unwrap_or_else(|e| die("curve", e));
            set(client.set_curve_serverkey(keys.public.as_bytes()));
            set(client.set_curve_publickey(client_keys.public.as_bytes()));
            set(client.set_curve_secretkey(client_keys.secret.expose()));
        }
        client.connect(&endpoint).unwrap_or_else(|e| die("connect", e));
        client.send("x", Flags::NONE).unwrap_or_else(|e| die("send", e));
        client.recv(Flags::NONE).unwrap_or_else(|e| die("recv", e));
    }
    let elapsed = start.elapsed();
    serving.join().unwrap_or_else(|_| die("server", "panicked"));
    elapsed
}
