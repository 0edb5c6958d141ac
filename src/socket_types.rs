//! # The socket types, each with an example
//!
//! Every type has libzmq's semantics; the examples run as doc tests. Sockets reach each
//! other over `tcp://` (ipc and inproc are not built yet); `tcp://127.0.0.1:*` picks a free
//! port, read back with [`Socket::last_endpoint`](crate::Socket::last_endpoint).
//!
//! ## REQ and REP: request-reply in lock-step
//!
//! REQ sends a request and must receive its reply before the next one (EFSM otherwise); REP
//! receives a request and must answer it. REQ_RELAXED and REQ_CORRELATE loosen and check the
//! alternation.
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut rep = ctx.socket(SocketType::Rep)?;
//! rep.bind("tcp://127.0.0.1:*")?;
//! let mut req = ctx.socket(SocketType::Req)?;
//! req.connect(&rep.last_endpoint())?;
//! req.send("2 + 2", Flags::NONE)?;
//! assert_eq!(rep.recv(Flags::NONE)?, "2 + 2");
//! rep.send("4", Flags::NONE)?;
//! assert_eq!(req.recv(Flags::NONE)?, "4");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## DEALER and ROUTER: asynchronous request-reply
//!
//! DEALER round-robins what it sends and fair-queues what it receives, with no envelope;
//! ROUTER prefixes each message it receives with the sender's routing id and sends each
//! message to the peer its first frame names.
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut router = ctx.socket(SocketType::Router)?;
//! router.bind("tcp://127.0.0.1:*")?;
//! let mut dealer = ctx.socket(SocketType::Dealer)?;
//! dealer.set_routing_id(&b"w1"[..])?;
//! dealer.connect(&router.last_endpoint())?;
//! dealer.send_multipart(["job?", "any"], Flags::NONE)?;
//! assert_eq!(router.recv_multipart(Flags::NONE)?, ["w1", "job?", "any"]);
//! router.send_multipart(["w1", "job 7"], Flags::NONE)?;
//! assert_eq!(dealer.recv(Flags::NONE)?, "job 7");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## PUB and SUB: filtered fan-out
//!
//! A SUB subscribes to prefixes of the first frame; the PUB filters before sending and drops
//! messages for a subscriber at its high-water mark. Subscriptions travel asynchronously,
//! so a message published before one arrives is not delivered (the "slow joiner").
//!
//! ```
//! use std::time::Duration;
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut publisher = ctx.socket(SocketType::Pub)?;
//! publisher.bind("tcp://127.0.0.1:*")?;
//! let mut sub = ctx.socket(SocketType::Sub)?;
//! sub.set_subscribe(b"eur.")?;
//! sub.connect(&publisher.last_endpoint())?;
//! // Publish until the subscription has arrived and the first update gets through.
//! let first = loop {
//!     publisher.send("usd.rate 1.00", Flags::NONE)?;
//!     publisher.send("eur.rate 1.08", Flags::NONE)?;
//!     std::thread::sleep(Duration::from_millis(5));
//!     if let Ok(m) = sub.recv(Flags::DONTWAIT) {
//!         break m;
//!     }
//! };
//! assert_eq!(first, "eur.rate 1.08");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## XPUB and XSUB: subscriptions as messages
//!
//! XSUB sends subscriptions as messages (`\x01topic`, `\x00topic` to cancel); XPUB receives
//! them. Together with [`proxy`](crate::proxy) they make forwarders.
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut xpub = ctx.socket(SocketType::XPub)?;
//! xpub.bind("tcp://127.0.0.1:*")?;
//! let mut xsub = ctx.socket(SocketType::XSub)?;
//! xsub.connect(&xpub.last_endpoint())?;
//! xsub.send(&b"\x01news"[..], Flags::NONE)?;
//! assert_eq!(xpub.recv(Flags::NONE)?, &b"\x01news"[..]);
//! xpub.send("news: calm", Flags::NONE)?;
//! assert_eq!(xsub.recv(Flags::NONE)?, "news: calm");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## PUSH and PULL: pipelines
//!
//! PUSH round-robins messages over its peers and blocks when none can take one; PULL
//! fair-queues from its peers.
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut pull = ctx.socket(SocketType::Pull)?;
//! pull.bind("tcp://127.0.0.1:*")?;
//! let mut push = ctx.socket(SocketType::Push)?;
//! push.connect(&pull.last_endpoint())?;
//! for task in ["a", "b", "c"] {
//!     push.send(task, Flags::NONE)?;
//! }
//! assert_eq!(pull.recv(Flags::NONE)?, "a");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## PAIR: one exclusive peer
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut a = ctx.socket(SocketType::Pair)?;
//! a.bind("tcp://127.0.0.1:*")?;
//! let mut b = ctx.socket(SocketType::Pair)?;
//! b.connect(&a.last_endpoint())?;
//! b.send("ready", Flags::NONE)?;
//! assert_eq!(a.recv(Flags::NONE)?, "ready");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## STREAM: plain TCP peers
//!
//! Each TCP connection is a peer with a routing id; messages are `[id, bytes]`, an empty
//! `bytes` announces a connection (or its end) and, when sent, closes it.
//!
//! ```
//! use std::io::{Read, Write};
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut server = ctx.socket(SocketType::Stream)?;
//! server.bind("tcp://127.0.0.1:*")?;
//! let port = server.last_endpoint().rsplit(':').next().unwrap().to_string();
//! let mut client = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
//! let hello = server.recv_multipart(Flags::NONE)?; // [id, ""]: a peer connected
//! let id = hello[0].clone();
//! server.send_multipart([&id[..], b"welcome\n"], Flags::NONE)?;
//! server.send_multipart([&id[..], b""], Flags::NONE)?; // close it
//! let mut text = String::new();
//! client.read_to_string(&mut text).unwrap();
//! assert_eq!(text, "welcome\n");
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! ## Drafts: CLIENT and SERVER, SCATTER and GATHER, CHANNEL, PEER, RADIO and DISH
//!
//! Single-part messages only (SNDMORE is EINVAL), and thread-safe through
//! [`Context::shared_socket`](crate::Context::shared_socket). CLIENT and SERVER are the
//! asynchronous request-reply pair: a SERVER names each client by a numeric routing id on the
//! message ([`Msg::routing_id`](crate::Msg::routing_id)). SCATTER and GATHER are a
//! pipeline, CHANNEL an exclusive pair, PEER a SERVER that can also connect
//! ([`Socket::connect_peer`](crate::Socket::connect_peer) returns the new peer's id), RADIO
//! and DISH a group-addressed fan-out over tcp or `udp://`
//! ([`Socket::send_group`](crate::Socket::send_group) has an example). See [`SharedSocket`](crate::SharedSocket) for a
//! CLIENT/SERVER example.
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//! let ctx = Context::new()?;
//! let mut gather = ctx.socket(SocketType::Gather)?;
//! gather.bind("tcp://127.0.0.1:*")?;
//! let mut scatter = ctx.socket(SocketType::Scatter)?;
//! scatter.connect(&gather.last_endpoint())?;
//! scatter.send("piece", Flags::NONE)?;
//! assert_eq!(gather.recv(Flags::NONE)?, "piece");
//! assert!(scatter.send("x", Flags::SNDMORE).is_err(), "single-part only");
//! # Ok::<(), ringmq::Error>(())
//! ```
