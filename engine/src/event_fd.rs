//! A wake-up that is a file descriptor: an eventfd that becomes readable when woken, for
//! waiting on sockets and other descriptors together (`poll` over raw descriptors, a
//! socket's ZMQ_FD in the application's own epoll or io_uring loop).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::parker::Wake;

/// See the module documentation.
#[derive(Debug)]
pub struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// A new, non-blocking eventfd, not readable until woken.
    pub fn new() -> io::Result<Self> {
        // SAFETY: eventfd() has no memory preconditions.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self { fd })
    }

    /// Makes it unreadable again (until the next wake-up); `true` if it had been woken.
    pub fn reset(&self) -> bool {
        let mut count = 0u64;
        // SAFETY: reads 8 bytes into `count`, as eventfd requires.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
        n == 8
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Wake for EventFd {
    fn wake(&self) {
        let one = 1u64;
        // SAFETY: writes 8 bytes from `one`, as eventfd requires. A full counter (EAGAIN)
        // means it is readable already, which is all a wake-up has to achieve.
        unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_after_a_wake_up_until_reset() {
        let e = EventFd::new().unwrap();
        assert!(!e.reset(), "not woken yet");
        e.wake();
        e.wake();
        assert!(e.reset());
        assert!(!e.reset(), "one reset clears every wake-up");
    }
}
