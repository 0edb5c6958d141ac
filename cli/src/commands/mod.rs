//! One module per subcommand.

pub mod keygen;
pub mod monitor;
pub mod proxy;
pub mod recv;
pub mod send;

use ringmq::Error;

use crate::error::CliError;

/// A send or receive error as the command reports it: EAGAIN after `--timeout` is a
/// timeout.
fn timed_out_or(e: Error, timeout: Option<i32>) -> CliError {
    match (e, timeout) {
        (Error::Again, Some(ms)) => CliError::TimedOut(ms),
        (e, _) => CliError::Ringmq(e),
    }
}
