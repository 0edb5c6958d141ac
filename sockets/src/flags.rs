//! Flags for `send` and `recv`, with libzmq's names.

use std::ops::{BitOr, BitOrAssign};

/// Flags for [`Socket::send`](crate::Socket::send) and [`Socket::recv`](crate::Socket::recv).
///
/// ```
/// use ringmq_sockets::Flags;
/// let f = Flags::DONTWAIT | Flags::SNDMORE;
/// assert!(f.contains(Flags::DONTWAIT) && f.contains(Flags::SNDMORE));
/// assert!(!Flags::NONE.contains(Flags::DONTWAIT));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u32);

impl Flags {
    /// No flags: block (up to SNDTIMEO/RCVTIMEO) and send a final frame.
    pub const NONE: Flags = Flags(0);
    /// ZMQ_DONTWAIT: fail with EAGAIN instead of blocking.
    pub const DONTWAIT: Flags = Flags(1);
    /// ZMQ_SNDMORE: more frames of this message follow.
    pub const SNDMORE: Flags = Flags(2);

    /// `true` if every flag in `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}
