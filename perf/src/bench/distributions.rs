//! The report's files: for each round-trip case, the distribution of each implementation's
//! median round as `<case>-<impl>.hgrm` and a plot of them all as `<case>.svg`.

use std::path::{Path, PathBuf};

use super::case::{Case, Impl, Kind};
use super::results::Results;
use crate::report;

/// Where round `round` (from 0) of `case` for `imp` writes its distribution.
pub fn round_file(out_dir: &Path, case: &Case, imp: Impl, round: usize) -> PathBuf {
    out_dir
        .join("rounds")
        .join(format!("{}-{}-r{}.hgrm", case.slug(), imp.name(), round + 1))
}

/// Keeps the median round's distributions and plots them; returns the files written.
pub fn keep_medians(out_dir: &Path, results: &Results) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for (c, case) in results.cases.iter().enumerate() {
        if case.kind != Kind::Latency {
            continue;
        }
        let mut curves = Vec::new();
        for &imp in &results.impls {
            let Some(round) = results.median_round(c, imp, |s| s.p50) else {
                continue;
            };
            let kept = out_dir.join(format!("{}-{}.hgrm", case.slug(), imp.name()));
            if std::fs::copy(round_file(out_dir, case, imp, round), &kept).is_err() {
                continue;
            }
            if let Ok(points) = report::read_hgrm(&kept) {
                curves.push(report::Curve {
                    name: imp.name().into(),
                    points,
                });
            }
            written.push(kept);
        }
        if !curves.is_empty() {
            let svg = out_dir.join(format!("{}.svg", case.slug()));
            let title = format!("REQ/REP round trip, {case}");
            match report::plot_latency(&title, &curves, &svg) {
                Ok(()) => written.push(svg),
                Err(e) => eprintln!("ringmq-bench: plotting {}: {e}", svg.display()),
            }
        }
    }
    written
}
