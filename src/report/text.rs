//! The default format: rustc-style diagnostics through codespan-reporting, with the
//! source line, the underlined span, `help:` and `note:`s, and related places.
//!
//! codespan prints whatever source it is given, so it is given an excerpt per
//! diagnostic rather than the files: the lines the labels touch, with every character a
//! terminal would act on escaped (`super::escape`), and a line longer than
//! [`LONG_LINE`] cut to windows around the labels (`…` for what is left out; a minified
//! file is one huge line, and printing it whole for each finding would be quadratic).
//! Line and column numbers are those of the real file.

use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::termcolor::WriteColor;
use codespan_reporting::term::{self, Config};

use super::escape;
use super::{Emitter, Summary};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Span;
use crate::source::{FileId, SourceFile};

pub struct Text;

/// Lines longer than this (in bytes) are shown in windows around the labels.
const LONG_LINE: usize = 400;
/// Context kept before a label, and after its start and its end, on a long line.
const BEFORE: usize = 40;
const AFTER_START: usize = 120;
const AFTER_END: usize = 40;
/// How many lines of a label spanning several lines codespan may show after its first
/// line (`Config::start_context_lines` + 1 for the line it shows between two shown
/// lines) and before its last one (`end_context_lines` + 1).
const FIRST_LINES: usize = 4;
const LAST_LINES: usize = 2;

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

/// A stretch of a real line and what stands for it in the excerpt.
struct Piece {
    real: Range<usize>,
    view: Range<usize>,
    /// The same bytes on both sides (else an escape, or `…` for an elided stretch).
    copied: bool,
}

/// One real line in the excerpt.
struct ViewLine {
    /// 0-based line index in the real file.
    line: usize,
    /// Where the line is in the excerpt, without its `\n`.
    range: Range<usize>,
    /// Pieces covering the line's text, in order.
    pieces: Vec<Piece>,
}

impl ViewLine {
    /// Where a real offset on this line lands in the excerpt; `end` puts an offset
    /// inside an escape or an elision after it rather than before.
    fn to_view(&self, real: usize, end: bool) -> usize {
        let i = self.pieces.partition_point(|p| p.real.start <= real);
        let Some(p) = i.checked_sub(1).map(|i| &self.pieces[i]) else {
            return self.range.start;
        };
        if real >= p.real.end {
            p.view.end
        } else if p.copied {
            p.view.start + (real - p.real.start)
        } else if end && real > p.real.start {
            p.view.end
        } else {
            p.view.start
        }
    }

    fn to_real(&self, view: usize) -> Option<usize> {
        let i = self.pieces.partition_point(|p| p.view.start <= view);
        let p = &self.pieces[i.checked_sub(1)?];
        Some(if view >= p.view.end {
            p.real.end
        } else if p.copied {
            p.real.start + (view - p.view.start)
        } else {
            p.real.start
        })
    }
}

/// What codespan sees of one file for one diagnostic.
struct View<'a> {
    file: &'a SourceFile,
    name: String,
    source: String,
    /// By real line index.
    lines: Vec<ViewLine>,
}

/// Rounds a byte offset down (or up) to a character boundary.
fn floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

