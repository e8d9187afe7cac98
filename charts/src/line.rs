//! [`LineChart`]: labelled series of points on linear or logarithmic axes.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::draw::{FONT, register_font, write_svg_and_png};
use crate::{ChartError, ChartFiles};

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Axis {
    #[default]
    Linear,
    /// Base-10 logarithmic; points with a value ≤ 0 on this axis are left out.
    Log10,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Line,
    Dashed,
    /// A line with a marker at every point (measured sizes on a scale curve).
    LineMarkers,
    /// Markers only (a scatter of trade-off points).
    Markers,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    UpperLeft,
    UpperRight,
    LowerLeft,
    #[default]
    LowerRight,
    /// No legend.
    Hidden,
}

/// One labelled series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
}

/// A chart of series and horizontal reference lines, written as SVG and PNG.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    pub series: Vec<Series>,
    /// Dashed horizontal lines across the whole chart (label, y), e.g. a baseline's return.
    pub reference_lines: Vec<(String, f64)>,
    /// Fixed y range (data units); `None`: fitted to the data with a margin.
    pub y_range: Option<(f64, f64)>,
    pub legend: Legend,
    /// Pixels of the PNG (and the SVG's view box).
    pub size: (u32, u32),
}

impl LineChart {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> LineChart {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_axis: Axis::Linear,
            y_axis: Axis::Linear,
            series: Vec::new(),
            reference_lines: Vec::new(),
            y_range: None,
            legend: Legend::default(),
            size: (900, 600),
        }
    }

    /// Adds a series.
    pub fn with_series(mut self, label: &str, points: Vec<(f64, f64)>, style: Style) -> Self {
        self.series.push(Series {
            label: label.into(),
            points,
            style,
        });
        self
    }

    /// Adds a dashed horizontal reference line.
    pub fn with_reference_line(mut self, label: &str, y: f64) -> Self {
        self.reference_lines.push((label.into(), y));
        self
    }

    pub fn with_axes(mut self, x: Axis, y: Axis) -> Self {
        self.x_axis = x;
        self.y_axis = y;
        self
    }

    pub fn with_legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// The empirical CDF of each (label, values) as a step line: the fraction of values ≤ x.
    pub fn cdf(title: &str, x_label: &str, series: &[(String, Vec<f64>)]) -> LineChart {
        let mut chart = LineChart::new(title, x_label, "fraction of videos").with_y_range(0.0, 1.0);
        for (label, values) in series {
            let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len().max(1) as f64;
            let mut points = Vec::with_capacity(2 * v.len());
            for (k, x) in v.iter().enumerate() {
                points.push((*x, k as f64 / n));
                points.push((*x, (k + 1) as f64 / n));
            }
            chart = chart.with_series(label, points, Style::Line);
        }
        chart
    }

    /// Draws the chart into `files.svg` and `files.png`.
    pub fn write(&self, files: &ChartFiles) -> Result<(), ChartError> {
        let frame = self.frame()?;
        let text = register_font();
        write_svg_and_png(
            &files.svg,
            &files.png,
            self.size,
            |root| self.draw_axes(root, &frame, text),
            |root| self.draw_axes(root, &frame, text),
        )
    }

    /// The points each axis can show (finite; positive on a log axis) and the visible ranges.
    fn frame(&self) -> Result<Frame, ChartError> {
        let shown = |axis: Axis, v: f64| match axis {
            Axis::Linear => v.is_finite(),
            Axis::Log10 => v.is_finite() && v > 0.0,
        };
        let series: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| shown(self.x_axis, x) && shown(self.y_axis, y))
                    .collect()
            })
            .collect();
        let refs: Vec<Option<f64>> = self
            .reference_lines
            .iter()
            .map(|(_, y)| shown(self.y_axis, *y).then_some(*y))
            .collect();
        let xs = series.iter().flatten().map(|p| p.0);
        let ys = series
            .iter()
            .flatten()
            .map(|p| p.1)
            .chain(refs.iter().flatten().copied());
        let empty = |what: &str| ChartError::Empty {
            title: self.title.clone(),
            reason: format!("no {what} to draw"),
        };
        let x = bounds(xs).ok_or_else(|| empty("finite x values"))?;
        let y = match self.y_range {
            Some((lo, hi)) if shown(self.y_axis, lo) && shown(self.y_axis, hi) && lo < hi => {
                (lo, hi)
            }
            Some(_) => return Err(empty("valid y range")),
            None => bounds(ys).ok_or_else(|| empty("finite y values"))?,
        };
        let margin = if self.y_range.is_some() { 0.01 } else { 0.06 };
        Ok(Frame {
            series,
            refs,
            x: pad(x, 0.02, self.x_axis),
            y: pad(y, margin, self.y_axis),
        })
    }

    /// Draws on the coordinate system of the chart's axes.
    fn draw_axes<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        frame: &Frame,
        text: bool,
    ) -> Result<(), String> {
        let (x, y) = (frame.x.0..frame.x.1, frame.y.0..frame.y.1);
        match (self.x_axis, self.y_axis) {
            (Axis::Linear, Axis::Linear) => self.draw(root, frame, text, x, y),
            (Axis::Linear, Axis::Log10) => self.draw(root, frame, text, x, y.log_scale()),
            (Axis::Log10, Axis::Linear) => self.draw(root, frame, text, x.log_scale(), y),
            (Axis::Log10, Axis::Log10) => {
                self.draw(root, frame, text, x.log_scale(), y.log_scale())
            }
        }
    }

    fn draw<DB, X, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        frame: &Frame,
        text: bool,
        x_spec: X,
        y_spec: Y,
    ) -> Result<(), String>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let mut builder = ChartBuilder::on(root);
        builder.margin(18);
        if text {
            builder
                .caption(&self.title, (FONT, 22))
                .x_label_area_size(44)
                .y_label_area_size(64);
        }
        let mut chart = builder.build_cartesian_2d(x_spec, y_spec).map_err(e)?;
        let tick = |v: &f64| short_number(*v);
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(WHITE.mix(0.0));
        if text {
            mesh.x_desc(axis_label(&self.x_label, self.x_axis))
                .y_desc(axis_label(&self.y_label, self.y_axis))
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .label_style((FONT, 14));
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.draw().map_err(e)?;

        let mut colour = 0;
        let mut next = || {
            colour += 1;
            Palette99::pick(colour - 1).to_rgba()
        };
        for ((label, _), y) in self.reference_lines.iter().zip(&frame.refs) {
            let c = next();
            let Some(y) = *y else { continue };
            let s = chart
                .draw_series(DashedLineSeries::new(
                    vec![(frame.x.0, y), (frame.x.1, y)],
                    8,
                    5,
                    c.stroke_width(2),
                ))
                .map_err(e)?;
            if text {
                s.label(label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            }
        }
        for (s, points) in self.series.iter().zip(&frame.series) {
            let c = next();
            let style = c.stroke_width(2);
            let drawn = match s.style {
                Style::Line => chart.draw_series(LineSeries::new(points.clone(), style)),
                Style::Dashed => {
                    chart.draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                }
                Style::LineMarkers => {
                    chart.draw_series(LineSeries::new(points.clone(), style).point_size(4))
                }
                Style::Markers => {
                    chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, c.filled())))
                }
            }
            .map_err(e)?;
            if text {
                drawn
                    .label(s.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
        }
        let position = match self.legend {
            Legend::Hidden => return Ok(()),
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
        };
        if text {
            chart
                .configure_series_labels()
                .position(position)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FONT, 14))
                .draw()
                .map_err(e)?;
        }
        Ok(())
    }
}

