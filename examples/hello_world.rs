//! zguide "Hello World": a REQ client asks, a REP server answers, over tcp.
//!
//! `cargo run --example hello_world`

use std::thread;

use ringmq::{Context, Flags, SocketType};

fn main() -> ringmq::Result<()> {
    let ctx = Context::new()?;

    let mut server = ctx.socket(SocketType::Rep)?;
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint();
    let server = thread::spawn(move || -> ringmq::Result<()> {
        for _ in 0..10 {
            let request = server.recv(Flags::NONE)?;
            println!("server: received {}", String::from_utf8_lossy(&request));
            server.send("World", Flags::NONE)?;
        }
        Ok(())
    });

    let mut client = ctx.socket(SocketType::Req)?;
    client.connect(&endpoint)?;
    for n in 0..10 {
        client.send("Hello", Flags::NONE)?;
        let reply = client.recv(Flags::NONE)?;
        println!("client: reply {n}: {}", String::from_utf8_lossy(&reply));
    }
    server.join().expect("server thread")?;
    Ok(())
}