impl<'a> View<'a> {
    /// The excerpt of `file` showing `spans` (real byte ranges).
    fn new(file: &'a SourceFile, spans: &[Range<usize>]) -> View<'a> {
        // Each needed line, with the stretches of it that must be visible.
        let mut needed: std::collections::BTreeMap<usize, Vec<Range<usize>>> = Default::default();
        for span in spans {
            let first = file.line_index(span.start as u32);
            let last = file.line_index(span.end as u32);
            if first == last {
                needed.entry(first).or_default().push(span.clone());
                continue;
            }
            let body = |l: usize| file.line_range(l);
            needed
                .entry(first)
                .or_default()
                .push(span.start..body(first).end.max(span.start));
            needed
                .entry(last)
                .or_default()
                .push(body(last).start..span.end);
            let inner = (first + 1..=(first + FIRST_LINES).min(last - 1))
                .chain(last.saturating_sub(LAST_LINES).max(first + 1)..last);
            for l in inner {
                let start = body(l).start;
                needed.entry(l).or_default().push(start..start);
            }
        }
        let mut view = View {
            file,
            name: escape::text(&file.display).into_owned(),
            source: String::new(),
            lines: Vec::with_capacity(needed.len()),
        };
        for (line, stretches) in needed {
            view.push_line(line, &stretches);
        }
        view
    }

    fn push_line(&mut self, line: usize, stretches: &[Range<usize>]) {
        let text = &*self.file.text;
        let body = self.file.line_range(line);
        // The parts of the line to show.
        let mut keep: Vec<Range<usize>> = if body.len() <= LONG_LINE {
            vec![body.clone()]
        } else {
            let mut k: Vec<Range<usize>> = Vec::new();
            for s in stretches {
                let (a, b) = (s.start.max(body.start), s.end.min(body.end));
                if b.saturating_sub(a) <= AFTER_START {
                    k.push(a.saturating_sub(BEFORE)..b + AFTER_END);
                } else {
                    k.push(a.saturating_sub(BEFORE)..a + AFTER_START);
                    k.push(b.saturating_sub(BEFORE)..b + AFTER_END);
                }
            }
            k.iter_mut().for_each(|r| {
                *r = floor(text, r.start.max(body.start))..ceil(text, r.end.min(body.end))
            });
            k.sort_by_key(|r| r.start);
            let mut merged: Vec<Range<usize>> = Vec::new();
            for r in k {
                match merged.last_mut() {
                    Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
                    _ => merged.push(r),
                }
            }
            merged
        };
        if keep.is_empty() {
            keep.push(body.start..body.start);
        }
        let start = self.source.len();
        let mut pieces = Vec::new();
        let mut at = body.start;
        fn elide(at: usize, to: usize, source: &mut String, pieces: &mut Vec<Piece>) {
            if to > at {
                let v = source.len();
                source.push('…');
                pieces.push(Piece {
                    real: at..to,
                    view: v..source.len(),
                    copied: false,
                });
            }
        }
        for k in keep {
            elide(at, k.start, &mut self.source, &mut pieces);
            let mut run = k.start;
            for (i, c) in text[k.clone()].char_indices() {
                // Tabs are expanded by codespan; every other unsafe character is escaped.
                if c == '\t' || !escape::is_unsafe(c) {
                    continue;
                }
                let i = k.start + i;
                self.copy(run..i, &mut pieces);
                let v = self.source.len();
                self.source.push_str(&escape::escaped(c));
                pieces.push(Piece {
                    real: i..i + c.len_utf8(),
                    view: v..self.source.len(),
                    copied: false,
                });
                run = i + c.len_utf8();
            }
            self.copy(run..k.end, &mut pieces);
            at = k.end;
        }
        elide(at, body.end, &mut self.source, &mut pieces);
        let end = self.source.len();
        self.source.push('\n');
        self.lines.push(ViewLine {
            line,
            range: start..end,
            pieces,
        });
    }

    fn copy(&mut self, real: Range<usize>, pieces: &mut Vec<Piece>) {
        if real.is_empty() {
            return;
        }
        let v = self.source.len();
        self.source.push_str(&self.file.text[real.clone()]);
        pieces.push(Piece {
            real,
            view: v..self.source.len(),
            copied: true,
        });
    }

    fn line(&self, line: usize) -> Option<&ViewLine> {
        self.lines
            .binary_search_by_key(&line, |l| l.line)
            .ok()
            .map(|i| &self.lines[i])
    }

    /// A real span as a range of the excerpt.
    fn range(&self, span: Range<usize>) -> Range<usize> {
        let at = |real: usize, end: bool| {
            let line = self.file.line_index(real as u32);
            self.line(line)
                .map(|l| l.to_view(real, end))
                .unwrap_or(self.source.len())
        };
        let start = at(span.start, false);
        start..at(span.end, true).max(start)
    }
}

/// Every excerpt of one diagnostic.
struct Views<'a>(Vec<View<'a>>);

impl<'a> Files<'a> for Views<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(id).ok_or(FilesError::FileMissing)?.name)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(id).ok_or(FilesError::FileMissing)?.source)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let v = self.0.get(id).ok_or(FilesError::FileMissing)?;
        let i = v
            .lines
            .partition_point(|l| l.range.start <= byte_index)
            .saturating_sub(1);
        Ok(v.lines.get(i).map_or(0, |l| l.line))
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let v = self.0.get(id).ok_or(FilesError::FileMissing)?;
        if line_index >= v.file.line_count() {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: v.file.line_count().saturating_sub(1),
            });
        }
        // A line inside a long multi-line label that codespan will not show.
        Ok(v.line(line_index)
            .map_or(v.source.len()..v.source.len(), |l| l.range.clone()))
    }

    fn column_number(
        &'a self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let v = self.0.get(id).ok_or(FilesError::FileMissing)?;
        let real = v
            .line(line_index)
            .and_then(|l| l.to_real(byte_index))
            .unwrap_or_else(|| v.file.line_start(line_index) as usize);
        Ok(v.file.column(line_index, real as u32) as usize)
    }
}

fn real_range(file: &SourceFile, span: Span) -> Range<usize> {
    file.clamp(span.start) as usize..file.clamp(span.end.max(span.start)) as usize
}

