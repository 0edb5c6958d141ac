//! ZeroMQ socket types as the wire knows them: the `Socket-Type` property names, which peers
//! may talk to which (RFC 37), and which types announce an `Identity`.

/// A ZeroMQ socket type. The numeric values are libzmq's `ZMQ_*` constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair = 0,
    /// Publisher (RFC 29).
    Pub = 1,
    /// Subscriber (RFC 29).
    Sub = 2,
    /// Requester (RFC 28).
    Req = 3,
    /// Replier (RFC 28).
    Rep = 4,
    /// Asynchronous requester (RFC 28).
    Dealer = 5,
    /// Addressed replier (RFC 28).
    Router = 6,
    /// Pipeline sink (RFC 30).
    Pull = 7,
    /// Pipeline source (RFC 30).
    Push = 8,
    /// Publisher that sees subscriptions (RFC 29).
    XPub = 9,
    /// Subscriber that sends subscriptions as messages (RFC 29).
    XSub = 10,
    /// Raw TCP peers.
    Stream = 11,
    /// Draft: server (RFC 41).
    Server = 12,
    /// Draft: client (RFC 41).
    Client = 13,
    /// Draft: radio (RFC 48).
    Radio = 14,
    /// Draft: dish (RFC 48).
    Dish = 15,
    /// Draft: gather (RFC 49).
    Gather = 16,
    /// Draft: scatter (RFC 49).
    Scatter = 17,
    /// Draft: datagram.
    Dgram = 18,
    /// Draft: peer (RFC 51).
    Peer = 19,
    /// Draft: channel (RFC 52).
    Channel = 20,
}

impl SocketType {
    /// The `Socket-Type` property value.
    pub fn name(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Stream => "STREAM",
            SocketType::Server => "SERVER",
            SocketType::Client => "CLIENT",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Gather => "GATHER",
            SocketType::Scatter => "SCATTER",
            SocketType::Dgram => "DGRAM",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }

    /// Parses a `Socket-Type` property value.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        const ALL: [SocketType; 21] = [
            SocketType::Pair,
            SocketType::Pub,
            SocketType::Sub,
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
            SocketType::Pull,
            SocketType::Push,
            SocketType::XPub,
            SocketType::XSub,
            SocketType::Stream,
            SocketType::Server,
            SocketType::Client,
            SocketType::Radio,
            SocketType::Dish,
            SocketType::Gather,
            SocketType::Scatter,
            SocketType::Dgram,
            SocketType::Peer,
            SocketType::Channel,
        ];
        ALL.into_iter().find(|t| t.name().as_bytes() == name)
    }

    /// Whether a peer of type `peer` may connect to a socket of this type (RFC 37's table).
    pub fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        match self {
            Req => matches!(peer, Rep | Router),
            Rep => matches!(peer, Req | Dealer),
            Dealer => matches!(peer, Rep | Dealer | Router),
            Router => matches!(peer, Req | Dealer | Router),
            Pub | XPub => matches!(peer, Sub | XSub),
            Sub | XSub => matches!(peer, Pub | XPub),
            Push => peer == Pull,
            Pull => peer == Push,
            Pair => peer == Pair,
            Client => peer == Server,
            Server => peer == Client,
            Radio => peer == Dish,
            Dish => peer == Radio,
            Scatter => peer == Gather,
            Gather => peer == Scatter,
            Peer => peer == Peer,
            Channel => peer == Channel,
            Stream | Dgram => false,
        }
    }

    /// Whether sockets of this type learn of each new connection in their pipe: the connection
    /// puts the peer's `Identity` first, as a frame flagged
    /// [`Msg::is_routing_id`](crate::Msg::is_routing_id). ROUTER needs the id; publishers need
    /// the boundary (a new connection brings a subscriber with new subscriptions).
    pub fn receives_routing_id(self) -> bool {
        matches!(
            self,
            SocketType::Router | SocketType::Pub | SocketType::XPub | SocketType::Radio
        )
    }

    /// Whether connections of this type carry raw bytes instead of ZMTP (STREAM).
    pub fn is_raw(self) -> bool {
        self == SocketType::Stream
    }

    /// Whether this type sends the `Identity` property in READY (libzmq: REQ, DEALER, ROUTER).
    pub fn announces_identity(self) -> bool {
        matches!(self, SocketType::Req | SocketType::Dealer | SocketType::Router)
    }
}

impl std::fmt::Display for SocketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_compatibility_is_symmetric() {
        let all = [
            SocketType::Pair,
            SocketType::Pub,
            SocketType::Sub,
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
            SocketType::Pull,
            SocketType::Push,
            SocketType::XPub,
            SocketType::XSub,
            SocketType::Server,
            SocketType::Client,
            SocketType::Radio,
            SocketType::Dish,
            SocketType::Gather,
            SocketType::Scatter,
            SocketType::Peer,
            SocketType::Channel,
        ];
        for a in all {
            assert_eq!(SocketType::from_name(a.name().as_bytes()), Some(a));
            for b in all {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a), "{a} vs {b}");
            }
        }
        assert!(SocketType::Push.is_compatible_with(SocketType::Pull));
        assert!(!SocketType::Push.is_compatible_with(SocketType::Push));
        assert!(SocketType::Req.is_compatible_with(SocketType::Router));
        assert_eq!(
            SocketType::from_name(b"push"),
            None,
            "names are upper case on the wire"
        );
    }
}
