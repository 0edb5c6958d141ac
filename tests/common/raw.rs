//! A hand-rolled ZMTP peer over a plain `TcpStream`, written from RFC 37's byte layout (not
//! from ringmq's codec), for tests that need to misbehave on purpose.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The 64-octet ZMTP 3.1 NULL greeting.
pub fn greeting(major: u8, minor: u8, mechanism: &[u8]) -> Vec<u8> {
    let mut g = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, major, minor];
    let mut m = mechanism.to_vec();
    m.resize(20, 0);
    g.extend_from_slice(&m);
    g.push(0);
    g.extend_from_slice(&[0; 31]);
    g
}

/// A frame: flags, short or long size, body.
pub fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    if body.len() <= 255 {
        f.push(flags);
        f.push(body.len() as u8);
    } else {
        f.push(flags | 0x02);
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    f.extend_from_slice(body);
    f
}

/// A READY command frame announcing `socket_type`.
pub fn ready(socket_type: &str) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    frame(0x04, &body)
}

/// The TCP address in a `tcp://host:port` endpoint.
pub fn address(endpoint: &str) -> String {
    endpoint.trim_start_matches("tcp://").to_string()
}

/// A raw ZMTP peer.
pub struct RawPeer {
    pub stream: TcpStream,
}

impl RawPeer {
    pub fn connect(endpoint: &str) -> Self {
        let stream = TcpStream::connect(address(endpoint)).expect("raw connect");
        Self::from_stream(stream)
    }

    /// Connects with a receive buffer of about `rcvbuf` octets (set before the connect, so
    /// the window the peer sees is small from the start): a peer that reads slowly, or not
    /// at all, fills up at once.
    pub fn connect_with_rcvbuf(endpoint: &str, rcvbuf: i32) -> Self {
        use ringmq_transports::tcp::sys::{self, StreamAddr};
        use std::os::fd::AsRawFd;
        let addr = StreamAddr::Ip(address(endpoint).parse().expect("an IP endpoint"));
        let fd = sys::stream_socket(&addr).expect("socket");
        sys::set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, rcvbuf).expect("SO_RCVBUF");
        sys::connect_now(&fd, &addr).expect("connect");
        Self::from_stream(TcpStream::from(fd))
    }

    pub fn from_stream(stream: TcpStream) -> Self {
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // A peer that stops reading fails the test instead of hanging it.
        stream.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.set_nodelay(true).unwrap();
        Self { stream }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("raw send");
    }

    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.stream.read_exact(&mut buf).expect("raw read");
        buf
    }

    /// Reads one frame: (flags, body).
    pub fn read_frame(&mut self) -> (u8, Vec<u8>) {
        let head = self.read_exact(2);
        let size = if head[0] & 0x02 != 0 {
            let mut rest = vec![head[1]];
            rest.extend(self.read_exact(7));
            u64::from_be_bytes(rest.try_into().unwrap()) as usize
        } else {
            head[1] as usize
        };
        (head[0], self.read_exact(size))
    }

    /// Greeting and READY both ways, as a `socket_type` peer. Returns the peer's READY body.
    pub fn handshake(&mut self, socket_type: &str) -> Vec<u8> {
        self.send(&greeting(3, 1, b"NULL"));
        let theirs = self.read_exact(64);
        assert_eq!(theirs[0], 0xff);
        assert_eq!(theirs[10], 3);
        self.send(&ready(socket_type));
        let (flags, body) = self.read_frame();
        assert_eq!(flags & 0x04, 0x04, "expected a command");
        assert_eq!(&body[..6], b"\x05READY");
        body
    }

    /// Asserts the other side closes the connection within `within`, and returns what it
    /// sent before closing.
    pub fn expect_closed(&mut self, within: Duration) -> Vec<u8> {
        let deadline = Instant::now() + within;
        self.stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut received = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return received,
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return received,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("unexpected read error: {e}"),
            }
            assert!(
                Instant::now() < deadline,
                "the connection was not closed within {within:?}"
            );
        }
    }

    /// Asserts the connection stays open (nothing but the given silence) for `period`.
    pub fn expect_open(&mut self, period: Duration) {
        self.stream.set_read_timeout(Some(period)).unwrap();
        let mut buf = [0u8; 1];
        match self.stream.read(&mut buf) {
            Ok(0) => panic!("the connection was closed"),
            Ok(_) => panic!("unexpected data"),
            Err(e) => assert!(
                matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                "{e}"
            ),
        }
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
    }
}

/// A port that was free a moment ago (bound and released), for tests that start a peer later.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
