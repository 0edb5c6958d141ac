//! Security: what ZMTP's mechanisms and the keys they use need outside the codec. So far the
//! Z85 encoding of keys (`zmq_z85_encode` / `zmq_z85_decode`); the PLAIN and CURVE
//! mechanisms, ZAP and key generation are not built yet, and the options that would ask for
//! them say so.

pub mod z85;
