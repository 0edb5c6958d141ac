//! What `ringmq-bench` leaves behind besides its table: HdrHistogram percentile
//! distributions (`.hgrm`, the text format HdrHistogram's own tools read and plot) and an
//! SVG latency-by-percentile plot of them.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use hdrhistogram::Histogram;
use plotters::prelude::*;

/// Writes `histogram` (nanoseconds) as a `.hgrm` percentile distribution in microseconds.
pub fn write_hgrm(histogram: &Histogram<u64>, path: &Path) -> io::Result<()> {
    let mut out = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
    let mut total = 0u64;
    for step in histogram.iter_quantiles(5) {
        total += step.count_since_last_iteration();
        let value = step.value_iterated_to() as f64 / 1000.0;
        let percentile = step.quantile_iterated_to();
        if percentile < 1.0 {
            let _ = writeln!(
                out,
                "{value:12.3} {percentile:14.12} {total:10} {:14.2}",
                1.0 / (1.0 - percentile)
            );
        } else {
            let _ = writeln!(out, "{value:12.3} {percentile:14.12} {total:10}");
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        histogram.mean() / 1000.0,
        histogram.stdev() / 1000.0
    );
    let _ = writeln!(
        out,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        histogram.max() as f64 / 1000.0,
        histogram.len()
    );
    std::fs::write(path, out)
}

/// One curve of the plot: a name and the (percentile, microseconds) points of a `.hgrm`.
#[derive(Clone, Debug)]
pub struct Curve {
    /// The legend entry.
    pub name: String,
    /// (percentile in 0..1, latency in µs).
    pub points: Vec<(f64, f64)>,
}

/// Reads the (percentile, value) points of a `.hgrm` file.
pub fn read_hgrm(path: &Path) -> io::Result<Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let value = cols.next()?.parse().ok()?;
            let percentile = cols.next()?.parse().ok()?;
            Some((percentile, value))
        })
        .collect())
}

/// Plots latency against percentile (x: 1/(1-p) on a log scale, labelled 0 %, 90 %,
/// 99 %, …) for `curves` into an SVG file.
pub fn plot_latency(title: &str, curves: &[Curve], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let max_x = curves
        .iter()
        .flat_map(|c| c.points.iter())
        .map(|&(p, _)| 1.0 / (1.0 - p.min(0.999_999)))
        .fold(10.0f64, f64::max);
    let max_y = curves
        .iter()
        .flat_map(|c| c.points.iter())
        .map(|&(_, v)| v)
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..max_x * 1.2).log_scale(), (0.5f64..max_y * 1.5).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("round trip (µs)")
        .x_label_formatter(&|x| {
            let p = 100.0 * (1.0 - 1.0 / x);
            if p < 99.0 {
                format!("{p:.0}%")
            } else {
                format!("{p:.3}%").trim_end_matches('0').to_string()
            }
        })
        .draw()?;
    let palette = [&BLUE, &RED, &GREEN, &MAGENTA, &BLACK, &CYAN];
    for (i, curve) in curves.iter().enumerate() {
        let color = palette[i % palette.len()];
        let points = curve
            .points
            .iter()
            .filter(|&&(p, _)| p < 1.0)
            .map(|&(p, v)| (1.0 / (1.0 - p), v.max(0.5)));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(curve.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_goes_to_hgrm_and_back_and_into_a_plot() {
        let mut h = crate::latency_histogram();
        for i in 1..=10_000u64 {
            h.record(10_000 + i * 3).unwrap();
        }
        let dir = std::env::temp_dir().join(format!("ringmq-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let hgrm = dir.join("case.hgrm");
        write_hgrm(&h, &hgrm).unwrap();
        let points = read_hgrm(&hgrm).unwrap();
        assert!(points.len() > 20);
        let (p50, v50) = points.iter().copied().find(|&(p, _)| p >= 0.5).unwrap();
        assert!(p50 < 0.6 && (24.0..27.0).contains(&v50), "{p50} {v50}");
        assert_eq!(points.last().unwrap().0, 1.0);
        let svg = dir.join("case.svg");
        let curve = Curve {
            name: "test".into(),
            points,
        };
        plot_latency("test", &[curve], &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("test"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
