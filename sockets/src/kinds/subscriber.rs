//! SUB and XSUB (RFC 29): fair-queue incoming messages, keeping those whose first frame
//! starts with a subscribed prefix (publishers filter too; this also covers messages sent
//! before a cancellation reached them). Subscriptions are counted per prefix and sent to
//! every publisher, again to each new one and after each reconnect.
//!
//! SUB subscribes through the SUBSCRIBE / UNSUBSCRIBE options; XSUB through messages it sends
//! (`\x01topic`, `\x00topic`), and passes any other message it is given to all publishers.

use ringmq_transports::{Error, Msg, SocketType};

use super::{Origin, RecvError, SendError, SocketKind, TypeOption, not_supported, write_control};
use crate::pipes::Pipes;
use crate::routing::fq::FairQueue;
use crate::routing::trie::PrefixTrie;

#[derive(Debug)]
pub(crate) struct Subscriber {
    xsub: bool,
    fq: FairQueue,
    /// Every publisher pipe (subscriptions go to all).
    publishers: Vec<usize>,
    /// How many times each prefix is subscribed.
    subscriptions: PrefixTrie<u32>,
    invert: bool,
    /// Receiving: inside a message that matched.
    more_in: bool,
    /// Sending (XSUB): inside an upstream message.
    more_out: bool,
    finished: Vec<usize>,
}

impl Subscriber {
    pub(crate) fn new(xsub: bool) -> Self {
        Self {
            xsub,
            fq: FairQueue::default(),
            publishers: Vec::new(),
            subscriptions: PrefixTrie::default(),
            invert: false,
            more_in: false,
            more_out: false,
            finished: Vec::new(),
        }
    }

    fn socket_type(&self) -> SocketType {
        if self.xsub {
            SocketType::XSub
        } else {
            SocketType::Sub
        }
    }

    fn send_all_subscriptions(&self, pipes: &mut Pipes, idx: usize) {
        self.subscriptions.for_each(|prefix, _| {
            write_control(pipes, idx, Msg::subscription(true, prefix));
        });
    }

    /// Counts a subscription or cancellation and tells the publishers when it changes what
    /// they must send: every subscription (XPUB_VERBOSE peers want to see repeats), and a
    /// cancellation only once nothing is left of the prefix.
    fn subscribe(&mut self, pipes: &mut Pipes, subscribe: bool, topic: &[u8]) {
        let forward = if subscribe {
            self.subscriptions.update(topic, |count| *count += 1);
            true
        } else {
            self.subscriptions
                .update_existing(topic, |count| {
                    *count -= 1;
                    *count == 0
                })
                .unwrap_or(false)
        };
        if forward {
            for &idx in &self.publishers {
                write_control(pipes, idx, Msg::subscription(subscribe, topic));
            }
        }
    }

    fn wanted(&self, first_frame: &[u8]) -> bool {
        self.subscriptions.matches(first_frame) != self.invert
    }
}

impl SocketKind for Subscriber {
    fn attach(&mut self, pipes: &mut Pipes, idx: usize, _origin: Origin) -> bool {
        self.fq.attach(idx);
        self.publishers.push(idx);
        self.send_all_subscriptions(pipes, idx);
        true
    }

    fn reconnected(&mut self, pipes: &mut Pipes, idx: usize) {
        // The publisher on the other end of the new connection knows nothing of us yet.
        self.send_all_subscriptions(pipes, idx);
    }

    fn detached(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.publishers.retain(|&p| p != idx);
        self.fq.activate(idx);
    }

    fn readable(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.fq.activate(idx);
    }

    fn writable(&mut self, _pipes: &mut Pipes, _idx: usize) {}

    fn send(&mut self, pipes: &mut Pipes, msg: Msg) -> Result<(), SendError> {
        if !self.xsub {
            return Err(SendError::Fail(not_supported(SocketType::Sub, "send")));
        }
        if !self.more_out && !msg.more() {
            if let Some(&flag @ (0 | 1)) = msg.first() {
                self.subscribe(pipes, flag == 1, &msg[1..]);
                return Ok(());
            }
        }
        // Any other message goes upstream to every publisher, whole.
        self.more_out = msg.more();
        for &idx in &self.publishers {
            let entry = pipes.get(idx);
            if !entry.detached {
                entry.pipe.write(msg.clone());
                if !msg.more() {
                    entry.pipe.flush();
                }
            }
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg, RecvError> {
        loop {
            let Some((_, msg)) = self.fq.recv(pipes) else {
                self.finished.extend(self.fq.take_finished());
                return Err(RecvError::WouldBlock);
            };
            if self.more_in || self.wanted(&msg) {
                self.more_in = msg.more();
                return Ok(msg);
            }
            // Not subscribed: drop the whole message.
            let mut more = msg.more();
            while more {
                let (_, rest) = self.fq.recv(pipes).expect("messages are published whole");
                more = rest.more();
            }
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        let _ = pipes;
        self.xsub
    }

    fn take_finished(&mut self) -> Vec<usize> {
        self.finished.extend(self.fq.take_finished());
        std::mem::take(&mut self.finished)
    }

    fn forget(&mut self, _pipes: &mut Pipes, idx: usize) {
        self.publishers.retain(|&p| p != idx);
        self.fq.remove(idx);
    }

    fn set_option(&mut self, pipes: &mut Pipes, option: TypeOption) -> Result<(), Error> {
        match option {
            TypeOption::Subscribe(topic) if !self.xsub => self.subscribe(pipes, true, &topic),
            TypeOption::Unsubscribe(topic) if !self.xsub => self.subscribe(pipes, false, &topic),
            TypeOption::InvertMatching(on) => self.invert = on,
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
