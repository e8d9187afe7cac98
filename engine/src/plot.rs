//! Charts of the engine (the CDF of episode returns), drawn with the shared plumbing of
//! [`segue_query::plot`] (embedded font, atomic SVG and PNG files).

use std::path::Path;

use plotters::prelude::*;

use segue_query::plot::{FONT, register_font, write_svg_and_png};

use crate::error::{Error, Result};

const SIZE: (u32, u32) = (900, 600);

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
    Ok(write_svg_and_png(
        svg,
        png,
        SIZE,
        |root| draw_cdf(root, series, title, x_label, range.clone()),
        |root| draw_cdf(root, series, title, x_label, range.clone()),
    )?)
}

fn draw_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
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
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 24))
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
    Ok(())
}
