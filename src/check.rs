//! The pipeline: discover → read and parse in parallel → index → rules → sort.

use std::path::PathBuf;

use anyhow::Result;

use std::time::Instant;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{Discovered, FoundFile};
use crate::index::Project;
use crate::knowledge::Knowledge;
use crate::model::{FileModel, Language, Problem};
use crate::pipeline::{self, Skip, Skipped};
use crate::rules;
use crate::settings::Settings;
use crate::source::SourceFile;
use crate::timings::Timings;

/// Parsing runs on threads with a big stack: syn recurses over nesting, and deep input
/// must end as TL000, never as a stack overflow.
const PARSE_STACK: usize = 64 * 1024 * 1024;

pub struct CheckOutput {
    pub project: Project,
    pub diagnostics: Vec<Diagnostic>,
    /// Files reported on (read for context only are not counted).
    pub files_checked: usize,
    /// Reported files that could not be checked, by reason (TL000 says which).
    pub skipped: Skipped,
    /// How long each phase took (`--timings`).
    pub timings: Timings,
}

pub struct Options {
    pub paths: Vec<PathBuf>,
    pub settings: Settings,
    pub knowledge: Knowledge,
    pub threads: Option<usize>,
}

/// An editor's unsaved buffer (`--stdin-filename`): checked as if it were the file at
/// `path`, with the rest of the project read from disk.
#[derive(Clone, Debug)]
pub struct StdinFile {
    pub path: PathBuf,
    /// What was read from standard input (not necessarily UTF-8: that is TL000's to say).
    pub bytes: Vec<u8>,
}

pub fn check(opts: Options) -> Result<CheckOutput> {
    check_with_stdin(opts, None)
}

/// Checks the paths, with an editor's buffer standing in for the file at its path.
pub fn check_with_stdin(opts: Options, stdin: Option<StdinFile>) -> Result<CheckOutput> {
    let start = Instant::now();
    let mut discover_opts = crate::discover::DiscoverOptions::new(&opts.settings)?;
    discover_opts.stdin_path = stdin.as_ref().map(|s| s.path.clone());
    let discovered = crate::discover::discover_with(&opts.paths, &discover_opts)?;
    let discover_time = start.elapsed();
    let read = |f: &FoundFile| match &stdin {
        Some(s) if s.path == f.path => Ok(s.bytes.clone()),
        _ => read_file(f),
    };
    let mut out = check_discovered_with(
        discovered,
        opts.settings,
        opts.knowledge,
        opts.threads,
        &read,
    )?;
    out.timings.phases.insert(0, ("discover", discover_time));
    Ok(out)
}

/// Checks files already discovered, with an editor's buffer standing in for the file
/// at its path (the command line discovers first when configuration files below the
/// checked folder decide what is walked).
pub fn check_discovered_stdin(
    discovered: Discovered,
    opts: Options,
    stdin: Option<StdinFile>,
) -> Result<CheckOutput> {
    let read = |f: &FoundFile| match &stdin {
        Some(s) if s.path == f.path => Ok(s.bytes.clone()),
        _ => read_file(f),
    };
    check_discovered_with(
        discovered,
        opts.settings,
        opts.knowledge,
        opts.threads,
        &read,
    )
}

/// Checks files already discovered (a test can change the tree between the walk and
/// the read, as a concurrent edit would).
pub fn check_discovered(
    discovered: Discovered,
    settings: Settings,
    knowledge: Knowledge,
    threads: Option<usize>,
) -> Result<CheckOutput> {
    check_discovered_with(discovered, settings, knowledge, threads, &read_file)
}

fn check_discovered_with(
    discovered: Discovered,
    settings: Settings,
    knowledge: Knowledge,
    threads: Option<usize>,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
) -> Result<CheckOutput> {
    let pool = pool(threads)?;
    Ok(check_in_pool(
        &pool, discovered, settings, knowledge, read, None,
    ))
}

/// The thread pool a check runs in (parsing needs a big stack).
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .stack_size(PARSE_STACK)
        .build()?)
}

/// Checks files already discovered, read by `read`, in `pool`, with the models of the
/// previous check kept in `memo` (the language server keeps both from one edit to the
/// next: only the files whose text changed are parsed again).
pub fn check_in_pool(
    pool: &rayon::ThreadPool,
    discovered: Discovered,
    settings: Settings,
    knowledge: impl Into<std::sync::Arc<Knowledge>>,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
    memo: Option<std::sync::Arc<pipeline::Memo>>,
) -> CheckOutput {
    let knowledge = knowledge.into();
    let mut out = pool.install(|| run(discovered, settings, knowledge, read, memo));
    out.timings.threads = pool.current_num_threads();
    out
}

