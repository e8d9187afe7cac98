//! `segue-charts`: every chart Segue draws (learning curves, CDFs of returns, trade-off and scale
//! curves), as SVG and PNG files written so that a reader never sees half a file.
//!
//! [`Timeline`] draws a soundtrack's edit list; one chart type, [`LineChart`], serves the rest: labelled series of points drawn as lines,
//! dashed lines, steps or markers, on linear or base-10 logarithmic axes. plotters is built with
//! `ab_glyph`, which has no fonts of its own; DejaVu Sans is embedded in the binary (the `dejavu`
//! crate), so charts have text on any machine, fonts installed or not.

mod draw;
mod line;
mod timeline;

pub use line::{Axis, Legend, LineChart, Series, Style};
pub use timeline::{Timeline, TimelineClip, TimelineMark};

use std::path::{Path, PathBuf};

/// A chart that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Nothing finite to draw (no points, or every value NaN or infinite; a log axis with no
    /// positive value).
    #[error("chart {title:?}: {reason}")]
    Empty { title: String, reason: String },

    /// The drawing backend failed.
    #[error("drawing {}: {reason}", path.display())]
    Draw { path: PathBuf, reason: String },

    /// The file could not be written into place.
    #[error(transparent)]
    Write(#[from] segue_index::IndexError),
}

/// The two files of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFiles {
    pub svg: PathBuf,
    pub png: PathBuf,
}

impl ChartFiles {
    /// `PREFIX.svg` and `PREFIX.png`.
    pub fn with_prefix(prefix: &Path) -> ChartFiles {
        let with = |ext: &str| {
            let mut s = prefix.as_os_str().to_owned();
            s.push(ext);
            PathBuf::from(s)
        };
        ChartFiles {
            svg: with(".svg"),
            png: with(".png"),
        }
    }
}
