//! RADIO and DISH (RFC 48, draft): group-addressed fan-out. A message is a group (up to 255
//! octets, no zero octet) and a single-part body, carried as two frames `[group, body]`
//! exactly as ZMTP puts them on the wire. A DISH joins groups (JOIN / LEAVE commands to its
//! radios); a RADIO sends each message only to the dishes that joined its group (exact
//! match), drops it for a full dish and never blocks.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use ringmq_transports::{Error, Msg, SocketType};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption, not_supported, write_control};
use crate::pipes::Pipes;
use crate::routing::dist::Distributor;
use crate::routing::fq::FairQueue;
use crate::routing::trie::PipeSet;

/// Checks a group name against RFC 48.
pub(crate) fn check_group(group: &[u8]) -> Result<(), Error> {
    if group.len() > 255 || group.contains(&0) {
        return Err(Error::InvalidArgument(format!(
            "a group is at most 255 octets, none of them zero; got {} octets",
            group.len()
        )));
    }
    Ok(())
}

#[derive(Debug, Default)]
pub(crate) struct Radio {
    dist: Distributor,
    groups: HashMap<Bytes, PipeSet>,
    /// udp:// pipes: no JOIN travels over UDP, so they get every group (the DISH filters).
    every_group: Vec<usize>,
    finished: Vec<usize>,
}

impl Radio {
    /// Reads the joins and leaves a dish sent; anything else from a dish is discarded.
    fn drain(&mut self, pipes: &mut Pipes, idx: usize) {
        while let Some(frames) = pipes.next_message(idx) {
            // Only a message's first frame says anything to a RADIO.
            let frame = &frames[0];
            if frame.is_routing_id() {
                // A new connection on this pipe: its dish joins afresh.
                self.leave_all(idx);
                continue;
            }
            match frame.first() {
                Some(1) => {
                    self.groups
                        .entry(Bytes::copy_from_slice(&frame[1..]))
                        .or_default()
                        .insert(idx);
                }
                Some(0) => {
                    if let Some(set) = self.groups.get_mut(&frame[1..]) {
                        set.remove(idx);
                        if set.is_empty() {
                            self.groups.remove(&frame[1..]);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn leave_all(&mut self, idx: usize) {
        self.groups.retain(|_, set| {
            set.remove(idx);
            !set.is_empty()
        });
    }
}

impl SocketKind for Radio {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.dist.attach(idx);
        if pipes
            .get(idx)
            .pipe
            .origin()
            .is_some_and(|o| o.starts_with("udp://"))
        {
            self.every_group.push(idx);
        }
        self.drain(pipes, idx);
        true
    }

    fn detached(&mut self, pipes: &mut Pipes, idx: usize) {
        self.forget(pipes, idx);
        self.finished.push(idx);
    }

    fn readable(&mut self, pipes: &mut Pipes, idx: usize) {
        self.drain(pipes, idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if !self.dist.in_message() {
            if !msg.more() {
                return Err(SendError::Fail(Error::InvalidArgument(
                    "a RADIO message is [group, body]: send the group with SNDMORE (or use send_group)"
                        .into(),
                )));
            }
            check_group(&msg).map_err(SendError::Fail)?;
            self.dist.begin_matching();
            if let Some(set) = self.groups.get(msg.as_bytes()) {
                for idx in set.iter() {
                    self.dist.mark(idx);
                }
            }
            for &idx in &self.every_group {
                self.dist.mark(idx);
            }
            // Lossy: never blocks (RFC 48).
            let sent = self.dist.send(pipes, msg, true);
            debug_assert!(sent.is_ok());
            return Ok(());
        }
        if msg.more() {
            return Err(SendError::Fail(Error::InvalidArgument(
                "a RADIO message body is a single frame: no SNDMORE after the group".into(),
            )));
        }
        let sent = self.dist.send(pipes, msg, true);
        debug_assert!(sent.is_ok());
        Ok(())
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg, RecvError> {
        Err(RecvError::Fail(not_supported(SocketType::Radio, "receive")))
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn take_finished(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.dist.remove(idx);
        self.every_group.retain(|&p| p != idx);
        self.leave_all(idx);
    }
}

#[derive(Debug, Default)]
pub(crate) struct Dish {
    fq: FairQueue,
    radios: Vec<usize>,
    joined: HashSet<Bytes>,
    /// Receiving: the body of the message whose group was just returned.
    pending_body: Option<Msg>,
    finished: Vec<usize>,
}

impl Dish {
    fn join_all(&self, pipes: &mut Pipes, idx: usize) {
        for group in &self.joined {
            write_control(pipes, idx, Msg::subscription(true, group));
        }
    }
}

impl SocketKind for Dish {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.fq.attach(idx);
        self.radios.push(idx);
        self.join_all(pipes, idx);
        true
    }

    fn reconnected(&mut self, pipes: &mut Pipes, idx: usize) {
        self.join_all(pipes, idx);
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.radios.retain(|&p| p != idx);
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, _pipes: &mut Pipes, _msg: Msg) -> Result<(), SendError> {
        Err(SendError::Fail(not_supported(SocketType::Dish, "send")))
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        if let Some(body) = self.pending_body.take() {
            return Ok(body);
        }
        loop {
            let Some((_, group)) = self.fq.recv(pipes) else {
                self.finished.extend(self.fq.take_finished());
                return Err(RecvError::WouldBlock);
            };
            // A well-formed message is [group, body], for a joined group (the radio filters
            // too; this also covers messages sent before a LEAVE reached it).
            let mut more = group.more();
            if more && self.joined.contains(group.as_bytes()) {
                let (_, body) = self.fq.recv(pipes).expect("messages are published whole");
                if !body.more() {
                    self.pending_body = Some(body);
                    return Ok(group);
                }
                more = true;
            }
            // Malformed or not joined: drop the rest of the message.
            while more {
                more = self
                    .fq
                    .recv(pipes)
                    .expect("messages are published whole")
                    .1
                    .more();
            }
        }
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.finished.extend(self.fq.take_finished());
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.radios.retain(|&p| p != idx);
        self.fq.remove(idx);
    }

    fn set_option(&mut self, pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        let (join, group) = match option {
            TypeOption::Join(group) => (true, group),
            TypeOption::Leave(group) => (false, group),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "{} does not apply to DISH sockets",
                    other.name()
                )));
            }
        };
        check_group(&group)?;
        // As libzmq: joining twice, or leaving a group not joined, is EINVAL.
        let changed = if join {
            self.joined.insert(group.clone())
        } else {
            self.joined.remove(&group)
        };
        if !changed {
            return Err(Error::InvalidArgument(format!(
                "{} {group:?}: {}",
                if join { "join" } else { "leave" },
                if join { "already joined" } else { "not joined" }
            )));
        }
        for &idx in &self.radios {
            write_control(pipes, idx, Msg::subscription(join, &group));
        }
        Ok(())
    }
}
