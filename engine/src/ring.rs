//! Creating a shard's io_uring: the setup flags are probed once, best first, with a clean
//! fall-back, and what the kernel offers is recorded in [`RingFeatures`].

use std::io;

use io_uring::{IoUring, opcode};

/// How hard to try for the optimised ring setup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RingSetup {
    /// SINGLE_ISSUER + DEFER_TASKRUN + COOP_TASKRUN when the kernel has them, else less.
    #[default]
    Best,
    /// A ring with no optional setup flags (what old kernels give; also used to test the
    /// fall-back path).
    Plain,
}

/// What the ring was built with and what the running kernel supports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingFeatures {
    /// IORING_SETUP_SINGLE_ISSUER is in effect.
    pub single_issuer: bool,
    /// IORING_SETUP_DEFER_TASKRUN is in effect: completions run only when the shard enters.
    pub defer_taskrun: bool,
    /// IORING_SETUP_COOP_TASKRUN is in effect.
    pub coop_taskrun: bool,
    /// Multishot receive (kernel 6.0+); without it receives are re-armed one at a time.
    pub multishot_recv: bool,
    /// Multishot accept (kernel 5.19+).
    pub multishot_accept: bool,
    /// IORING_OP_SEND_ZC (kernel 6.0+).
    pub send_zc: bool,
}

/// Parses "6.18.44-foo" into (6, 18).
fn kernel_version() -> (u32, u32) {
    // SAFETY: `uname` fills the zeroed struct; we read its NUL-terminated `release` field.
    let release = unsafe {
        let mut uts: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut uts) != 0 {
            return (0, 0);
        }
        std::ffi::CStr::from_ptr(uts.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    };
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor)
}

/// Builds a ring with `entries` submission slots (and four times as many completion slots),
/// trying the setup flags from best to plain. Must run on the thread that will submit, since
/// SINGLE_ISSUER binds the ring to it.
pub fn build(entries: u32, setup: RingSetup) -> io::Result<(IoUring, RingFeatures)> {
    let (major, minor) = kernel_version();
    let at_least = |maj: u32, min: u32| (major, minor) >= (maj, min);
    if !at_least(5, 19) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("ringmq needs Linux 5.19 or later for provided buffer rings (running {major}.{minor})"),
        ));
    }
    // (single_issuer, defer_taskrun, coop_taskrun), best first.
    let attempts: &[(bool, bool, bool)] = match setup {
        RingSetup::Best => &[
            (true, true, true),
            (true, false, true),
            (false, false, true),
            (false, false, false),
        ],
        RingSetup::Plain => &[(false, false, false)],
    };
    let mut last_error = None;
    for &(single_issuer, defer_taskrun, coop_taskrun) in attempts {
        let mut builder = IoUring::builder();
        builder.setup_cqsize(entries.saturating_mul(4)).setup_clamp();
        if single_issuer {
            builder.setup_single_issuer();
        }
        if defer_taskrun {
            builder.setup_defer_taskrun();
        }
        if coop_taskrun {
            builder.setup_coop_taskrun().setup_taskrun_flag();
        }
        match builder.build(entries) {
            Ok(ring) => {
                let mut probe = io_uring::Probe::new();
                let send_zc = ring.submitter().register_probe(&mut probe).is_ok()
                    && probe.is_supported(opcode::SendZc::CODE);
                let features = RingFeatures {
                    single_issuer,
                    defer_taskrun,
                    coop_taskrun,
                    multishot_recv: at_least(6, 0),
                    multishot_accept: at_least(5, 19),
                    send_zc,
                };
                return Ok((ring, features));
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("io_uring setup failed")))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn best_and_plain_setups_both_build() {
        let (_ring, best) = build(64, RingSetup::Best).expect("best ring");
        let (_ring, plain) = build(64, RingSetup::Plain).expect("plain ring");
        assert!(!plain.single_issuer && !plain.defer_taskrun && !plain.coop_taskrun);
        // On kernels that have them, the best setup uses the optional flags.
        if kernel_version() >= (6, 1) {
            assert!(best.single_issuer && best.defer_taskrun);
        }
    }
}
