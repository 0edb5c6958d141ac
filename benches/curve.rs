//! What CURVE costs per message and per handshake: libsodium (what libzmq uses, and what
//! ringmq chose on these numbers) beside RustCrypto's pure-Rust `crypto_box`, the
//! alternative. A MESSAGE is one box and one unbox with the precomputed connection key
//! (`crypto_box_detached_afternm` / `crypto_box_open_detached_afternm`), so "box+unbox" is
//! what one message costs its two ends in crypto alone. A handshake's dominant cost is the key agreements (`beforenm`).
//!
//! The libsodium rows go through `ringmq_transports::security::nacl`, the wrapper the
//! mechanism uses, over the libsodium that `libsodium-sys-stable` builds.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crypto_box::aead::{AeadCore, AeadInPlace, OsRng};
use crypto_box::{SalsaBox, SecretKey};
use ringmq_transports::security::nacl::{self, SharedKey};

const SIZES: [usize; 3] = [64, 1024, 65536];

fn rust_crypto(c: &mut Criterion) {
    let ours = SecretKey::generate(&mut OsRng);
    let theirs = SecretKey::generate(&mut OsRng);
    let sender = SalsaBox::new(&theirs.public_key(), &ours);
    let receiver = SalsaBox::new(&ours.public_key(), &theirs);
    let nonce = SalsaBox::generate_nonce(&mut OsRng);
    let mut group = c.benchmark_group("curve_box_unbox/crypto_box");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let mut buf = vec![7u8; size];
            b.iter(|| {
                let tag = sender.encrypt_in_place_detached(&nonce, b"", &mut buf).unwrap();
                receiver
                    .decrypt_in_place_detached(&nonce, b"", &mut buf, &tag)
                    .unwrap();
                black_box(&buf);
            });
        });
    }
    group.finish();
    c.bench_function("curve_handshake_keys/crypto_box", |b| {
        b.iter(|| {
            // One short-term key pair and one precomputation: what each side of a
            // handshake does twice or three times.
            let short_term = SecretKey::generate(&mut OsRng);
            black_box(SalsaBox::new(&theirs.public_key(), &short_term));
        });
    });
}

fn libsodium(c: &mut Criterion) {
    // ringmq's own path: the safe wrapper over libsodium that the CURVE mechanism uses.
    let (a_public, a_secret) = nacl::keypair();
    let (b_public, b_secret) = nacl::keypair();
    let sender = SharedKey::new(&b_public, &a_secret).unwrap();
    let receiver = SharedKey::new(&a_public, &b_secret).unwrap();
    let nonce = [3u8; nacl::NONCE_LEN];
    let mut group = c.benchmark_group("curve_box_unbox/libsodium");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let mut plain = vec![7u8; size];
            let mut opened = vec![0u8; size];
            b.iter(|| {
                let mac = sender.seal_in_place(&nonce, &mut plain);
                receiver.open_into(&nonce, &plain, &mac, &mut opened).unwrap();
                black_box(&opened);
                // Back to the plaintext for the next round.
                std::mem::swap(&mut plain, &mut opened);
            });
        });
    }
    group.finish();
    c.bench_function("curve_handshake_keys/libsodium", |b| {
        b.iter(|| {
            let (_, short_term) = nacl::keypair();
            black_box(SharedKey::new(&b_public, &short_term).unwrap());
        });
    });
}

criterion_group!(benches, rust_crypto, libsodium);
criterion_main!(benches);
