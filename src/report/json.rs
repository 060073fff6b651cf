//! `--format json`: the stable schema (version 1, docs/formats.md and
//! docs/tasklint-json-v1.schema.json). Editors and CI parse it:
//! field names and meanings only ever grow.

use std::io;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Serialize;

use super::{Emitter, Summary};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::model::Span;
use crate::source::SourceFile;

pub struct Json;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    summary: &'a Summary,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Point {
    line: u32,
    column: u32,
    offset: u32,
}

#[derive(Serialize)]
pub struct Range {
    start: Point,
    end: Point,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    range: Range,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    range: Range,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    message: &'a str,
    applicability: Applicability,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    notes: &'a [String],
    path: &'a str,
    range: Range,
    related: Vec<JsonRelated<'a>>,
    fix: Option<JsonFix<'a>>,
}

pub fn range(file: &SourceFile, span: Span) -> Range {
    let start = file.position(span.start);
    let end = file.position(span.end.max(span.start));
    Range {
        start: Point {
            line: start.line,
            column: start.column,
            offset: start.offset,
        },
        end: Point {
            line: end.line,
            column: end.column,
            offset: end.offset,
        },
    }
}

impl Emitter for Json {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        let report = Report {
            version: 1,
            tool: Tool {
                name: "tasklint",
                version: env!("CARGO_PKG_VERSION"),
            },
            summary,
            diagnostics: diagnostics
                .iter()
                .map(|d| {
                    let f = &files[d.file];
                    JsonDiagnostic {
                        code: d.code,
                        name: d.name,
                        severity: d.severity.as_str(),
                        message: &d.message,
                        help: d.help.as_deref(),
                        notes: &d.notes,
                        path: &f.display,
                        range: range(f, d.span),
                        related: d
                            .related
                            .iter()
                            .map(|r| JsonRelated {
                                path: &files[r.file].display,
                                range: range(&files[r.file], r.span),
                                message: &r.message,
                            })
                            .collect(),
                        fix: d.fix.as_ref().map(|fix| JsonFix {
                            message: &fix.message,
                            applicability: fix.applicability,
                            edits: fix
                                .edits
                                .iter()
                                .map(|e| JsonEdit {
                                    range: range(f, e.span),
                                    content: &e.content,
                                })
                                .collect(),
                        }),
                    }
                })
                .collect(),
        };
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)
    }
}
