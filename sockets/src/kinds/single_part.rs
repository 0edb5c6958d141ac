//! The draft socket types CLIENT, SCATTER, GATHER and CHANNEL route like DEALER, PUSH, PULL and
//! PAIR but carry single-part messages only (RFC 41, 49, 52): a send with SNDMORE fails with
//! EINVAL, and an incoming multipart message is dropped whole.

use ringmq_transports::{Error, Msg, SocketType};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption};
use crate::pipes::Pipes;

/// A socket kind restricted to single-part messages.
#[derive(Debug)]
pub(crate) struct SinglePart<K> {
    socket_type: SocketType,
    inner: K,
}

impl<K: SocketKind> SinglePart<K> {
    pub(crate) fn new(socket_type: SocketType, inner: K) -> Self {
        Self { socket_type, inner }
    }
}

/// The EINVAL for SNDMORE on a draft type.
pub(crate) fn multipart_refused(socket_type: SocketType) -> Error {
    Error::InvalidArgument(format!(
        "{socket_type} sockets send single-part messages only: SNDMORE is not allowed"
    ))
}

impl<K: SocketKind> SocketKind for SinglePart<K> {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, origin: Origin) -> bool {
        self.inner.attach(pipes, idx, origin)
    }

    fn detached(&mut self, pipes: &mut Pipes, idx: usize) {
        self.inner.detached(pipes, idx);
    }

    fn readable(&mut self, pipes: &mut Pipes, idx: usize) {
        self.inner.readable(pipes, idx);
    }

    fn writable(&mut self, pipes: &mut Pipes, idx: usize) {
        self.inner.writable(pipes, idx);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if msg.more() {
            return Err(SendError::Fail(multipart_refused(self.socket_type)));
        }
        self.inner.send(pipes, msg)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        loop {
            let msg = self.inner.recv(pipes)?;
            if !msg.more() {
                return Ok(msg);
            }
            // A multipart message from a peer that does not follow the RFC: drop all of it.
            // Its frames were published together, so the rest is there now.
            while self.inner.recv(pipes)?.more() {}
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.inner.has_out(pipes)
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.inner.take_finished()
    }

    fn forget(&mut self, pipes: &mut Pipes, idx: usize) {
        self.inner.forget(pipes, idx);
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        Err(Error::InvalidArgument(format!(
            "{} does not apply to {} sockets",
            option.name(),
            self.socket_type
        )))
    }
}
