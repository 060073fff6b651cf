//! A small hand-written lexer for suppression comments (no regular expressions):
//!
//! - `# tasklint: ignore[TL101, TL301] reason...`, `// tasklint: ignore[TL302]`,
//!   `/* tasklint: ignore */`: the codes listed (commas and/or spaces), or everything
//!   when there is no list;
//! - `# tasklint: ignore-file[TL301]`: the same for the whole file;
//! - `# noqa: TL101, E501` (flake8/ruff style: only the `TL` codes are ours) and a bare
//!   `# noqa` (everything).
//!
//! A directive starts right after a comment introducer (`#`, `//`, `/*`), so one comment
//! may hold several (`# type: ignore  # noqa: TL101`), and a directive may be followed by
//! free text: a reason, or a fixture's `# expect:` marker. Keywords are
//! case-insensitive.

use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The line the comment is on.
    Line,
    /// The whole file (`ignore-file`).
    File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `tasklint: ignore[...]`
    Tasklint,
    /// `noqa[: ...]`
    Noqa,
}

/// A code (or rule name) listed in a directive, with its place in the comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub text: String,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub scope: Scope,
    pub syntax: Syntax,
    /// `None`: every rule.
    pub codes: Option<Vec<Code>>,
    /// The directive's text in the comment (byte offsets into the comment).
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lexed {
    Directive(Directive),
    /// Looks like a `tasklint:` directive but is not one; the message says why.
    Invalid {
        span: Range<usize>,
        message: String,
    },
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.bump();
        }
    }

    /// Consumes `word` (ASCII, case-insensitive) when it comes next.
    fn eat_word(&mut self, word: &str) -> bool {
        let rest = &self.text[self.pos..];
        if rest.len() >= word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// Letters, digits, `_` and `-`.
    fn word(&mut self) -> Range<usize> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.bump();
        }
        start..self.pos
    }
}

/// Every directive in one comment's text (the text includes the `#` or `//`).
pub fn lex(text: &str) -> Vec<Lexed> {
    let mut out = Vec::new();
    let mut cur = Cursor { text, pos: 0 };
    while let Some(start) = next_introducer(&cur) {
        cur.pos = start;
        // `#`, `##`, `//`, `///`, `//!`, `/*`, `/**`, `/*!`
        while cur
            .peek()
            .is_some_and(|c| matches!(c, '#' | '/' | '*' | '!'))
        {
            cur.bump();
        }
        cur.skip_spaces();
        let at = cur.pos;
        if let Some(l) = directive(&mut cur) {
            out.push(l);
        } else {
            cur.pos = at;
        }
    }
    out
}

