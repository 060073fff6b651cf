//! What a syntax error is, said the way a compiler says it: the position and nature of
//! the first error, from tree-sitter's MISSING and ERROR nodes.
//!
//! tree-sitter recovers from errors instead of stopping at them: it inserts a zero-width
//! MISSING node where one token would have fixed the file, and wraps what it could not
//! fit in an ERROR node (which may cover a whole statement or function). So:
//!
//! - a MISSING node is reported as `expected `)``, at the token where it was needed;
//! - brackets are matched over the tokens: an unclosed or mismatched bracket is the usual
//!   cause of an ERROR and is reported at the bracket (CPython's "'(' was never closed");
//! - a compound statement's header without its `:` is "expected `:`", after the header;
//! - otherwise the token tree-sitter could not place, when the innermost ERROR holds one
//!   token ("unexpected `,`"), or the first line of the ERROR ("invalid syntax").
//!
//! Every walk is iterative (a cursor, no recursion): deep input cannot overflow the stack.

use tree_sitter::Node;

use super::kind::KindName;
use crate::model::{Problem, Span};

/// Statements whose header ends with `:`.
const COMPOUND: &[&str] = &[
    "if", "elif", "else", "while", "for", "with", "def", "class", "try", "except", "finally",
    "match", "case", "async",
];

#[derive(Clone, Copy)]
struct Token<'t> {
    kind: &'t str,
    start: usize,
    end: usize,
    missing: bool,
}

