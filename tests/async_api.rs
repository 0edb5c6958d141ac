//! The async API under two unrelated executors: tokio (work-stealing, many threads) and
//! glommio (thread-per-core, io_uring): streams of 10 000 messages, and cancelled receives
//! that lose nothing.

mod common;

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use common::*;
use ringmq::{AsyncSocket, Context, Msg, SocketType};

const MESSAGES: u32 = 10_000;

fn body(i: u32) -> Vec<u8> {
    let mut b = i.to_le_bytes().to_vec();
    b.extend(pattern((i % 200) as usize, i as u64));
    b
}

fn check(i: u32, parts: &[Msg]) {
    assert_eq!(parts.len(), 2, "message {i} torn");
    assert_eq!(&parts[0][..], body(i), "message {i}");
    assert_eq!(&parts[1][..], b"tail");
}

/// A bound PULL and a connected PUSH, both async, over `endpoint`.
fn push_pull(ctx: &Context, endpoint: &str) -> (AsyncSocket, AsyncSocket) {
    let mut pull = AsyncSocket::new(ctx.socket(SocketType::Pull).unwrap()).unwrap();
    pull.bind(endpoint).unwrap();
    let mut push = AsyncSocket::new(ctx.socket(SocketType::Push).unwrap()).unwrap();
    push.set_sndhwm(50).unwrap();
    push.connect(&pull.last_endpoint()).unwrap();
    (push, pull)
}

async fn send_all(mut push: AsyncSocket) {
    for i in 0..MESSAGES {
        push.send_multipart(vec![body(i).into(), "tail".into()])
            .await
            .unwrap();
    }
}

#[test]
fn tokio_tasks_stream_ten_thousand_messages_over_tcp_and_inproc() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let ctx = context();
    for endpoint in ["tcp://127.0.0.1:*", "inproc://tokio-stream"] {
        let (push, mut pull) = push_pull(&ctx, endpoint);
        rt.block_on(async {
            let sender = tokio::spawn(send_all(push));
            let receiver = tokio::spawn(async move {
                for i in 0..MESSAGES {
                    check(i, &pull.recv_multipart().await.unwrap());
                }
            });
            tokio::time::timeout(Duration::from_secs(30), async {
                sender.await.unwrap();
                receiver.await.unwrap();
            })
            .await
            .expect("the stream finished");
        });
    }
}

#[test]
fn cancelled_receives_lose_nothing_under_tokio() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let ctx = context();
    let (push, mut pull) = push_pull(&ctx, "tcp://127.0.0.1:*");
    rt.block_on(async {
        // Nothing has been sent yet: this receive is surely cancelled while pending.
        let early = tokio::time::timeout(Duration::from_millis(5), pull.recv_multipart()).await;
        assert!(early.is_err());
        let mut cancelled = 1;
        let sender = tokio::spawn(async move {
            let mut push = push;
            for i in 0..MESSAGES {
                push.send_multipart(vec![body(i).into(), "tail".into()])
                    .await
                    .unwrap();
                if i % 1000 == 0 {
                    // Pauses long enough for receives to time out (be cancelled) meanwhile.
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
        });
        let mut i = 0;
        while i < MESSAGES {
            // Each receive races a very short timer; a receive that loses is dropped
            // while pending.
            match tokio::time::timeout(Duration::from_micros(200), pull.recv_multipart()).await {
                Ok(parts) => {
                    check(i, &parts.unwrap());
                    i += 1;
                }
                Err(_) => cancelled += 1,
            }
        }
        sender.await.unwrap();
        println!("{cancelled} receives cancelled");
    });
}

#[test]
fn glommio_tasks_stream_ten_thousand_messages_and_survive_cancellation() {
    use glommio::{LocalExecutorBuilder, Placement};
    let ctx = context();
    let (push, mut pull) = push_pull(&ctx, "tcp://127.0.0.1:*");
    let (push2, mut pull2) = push_pull(&ctx, "inproc://glommio-stream");
    LocalExecutorBuilder::new(Placement::Unbound)
        .spawn(move || async move {
            // Nothing has been sent yet: this receive is surely cancelled while pending.
            let early = first_of(
                pull2.recv_multipart(),
                glommio::timer::sleep(Duration::from_millis(5)),
            );
            assert!(early.await.is_none());
            let mut cancelled = 1;
            let sender = glommio::spawn_local(send_all(push));
            let sender2 = glommio::spawn_local(async move {
                let mut push2 = push2;
                for i in 0..MESSAGES {
                    push2
                        .send_multipart(vec![body(i).into(), "tail".into()])
                        .await
                        .unwrap();
                    if i % 1000 == 0 {
                        // Pauses long enough for receives to time out (be cancelled).
                        glommio::timer::sleep(Duration::from_millis(2)).await;
                    }
                }
            });
            for i in 0..MESSAGES {
                check(i, &pull.recv_multipart().await.unwrap());
                // The inproc stream is read through receives that often lose a race
                // with a timer and are dropped while pending.
                let parts = loop {
                    let timer = glommio::timer::sleep(Duration::from_micros(100));
                    match first_of(pull2.recv_multipart(), timer).await {
                        Some(parts) => break parts.unwrap(),
                        None => cancelled += 1,
                    }
                };
                check(i, &parts);
            }
            println!("{cancelled} receives cancelled");
            sender.await;
            sender2.await;
        })
        .unwrap()
        .join()
        .unwrap();
}

/// `recv`'s output, or `None` if `timer` fires first (then `recv` is dropped pending).
async fn first_of<T>(recv: impl Future<Output = T>, timer: impl Future<Output = ()>) -> Option<T> {
    let mut recv = std::pin::pin!(recv);
    let mut timer = std::pin::pin!(timer);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(value) = recv.as_mut().poll(cx) {
            return Poll::Ready(Some(value));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}
