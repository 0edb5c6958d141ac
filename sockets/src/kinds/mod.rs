//! Socket types: each file implements one type's routing and state machine over the
//! socket's pipes (RFC 28 REQ/REP, RFC 30 PUSH/PULL, RFC 31 PAIR).

mod pair;
mod pull;
mod push;
mod rep;
mod req;

use ringmq_transports::{Error, Msg, SocketType};

use crate::pipes::Pipes;

/// Why a send did not happen.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No pipe can take the message now; here it is back.
    WouldBlock(Msg),
    /// The call is wrong for this socket (EFSM, ENOTSUP, …).
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

/// One socket type's behaviour over the socket's pipes.
pub(crate) trait SocketKind: Send + std::fmt::Debug {
    /// A new pipe joined. Returning `false` refuses it (the caller drops it).
    fn attach(&mut self, pipes: &mut Pipes, idx: usize) -> bool;
    /// The pipe's peer is gone for good (the entry is marked detached already).
    fn detached(&mut self, pipes: &mut Pipes, idx: usize);
    /// A pipe the socket waited on has incoming messages.
    fn readable(&mut self, idx: usize);
    /// A pipe the socket waited on has room.
    fn writable(&mut self, idx: usize);
    /// Sends one frame (`msg.more()` says whether more follow).
    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError>;
    /// Receives one frame.
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError>;
    /// Pipes this type is done with (peer gone and drained), for the socket to drop.
    fn take_finished(&mut self) -> Vec<usize>;
    /// The socket is dropping this pipe (disconnect, unbind): forget it everywhere.
    fn forget(&mut self, pipes: &mut Pipes, idx: usize);
}

/// The behaviour for `socket_type`, or an error naming a type not built yet.
pub(crate) fn for_type(socket_type: SocketType) -> Result<Box<dyn SocketKind>, Error> {
    Ok(match socket_type {
        SocketType::Push => Box::new(push::Push::default()),
        SocketType::Pull => Box::new(pull::Pull::default()),
        SocketType::Pair => Box::new(pair::Pair::default()),
        SocketType::Req => Box::new(req::Req::default()),
        SocketType::Rep => Box::new(rep::Rep::default()),
        other => {
            return Err(Error::NotSupported(format!(
                "socket type {other} is not built yet in this version of ringmq"
            )));
        }
    })
}

/// The error for sending on a receive-only socket type, and vice versa.
pub(crate) fn not_supported(socket_type: SocketType, what: &str) -> Error {
    Error::NotSupported(format!("{socket_type} sockets cannot {what}"))
}
