//! STREAM: plain TCP peers, no ZMTP. Each connection is a peer with a generated 5-byte
//! routing id (or the CONNECT_ROUTING_ID given for a connect); every message received is
//! `[id, bytes]`, where an empty `bytes` says the peer just connected or disconnected; a
//! message sent is `[id, bytes]`, and empty `bytes` closes that connection after what was
//! sent before it. Unknown ids fail with EHOSTUNREACH; a full peer with EAGAIN.

use bytes::Bytes;
use ringmq_transports::{Error, Msg};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;
use crate::routing::ids::RoutingIds;

#[derive(Debug)]
pub(crate) struct Stream {
    fq: FairQueue,
    ids: RoutingIds,
    /// Receiving: the data frame that follows the routing id just returned.
    prefetched: Option<Msg>,
    /// Sending: the routing id frame was taken; `Some` names the pipe the data goes to.
    sending_to: Option<Option<usize>>,
    connect_routing_id: Option<Bytes>,
    finished: Vec<usize>,
}

impl Stream {
    pub(crate) fn new() -> Self {
        Self {
            fq: FairQueue::default(),
            ids: RoutingIds::new(),
            prefetched: None,
            sending_to: None,
            connect_routing_id: None,
            finished: Vec::new(),
        }
    }

    fn unroute(&mut self, idx: usize) {
        self.ids.unroute(idx);
        if self.sending_to == Some(Some(idx)) {
            self.sending_to = Some(None);
        }
    }
}

impl SocketKind for Stream {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, origin: Origin) -> bool {
        let id = match origin {
            Origin::Connected => self.connect_routing_id.take(),
            Origin::Accepted => None,
        }
        .unwrap_or_else(|| self.ids.generate());
        self.ids.assign(idx, id);
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.unroute(idx);
        // The disconnect notification (and any data before it) is still to be read.
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, mut msg: Msg) -> Result<(), SendError> {
        let Some(target) = self.sending_to else {
            // The routing id frame.
            if !msg.more() {
                return Err(SendError::Fail(Error::InvalidArgument(
                    "a STREAM message is [routing id, data]: send the id with SNDMORE".into(),
                )));
            }
            let Some(idx) = self.ids.route(&msg) else {
                return Err(SendError::Fail(Error::HostUnreachable(format!(
                    "no STREAM peer with routing id {:?}",
                    Bytes::copy_from_slice(&msg)
                ))));
            };
            if !pipes.get(idx).pipe.writable_or_sleep() {
                return Err(SendError::WouldBlock(msg));
            }
            self.sending_to = Some(Some(idx));
            return Ok(());
        };
        // The data: raw bytes, so MORE means nothing here (as in libzmq).
        self.sending_to = None;
        msg.set_more(false);
        if let Some(idx) = target {
            let closing = msg.is_empty();
            let entry = pipes.get(idx);
            entry.pipe.write(msg);
            entry.pipe.flush();
            if closing {
                // The peer is gone for the application from now on.
                self.unroute(idx);
            }
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        if let Some(data) = self.prefetched.take() {
            return Ok(data);
        }
        let Some((idx, data)) = self.fq.recv(pipes) else {
            return Err(RecvError::WouldBlock);
        };
        let mut id = Msg::from(self.ids.id_of(idx)).with_more(true);
        id.copy_properties_from(&data);
        self.prefetched = Some(data.with_more(false));
        Ok(id)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Which peer a send goes to is only known from its id frame: like libzmq's STREAM,
        // report writable and let a full peer answer EAGAIN.
        true
    }

    fn take_finished(&mut self) -> Vec<usize> {
        for idx in self.fq.take_finished() {
            self.ids.remove(idx);
            self.finished.push(idx);
        }
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.unroute(idx);
        self.ids.remove(idx);
        self.fq.remove(idx);
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        match option {
            TypeOption::ConnectRoutingId(id) => {
                self.ids.check_connect_id(&id)?;
                self.connect_routing_id = Some(id);
                Ok(())
            }
            other => Err(Error::InvalidArgument(format!(
                "{} does not apply to STREAM sockets",
                other.name()
            ))),
        }
    }
}