/// The diagnostic as codespan takes it, with the excerpts it refers to.
fn to_codespan<'a>(d: &Diagnostic, files: &'a [SourceFile]) -> (CsDiagnostic<usize>, Views<'a>) {
    let base = match d.severity {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
    };
    // The files in the order labels name them, and each one's spans.
    let mut order: Vec<(FileId, Vec<Range<usize>>)> = Vec::new();
    let places =
        std::iter::once((d.file, d.span)).chain(d.related.iter().map(|r| (r.file, r.span)));
    for (file, span) in places {
        let range = real_range(&files[file], span);
        match order.iter_mut().find(|(f, _)| *f == file) {
            Some((_, v)) => v.push(range),
            None => order.push((file, vec![range])),
        }
    }
    let views = Views(
        order
            .iter()
            .map(|(f, spans)| View::new(&files[*f], spans))
            .collect(),
    );
    let label = |file: FileId, span: Span| {
        let id = order.iter().position(|(f, _)| *f == file).unwrap_or(0);
        (id, views.0[id].range(real_range(&files[file], span)))
    };
    let (id, range) = label(d.file, d.span);
    let mut primary = Label::primary(id, range);
    if let Some(l) = &d.label {
        primary = primary.with_message(escape::text(l));
    }
    let mut labels = vec![primary];
    for r in &d.related {
        let (id, range) = label(r.file, r.span);
        labels.push(Label::secondary(id, range).with_message(escape::text(&r.message)));
    }
    let mut notes = Vec::new();
    if let Some(h) = &d.help {
        notes.push(format!("help: {}", escape::text(h)));
    }
    for n in &d.notes {
        notes.push(format!("note: {}", escape::text(n)));
    }
    let diagnostic = base
        .with_code(format!("{} {}", d.code, d.name))
        .with_message(escape::text(&d.message))
        .with_labels(labels)
        .with_notes(notes);
    (diagnostic, views)
}

impl Emitter for Text {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        let config = Config::default();
        for d in diagnostics {
            let (diagnostic, views) = to_codespan(d, files);
            term::emit_to_write_style(out, &config, &views, &diagnostic)
                .map_err(io::Error::other)?;
        }
        if summary.rule_links && !summary.quiet {
            write_rule_links(out, diagnostics)?;
        }
        summary.write_sentence(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codespan_reporting::term::termcolor::NoColor;

    fn render(text: &str, spans: &[(usize, usize)]) -> String {
        let files = vec![SourceFile::new("a.py".into(), "a.py".into(), text.into())];
        let d = |(s, e): (usize, usize)| Diagnostic {
            code: "TL000",
            name: "x",
            severity: Severity::Error,
            message: "m".into(),
            file: 0,
            span: Span::new(s as u32, e as u32),
            label: Some("here".into()),
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
            fix: None,
        };
        let ds: Vec<Diagnostic> = spans.iter().map(|s| d(*s)).collect();
        let mut out = NoColor::new(Vec::new());
        let mut summary = Summary::new(1, &ds);
        summary.quiet = true;
        Text.emit(&mut out, &ds, &files, &summary).unwrap();
        String::from_utf8(out.into_inner()).unwrap()
    }

    #[test]
    fn a_long_line_is_shown_in_windows_around_the_label() {
        let text = format!("{}target(){}\n", "x".repeat(5000), "y".repeat(5000));
        let at = text.find("target").unwrap();
        let out = render(&text, &[(at, at + 8)]);
        assert!(out.contains("┌─ a.py:1:5001"), "{out}");
        let shown = out.lines().find(|l| l.starts_with("1 │")).unwrap();
        assert!(
            shown.starts_with(&format!("1 │ …{}target()", "x".repeat(BEFORE))),
            "{shown}"
        );
        assert!(
            shown.ends_with(&format!("{}…", "y".repeat(AFTER_END))),
            "{shown}"
        );
        let caret = out.lines().find(|l| l.contains('^')).unwrap();
        let column = |line: &str, pat: &str| line[..line.find(pat).unwrap()].chars().count();
        assert_eq!(column(caret, "^"), column(shown, "target"), "{out}");
    }

    #[test]
    fn source_lines_escape_what_a_terminal_would_act_on() {
        let text = "s = '\x1b[2J' target()\r\nnext\rline\n";
        let at = text.find("target").unwrap();
        let out = render(
            text,
            &[(at, at + 8), (text.find("line").unwrap(), text.len() - 1)],
        );
        assert!(!out.contains('\x1b') && !out.contains('\r'), "{out:?}");
        assert!(out.contains("1 │ s = '\\u{1b}[2J' target()\n"), "{out}");
        // A lone `\r` in a Python file is a line break: `line` is on line 3.
        assert!(out.contains("┌─ a.py:3:1"), "{out}");
        assert!(out.contains("┌─ a.py:1:12"), "{out}");
    }

    #[test]
    fn a_label_over_several_lines_shows_its_ends() {
        let text: String = (0..30).map(|i| format!("line{i}\n")).collect();
        let start = text.find("line2").unwrap();
        let end = text.find("line20").unwrap() + 6;
        let out = render(&text, &[(start, end)]);
        for shown in [
            " 3 │ ╭ line2",
            " 6 │ │ line5",
            "20 │ │ line19",
            "21 │ │ line20",
        ] {
            assert!(out.contains(shown), "{shown}: {out}");
        }
        assert!(!out.contains("line10"), "{out}");
    }
}
