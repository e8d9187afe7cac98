//! Charts as SVG and PNG (plotters). Text in PNGs is drawn with DejaVu Sans embedded in the
//! binary (the `dejavu` crate), so charts render the same on a machine without fonts.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use segue_index::atomic::durable_rename;

use crate::error::{Error, Result};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 600;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration only fails for bytes that are not a font; these are.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// The empirical CDF of each series (label, values) on one chart, written to `svg` and `png`.
pub fn cdf_plot(
    series: &[(String, Vec<f64>)],
    title: &str,
    x_label: &str,
    svg: &Path,
    png: &Path,
) -> Result<()> {
    register_font();
    let values = series.iter().flat_map(|(_, v)| v.iter().copied());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(Error::Invalid(format!("{title}: nothing to plot")));
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let range = (lo - pad)..(hi + pad);
    // Drawn under temporary names and renamed into place: a reader never sees half a chart.
    let (svg_tmp, png_tmp) = (temp_path(svg), temp_path(png));
    let svg_area = SVGBackend::new(&svg_tmp, (WIDTH, HEIGHT)).into_drawing_area();
    draw_cdf(svg_area, series, title, x_label, range.clone())
        .map_err(|e| Error::Invalid(format!("{}: {e}", svg.display())))?;
    let png_area = BitMapBackend::new(&png_tmp, (WIDTH, HEIGHT)).into_drawing_area();
    draw_cdf(png_area, series, title, x_label, range)
        .map_err(|e| Error::Invalid(format!("{}: {e}", png.display())))?;
    durable_rename(&svg_tmp, svg)?;
    durable_rename(&png_tmp, png)?;
    Ok(())
}

/// `dir/.stem.tmp-PID.ext`: the backend picks the image format from the extension, so the
/// temporary name keeps it.
fn temp_path(path: &Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map_or("chart".into(), |s| s.to_string_lossy());
    let ext = path.extension().map_or("".into(), |s| s.to_string_lossy());
    path.with_file_name(format!(".{stem}.tmp-{}.{ext}", std::process::id()))
}

fn draw_cdf<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    series: &[(String, Vec<f64>)],
    title: &str,
    x_label: &str,
    range: std::ops::Range<f64>,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(range, 0.0..1.0)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc("fraction of videos")
        .draw()
        .map_err(e)?;
    for (i, (label, values)) in series.iter().enumerate() {
        let mut v = values.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len().max(1) as f64;
        // A step function: the fraction of values ≤ x.
        let mut points = Vec::with_capacity(2 * v.len());
        for (k, x) in v.iter().enumerate() {
            points.push((*x, k as f64 / n));
            points.push((*x, (k + 1) as f64 / n));
        }
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(e)?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}