/// Every leaf of `node`, in order (comments left out).
fn tokens<'t>(node: Node<'t>) -> Vec<Token<'t>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    'walk: loop {
        let n = cursor.node();
        if n.child_count() == 0 && n.kind_name() != "comment" {
            out.push(Token {
                kind: n.kind_name(),
                start: n.start_byte(),
                end: n.end_byte(),
                missing: n.is_missing(),
            });
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

fn span(start: usize, end: usize) -> Span {
    Span::new(start as u32, end as u32)
}

fn problem(start: usize, end: usize, message: String) -> Problem {
    Problem {
        span: span(start, end),
        message: format!("syntax error: {message}"),
    }
}

/// How a token is named in a message: its text when it is short and on one line.
fn shown(text: &str, t: &Token) -> String {
    let s = &text[t.start..t.end];
    if s.is_empty() {
        "the end of the file".into()
    } else if s.len() <= 20 && !s.contains('\n') {
        format!("`{s}`")
    } else {
        format!("`{}`", t.kind)
    }
}

fn what_is_expected(kind: &str) -> String {
    if kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') && kind.contains(|c| c != '_') {
        // A named node: `identifier`, `block`, `string_end`.
        match kind {
            "string_end" => "the end of the string".into(),
            "identifier" => "a name".into(),
            "block" => "an indented block".into(),
            k => format!("{} {}", article(k), k.replace('_', " ")),
        }
    } else {
        format!("`{kind}`")
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn closer(open: &str) -> &'static str {
    match open {
        "(" => ")",
        "[" => "]",
        _ => "}",
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The first unmatched bracket of the file, if any, before `limit`.
fn bracket_problem(text: &str, all: &[Token], limit: usize) -> Option<Problem> {
    let mut stack: Vec<&Token> = Vec::new();
    for t in all.iter().filter(|t| !t.missing) {
        if t.start >= limit && stack.is_empty() {
            break;
        }
        match t.kind {
            "(" | "[" | "{" => stack.push(t),
            ")" | "]" | "}" => match stack.pop() {
                Some(open) if closer(open.kind) == t.kind => {}
                Some(open) => {
                    return Some(problem(
                        t.start,
                        t.end,
                        format!(
                            "`{}` does not close the `{}` on line {}: expected `{}`",
                            t.kind,
                            open.kind,
                            line_of(text, open.start),
                            closer(open.kind)
                        ),
                    ));
                }
                None => {
                    return Some(problem(
                        t.start,
                        t.end,
                        format!("unmatched `{}`: nothing was opened", t.kind),
                    ));
                }
            },
            _ => {}
        }
    }
    let open = stack.last()?;
    (open.start < limit).then(|| {
        problem(
            open.start,
            open.end,
            format!(
                "`{}` is never closed: expected `{}`",
                open.kind,
                closer(open.kind)
            ),
        )
    })
}

/// A compound statement's header (`if x`, `for a in b`, `def f()`) without its `:`.
fn missing_colon(text: &str, error: &[Token]) -> Option<Problem> {
    let first = error.first()?;
    if !COMPOUND.contains(&first.kind) {
        return None;
    }
    let line = line_of(text, first.start);
    let mut depth = 0i32;
    let mut last = first;
    for t in error.iter().filter(|t| !t.missing) {
        if depth == 0 && line_of(text, t.start) != line {
            break;
        }
        match t.kind {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            ":" if depth == 0 => return None,
            _ => {}
        }
        last = t;
    }
    Some(problem(
        last.end,
        last.end,
        format!(
            "expected `:` after {}",
            if last.start == first.start {
                format!("`{}`", first.kind)
            } else {
                format!("the `{}` statement's header", first.kind)
            }
        ),
    ))
}

/// An ERROR right after an annotation that only continues it with an operator:
/// `-> Tuple[A, B] or None`, `x: List[int] | None`-like shapes the grammar cannot place
/// after a generic type (`T[...]` is read as a type, and a type takes no operator:
/// tree-sitter-python issue 252). CPython accepts any expression there, the rest of the
/// tree is intact, and annotations carry nothing a rule needs: not a syntax error.
pub fn continues_annotation(error: Node, text: &str) -> bool {
    const OPERATOR_WORDS: [&str; 7] = ["or", "and", "if", "else", "is", "in", "not"];
    const OPERATOR_CHARS: &str = "|&^+-*/%@<>=!~";
    if error.prev_named_sibling().map(|n| n.kind()) != Some("type") {
        return false;
    }
    let mut cursor = error.walk();
    if error
        .children(&mut cursor)
        .any(|c| c.is_error() || c.is_missing() || c.has_error())
    {
        return false;
    }
    let Some(body) = text.get(error.start_byte()..error.end_byte()) else {
        return false;
    };
    if body.contains('\n') {
        return false;
    }
    let word: &str = body
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    OPERATOR_WORDS.contains(&word)
        || (word.is_empty() && body.starts_with(|c: char| OPERATOR_CHARS.contains(c)))
}

/// The innermost ERROR on the first path down from `error`.
fn innermost_error(error: Node) -> Node {
    let mut current = error;
    'down: loop {
        let mut cursor = current.walk();
        if cursor.goto_first_child() {
            loop {
                let n = cursor.node();
                if n.is_error() {
                    current = n;
                    continue 'down;
                }
                if n.has_error() && !n.is_missing() {
                    current = n;
                    continue 'down;
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        return current;
    }
}

/// The problem to report for the first MISSING or ERROR node `first` of the tree.
pub fn describe(root: Node, text: &str, first: Node) -> Problem {
    let all = tokens(root);
    if first.is_missing() {
        // Point at the token where the missing one was needed.
        let at = first.start_byte();
        let next = all
            .iter()
            .find(|t| !t.missing && t.end > at && t.start >= at);
        let expected = what_is_expected(first.kind_name());
        return match next {
            Some(t) => problem(
                t.start,
                t.end,
                format!("expected {expected}, found {}", shown(text, t)),
            ),
            None => problem(
                at,
                at,
                format!("expected {expected} before the end of the file"),
            ),
        };
    }
    if let Some(p) = bracket_problem(text, &all, first.end_byte()) {
        return p;
    }
    let in_error = tokens(first);
    if let Some(p) = missing_colon(text, &in_error) {
        return p;
    }
    let inner = innermost_error(first);
    let inner_tokens: Vec<Token> = tokens(inner).into_iter().filter(|t| !t.missing).collect();
    if let [t] = inner_tokens.as_slice()
        && t.end > t.start
    {
        return problem(t.start, t.end, format!("unexpected {}", shown(text, t)));
    }
    if inner.child_count() == 0 && inner.end_byte() > inner.start_byte() {
        let t = Token {
            kind: inner.kind_name(),
            start: inner.start_byte(),
            end: inner.end_byte(),
            missing: false,
        };
        return problem(t.start, t.end, format!("unexpected {}", shown(text, &t)));
    }
    // The first line of the statement tree-sitter could not read (not the whole
    // function it may cover).
    let start = first.start_byte();
    let end = text[start..first.end_byte()]
        .find('\n')
        .map_or(first.end_byte(), |i| start + i);
    problem(start, end.max(start), "invalid syntax".into())
}

#[cfg(test)]
mod tests {
    /// (source, the error's text in the source, the message)
    fn first_problem(src: &str) -> (String, String) {
        let m = crate::lang::python::parse(src);
        let p = m.problems.first().expect("a syntax error");
        let at = &src[p.span.start as usize..p.span.end as usize];
        (at.to_string(), p.message.clone())
    }

    #[test]
    fn errors_are_reported_at_the_token_with_their_nature() {
        let cases = [
            // A missing token, at the token where it was needed.
            (
                "def f(:\n    pass\n",
                ":",
                "syntax error: expected `)`, found `:`",
            ),
            // An unclosed bracket, at the bracket (not at the end of the file).
            (
                "x = foo(1, 2\ny = 3\n",
                "(",
                "syntax error: `(` is never closed: expected `)`",
            ),
            (
                "class A:\n    def f(self):\n        x = [1, 2\n        return x\n",
                "[",
                "syntax error: `[` is never closed: expected `]`",
            ),
            (
                "x = foo(1, [2, 3)\n",
                ")",
                "syntax error: expected `]`, found `)`",
            ),
            (
                "x = 1)\n",
                ")",
                "syntax error: unmatched `)`: nothing was opened",
            ),
            (
                "x = [1, 2)\ny = 3\n",
                ")",
                "syntax error: `)` does not close the `[` on line 1: expected `]`",
            ),
            // A header without its colon: after the header, not the whole function.
            (
                "def f():\n    if x\n        pass\n",
                "",
                "syntax error: expected `:` after the `if` statement's header",
            ),
            (
                "for x in y\n    pass\n",
                "",
                "syntax error: expected `:` after the `for` statement's header",
            ),
            // A token tree-sitter could not place.
            (
                "x = {'a': 1,, 'b': 2}\n",
                ",",
                "syntax error: unexpected `,`",
            ),
        ];
        for (src, at, message) in cases {
            let (got_at, got) = first_problem(src);
            assert_eq!((got_at.as_str(), got.as_str()), (at, message), "{src:?}");
        }
    }

    #[test]
    fn the_position_is_on_the_right_line() {
        let src = "def f():\n    if x\n        pass\n";
        let p = crate::lang::python::parse(src).problems[0].clone();
        // Right after `if x`, on line 2.
        assert_eq!(p.span.start as usize, src.find("x\n").unwrap() + 1);
        // An error inside a long function points at its line, not the `def`.
        let src = "def f():\n    a = 1\n    b = 2\n    c = (3 +\n";
        let p = crate::lang::python::parse(src).problems[0].clone();
        assert_eq!(&src[p.span.start as usize..p.span.end as usize], "(");
    }

    #[test]
    fn anything_else_is_invalid_syntax_on_its_first_line() {
        let src = "x = 1 +* 2\ny = 3\n";
        let (at, message) = first_problem(src);
        assert!(message.starts_with("syntax error: "), "{message}");
        assert!(!at.contains('\n'), "one line at most: {at:?}");
    }
}
