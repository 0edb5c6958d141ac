//! `zmq_setsockopt` and `zmq_getsockopt` by libzmq's option numbers, with its value types
//! (int, int64, uint64, strings with their NUL, binary) and its errors: EINVAL for a wrong
//! value length, a bad value, an option the socket type does not take, and every option
//! ringmq does not have.
//!
//! A few libzmq options only tune machinery ringmq does not have (PGM rates, IP TOS,
//! connect timeouts, Windows' loopback fast path, a file descriptor to adopt): they read as
//! libzmq's defaults, which is what ringmq does, and setting one to anything else is EINVAL.
//! Options ringmq's socket takes but does not report (those of one socket type) are kept
//! here as last set, so getsockopt gives them back as libzmq does.

use std::ffi::c_void;
use std::sync::Mutex;

use zeroize::Zeroizing;

use ringmq::{Bytes, Socket};

use crate::errors::{CResult, call, errno_of};
use crate::socket::{SocketHandle, handle};

// libzmq's socket option numbers.
pub const ZMQ_AFFINITY: i32 = 4;
pub const ZMQ_ROUTING_ID: i32 = 5;
pub const ZMQ_SUBSCRIBE: i32 = 6;
pub const ZMQ_UNSUBSCRIBE: i32 = 7;
pub const ZMQ_RATE: i32 = 8;
pub const ZMQ_RECOVERY_IVL: i32 = 9;
pub const ZMQ_SNDBUF: i32 = 11;
pub const ZMQ_RCVBUF: i32 = 12;
pub const ZMQ_RCVMORE: i32 = 13;
pub const ZMQ_FD: i32 = 14;
pub const ZMQ_EVENTS: i32 = 15;
pub const ZMQ_TYPE: i32 = 16;
pub const ZMQ_LINGER: i32 = 17;
pub const ZMQ_RECONNECT_IVL: i32 = 18;
pub const ZMQ_BACKLOG: i32 = 19;
pub const ZMQ_RECONNECT_IVL_MAX: i32 = 21;
pub const ZMQ_MAXMSGSIZE: i32 = 22;
pub const ZMQ_SNDHWM: i32 = 23;
pub const ZMQ_RCVHWM: i32 = 24;
pub const ZMQ_MULTICAST_HOPS: i32 = 25;
pub const ZMQ_RCVTIMEO: i32 = 27;
pub const ZMQ_SNDTIMEO: i32 = 28;
pub const ZMQ_IPV4ONLY: i32 = 31;
pub const ZMQ_LAST_ENDPOINT: i32 = 32;
pub const ZMQ_ROUTER_MANDATORY: i32 = 33;
pub const ZMQ_TCP_KEEPALIVE: i32 = 34;
pub const ZMQ_TCP_KEEPALIVE_CNT: i32 = 35;
pub const ZMQ_TCP_KEEPALIVE_IDLE: i32 = 36;
pub const ZMQ_TCP_KEEPALIVE_INTVL: i32 = 37;
pub const ZMQ_IMMEDIATE: i32 = 39;
pub const ZMQ_XPUB_VERBOSE: i32 = 40;
pub const ZMQ_IPV6: i32 = 42;
pub const ZMQ_MECHANISM: i32 = 43;
pub const ZMQ_PLAIN_SERVER: i32 = 44;
pub const ZMQ_PLAIN_USERNAME: i32 = 45;
pub const ZMQ_PLAIN_PASSWORD: i32 = 46;
pub const ZMQ_CURVE_SERVER: i32 = 47;
pub const ZMQ_CURVE_PUBLICKEY: i32 = 48;
pub const ZMQ_CURVE_SECRETKEY: i32 = 49;
pub const ZMQ_CURVE_SERVERKEY: i32 = 50;
pub const ZMQ_PROBE_ROUTER: i32 = 51;
pub const ZMQ_REQ_CORRELATE: i32 = 52;
pub const ZMQ_REQ_RELAXED: i32 = 53;
pub const ZMQ_CONFLATE: i32 = 54;
pub const ZMQ_ZAP_DOMAIN: i32 = 55;
pub const ZMQ_ROUTER_HANDOVER: i32 = 56;
pub const ZMQ_TOS: i32 = 57;
pub const ZMQ_CONNECT_ROUTING_ID: i32 = 61;
pub const ZMQ_HANDSHAKE_IVL: i32 = 66;
pub const ZMQ_XPUB_NODROP: i32 = 69;
pub const ZMQ_XPUB_MANUAL: i32 = 71;
pub const ZMQ_XPUB_WELCOME_MSG: i32 = 72;
pub const ZMQ_INVERT_MATCHING: i32 = 74;
pub const ZMQ_HEARTBEAT_IVL: i32 = 75;
pub const ZMQ_HEARTBEAT_TTL: i32 = 76;
pub const ZMQ_HEARTBEAT_TIMEOUT: i32 = 77;
pub const ZMQ_XPUB_VERBOSER: i32 = 78;
pub const ZMQ_CONNECT_TIMEOUT: i32 = 79;
pub const ZMQ_TCP_MAXRT: i32 = 80;
pub const ZMQ_THREAD_SAFE: i32 = 81;
pub const ZMQ_MULTICAST_MAXTPDU: i32 = 84;
pub const ZMQ_USE_FD: i32 = 89;
pub const ZMQ_ZAP_ENFORCE_DOMAIN: i32 = 93;
pub const ZMQ_LOOPBACK_FASTPATH: i32 = 94;
pub const ZMQ_MULTICAST_LOOP: i32 = 96;

