//! Builds libzmq 4.3.4 with its draft API (CLIENT/SERVER, RADIO/DISH, SCATTER/GATHER, PEER,
//! CHANNEL) and links it statically into this crate.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    zeromq_src::Build::new().enable_draft(true).build();
}
