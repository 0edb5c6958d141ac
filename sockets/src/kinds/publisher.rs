//! PUB and XPUB (RFC 29): messages go to every subscriber whose subscriptions match a prefix
//! of the first frame, filtered here on the publisher's side; a subscriber at its high-water
//! mark misses messages (unless XPUB_NODROP). Subscriptions arrive on each pipe as
//! `\x01topic` / `\x00topic` messages (the connection turns ZMTP 3.1 SUBSCRIBE and CANCEL
//! commands into that form) and are applied as soon as the socket sees them. Each connection
//! starts with a frame marking it, so a connection replaced after a reconnect takes its
//! subscriptions with it.
//!
//! XPUB also hands subscriptions to the application: new ones and those whose last
//! subscriber left, or all of them with XPUB_VERBOSE / XPUB_VERBOSER; with XPUB_MANUAL it
//! applies none itself and the application subscribes the last peer that asked, through the
//! SUBSCRIBE option. Other messages from subscribers (an XSUB may send any) reach XPUB's
//! `recv`; PUB drops them.

use std::collections::VecDeque;

use bytes::Bytes;
use ringmq_transports::{Error, Msg, SocketType};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption, not_supported, write_control};
use crate::pipes::Pipes;
use crate::routing::dist::Distributor;
use crate::routing::trie::{PipeSet, PrefixTrie};

#[derive(Debug)]
pub(crate) struct Publisher {
    xpub: bool,
    dist: Distributor,
    subscriptions: PrefixTrie<PipeSet>,
    /// Frames waiting for XPUB's `recv`: subscription notices and upstream messages.
    pending: VecDeque<Msg>,
    verbose: bool,
    verboser: bool,
    nodrop: bool,
    manual: bool,
    invert: bool,
    welcome: Option<Bytes>,
    /// XPUB_MANUAL: the pipe whose subscription the application saw last.
    last_pipe: Option<usize>,
    finished: Vec<usize>,
}

/// A subscription message's parts: subscribe (or cancel), and the topic.
fn as_subscription(frame: &Msg) -> Option<(bool, &[u8])> {
    match frame.first() {
        Some(&flag @ (0 | 1)) => Some((flag == 1, &frame[1..])),
        _ => None,
    }
}

impl Publisher {
    pub(crate) fn new(xpub: bool) -> Self {
        Self {
            xpub,
            dist: Distributor::default(),
            subscriptions: PrefixTrie::default(),
            pending: VecDeque::new(),
            verbose: false,
            verboser: false,
            nodrop: false,
            manual: false,
            invert: false,
            welcome: None,
            last_pipe: None,
            finished: Vec::new(),
        }
    }

    fn socket_type(&self) -> SocketType {
        if self.xpub {
            SocketType::XPub
        } else {
            SocketType::Pub
        }
    }

    /// Reads everything the pipe holds, then waits for a Readable event.
    fn drain(&mut self, pipes: &mut Pipes, idx: usize) {
        while let Some(frames) = pipes.next_message(idx) {
            self.on_upstream(idx, frames);
        }
    }

    fn on_upstream(&mut self, idx: usize, mut frames: Vec<Msg>) {
        if frames[0].is_routing_id() {
            // A new connection on this pipe (after a reconnect): the subscriber there starts
            // afresh and sends its subscriptions again; the old ones are gone with the old
            // connection.
            self.drop_subscriptions_of(idx);
            return;
        }
        let Some((subscribe, topic)) = as_subscription(&frames[0]) else {
            if self.xpub {
                self.pending.extend(frames);
            }
            return;
        };
        let notify = if self.manual {
            self.last_pipe = Some(idx);
            true
        } else if subscribe {
            let first = self.subscriptions.update(topic, |pipes| {
                let was_empty = pipes.is_empty();
                pipes.insert(idx);
                was_empty
            });
            first || self.verbose || self.verboser
        } else {
            match self
                .subscriptions
                .update_existing(topic, |pipes| (pipes.remove(idx), pipes.len()))
            {
                Some((true, remaining)) => remaining == 0 || self.verboser,
                // Cancelling what was never subscribed: passed on, as libzmq does.
                _ => true,
            }
        };
        if self.xpub && notify {
            // Only the subscription frame: anything after it in the message is not part of it.
            frames.truncate(1);
            self.pending
                .push_back(frames.pop().expect("one frame").with_more(false));
        }
    }

