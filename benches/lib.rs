//! Criterion benches for ringmq's hot paths (see `codec.rs`, `spsc.rs` and `matcher.rs`); run them with
//! `cargo bench -p ringmq-benches`. End-to-end comparisons with libzmq live in
//! `perf/` (`ringmq-bench`).
