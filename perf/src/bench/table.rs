//! The report's markdown tables: throughput and round trips, each row with its ratio to
//! libzmq, to the best other implementation (the fastest of libzmq, omq.rs, rzmq and
//! zmq.rs in that case) and to plain sockets, where those ran the same case.

use std::fmt::Write as _;

use super::case::{Impl, Kind};
use super::results::Results;
use super::runner::Sample;

/// The throughput table and the round-trip table (each only if it has rows).
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    if results.cases.iter().any(|c| c.kind == Kind::Throughput) {
        out.push_str("Throughput (PUSH to PULL, one-part messages; MB = 10^6 bytes of message bodies)\n\n");
        out.push_str("| case | implementation | msg/s | MB/s | vs libzmq | vs best peer | vs plain |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|\n");
        rows(results, Kind::Throughput, &mut out);
        out.push('\n');
    }
    if results.cases.iter().any(|c| c.kind == Kind::Latency) {
        out.push_str("Round trip (REQ to REP, one-part messages; lower is better)\n\n");
        out.push_str(
            "| case | implementation | p50 | p99 | p99.9 | max | p50 vs libzmq | p50 vs best peer | p50 vs plain |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        rows(results, Kind::Latency, &mut out);
    }
    out
}

fn rows(results: &Results, kind: Kind, out: &mut String) {
    let key: fn(&Sample) -> f64 = match kind {
        Kind::Throughput => |s| s.msgs_per_sec,
        Kind::Latency => |s| s.p50,
    };
    for (c, case) in results.cases.iter().enumerate().filter(|(_, c)| c.kind == kind) {
        let best_peer = best_peer(results, c, kind, key);
        for &imp in &results.impls {
            let Some(value) = results.median(c, imp, key) else {
                continue;
            };
            let ratio = |base: Impl| {
                results
                    .median(c, base, key)
                    .filter(|_| imp != base)
                    .map_or(String::new(), |b| format!("{:.2}×", value / b))
            };
            let cells = match kind {
                Kind::Throughput => format!("{} | {:.1}", rate(value), value * case.size as f64 / 1e6),
                Kind::Latency => {
                    let us = |pick: fn(&Sample) -> f64| {
                        format!("{:.1} µs", results.median(c, imp, pick).unwrap_or(0.0))
                    };
                    format!(
                        "{} | {} | {} | {}",
                        us(|s| s.p50),
                        us(|s| s.p99),
                        us(|s| s.p999),
                        us(|s| s.max)
                    )
                }
            };
            let vs_best = best_peer
                .filter(|&(best, _)| best != imp)
                .map_or(String::new(), |(best, b)| {
                    format!("{:.2}× {}", value / b, best.name())
                });
            let _ = writeln!(
                out,
                "| {case} | {} | {cells} | {} | {vs_best} | {} |",
                imp.name(),
                ratio(Impl::Libzmq),
                ratio(Impl::Plain)
            );
        }
    }
}

/// The fastest other implementation in case `c` (most messages per second, or the
/// shortest median round trip) and its median.
fn best_peer(results: &Results, c: usize, kind: Kind, key: fn(&Sample) -> f64) -> Option<(Impl, f64)> {
    let better = |a: f64, b: f64| match kind {
        Kind::Throughput => a > b,
        Kind::Latency => a < b,
    };
    results
        .impls
        .iter()
        .filter(|imp| imp.is_peer())
        .filter_map(|&imp| results.median(c, imp, key).map(|v| (imp, v)))
        .fold(None, |best, (imp, v)| match best {
            Some((_, b)) if !better(v, b) => best,
            _ => Some((imp, v)),
        })
}

/// `4.79 M`, `31.2 k`.
fn rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2} M", per_sec / 1e6)
    } else {
        format!("{:.1} k", per_sec / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::super::case::{Case, Security, Transport};
    use super::*;

    #[test]
    fn rows_carry_medians_and_ratios() {
        let case = Case {
            kind: Kind::Throughput,
            transport: Transport::Tcp,
            size: 1024,
            security: Security::Null,
        };
        let mut results = Results::new(vec![case], vec![Impl::Ringmq, Impl::Libzmq, Impl::Omq]);
        for (imp, rates) in [(0, [3e6, 1e6, 2e6]), (1, [1e6, 1e6, 4e5]), (2, [8e5, 9e5, 7e5])] {
            for r in rates {
                results.push(
                    0,
                    imp,
                    Sample {
                        msgs_per_sec: r,
                        ..Sample::default()
                    },
                );
            }
        }
        let table = markdown(&results);
        assert!(
            table.contains("| tcp 1 KiB | ringmq | 2.00 M | 2048.0 | 2.00× | 2.00× libzmq |  |"),
            "{table}"
        );
        assert!(
            table.contains("| tcp 1 KiB | libzmq | 1.00 M | 1024.0 |  |  |  |"),
            "{table}"
        );
        assert!(
            table.contains("| tcp 1 KiB | omq | 800.0 k | 819.2 | 0.80× | 0.80× libzmq |  |"),
            "{table}"
        );
        assert!(!table.contains("Round trip"));
    }
}
