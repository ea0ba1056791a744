//! Progress on standard error while a long step runs: documents and MB extracted, their rate
//! and the time left; the store being loaded; the exports being written.
//!
//! A bar is drawn only when standard error is a terminal and the run is not `--quiet`: piped or
//! captured, standard error gets the lines it always got and nothing else. Lines printed while a
//! bar is drawn go above it ([`Progress::println`]), so neither garbles the other.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One bar (or none), for one step of a run.
pub struct Progress {
    bar: ProgressBar,
}

/// Whether bars are drawn: on a terminal, unless `--quiet`.
pub fn shown(quiet: bool) -> bool {
    !quiet && io::stderr().is_terminal()
}

impl Progress {
    /// Extraction: input bytes done of `total` (unknown when reading a stream), with the
    /// documents done as its message.
    pub fn extraction(total: Option<u64>, shown: bool) -> Progress {
        let template = match total {
            Some(_) => {
                "{spinner} {msg} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} \
                 {decimal_bytes_per_sec}, {eta} left"
            }
            None => "{spinner} {msg}, {decimal_bytes} {decimal_bytes_per_sec}, {elapsed}",
        };
        let p = Progress::new(total, shown, template);
        p.bar.set_message("0 documents");
        p
    }

    /// A step of `len` parts (the exports, file by file), its current part as its message.
    pub fn steps(len: u64, shown: bool) -> Progress {
        Progress::new(Some(len), shown, "{spinner} {msg} [{wide_bar}] {pos}/{len}")
    }

    /// A step whose length is unknown (loading a store): a spinner with its message and time.
    pub fn spinner(message: String, shown: bool) -> Progress {
        let p = Progress::new(None, shown, "{spinner} {msg} {elapsed}");
        p.bar.set_message(message);
        p
    }

    fn new(len: Option<u64>, shown: bool, template: &str) -> Progress {
        let target = if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(len, target);
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("progress templates are valid")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar }
    }

    /// `bytes` more bytes of input done.
    pub fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    /// `n` documents done so far.
    pub fn documents(&self, n: usize) {
        self.bar
            .set_message(format!("{n} document{}", if n == 1 { "" } else { "s" }));
    }

    /// The part of a step that starts now.
    pub fn part(&self, message: String) {
        self.bar.set_message(message);
    }

    /// The part of a step that just ended.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Prints a line on standard error above the bar, or alone when no bar is drawn.
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Runs `f` with the bar hidden, so that another bar (loading the store mid-run) can be
    /// drawn meanwhile.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Removes the bar: what stays on the terminal is the lines printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// No bar: a run's progress before its first step.
impl Default for Progress {
    fn default() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
