//! Socket types: each file implements one type's (or one family's) routing and state machine
//! over the socket's pipes (RFC 28 REQ/REP/DEALER/ROUTER, RFC 29 PUB/SUB/XPUB/XSUB, RFC 30
//! PUSH/PULL, RFC 31 PAIR).

mod dealer;
mod pair;
mod publisher;
mod pull;
mod push;
mod radio_dish;
mod rep;
mod req;
mod router;
mod server;
mod single_part;
mod stream;
mod subscriber;

use bytes::Bytes;
use ringmq_transports::{Error, Msg, SocketType};

use crate::pipes::Pipes;

/// Why a send did not happen.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No pipe can take the message now; here it is back.
    WouldBlock(Msg),
    /// The call is wrong for this socket (EFSM, ENOTSUP, EHOSTUNREACH, …).
    Fail(Error),
}

/// Why a receive returned nothing.
#[derive(Debug)]
pub(crate) enum RecvError {
    /// Nothing to receive now.
    WouldBlock,
    /// The call is wrong for this socket.
    Fail(Error),
}

/// An option that only some socket types understand; the others refuse it with EINVAL, as
/// libzmq's `zmq_setsockopt` does.
#[derive(Clone, Debug)]
pub(crate) enum TypeOption {
    Subscribe(Bytes),
    Unsubscribe(Bytes),
    RouterMandatory(bool),
    RouterHandover(bool),
    ProbeRouter(bool),
    ConnectRoutingId(Bytes),
    XpubVerbose(bool),
    XpubVerboser(bool),
    XpubNodrop(bool),
    XpubManual(bool),
    XpubWelcomeMsg(Option<Bytes>),
    InvertMatching(bool),
    ReqCorrelate(bool),
    ReqRelaxed(bool),
    Join(Bytes),
    Leave(Bytes),
}

impl TypeOption {
    /// libzmq's name of the option.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            TypeOption::Subscribe(_) => "ZMQ_SUBSCRIBE",
            TypeOption::Unsubscribe(_) => "ZMQ_UNSUBSCRIBE",
            TypeOption::RouterMandatory(_) => "ZMQ_ROUTER_MANDATORY",
            TypeOption::RouterHandover(_) => "ZMQ_ROUTER_HANDOVER",
            TypeOption::ProbeRouter(_) => "ZMQ_PROBE_ROUTER",
            TypeOption::ConnectRoutingId(_) => "ZMQ_CONNECT_ROUTING_ID",
            TypeOption::XpubVerbose(_) => "ZMQ_XPUB_VERBOSE",
            TypeOption::XpubVerboser(_) => "ZMQ_XPUB_VERBOSER",
            TypeOption::XpubNodrop(_) => "ZMQ_XPUB_NODROP",
            TypeOption::XpubManual(_) => "ZMQ_XPUB_MANUAL",
            TypeOption::XpubWelcomeMsg(_) => "ZMQ_XPUB_WELCOME_MSG",
            TypeOption::InvertMatching(_) => "ZMQ_INVERT_MATCHING",
            TypeOption::ReqCorrelate(_) => "ZMQ_REQ_CORRELATE",
            TypeOption::ReqRelaxed(_) => "ZMQ_REQ_RELAXED",
            TypeOption::Join(_) => "zmq_join",
            TypeOption::Leave(_) => "zmq_leave",
        }
    }
}

/// How a pipe came to the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// From the socket's own `connect`.
    Connected,
    /// Accepted on one of the socket's bound endpoints.
    Accepted,
}

