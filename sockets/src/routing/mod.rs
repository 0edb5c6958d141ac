//! Routing strategies over pipes, each in its own file: load-balancing for sending
//! ([`lb`]), fair-queuing for receiving ([`fq`]).

pub(crate) mod fq;
pub(crate) mod lb;
