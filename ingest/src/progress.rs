//! The ingest progress bar: rows/s and ETA on a terminal, nothing otherwise.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sources::Progress;

pub struct IngestProgress {
    bar: Option<ProgressBar>,
    started: Instant,
    /// Audio files analysed so far (analysis runs on several threads).
    audio: AtomicU64,
    rows: AtomicU64,
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
            audio: AtomicU64::new(0),
            rows: AtomicU64::new(0),
        }
    }

    /// `p` is in the source's unit (rows or bytes); `rows` is rows read so far.
    pub fn update(&self, p: Progress, rows: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(p.total.max(p.done));
        bar.set_position(p.done);
        self.rows.store(rows, Ordering::Relaxed);
        self.redraw_message(bar);
    }

    /// One more audio file analysed (called from the analysis threads).
    pub fn audio_done(&self) {
        self.audio.fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            self.redraw_message(bar);
        }
    }

    fn redraw_message(&self, bar: &ProgressBar) {
        let rows = self.rows.load(Ordering::Relaxed);
        let audio = self.audio.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let mut msg = format!("{rows} rows, {:.0} rows/s", rows as f64 / secs);
        if audio > 0 {
            msg.push_str(&format!(", {audio} audio files analysed"));
        }
        bar.set_message(msg);
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
