//! Gives the shared library libzmq's soname, so that binaries linked against the system's
//! libzmq.so.5 load this one when it comes first on the library path.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
    println!("cargo:rerun-if-changed=build.rs");
}
