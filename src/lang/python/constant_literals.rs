//! Large constant literals, read from bytes and left out of the parse.
//!
//! A generated data module (`DATA = [{"id": 1, ...}, ...]` over megabytes) holds no call,
//! no name and nothing a rule can use, yet tree-sitter builds a node for every bracket,
//! string and number in it: about a hundred bytes of tree per byte of source, and a parse
//! that grows faster than the file. A `[...]` or `{...}` literal longer than
//! [`THRESHOLD`] that holds only strings, numbers, `True` / `False` / `None`, nested
//! literals of those, commas and colons is blanked before parsing (newlines kept, so every
//! offset, line and column outside it is the same) and reads as an empty literal.
//! Anything else in it (a name, a call, an operator, an f-string, text that is not valid
//! Python) keeps the whole literal, as does any literal below the threshold: the
//! constants projects configure tasks with (`CELERY_BEAT_SCHEDULE`, `INSTALLED_APPS`) are
//! far smaller.

/// Bytes from the opening bracket to the closing one.
pub const THRESHOLD: usize = 256 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Token {
    /// Start of the file, an operator, a keyword or a comma / colon.
    Separator,
    /// A string literal (Python joins `"a" "b"`).
    Str,
    /// A number, `True` / `False` / `None`, a name, a closing bracket.
    Value,
}

struct Open {
    at: usize,
    bracket: u8,
    /// `[` or `{` that starts a literal (not a subscript `x[...]`).
    literal: bool,
    constant: bool,
    last: Token,
}

/// The text with its large constant literals blanked, or `None` when it has none (or
/// cannot be read with confidence: an f-string, an unterminated string, an unbalanced
/// bracket).
pub fn blank_large_constants(text: &str) -> Option<String> {
    if text.len() <= THRESHOLD {
        return None;
    }
    let ranges = large_constant_ranges(text.as_bytes())?;
    if ranges.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for (start, end) in ranges {
        for b in &mut bytes[start..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Only ASCII bytes of the original were kept; every other byte is now a space.
    String::from_utf8(bytes).ok()
}

/// The insides (after the opening bracket, before the closing one) of the outermost large
/// constant literals, in order.
fn large_constant_ranges(b: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut prev = Token::Separator;
    let mut i = 0;
    let n = b.len();
    // A token inside the innermost open bracket: a value directly after another value
    // (no comma between) is not a literal tasklint can vouch for.
    fn value(stack: &mut [Open], t: Token) {
        if let Some(top) = stack.last_mut() {
            let joined = top.last == Token::Str && t == Token::Str;
            if top.last != Token::Separator && !joined {
                top.constant = false;
            }
            top.last = t;
        }
    }
    fn not_constant(stack: &mut [Open]) {
        if let Some(top) = stack.last_mut() {
            top.constant = false;
        }
    }
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => i += 1,
            b'\\' => {
                // A line continuation; anything else here is not Python.
                if !matches!(b.get(i + 1), Some(b'\n' | b'\r')) {
                    return None;
                }
                i += 1;
            }
            b'#' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                i = skip_string(b, i)?;
                value(&mut stack, Token::Str);
                prev = Token::Str;
            }
            b'0'..=b'9' => {
                i = skip_number(b, i);
                value(&mut stack, Token::Value);
                prev = Token::Value;
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = skip_number(b, i);
                value(&mut stack, Token::Value);
                prev = Token::Value;
            }
            b'[' | b'{' | b'(' => {
                let literal = c != b'(' && (c == b'{' || prev == Token::Separator);
                // `x[...]`, `f(...)`, or a literal right after a value.
                if let Some(top) = stack.last_mut()
                    && top.last != Token::Separator
                {
                    top.constant = false;
                }
                stack.push(Open {
                    at: i,
                    bracket: c,
                    literal,
                    constant: true,
                    last: Token::Separator,
                });
                prev = Token::Separator;
                i += 1;
            }
            b']' | b'}' | b')' => {
                let open = stack.pop()?;
                let expected = match open.bracket {
                    b'[' => b']',
                    b'{' => b'}',
                    _ => b')',
                };
                if c != expected {
                    return None;
                }
                if open.constant && open.literal && i - open.at > THRESHOLD {
                    // Inner literals already recorded lie inside this one.
                    while ranges.last().is_some_and(|r| r.0 > open.at) {
                        ranges.pop();
                    }
                    ranges.push((open.at + 1, i));
                }
                if !open.constant {
                    not_constant(&mut stack);
                }
                value(&mut stack, Token::Value);
                prev = Token::Value;
                i += 1;
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    if top.last == Token::Separator {
                        top.constant = false;
                    }
                    top.last = Token::Separator;
                }
                prev = Token::Separator;
                i += 1;
            }
            b':' => {
                if let Some(top) = stack.last_mut() {
                    // Only a dict's key and value: a slice, a lambda or a walrus is code.
                    if top.bracket != b'{' || top.last == Token::Separator {
                        top.constant = false;
                    }
                    top.last = Token::Separator;
                }
                prev = Token::Separator;
                i += 1;
            }
            b'-' | b'+' => {
                // A sign: allowed before a number only.
                if let Some(top) = stack.last_mut()
                    && top.last != Token::Separator
                {
                    top.constant = false;
                }
                prev = Token::Separator;
                i += 1;
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let start = i;
                while i < n && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
                    i += 1;
                }
                let word = &b[start..i];
                if matches!(b.get(i), Some(b'\'' | b'"')) && is_string_prefix(word) {
                    if word.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T')) {
                        // f-strings and t-strings hold expressions (and, since 3.12,
                        // quotes of their own): not read from bytes.
                        return None;
                    }
                    i = skip_string(b, i)?;
                    value(&mut stack, Token::Str);
                    prev = Token::Str;
                } else if matches!(word, b"True" | b"False" | b"None") {
                    value(&mut stack, Token::Value);
                    prev = Token::Value;
                } else {
                    not_constant(&mut stack);
                    // A keyword (`return [`, `in [`) is followed by a literal, a name by
                    // a subscript or a call.
                    prev = if is_keyword(word) {
                        Token::Separator
                    } else {
                        Token::Value
                    };
                }
            }
            _ => {
                not_constant(&mut stack);
                prev = Token::Separator;
                i += 1;
            }
        }
    }
    stack.is_empty().then_some(ranges)
}

