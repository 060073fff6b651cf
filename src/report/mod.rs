//! Printing findings. One file per format, all behind [`Emitter`]: adding a format touches
//! one file and the `Format` enum.

mod concise;
pub mod escape;
mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;
pub mod statistics;
mod text;

use std::io;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

pub use concise::Concise;
pub use github::Github;
pub use gitlab::Gitlab;
pub use json::Json;
pub use junit::Junit;
pub use sarif::Sarif;
pub use text::Text;

/// Counts printed with the findings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    pub diagnostics: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Reported files that could not be checked, by reason (only when there are some).
    #[serde(skip_serializing_if = "crate::pipeline::Skipped::is_empty")]
    pub skipped: crate::pipeline::Skipped,
    /// `--quiet`: the formats that print a closing sentence leave it out.
    #[serde(skip)]
    pub quiet: bool,
    /// Findings `--fix` fixed in this run.
    #[serde(skip)]
    pub fixed: usize,
    /// Findings `--fix` would fix (with `--unsafe-fixes`: counting unsafe fixes).
    #[serde(skip)]
    pub fixable: usize,
    /// Findings only `--unsafe-fixes` would fix.
    #[serde(skip)]
    pub hidden_unsafe_fixes: usize,
    /// The exit status of the run (SARIF's `invocations`, JUnit).
    #[serde(skip)]
    pub exit_code: i32,
    /// `--format text`: links to the pages of the rules reported.
    #[serde(skip)]
    pub rule_links: bool,
}

impl Summary {
    pub fn new(files: usize, diagnostics: &[Diagnostic]) -> Summary {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        Summary {
            files,
            diagnostics: diagnostics.len(),
            errors,
            warnings: diagnostics.len() - errors,
            skipped: Default::default(),
            quiet: false,
            fixed: 0,
            fixable: 0,
            hidden_unsafe_fixes: 0,
            exit_code: i32::from(!diagnostics.is_empty()),
            rule_links: false,
        }
    }

    /// Writes the closing sentence, unless `--quiet`.
    pub fn write_sentence(&self, out: &mut dyn WriteColor) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        writeln!(out, "{}", self.sentence())?;
        if self.fixable > 0 || self.hidden_unsafe_fixes > 0 {
            let mut hint = String::new();
            if self.fixable > 0 {
                hint.push_str(&format!("{} fixable with `--fix`", self.fixable));
            }
            if self.hidden_unsafe_fixes > 0 {
                if !hint.is_empty() {
                    hint.push_str("; ");
                }
                hint.push_str(&format!(
                    "{} more with `--fix --unsafe-fixes`",
                    self.hidden_unsafe_fixes
                ));
            }
            writeln!(out, "[*] {hint}.")?;
        }
        Ok(())
    }

    /// `Found 2 errors and 1 warning in 14 files.` / `All checks passed (14 files).`
    pub fn sentence(&self) -> String {
        let files = plural(self.files, "file");
        let skipped = if self.skipped.is_empty() {
            String::new()
        } else {
            format!("; {}", self.skipped.sentence())
        };
        let fixed = if self.fixed > 0 {
            format!("Fixed {}. ", plural(self.fixed, "finding"))
        } else {
            String::new()
        };
        if self.diagnostics == 0 {
            return format!("{fixed}All checks passed ({files}{skipped}).");
        }
        let mut parts = Vec::new();
        if self.errors > 0 {
            parts.push(plural(self.errors, "error"));
        }
        if self.warnings > 0 {
            parts.push(plural(self.warnings, "warning"));
        }
        format!("{fixed}Found {} in {files}{skipped}.", parts.join(" and "))
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Where the documentation site is published: the `homepage` of Cargo.toml (the
/// repository's GitHub Pages). The rule pages are `<DOCS_URL>rules/<CODE>.html`; SARIF's
/// `helpUri`, the text format's rule links and `tasklint rules --format json` point
/// there. `examples/docs_site.rs` builds the site (`bash scripts/docs-site`).
pub const DOCS_URL: &str = env!("CARGO_PKG_HOMEPAGE");

/// The page of a rule on the documentation site.
pub fn rule_url(code: &str) -> String {
    format!("{DOCS_URL}rules/{code}.html")
}

pub trait Emitter {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()>;
}

/// Paths for CI services (SARIF, GitHub annotations), which resolve relative paths
/// against the root of the repository: the nearest folder above the file holding `.git`
/// (a folder, or a file in worktrees and submodules). Without one, the path is relative
/// to the current folder.
#[derive(Default)]
pub struct RepoPaths {
    roots: std::collections::HashMap<std::path::PathBuf, Option<std::path::PathBuf>>,
}

impl RepoPaths {
    /// The repository root of a file (absolute), if it is in one.
    pub fn root_of(&mut self, file: &SourceFile) -> Option<std::path::PathBuf> {
        let abs = absolute_path(file.path());
        let dir = abs.parent()?.to_path_buf();
        self.roots
            .entry(dir.clone())
            .or_insert_with(|| {
                dir.ancestors()
                    .find(|d| d.join(".git").exists())
                    .map(std::path::Path::to_path_buf)
            })
            .clone()
    }

    /// The file's path relative to its repository root, byte for byte: formats
    /// encode it for their sink (`source::display_path`, SARIF's percent-encoding).
    pub fn relative(&mut self, file: &SourceFile) -> std::path::PathBuf {
        let abs = absolute_path(file.path());
        match self.root_of(file) {
            Some(root) => abs
                .strip_prefix(&root)
                .map(std::path::Path::to_path_buf)
                .unwrap_or(abs.clone()),
            None => file
                .path()
                .strip_prefix(".")
                .unwrap_or(file.path())
                .to_path_buf(),
        }
    }
}

/// A relative path's bytes with `/` between its components: a URI path (SARIF). The
/// separator is the platform's own (`\\` too on Windows); a `\\` inside a Unix file
/// name is part of the name and stays.
pub fn slash_path_bytes(p: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in p.components().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c.as_os_str().as_encoded_bytes());
    }
    out
}

/// A fingerprint per finding that stays the same when lines are added or removed
/// above it, so that code-scanning services (SARIF `partialFingerprints`, GitLab's
/// `fingerprint`) keep tracking one alert instead of closing it and opening another.
///
/// It hashes what identifies the finding without its position: the rule, the file's
/// path relative to the repository, the text of the line the finding starts on (with
/// its indentation trimmed) and the message; identical findings in one file are told
/// apart by their order.
pub fn fingerprints(diagnostics: &[Diagnostic], files: &[SourceFile]) -> Vec<String> {
    let mut repo = RepoPaths::default();
    let mut seen: std::collections::HashMap<u128, u32> = std::collections::HashMap::new();
    diagnostics
        .iter()
        .map(|d| {
            let f = &files[d.file];
            let line = f.line_text(f.line_index(f.clamp(d.span.start)));
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            let relative = repo.relative(f);
            for part in [
                d.code.as_bytes(),
                relative.as_os_str().as_encoded_bytes(),
                line.trim().as_bytes(),
                d.message.as_bytes(),
            ] {
                h.update(part);
                h.update(&[0]);
            }
            let base = h.digest128();
            let n = seen.entry(base).or_insert(0);
            *n += 1;
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(&base.to_le_bytes());
            h.update(&n.to_le_bytes());
            format!("{:032x}", h.digest128())
        })
        .collect()
}

/// Absolute without touching the disk more than needed (a `--stdin-filename` path may
/// not exist); symlinks are resolved when the file exists, so that a path reached
/// through a link is still inside its repository.
pub fn absolute_path(p: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| crate::paths::absolute(p))
}
