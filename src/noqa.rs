//! `--add-noqa`: a baseline for an existing codebase. Every line with a finding gets a
//! suppression comment — `# tasklint: ignore[TL101]` in Python, `// tasklint:
//! ignore[TL302]` in Rust — so that the next run passes and only new findings fail CI
//! (ruff's `--add-noqa`).
//!
//! - The comment goes on the line the finding starts on: the line suppressions apply to.
//! - A `tasklint: ignore[...]` comment already on that line gets the new codes in its
//!   list; any other comment (`# noqa: E501`, `# type: ignore`) is kept, and ours
//!   follows it (one comment may hold several directives).
//! - Where a comment cannot go — a Python line that ends inside a multi-line string or
//!   after a `\` continuation — nothing is written and the line is listed. In Rust, a
//!   block comment (`/* tasklint: ignore[...] */`) before the finding suppresses it on
//!   the same line, so it is used there.
//! - Code never changes: only comment text is inserted, and each file is parsed again
//!   after the edit; a file where an inserted comment is not read back as a comment, or
//!   that no longer parses, is left as it was.
//! - Running it again adds nothing: suppressed findings are no longer reported.
//!
//! TL000 (a file that cannot be read or parsed) and TL001 (about suppression comments
//! themselves) are not baselined.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::model::{FileModel, Language};
use crate::source::{FileId, SourceFile};
use crate::suppress::lexer::{self, Lexed, Scope, Syntax};

/// A file with its new text.
pub struct Edited {
    pub file: FileId,
    pub text: String,
    /// Lines that got a comment (or new codes in one).
    pub lines: usize,
}

/// A line left without a comment, and why.
pub struct Left {
    pub file: FileId,
    /// 1-based.
    pub line: usize,
    pub codes: Vec<&'static str>,
    pub reason: String,
}

#[derive(Default)]
pub struct Plan {
    pub edited: Vec<Edited>,
    pub left: Vec<Left>,
}

/// One insertion into a file's text.
struct Insert {
    at: usize,
    text: String,
}

fn codes_list(codes: &BTreeSet<&str>) -> String {
    codes.iter().copied().collect::<Vec<_>>().join(", ")
}

fn parse(language: Language, text: &str) -> FileModel {
    crate::lang::parse_text(language, text)
}

/// The comments of each suppression on a line: (insertion offset after its last code,
/// codes it lists) for the first `tasklint: ignore[...]` of the line.
fn existing_directive(
    model: &FileModel,
    source: &SourceFile,
    line: usize,
) -> Option<(usize, Vec<String>)> {
    for c in &model.comments {
        if source.line_index(source.clamp(c.span.start)) != line {
            continue;
        }
        for lexed in lexer::lex(&c.text) {
            let Lexed::Directive(d) = lexed else {
                continue;
            };
            if d.scope != Scope::Line || d.syntax != Syntax::Tasklint {
                continue;
            }
            let Some(codes) = &d.codes else {
                continue;
            };
            let last = codes.last()?;
            let at = c.span.start as usize + last.span.end;
            return Some((
                at,
                codes.iter().map(|c| c.text.to_ascii_uppercase()).collect(),
            ));
        }
    }
    None
}

/// Where line `line` ends (before its `\r\n` or `\n`).
fn line_end(source: &SourceFile, line: usize) -> usize {
    let start = source.line_start(line) as usize;
    start + source.line_text(line).len()
}

