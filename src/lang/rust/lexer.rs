//! A small Rust lexer that finds what syn drops or cannot bound: comments (for
//! `// tasklint: ignore[...]`) and the deepest bracket nesting (checked before syn
//! recurses into it). It skips string, byte-string, raw-string and character literals so
//! that `"// not a comment"` and `'{'` are not mistaken for code.

use crate::model::{Comment, Span};

pub struct Scan {
    pub comments: Vec<Comment>,
    /// The deepest estimated expression nesting, and where it was first reached.
    pub max_depth: usize,
    pub deepest_at: usize,
    /// The most operators (`.`, `?`, `+`, `as`, ...) between two `;` or `,`: a chain
    /// syn parses in a loop, but whose tree is as deep as it is long.
    pub max_flat: usize,
    /// The first bracket that is not matched, and what is wrong with it: syn only says
    /// "cannot parse string into token stream" then, without a place.
    pub unbalanced: Option<(usize, String)>,
}

fn closing(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// Keywords that start a nested expression (`return return x`, `else if ... else if`,
/// `|| || x` closures): syn recurses on each.
const NESTING_KEYWORDS: &[&[u8]] = &[
    b"return", b"break", b"yield", b"move", b"async", b"let", b"box", b"static",
];

/// Scans the text once. The nesting estimate is the bracket depth, plus the run of
/// prefix operators (`!!!!x`), plus, per open bracket, the right-nesting tokens seen
/// since its last `;`, `,` or closed block (assignments, ranges, closure bars, generic
/// `<`, the keywords above), and the `else`s since its last `;` or `,` (an `else if`
/// chain nests). Real code stays in the tens; machine-made input that would make syn
/// recurse thousands of levels deep exceeds any sane limit.
pub fn scan(text: &str) -> Scan {
    let b = text.as_bytes();
    let mut out = Scan {
        comments: Vec::new(),
        max_depth: 0,
        deepest_at: 0,
        max_flat: 0,
        unbalanced: None,
    };
    // Open brackets and where they are, for `unbalanced`.
    let mut open: Vec<(u8, usize)> = Vec::new();
    let line_of = |at: usize| b[..at].iter().filter(|c| **c == b'\n').count() + 1;
    // Right-nesting counts per open bracket (index 0: the file level): (chain, elses).
    let mut chains: Vec<(usize, usize)> = vec![(0, 0)];
    let mut chain_total = 0usize;
    let mut run = 0usize;
    let mut flat = 0usize;
    let note = |estimate: usize, at: usize, out: &mut Scan| {
        if estimate > out.max_depth {
            out.max_depth = estimate;
            out.deepest_at = at;
        }
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or(0);
        let prev = if i > 0 { b[i - 1] } else { 0 };
        let depth = chains.len() - 1;
        match c {
            b'/' if next == b'/' => {
                let end = text[i..].find('\n').map(|n| i + n).unwrap_or(b.len());
                push_comment(text, i, end, &mut out.comments);
                i = end;
                continue;
            }
            b'/' if next == b'*' => {
                // Block comments nest in Rust.
                let start = i;
                let mut level = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                push_comment(text, start, i.min(b.len()), &mut out.comments);
                continue;
            }
            b'"' => {
                i = skip_string(b, i + 1);
                run = 0;
                continue;
            }
            b'r' | b'b' | b'c' if !is_ident_byte(prev) => {
                if let Some(end) = skip_prefixed_literal(b, i) {
                    i = end;
                    run = 0;
                    continue;
                }
            }
            b'\'' => {
                i = skip_char_or_lifetime(b, i);
                run = 0;
                continue;
            }
            _ => {}
        }
        if is_ident_byte(c) && !is_ident_byte(prev) {
            // A word: a nesting keyword counts, any word ends a prefix-operator run.
            let mut j = i;
            while j < b.len() && is_ident_byte(b[j]) {
                j += 1;
            }
            let word = &b[i..j];
            if NESTING_KEYWORDS.contains(&word) || word == b"else" {
                let last = chains.last_mut().expect("never empty");
                if word == b"else" {
                    last.1 += 1;
                } else {
                    last.0 += 1;
                }
                chain_total += 1;
                note(depth + chain_total + run, i, &mut out);
            }
            if word == b"as" {
                flat += 1;
                out.max_flat = out.max_flat.max(flat);
            }
            // `&mut &mut x`, `*const *const T`: the run goes on.
            if !matches!(word, b"mut" | b"const" | b"dyn" | b"ref") {
                run = 0;
            }
            i = j;
            continue;
        }
        if c.is_ascii_punctuation()
            && !matches!(c, b'(' | b'[' | b'{' | b')' | b']' | b'}' | b';' | b',')
        {
            flat += 1;
            out.max_flat = out.max_flat.max(flat);
        }
        match c {
            b'(' | b'[' | b'{' => open.push((c, i)),
            b')' | b']' | b'}' => match open.pop() {
                Some((o, _)) if closing(o) == c => {}
                Some((o, at)) => {
                    out.unbalanced.get_or_insert_with(|| {
                        (
                            i,
                            format!(
                                "`{}` does not close the `{}` on line {}: expected `{}`",
                                c as char,
                                o as char,
                                line_of(at),
                                closing(o) as char
                            ),
                        )
                    });
                }
                None => {
                    out.unbalanced.get_or_insert_with(|| {
                        (i, format!("unmatched `{}`: nothing was opened", c as char))
                    });
                }
            },
            _ => {}
        }
        match c {
            b'(' | b'[' | b'{' => {
                chains.push((0, 0));
                note(chains.len() - 1 + chain_total + run, i, &mut out);
                run = 0;
            }
            b')' | b']' | b'}' => {
                if chains.len() > 1 {
                    let (chain, elses) = chains.pop().expect("more than one");
                    chain_total -= chain + elses;
                }
                if c == b'}' {
                    // After a block a new statement (or match arm) begins.
                    let last = chains.last_mut().expect("never empty");
                    chain_total -= last.0;
                    last.0 = 0;
                }
                run = 0;
            }
            b';' | b',' => {
                let last = chains.last_mut().expect("never empty");
                chain_total -= last.0 + last.1;
                *last = (0, 0);
                run = 0;
                flat = 0;
            }
            b'!' | b'&' | b'*' | b'-' if next != b'=' && next != b'>' => {
                run += 1;
                note(depth + chain_total + run, i, &mut out);
            }
            b'=' | b'|' | b'<' | b'.' => {
                let assignment = c == b'='
                    && next != b'='
                    && next != b'>'
                    && !matches!(prev, b'=' | b'!' | b'<' | b'>');
                let range = c == b'.' && next == b'.';
                let bar = c == b'|' && prev != b'|';
                let generic = c == b'<' && (is_ident_byte(prev) || prev == b':');
                if assignment || range || bar || generic {
                    chains.last_mut().expect("never empty").0 += 1;
                    chain_total += 1;
                    note(depth + chain_total + run, i, &mut out);
                }
                if range {
                    i += 1;
                }
                run = 0;
            }
            b'>' => {
                let last = chains.last_mut().expect("never empty");
                if last.0 > 0 && !matches!(prev, b'-' | b'=') && next != b'=' {
                    last.0 -= 1;
                    chain_total -= 1;
                }
                run = 0;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => run = 0,
        }
        i += 1;
    }
    if out.unbalanced.is_none()
        && let Some((o, at)) = open.last()
    {
        out.unbalanced = Some((
            *at,
            format!(
                "`{}` is never closed: expected `{}`",
                *o as char,
                closing(*o) as char
            ),
        ));
    }
    out
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn push_comment(text: &str, start: usize, end: usize, out: &mut Vec<Comment>) {
    // Look back to the line's start, but no further than the previous comment (on a
    // minified line, looking back to the file's start for each comment is quadratic).
    let prev = out.last().filter(|c| c.span.end as usize <= start);
    let from = prev.map(|c| c.span.end as usize).unwrap_or(0);
    let own_line = match text[from..start].rfind('\n') {
        Some(i) => text[from + i + 1..start].trim().is_empty(),
        None => text[from..start].trim().is_empty() && prev.is_none_or(|c| c.own_line),
    };
    out.push(Comment {
        span: Span::new(start as u32, end as u32),
        text: text[start..end].trim_end_matches('\r').to_string(),
        own_line,
    });
}

/// After the opening quote of a (non-raw) string: the index after its closing quote.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `r"..."`, `r#"..."#`, `b"..."`, `br#"..."#`, `c"..."`, `cr"..."`, `b'x'`: the index
/// after the literal, or `None` when `i` starts an identifier instead.
fn skip_prefixed_literal(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if b[j] == b'b' || b[j] == b'c' {
        j += 1;
        if b[i] == b'b' && b.get(j) == Some(&b'\'') {
            return Some(skip_char_or_lifetime(b, j));
        }
        if b.get(j) == Some(&b'"') {
            return Some(skip_string(b, j + 1));
        }
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while b.get(j) == Some(&b'#') {
        hashes += 1;
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        // `r#ident` (a raw identifier) or a plain identifier starting with r/b/c.
        return None;
    }
    j += 1;
    while j < b.len() {
        if b[j] == b'"'
            && b[j + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == b'#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(b.len())
}

/// At a `'`: a character literal (`'a'`, `'\n'`, `'\u{1F600}'`, `'é'`) or a lifetime /
/// label (`'a`, `'static`). Returns the index after it.
fn skip_char_or_lifetime(b: &[u8], i: usize) -> usize {
    let j = i + 1;
    match b.get(j) {
        Some(b'\\') => {
            // An escape: the literal ends at the next quote.
            let mut k = j + 2;
            while k < b.len() && b[k] != b'\'' && b[k] != b'\n' {
                k += 1;
            }
            (k + 1).min(b.len())
        }
        Some(&c) => {
            // One (possibly multi-byte) character followed by a quote is a literal.
            let width = utf8_width(c);
            if b.get(j + width) == Some(&b'\'') {
                j + width + 1
            } else {
                j
            }
        }
        None => j,
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(text: &str) -> Vec<String> {
        scan(text).comments.into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn finds_line_and_nested_block_comments() {
        let c = comments("let a = 1; // tasklint: ignore[TL302]\n/* a /* b */ c */ fn f() {}\n");
        assert_eq!(c, vec!["// tasklint: ignore[TL302]", "/* a /* b */ c */"]);
    }

    #[test]
    fn skips_literals() {
        let c = comments(
            "let s = \"// no\"; let r = r#\"/* no \"# ; let ch = '\"'; let l: &'static str = \"x\"; // yes\n",
        );
        assert_eq!(c, vec!["// yes"]);
        let c = comments("let b = b'/'; let q = '/'; let e = '\\''; // yes\n");
        assert_eq!(c, vec!["// yes"]);
        let c = comments("fn f<'a>(x: &'a str) {} // yes\nlet br = br\"//\"; let c = c\"//\";\n");
        assert_eq!(c, vec!["// yes"]);
    }

    #[test]
    fn own_line_comments() {
        let s = scan("fn f() {\n    // alone\n    g(); // trailing\n}\n");
        assert!(s.comments[0].own_line);
        assert!(!s.comments[1].own_line);
    }

    #[test]
    fn measures_nesting() {
        assert_eq!(scan("fn f() { g((1)) }").max_depth, 3);
        assert!(scan("let s = \"((((\";").max_depth < 4);
        assert!(scan(&"!".repeat(500)).max_depth >= 500);
    }
}
