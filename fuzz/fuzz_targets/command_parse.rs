//! Command and metadata parsing on arbitrary bodies: never panics; what parses as metadata
//! re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmq_transports::zmtp::{Command, Metadata};

fuzz_target!(|data: &[u8]| {
    let _ = Command::parse(data);
    if let Ok(md) = Metadata::parse(data) {
        let mut out = Vec::new();
        md.encode(&mut out);
        assert_eq!(out, data);
    }
});
