//! The floor: the same ping-pong as `local_lat`/`remote_lat` over plain blocking TCP
//! sockets (std's `TcpStream`, TCP_NODELAY, fixed-size messages, no framing or library),
//! so the report can say how close a messaging library comes to the bare kernel path.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use crate::{PerfArgs, die, latency_histogram, print_latency};

fn host_port(address: &str) -> &str {
    address.strip_prefix("tcp://").unwrap_or_else(|| {
        die(
            "address",
            format!("'{address}': plain sockets take tcp://host:port"),
        )
    })
}

/// Plain `local_lat`: accept one connection, echo `count` messages.
pub fn local_lat(args: &PerfArgs) {
    let listener = TcpListener::bind(host_port(&args.address)).unwrap_or_else(|e| die("bind", e));
    let (mut stream, _) = listener.accept().unwrap_or_else(|e| die("accept", e));
    stream.set_nodelay(true).unwrap_or_else(|e| die("nodelay", e));
    let mut buf = vec![0u8; args.message_size];
    for _ in 0..args.count {
        stream.read_exact(&mut buf).unwrap_or_else(|e| die("read", e));
        stream.write_all(&buf).unwrap_or_else(|e| die("write", e));
    }
}

/// Plain `remote_lat`: connect, `count` round trips; prints average and percentiles.
pub fn remote_lat(args: &PerfArgs) {
    let mut stream = TcpStream::connect(host_port(&args.address)).unwrap_or_else(|e| die("connect", e));
    stream.set_nodelay(true).unwrap_or_else(|e| die("nodelay", e));
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
