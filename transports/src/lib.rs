//! ringmq's transports: how bytes get between sockets.
//!
//! This crate owns endpoints (parsing and resolution), the ZMTP 3.1 codec as a sans-IO state
//! machine ([`zmtp`]), the pipes that join a socket to its connections ([`pipe`]), the TCP
//! transport that runs on a shard ([`tcp`]): listeners, connections, reconnection, the
//! UDP transport of RADIO and DISH ([`udp`]), and `inproc://` ([`inproc`]), where two
//! sockets share a pipe with no shard between them. It also
//! defines [`Msg`] and the [`Error`] type of the public API, the lowest crate that needs them.
//!
//! It knows nothing of socket-type semantics (routing, envelopes, subscriptions): those live
//! in `ringmq-sockets`. It depends only on `ringmq-engine` for shards, rings and wake-ups.
#![warn(missing_docs)]

pub mod codec;
pub mod endpoint;
pub mod error;
pub mod flow;
pub mod inproc;
pub mod ipc;
pub mod monitor;
pub mod msg;
pub mod pipe;
mod pipe_ends;
pub mod security;
pub mod socket_type;
pub mod stats;
pub mod tcp;
pub mod transport;
pub mod udp;
pub mod zmtp;

pub use error::{Error, Result};
pub use msg::Msg;
pub use socket_type::SocketType;
