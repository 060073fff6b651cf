//! Suppressions: `per-file-ignores` from the configuration, then suppression comments
//! (`# tasklint: ignore[...]`, `# noqa: ...`, `// tasklint: ignore[...]`, file-level
//! `tasklint: ignore-file[...]`), then TL001 for the comments that suppressed nothing.
//!
//! Which line a finding belongs to: the line its span *starts* on, the same line the
//! fixtures' `# expect:` markers and the editors' "suppress" actions use. A finding on
//! a call spread over several lines is suppressed by a comment on the call's first line
//! (`send(  # tasklint: ignore[TL101]`), not on its closing parenthesis.
//!
//! A file-level directive counts when it is an own-line comment above the first line of
//! code (comments, blank lines and a docstring may come before it).

pub mod lexer;

use rayon::prelude::*;

use crate::catalogue::{self, UNUSED_SUPPRESSION};
use crate::diagnostic::{Diagnostic, Severity};
use crate::index::Project;
use crate::model::{Comment, FileModel, Span};
use crate::settings::selector_matches;
use crate::source::FileId;
use lexer::{Lexed, Scope, Syntax};

/// One directive of a file, resolved against the rules.
struct Found {
    scope: Scope,
    syntax: Syntax,
    /// 0-based line of the comment.
    line: usize,
    /// `None`: every rule. Otherwise each code (upper case, or the rule's code when a
    /// rule name was written) with its span in the file, and whether it was used.
    codes: Option<Vec<(String, Span, bool)>>,
    span: Span,
    used: bool,
    own_line: bool,
    /// An `ignore-file` below the first line of code: not honoured.
    misplaced: bool,
}

struct Invalid {
    span: Span,
    message: String,
}

/// Removes what the configuration and comments suppress, and adds TL001 findings when
/// that rule is enabled.
pub fn apply(project: &Project, diagnostics: &mut Vec<Diagnostic>) {
    apply_per_file_ignores(project, diagnostics);
    let files: Vec<FileId> = (0..project.files.len())
        .filter(|f| project.report[*f])
        .collect();
    // Only a file whose text holds a directive word can hold a directive: the others
    // are not parsed for their comments (the prefilter may have left them unparsed).
    let per_file: Vec<(Vec<Found>, Vec<Invalid>)> = (0..project.files.len())
        .into_par_iter()
        .map(|f| {
            if project.report[f] && mentions_directive(&project.files[f].text) {
                directives(project, f)
            } else {
                Default::default()
            }
        })
        .collect();
    let mut found: Vec<Vec<Found>> = Vec::with_capacity(project.files.len());
    let mut invalid: Vec<(FileId, Invalid)> = Vec::new();
    for (file, (f, bad)) in per_file.into_iter().enumerate() {
        found.push(f);
        invalid.extend(bad.into_iter().map(|b| (file, b)));
    }
    diagnostics.retain(|d| {
        // TL001 is about the comments themselves.
        if d.code == UNUSED_SUPPRESSION.code || !project.report[d.file] {
            return true;
        }
        let line = project.files[d.file].line_index(project.files[d.file].clamp(d.span.start));
        let mut suppressed = false;
        for f in found[d.file].iter_mut() {
            let applies = match f.scope {
                Scope::File => !f.misplaced,
                Scope::Line => f.line == line,
            };
            if !applies {
                continue;
            }
            match &mut f.codes {
                None => {
                    f.used = true;
                    suppressed = true;
                }
                Some(codes) => {
                    for (code, _, used) in codes.iter_mut() {
                        if code == d.code {
                            *used = true;
                            suppressed = true;
                        }
                    }
                }
            }
        }
        !suppressed
    });
    if !project.settings.is_enabled(UNUSED_SUPPRESSION) {
        return;
    }
    for file in files {
        for f in &found[file] {
            report_unused(project, file, f, diagnostics);
        }
    }
    for (file, bad) in invalid {
        diagnostics.push(tl001(file, bad.span, bad.message, None));
    }
    // TL001 itself answers to per-file-ignores (never to comments).
    apply_per_file_ignores(project, diagnostics);
}

fn tl001(file: FileId, span: Span, message: String, help: Option<String>) -> Diagnostic {
    let info = UNUSED_SUPPRESSION;
    Diagnostic {
        code: info.code,
        name: info.name,
        severity: Severity::Warning,
        message,
        file,
        span,
        label: None,
        help,
        notes: Vec::new(),
        related: Vec::new(),
        fix: None,
    }
}

