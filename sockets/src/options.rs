//! Socket options with libzmq's names, units and defaults, and how they become transport
//! settings when an endpoint is bound or connected (libzmq snapshots options then too).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ringmq_transports::inproc::{InprocPeer, InprocRegistry};
use ringmq_transports::monitor::EventHook;
use ringmq_transports::pipe::SocketInbox;
use ringmq_transports::security::{CurveKeyPair, CurvePublicKey, CurveSecretKey, Mechanism, Secret};
use ringmq_transports::stats::TransportStats;
use ringmq_transports::tcp::{SocketId, TcpOptions, TcpTuning};
use ringmq_transports::zmtp::{Security, ZapSettings, ZmtpConfig};
use ringmq_transports::{Error, Result, SocketType};

/// All options of one socket. Values use libzmq's conventions: milliseconds, and -1 for
/// "infinite"/"unset" where libzmq uses it.
#[derive(Clone, Debug)]
pub(crate) struct SocketOptions {
    pub(crate) socket_type: SocketType,
    pub(crate) sndhwm: i32,
    pub(crate) rcvhwm: i32,
    pub(crate) linger: i32,
    pub(crate) sndtimeo: i32,
    pub(crate) rcvtimeo: i32,
    pub(crate) routing_id: Bytes,
    pub(crate) reconnect_ivl: i32,
    pub(crate) reconnect_ivl_max: i32,
    pub(crate) backlog: i32,
    pub(crate) maxmsgsize: i64,
    pub(crate) heartbeat_ivl: i32,
    pub(crate) heartbeat_ttl: i32,
    pub(crate) heartbeat_timeout: i32,
    pub(crate) handshake_ivl: i32,
    pub(crate) sndbuf: i32,
    pub(crate) rcvbuf: i32,
    pub(crate) tcp_keepalive: i32,
    pub(crate) tcp_keepalive_cnt: i32,
    pub(crate) tcp_keepalive_idle: i32,
    pub(crate) tcp_keepalive_intvl: i32,
    pub(crate) ipv6: bool,
    pub(crate) immediate: bool,
    /// ringmq's own: SEND_ZC for batches holding a body this large (-1: never).
    pub(crate) zerocopy_threshold: i32,
    pub(crate) conflate: bool,
    pub(crate) multicast_hops: i32,
    pub(crate) multicast_loop: bool,
    /// The socket's transport counters, shared with its sessions (not an option: a clone of
    /// the options counts into the same place).
    pub(crate) stats: Arc<TransportStats>,
    /// The socket's monitor hook, shared with its listeners and sessions in the same way.
    pub(crate) events: Arc<EventHook>,
    /// ZMQ_MECHANISM, as the PLAIN and CURVE options set it.
    pub(crate) mechanism: Mechanism,
    /// The mechanism's server side (ZMQ_PLAIN_SERVER, ZMQ_CURVE_SERVER).
    pub(crate) as_server: bool,
    pub(crate) plain_username: Bytes,
    pub(crate) plain_password: Secret,
    pub(crate) curve_public_key: Option<CurvePublicKey>,
    pub(crate) curve_secret_key: Option<CurveSecretKey>,
    pub(crate) curve_server_key: Option<CurvePublicKey>,
    pub(crate) zap_domain: Bytes,
    pub(crate) zap_enforce_domain: bool,
}

impl SocketOptions {
    pub(crate) fn new(socket_type: SocketType) -> Self {
        Self {
            socket_type,
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: -1,
            sndtimeo: -1,
            rcvtimeo: -1,
            routing_id: Bytes::new(),
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            maxmsgsize: -1,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            handshake_ivl: 30_000,
            sndbuf: -1,
            rcvbuf: -1,
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            immediate: false,
            zerocopy_threshold: -1,
            conflate: false,
            multicast_hops: 1,
            multicast_loop: true,
            ipv6: false,
            stats: Arc::default(),
            events: Arc::default(),
            mechanism: Mechanism::Null,
            as_server: false,
            plain_username: Bytes::new(),
            plain_password: Secret::default(),
            curve_public_key: None,
            curve_secret_key: None,
            curve_server_key: None,
            zap_domain: Bytes::new(),
            zap_enforce_domain: false,
        }
    }