/// Options of one socket type that ringmq's socket takes but does not report.
#[derive(Debug, Default)]
pub(crate) struct KeptOptions {
    invert_matching: bool,
    affinity: u64,
}

/// The per-handle store of [`KeptOptions`].
pub(crate) type Kept = Mutex<KeptOptions>;

fn kept(handle: &SocketHandle) -> std::sync::MutexGuard<'_, KeptOptions> {
    handle
        .kept
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An option value as given to setsockopt.
struct Value<'a>(&'a [u8]);

impl Value<'_> {
    fn int(&self) -> CResult<i32> {
        Ok(i32::from_ne_bytes(self.0.try_into().map_err(|_| libc::EINVAL)?))
    }

    fn int64(&self) -> CResult<i64> {
        Ok(i64::from_ne_bytes(self.0.try_into().map_err(|_| libc::EINVAL)?))
    }

    /// An int that must be 0 or 1.
    fn boolean(&self) -> CResult<bool> {
        match self.int()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(libc::EINVAL),
        }
    }

    /// A string, without a trailing NUL if the caller counted one.
    fn text(&self) -> CResult<&str> {
        let bytes = self.0.strip_suffix(b"\0").unwrap_or(self.0);
        std::str::from_utf8(bytes).map_err(|_| libc::EINVAL)
    }

    /// A CURVE key: 32 octets, or 40 Z85 characters (41 with a NUL).
    fn key(&self) -> CResult<&[u8]> {
        match self.0.len() {
            32 | 40 => Ok(self.0),
            41 if self.0[40] == 0 => Ok(&self.0[..40]),
            _ => Err(libc::EINVAL),
        }
    }
}

/// Where getsockopt writes, and how much room there is.
struct Out {
    buf: *mut u8,
    len: *mut usize,
}

impl Out {
    fn room(&self) -> usize {
        // SAFETY: `len` is valid (checked non-null when `Out` was made).
        unsafe { *self.len }
    }

    fn put(&self, bytes: &[u8]) -> CResult<()> {
        if self.room() < bytes.len() {
            return Err(libc::EINVAL);
        }
        if !bytes.is_empty() {
            if self.buf.is_null() {
                return Err(libc::EFAULT);
            }
            // SAFETY: `buf` has room for `room()` >= `bytes.len()` octets (the caller's
            // contract) and is not ours, so they do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf, bytes.len()) };
        }
        // SAFETY: as in `room`.
        unsafe { *self.len = bytes.len() };
        Ok(())
    }

    fn int(&self, value: i32) -> CResult<()> {
        if self.room() < 4 {
            return Err(libc::EINVAL);
        }
        self.put(&value.to_ne_bytes())
    }

    fn int64(&self, value: i64) -> CResult<()> {
        self.put(&value.to_ne_bytes())
    }

    fn boolean(&self, value: bool) -> CResult<()> {
        self.int(i32::from(value))
    }

    /// A string with its NUL, as libzmq returns them.
    fn text(&self, value: &str) -> CResult<()> {
        let mut bytes = Vec::with_capacity(value.len() + 1);
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
        self.put(&bytes)
    }

    /// A CURVE key: 32 octets if the room is exactly that, Z85 with a NUL if there are 41
    /// or more; an unset key reads as zeros, as in libzmq. The copies made on the way are
    /// wiped (the key may be a secret one).
    fn key(&self, key: Option<&[u8; 32]>) -> CResult<()> {
        let key = Zeroizing::new(key.copied().unwrap_or([0; 32]));
        match self.room() {
            32 => self.put(&key[..]),
            n if n >= 41 => {
                let text = Zeroizing::new(ringmq::z85_encode(&key[..]).map_err(errno_of)?);
                let mut with_nul = Zeroizing::new(Vec::with_capacity(41));
                with_nul.extend_from_slice(text.as_bytes());
                with_nul.push(0);
                self.put(&with_nul)
            }
            _ => Err(libc::EINVAL),
        }
    }
}

