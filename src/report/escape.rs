//! Escaping user-controlled text — file names, code quoted in messages, source lines —
//! for the sinks that would act on it instead of showing it: terminals and CI logs.
//!
//! A file name or a string literal comes from whoever wrote the checkout. Printed raw, a
//! newline followed by `::error ...` becomes a GitHub Actions workflow command, and an
//! ANSI or OSC escape sequence reaches the terminal (colours, the window title, cursor
//! moves that hide lines). Each unsafe character is written as a Rust escape (`\n`,
//! `\r`, `\t`, `\u{1b}`); everything else, including all other Unicode, as it is.
//! JSON and SARIF escape by construction (serde_json) and are not passed through here.

use std::borrow::Cow;

/// A character a terminal or a log viewer would act on instead of showing: C0 and C1
/// controls and DEL (newlines, carriage returns, the ESC of ANSI and OSC sequences), and
/// the invisible characters that reorder or break text (bidirectional embeddings,
/// overrides and isolates, as in "Trojan Source", CVE-2021-42574; the line and
/// paragraph separators).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// How an unsafe character is written.
pub fn escaped(c: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c => format!("\\u{{{:x}}}", c as u32),
    }
}

/// Text safe for a terminal or a CI log (see the module documentation).
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_escaped_and_the_rest_kept() {
        assert_eq!(text("views.py"), "views.py");
        assert_eq!(text("café → ok"), "café → ok");
        assert_eq!(
            text("a\n::error::x\x1b[31m\r\t\u{9b}\u{202e}\u{7f}"),
            "a\\n::error::x\\u{1b}[31m\\r\\t\\u{9b}\\u{202e}\\u{7f}"
        );
    }
}
