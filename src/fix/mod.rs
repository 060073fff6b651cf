//! Applying fixes: `--fix` (safe fixes), `--unsafe-fixes` (all of them), `--diff` (show,
//! do not write).
//!
//! A fix is all its edits or none. Fixes whose edits overlap one already taken wait for
//! the next pass; every pass re-checks the project, so a second `--fix` run changes
//! nothing. A fixed file is parsed again before it is written, and a fix that would
//! leave a syntax error is not written and is reported. Files are replaced atomically
//! (a temporary file in the same folder, renamed over the original) and keep their
//! permissions.

use std::io::Write;
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
        let (text, fixed) = apply(&source.text, &fixes);
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

/// Applies the fixes that do not overlap an earlier one (in source order), returning the
/// new text and the codes fixed.
pub fn apply(text: &str, fixes: &[(&'static str, &Fix)]) -> (String, Vec<&'static str>) {
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
        out.push_str(&e.content);
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

/// Replaces a file's content atomically, keeping its permissions.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A unified diff of one file, with `a/` and `b/` paths as git prints them.
pub fn unified_diff(display: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{display}"), &format!("b/{display}"))
        .to_string()
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
    fn writes_replace_the_file_and_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("views.py");
        std::fs::write(&p, "old\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new\n");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // Nothing else left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