    /// Forgets the pipe's subscriptions; XPUB learns of the prefixes nobody wants any more.
    fn drop_subscriptions_of(&mut self, idx: usize) {
        let (xpub, verboser) = (self.xpub, self.verboser);
        let pending = &mut self.pending;
        self.subscriptions.update_all(|prefix, pipes| {
            if pipes.remove(idx) && xpub && (pipes.is_empty() || verboser) {
                pending.push_back(Msg::subscription(false, prefix).with_more(false));
            }
        });
        if self.last_pipe == Some(idx) {
            self.last_pipe = None;
        }
    }

    fn manual_subscription(&mut self, subscribe: bool, topic: &[u8]) -> Result<(), Error> {
        if !self.manual {
            return Err(Error::InvalidArgument(format!(
                "{} on {} needs ZMQ_XPUB_MANUAL",
                if subscribe {
                    "ZMQ_SUBSCRIBE"
                } else {
                    "ZMQ_UNSUBSCRIBE"
                },
                self.socket_type()
            )));
        }
        // As libzmq: applies to the peer whose subscription was received last, if any.
        if let Some(idx) = self.last_pipe {
            if subscribe {
                self.subscriptions.update(topic, |pipes| pipes.insert(idx));
            } else {
                self.subscriptions
                    .update_existing(topic, |pipes| pipes.remove(idx));
            }
        }
        Ok(())
    }
}

impl SocketKind for Publisher {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.dist.attach(idx);
        if let Some(welcome) = &self.welcome {
            write_control(pipes, idx, Msg::from(welcome.clone()));
        }
        self.drain(pipes, idx);
        true
    }

    fn detached(&mut self, pipes: &mut Pipes, idx: usize) {
        self.drain(pipes, idx);
        self.forget(pipes, idx);
        self.finished.push(idx);
    }

    fn readable(&mut self, pipes: &mut Pipes, idx: usize) {
        self.drain(pipes, idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if !self.dist.in_message() {
            self.dist.begin_matching();
            let dist = &mut self.dist;
            self.subscriptions.for_each_prefix_of(&msg, |subscribers| {
                for idx in subscribers.iter() {
                    dist.mark(idx);
                }
            });
            if self.invert {
                self.dist.invert();
            }
        }
        self.dist
            .send(pipes, msg, !self.nodrop)
            .map_err(SendError::WouldBlock)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg, RecvError> {
        if !self.xpub {
            return Err(RecvError::Fail(not_supported(SocketType::Pub, "receive")));
        }
        self.pending.pop_front().ok_or(RecvError::WouldBlock)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        let _ = pipes;
        // Publishers drop at the high-water mark (XPUB_NODROP is checked at send).
        true
    }

    fn take_finished(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.dist.remove(idx);
        self.drop_subscriptions_of(idx);
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        match option {
            TypeOption::InvertMatching(on) => self.invert = on,
            TypeOption::XpubNodrop(on) => self.nodrop = on,
            TypeOption::XpubVerbose(on) if self.xpub => self.verbose = on,
            TypeOption::XpubVerboser(on) if self.xpub => self.verboser = on,
            TypeOption::XpubManual(on) if self.xpub => self.manual = on,
            TypeOption::XpubWelcomeMsg(msg) if self.xpub => {
                self.welcome = msg.filter(|m| !m.is_empty());
            }
            TypeOption::Subscribe(topic) if self.xpub => self.manual_subscription(true, &topic)?,
            TypeOption::Unsubscribe(topic) if self.xpub => self.manual_subscription(false, &topic)?,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "{} does not apply to {} sockets",
                    other.name(),
                    self.socket_type()
                )));
            }
        }
        Ok(())
    }
}
