//! The properties every frame of a connection carries to the application (libzmq's
//! `zmq_msg_gets`): made once when the handshake completes, shared by all its frames.
//!
//! What libzmq puts there, in its order of precedence: `Peer-Address`, then what the ZAP
//! handler gave (`User-Id` and its reply's metadata), then what the peer said about itself.
//! One departure, for safety: a peer's own `User-Id` or `Peer-Address` property is dropped,
//! so a peer admitted without ZAP cannot pose as a user a handler vouched for (libzmq would
//! show it).

use std::sync::Arc;

use super::Session;
use crate::zmtp::{Metadata, PeerInfo};

/// Property names that only this side may set.
const OURS_ONLY: [&str; 2] = ["Peer-Address", "User-Id"];

impl Session {
    pub(super) fn connection_properties(&mut self, peer: &PeerInfo) -> Arc<Metadata> {
        let mut properties = Metadata::new();
        let address = self
            .link
            .open_conn()
            .map(|c| c.io.peer_address())
            .unwrap_or_default();
        if !address.is_empty() {
            properties.push("Peer-Address", address);
        }
        if let Some(user_id) = &peer.user_id {
            properties.push("User-Id", user_id.clone());
        }
        let zap = peer.zap_metadata.iter();
        let theirs = peer
            .metadata
            .iter()
            .filter(|(name, _)| !OURS_ONLY.iter().any(|ours| ours.eq_ignore_ascii_case(name)));
        for (name, value) in zap.chain(theirs) {
            if properties.get(name).is_none() {
                properties.push(name, value.clone());
            }
        }
        Arc::new(properties)
    }
}
