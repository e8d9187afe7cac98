//! The plumbing under every chart: the embedded font, PNG encoding, and drawing one chart into
//! both files, each written atomically.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ChartError;

/// The font family charts use.
pub(crate) const FONT: &str = "sans-serif";

/// Registers the embedded DejaVu Sans once; whether text can be drawn.
pub(crate) fn register_font() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    })
}

/// Draws one chart twice, into `svg` and `png` (`size` pixels), each written atomically.
/// `draw_svg` and `draw_png` are the same drawing code for the two backends.
pub(crate) fn write_svg_and_png(
    svg: &Path,
    png: &Path,
    size: (u32, u32),
    draw_svg: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
    draw_png: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), ChartError> {
    let fail = |path: &Path, reason: String| ChartError::Draw {
        path: path.to_path_buf(),
        reason,
    };
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw_svg(&root).map_err(|e| fail(svg, e))?;
        root.present().map_err(|e| fail(svg, e.to_string()))?;
    }
    segue_index::atomic::atomic_write(svg, text.as_bytes())?;

    let (w, h) = size;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw_png(&root).map_err(|e| fail(png, e))?;
        root.present().map_err(|e| fail(png, e.to_string()))?;
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| fail(png, e.to_string()))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| fail(png, e.to_string()))?;
    }
    segue_index::atomic::atomic_write(png, &bytes)?;
    Ok(())
}