/// Plans the comments for the findings of `diagnostics` (what a check reported).
pub fn plan(diagnostics: &[Diagnostic], files: &[SourceFile]) -> Plan {
    // file → line → (codes, the earliest start of a finding on the line)
    let mut wanted: BTreeMap<FileId, BTreeMap<usize, (BTreeSet<&'static str>, u32)>> =
        BTreeMap::new();
    let mut out = Plan::default();
    for d in diagnostics {
        let source = &files[d.file];
        let start = source.clamp(d.span.start);
        let line = source.line_index(start);
        if d.code == crate::catalogue::UNREADABLE_SOURCE.code
            || d.code == crate::catalogue::UNUSED_SUPPRESSION.code
        {
            out.left.push(Left {
                file: d.file,
                line: line + 1,
                codes: vec![d.code],
                reason: if d.code == crate::catalogue::UNREADABLE_SOURCE.code {
                    "a file that cannot be read or parsed is not baselined: fix it, or exclude it"
                        .into()
                } else {
                    "TL001 is about suppression comments and cannot itself be suppressed by one"
                        .into()
                },
            });
            continue;
        }
        let entry = wanted
            .entry(d.file)
            .or_default()
            .entry(line)
            .or_insert_with(|| (BTreeSet::new(), start));
        entry.0.insert(d.code);
        entry.1 = entry.1.min(start);
    }
    for (file, lines) in wanted {
        let source = &files[file];
        let Some(language) = crate::discover::language_of(source.path()) else {
            continue;
        };
        let text: &str = &source.text;
        let model = parse(language, text);
        let blocked = match language {
            Language::Python => crate::lang::python::no_comment_ranges(text),
            Language::Rust => crate::lang::rust::multiline_literals(text),
        };
        let mut inserts: Vec<(usize, Insert)> = Vec::new();
        for (line, (codes, first_start)) in lines {
            if let Some((at, present)) = existing_directive(&model, source, line) {
                let new: Vec<&str> = codes
                    .iter()
                    .copied()
                    .filter(|c| !present.iter().any(|p| p == c))
                    .collect();
                if !new.is_empty() {
                    inserts.push((
                        line,
                        Insert {
                            at,
                            text: format!(", {}", new.join(", ")),
                        },
                    ));
                }
                continue;
            }
            let end = line_end(source, line);
            let in_the_way = blocked.iter().any(|(s, e)| *s <= end && end < *e);
            let insert = match (language, in_the_way) {
                (Language::Python, false) => Insert {
                    at: end,
                    text: format!("  # tasklint: ignore[{}]", codes_list(&codes)),
                },
                (Language::Rust, false) => Insert {
                    at: end,
                    text: format!("  // tasklint: ignore[{}]", codes_list(&codes)),
                },
                // Before the finding, on its line: a block comment is read on the line
                // it starts on.
                (Language::Rust, true) => Insert {
                    at: first_start as usize,
                    text: format!("/* tasklint: ignore[{}] */ ", codes_list(&codes)),
                },
                (Language::Python, true) => {
                    out.left.push(Left {
                        file,
                        line: line + 1,
                        codes: codes.iter().copied().collect(),
                        reason: "the line ends inside a multi-line string or after a `\\` continuation: a comment cannot go there".into(),
                    });
                    continue;
                }
            };
            inserts.push((line, insert));
        }
        if inserts.is_empty() {
            continue;
        }
        match apply_checked(language, text, &model, &inserts) {
            Ok(new_text) => out.edited.push(Edited {
                file,
                text: new_text,
                lines: inserts.len(),
            }),
            Err(reason) => {
                for (line, _) in &inserts {
                    out.left.push(Left {
                        file,
                        line: line + 1,
                        codes: Vec::new(),
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    out.left.sort_by_key(|l| (l.file, l.line));
    out
}

/// Applies the insertions and proves that only comments were added: the new text
/// parses as well as the old one did, and each inserted directive is read back as a
/// comment at its place.
fn apply_checked(
    language: Language,
    text: &str,
    before: &FileModel,
    inserts: &[(usize, Insert)],
) -> Result<String, String> {
    let mut order: Vec<&Insert> = inserts.iter().map(|(_, i)| i).collect();
    order.sort_by_key(|i| i.at);
    let mut new_text = String::with_capacity(text.len() + 40 * order.len());
    // Where each insertion lands in the new text.
    let mut landed = Vec::with_capacity(order.len());
    let mut from = 0;
    for i in &order {
        new_text.push_str(&text[from..i.at]);
        landed.push((new_text.len(), new_text.len() + i.text.trim_end().len()));
        new_text.push_str(&i.text);
        from = i.at;
    }
    new_text.push_str(&text[from..]);
    let after = parse(language, &new_text);
    if before.problems.is_empty() && !after.problems.is_empty() {
        return Err("adding comments would break the file's syntax; nothing was written".into());
    }
    for (start, end) in landed {
        // Ours starts with two spaces (a new comment) or `, ` (codes added to one).
        let is_comment = after
            .comments
            .iter()
            .any(|c| (c.span.start as usize) <= start + 2 && end <= c.span.end as usize);
        if !is_comment {
            return Err(
                "an inserted comment would not be read as a comment here; nothing was written"
                    .into(),
            );
        }
    }
    Ok(new_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::model::Span;

    fn finding(code: &'static str, text: &str, at: &str) -> Diagnostic {
        let start = text.find(at).expect("the marker is in the text") as u32;
        Diagnostic {
            code,
            name: "x",
            severity: Severity::Error,
            message: "m".into(),
            file: 0,
            span: Span::new(start, start + at.len() as u32),
            label: None,
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
            fix: None,
        }
    }

    fn run(path: &str, text: &str, found: &[(&'static str, &str)]) -> (String, Vec<String>) {
        let files = vec![SourceFile::new(
            path.into(),
            std::path::PathBuf::from(path),
            text.into(),
        )];
        let ds: Vec<Diagnostic> = found.iter().map(|(c, at)| finding(c, text, at)).collect();
        let plan = plan(&ds, &files);
        let new = plan
            .edited
            .first()
            .map_or(text.to_string(), |e| e.text.clone());
        (
            new,
            plan.left
                .iter()
                .map(|l| format!("{}: {}", l.line, l.reason))
                .collect(),
        )
    }

    #[test]
    fn a_comment_per_line_with_the_codes_sorted() {
        let text = "def v(r):\n    send(1)\n    time.sleep(1); send(2)\n";
        let (new, left) = run(
            "a.py",
            text,
            &[
                ("TL101", "send(1)"),
                ("TL301", "time.sleep(1)"),
                ("TL101", "send(2)"),
            ],
        );
        assert_eq!(
            new,
            "def v(r):\n    send(1)  # tasklint: ignore[TL101]\n    time.sleep(1); send(2)  # tasklint: ignore[TL101, TL301]\n"
        );
        assert!(left.is_empty());
    }

    #[test]
    fn existing_comments_are_kept_and_our_list_is_extended() {
        let text = "a()  # noqa: E501\nb()  # tasklint: ignore[TL301] slow on purpose\nc()\r\n";
        let (new, _) = run(
            "a.py",
            text,
            &[("TL101", "a()"), ("TL101", "b()"), ("TL302", "c()")],
        );
        assert_eq!(
            new,
            "a()  # noqa: E501  # tasklint: ignore[TL101]\nb()  # tasklint: ignore[TL301, TL101] slow on purpose\nc()  # tasklint: ignore[TL302]\r\n"
        );
    }

    #[test]
    fn python_lines_ending_in_a_string_or_a_continuation_are_left_and_said() {
        let text = "x = send(\"\"\"a\nb\"\"\")\ny = a + \\\n    send(2)\nz = 1\n";
        let (new, left) = run("a.py", text, &[("TL101", "send(\"\"\""), ("TL101", "a + ")]);
        assert_eq!(new, text, "nothing may be written inside a string");
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left[0].starts_with("1: the line ends inside a multi-line string"));
        assert!(left[1].starts_with("3: "));
    }

    #[test]
    fn rust_uses_a_block_comment_before_a_multi_line_string() {
        let text = "fn f() {\n    let x = read(\"a\nb\");\n    sleep(1);\n}\n";
        let (new, left) = run(
            "a.rs",
            text,
            &[("TL302", "read(\"a"), ("TL302", "sleep(1)")],
        );
        assert_eq!(
            new,
            "fn f() {\n    let x = /* tasklint: ignore[TL302] */ read(\"a\nb\");\n    sleep(1);  // tasklint: ignore[TL302]\n}\n"
        );
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn syntax_errors_and_unused_suppressions_are_not_baselined() {
        let text = "x = (\n";
        let (new, left) = run("a.py", text, &[("TL000", "(")]);
        assert_eq!(new, text);
        assert_eq!(left.len(), 1);
    }
}
