//! Readiness flags (`PollEvents`, libzmq's ZMQ_POLLIN/POLLOUT/POLLERR): what a socket can do
//! without blocking. Shared by the socket, which answers them, and `poll`, which waits for
//! them; this module depends on neither.

use std::ops::{BitOr, BitOrAssign};

/// Poll events, with libzmq's values (`ZMQ_POLLIN` = 1, `ZMQ_POLLOUT` = 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PollEvents(u16);

impl PollEvents {
    /// Nothing.
    pub const NONE: PollEvents = PollEvents(0);
    /// ZMQ_POLLIN: a message can be received without blocking.
    pub const POLLIN: PollEvents = PollEvents(1);
    /// ZMQ_POLLOUT: a message can be sent without blocking.
    pub const POLLOUT: PollEvents = PollEvents(2);
    /// ZMQ_POLLERR: an error condition on a polled file descriptor.
    pub const POLLERR: PollEvents = PollEvents(4);

    /// `true` if every event in `other` is set.
    pub fn contains(self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// `true` if no event is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for PollEvents {
    type Output = PollEvents;
    fn bitor(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 | rhs.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, rhs: PollEvents) {
        self.0 |= rhs.0;
    }
}
