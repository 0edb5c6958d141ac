//! CURVE: a REQ client talks to a REP server over an encrypted, authenticated tcp
//! connection; a ZAP handler admits the client by its public key, and refuses a client
//! whose key it does not know. See docs/security.md.
//!
//! `cargo run --example curve`

use std::thread;

use ringmq::{Context, CurveKeyPair, Flags, SocketType};

fn main() -> ringmq::Result<()> {
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let ctx = Context::new()?;

    // The ZAP handler: a REP socket at inproc://zeromq.zap.01, as for libzmq. CURVE's
    // credential is the client's 32-octet public key.
    let mut zap = ctx.socket(SocketType::Rep)?;
    zap.bind("inproc://zeromq.zap.01")?;
    let known = *client_keys.public.as_bytes();
    thread::spawn(move || {
        while let Ok(request) = zap.recv_multipart(Flags::NONE) {
            let admitted = &request[5][..] == b"CURVE" && request[6][..] == known;
            let (status, user): (&[u8], &[u8]) = if admitted {
                (b"200", b"client-1")
            } else {
                (b"400", b"")
            };
            println!(
                "zap: {} {}",
                String::from_utf8_lossy(&request[5]),
                String::from_utf8_lossy(status)
            );
            let reply = [&request[0][..], &request[1][..], status, b"", user, b""];
            if zap.send_multipart(reply, Flags::NONE).is_err() {
                break;
            }
        }
    });

    let mut server = ctx.socket(SocketType::Rep)?;
    server.set_curve_server(true)?;
    server.set_curve_secretkey(server_keys.secret.to_z85().as_bytes())?;
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint();

    // A stranger who knows the server's key but whose own key the handler refuses.
    let mut stranger = ctx.socket(SocketType::Req)?;
    stranger.set_curve_serverkey(server_keys.public.as_bytes())?;
    stranger.set_linger(0)?;
    stranger.connect(&endpoint)?;
    stranger.send("let me in", Flags::DONTWAIT)?;

    let mut client = ctx.socket(SocketType::Req)?;
    client.set_curve_serverkey(server_keys.public.to_z85().as_bytes())?;
    client.set_curve_publickey(client_keys.public.as_bytes())?;
    client.set_curve_secretkey(client_keys.secret.expose())?;
    client.connect(&endpoint)?;

    server.set_rcvtimeo(5000)?;
    for n in 0..3 {
        client.send(format!("request {n}"), Flags::NONE)?;
        let request = server.recv(Flags::NONE)?;
        println!("server: {}", String::from_utf8_lossy(&request));
        assert!(
            request.starts_with(b"request"),
            "only the known client gets through"
        );
        server.send("reply", Flags::NONE)?;
        println!("client: {}", String::from_utf8_lossy(&client.recv(Flags::NONE)?));
    }
    // Nothing of the stranger's arrived.
    server.set_rcvtimeo(200)?;
    assert!(server.recv(Flags::NONE).is_err());
    println!("done");
    Ok(())
}
