//! Applying fixes: `--fix` (safe fixes), `--unsafe-fixes` (all of them), `--diff` (show,
//! do not write).
//!
//! A fix is all its edits or none. Fixes whose edits overlap one already taken wait for
//! the next pass; every pass re-checks the project, so a second `--fix` run changes
//! nothing. A fixed file is parsed again before it is written, and a fix that would
//! leave a syntax error is not written and is reported. Inserted line breaks follow the
//! file's own line endings (`\n`, `\r\n` or `\r`).
//!
//! Fixes are computed from a fresh parse of the text each pass has just read (the
//! command line turns the model cache off for `--fix` and `--diff`), and [`write_fixed`]
//! writes a file only if its content is still that text.

mod write;

pub use write::{NotWritten, write_fixed};

use std::path::Path;

use crate::diagnostic::{Applicability, Diagnostic, Fix};
use crate::model::Language;
use crate::source::{FileId, SourceFile};

/// How many check-and-fix passes `--fix` makes at most before giving up on fixes that
/// keep producing new ones.
pub const MAX_PASSES: usize = 8;

/// One file's fixed text.
pub struct FixedFile {
    pub file: FileId,
    pub text: String,
    /// Codes of the findings fixed in this pass, in order.
    pub fixed: Vec<&'static str>,
}

/// A file whose fixes were not written because the result would not parse.
pub struct Refused {
    pub file: FileId,
    pub codes: Vec<&'static str>,
    pub reason: String,
}

pub struct Pass {
    pub files: Vec<FixedFile>,
    pub refused: Vec<Refused>,
}

fn applies(fix: &Fix, unsafe_fixes: bool) -> bool {
    fix.applicability == Applicability::Safe || unsafe_fixes
}

/// The number of findings a `--fix` (or `--unsafe-fixes`) run would fix.
pub fn fixable(diagnostics: &[Diagnostic], unsafe_fixes: bool) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.fix.as_ref().is_some_and(|f| applies(f, unsafe_fixes)))
        .count()
}

