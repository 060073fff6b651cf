//! `--timings`: how long each phase of a check took and how much it read, printed to
//! standard error so that it never changes the report on standard output.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Counters and phase durations of one check. Everything here is informational: no
/// finding depends on it.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// (phase, duration) in the order the phases ran.
    pub phases: Vec<(&'static str, Duration)>,
    /// Files found by the walk (and named on the command line).
    pub files_found: usize,
    /// Files whose bytes were read, and how many bytes.
    pub files_read: usize,
    pub bytes_read: u64,
    /// Files turned into a model: by the parser, or from the cache.
    pub files_parsed: usize,
    pub bytes_parsed: u64,
    pub files_from_cache: usize,
    /// Files parsed on demand, after the index asked for them.
    pub files_on_demand: usize,
    /// Files the prefilter showed cannot matter: never parsed.
    pub files_skipped_by_prefilter: usize,
    /// Files whose bytes the prefilter scanned: all of them on a first run, only the
    /// changed ones when the last run's decision was kept (the cache or the server).
    pub files_scanned: usize,
    /// What happened to the cache: "off", "read 1234 entries, wrote 1300", ...
    pub cache: String,
    pub threads: usize,
}

impl Timings {
    pub fn record(&mut self, phase: &'static str, since: Instant) -> Instant {
        let now = Instant::now();
        self.add(phase, now - since);
        now
    }

    pub fn add(&mut self, phase: &'static str, d: Duration) {
        match self.phases.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, total)) => *total += d,
            None => self.phases.push((phase, d)),
        }
    }

    /// Adds another check's figures (paths under different configurations are checked
    /// one group after the other).
    pub fn absorb(&mut self, other: &Timings) {
        for (phase, d) in &other.phases {
            self.add(phase, *d);
        }
        self.files_found += other.files_found;
        self.files_read += other.files_read;
        self.bytes_read += other.bytes_read;
        self.files_parsed += other.files_parsed;
        self.bytes_parsed += other.bytes_parsed;
        self.files_from_cache += other.files_from_cache;
        self.files_on_demand += other.files_on_demand;
        self.files_skipped_by_prefilter += other.files_skipped_by_prefilter;
        self.files_scanned += other.files_scanned;
        if self.cache.is_empty() {
            self.cache = other.cache.clone();
        } else if !other.cache.is_empty() && other.cache != self.cache {
            self.cache = format!("{}; {}", self.cache, other.cache);
        }
        self.threads = self.threads.max(other.threads);
    }

    pub fn get(&self, phase: &str) -> Option<Duration> {
        self.phases
            .iter()
            .find(|(p, _)| *p == phase)
            .map(|(_, d)| *d)
    }

    /// The table printed by `--timings`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let total: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        let _ = writeln!(s, "tasklint timings ({} threads):", self.threads);
        for (phase, d) in &self.phases {
            let _ = writeln!(s, "  {phase:<10} {:>9.1} ms", d.as_secs_f64() * 1e3);
        }
        let _ = writeln!(s, "  {:<10} {:>9.1} ms", "total", total.as_secs_f64() * 1e3);
        let _ = writeln!(
            s,
            "  files: {} found, {} read ({}), {} parsed ({}), {} from cache, {} parsed on demand, {} skipped by the prefilter ({} scanned)",
            self.files_found,
            self.files_read,
            bytes(self.bytes_read),
            self.files_parsed,
            bytes(self.bytes_parsed),
            self.files_from_cache,
            self.files_on_demand,
            self.files_skipped_by_prefilter,
            self.files_scanned,
        );
        // The cache path may come from the checkout (`.tasklint_cache` under a hostile name).
        let _ = writeln!(s, "  cache: {}", crate::report::escape::text(&self.cache));
        s
    }
}

fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KB", n as f64 / (1 << 10) as f64)
    } else {
        format!("{n} B")
    }
}
