//! The default format: rustc-style diagnostics through codespan-reporting, with the
//! source line, the underlined span, `help:` and `note:`s, and related places.

use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::termcolor::WriteColor;
use codespan_reporting::term::{self, Config};

use super::{Emitter, Summary};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

pub struct Text;

/// After the findings, where to read about each rule reported (as rustc ends with
/// "For more information about this error, try `rustc --explain E0308`").
fn write_rule_links(out: &mut dyn WriteColor, diagnostics: &[Diagnostic]) -> io::Result<()> {
    let mut codes: Vec<(&str, &str)> = diagnostics.iter().map(|d| (d.code, d.name)).collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "For more about a rule: `tasklint rule CODE`, or its page:"
    )?;
    for (code, name) in codes {
        writeln!(out, "  {code} {name}: {}", super::rule_url(code))?;
    }
    Ok(())
}

/// Lets codespan read our files without copying them.
struct FileDb<'a>(&'a [SourceFile]);

impl<'a> Files<'a> for FileDb<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(id).ok_or(FilesError::FileMissing)?.display)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&*self.0.get(id).ok_or(FilesError::FileMissing)?.text)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        Ok(f.line_index(f.clamp(byte_index as u32)))
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        if line_index >= f.line_count() {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: f.line_count().saturating_sub(1),
            });
        }
        let start = f.line_start(line_index) as usize;
        let end = if line_index + 1 < f.line_count() {
            f.line_start(line_index + 1) as usize
        } else {
            f.text.len()
        };
        Ok(start..end)
    }
}

pub fn to_codespan(d: &Diagnostic, files: &[SourceFile]) -> CsDiagnostic<usize> {
    let base = match d.severity {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
    };
    let range = |file: usize, span: crate::model::Span| {
        let f = &files[file];
        f.clamp(span.start) as usize..f.clamp(span.end.max(span.start)) as usize
    };
    let mut primary = Label::primary(d.file, range(d.file, d.span));
    if let Some(l) = &d.label {
        primary = primary.with_message(l.clone());
    }
    let mut labels = vec![primary];
    for r in &d.related {
        labels
            .push(Label::secondary(r.file, range(r.file, r.span)).with_message(r.message.clone()));
    }
    let mut notes = Vec::new();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    for n in &d.notes {
        notes.push(format!("note: {n}"));
    }
    base.with_code(format!("{} {}", d.code, d.name))
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

impl Emitter for Text {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        let db = FileDb(files);
        let config = Config::default();
        for d in diagnostics {
            term::emit_to_write_style(out, &config, &db, &to_codespan(d, files))
                .map_err(io::Error::other)?;
        }
        if summary.rule_links && !summary.quiet {
            write_rule_links(out, diagnostics)?;
        }
        summary.write_sentence(out)
    }
}
