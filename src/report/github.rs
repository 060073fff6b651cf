//! `--format github`: GitHub Actions workflow commands, one annotation a finding:
//!
//! `::error file=orders/views.py,line=14,col=5,endLine=14,endColumn=32,title=TL101 task-called-directly::task ...`
//!
//! Escaping follows actions/toolkit (`packages/core/src/command.ts`): in the message `%`,
//! `\r`, `\n` become `%25`, `%0D`, `%0A`; property values also escape `:` and `,`. The
//! runner undoes exactly that, so a path with a newline or a `,` comes back whole. Other
//! control characters (an ANSI escape in a file name or a task name) have no escape the
//! runner undoes: they are written as text (`\u{1b}`, `super::escape`), and so are
//! newlines inside the message's user text, so that our own `\n` before `help:` stays
//! the only line break. Paths are relative to the repository root, as the runner
//! resolves them, byte for byte (`\` stays `\`). GitHub refuses `col` and `endColumn` on
//! an annotation that spans several lines, so they are left out then.

use std::io;

use codespan_reporting::term::termcolor::WriteColor;

use super::{Emitter, RepoPaths, Summary, escape};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

pub struct Github;

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command: GitHub's escapes
/// where it has one, text escapes for the other control characters.
pub fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c if escape::is_unsafe(c) => out.push_str(&escape::escaped(c)),
            c => out.push(c),
        }
    }
    out
}

impl Emitter for Github {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        let mut repo = RepoPaths::default();
        for d in diagnostics {
            let f = &files[d.file];
            let start = f.position(d.span.start);
            let end = f.position(d.span.end.max(d.span.start));
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut props = vec![
                format!(
                    "file={}",
                    escape_property(&crate::source::display_bytes(&super::slash_path_bytes(
                        &repo.relative(f)
                    )))
                ),
                format!("line={}", start.line),
            ];
            if start.line == end.line {
                props.push(format!("col={}", start.column));
            }
            props.push(format!("endLine={}", end.line));
            if start.line == end.line {
                props.push(format!("endColumn={}", end.column));
            }
            props.push(format!(
                "title={}",
                escape_property(&format!("{} {}", d.code, d.name))
            ));
            let mut message = escape::text(&d.message).into_owned();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(&escape::text(h));
            }
            writeln!(
                out,
                "::{level} {}::{}",
                props.join(","),
                escape_data(&message)
            )?;
        }
        summary.write_sentence(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_property("a\nb\x1b"), "a%0Ab\\u{1b}");
    }
}