    /// The mechanism and its side, as the PLAIN and CURVE options set them. A CURVE server
    /// needs its secret key and a client the server's public key; a client that set no key
    /// pair of its own gets a fresh one (libzmq would use an all-zero key, which no server
    /// can accept).
    fn security(&self) -> Result<Security> {
        Ok(match (self.mechanism, self.as_server) {
            (Mechanism::Null, _) => Security::Null,
            (Mechanism::Plain, true) => Security::PlainServer,
            (Mechanism::Plain, false) => Security::PlainClient {
                username: self.plain_username.clone(),
                password: self.plain_password.clone(),
            },
            (Mechanism::Curve, true) => {
                let secret = self.curve_secret_key.clone().ok_or_else(|| {
                    Error::InvalidArgument("a CURVE server needs ZMQ_CURVE_SECRETKEY".into())
                })?;
                Security::CurveServer {
                    keys: CurveKeyPair {
                        public: secret.public_key(),
                        secret,
                    },
                }
            }
            (Mechanism::Curve, false) => {
                let server_key = self.curve_server_key.ok_or_else(|| {
                    Error::InvalidArgument("a CURVE client needs ZMQ_CURVE_SERVERKEY".into())
                })?;
                let keys = match &self.curve_secret_key {
                    Some(secret) => CurveKeyPair {
                        public: self.curve_public_key.unwrap_or_else(|| secret.public_key()),
                        secret: secret.clone(),
                    },
                    None => CurveKeyPair::generate(),
                };
                Security::CurveClient { server_key, keys }
            }
        })
    }

    /// The transport settings for a new bind or connect.
    pub(crate) fn tcp_options(&self, zap_handlers: &Arc<InprocRegistry>) -> Result<Arc<TcpOptions>> {
        let ms = |v: i32| (v > 0).then(|| Duration::from_millis(v as u64));
        let opt = |v: i32| (v >= 0).then_some(v);
        let zmtp = ZmtpConfig {
            socket_type: self.socket_type,
            routing_id: self.routing_id.clone(),
            max_msg_size: (self.maxmsgsize >= 0).then_some(self.maxmsgsize as u64),
            handshake_timeout: ms(self.handshake_ivl),
            heartbeat_interval: ms(self.heartbeat_ivl),
            heartbeat_ttl: ms(self.heartbeat_ttl),
            heartbeat_timeout: ms(self.heartbeat_timeout),
            security: self.security()?,
            zap: ZapSettings {
                domain: self.zap_domain.clone(),
                enforce_domain: self.zap_enforce_domain,
            },
            ..ZmtpConfig::new(self.socket_type)
        };
        let mut tcp = TcpOptions::new(Arc::new(zmtp));
        tcp.stats = self.stats.clone();
        tcp.events = self.events.clone();
        tcp.zap_handlers = Some(zap_handlers.clone());
        tcp.ipv6 = self.ipv6;
        tcp.multicast_hops = self.multicast_hops as u32;
        tcp.multicast_loop = self.multicast_loop;
        tcp.sndhwm = self.sndhwm as usize;
        tcp.rcvhwm = self.rcvhwm as usize;
        tcp.reconnect_ivl =
            (self.reconnect_ivl >= 0).then(|| Duration::from_millis(self.reconnect_ivl as u64));
        tcp.reconnect_ivl_max = ms(self.reconnect_ivl_max);
        tcp.backlog = self.backlog;
        tcp.conflate = self.conflate_directions();
        tcp.zerocopy_threshold = usize::try_from(self.zerocopy_threshold).ok();
        tcp.tuning = TcpTuning {
            sndbuf: opt(self.sndbuf).filter(|&v| v > 0),
            rcvbuf: opt(self.rcvbuf).filter(|&v| v > 0),
            keepalive: opt(self.tcp_keepalive).map(|v| v == 1),
            keepalive_cnt: opt(self.tcp_keepalive_cnt),
            keepalive_idle: opt(self.tcp_keepalive_idle),
            keepalive_intvl: opt(self.tcp_keepalive_intvl),
        };
        Ok(Arc::new(tcp))
    }

    /// CONFLATE as (outgoing, incoming). libzmq honours CONFLATE for these types only.
    /// Unlike libzmq we conflate only the direction messages flow in, never subscriptions
    /// (a conflated SUB would otherwise tell its publishers only its last subscription).
    fn conflate_directions(&self) -> (bool, bool) {
        if !self.conflate {
            return (false, false);
        }
        match self.socket_type {
            SocketType::Push | SocketType::Pub => (true, false),
            SocketType::Pull | SocketType::Sub => (false, true),
            SocketType::Dealer => (true, true),
            _ => (false, false),
        }
    }

    /// What this socket brings to an inproc pipe made now.
    pub(crate) fn inproc_peer(&self, socket: SocketId, inbox: Arc<SocketInbox>) -> InprocPeer {
        InprocPeer {
            inbox,
            socket,
            socket_type: self.socket_type,
            routing_id: self.routing_id.clone(),
            sndhwm: self.sndhwm as usize,
            rcvhwm: self.rcvhwm as usize,
            conflate: self.conflate_directions(),
            immediate: self.immediate,
        }
    }

    /// LINGER as a duration (`None` = infinite).
    pub(crate) fn linger(&self) -> Option<Duration> {
        (self.linger >= 0).then(|| Duration::from_millis(self.linger as u64))
    }
}

/// Checks an option value: `min <= value`, naming the option in the error.
pub(crate) fn at_least(name: &str, value: i32, min: i32) -> Result<i32> {
    if value < min {
        return Err(Error::InvalidArgument(format!(
            "{name} must be at least {min}, got {value}"
        )));
    }
    Ok(value)
}
