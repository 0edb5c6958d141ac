//! ROUTER (RFC 28): every message received is prefixed with a frame naming the peer it came
//! from (its routing id), and every message sent starts with the routing id of the peer it
//! goes to. A peer's routing id is the `Identity` it announced, or a generated 5-byte id
//! (`0x00` and a 32-bit counter, like libzmq's), or the CONNECT_ROUTING_ID given for the
//! connection. Unroutable messages are dropped, or fail with EHOSTUNREACH under
//! ROUTER_MANDATORY, which also turns a full peer into EAGAIN (blocking) instead of a drop.
//!
//! A pipe is "anonymous" until its routing id is known: the connection puts the id first in
//! the pipe when the handshake completes, and the router reads it before anything else.

use std::collections::HashSet;

use bytes::Bytes;
use ringmq_transports::{Error, Msg};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption, write_control};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;
use crate::routing::ids::RoutingIds;

#[derive(Debug)]
pub(crate) struct Router {
    fq: FairQueue,
    /// Pipes whose routing id is not known yet.
    anonymous: HashSet<usize>,
    ids: RoutingIds,
    /// Receiving: the frame that follows the routing id just returned.
    prefetched: Option<Msg>,
    /// Receiving: inside a message (its routing id was returned).
    more_in: bool,
    /// Sending: inside a message (its routing id frame was taken).
    more_out: bool,
    /// Sending: where the current message goes (`None` = dropping it).
    current_out: Option<usize>,
    mandatory: bool,
    handover: bool,
    probe_router: bool,
    /// CONNECT_ROUTING_ID for the next connect.
    connect_routing_id: Option<Bytes>,
    finished: Vec<usize>,
}

impl Router {
    pub(crate) fn new() -> Self {
        Self {
            fq: FairQueue::default(),
            anonymous: HashSet::new(),
            ids: RoutingIds::new(),
            prefetched: None,
            more_in: false,
            more_out: false,
            current_out: None,
            mandatory: false,
            handover: false,
            probe_router: false,
            connect_routing_id: None,
            finished: Vec::new(),
        }
    }

    /// Gives the pipe its routing id if the id has arrived; `true` when identified.
    fn identify(&mut self, pipes: &mut Pipes, idx: usize) -> bool {
        let entry = pipes.get(idx);
        let frame = loop {
            match entry.pipe.read() {
                Some(frame) => break frame,
                None if entry.detached => {
                    // Gone before it said who it is.
                    self.anonymous.remove(&idx);
                    self.finished.push(idx);
                    return false;
                }
                None => {
                    if entry.pipe.sleep_reader() {
                        return false;
                    }
                }
            }
        };
        entry.pipe.release();
        let id = if frame.is_routing_id() && !frame.is_empty() {
            frame.into_bytes()
        } else {
            self.ids.generate()
        };
        if let Some(holder) = self.ids.route(&id) {
            if !self.handover {
                // libzmq ignores a second peer with an id in use; we close it.
                self.anonymous.remove(&idx);
                self.finished.push(idx);
                return false;
            }
            // The new connection takes the id over; the old one is closed.
            let renamed = self.ids.generate();
            self.ids.assign(holder, renamed);
            self.close_pipe(pipes, holder);
        }
        self.ids.assign(idx, id);
        self.anonymous.remove(&idx);
        self.fq.attach(idx);
        true
    }

    /// Nothing can be sent to the pipe any more; what it sent still carries its id.
    fn unroute(&mut self, idx: usize) {
        self.ids.unroute(idx);
        if self.current_out == Some(idx) {
            self.current_out = None;
        }
    }

    fn close_pipe(&mut self, pipes: &mut Pipes, idx: usize) {
        self.forget(pipes, idx);
        self.finished.push(idx);
    }
}

impl SocketKind for Router {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, origin: Origin) -> bool {
        if self.probe_router {
            write_control(pipes, idx, Msg::new());
        }
        let alias = match origin {
            Origin::Connected => self.connect_routing_id.take(),
            Origin::Accepted => None,
        };
        match alias {
            Some(id) => {
                // The alias is this pipe's name here; the id the peer announces is skipped.
                self.ids.assign(idx, id);
                self.fq.attach(idx);
            }
            None => {
                self.anonymous.insert(idx);
                self.identify(pipes, idx);
            }
        }
        true
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        // Messages to it are unroutable from now on; what it sent is still read.
        self.unroute(idx);
        if self.anonymous.remove(&idx) {
            self.finished.push(idx);
        } else {
            self.fq.activate(idx);
        }
    }

    fn readable(&mut self, pipes: &mut Pipes, idx: usize) {
        if self.anonymous.contains(&idx) {
            self.identify(pipes, idx);
        } else {
            self.fq.activate(idx);
        }
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if !self.more_out {
            // The routing id frame: pick the pipe. A lone id frame is consumed and dropped.
            if !msg.more() {
                return Ok(());
            }
            self.current_out = None;
            match self.ids.route(&msg) {
                Some(idx) => {
                    let p = &mut pipes.get(idx).pipe;
                    if self.mandatory {
                        if !p.writable_or_sleep() {
                            return Err(SendError::WouldBlock(msg));
                        }
                        self.current_out = Some(idx);
                    } else if p.can_write() {
                        self.current_out = Some(idx);
                    } else {
                        pipes.count_hwm_drop();
                    }
                }
                None if self.mandatory => {
                    return Err(SendError::Fail(Error::HostUnreachable(format!(
                        "no peer with routing id {:?}",
                        Bytes::copy_from_slice(&msg)
                    ))));
                }
                None => {}
            }
            self.more_out = true;
            return Ok(());
        }
        self.more_out = msg.more();
        if let Some(idx) = self.current_out {
            let p = &mut pipes.get(idx).pipe;
            let more = msg.more();
            p.write(msg);
            if !more {
                p.flush();
                self.current_out = None;
            }
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        if let Some(msg) = self.prefetched.take() {
            self.more_in = msg.more();
            return Ok(msg);
        }
        loop {
            let Some((idx, msg)) = self.fq.recv(pipes) else {
                return Err(RecvError::WouldBlock);
            };
            if self.more_in {
                self.more_in = msg.more();
                return Ok(msg);
            }
            if msg.is_routing_id() {
                // The peer reconnected and announced itself again: its id stays as it was.
                continue;
            }
            let mut id = Msg::from(self.ids.id_of(idx)).with_more(true);
            id.copy_properties_from(&msg);
            self.prefetched = Some(msg);
            self.more_in = true;
            return Ok(id);
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        let _ = pipes;
        // Unroutable or full peers drop (or fail with MANDATORY): a send never waits, as in
        // libzmq's ROUTER.
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
        self.anonymous.remove(&idx);
        self.fq.remove(idx);
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        match option {
            TypeOption::RouterMandatory(on) => self.mandatory = on,
            TypeOption::RouterHandover(on) => self.handover = on,
            TypeOption::ProbeRouter(on) => self.probe_router = on,
            TypeOption::ConnectRoutingId(id) => {
                self.ids.check_connect_id(&id)?;
                self.connect_routing_id = Some(id);
            }
            other => {
                return Err(Error::InvalidArgument(format!(
                    "{} does not apply to ROUTER sockets",
                    other.name()
                )));
            }
        }
        Ok(())
    }
}
