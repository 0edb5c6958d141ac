//! A ringmq PULL under attack, with a well-behaved libzmq PUSH attached to show that its
//! service goes on: every check sends numbered multipart messages and expects each one whole
//! and in order.

use ringmq::{Socket, SocketType};

use super::{context, pattern, recv_parts, ringmq_socket, zmq_socket};

/// The victim socket and its good peer.
pub struct Victim {
    _zctx: zmq::Context,
    pub pull: Socket,
    good: zmq::Socket,
    next: u32,
    // Dropped last: the sockets above belong to it.
    _ctx: ringmq::Context,
}

impl Victim {
    /// A bound PULL, set up by `configure` before the bind, with its good peer connected
    /// and served once.
    pub fn new(configure: impl FnOnce(&mut Socket)) -> Self {
        let ctx = context();
        let zctx = zmq::Context::new();
        let mut pull = ringmq_socket(&ctx, SocketType::Pull);
        configure(&mut pull);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let good = zmq_socket(&zctx, zmq::PUSH);
        good.connect(&pull.last_endpoint()).unwrap();
        let mut victim = Self {
            _zctx: zctx,
            pull,
            good,
            next: 0,
            _ctx: ctx,
        };
        victim.check_service();
        victim
    }

    pub fn endpoint(&self) -> String {
        self.pull.last_endpoint()
    }

    /// A few multipart messages from the good peer arrive whole and in order.
    pub fn check_service(&mut self) {
        for _ in 0..5 {
            let i = self.next;
            self.next += 1;
            self.good
                .send_multipart([i.to_be_bytes().to_vec(), pattern(100, u64::from(i))], 0)
                .unwrap();
            assert_eq!(
                recv_parts(&mut self.pull),
                vec![i.to_be_bytes().to_vec(), pattern(100, u64::from(i))]
            );
        }
    }

    /// What the victim's connections hold besides queued messages, read on its shard.
    pub fn buffered(&mut self) -> usize {
        self.pull.buffered_bytes().expect("buffered_bytes")
    }

    /// Asserts the victim holds at most `bound` octets for its connections.
    pub fn assert_buffered_at_most(&mut self, bound: usize, case: &str) {
        let held = self.buffered();
        assert!(
            held <= bound,
            "{case}: the victim holds {held} octets, above the bound of {bound}"
        );
    }
}
