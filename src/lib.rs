//! # ringmq
//!
//! A ZeroMQ-compatible messaging library for Linux, built on io_uring with a thread-per-core
//! layout. It speaks ZMTP 3.1 (and accepts 3.0 peers), so ringmq sockets talk to libzmq,
//! pyzmq and zmq.rs peers.
//!
//! ```
//! use ringmq::{Context, Flags, SocketType};
//!
//! let ctx = Context::new()?;
//! let mut pull = ctx.socket(SocketType::Pull)?;
//! pull.bind("tcp://127.0.0.1:*")?;
//! let mut push = ctx.socket(SocketType::Push)?;
//! push.connect(&pull.last_endpoint())?;
//! push.send_multipart(["a", "multipart", "message"], Flags::NONE)?;
//! let frames = pull.recv_multipart(Flags::NONE)?;
//! assert_eq!(frames, ["a", "multipart", "message"]);
//! # Ok::<(), ringmq::Error>(())
//! ```
//!
//! [`socket_types`] shows every socket type at work. The pieces: a [`Context`] runs shards
//! (I/O threads, each with its own io_uring); a [`Socket`] is used from one application
//! thread at a time (a [`SharedSocket`] of the thread-safe draft types from many) and reaches
//! its shard only through lock-free queues. Two sockets of one context can also share an
//! `inproc://` pipe, with no shard between them. [`Context::run_attached`] makes the calling
//! thread a shard of its own (attached, thread-per-core mode: sockets made there drive its
//! io_uring inline), and [`AsyncSocket`] serves any async executor. See
//! `docs/architecture.md` in the repository for the design.

pub use bytes::Bytes;
pub use ringmq_sockets::{
    ALL_EVENTS, AsyncSocket, Attached, Authenticator, BRIEF_SPIN, Context, ContextBuilder, CurveKeyPair,
    CurvePublicKey, CurveSecretKey, Error, EventKind, Flags, Mechanism, MonitorEvent, MonitorStream, Msg,
    PollEvents, PollItem, Reason, Result, SharedSocket, Socket, SocketType, StatsSnapshot, TYPED_QUEUE,
    Unsent, curve_keypair, curve_public, poll, proxy, proxy_single, proxy_steerable,
};

pub mod socket_types;

/// The authenticator and CZMQ's zcert certificates (see [`Authenticator`]).
pub use ringmq_sockets::auth;

/// Z85 (ZeroMQ RFC 32), as `zmq_z85_encode` and `zmq_z85_decode`: four octets to five
/// printable characters, the form ZeroMQ gives CURVE keys.
///
/// ```
/// assert_eq!(ringmq::z85_encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])?, "HelloWorld");
/// assert_eq!(ringmq::z85_decode("HelloWorld")?.len(), 8);
/// # Ok::<(), ringmq::Error>(())
/// ```
pub use ringmq_transports::security::z85::{decode as z85_decode, encode as z85_encode};

/// errno values libzmq defines beyond the system's (for matching [`Error::errno`]).
pub mod errno {
    pub use ringmq_transports::error::{EFSM, ETERM};
}

/// The README's examples are compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The security guide's examples are compiled and run as doc tests.
#[doc = include_str!("../docs/security.md")]
#[cfg(doctest)]
pub struct SecurityGuideDoctests;

#[doc = include_str!("../docs/monitor.md")]
#[cfg(doctest)]
pub struct MonitorGuideDoctests;
