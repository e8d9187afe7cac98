//! The ingest progress bar: rows/s and ETA on a terminal, nothing otherwise.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sources::Progress;

pub struct IngestProgress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl IngestProgress {
    pub fn new(enabled: bool) -> Self {
        let bar = enabled.then(|| {
            // indicatif draws nothing when stderr is not a terminal.
            let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} ingest [{bar:30}] {percent:>3}% {msg} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        IngestProgress {
            bar,
            started: Instant::now(),
        }
    }

    /// `p` is in the source's unit (rows or bytes); `rows` is rows read so far.
    pub fn update(&self, p: Progress, rows: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(p.total.max(p.done));
        bar.set_position(p.done);
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{rows} rows, {:.0} rows/s", rows as f64 / secs));
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl std::fmt::Debug for IngestProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IngestProgress")
    }
}