/// Applies the fixes of one pass to the texts in memory.
pub fn plan(diagnostics: &[Diagnostic], files: &[SourceFile], unsafe_fixes: bool) -> Pass {
    let mut by_file: Vec<(FileId, Vec<(&'static str, &Fix)>)> = Vec::new();
    for d in diagnostics {
        let Some(fix) = &d.fix else { continue };
        if !applies(fix, unsafe_fixes) || fix.edits.is_empty() {
            continue;
        }
        match by_file.iter_mut().find(|(f, _)| *f == d.file) {
            Some((_, v)) => v.push((d.code, fix)),
            None => by_file.push((d.file, vec![(d.code, fix)])),
        }
    }
    let mut pass = Pass {
        files: Vec::new(),
        refused: Vec::new(),
    };
    for (file, fixes) in by_file {
        let source = &files[file];
        let ending = line_ending(&source.text, language_of(&source.path));
        let (text, fixed) = apply_with(&source.text, &fixes, ending);
        if fixed.is_empty() || *text == *source.text {
            continue;
        }
        match language_of(&source.path) {
            Some(language) if breaks_syntax(language, &source.text, &text) => {
                pass.refused.push(Refused {
                    file,
                    codes: fixed,
                    reason: "the fixed file would not parse".into(),
                });
            }
            _ => pass.files.push(FixedFile { file, text, fixed }),
        }
    }
    pass
}

/// The line ending a file uses: that of its first line. In Rust a lone `\r` is
/// whitespace, never a line ending.
pub fn line_ending(text: &str, language: Option<Language>) -> &'static str {
    let bytes = text.as_bytes();
    let first = if language == Some(Language::Rust) {
        memchr::memchr(b'\n', bytes)
    } else {
        memchr::memchr2(b'\n', b'\r', bytes)
    };
    match first {
        Some(i) if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') => "\r\n",
        Some(i) if bytes[i] == b'\r' => "\r",
        Some(i) if i > 0 && bytes[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Applies the fixes that do not overlap an earlier one (in source order), returning the
/// new text and the codes fixed.
pub fn apply(text: &str, fixes: &[(&'static str, &Fix)]) -> (String, Vec<&'static str>) {
    apply_with(text, fixes, "\n")
}

/// [`apply`], with each `\n` of inserted text written as `ending`.
pub fn apply_with(
    text: &str,
    fixes: &[(&'static str, &Fix)],
    ending: &str,
) -> (String, Vec<&'static str>) {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|i| {
        let f = fixes[*i].1;
        (f.edits.iter().map(|e| e.span.start).min().unwrap_or(0), *i)
    });
    let mut taken: Vec<(u32, u32)> = Vec::new();
    let mut edits = Vec::new();
    let mut fixed = Vec::new();
    for i in order {
        let (code, fix) = fixes[i];
        let overlaps = fix.edits.iter().any(|e| {
            taken.iter().any(|(s, t)| {
                // Two insertions at the same point conflict too: their order is unknown.
                e.span.start < *t && *s < e.span.end || (e.span.start == *s && e.span.end == *t)
            })
        });
        let in_bounds = fix.edits.iter().all(|e| {
            e.span.start <= e.span.end
                && (e.span.end as usize) <= text.len()
                && text.is_char_boundary(e.span.start as usize)
                && text.is_char_boundary(e.span.end as usize)
        });
        if overlaps || !in_bounds {
            continue;
        }
        for e in &fix.edits {
            taken.push((e.span.start, e.span.end));
            edits.push(e);
        }
        fixed.push(code);
    }
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for e in edits {
        out.push_str(&text[at..e.span.start as usize]);
        if ending == "\n" {
            out.push_str(&e.content);
        } else {
            out.push_str(&e.content.replace("\r\n", "\n").replace('\n', ending));
        }
        at = e.span.end as usize;
    }
    out.push_str(&text[at..]);
    (out, fixed)
}

fn language_of(path: &Path) -> Option<Language> {
    crate::discover::language_of(path)
}

/// True when `new` has a syntax problem that `old` did not.
fn breaks_syntax(language: Language, old: &str, new: &str) -> bool {
    let (_, before) = crate::check::parse_bytes(language, old.as_bytes().to_vec());
    let (_, after) = crate::check::parse_bytes(language, new.as_bytes().to_vec());
    before.problems.is_empty() && !after.problems.is_empty()
}

/// A unified diff of one file, with `a/` and `b/` paths as git prints them (quoted as
/// git quotes a name holding a control character, `"` or `\`). Lines that end in a lone
/// `\r` are shown ending in `\n`: the diff is for reading, and a `\r` would send the
/// terminal back to the start of the line. The lines themselves are the file's, as in
/// `git diff`.
pub fn unified_diff(display: &str, old: &str, new: &str) -> String {
    let old = lone_cr_as_lf(old);
    let new = lone_cr_as_lf(new);
    let a = quote_diff_path(&format!("a/{display}"));
    let b = quote_diff_path(&format!("b/{display}"));
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

fn lone_cr_as_lf(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    if !memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
        return text.into();
    }
    text.char_indices()
        .map(|(i, c)| match c {
            '\r' if bytes.get(i + 1) != Some(&b'\n') => '\n',
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Git's quoting of a path in a diff header (`quote_c_style`): in double quotes, with
/// C escapes, when the path holds a control character, `"` or `\`.
fn quote_diff_path(path: &str) -> String {
    if !path
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return path.to_string();
    }
    let mut out = String::from("\"");
    for c in path.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Edit;
    use crate::model::Span;

    fn fix(edits: &[(u32, u32, &str)]) -> Fix {
        Fix {
            message: "m".into(),
            applicability: Applicability::Safe,
            edits: edits
                .iter()
                .map(|(s, e, c)| Edit {
                    span: Span::new(*s, *e),
                    content: c.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn edits_apply_in_order_and_overlapping_fixes_wait() {
        let text = "send(1)\nsend(2)\n";
        let a = fix(&[(4, 4, ".delay")]);
        let b = fix(&[(12, 12, ".delay")]);
        // Overlaps `a`: left for the next pass.
        let c = fix(&[(0, 7, "other(1)")]);
        let (out, fixed) = apply(text, &[("TL101", &c), ("TL101", &a), ("TL101", &b)]);
        assert_eq!(out, "other(1)\nsend.delay(2)\n");
        assert_eq!(fixed.len(), 2);
    }

    #[test]
    fn a_fix_is_all_its_edits_or_none() {
        let text = "abcdef";
        let first = fix(&[(0, 1, "A")]);
        let both = fix(&[(1, 2, "B"), (0, 1, "Z")]);
        let (out, fixed) = apply(text, &[("X", &first), ("Y", &both)]);
        assert_eq!(out, "Abcdef");
        assert_eq!(fixed, vec!["X"]);
    }

    #[test]
    fn edits_out_of_bounds_or_inside_a_character_are_skipped() {
        let text = "é";
        let bad = fix(&[(1, 1, "x")]);
        let far = fix(&[(9, 9, "x")]);
        let (out, fixed) = apply(text, &[("A", &bad), ("B", &far)]);
        assert_eq!(out, "é");
        assert!(fixed.is_empty());
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_is_refused() {
        assert!(breaks_syntax(Language::Python, "f(1)\n", "f(1\n"));
        assert!(!breaks_syntax(Language::Python, "f(1)\n", "f.delay(1)\n"));
    }

    #[test]
    fn inserted_line_breaks_follow_the_file() {
        let add_line = fix(&[(0, 0, "import functools\n")]);
        let (out, _) = apply_with("x = 1\r\n", &[("X", &add_line)], "\r\n");
        assert_eq!(out, "import functools\r\nx = 1\r\n");
        assert_eq!(line_ending("a\rb\r", Some(Language::Python)), "\r");
        assert_eq!(line_ending("a\rb\n", Some(Language::Rust)), "\n");
        assert_eq!(line_ending("a\r\nb", Some(Language::Rust)), "\r\n");
        assert_eq!(line_ending("a", None), "\n");
    }

    #[test]
    fn diff_headers_quote_names_as_git_does() {
        let d = unified_diff("we\"ird\n.py", "a\r", "b\r");
        assert!(
            d.starts_with(
                "--- \"a/we\\\"ird\\n.py\"\n+++ \"b/we\\\"ird\\n.py\"\n@@ -1 +1 @@\n-a\n+b\n"
            ),
            "{d}"
        );
        assert_eq!(quote_diff_path("a/\u{1b}x"), "\"a/\\033x\"");
    }
}
