//! `--format gitlab`: GitLab's code quality report (a JSON array of issues, as
//! `artifacts:reports:codequality` expects: <https://docs.gitlab.com/ci/testing/code_quality/>).
//! Each issue has a `description`, a `check_name` (the rule code), a `fingerprint` that
//! stays the same when lines move (merge requests then show new and fixed issues, not
//! every moved one), a `severity` (`major` for errors, `minor` for warnings) and a
//! `location` whose path is relative to the repository root, as GitLab resolves it.

use std::io;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Serialize;

use super::{Emitter, RepoPaths, Summary, fingerprints};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

pub struct Gitlab;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

impl Emitter for Gitlab {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        _summary: &Summary,
    ) -> io::Result<()> {
        let mut repo = RepoPaths::default();
        let issues: Vec<Issue> = diagnostics
            .iter()
            .zip(fingerprints(diagnostics, files))
            .map(|(d, fingerprint)| {
                let f = &files[d.file];
                let start = f.position(d.span.start);
                let end = f.position(d.span.end.max(d.span.start));
                Issue {
                    kind: "issue",
                    check_name: d.code,
                    description: format!("{} ({}): {}", d.code, d.name, d.message),
                    categories: ["Bug Risk"],
                    severity: match d.severity {
                        Severity::Error => "major",
                        Severity::Warning => "minor",
                    },
                    fingerprint,
                    location: Location {
                        path: crate::source::display_path(&repo.relative(f)),
                        positions: Positions {
                            begin: Position {
                                line: start.line,
                                column: start.column,
                            },
                            end: Position {
                                line: end.line,
                                column: end.column,
                            },
                        },
                    },
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &issues)?;
        writeln!(out)
    }
}
