//! SERVER (RFC 41, draft) and PEER (RFC 51, draft): SERVER talks to CLIENT peers, PEER to
//! other PEERs (and may connect to them, learning the routing id at once). Each peer gets a non-zero 32-bit routing id
//! that the socket chooses (peers cannot pick their own); a received message carries its
//! sender's id in [`Msg::routing_id`], and a message to send names its peer the same way.
//! Single-part messages only. Sending to an unknown peer fails with EHOSTUNREACH; to a full
//! one it blocks (or EAGAIN).

use std::collections::HashMap;

use ringmq_transports::{Error, Msg, SocketType};

use super::single_part::multipart_refused;
use super::{Origin, RecvError, SendError, SocketKind};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;

#[derive(Debug)]
pub(crate) struct Server {
    socket_type: SocketType,
    fq: FairQueue,
    by_id: HashMap<u32, usize>,
    ids: HashMap<usize, u32>,
    next_id: u32,
    finished: Vec<usize>,
}

impl Server {
    pub(crate) fn new(socket_type: SocketType) -> Self {
        // Like libzmq, ids start at a random value, so they differ between runs.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1);
        Self {
            socket_type,
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            next_id: seed,
            finished: Vec::new(),
        }
    }

    fn new_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = id.wrapping_add(1);
            if id != 0 && !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    fn unroute(&mut self, idx: usize) {
        if let Some(id) = self.ids.get(&idx) {
            self.by_id.remove(id);
        }
    }
}

impl SocketKind for Server {
    fn attach(&mut self, _pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        let id = self.new_id();
        self.by_id.insert(id, idx);
        self.ids.insert(idx, id);
        self.fq.attach(idx);
        true
    }

    fn detached(&mut self, pipes: &mut Pipes, idx: usize) {
        // RFC 41: the peer's queue is destroyed with what it holds.
        self.forget(pipes, idx);
        self.finished.push(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if msg.more() {
            return Err(SendError::Fail(multipart_refused(self.socket_type)));
        }
        let Some(&idx) = self.by_id.get(&msg.routing_id()) else {
            return Err(SendError::Fail(Error::HostUnreachable(format!(
                "no peer with routing id {} on this {}",
                msg.routing_id(),
                self.socket_type
            ))));
        };
        let p = &mut pipes.get(idx).pipe;
        if !p.writable_or_sleep() {
            return Err(SendError::WouldBlock(msg));
        }
        p.write(msg.with_routing_id(0));
        p.flush();
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        loop {
            let Some((idx, msg)) = self.fq.recv(pipes) else {
                return Err(RecvError::WouldBlock);
            };
            if msg.more() {
                // Multipart: not allowed by RFC 41; drop the whole message.
                while self.fq.recv(pipes).is_some_and(|(_, m)| m.more()) {}
                continue;
            }
            let id = self.ids.get(&idx).copied().unwrap_or(0);
            return Ok(msg.with_routing_id(id));
        }
    }

    fn routing_id_of(&self, idx: usize) -> Option<u32> {
        self.ids.get(&idx).copied()
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // The peer is named by the message: report writable and let a full one block.
        true
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.finished.extend(self.fq.take_finished());
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.unroute(idx);
        self.ids.remove(&idx);
        self.fq.remove(idx);
    }
}
