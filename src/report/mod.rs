//! Printing findings. One file per format, all behind [`Emitter`]: adding a format touches
//! one file and the `Format` enum.

mod concise;
mod json;
mod text;

use std::io;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

pub use concise::Concise;
pub use json::Json;
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
        }
    }

    /// `Found 2 errors and 1 warning in 14 files.` / `All checks passed (14 files).`
    pub fn sentence(&self) -> String {
        let files = plural(self.files, "file");
        let skipped = if self.skipped.is_empty() {
            String::new()
        } else {
            format!("; {}", self.skipped.sentence())
        };
        if self.diagnostics == 0 {
            return format!("All checks passed ({files}{skipped}).");
        }
        let mut parts = Vec::new();
        if self.errors > 0 {
            parts.push(plural(self.errors, "error"));
        }
        if self.warnings > 0 {
            parts.push(plural(self.warnings, "warning"));
        }
        format!("Found {} in {files}{skipped}.", parts.join(" and "))
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
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
