//! The socket's options as methods with libzmq's names (`set_sndhwm`, `set_subscribe`, …):
//! the common ones stored in `SocketOptions`, the ones particular to some socket types passed
//! to the type, which refuses those that are not its own with EINVAL.

use bytes::Bytes;
use ringmq_transports::{Error, Result};

use super::Socket;
use crate::kinds::TypeOption;
use crate::options::at_least;

macro_rules! int_option {
    ($(#[$doc:meta])* $get:ident, $set:ident, $field:ident, $name:literal, $min:expr) => {
        $(#[$doc])*
        pub fn $get(&self) -> i32 {
            self.options.$field
        }

        $(#[$doc])*
        ///
        /// Fails with EINVAL (naming the option) below the minimum value.
        pub fn $set(&mut self, value: i32) -> Result<()> {
            self.options.$field = at_least($name, value, $min)?;
            Ok(())
        }
    };
}

macro_rules! bool_option {
    ($(#[$doc:meta])* $get:ident, $set:ident) => {
        $(#[$doc])*
        pub fn $get(&self) -> bool {
            self.options.$get
        }

        $(#[$doc])*
        pub fn $set(&mut self, on: bool) -> Result<()> {
            self.options.$get = on;
            Ok(())
        }
    };
}

impl Socket {
    // ----- options -----

    int_option!(
        /// ZMQ_SNDHWM: outgoing queue limit per peer, in messages (0 = none). Default 1000.
        sndhwm, set_sndhwm_value, sndhwm, "ZMQ_SNDHWM", 0
    );
    int_option!(
        /// ZMQ_RCVHWM: incoming queue limit per peer, in messages (0 = none). Default 1000.
        /// Applies to connections made after the change.
        rcvhwm, set_rcvhwm, rcvhwm, "ZMQ_RCVHWM", 0
    );
    int_option!(
        /// ZMQ_LINGER: how long messages queued at close keep being sent, in ms (-1 =
        /// until sent, 0 = drop at once). Default -1.
        linger, set_linger, linger, "ZMQ_LINGER", -1
    );
    int_option!(
        /// ZMQ_SNDTIMEO: how long a blocking send waits, in ms (-1 = forever). Default -1.
        sndtimeo, set_sndtimeo, sndtimeo, "ZMQ_SNDTIMEO", -1
    );
    int_option!(
        /// ZMQ_RCVTIMEO: how long a blocking receive waits, in ms (-1 = forever). Default -1.
        rcvtimeo, set_rcvtimeo, rcvtimeo, "ZMQ_RCVTIMEO", -1
    );
    int_option!(
        /// ZMQ_RECONNECT_IVL: wait before reconnecting, in ms (-1 = never). Default 100.
        reconnect_ivl, set_reconnect_ivl, reconnect_ivl, "ZMQ_RECONNECT_IVL", -1
    );
    int_option!(
        /// ZMQ_RECONNECT_IVL_MAX: cap of the doubling reconnect interval, in ms (0 = no
        /// doubling). Default 0.
        reconnect_ivl_max, set_reconnect_ivl_max, reconnect_ivl_max, "ZMQ_RECONNECT_IVL_MAX", 0
    );
    int_option!(
        /// ZMQ_BACKLOG: pending-connection queue of listeners. Default 100.
        backlog, set_backlog, backlog, "ZMQ_BACKLOG", 0
    );
    int_option!(
        /// ZMQ_HEARTBEAT_IVL: send a PING this often, in ms (0 = off). Default 0.
        heartbeat_ivl, set_heartbeat_ivl, heartbeat_ivl, "ZMQ_HEARTBEAT_IVL", 0
    );
    int_option!(
        /// ZMQ_HEARTBEAT_TTL: the TTL announced in PINGs, in ms (0 = none). Default 0.
        heartbeat_ttl, set_heartbeat_ttl, heartbeat_ttl, "ZMQ_HEARTBEAT_TTL", 0
    );
    int_option!(
        /// ZMQ_HEARTBEAT_TIMEOUT: close a connection silent this long after a PING, in ms
        /// (-1 = the heartbeat interval). Default -1.
        heartbeat_timeout, set_heartbeat_timeout, heartbeat_timeout, "ZMQ_HEARTBEAT_TIMEOUT", -1
    );
    int_option!(
        /// ZMQ_HANDSHAKE_IVL: time allowed for the ZMTP handshake, in ms (0 = no limit).
        /// Default 30000.
        handshake_ivl, set_handshake_ivl, handshake_ivl, "ZMQ_HANDSHAKE_IVL", 0
    );
    int_option!(
        /// ZMQ_SNDBUF: kernel send buffer size (-1 or 0 = OS default). Default -1.
        sndbuf, set_sndbuf, sndbuf, "ZMQ_SNDBUF", -1
    );
    int_option!(
        /// ZMQ_RCVBUF: kernel receive buffer size (-1 or 0 = OS default). Default -1.
        rcvbuf, set_rcvbuf, rcvbuf, "ZMQ_RCVBUF", -1
    );
    int_option!(
        /// ZMQ_TCP_KEEPALIVE: -1 = OS default, 0 = off, 1 = on. Default -1.
        tcp_keepalive, set_tcp_keepalive, tcp_keepalive, "ZMQ_TCP_KEEPALIVE", -1
    );
    int_option!(
        /// ZMQ_TCP_KEEPALIVE_CNT (-1 = OS default).
        tcp_keepalive_cnt, set_tcp_keepalive_cnt, tcp_keepalive_cnt, "ZMQ_TCP_KEEPALIVE_CNT", -1
    );
    int_option!(
        /// ZMQ_TCP_KEEPALIVE_IDLE, in seconds (-1 = OS default).
        tcp_keepalive_idle, set_tcp_keepalive_idle, tcp_keepalive_idle, "ZMQ_TCP_KEEPALIVE_IDLE", -1
    );
    int_option!(
        /// ZMQ_TCP_KEEPALIVE_INTVL, in seconds (-1 = OS default).
        tcp_keepalive_intvl, set_tcp_keepalive_intvl, tcp_keepalive_intvl, "ZMQ_TCP_KEEPALIVE_INTVL", -1
    );

    /// ZMQ_SNDHWM: outgoing queue limit per peer, in messages (0 = none). Default 1000.
    /// Applies to existing peers for messages sent from now on.
    pub fn set_sndhwm(&mut self, value: i32) -> Result<()> {
        self.set_sndhwm_value(value)?;
        for idx in self.pipes.indices() {
            self.pipes.get(idx).pipe.set_sndhwm(value as usize);
        }
        Ok(())
    }

    /// ZMQ_MAXMSGSIZE: larger incoming frames close their connection (-1 = no limit).
    pub fn maxmsgsize(&self) -> i64 {
        self.options.maxmsgsize
    }

    /// ZMQ_MAXMSGSIZE: larger incoming frames close their connection (-1 = no limit).
    pub fn set_maxmsgsize(&mut self, value: i64) -> Result<()> {
        if value < -1 {
            return Err(Error::InvalidArgument(format!(
                "ZMQ_MAXMSGSIZE must be at least -1, got {value}"
            )));
        }
        self.options.maxmsgsize = value;
        Ok(())
    }

    /// ZMQ_ROUTING_ID: the identity announced to peers (REQ, DEALER and ROUTER send it).
    pub fn routing_id(&self) -> Bytes {
        self.options.routing_id.clone()
    }

    /// ZMQ_ROUTING_ID: 1 to 255 octets.
    pub fn set_routing_id(&mut self, id: impl Into<Bytes>) -> Result<()> {
        let id = id.into();
        if id.is_empty() || id.len() > 255 {
            return Err(Error::InvalidArgument(format!(
                "ZMQ_ROUTING_ID must be 1 to 255 octets, got {}",
                id.len()
            )));
        }
        self.options.routing_id = id;
        Ok(())
    }

    // ----- options of particular socket types -----

    pub(super) fn set_type_option(&mut self, option: TypeOption) -> Result<()> {
        self.process_events();
        let result = self.kind.set_option(&mut self.pipes, option);
        self.reap_finished();
        result
    }

    /// ZMQ_SUBSCRIBE (SUB; XPUB with XPUB_MANUAL): receive messages whose first frame starts
    /// with `prefix` (empty = all). Subscribing twice needs two unsubscribes.
    ///
    /// Subscriptions reach the publisher asynchronously (and a publisher drops what nobody
    /// has subscribed to yet), so this example uses an XPUB, which reports them:
    ///
    /// ```
    /// use ringmq_sockets::{Context, Flags, SocketType};
    /// let ctx = Context::new()?;
    /// let mut publisher = ctx.socket(SocketType::XPub)?;
    /// publisher.bind("tcp://127.0.0.1:*")?;
    /// let mut sub = ctx.socket(SocketType::Sub)?;
    /// sub.set_subscribe(b"weather.")?;
    /// sub.connect(&publisher.last_endpoint())?;
    /// assert_eq!(publisher.recv(Flags::NONE)?, &b"\x01weather."[..]); // now in effect
    /// publisher.send("sports.tennis", Flags::NONE)?; // filtered out by the publisher
    /// publisher.send("weather.paris 18C", Flags::NONE)?;
    /// assert_eq!(sub.recv(Flags::NONE)?, "weather.paris 18C");
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn set_subscribe(&mut self, prefix: &[u8]) -> Result<()> {
        self.set_type_option(TypeOption::Subscribe(Bytes::copy_from_slice(prefix)))
    }

    /// ZMQ_UNSUBSCRIBE (SUB; XPUB with XPUB_MANUAL): undoes one [`set_subscribe`](Self::set_subscribe).
    pub fn set_unsubscribe(&mut self, prefix: &[u8]) -> Result<()> {
        self.set_type_option(TypeOption::Unsubscribe(Bytes::copy_from_slice(prefix)))
    }

    /// ZMQ_ROUTER_MANDATORY (ROUTER): fail with EHOSTUNREACH on an unknown routing id, and
    /// block (or EAGAIN) on a full peer, instead of dropping the message. Default off.
    ///
    /// A ROUTER prefixes each message it receives with the sender's routing id, and sends
    /// each message to the peer its first frame names:
    ///
    /// ```
    /// use ringmq_sockets::{Context, Flags, SocketType};
    /// let ctx = Context::new()?;
    /// let mut router = ctx.socket(SocketType::Router)?;
    /// router.set_router_mandatory(true)?;
    /// router.bind("tcp://127.0.0.1:*")?;
    /// let mut dealer = ctx.socket(SocketType::Dealer)?;
    /// dealer.set_routing_id(&b"worker-1"[..])?;
    /// dealer.connect(&router.last_endpoint())?;
    /// dealer.send("ready", Flags::NONE)?;
    /// assert_eq!(router.recv_multipart(Flags::NONE)?, ["worker-1", "ready"]);
    /// router.send_multipart(["worker-1", "job 1"], Flags::NONE)?;
    /// assert_eq!(dealer.recv(Flags::NONE)?, "job 1");
    /// let err = router.send("nobody", Flags::SNDMORE).unwrap_err();
    /// assert_eq!(err.errno(), libc::EHOSTUNREACH);
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn set_router_mandatory(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::RouterMandatory(on))
    }

    /// ZMQ_ROUTER_HANDOVER (ROUTER): a new peer announcing a routing id in use takes it over
    /// and the old connection is closed. Default off: the newcomer is refused.
    pub fn set_router_handover(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::RouterHandover(on))
    }

    /// ZMQ_PROBE_ROUTER (ROUTER, DEALER): send an empty message to each new peer, so that a
    /// ROUTER on the other side learns our routing id at once. Default off.
    pub fn set_probe_router(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::ProbeRouter(on))
    }

    /// ZMQ_CONNECT_ROUTING_ID (ROUTER): the routing id this socket gives the peer of its next
    /// [`connect`](Self::connect), whatever the peer announces.
    pub fn set_connect_routing_id(&mut self, id: impl Into<Bytes>) -> Result<()> {
        self.set_type_option(TypeOption::ConnectRoutingId(id.into()))
    }

    /// ZMQ_XPUB_VERBOSE (XPUB): pass every subscription to the application, not only new ones.
    pub fn set_xpub_verbose(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::XpubVerbose(on))
    }

    /// ZMQ_XPUB_VERBOSER (XPUB): as XPUB_VERBOSE, and every unsubscription too.
    pub fn set_xpub_verboser(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::XpubVerboser(on))
    }

    /// ZMQ_XPUB_NODROP (PUB, XPUB): block (or EAGAIN) when a matching subscriber is at its
    /// high-water mark, instead of dropping the message for it. Default off.
    pub fn set_xpub_nodrop(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::XpubNodrop(on))
    }

    /// ZMQ_XPUB_MANUAL (XPUB): subscriptions are only passed to the application, which applies
    /// them with [`set_subscribe`](Self::set_subscribe) to the peer that sent the last one.
    pub fn set_xpub_manual(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::XpubManual(on))
    }

    /// ZMQ_XPUB_WELCOME_MSG (XPUB): a message sent to every new subscriber (empty = none).
    pub fn set_xpub_welcome_msg(&mut self, msg: &[u8]) -> Result<()> {
        let msg = (!msg.is_empty()).then(|| Bytes::copy_from_slice(msg));
        self.set_type_option(TypeOption::XpubWelcomeMsg(msg))
    }

    /// ZMQ_INVERT_MATCHING (PUB, XPUB, SUB): messages go to subscribers that did *not*
    /// subscribe a prefix of them. Set it on both sides. Default off.
    pub fn set_invert_matching(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::InvertMatching(on))
    }

    /// ZMQ_REQ_CORRELATE (REQ): prefix requests with a request id and accept only the reply
    /// that carries the last one. Default off.
    pub fn set_req_correlate(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::ReqCorrelate(on))
    }

    /// ZMQ_REQ_RELAXED (REQ): allow a new request before the reply to the last one arrived
    /// (that reply is then dropped). Default off (strict alternation, EFSM otherwise).
    pub fn set_req_relaxed(&mut self, on: bool) -> Result<()> {
        self.set_type_option(TypeOption::ReqRelaxed(on))
    }

    bool_option!(
        /// ZMQ_IMMEDIATE: queue messages only to peers whose connection is complete. Off (the
        /// default), a `connect` queues messages at once (up to SNDHWM) and keeps them across
        /// reconnections; on, a connected peer exists for the socket only while its connection
        /// is up, and what was queued for it is dropped when the connection breaks. Applies to
        /// later `connect` calls.
        immediate, set_immediate
    );
    bool_option!(
        /// ZMQ_CONFLATE: keep only the newest message in each incoming and outgoing queue,
        /// ignoring SNDHWM and RCVHWM; for sockets that want the latest value, not every value.
        /// Honoured by PUSH, PULL, DEALER, PUB and SUB (as in libzmq, other types ignore it);
        /// applies to connections made after it is set. Unlike libzmq's, a multipart message is
        /// kept whole, and subscriptions (SUB to PUB) are never conflated.
        conflate, set_conflate
    );

    int_option!(
        /// ringmq's own (libzmq has no equivalent): over tcp, a batch of outgoing messages
        /// that holds a body of at least this many octets is sent with io_uring's SEND_ZC,
        /// the kernel reading the bodies in place instead of copying them, and the batch held
        /// until the kernel's notification; -1 (the default) never. It pays off for large
        /// bodies on a real network interface; over loopback the kernel copies zero-copy
        /// pages when it delivers them, so there it only adds the notification (see
        /// docs/benchmarks.md). Kernels without SEND_ZC, and ipc connections (Unix-domain
        /// sockets refuse it), send as usual. Applies to later `bind` and `connect` calls.
        zerocopy_threshold, set_zerocopy_threshold, zerocopy_threshold, "zerocopy threshold", -1
    );

    int_option!(
        /// ZMQ_MULTICAST_HOPS: the TTL of multicast datagrams (udp:// RADIO). Default 1.
        multicast_hops, set_multicast_hops, multicast_hops, "ZMQ_MULTICAST_HOPS", 1
    );

    bool_option!(
        /// ZMQ_MULTICAST_LOOP: whether this host's own members of a multicast group receive
        /// what a udp:// RADIO sends to it. Default on.
        multicast_loop, set_multicast_loop
    );
    bool_option!(
        /// ZMQ_IPV6: bind `*` to the IPv6 wildcard (dual-stack) and allow IPv6 peers for names.
        ipv6, set_ipv6
    );
}