/// Accepts only `default`: the value of an option whose machinery ringmq does not have.
fn only_default(value: &Value<'_>, default: i32) -> CResult<()> {
    if value.int()? == default {
        Ok(())
    } else {
        Err(libc::EINVAL)
    }
}

fn set(handle: &SocketHandle, option: i32, value: Value<'_>) -> CResult<()> {
    let on = |f: fn(&mut Socket, bool) -> ringmq::Result<()>| -> CResult<()> {
        let v = value.boolean()?;
        handle.with(|s| f(s, v)).map_err(errno_of)
    };
    let int = |f: fn(&mut Socket, i32) -> ringmq::Result<()>| -> CResult<()> {
        let v = value.int()?;
        handle.with(|s| f(s, v)).map_err(errno_of)
    };
    let text = |f: fn(&mut Socket, &str) -> ringmq::Result<()>| -> CResult<()> {
        let v = value.text()?;
        handle.with(|s| f(s, v)).map_err(errno_of)
    };
    let key = |f: fn(&mut Socket, &[u8]) -> ringmq::Result<()>| -> CResult<()> {
        let v = value.key()?;
        handle.with(|s| f(s, v)).map_err(errno_of)
    };
    match option {
        ZMQ_AFFINITY => {
            let v = value.int64()?;
            kept(handle).affinity = v as u64;
            Ok(())
        }
        ZMQ_ROUTING_ID => handle
            .with(|s| s.set_routing_id(Bytes::copy_from_slice(value.0)))
            .map_err(errno_of),
        ZMQ_SUBSCRIBE => handle.with(|s| s.set_subscribe(value.0)).map_err(errno_of),
        ZMQ_UNSUBSCRIBE => handle.with(|s| s.set_unsubscribe(value.0)).map_err(errno_of),
        ZMQ_RATE => only_default(&value, 100),
        ZMQ_RECOVERY_IVL => only_default(&value, 10_000),
        ZMQ_SNDBUF => int(Socket::set_sndbuf),
        ZMQ_RCVBUF => int(Socket::set_rcvbuf),
        ZMQ_LINGER => int(Socket::set_linger),
        ZMQ_RECONNECT_IVL => int(Socket::set_reconnect_ivl),
        ZMQ_BACKLOG => int(Socket::set_backlog),
        ZMQ_RECONNECT_IVL_MAX => int(Socket::set_reconnect_ivl_max),
        ZMQ_MAXMSGSIZE => {
            let v = value.int64()?;
            handle.with(|s| s.set_maxmsgsize(v)).map_err(errno_of)
        }
        ZMQ_SNDHWM => int(Socket::set_sndhwm),
        ZMQ_RCVHWM => int(Socket::set_rcvhwm),
        ZMQ_MULTICAST_HOPS => int(Socket::set_multicast_hops),
        ZMQ_RCVTIMEO => int(Socket::set_rcvtimeo),
        ZMQ_SNDTIMEO => int(Socket::set_sndtimeo),
        ZMQ_IPV4ONLY => {
            let v = value.boolean()?;
            handle.with(|s| s.set_ipv6(!v)).map_err(errno_of)
        }
        ZMQ_ROUTER_MANDATORY => on(Socket::set_router_mandatory),
        ZMQ_TCP_KEEPALIVE => int(Socket::set_tcp_keepalive),
        ZMQ_TCP_KEEPALIVE_CNT => int(Socket::set_tcp_keepalive_cnt),
        ZMQ_TCP_KEEPALIVE_IDLE => int(Socket::set_tcp_keepalive_idle),
        ZMQ_TCP_KEEPALIVE_INTVL => int(Socket::set_tcp_keepalive_intvl),
        ZMQ_IMMEDIATE => on(Socket::set_immediate),
        ZMQ_XPUB_VERBOSE => on(Socket::set_xpub_verbose),
        ZMQ_IPV6 => on(Socket::set_ipv6),
        ZMQ_PLAIN_SERVER => on(Socket::set_plain_server),
        ZMQ_PLAIN_USERNAME => text(Socket::set_plain_username),
        ZMQ_PLAIN_PASSWORD => text(Socket::set_plain_password),
        ZMQ_CURVE_SERVER => on(Socket::set_curve_server),
        ZMQ_CURVE_PUBLICKEY => key(Socket::set_curve_publickey),
        ZMQ_CURVE_SECRETKEY => key(Socket::set_curve_secretkey),
        ZMQ_CURVE_SERVERKEY => key(Socket::set_curve_serverkey),
        ZMQ_PROBE_ROUTER => on(Socket::set_probe_router),
        ZMQ_REQ_CORRELATE => on(Socket::set_req_correlate),
        ZMQ_REQ_RELAXED => on(Socket::set_req_relaxed),
        ZMQ_CONFLATE => on(Socket::set_conflate),
        ZMQ_ZAP_DOMAIN => text(Socket::set_zap_domain),
        ZMQ_ROUTER_HANDOVER => on(Socket::set_router_handover),
        ZMQ_TOS => only_default(&value, 0),
        ZMQ_CONNECT_ROUTING_ID => handle
            .with(|s| s.set_connect_routing_id(Bytes::copy_from_slice(value.0)))
            .map_err(errno_of),
        ZMQ_HANDSHAKE_IVL => int(Socket::set_handshake_ivl),
        ZMQ_XPUB_NODROP => on(Socket::set_xpub_nodrop),
        ZMQ_XPUB_MANUAL => on(Socket::set_xpub_manual),
        ZMQ_XPUB_WELCOME_MSG => handle.with(|s| s.set_xpub_welcome_msg(value.0)).map_err(errno_of),
        ZMQ_INVERT_MATCHING => {
            let v = value.boolean()?;
            handle.with(|s| s.set_invert_matching(v)).map_err(errno_of)?;
            kept(handle).invert_matching = v;
            Ok(())
        }
        ZMQ_HEARTBEAT_IVL => int(Socket::set_heartbeat_ivl),
        ZMQ_HEARTBEAT_TTL => int(Socket::set_heartbeat_ttl),
        ZMQ_HEARTBEAT_TIMEOUT => int(Socket::set_heartbeat_timeout),
        ZMQ_XPUB_VERBOSER => on(Socket::set_xpub_verboser),
        ZMQ_CONNECT_TIMEOUT | ZMQ_TCP_MAXRT | ZMQ_LOOPBACK_FASTPATH => only_default(&value, 0),
        ZMQ_MULTICAST_MAXTPDU => only_default(&value, 1500),
        ZMQ_USE_FD => only_default(&value, -1),
        ZMQ_ZAP_ENFORCE_DOMAIN => on(Socket::set_zap_enforce_domain),
        ZMQ_MULTICAST_LOOP => on(Socket::set_multicast_loop),
        _ => Err(libc::EINVAL),
    }
}