fn report_unused(project: &Project, file: FileId, f: &Found, out: &mut Vec<Diagnostic>) {
    let where_ = match f.scope {
        Scope::File => "in this file",
        Scope::Line => "on this line",
    };
    let own_line_hint = (f.scope == Scope::Line && f.own_line).then(|| {
        "a suppression applies to its own line: put it at the end of the line the finding starts on".to_string()
    });
    if f.misplaced {
        out.push(tl001(
            file,
            f.span,
            "`ignore-file` below the first line of code suppresses nothing".into(),
            Some("move it to the top of the file, above the first line of code".into()),
        ));
        return;
    }
    match &f.codes {
        None => {
            // A bare `# noqa` is shared with flake8 and ruff: never ours to call unused.
            if !f.used && f.syntax == Syntax::Tasklint {
                out.push(tl001(
                    file,
                    f.span,
                    format!("unused suppression: nothing is reported {where_}"),
                    own_line_hint.or_else(|| Some("remove it".into())),
                ));
            }
        }
        Some(codes) => {
            for (code, span, used) in codes {
                if *used {
                    continue;
                }
                match catalogue::ALL.iter().find(|r| r.code == code) {
                    None => out.push(tl001(
                        file,
                        *span,
                        format!("`{code}` in a suppression is not a tasklint rule"),
                        Some("check the code: `tasklint rules` lists them".into()),
                    )),
                    // A rule that is off in this run may fire under another
                    // configuration: leave its suppression alone.
                    Some(r) if !project.settings.is_enabled(r) => {}
                    Some(_) => out.push(tl001(
                        file,
                        *span,
                        format!("unused suppression: no {code} finding is reported {where_}"),
                        own_line_hint
                            .clone()
                            .or_else(|| Some(format!("remove `{code}` from the comment"))),
                    )),
                }
            }
        }
    }
}

/// Where the first line of code starts: file-level directives must come before it.
fn first_code_offset(model: &FileModel) -> u32 {
    let scopes = model.scopes.iter().skip(1).map(|s| s.span.start);
    let classes = model.classes.iter().map(|c| c.span.start);
    let calls = model.calls.iter().map(|c| c.span.start);
    let bindings = model
        .scopes
        .first()
        .into_iter()
        .flat_map(|m| m.bindings.iter().map(|b| b.span.start));
    scopes
        .chain(classes)
        .chain(calls)
        .chain(bindings)
        .min()
        .unwrap_or(u32::MAX)
}

/// Whether a comment of `text` (after a `#` or a `/`) may hold a directive, tested on
/// the rest of each such line as [`Comment::may_be_directive`] tests a comment.
fn mentions_directive(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr2(b'#', b'/', &bytes[from..]) {
        let start = from + i + 1;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
        // `#`, `/` and the line break are ASCII: the slice is on character boundaries.
        if Comment::may_be_directive(&text[start..end]) {
            return true;
        }
        from = end;
    }
    false
}

fn directives(project: &Project, file: FileId) -> (Vec<Found>, Vec<Invalid>) {
    let model = &project.models[file];
    let source = &project.files[file];
    let code_starts = first_code_offset(model);
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    // Models keep only the comments that may be directives (`Comment::may_be_directive`).
    for comment in &model.comments {
        let base = comment.span.start;
        let at = |r: &std::ops::Range<usize>| Span::new(base + r.start as u32, base + r.end as u32);
        let line = source.line_index(source.clamp(base));
        for lexed in lexer::lex(&comment.text) {
            let d = match lexed {
                Lexed::Directive(d) => d,
                Lexed::Invalid { span, message } => {
                    invalid.push(Invalid {
                        span: at(&span),
                        message,
                    });
                    continue;
                }
            };
            let codes = match &d.codes {
                None => None,
                Some(list) => {
                    let mut v = Vec::new();
                    for c in list {
                        let upper = c.text.to_ascii_uppercase();
                        // `# noqa: E501`: other linters' codes are not ours.
                        if d.syntax == Syntax::Noqa && !upper.starts_with("TL") {
                            continue;
                        }
                        let code = match catalogue::find(&c.text) {
                            Some(r) => r.code.to_string(),
                            None => upper,
                        };
                        v.push((code, at(&c.span), false));
                    }
                    if v.is_empty() {
                        continue;
                    }
                    Some(v)
                }
            };
            found.push(Found {
                scope: d.scope,
                syntax: d.syntax,
                line,
                codes,
                span: at(&d.span),
                used: false,
                own_line: comment.own_line,
                misplaced: d.scope == Scope::File
                    && !(comment.own_line && comment.span.start < code_starts),
            });
        }
    }
    (found, invalid)
}

/// `per-file-ignores`: findings of the listed rules are dropped in matching files.
/// With several configuration files in the tree, each file's nearest one decides,
/// with its rule selection too.
fn apply_per_file_ignores(project: &Project, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(tree) = &project.settings.tree {
        diagnostics.retain(|d| {
            !project.report[d.file] || tree.keeps(project.files[d.file].path(), d.code)
        });
        return;
    }
    let pfi = crate::config::PerFileIgnores::new(&project.settings);
    if pfi.is_empty() {
        return;
    }
    let matched: Vec<Vec<&crate::settings::PerFileIgnore>> = project
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if project.report[i] {
                pfi.matching(f.path())
            } else {
                Vec::new()
            }
        })
        .collect();
    diagnostics.retain(|d| {
        !matched[d.file]
            .iter()
            .any(|e| e.selectors.iter().any(|s| selector_matches(s, d.code)))
    });
}
