//! The ZMTP 3.1 codec (RFC 37, accepting RFC 23's 3.0 peers) as a sans-IO state machine.
//!
//! Nothing here does I/O or reads a clock: bytes and `now` go in, events, control bytes and
//! timer deadlines come out ([`Connection`]); outgoing messages are framed into a
//! [`WriteBatch`], a description of the bytes to write that the driver turns into one
//! `sendmsg`. That keeps the protocol unit-testable on byte vectors and fuzzable without
//! sockets, and lets the same codec run under any driver (a shard's io_uring today).

mod batch;
mod body_pool;
mod command;
mod connection;
#[cfg(test)]
mod curve_tests;
mod frame;
mod greeting;
pub mod limits;
mod mechanism;
mod owed;
#[cfg(test)]
mod test_support;

pub use batch::WriteBatch;
pub use body_pool::{BodyPool, SHARD_SPARE_BUDGET};
pub use command::{Command, Metadata, encode_command, split_command};
pub use connection::{Connection, Event, PeerInfo, ProtocolError, ZapFault, ZmtpConfig};
pub use frame::{BodyLoan, DecodedFrame, FrameDecoder, WholeFrame, encode_frame_header};
pub use greeting::{GREETING_LEN, Greeting, our_greeting};
pub use mechanism::{AuthRequest, Security, Verdict, ZapSettings};
pub use owed::MAX_OWED_OCTETS;

/// Frame flag: more frames of this message follow.
pub const FLAG_MORE: u8 = 0x01;
/// Frame flag: the size field is 8 octets.
pub const FLAG_LONG: u8 = 0x02;
/// Frame flag: the frame is a command.
pub const FLAG_COMMAND: u8 = 0x04;
