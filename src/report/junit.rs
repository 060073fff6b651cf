//! `--format junit`: JUnit XML, which CI systems (GitLab's `artifacts:reports:junit`,
//! Jenkins, Azure Pipelines, CircleCI) show as test results: one `<testsuite>` per file
//! with findings, one failing `<testcase>` per finding. A clean run is one passing test
//! case, so the report is never empty.
//!
//! Everything user-controlled (paths, messages) is escaped for XML attributes and text;
//! characters XML 1.0 cannot hold at all (most control characters) become U+FFFD.

use std::io;

use codespan_reporting::term::termcolor::WriteColor;

use super::{Emitter, Summary};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

pub struct Junit;

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Line breaks survive in attributes only as references.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // XML 1.0's Char production: no other C0 control, no U+FFFE/U+FFFF.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

impl Emitter for Junit {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        let n = diagnostics.len().max(1);
        writeln!(
            out,
            r#"<testsuites name="tasklint" tests="{n}" failures="{}" errors="0">"#,
            diagnostics.len()
        )?;
        if diagnostics.is_empty() {
            writeln!(
                out,
                r#"  <testsuite name="tasklint" tests="1" failures="0" errors="0">"#
            )?;
            writeln!(
                out,
                r#"    <testcase name="{}" classname="tasklint"/>"#,
                escape(&summary.sentence())
            )?;
            writeln!(out, "  </testsuite>")?;
        }
        // Diagnostics are sorted by path: each file's findings are together.
        let mut i = 0;
        while i < diagnostics.len() {
            let file = diagnostics[i].file;
            let group: Vec<&Diagnostic> = diagnostics[i..]
                .iter()
                .take_while(|d| d.file == file)
                .collect();
            i += group.len();
            let f = &files[file];
            let path = escape(&f.display);
            writeln!(
                out,
                r#"  <testsuite name="{path}" tests="{}" failures="{}" errors="0">"#,
                group.len(),
                group.len()
            )?;
            for d in group {
                let p = f.position(d.span.start);
                let mut body = format!("{}:{}:{}: {}", f.display, p.line, p.column, d.message);
                if let Some(h) = &d.help {
                    body.push_str("\nhelp: ");
                    body.push_str(h);
                }
                for n in &d.notes {
                    body.push_str("\nnote: ");
                    body.push_str(n);
                }
                writeln!(
                    out,
                    r#"    <testcase name="{} {}" classname="{path}" file="{path}" line="{}">"#,
                    d.code, d.name, p.line
                )?;
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{}">{}</failure>"#,
                    escape(&d.message),
                    d.severity.as_str(),
                    escape(&body)
                )?;
                writeln!(out, "    </testcase>")?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaping_covers_markup_and_characters_xml_cannot_hold() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\n\u{1b}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;\u{FFFD}"
        );
    }
}
