//! The limits a peer cannot move. Each one bounds a buffer that a peer's bytes fill, so
//! that what one connection can make us hold is a number, not a function of the peer's
//! patience.
//!
//! Message frames are bounded by MAXMSGSIZE (the application's choice, unlimited by
//! default as in libzmq) and their count by RCVHWM; everything else is bounded here.

/// Largest command frame accepted, in the handshake and after it: READY and its metadata,
/// ERROR, PING, PONG, SUBSCRIBE, CANCEL, JOIN, LEAVE and commands ringmq does not know
/// (which are read and ignored). A SUBSCRIBE's topic may therefore be at most
/// `MAX_COMMAND_SIZE - 10` octets; a longer subscription travels as a subscription message,
/// which only MAXMSGSIZE bounds. A larger command closes the connection as soon as its size
/// is read, before any of its body is buffered.
pub const MAX_COMMAND_SIZE: u64 = 64 * 1024;

/// Most metadata properties accepted in one READY. Together with [`MAX_COMMAND_SIZE`] this
/// bounds what one peer's metadata costs (at most this many names, and values that share
/// the command's one buffer).
pub const MAX_PROPERTIES: usize = 256;

/// Longest `Identity` property (RFC 23 and RFC 37: 0 to 255 octets).
pub const MAX_IDENTITY_LEN: usize = 255;

/// Longest PING context echoed in a PONG (RFC 37: up to 16 octets; longer contexts are cut,
/// as libzmq cuts them).
pub const MAX_PING_CONTEXT: usize = 16;

/// Longest ERROR reason (the reason's size is one octet).
pub const MAX_ERROR_REASON: usize = 255;
