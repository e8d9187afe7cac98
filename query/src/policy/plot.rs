//! The learning curve as SVG and PNG (plotters).
//!
//! Fonts: plotters is built with `ab_glyph` (pure Rust) instead of its default font-kit, which
//! needs fontconfig and freetype at build time. ab_glyph has no fonts of its own, so DejaVu
//! Sans is loaded at run time from the usual system paths. Without it both files are still
//! written, with the curves, axes and grid but no text (labels, legend, caption): the only
//! alternative would be to ship a font in the repository.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::files::write_atomic;
use super::log::plot_paths;
use super::ppo::UpdateStats;
use crate::error::QueryError;

const SIZE: (u32, u32) = (900, 540);
const FONT: &str = "sans-serif";
const FONT_FILES: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Registers DejaVu Sans with plotters once; whether text can be drawn.
fn font_available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        FONT_FILES.iter().any(|p| {
            let Ok(bytes) = std::fs::read(p) else {
                return false;
            };
            // plotters keeps `&'static` font data; one font per process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok()
        })
    })
}

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
    let text = font_available();
    let fail = |path: &Path, e: String| QueryError::Policy(format!("plot {}: {e}", path.display()));

    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, SIZE).into_drawing_area();
        draw(&root, history, baselines, text).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.to_string()))?;
    }
    write_atomic(&svg, s.as_bytes()).map_err(|e| QueryError::Io {
        path: svg.clone(),
        source: e,
    })?;

    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw(&root, history, baselines, text).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, e.to_string()))?;
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| fail(&png, e.to_string()))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| fail(&png, e.to_string()))?;
    }
    write_atomic(&png, &bytes).map_err(|e| QueryError::Io {
        path: png.clone(),
        source: e,
    })?;
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
