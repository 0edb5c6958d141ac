//! STREAM: plain TCP peers. Connect and disconnect notifications, raw bytes both ways, closing
//! a connection with an empty message, connecting out to a plain server, and raw bytes
//! exchanged with libzmq's STREAM.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::*;
use ringmq::{Flags, SocketType};

fn port_of(endpoint: &str) -> u16 {
    endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// Receives `[id, data]` from a STREAM socket.
fn recv_pair(s: &mut ringmq::Socket) -> (Vec<u8>, Vec<u8>) {
    let parts = recv_parts(s);
    assert_eq!(parts.len(), 2, "{parts:?}");
    (parts[0].clone(), parts[1].clone())
}

#[test]
fn serves_a_plain_tcp_client() {
    let ctx = context();
    let mut server = ringmq_socket(&ctx, SocketType::Stream);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = TcpStream::connect(("127.0.0.1", port_of(&server.last_endpoint()))).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();

    let (id, hello) = recv_pair(&mut server);
    assert!(hello.is_empty(), "an empty message announces the connection");
    assert_eq!(id.len(), 5);

    client.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut request = Vec::new();
    while !request.ends_with(b"\r\n\r\n") {
        let (from, bytes) = recv_pair(&mut server);
        assert_eq!(from, id);
        request.extend_from_slice(&bytes);
    }
    assert_eq!(request, b"GET / HTTP/1.0\r\n\r\n");

    server
        .send_multipart([&id[..], b"HTTP/1.0 200 OK\r\n\r\nhello"], Flags::NONE)
        .unwrap();
    // An empty message closes the connection, after what was sent before it.
    server.send_multipart([&id[..], b""], Flags::NONE).unwrap();
    let mut response = Vec::new();
    client.read_to_end(&mut response).unwrap();
    assert_eq!(response, b"HTTP/1.0 200 OK\r\n\r\nhello");
    assert_eq!(
        server.send("no-such-id", Flags::SNDMORE).unwrap_err().errno(),
        libc::EHOSTUNREACH
    );
}

#[test]
fn a_client_that_leaves_is_announced() {
    let ctx = context();
    let mut server = ringmq_socket(&ctx, SocketType::Stream);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = TcpStream::connect(("127.0.0.1", port_of(&server.last_endpoint()))).unwrap();
    let (id, _) = recv_pair(&mut server);
    client.write_all(b"bye").unwrap();
    drop(client);
    let mut seen = Vec::new();
    loop {
        let (from, bytes) = recv_pair(&mut server);
        assert_eq!(from, id);
        if bytes.is_empty() {
            break;
        }
        seen.extend_from_slice(&bytes);
    }
    assert_eq!(seen, b"bye", "data first, then the empty disconnect notice");
}

#[test]
fn connects_out_to_a_plain_tcp_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ctx = context();
    let mut client = ringmq_socket(&ctx, SocketType::Stream);
    client.set_connect_routing_id(&b"srv"[..]).unwrap();
    client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(recv_pair(&mut client), (b"srv".to_vec(), Vec::new()));
    client.send_multipart(["srv", "ping"], Flags::NONE).unwrap();
    let mut buf = [0u8; 4];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    conn.write_all(b"pong").unwrap();
    let mut got = Vec::new();
    while got.len() < 4 {
        let (from, bytes) = recv_pair(&mut client);
        assert_eq!(from, b"srv");
        got.extend_from_slice(&bytes);
    }
    assert_eq!(got, b"pong");
}

#[test]
fn exchanges_raw_bytes_with_libzmq_stream() {
    let ctx = context();
    let zctx = zmq::Context::new();
    let theirs = zmq_socket(&zctx, zmq::STREAM);
    theirs.bind("tcp://127.0.0.1:*").unwrap();
    let mut ours = ringmq_socket(&ctx, SocketType::Stream);
    ours.connect(&zmq_endpoint(&theirs)).unwrap();
    let (our_id_for_them, _) = recv_pair(&mut ours);
    // libzmq announces the connection with an empty message too.
    let hello = theirs.recv_multipart(0).unwrap();
    assert_eq!(hello.len(), 2);
    assert!(hello[1].is_empty());
    let their_id_for_us = hello[0].clone();
    ours.send_multipart([&our_id_for_them[..], b"raw from ringmq"], Flags::NONE)
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 15 {
        let m = theirs.recv_multipart(0).unwrap();
        got.extend_from_slice(&m[1]);
    }
    assert_eq!(got, b"raw from ringmq");
    theirs
        .send_multipart([&their_id_for_us[..], b"raw from libzmq"], 0)
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 15 {
        got.extend_from_slice(&recv_pair(&mut ours).1);
    }
    assert_eq!(got, b"raw from libzmq");
}
