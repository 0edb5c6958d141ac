//! The one error type of ringmq's public API. Every variant maps to the errno a libzmq user
//! knows ([`Error::errno`]) and carries a message naming the endpoint, option or state at fault.

use std::fmt;
use std::io;

/// An error from a ringmq call.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// EAGAIN: the operation would block (DONTWAIT, or SNDTIMEO/RCVTIMEO elapsed).
    Again,
    /// ETERM: the context was terminated.
    Terminated,
    /// EFSM: the socket's state machine does not allow this call now (for example a REQ that
    /// sends twice without receiving).
    InvalidState(&'static str),
    /// EHOSTUNREACH: the message cannot be routed to its destination.
    HostUnreachable(String),
    /// EINVAL: an argument is invalid (endpoint, option value, flags).
    InvalidArgument(String),
    /// EPROTONOSUPPORT: the transport in an endpoint is not supported.
    ProtocolNotSupported(String),
    /// ENOTSUP: the operation is not supported by this socket type.
    NotSupported(String),
    /// EADDRINUSE: the address is already bound.
    AddrInUse(String),
    /// EADDRNOTAVAIL: the address is not local, or was never bound/connected on this socket.
    AddrNotAvailable(String),
    /// ENODEV: an interface name in an endpoint does not exist.
    NoDevice(String),
    /// ENOENT: no such endpoint to unbind or disconnect.
    NotFound(String),
    /// EMSGSIZE: a message exceeds a size limit.
    MessageTooLarge(String),
    /// EINTR: interrupted.
    Interrupted,
    /// Any other operating-system error, with what was being done.
    Io {
        /// What ringmq was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The errno value libzmq would report for this error.
    pub fn errno(&self) -> i32 {
        match self {
            Error::Again => libc::EAGAIN,
            Error::Terminated => ETERM,
            Error::InvalidState(_) => EFSM,
            Error::HostUnreachable(_) => libc::EHOSTUNREACH,
            Error::InvalidArgument(_) => libc::EINVAL,
            Error::ProtocolNotSupported(_) => libc::EPROTONOSUPPORT,
            Error::NotSupported(_) => libc::ENOTSUP,
            Error::AddrInUse(_) => libc::EADDRINUSE,
            Error::AddrNotAvailable(_) => libc::EADDRNOTAVAIL,
            Error::NoDevice(_) => libc::ENODEV,
            Error::NotFound(_) => libc::ENOENT,
            Error::MessageTooLarge(_) => libc::EMSGSIZE,
            Error::Interrupted => libc::EINTR,
            Error::Io { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
        }
    }

    /// Wraps an OS error with a description of what was being done, mapping the errno values
    /// libzmq reports as such to their own variants.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        let context = context.into();
        match source.raw_os_error() {
            Some(libc::EADDRINUSE) => Error::AddrInUse(format!("{context}: {source}")),
            Some(libc::EADDRNOTAVAIL) => Error::AddrNotAvailable(format!("{context}: {source}")),
            Some(libc::ENODEV) => Error::NoDevice(format!("{context}: {source}")),
            Some(libc::EINTR) => Error::Interrupted,
            _ => Error::Io { context, source },
        }
    }
}

/// libzmq's ETERM (ZMQ_HAUSNUMERO + 53).
pub const ETERM: i32 = 156_384_765;
/// libzmq's EFSM (ZMQ_HAUSNUMERO + 51).
pub const EFSM: i32 = 156_384_763;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Again => f.write_str("resource temporarily unavailable (EAGAIN)"),
            Error::Terminated => f.write_str("context was terminated (ETERM)"),
            Error::InvalidState(what) => {
                write!(f, "operation not allowed in the current state: {what} (EFSM)")
            }
            Error::HostUnreachable(what) => write!(f, "host unreachable: {what} (EHOSTUNREACH)"),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what} (EINVAL)"),
            Error::ProtocolNotSupported(what) => {
                write!(f, "protocol not supported: {what} (EPROTONOSUPPORT)")
            }
            Error::NotSupported(what) => write!(f, "operation not supported: {what} (ENOTSUP)"),
            Error::AddrInUse(what) => write!(f, "address already in use: {what} (EADDRINUSE)"),
            Error::AddrNotAvailable(what) => write!(f, "address not available: {what} (EADDRNOTAVAIL)"),
            Error::NoDevice(what) => write!(f, "no such device: {what} (ENODEV)"),
            Error::NotFound(what) => write!(f, "not found: {what} (ENOENT)"),
            Error::MessageTooLarge(what) => write!(f, "message too large: {what} (EMSGSIZE)"),
            Error::Interrupted => f.write_str("interrupted (EINTR)"),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_libzmq_event_values() {
        assert_eq!(Error::Again.errno(), libc::EAGAIN);
        assert_eq!(Error::Terminated.errno(), 156_384_765);
        assert_eq!(Error::InvalidState("x").errno(), 156_384_763);
        let e = Error::io(
            "bind tcp://127.0.0.1:1",
            io::Error::from_raw_os_error(libc::EADDRINUSE),
        );
        assert_eq!(e.errno(), libc::EADDRINUSE);
        assert!(e.to_string().contains("tcp://127.0.0.1:1"), "{e}");
    }
}