/// The points to draw, in data units, and the visible ranges.
struct Frame {
    series: Vec<Vec<(f64, f64)>>,
    refs: Vec<Option<f64>>,
    x: (f64, f64),
    y: (f64, f64),
}

/// `(lo, hi)` widened by `share` of its span (of its decades, on a log axis).
fn pad((lo, hi): (f64, f64), share: f64, axis: Axis) -> (f64, f64) {
    match axis {
        Axis::Linear => {
            let p = ((hi - lo) * share).max(1e-3);
            (lo - p, hi + p)
        }
        Axis::Log10 => {
            let f = 10f64.powf(((hi / lo).log10() * share).max(0.02));
            (lo / f, hi * f)
        }
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
}

fn axis_label(label: &str, axis: Axis) -> String {
    match axis {
        Axis::Linear => label.to_string(),
        Axis::Log10 => format!("{label} (log scale)"),
    }
}

/// A tick label: 1.2M, 35k, 0.95, 1e-4.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.3}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3))
    } else if a >= 1.0 || a == 0.0 {
        trim(v)
    } else if a >= 1e-3 {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_png(bytes: &[u8]) -> bool {
        bytes.starts_with(b"\x89PNG\r\n\x1a\n")
    }

    #[test]
    fn a_chart_is_written_as_svg_and_png_with_its_labels() {
        let dir = tempfile::tempdir().unwrap();
        let files = ChartFiles::with_prefix(&dir.path().join("curve"));
        LineChart::new("Scale", "tracks", "seconds")
            .with_axes(Axis::Log10, Axis::Log10)
            .with_series(
                "ingest",
                vec![(1e4, 0.5), (1e5, 4.0), (1e6, 50.0)],
                Style::LineMarkers,
            )
            .with_reference_line("goal", 600.0)
            .write(&files)
            .unwrap();
        let svg = std::fs::read_to_string(&files.svg).unwrap();
        assert!(svg.contains("Scale") && svg.contains("ingest") && svg.contains("goal"));
        assert!(svg.contains("100k"), "log ticks are labelled in data units");
        assert!(is_png(&std::fs::read(&files.png).unwrap()));
    }

    #[test]
    fn a_cdf_steps_from_zero_to_one() {
        let chart = LineChart::cdf("CDF", "return", &[("a".into(), vec![3.0, 1.0, 2.0])]);
        let p = &chart.series[0].points;
        assert_eq!(p.first(), Some(&(1.0, 0.0)));
        assert_eq!(p.last(), Some(&(3.0, 1.0)));
    }

    #[test]
    fn nothing_finite_to_draw_is_an_error_naming_the_chart() {
        let dir = tempfile::tempdir().unwrap();
        let files = ChartFiles::with_prefix(&dir.path().join("x"));
        let err = LineChart::new("Empty", "x", "y")
            .with_series("nan", vec![(f64::NAN, 1.0)], Style::Line)
            .write(&files)
            .unwrap_err();
        assert!(err.to_string().contains("Empty"), "{err}");
        assert!(!files.svg.exists() && !files.png.exists());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(short_number(1_000_000.0), "1M");
        assert_eq!(short_number(35_000.0), "35k");
        assert_eq!(short_number(0.95), "0.95");
        assert_eq!(short_number(2.5), "2.5");
    }
}
