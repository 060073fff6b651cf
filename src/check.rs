//! The pipeline: discover → read and parse in parallel → index → rules → sort.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{Discovered, FoundFile};
use crate::index::{InputFile, Project};
use crate::knowledge::Knowledge;
use crate::model::{FileModel, Language, Problem, Span};
use crate::rules;
use crate::settings::Settings;
use crate::source::SourceFile;

/// Parsing runs on threads with a big stack: syn recurses over nesting, and deep input
/// must end as TL000, never as a stack overflow.
const PARSE_STACK: usize = 64 * 1024 * 1024;

pub struct CheckOutput {
    pub project: Project,
    pub diagnostics: Vec<Diagnostic>,
    /// Files reported on (read for context only are not counted).
    pub files_checked: usize,
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

pub fn check_with_stdin(opts: Options, stdin: Option<StdinFile>) -> Result<CheckOutput> {
    let mut discover_opts = crate::discover::DiscoverOptions::new(&opts.settings)?;
    discover_opts.stdin_path = stdin.as_ref().map(|s| s.path.clone());
    let discovered = crate::discover::discover_with(&opts.paths, &discover_opts)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .stack_size(PARSE_STACK)
        .build()?;
    Ok(pool.install(|| run(discovered, opts.settings, opts.knowledge, stdin.as_ref())))
}

fn run(
    discovered: Discovered,
    settings: Settings,
    knowledge: Knowledge,
    stdin: Option<&StdinFile>,
) -> CheckOutput {
    let inputs: Vec<InputFile> = discovered
        .files
        .into_par_iter()
        .map(|f| read_and_parse(f, stdin))
        .collect();
    let files_checked = inputs.iter().filter(|f| f.report).count();
    let tl000_enabled = settings.is_enabled(&rules::UNREADABLE_SOURCE.info);
    let project = Project::build(inputs, knowledge, settings);
    let mut diagnostics = rules::run(&project);
    if tl000_enabled {
        for (file, model) in project.models.iter().enumerate() {
            if !project.report[file] {
                continue;
            }
            if let Some(p) = model.problems.first() {
                diagnostics.push(unreadable(file, p));
            }
        }
    }
    crate::suppress::apply(&project, &mut diagnostics);
    sort(&project, &mut diagnostics);
    CheckOutput {
        project,
        diagnostics,
        files_checked,
    }
}

fn unreadable(file: usize, p: &Problem) -> Diagnostic {
    let info = &rules::UNREADABLE_SOURCE.info;
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

fn problem_model(language: Language, message: String) -> FileModel {
    let mut m = FileModel::new(language);
    m.problems.push(Problem {
        span: Span::new(0, 0),
        message,
    });
    m
}

fn read_and_parse(f: FoundFile, stdin: Option<&StdinFile>) -> InputFile {
    let read = match stdin {
        Some(s) if s.path == f.path => Ok(s.bytes.clone()),
        _ => std::fs::read(&f.path),
    };
    let (text, model) = match read {
        Err(e) => (
            String::new(),
            problem_model(f.language, format!("cannot read file: {e}")),
        ),
        Ok(bytes) => parse_bytes(f.language, bytes),
    };
    InputFile {
        source: SourceFile::new(f.display, f.path, text),
        model,
        relative: f.relative,
        root: f.root,
        report: f.report,
    }
}

/// Turns a file's bytes into its text and model, whatever the bytes are.
pub fn parse_bytes(language: Language, bytes: Vec<u8>) -> (String, FileModel) {
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return (
            String::new(),
            problem_model(language, "binary file (it contains NUL bytes)".into()),
        );
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let mut m = FileModel::new(language);
            m.problems.push(Problem {
                span: Span::new(at as u32, at as u32),
                message: format!("not UTF-8 text (invalid byte at offset {at})"),
            });
            return (text, m);
        }
    };
    let model = match catch_unwind(AssertUnwindSafe(|| parse_text(language, &text))) {
        Ok(m) => m,
        Err(_) => problem_model(
            language,
            "internal error while parsing this file; please report it".into(),
        ),
    };
    (text, model)
}

fn parse_text(language: Language, text: &str) -> FileModel {
    match language {
        Language::Python => {
            // A UTF-8 BOM is not Python syntax; blank it without moving any offset.
            match text.strip_prefix('\u{feff}') {
                Some(rest) => crate::lang::python::parse(&format!("   {rest}")),
                None => crate::lang::python::parse(text),
            }
        }
        Language::Rust => crate::lang::rust::parse(text),
    }
}
