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