/// The next `#`, `//` or `/*` at or after the cursor.
fn next_introducer(cur: &Cursor) -> Option<usize> {
    let bytes = cur.text.as_bytes();
    let mut i = cur.pos;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => return Some(i),
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn directive(cur: &mut Cursor) -> Option<Lexed> {
    let start = cur.pos;
    if cur.eat_word("tasklint") {
        // `tasklintx` is a different word.
        if cur
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        cur.skip_spaces();
        if cur.peek() != Some(':') {
            return None;
        }
        cur.bump();
        cur.skip_spaces();
        let w = cur.word();
        let word = cur.text[w.clone()].to_ascii_lowercase();
        let scope = match word.as_str() {
            "ignore" => Scope::Line,
            "ignore-file" | "file-ignore" => Scope::File,
            _ => {
                let hint = match crate::config::parse::nearest(&word, &["ignore", "ignore-file"]) {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => String::new(),
                };
                return Some(Lexed::Invalid {
                    span: start..w.end.max(cur.pos),
                    message: format!(
                        "`tasklint: {}` is not a suppression (use `tasklint: ignore[CODE]` or `tasklint: ignore-file[CODE]`){hint}",
                        &cur.text[w]
                    ),
                });
            }
        };
        let before_list = cur.pos;
        cur.skip_spaces();
        if cur.peek() != Some('[') {
            cur.pos = before_list;
            return Some(Lexed::Directive(Directive {
                scope,
                syntax: Syntax::Tasklint,
                codes: None,
                span: start..cur.pos,
            }));
        }
        cur.bump();
        let mut codes = Vec::new();
        loop {
            while cur
                .peek()
                .is_some_and(|c| c == ',' || c == ' ' || c == '\t')
            {
                cur.bump();
            }
            match cur.peek() {
                Some(']') => {
                    cur.bump();
                    break;
                }
                Some(c) if c.is_ascii_alphanumeric() => {
                    let w = cur.word();
                    codes.push(Code {
                        text: cur.text[w.clone()].to_string(),
                        span: w,
                    });
                }
                _ => {
                    return Some(Lexed::Invalid {
                        span: start..cur.pos,
                        message: "this suppression's code list is not closed: write `tasklint: ignore[TL101, TL301]`".into(),
                    });
                }
            }
        }
        if codes.is_empty() {
            return Some(Lexed::Invalid {
                span: start..cur.pos,
                message: "this suppression lists no code: write the codes (`ignore[TL101]`) or leave out the brackets to suppress every rule".into(),
            });
        }
        return Some(Lexed::Directive(Directive {
            scope,
            syntax: Syntax::Tasklint,
            codes: Some(codes),
            span: start..cur.pos,
        }));
    }
    if cur.eat_word("noqa") {
        if cur
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        let bare_end = cur.pos;
        cur.skip_spaces();
        if cur.peek() != Some(':') {
            return Some(Lexed::Directive(Directive {
                scope: Scope::Line,
                syntax: Syntax::Noqa,
                codes: None,
                span: start..bare_end,
            }));
        }
        cur.bump();
        let mut codes = Vec::new();
        let mut end = cur.pos;
        loop {
            let save = cur.pos;
            while cur
                .peek()
                .is_some_and(|c| c == ',' || c == ' ' || c == '\t')
            {
                cur.bump();
            }
            let w = cur.word();
            let t = &cur.text[w.clone()];
            // flake8's code shape: letters then digits (`E501`, `TL101`).
            let letters = t.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            let is_code = letters > 0
                && letters < t.len()
                && t[letters..].chars().all(|c| c.is_ascii_digit());
            if !is_code {
                cur.pos = save;
                break;
            }
            end = cur.pos;
            codes.push(Code {
                text: t.to_string(),
                span: w,
            });
        }
        // `# noqa:` with no code is read as a bare `# noqa`, as flake8 and ruff do.
        return Some(Lexed::Directive(Directive {
            scope: Scope::Line,
            syntax: Syntax::Noqa,
            codes: if codes.is_empty() { None } else { Some(codes) },
            span: start..end.max(bare_end),
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Directive {
        let mut l = lex(text);
        assert_eq!(l.len(), 1, "{text}: {l:?}");
        match l.remove(0) {
            Lexed::Directive(d) => d,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn codes(d: &Directive) -> Vec<&str> {
        d.codes.iter().flatten().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn tasklint_forms() {
        let text = "# tasklint: ignore[TL101, TL301] the reason";
        let d = one(text);
        assert_eq!((d.scope, d.syntax), (Scope::Line, Syntax::Tasklint));
        assert_eq!(codes(&d), ["TL101", "TL301"]);
        assert_eq!(&text[d.span.clone()], "tasklint: ignore[TL101, TL301]");
        assert_eq!(&text[d.codes.as_ref().unwrap()[1].span.clone()], "TL301");
        assert_eq!(
            codes(&one("#tasklint:ignore[TL101 TL102]")),
            ["TL101", "TL102"]
        );
        assert_eq!(one("# TaskLint: IGNORE").codes, None);
        assert_eq!(
            one("// tasklint: ignore[TL302]").codes.unwrap()[0].text,
            "TL302"
        );
        assert_eq!(one("/* tasklint: ignore[TL302] */").codes.unwrap().len(), 1);
        assert_eq!(one("//! tasklint: ignore-file[TL302]").scope, Scope::File);
        assert_eq!(one("# tasklint: ignore-file").scope, Scope::File);
        assert_eq!(
            codes(&one("# tasklint: ignore[task-called-directly]")),
            ["task-called-directly"]
        );
    }

    #[test]
    fn noqa_forms() {
        assert_eq!(one("# noqa").codes, None);
        assert_eq!(one("# NOQA").codes, None);
        assert_eq!(one("# noqa:").codes, None);
        assert_eq!(codes(&one("# noqa: TL101")), ["TL101"]);
        assert_eq!(
            codes(&one("# noqa:E501,TL101  trailing words")),
            ["E501", "TL101"]
        );
        assert_eq!(codes(&one("# noqa: E501 TL101")), ["E501", "TL101"]);
        assert!(lex("# noqanope").is_empty());
        assert!(lex("# this is not noqa").is_empty());
    }

    #[test]
    fn several_directives_and_markers_share_a_comment() {
        let l = lex("# type: ignore  # noqa: TL101  # tasklint: ignore[TL301]");
        assert_eq!(l.len(), 2);
        // A fixture marker after a suppression is free text, not a directive.
        let d = one("# tasklint: ignore[TL101]  # expect: warning[TL001]");
        assert_eq!(codes(&d), ["TL101"]);
        assert!(lex("# expect: error[TL101]").is_empty());
    }

    #[test]
    fn broken_directives_say_why() {
        for text in [
            "# tasklint: ignore[TL101",
            "# tasklint: ignore[]",
            "# tasklint: ignroe[TL101]",
            "# tasklint: ignore[TL101; TL102]",
        ] {
            assert!(
                matches!(lex(text).as_slice(), [Lexed::Invalid { .. }]),
                "{text}: {:?}",
                lex(text)
            );
        }
        let Lexed::Invalid { message, .. } = &lex("# tasklint: ignroe[TL101]")[0] else {
            unreachable!()
        };
        assert!(message.contains("did you mean `ignore`?"), "{message}");
    }

    #[test]
    fn unicode_and_odd_text_never_panic() {
        for text in [
            "# é tasklint: ignore[é]",
            "#",
            "//",
            "/*",
            "# tasklint",
            "# tasklint:",
            "# noqa: é",
            "# tasklint: ignore[TL101 é]",
        ] {
            let _ = lex(text);
        }
    }
}
