//! zguide "Lazy Pirate": reliable request-reply on the client side. The client waits a bounded
//! time for each reply (RCVTIMEO); when none comes, it throws its REQ socket away (a REQ that
//! lost its reply is stuck), opens a new one and sends the request again, up to a retry limit.
//! The server here drops some requests and "crashes" once, to show the recovery.
//!
//! `cargo run --example lazy_pirate`

use std::thread;
use std::time::Duration;

use ringmq::{Context, Flags, Socket, SocketType};

const REQUEST_TIMEOUT_MS: i32 = 500;
const RETRIES: u32 = 3;
const REQUESTS: u32 = 10;

fn client_socket(ctx: &Context, endpoint: &str) -> ringmq::Result<Socket> {
    let mut s = ctx.socket(SocketType::Req)?;
    s.set_rcvtimeo(REQUEST_TIMEOUT_MS)?;
    s.set_linger(0)?;
    s.connect(endpoint)?;
    Ok(s)
}

fn main() -> ringmq::Result<()> {
    let ctx = Context::new()?;
    let mut server = ctx.socket(SocketType::Rep)?;
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint();
    let server_ctx = ctx.clone();
    let server = thread::spawn(move || -> ringmq::Result<()> {
        let mut cycle = 0;
        loop {
            let request = server.recv(Flags::NONE)?;
            cycle += 1;
            if request == "quit" {
                return server.send("bye", Flags::NONE);
            }
            if cycle % 4 == 0 {
                // Simulate a lost reply: never answer this one. A REP must answer before it
                // can receive again, so it is replaced, as a restarted server would be.
                println!("server: dropping {}", String::from_utf8_lossy(&request));
                let endpoint = server.last_endpoint();
                drop(server);
                server = rebind(&server_ctx, &endpoint)?;
                continue;
            }
            server.send(request, Flags::NONE)?;
        }
    });

    let mut client = client_socket(&ctx, &endpoint)?;
    for sequence in 1..=REQUESTS {
        let request = sequence.to_string();
        let mut retries_left = RETRIES;
        loop {
            client.send(request.as_str(), Flags::NONE)?;
            match client.recv(Flags::NONE) {
                Ok(reply) if reply == request.as_str() => {
                    println!("client: server replied OK ({request})");
                    break;
                }
                Ok(reply) => println!("client: malformed reply {reply:?}"),
                Err(ringmq::Error::Again) => {
                    retries_left -= 1;
                    if retries_left == 0 {
                        println!("client: server seems to be offline, abandoning");
                        return Ok(());
                    }
                    println!("client: no response, retrying with a new socket");
                    client = client_socket(&ctx, &endpoint)?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    client.send("quit", Flags::NONE)?;
    client.recv(Flags::NONE)?;
    server.join().expect("server thread")?;
    Ok(())
}

/// A new REP on the same endpoint (the port may take a moment to be free again).
fn rebind(ctx: &Context, endpoint: &str) -> ringmq::Result<Socket> {
    let mut attempts = 0;
    loop {
        let mut s = ctx.socket(SocketType::Rep)?;
        match s.bind(endpoint) {
            Ok(()) => return Ok(s),
            Err(_) if attempts < 100 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}
