//! libzmq's perf tools over zmq.rs (the `zeromq` crate, pure Rust on tokio), with the same
//! command lines and output, so the report can put a third implementation beside ringmq and
//! libzmq. Each tool runs on a default multi-threaded tokio runtime, as a user of zmq.rs
//! would. zmq.rs has no inproc transport.

use std::time::Instant;

use zeromq::{PullSocket, PushSocket, RepSocket, ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::{PerfArgs, check_size, die, latency_histogram, print_latency, print_throughput};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap_or_else(|e| die("tokio runtime", e))
}

fn frame_len(msg: &ZmqMessage) -> usize {
    msg.get(0).map_or(0, |frame| frame.len())
}

/// zmq.rs `local_thr`: PULL, bind, receive `count` messages.
pub fn local_thr(args: &PerfArgs) {
    runtime().block_on(async {
        let mut s = PullSocket::new();
        s.bind(&args.address).await.unwrap_or_else(|e| die("bind", e));
        let first = s.recv().await.unwrap_or_else(|e| die("recv", e));
        check_size(args.message_size, frame_len(&first));
        let start = Instant::now();
        for _ in 1..args.count {
            let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, frame_len(&m));
        }
        print_throughput(args.message_size, args.count, start.elapsed());
    });
}

/// zmq.rs `remote_thr`: PUSH, connect, send `count` messages.
pub fn remote_thr(args: &PerfArgs) {
    runtime().block_on(async {
        let mut s = PushSocket::new();
        s.connect(&args.address)
            .await
            .unwrap_or_else(|e| die("connect", e));
        for _ in 0..args.count {
            s.send(ZmqMessage::from(vec![0u8; args.message_size]))
                .await
                .unwrap_or_else(|e| die("send", e));
        }
        // zmq.rs has no linger: give the last messages time to leave before the runtime ends.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    });
}

/// zmq.rs `local_lat`: REP, bind, echo `count` messages.
pub fn local_lat(args: &PerfArgs) {
    runtime().block_on(async {
        let mut s = RepSocket::new();
        s.bind(&args.address).await.unwrap_or_else(|e| die("bind", e));
        for _ in 0..args.count {
            let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, frame_len(&m));
            s.send(m).await.unwrap_or_else(|e| die("send", e));
        }
    });
}

/// zmq.rs `remote_lat`: REQ, connect, `count` round trips.
pub fn remote_lat(args: &PerfArgs) {
    runtime().block_on(async {
        let mut s = ReqSocket::new();
        s.connect(&args.address)
            .await
            .unwrap_or_else(|e| die("connect", e));
        let mut histogram = latency_histogram();
        let start = Instant::now();
        for _ in 0..args.count {
            let t0 = Instant::now();
            s.send(ZmqMessage::from(vec![0u8; args.message_size]))
                .await
                .unwrap_or_else(|e| die("send", e));
            let m = s.recv().await.unwrap_or_else(|e| die("recv", e));
            check_size(args.message_size, frame_len(&m));
            let _ = histogram.record(t0.elapsed().as_nanos() as u64);
        }
        print_latency(args.message_size, args.count, start.elapsed(), &histogram);
    });
}