/// Reads a found file. Only regular files: opening a FIFO or a device named `.py` would
/// block or never end.
pub fn read_file(f: &FoundFile) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(&f.path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    std::fs::read(&f.path)
}

fn run(
    discovered: Discovered,
    settings: Settings,
    knowledge: std::sync::Arc<Knowledge>,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
    memo: Option<std::sync::Arc<pipeline::Memo>>,
) -> CheckOutput {
    let mut timings = Timings::default();
    let tl000_enabled = settings.is_enabled(crate::catalogue::UNREADABLE_SOURCE);
    crate::progress::set_phase(crate::progress::Phase::Reading);
    let mut parsed =
        pipeline::read_and_parse_memo(discovered, settings, knowledge, read, &mut timings, memo);
    crate::progress::set_phase(crate::progress::Phase::Checking);
    let clock = Instant::now();
    let files_checked = parsed.project.report.iter().filter(|r| **r).count();
    if let Some(kept) = parsed.reused.take() {
        timings.record("rules", clock);
        return CheckOutput {
            project: parsed.project,
            diagnostics: kept.diagnostics,
            files_checked,
            skipped: kept.skipped,
            timings,
        };
    }
    let project = &parsed.project;
    let mut diagnostics = rules::run(project);
    // TL000: a file that could not be read (always), or one tasklint needed that does
    // not parse. A file the prefilter showed cannot matter is not parsed, so its syntax
    // is not checked: it cannot hide a finding (rules/docs/TL000.md).
    let mut skipped = Skipped::default();
    for file in 0..project.files.len() {
        if !project.report[file] {
            continue;
        }
        let problem = match &parsed.problems[file] {
            Some((why, p)) => Some((*why, p)),
            None if parsed.needed[file] => project.models[file]
                .problems
                .first()
                .map(|p| (Skip::Syntax, p)),
            None => None,
        };
        if let Some((why, p)) = problem {
            skipped.add(why);
            if tl000_enabled {
                diagnostics.push(unreadable(file, p));
            }
        }
    }
    crate::suppress::apply(project, &mut diagnostics);
    sort(project, &mut diagnostics);
    timings.record("rules", clock);
    parsed.count(&mut timings);
    parsed.remember();
    let mut clock = Instant::now();
    if let Some(line) = parsed.write_cache() {
        timings.cache.push_str(&format!(", {line}"));
        clock = timings.record("cache", clock);
    }
    if let Some(line) = parsed.keep_findings(&diagnostics, &skipped) {
        timings.cache.push_str(&format!(", {line}"));
        timings.record("cache", clock);
    }
    CheckOutput {
        project: parsed.project,
        diagnostics,
        files_checked,
        skipped,
        timings,
    }
}

fn unreadable(file: usize, p: &Problem) -> Diagnostic {
    let info = crate::catalogue::UNREADABLE_SOURCE;
    Diagnostic {
        code: info.code,
        name: info.name,
        severity: Severity::Error,
        message: p.message.clone(),
        file,
        span: p.span,
        label: None,
        help: None,
        notes: Vec::new(),
        related: Vec::new(),
        fix: None,
    }
}

/// Path, then position, then code: the same order whatever the thread count.
pub fn sort(project: &Project, diagnostics: &mut Vec<Diagnostic>) {
    sort_in(&project.files, diagnostics);
}

/// [`sort`] over a plain list of files (several checks' output put together).
pub fn sort_in(files: &[SourceFile], diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let fa = &files[a.file];
        let fb = &files[b.file];
        (&fa.display, a.span.start, a.code, a.span.end, &a.message).cmp(&(
            &fb.display,
            b.span.start,
            b.code,
            b.span.end,
            &b.message,
        ))
    });
    diagnostics.dedup();
}

/// Turns a file's bytes into its text and model, whatever the bytes are (the read
/// phase's decoding, then a parse).
pub fn parse_bytes(language: Language, bytes: Vec<u8>) -> (String, FileModel) {
    let found = FoundFile {
        path: PathBuf::new(),
        display: String::new(),
        root: 0,
        relative: PathBuf::new(),
        language,
        report: true,
    };
    let loaded = pipeline::load(found, &|_| Ok(bytes.clone()));
    let model = match &loaded.problem {
        Some((_, p)) => {
            let mut m = FileModel::new(language);
            m.problems.push(p.clone());
            m
        }
        None => crate::lang::parse_text(language, &loaded.text),
    };
    (loaded.text.to_string(), model)
}
