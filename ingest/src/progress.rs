//! The ingest progress bar: rows/s and ETA on a terminal, nothing otherwise.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::options::{IngestProgressReport, ProgressCallback};
use crate::sources::Progress;

pub struct IngestProgress {
    bar: Option<ProgressBar>,
    callback: Option<ProgressCallback>,
    last: std::sync::Mutex<Progress>,
    started: Instant,
    /// Audio files analysed so far (analysis runs on several threads).
    audio: AtomicU64,
    rows: AtomicU64,
}

impl IngestProgress {
    pub fn new(enabled: bool, callback: Option<ProgressCallback>) -> Self {
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
            callback,
            last: std::sync::Mutex::new(Progress { done: 0, total: 0 }),
            started: Instant::now(),
            audio: AtomicU64::new(0),
            rows: AtomicU64::new(0),
        }
    }

    /// `p` is in the source's unit (rows or bytes); `rows` is rows read so far. `Break`: the
    /// caller's callback asked to stop.
    pub fn update(&self, p: Progress, rows: u64) -> ControlFlow<()> {
        self.rows.store(rows, Ordering::Relaxed);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = p;
        if let Some(bar) = &self.bar {
            bar.set_length(p.total.max(p.done));
            bar.set_position(p.done);
            self.redraw_message(bar);
        }
        self.report()
    }

    fn report(&self) -> ControlFlow<()> {
        let Some(callback) = &self.callback else {
            return ControlFlow::Continue(());
        };
        let p = *self.last.lock().unwrap_or_else(|e| e.into_inner());
        (callback.0)(&IngestProgressReport {
            rows_read: self.rows.load(Ordering::Relaxed),
            done: p.done,
            total: p.total.max(p.done),
            audio_analyzed: self.audio.load(Ordering::Relaxed),
        })
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

    /// Reading is over: the bar is cleared and the callback told once more, with everything
    /// counted as done.
    pub fn finish(&self) -> ControlFlow<()> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            last.total = last.total.max(last.done);
            last.done = last.total;
        }
        self.report()
    }
}

impl std::fmt::Debug for IngestProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IngestProgress")
    }
}
