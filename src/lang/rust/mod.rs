//! Rust frontend: syn → [`FileModel`].

mod lexer;
mod lower;

use crate::model::{FileModel, Language, Problem, Span};

/// Beyond this nesting depth (brackets, and runs of prefix operators) the file is
/// reported as TL000 instead of being parsed: syn recurses on each level, and deep input
/// must end as a finding, never as a stack overflow. Real code stays far below it.
pub const MAX_NESTING: usize = 256;

/// Beyond this many operators in one statement (`a.b().c()...`, `x + x + ...`) the file
/// is TL000 too: syn parses such chains in a loop, but the tree it builds is as deep as
/// the chain is long, and dropping it recurses.
pub const MAX_CHAIN: usize = 100_000;

/// Parses a Rust file into its model. Never fails: a file syn cannot parse gets a
/// problem (TL000, with syn's message and position) and no other facts.
pub fn parse(text: &str) -> FileModel {
    // syn skips a byte-order mark; positions are then counted from after it.
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8() as u32),
        None => (text, 0),
    };
    let scan = lexer::scan(body);
    let mut model = if scan.max_depth > MAX_NESTING {
        let at = scan.deepest_at as u32 + shift;
        problem(
            Span::new(at, at),
            format!("nesting deeper than {MAX_NESTING} levels; this file is not checked"),
        )
    } else if scan.max_flat > MAX_CHAIN {
        problem(
            Span::new(0, 0),
            format!("an expression with more than {MAX_CHAIN} operators; this file is not checked"),
        )
    } else {
        let lines = lower::Lines::new(body, shift);
        let model = match syn::parse_file(body) {
            Ok(file) => lower::lower(&file, &lines),
            // Unbalanced brackets stop proc-macro2's lexer, whose error has neither a
            // place nor a reason: the scan found both.
            Err(e) if scan.unbalanced.is_some() && e.to_string().contains("token stream") => {
                let (at, message) = scan.unbalanced.clone().expect("checked");
                let at = at as u32 + shift;
                problem(Span::new(at, at + 1), format!("syntax error: {message}"))
            }
            Err(e) => {
                let start = lines.offset(e.span().start());
                let end = lines.offset(e.span().end()).max(start);
                problem(Span::new(start, end), format!("syntax error: {e}"))
            }
        };
        // proc-macro2 keeps every parsed text in a per-thread source map; the model holds
        // byte offsets only, so the map can go.
        proc_macro2::extra::invalidate_current_thread_spans();
        model
    };
    model.comments = scan
        .comments
        .into_iter()
        .filter(|c| crate::model::Comment::may_be_directive(&c.text))
        .map(|mut c| {
            c.span = Span::new(c.span.start + shift, c.span.end + shift);
            c
        })
        .collect();
    model
}

/// The byte ranges of string, byte-string and raw-string literals written over several
/// lines: a line that ends inside one cannot take a `//` comment (it would become part
/// of the string). For `--add-noqa`, on files that parse.
pub fn multiline_literals(text: &str) -> Vec<(usize, usize)> {
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8() as u32),
        None => (text, 0),
    };
    if lexer::scan(body).max_depth > MAX_NESTING {
        return Vec::new();
    }
    let Ok(stream) = body.parse::<proc_macro2::TokenStream>() else {
        return Vec::new();
    };
    let lines = lower::Lines::new(body, shift);
    let mut out = Vec::new();
    // An explicit stack: nesting is bounded above, but no recursion is needed.
    let mut stack: Vec<proc_macro2::token_stream::IntoIter> = vec![stream.into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(proc_macro2::TokenTree::Group(g)) => stack.push(g.stream().into_iter()),
            Some(proc_macro2::TokenTree::Literal(l)) => {
                let span = l.span();
                if span.start().line != span.end().line {
                    out.push((
                        lines.offset(span.start()) as usize,
                        lines.offset(span.end()) as usize,
                    ));
                }
            }
            Some(_) => {}
        }
    }
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

fn problem(span: Span, message: String) -> FileModel {
    let mut m = FileModel::new(Language::Rust);
    m.problems.push(Problem { span, message });
    m
}

#[cfg(test)]
mod tests;