/// The end of the string literal whose opening quote is at `i`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == q => {
                if !triple {
                    return Some(j + 1);
                }
                if b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                    return Some(j + 3);
                }
                j += 1;
            }
            b'\n' if !triple => return None,
            _ => j += 1,
        }
    }
    None
}

/// The end of the number starting at `i` (`12`, `0x1F`, `1_000`, `3.5e-7`, `2j`).
fn skip_number(b: &[u8], i: usize) -> usize {
    let hex = b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X'));
    let mut j = i;
    while j < b.len() {
        let c = b[j];
        let exponent_sign =
            matches!(c, b'+' | b'-') && !hex && matches!(b.get(j - 1), Some(b'e' | b'E'));
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
            j += 1;
        } else {
            break;
        }
    }
    j
}

fn is_string_prefix(word: &[u8]) -> bool {
    word.len() <= 2
        && word
            .iter()
            .all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f' | b't'))
}

fn is_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"return"
            | b"yield"
            | b"in"
            | b"not"
            | b"and"
            | b"or"
            | b"is"
            | b"if"
            | b"else"
            | b"elif"
            | b"while"
            | b"for"
            | b"assert"
            | b"await"
            | b"lambda"
            | b"del"
            | b"from"
            | b"import"
            | b"with"
            | b"as"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_list(item: &str) -> String {
        let mut s = String::from("from .tasks import ping\n\nDATA = [\n");
        while s.len() < THRESHOLD + 1000 {
            s.push_str("    ");
            s.push_str(item);
            s.push_str(",\n");
        }
        s.push_str("]\nping.delay(1)\n");
        s
    }

    #[test]
    fn a_large_constant_literal_is_blanked_with_its_lines_kept() {
        let text =
            big_list("{'id': 1, \"name\": 'a\\'b', 'tags': ['x', 'y'], 'v': -3.5e-7, 'n': None}");
        let blanked = blank_large_constants(&text).expect("blanked");
        assert_eq!(blanked.len(), text.len());
        assert_eq!(blanked.lines().count(), text.lines().count());
        assert!(blanked.starts_with("from .tasks import ping\n\nDATA = [\n"));
        let first_item = blanked.lines().nth(3).unwrap();
        assert!(!first_item.is_empty() && first_item.trim().is_empty());
        assert!(blanked.ends_with("]\nping.delay(1)\n"));
        assert!(!blanked.contains("'id'"));
    }

    #[test]
    fn names_calls_operators_and_fstrings_keep_the_literal() {
        for item in [
            "{'task': ping}",
            "{'id': make_id(1)}",
            "[1 + 2]",
            "{'a': f'{x}'}",
            "[1 2]",
            "{'a': 1,, 'b': 2}",
            "[x[0]]",
        ] {
            assert!(
                blank_large_constants(&big_list(item)).is_none(),
                "{item} must keep the literal"
            );
        }
    }

    #[test]
    fn small_literals_and_odd_text_are_left_alone() {
        assert!(blank_large_constants("DATA = [1, 2, 3]\n").is_none());
        let unterminated = big_list("'a").replace("]\nping", "\nping");
        assert!(blank_large_constants(&unterminated).is_none());
        let unbalanced = big_list("[1, 2").replace("]\nping", "\nping");
        assert!(blank_large_constants(&unbalanced).is_none());
    }

    #[test]
    fn a_subscript_is_not_a_literal() {
        let mut text = String::from("x = table[\n");
        while text.len() < THRESHOLD + 1000 {
            text.push_str("    1,\n");
        }
        text.push_str("]\n");
        assert!(blank_large_constants(&text).is_none());
    }
}
