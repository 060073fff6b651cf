//! Progress on standard error for runs that take a while: after a second, one line that
//! says how many files were read and parsed and what tasklint is doing, rewritten in
//! place and erased at the end.
//!
//! Only on a terminal: never when standard error is a pipe or a file, never in CI logs
//! (`CI` is set by GitHub Actions, GitLab CI and the others), never with `--quiet` or
//! `TERM=dumb`. The pipeline counts with relaxed atomics (a few nanoseconds per file);
//! a thread draws.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static READ: AtomicUsize = AtomicUsize::new(0);
static PARSED: AtomicUsize = AtomicUsize::new(0);
static PHASE: AtomicU8 = AtomicU8::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    Finding = 0,
    Reading = 1,
    Checking = 2,
    Reporting = 3,
}

/// One file read (the read phase).
pub fn read_one() {
    READ.fetch_add(1, Ordering::Relaxed);
}

/// One file parsed (or its model taken from the cache).
pub fn parsed_one() {
    PARSED.fetch_add(1, Ordering::Relaxed);
}

pub fn set_phase(phase: Phase) {
    PHASE.store(phase as u8, Ordering::Relaxed);
}

fn line() -> String {
    let phase = match PHASE.load(Ordering::Relaxed) {
        0 => "finding files",
        1 => "reading and parsing",
        2 => "checking",
        _ => "writing the report",
    };
    format!(
        "tasklint: {} files read, {} parsed; {phase}…",
        READ.load(Ordering::Relaxed),
        PARSED.load(Ordering::Relaxed)
    )
}

/// `\r` and "erase line": the line is rewritten in place.
fn draw() {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{}", line());
    let _ = err.flush();
}

/// Should this run show progress? `quiet`: `--quiet`.
pub fn wanted(quiet: bool) -> bool {
    !quiet
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false")
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// The drawing thread, while it runs.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing after a second (`TASKLINT_PROGRESS_AFTER_MS` changes the delay,
    /// for tests) when `enabled`.
    pub fn start(enabled: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Progress { stop, thread: None };
        }
        let after = std::env::var("TASKLINT_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        let flag = stop.clone();
        // No delay (tests): the first line is drawn before anything else happens.
        let drawn_now = after.is_zero();
        if drawn_now {
            draw();
        }
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut drawn = drawn_now;
            while !flag.load(Ordering::Relaxed) {
                if start.elapsed() >= after {
                    draw();
                    drawn = true;
                }
                std::thread::sleep(Duration::from_millis(if drawn { 200 } else { 20 }));
            }
            if drawn {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        });
        Progress {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops drawing and erases the line (before the report is written).
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

static CURRENT: Mutex<Option<Progress>> = Mutex::new(None);

/// Starts the run's progress line (see [`Progress::start`]).
pub fn start(enabled: bool) {
    let p = Progress::start(enabled);
    if let Ok(mut current) = CURRENT.lock() {
        *current = Some(p);
    }
}

/// Stops the run's progress line and erases it: call before writing to standard
/// output, which shares the terminal. Stopping twice is fine.
pub fn stop() {
    let p = CURRENT.lock().ok().and_then(|mut c| c.take());
    if let Some(p) = p {
        p.finish();
    }
}
