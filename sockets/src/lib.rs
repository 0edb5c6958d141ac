//! ringmq's sockets: [`Context`], [`Socket`], the socket types and their routing, options.
//!
//! This crate owns socket-type semantics — load-balancing, fair-queuing and distribution over
//! pipes, the REQ/REP envelope and state machine, ROUTER routing ids, PAIR's single peer,
//! publish/subscribe filtering, HWM, timeouts, linger — and the public API with libzmq's
//! names and defaults. It never touches io_uring or file
//! descriptors directly: transports (`ringmq-transports`) connect its pipes to peers.
#![warn(missing_docs)]

mod async_socket;
pub mod auth;
mod context;
mod flags;
mod home;
mod kinds;
mod options;
mod pipes;
mod poll;
mod proxy;
mod readiness;
mod routing;
mod shared;
mod socket;

pub use async_socket::AsyncSocket;
pub use auth::Authenticator;
pub use context::{Attached, BRIEF_SPIN, Context, ContextBuilder};
pub use flags::Flags;
pub use poll::{PollEvents, PollItem, poll};
pub use proxy::{proxy, proxy_single, proxy_steerable};
pub use ringmq_transports::monitor::{ALL_EVENTS, EventKind, MonitorEvent, Reason};
pub use ringmq_transports::security::{
    CurveKeyPair, CurvePublicKey, CurveSecretKey, Mechanism, curve_keypair, curve_public,
};
pub use ringmq_transports::stats::StatsSnapshot;
pub use ringmq_transports::{Error, Msg, Result, SocketType};
pub use shared::SharedSocket;
pub use socket::{MonitorStream, Socket, TYPED_QUEUE, Unsent};

/// Internals the criterion benches in `benches/` measure directly (the subscription
/// matcher); not part of the API and not covered by semver.
#[doc(hidden)]
pub mod bench_internals {
    pub use crate::routing::trie::{PipeSet, PrefixTrie, TrieValue};
}
