//! The learning curve as SVG and PNG (plotters).
//!
//! Text is drawn with the embedded DejaVu Sans (see [`crate::plot`]); should registering it
//! ever fail, both files are still written, with curves, axes and grid but no labels.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::log::plot_paths;
use super::ppo::UpdateStats;
use crate::error::QueryError;

const SIZE: (u32, u32) = (900, 540);
const FONT: &str = crate::plot::FONT;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFiles {
    pub svg: PathBuf,
    pub png: PathBuf,
    /// A font was found and the plots have labels.
    pub with_text: bool,
}

/// Writes `PREFIX.svg` and `PREFIX.png`: the mean rollout return and the held-out greedy
/// return against environment steps, with horizontal lines for `baselines` (name, return).
pub fn plot(
    prefix: &Path,
    history: &[UpdateStats],
    baselines: &[(String, f64)],
) -> Result<PlotFiles, QueryError> {
    let (svg, png) = plot_paths(prefix);
    let text = crate::plot::register_font();
    crate::plot::write_svg_and_png(
        &svg,
        &png,
        SIZE,
        |root| draw(root, history, baselines, text),
        |root| draw(root, history, baselines, text),
    )?;
    Ok(PlotFiles {
        svg,
        png,
        with_text: text,
    })
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    history: &[UpdateStats],
    baselines: &[(String, f64)],
    text: bool,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let train: Vec<(f64, f64)> = history
        .iter()
        .map(|h| (h.env_steps as f64, h.mean_return))
        .collect();
    let eval: Vec<(f64, f64)> = history
        .iter()
        .filter_map(|h| Some((h.env_steps as f64, h.eval_return?)))
        .collect();
    let ys = train
        .iter()
        .chain(&eval)
        .map(|p| p.1)
        .chain(baselines.iter().map(|b| b.1));
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(1e-3);
    let x_max = train.last().map_or(1.0, |p| p.0.max(1.0));

    let mut builder = ChartBuilder::on(root);
    builder.margin(20);
    if text {
        builder
            .caption("Policy training: mean episode return", (FONT, 24))
            .x_label_area_size(40)
            .y_label_area_size(60);
    }
    let mut chart = builder
        .build_cartesian_2d(0.0..x_max, (lo - pad)..(hi + pad))
        .map_err(e)?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc("environment steps")
            .y_desc("mean return")
            .label_style((FONT, 14));
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw().map_err(e)?;

    let colours = [
        RGBColor(120, 120, 120),
        RGBColor(30, 140, 60),
        RGBColor(150, 80, 170),
    ];
    for (i, (name, y)) in baselines.iter().enumerate() {
        let c = colours[i % colours.len()];
        let s = chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, *y), (x_max, *y)],
                8,
                5,
                c.stroke_width(2),
            ))
            .map_err(e)?;
        if text {
            s.label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c));
        }
    }
    let series = [
        ("rollouts (sampled, train videos)", train, BLUE),
        ("greedy policy (held-out videos)", eval, RED),
    ];
    for (name, points, c) in series {
        if points.is_empty() {
            continue;
        }
        let s = chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)))
            .map_err(e)?;
        if text {
            s.label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c));
        }
    }
    if text {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(e)?;
    }
    Ok(())
}
