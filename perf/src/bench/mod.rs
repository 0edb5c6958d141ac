//! `ringmq-bench`'s machinery: what it measures ([`case`]), the child processes that run
//! one perf tool each ([`child`]), running and timing them ([`runner`]), the samples
//! ([`results`]), the markdown tables ([`table`]) and the distribution files and plots
//! ([`distributions`]). The binary (`src/bin/ringmq-bench.rs`) parses options and runs the
//! rounds.

pub mod case;
pub mod child;
pub mod distributions;
pub mod results;
pub mod runner;
pub mod table;

/// The other implementations' versions, for the report's heading (keep in step with
/// `perf/Cargo.toml`).
pub const PEERS: &str =
    "libzmq 4.3.4 (zmq crate), omq.rs 0.33 (omq-tokio), rzmq 0.5.28, zmq.rs 0.7 (zeromq crate)";