/// One socket type's behaviour over the socket's pipes.
pub(crate) trait SocketKind: Send + std::fmt::Debug {
    /// A new pipe joined. Returning `false` refuses it (the caller drops it).
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, origin: Origin) -> bool;
    /// The pipe's peer is gone for good (the entry is marked detached already).
    fn detached(&mut self, pipes: &mut Pipes, idx: usize);
    /// A pipe the socket waited on has incoming messages.
    fn readable(&mut self, pipes: &mut Pipes, idx: usize);
    /// A pipe the socket waited on has room.
    fn writable(&mut self, pipes: &mut Pipes, idx: usize);
    /// The pipe runs over a new connection now (after a reconnect).
    fn reconnected(&mut self, _pipes: &mut Pipes, _idx: usize) {}
    /// Sends one frame (`msg.more()` says whether more follow).
    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError>;
    /// Receives one frame.
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError>;
    /// Pipes this type is done with (peer gone and drained, or pushed out), for the socket to
    /// drop.
    fn take_finished(&mut self) -> Vec<usize>;
    /// The socket is dropping this pipe (disconnect, unbind): forget it everywhere.
    fn forget(&mut self, pipes: &mut Pipes, idx: usize);
    /// POLLIN: whether a receive would return a frame now. `None` (the default) lets the
    /// socket find out by receiving the frame early and keeping it for the next `recv`, which
    /// is exact and safe for every type without a send/receive state machine; REQ and REP
    /// answer themselves, as libzmq does.
    fn has_in(&mut self, _pipes: &mut Pipes) -> Option<bool> {
        None
    }
    /// The numeric routing id the type gave a pipe (SERVER, PEER).
    fn routing_id_of(&self, _idx: usize) -> Option<u32> {
        None
    }
    /// POLLOUT: whether a send would take a frame now without blocking.
    fn has_out(&mut self, pipes: &mut Pipes) -> bool;
    /// Applies an option particular to some socket types.
    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        Err(Error::InvalidArgument(format!(
            "{} does not apply to this socket type",
            option.name()
        )))
    }
}

/// The behaviour for `socket_type`, or an error naming a type not built yet.
pub(crate) fn for_type(socket_type: SocketType) -> Result<Box<dyn SocketKind>, Error> {
    Ok(match socket_type {
        SocketType::Push => Box::new(push::Push::default()),
        SocketType::Pull => Box::new(pull::Pull::default()),
        SocketType::Pair => Box::new(pair::Pair::default()),
        SocketType::Req => Box::new(req::Req::default()),
        SocketType::Rep => Box::new(rep::Rep::default()),
        SocketType::Dealer => Box::new(dealer::Dealer::default()),
        SocketType::Router => Box::new(router::Router::new()),
        SocketType::Pub => Box::new(publisher::Publisher::new(false)),
        SocketType::XPub => Box::new(publisher::Publisher::new(true)),
        SocketType::Sub => Box::new(subscriber::Subscriber::new(false)),
        SocketType::XSub => Box::new(subscriber::Subscriber::new(true)),
        SocketType::Stream => Box::new(stream::Stream::new()),
        SocketType::Server => Box::new(server::Server::new(SocketType::Server)),
        SocketType::Peer => Box::new(server::Server::new(SocketType::Peer)),
        SocketType::Radio => Box::new(radio_dish::Radio::default()),
        SocketType::Dish => Box::new(radio_dish::Dish::default()),
        SocketType::Client => single_part(SocketType::Client, dealer::Dealer::default()),
        SocketType::Scatter => single_part(SocketType::Scatter, push::Push::default()),
        SocketType::Gather => single_part(SocketType::Gather, pull::Pull::default()),
        SocketType::Channel => single_part(SocketType::Channel, pair::Pair::default()),
        other => {
            return Err(Error::NotSupported(format!(
                "socket type {other} is not built yet in this version of ringmq"
            )));
        }
    })
}

fn single_part(t: SocketType, inner: impl SocketKind + 'static) -> Box<dyn SocketKind> {
    Box::new(single_part::SinglePart::new(t, inner))
}

/// The error for sending on a receive-only socket type, and vice versa.
pub(crate) fn not_supported(socket_type: SocketType, what: &str) -> Error {
    Error::NotSupported(format!("{socket_type} sockets cannot {what}"))
}

/// Writes a one-frame message to a pipe regardless of its high-water mark (probes, welcome
/// messages, subscriptions: libzmq also lets these past a full pipe or drops them; we keep
/// them, they are few and small).
pub(crate) fn write_control(pipes: &mut Pipes, idx: usize, msg: Msg) {
    let entry = pipes.get(idx);
    if !entry.detached {
        entry.pipe.write(msg);
        entry.pipe.flush();
    }
}
