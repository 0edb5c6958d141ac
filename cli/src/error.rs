//! What can make a `ringmq` command fail.

use std::fmt;

/// A failed command: its message goes to stderr and the exit status is 1.
#[derive(Debug)]
pub enum CliError {
    /// A ringmq call failed.
    Ringmq(ringmq::Error),
    /// Reading standard input or writing standard output failed.
    Io(std::io::Error),
    /// The arguments make no sense together (beyond what the parser checks).
    Usage(String),
    /// `--timeout` passed with nothing received or sent.
    TimedOut(i32),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Ringmq(e) => e.fmt(f),
            CliError::Io(e) => e.fmt(f),
            CliError::Usage(what) => f.write_str(what),
            CliError::TimedOut(ms) => write!(f, "timed out after {ms} ms"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<ringmq::Error> for CliError {
    fn from(e: ringmq::Error) -> Self {
        CliError::Ringmq(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e)
    }
}

/// A command's outcome.
pub type CliResult<T = ()> = Result<T, CliError>;
