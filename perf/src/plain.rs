//! The floor: libzmq's perf tools' traffic over plain blocking stream sockets (std's
//! `TcpStream` with TCP_NODELAY, or `UnixStream` for `ipc://`), fixed-size messages, one
//! `write` per message, no framing or library, so the report can say how close a messaging
//! library comes to the bare kernel path.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use crate::{PerfArgs, die, latency_histogram, print_latency, print_throughput};

/// A connected plain stream.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

enum Address<'a> {
    Tcp(&'a str),
    Ipc(&'a str),
}

fn parse(address: &str) -> Address<'_> {
    if let Some(host_port) = address.strip_prefix("tcp://") {
        Address::Tcp(host_port)
    } else if let Some(path) = address.strip_prefix("ipc://") {
        Address::Ipc(path)
    } else {
        die(
            "address",
            format!("'{address}': plain sockets take tcp://host:port or ipc://path"),
        )
    }
}

/// Listens on `address` and accepts one connection.
fn accept_one(address: &str) -> Box<dyn Stream> {
    match parse(address) {
        Address::Tcp(host_port) => {
            let listener = TcpListener::bind(host_port).unwrap_or_else(|e| die("bind", e));
            let (stream, _) = listener.accept().unwrap_or_else(|e| die("accept", e));
            stream.set_nodelay(true).unwrap_or_else(|e| die("nodelay", e));
            Box::new(stream)
        }
        Address::Ipc(path) => {
            let _ = std::fs::remove_file(path);
            let listener = UnixListener::bind(path).unwrap_or_else(|e| die("bind", e));
            let (stream, _) = listener.accept().unwrap_or_else(|e| die("accept", e));
            let _ = std::fs::remove_file(path);
            Box::new(stream)
        }
    }
}

/// Connects to `address`, retrying for up to ten seconds while nobody listens there yet (a
/// library's connect would reconnect; the two tools may start in either order).
fn connect(address: &str) -> Box<dyn Stream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attempt: std::io::Result<Box<dyn Stream>> = match parse(address) {
            Address::Tcp(host_port) => TcpStream::connect(host_port).and_then(|s| {
                s.set_nodelay(true)?;
                Ok(Box::new(s) as Box<dyn Stream>)
            }),
            Address::Ipc(path) => UnixStream::connect(path).map(|s| Box::new(s) as Box<dyn Stream>),
        };
        match attempt {
            Ok(stream) => return stream,
            Err(e)
                if Instant::now() < deadline
                    && matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::NotFound) =>
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => die("connect", e),
        }
    }
}

/// Plain `local_thr`: accept one connection, read `count` messages, print the throughput
/// from the first message on.
pub fn local_thr(args: &PerfArgs) {
    let mut stream = accept_one(&args.address);
    let mut buf = vec![0u8; args.message_size];
    stream.read_exact(&mut buf).unwrap_or_else(|e| die("read", e));
    let start = Instant::now();
    for _ in 1..args.count {
        stream.read_exact(&mut buf).unwrap_or_else(|e| die("read", e));
    }
    print_throughput(args.message_size, args.count, start.elapsed());
}

/// Plain `remote_thr`: connect, write `count` messages, one `write` each.
pub fn remote_thr(args: &PerfArgs) {
    let mut stream = connect(&args.address);
    let payload = vec![0u8; args.message_size];
    for _ in 0..args.count {
        stream.write_all(&payload).unwrap_or_else(|e| die("write", e));
    }
}

/// Plain `local_lat`: accept one connection, echo `count` messages.
pub fn local_lat(args: &PerfArgs) {
    let mut stream = accept_one(&args.address);
    let mut buf = vec![0u8; args.message_size];
    for _ in 0..args.count {
        stream.read_exact(&mut buf).unwrap_or_else(|e| die("read", e));
        stream.write_all(&buf).unwrap_or_else(|e| die("write", e));
    }
}

/// Plain `remote_lat`: connect, `count` round trips; prints average and percentiles.
pub fn remote_lat(args: &PerfArgs) {
    let mut stream = connect(&args.address);
    let payload = vec![0u8; args.message_size];
    let mut buf = vec![0u8; args.message_size];
    let mut histogram = latency_histogram();
    let start = Instant::now();
    for _ in 0..args.count {
        let t0 = Instant::now();
        stream.write_all(&payload).unwrap_or_else(|e| die("write", e));
        stream.read_exact(&mut buf).unwrap_or_else(|e| die("read", e));
        let _ = histogram.record(t0.elapsed().as_nanos() as u64);
    }
    print_latency(args.message_size, args.count, start.elapsed(), &histogram);
}
