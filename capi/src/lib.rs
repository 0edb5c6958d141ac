//! # ringmq-capi: libzmq's C API on ringmq
//!
//! This crate builds `libzmq.so` (soname `libzmq.so.5`) and `libzmq.a`, which export the
//! functions of libzmq 4.3.5's `zmq.h` (in `include/`) with its option numbers, value types,
//! errno values and threading rules, so that pyzmq, cppzmq, CZMQ and every other binding
//! built on libzmq run on ringmq's engine unchanged. It sits on ringmq's public API only:
//! every function here translates C arguments into calls on [`ringmq::Context`],
//! [`ringmq::Socket`] and [`ringmq::Msg`], and their typed errors into errno.
//!
//! What each module owns:
//! - [`errors`]: libzmq's errno values, setting the caller's `errno`, and the guard every
//!   entry point runs in so that no panic crosses the ABI;
//! - [`context`]: `zmq_ctx_*` and the context handle;
//! - [`socket`]: `zmq_socket`, `zmq_close`, endpoints, monitors and the socket handle;
//! - [`options`]: `zmq_setsockopt` / `zmq_getsockopt` by libzmq's option numbers;
//! - [`msg`]: the layout of `zmq_msg_t` and the `zmq_msg_*` functions;
//! - [`transfer`]: sending and receiving (`zmq_send`, `zmq_msg_recv`, …);
//! - [`poll`] and [`proxy`]: `zmq_poll`, `zmq_proxy`, `zmq_proxy_steerable`;
//! - [`draft`]: the draft functions ringmq serves (poller, join/leave, …);
//! - [`timers`]: the `zmq_timers_*` functions;
//! - `handles`: boxing values into opaque `void *` handles and taking them back;
//! - [`utility`]: version, capabilities, Z85 and CURVE keys, atomic counters, stopwatch.
//!
//! Nothing here is called from Rust: the functions are `extern "C"` for C callers, and
//! their safety contracts are libzmq's documented ones.

pub mod context;
pub mod draft;
pub mod errors;
mod handles;
pub mod msg;
pub mod options;
pub mod poll;
pub mod proxy;
pub mod socket;
pub mod timers;
pub mod transfer;
pub mod utility;
