//! A soundtrack timeline: the video's segments as bands, each clip as a bar whose height follows
//! its gain (fades as ramps), its beats as ticks (bar starts taller), and every transition as a
//! labelled line. Clips alternate between two lanes so that overlaps stay visible.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ChartError;
use crate::ChartFiles;
use crate::draw::{FONT, register_font, write_svg_and_png};

/// One clip on the timeline (times in seconds on the timeline).
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineClip {
    pub label: String,
    pub start: f64,
    pub end: f64,
    pub fade_in: f64,
    pub fade_out: f64,
    /// Beat times heard in the clip, and which of them start bars.
    pub beats: Vec<f64>,
    pub downbeats: Vec<f64>,
}

/// A transition: when the music changes and what kind of change it is.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineMark {
    pub label: String,
    /// From the outgoing track's fade start to the incoming one's full level.
    pub start: f64,
    pub end: f64,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub title: String,
    pub duration: f64,
    /// Segment start and end times.
    pub segments: Vec<(f64, f64)>,
    pub clips: Vec<TimelineClip>,
    pub marks: Vec<TimelineMark>,
}

const LANE_HEIGHT: f64 = 1.0;
/// Lanes, bottom up: clip lanes 0 and 1, then the segment band.
const SEGMENT_BAND: f64 = 2.15;

impl Timeline {
    /// Draws the timeline into `files.svg` and `files.png`.
    pub fn write(&self, files: &ChartFiles) -> Result<(), ChartError> {
        if !(self.duration.is_finite() && self.duration > 0.0) {
            return Err(ChartError::Empty {
                title: self.title.clone(),
                reason: "the timeline has no length".into(),
            });
        }
        let text = register_font();
        let width = (900.0 + 12.0 * self.duration).clamp(900.0, 2400.0) as u32;
        write_svg_and_png(
            &files.svg,
            &files.png,
            (width, 420),
            |root| self.draw(root, text),
            |root| self.draw(root, text),
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        text: bool,
    ) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let mut builder = ChartBuilder::on(root);
        builder.margin(16);
        if text {
            builder
                .caption(&self.title, (FONT, 20))
                .x_label_area_size(40)
                .y_label_area_size(10);
        }
        let mut chart = builder
            .build_cartesian_2d(0f64..self.duration, 0f64..SEGMENT_BAND + 0.55)
            .map_err(e)?;
        let mut mesh = chart.configure_mesh();
        mesh.disable_y_mesh()
            .disable_y_axis()
            .light_line_style(WHITE.mix(0.0));
        if text {
            mesh.x_desc("seconds").label_style((FONT, 13));
        } else {
            mesh.disable_x_axis();
        }
        mesh.draw().map_err(e)?;

        // The video's segments: alternating bands with their index.
        for (i, &(s, t)) in self.segments.iter().enumerate() {
            let shade = if i % 2 == 0 {
                RGBColor(225, 228, 235)
            } else {
                RGBColor(205, 210, 220)
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(s, SEGMENT_BAND), (t, SEGMENT_BAND + 0.45)],
                    shade.filled(),
                )))
                .map_err(e)?;
            if text {
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("segment {i}"),
                        (s + 0.05 * (t - s).min(2.0), SEGMENT_BAND + 0.3),
                        (FONT, 12).into_font(),
                    )))
                    .map_err(e)?;
            }
        }
        for (i, c) in self.clips.iter().enumerate() {
            let lane = (i % 2) as f64 * (LANE_HEIGHT + 0.05);
            let colour = Palette99::pick(i).to_rgba();
            let (top, bottom) = (lane + 0.8 * LANE_HEIGHT, lane + 0.05);
            // The gain envelope: up over the fade-in, flat, down over the fade-out.
            let outline = vec![
                (c.start, bottom),
                (c.start + c.fade_in, top),
                (c.end - c.fade_out, top),
                (c.end, bottom),
            ];
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.35).filled(),
                )))
                .map_err(e)?;
            let ticks = c.beats.iter().map(|&b| {
                let bar = c.downbeats.iter().any(|&d| (d - b).abs() < 1e-6);
                let h = if bar { 0.35 } else { 0.15 };
                PathElement::new(vec![(b, bottom), (b, bottom + h)], colour.stroke_width(1))
            });
            chart.draw_series(ticks).map_err(e)?;
            if text {
                chart
                    .draw_series(std::iter::once(Text::new(
                        c.label.clone(),
                        (c.start + c.fade_in + 0.1, top - 0.05),
                        (FONT, 13).into_font(),
                    )))
                    .map_err(e)?;
            }
        }
        for m in &self.marks {
            let red = RGBColor(200, 40, 40);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(m.start, 0.0), (m.end.max(m.start + 0.02), SEGMENT_BAND)],
                    red.mix(0.12).filled(),
                )))
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(m.end, 0.0), (m.end, SEGMENT_BAND)],
                    red.stroke_width(1),
                )))
                .map_err(e)?;
            if text {
                chart
                    .draw_series(std::iter::once(Text::new(
                        m.label.clone(),
                        (m.end + 0.05, SEGMENT_BAND - 0.08),
                        (FONT, 12).into_font().color(&red),
                    )))
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}
