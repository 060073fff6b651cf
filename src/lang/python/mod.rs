//! Python frontend: tree-sitter-python → [`FileModel`].

mod constant_literals;
mod kind;
mod lower;
mod syntax_error;

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use kind::KindName;

use crate::model::{Comment, FileModel, Language, Problem, Span};

/// Beyond this nesting depth the file is reported as TL000 instead of being lowered:
/// real code never comes close, and it keeps the recursive lowering's stack bounded.
pub const MAX_NESTING: usize = 200;

thread_local! {
    // One parser per worker thread: parsing stays lock-free and the language tables are
    // built once (the ast-grep pattern).
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn parse_tree(text: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut()?;
        parser.reset();
        parser.parse(text, None)
    })
}

fn has_lone_cr(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

/// Parses a Python file into its model. Never fails: a file tree-sitter cannot make sense
/// of gets `problems` (reported as TL000) and whatever model could be built.
pub fn parse(text: &str) -> FileModel {
    // Python reads a lone `\r` as a line break (old Mac files; the tokenizer's universal
    // newlines), tree-sitter does not. `\n` is as long as `\r`: no offset moves.
    let normalised;
    let text = if has_lone_cr(text) {
        normalised = text
            .char_indices()
            .map(|(i, c)| match c {
                '\r' if text.as_bytes().get(i + 1) != Some(&b'\n') => '\n',
                c => c,
            })
            .collect::<String>();
        normalised.as_str()
    } else {
        text
    };
    // Megabytes of constant data hold nothing a rule reads: left out of the tree.
    let blanked = constant_literals::blank_large_constants(text);
    let text = blanked.as_deref().unwrap_or(text);
    let Some(tree) = parse_tree(text) else {
        let mut m = FileModel::new(Language::Python);
        m.problems.push(Problem {
            span: Span::new(0, 0),
            message: "the Python parser gave up on this file".into(),
        });
        return m;
    };
    let root = tree.root_node();
    let (comments, problem) = scan(root, text);
    // A file that is not valid Python 3 is reported once (TL000) and contributes nothing
    // else: guessing at a broken tree would produce findings nobody can trust.
    let mut model = match problem {
        Some(p) => {
            let mut m = FileModel::new(Language::Python);
            m.problems.push(p);
            m
        }
        None => lower::lower(root, text),
    };
    model.comments = comments;
    model
}

/// The byte ranges in which a line cannot end with a comment: strings written over
/// several lines (a `#` there is part of the string) and `\` line continuations
/// (nothing may follow the backslash). For `--add-noqa`.
pub fn no_comment_ranges(text: &str) -> Vec<(usize, usize)> {
    let Some(tree) = parse_tree(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = tree.root_node().walk();
    'walk: loop {
        let node = cursor.node();
        let multiline = node.start_position().row != node.end_position().row;
        match node.kind_name() {
            "string" if multiline => {
                out.push((node.start_byte(), node.end_byte()));
            }
            "line_continuation" => out.push((node.start_byte(), node.end_byte())),
            _ => {}
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// One iterative pass over the whole tree (no recursion: deep input cannot overflow the
/// stack) collecting comments and the first reason the file is not valid Python 3.
fn scan(root: Node, text: &str) -> (Vec<Comment>, Option<Problem>) {
    scan_with(root, text, true)
}

/// [`scan`], walking into every node when `prune` is false (what the tests compare with).
fn scan_with(root: Node, text: &str, prune: bool) -> (Vec<Comment>, Option<Problem>) {
    let mut comments = Vec::new();
    let mut problem: Option<Problem> = None;
    let marks = ScanMarks::new(text);
    let mut cursor = root.walk();
    let mut depth = 0usize;
    'walk: loop {
        let node = cursor.node();
        let kind = node.kind_name();
        if kind == "comment" {
            let span = Span::new(node.start_byte() as u32, node.end_byte() as u32);
            let body = &text[span.start as usize..span.end as usize];
            if Comment::may_be_directive(body) {
                let line_start = text[..span.start as usize]
                    .rfind('\n')
                    .map(|i| i + 1)
                    .unwrap_or(0);
                comments.push(Comment {
                    span,
                    text: body.to_string(),
                    own_line: text[line_start..span.start as usize].trim().is_empty(),
                });
            }
        } else if problem.is_none() {
            let span = Span::new(node.start_byte() as u32, node.end_byte() as u32);
            if node.is_error() && syntax_error::continues_annotation(node, text) {
                // Valid Python the grammar rejects: see `continues_annotation`.
            } else if node.is_error() || node.is_missing() {
                problem = Some(syntax_error::describe(root, text, node));
            } else if matches!(kind, "print_statement" | "exec_statement") {
                let what = kind.trim_end_matches("_statement");
                problem = Some(Problem {
                    span,
                    message: format!(
                        "Python 2 syntax (`{what}` statement): this file is not Python 3"
                    ),
                });
            } else if depth > MAX_NESTING * 2 {
                problem = Some(Problem {
                    span,
                    message: format!(
                        "nesting deeper than {MAX_NESTING} levels; this file is not checked"
                    ),
                });
            }
        }
        if (!prune || marks.may_hold(node, depth, problem.is_none())) && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            depth -= 1;
        }
    }
    (comments, problem)
}

/// Where in a file [`scan`] can find something, from the bytes: it walks into a node only
/// when the node may hold what it looks for, so most of the tree is never visited (the
/// walk over every node was a tenth of a project's time). Every test is a superset of the
/// scan's own, so what it finds, and which problem comes first, is unchanged.
struct ScanMarks {
    /// Offsets of each `#` whose line goes on to a directive word: where a directive
    /// comment can start.
    directives: Vec<usize>,
    /// Offsets of `print` and `exec`: where a Python 2 statement can start.
    python2: Vec<usize>,
}

impl ScanMarks {
    fn new(text: &str) -> ScanMarks {
        let bytes = text.as_bytes();
        let directives = memchr::memchr_iter(b'#', bytes)
            .filter(|&i| {
                let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                // The scan's own test, on the rest of the line: a comment ends at the line's
                // end (both offsets are ASCII, so they are character boundaries).
                Comment::may_be_directive(&text[i..end])
            })
            .collect();
        let mut python2: Vec<usize> = memchr::memmem::find_iter(bytes, b"print")
            .chain(memchr::memmem::find_iter(bytes, b"exec"))
            .collect();
        python2.sort_unstable();
        ScanMarks {
            directives,
            python2,
        }
    }

    /// Can the nodes under `node` (at `depth`) hold a directive comment, or, while no
    /// problem is known yet, a syntax error, a Python 2 statement or a node nested too
    /// deep? A node's range covers its descendants', and the depth below it is at most
    /// the number of nodes under it.
    fn may_hold(&self, node: Node, depth: usize, looking_for_problems: bool) -> bool {
        let within = |marks: &[usize]| {
            let first = marks.partition_point(|&m| m < node.start_byte());
            marks.get(first).is_some_and(|&m| m < node.end_byte())
        };
        within(&self.directives)
            || looking_for_problems
                && (node.has_error()
                    || depth + node.descendant_count() > MAX_NESTING * 2
                    || within(&self.python2))
    }
}

#[cfg(test)]
mod index_facts_tests;
#[cfg(test)]
mod tests;
