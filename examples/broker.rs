//! zguide "Request-reply broker": clients (REQ) talk to a ROUTER frontend, workers (REP) to a
//! DEALER backend, and the broker shuttles whole messages between the two with `poll`. The
//! ROUTER's routing-id envelope carries each reply back to the client that asked; the
//! DEALER load-balances requests over the workers.
//!
//! `cargo run --example broker`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use ringmq::{Context, Flags, PollEvents, PollItem, Socket, SocketType, poll};

const CLIENTS: usize = 4;
const WORKERS: usize = 3;
const REQUESTS: usize = 5;

/// Moves one whole message from `from` to `to`.
fn forward(from: &mut Socket, to: &mut Socket) -> ringmq::Result<()> {
    let frames = from.recv_multipart(Flags::NONE)?;
    to.send_multipart(frames, Flags::NONE)
}

fn main() -> ringmq::Result<()> {
    let ctx = Context::new()?;
    let mut frontend = ctx.socket(SocketType::Router)?;
    frontend.bind("tcp://127.0.0.1:*")?;
    let mut backend = ctx.socket(SocketType::Dealer)?;
    backend.bind("tcp://127.0.0.1:*")?;
    let (clients_at, workers_at) = (frontend.last_endpoint(), backend.last_endpoint());
    let stop = Arc::new(AtomicBool::new(false));

    let broker = {
        let stop = stop.clone();
        thread::spawn(move || -> ringmq::Result<()> {
            while !stop.load(Ordering::Relaxed) {
                let mut items = [
                    PollItem::new(&mut frontend, PollEvents::POLLIN),
                    PollItem::new(&mut backend, PollEvents::POLLIN),
                ];
                poll(&mut items, 100)?;
                let (front_ready, back_ready) = (items[0].is_readable(), items[1].is_readable());
                if front_ready {
                    forward(&mut frontend, &mut backend)?;
                }
                if back_ready {
                    forward(&mut backend, &mut frontend)?;
                }
            }
            Ok(())
        })
    };

    let workers: Vec<_> = (0..WORKERS)
        .map(|id| {
            let (ctx, stop, workers_at) = (ctx.clone(), stop.clone(), workers_at.clone());
            thread::spawn(move || -> ringmq::Result<usize> {
                let mut worker = ctx.socket(SocketType::Rep)?;
                worker.set_rcvtimeo(100)?;
                worker.connect(&workers_at)?;
                let mut served = 0;
                while !stop.load(Ordering::Relaxed) {
                    let Ok(request) = worker.recv(Flags::NONE) else {
                        continue;
                    };
                    let reply = format!("{} (worker {id})", String::from_utf8_lossy(&request));
                    worker.send(reply, Flags::NONE)?;
                    served += 1;
                }
                Ok(served)
            })
        })
        .collect();

    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let (ctx, clients_at) = (ctx.clone(), clients_at.clone());
            thread::spawn(move || -> ringmq::Result<()> {
                let mut client = ctx.socket(SocketType::Req)?;
                client.connect(&clients_at)?;
                for n in 0..REQUESTS {
                    let request = format!("client {id} request {n}");
                    client.send(request.as_str(), Flags::NONE)?;
                    let reply = client.recv(Flags::NONE)?;
                    let reply = String::from_utf8_lossy(&reply).into_owned();
                    assert!(reply.starts_with(&request), "each reply comes back to its client");
                    println!("{reply}");
                }
                Ok(())
            })
        })
        .collect();

    for c in clients {
        c.join().expect("client thread")?;
    }
    stop.store(true, Ordering::Relaxed);
    broker.join().expect("broker thread")?;
    let served: Vec<usize> = workers
        .into_iter()
        .map(|w| w.join().expect("worker thread"))
        .collect::<ringmq::Result<_>>()?;
    println!("requests served per worker: {served:?}");
    assert_eq!(served.iter().sum::<usize>(), CLIENTS * REQUESTS);
    Ok(())
}