fn get(handle: &SocketHandle, option: i32, out: &Out) -> CResult<()> {
    let int = |f: fn(&Socket) -> i32| out.int(handle.with(|s| f(s)));
    let on = |f: fn(&Socket) -> bool| out.boolean(handle.with(|s| f(s)));
    match option {
        ZMQ_AFFINITY => out.int64(kept(handle).affinity as i64),
        ZMQ_ROUTING_ID => out.put(&handle.with(|s| s.routing_id())),
        ZMQ_RATE => out.int(100),
        ZMQ_RECOVERY_IVL => out.int(10_000),
        ZMQ_SNDBUF => int(Socket::sndbuf),
        ZMQ_RCVBUF => int(Socket::rcvbuf),
        ZMQ_RCVMORE => on(Socket::rcvmore),
        ZMQ_FD => {
            let fd = handle.with(|s| s.fd()).map_err(errno_of)?;
            out.int(fd)
        }
        ZMQ_EVENTS => {
            let events = handle.with(|s| s.events()).map_err(errno_of)?;
            let mut bits = 0;
            if events.contains(ringmq::PollEvents::POLLIN) {
                bits |= crate::poll::ZMQ_POLLIN;
            }
            if events.contains(ringmq::PollEvents::POLLOUT) {
                bits |= crate::poll::ZMQ_POLLOUT;
            }
            out.int(i32::from(bits))
        }
        ZMQ_TYPE => out.int(handle.socket_type as i32),
        ZMQ_LINGER => int(Socket::linger),
        ZMQ_RECONNECT_IVL => int(Socket::reconnect_ivl),
        ZMQ_BACKLOG => int(Socket::backlog),
        ZMQ_RECONNECT_IVL_MAX => int(Socket::reconnect_ivl_max),
        ZMQ_MAXMSGSIZE => out.int64(handle.with(|s| s.maxmsgsize())),
        ZMQ_SNDHWM => int(Socket::sndhwm),
        ZMQ_RCVHWM => int(Socket::rcvhwm),
        ZMQ_MULTICAST_HOPS => int(Socket::multicast_hops),
        ZMQ_RCVTIMEO => int(Socket::rcvtimeo),
        ZMQ_SNDTIMEO => int(Socket::sndtimeo),
        ZMQ_IPV4ONLY => out.boolean(!handle.with(|s| s.ipv6())),
        ZMQ_LAST_ENDPOINT => out.text(&handle.with(|s| s.last_endpoint())),
        ZMQ_TCP_KEEPALIVE => int(Socket::tcp_keepalive),
        ZMQ_TCP_KEEPALIVE_CNT => int(Socket::tcp_keepalive_cnt),
        ZMQ_TCP_KEEPALIVE_IDLE => int(Socket::tcp_keepalive_idle),
        ZMQ_TCP_KEEPALIVE_INTVL => int(Socket::tcp_keepalive_intvl),
        ZMQ_IMMEDIATE => on(Socket::immediate),
        ZMQ_IPV6 => on(Socket::ipv6),
        ZMQ_MECHANISM => out.int(handle.with(|s| s.mechanism().zmq_value())),
        ZMQ_PLAIN_SERVER => on(Socket::plain_server),
        ZMQ_PLAIN_USERNAME => out.text(&handle.with(|s| s.plain_username())),
        ZMQ_PLAIN_PASSWORD => out.text(&handle.with(|s| s.plain_password())),
        ZMQ_CURVE_SERVER => on(Socket::curve_server),
        ZMQ_CURVE_PUBLICKEY => out.key(
            handle
                .with(|s| s.curve_publickey())
                .as_ref()
                .map(|k| k.as_bytes()),
        ),
        ZMQ_CURVE_SECRETKEY => out.key(handle.with(|s| s.curve_secretkey()).as_ref().map(|k| k.expose())),
        ZMQ_CURVE_SERVERKEY => out.key(
            handle
                .with(|s| s.curve_serverkey())
                .as_ref()
                .map(|k| k.as_bytes()),
        ),
        ZMQ_CONFLATE => on(Socket::conflate),
        ZMQ_ZAP_DOMAIN => out.text(&handle.with(|s| s.zap_domain())),
        ZMQ_TOS | ZMQ_CONNECT_TIMEOUT | ZMQ_TCP_MAXRT | ZMQ_LOOPBACK_FASTPATH => out.int(0),
        ZMQ_HANDSHAKE_IVL => int(Socket::handshake_ivl),
        ZMQ_INVERT_MATCHING => out.boolean(kept(handle).invert_matching),
        ZMQ_HEARTBEAT_IVL => int(Socket::heartbeat_ivl),
        ZMQ_HEARTBEAT_TTL => int(Socket::heartbeat_ttl),
        ZMQ_HEARTBEAT_TIMEOUT => int(Socket::heartbeat_timeout),
        ZMQ_THREAD_SAFE => out.boolean(matches!(handle.inner, crate::socket::Inner::Shared(_))),
        ZMQ_MULTICAST_MAXTPDU => out.int(1500),
        ZMQ_USE_FD => out.int(-1),
        ZMQ_ZAP_ENFORCE_DOMAIN => on(Socket::zap_enforce_domain),
        ZMQ_MULTICAST_LOOP => on(Socket::multicast_loop),
        _ => Err(libc::EINVAL),
    }
}

/// `zmq_setsockopt`.
///
/// # Safety
/// `s` is NULL or a live socket handle; `optval` holds `optvallen` octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_setsockopt(
    s: *mut c_void,
    option: i32,
    optval: *const c_void,
    optvallen: usize,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        let bytes: &[u8] = if optvallen == 0 {
            &[]
        } else if optval.is_null() {
            return Err(libc::EINVAL);
        } else {
            // SAFETY: non-null and holding `optvallen` octets by the caller's contract.
            unsafe { std::slice::from_raw_parts(optval.cast::<u8>(), optvallen) }
        };
        set(handle, option, Value(bytes))?;
        Ok(0)
    })
}

/// `zmq_getsockopt`: writes the value and sets `*optvallen` to its length.
///
/// # Safety
/// `s` is NULL or a live socket handle; `optvallen` is NULL or valid, and `optval` has
/// room for `*optvallen` octets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: i32,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> i32 {
    call(-1, || {
        // SAFETY: the caller's contract.
        let handle = unsafe { handle(s) }?;
        if optvallen.is_null() {
            return Err(libc::EFAULT);
        }
        get(
            handle,
            option,
            &Out {
                buf: optval.cast(),
                len: optvallen,
            },
        )?;
        Ok(0)
    })
}
