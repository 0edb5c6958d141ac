//! Routing strategies over pipes, each in its own file: load-balancing for sending
//! ([`lb`]), fair-queuing for receiving ([`fq`]), distribution to many ([`dist`]), the
//! prefix trie under subscriptions ([`trie`]), and the routing-id table ([`ids`]).

pub(crate) mod dist;
pub(crate) mod fq;
pub(crate) mod ids;
pub(crate) mod lb;
pub(crate) mod trie;
