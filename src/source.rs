//! A checked file's text and the conversions between byte offsets (the single internal
//! unit) and the 1-based line / character column users see.
//!
//! Lines end at `\n`, `\r\n`, or a lone `\r` (old Mac files), as Python's tokenizer
//! reads them; in Rust a lone `\r` is whitespace, not a line break (the Rust reference,
//! "Whitespace"), so Rust files break lines at `\n` only, as rustc counts them.
//! Every conversion costs time linear in the text plus a bounded amount per position,
//! whatever the shape of the file: a minified file is one huge line with many findings.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::model::{Language, Span};

/// Columns on lines longer than this are counted from a checkpoint, never from the
/// line start.
const CHECKPOINT: usize = 4096;

/// Index of a file in [`crate::index::Project::files`].
pub type FileId = usize;

#[derive(Debug)]
pub struct SourceFile {
    /// The path as users should see it: as given on the command line, joined with the
    /// path found below it (relative stays relative), made by [`display_path`]. Not
    /// escaped: each output format escapes it for its sink.
    pub display: String,
    /// The path on disk (or the `--stdin-filename` path).
    pub path: PathBuf,
    /// Shared with the model store, which parses it on demand.
    pub text: Arc<str>,
    /// Where each line starts, worked out the first time a position is asked for: most
    /// files read for context never are.
    line_starts: OnceLock<Vec<u32>>,
    /// How many characters start before every `CHECKPOINT`-th byte; built the first
    /// time a position lies far from its line's start.
    chars_at_checkpoints: OnceLock<Vec<u32>>,
    /// A Rust file: a lone `\r` does not end a line (it does in Python).
    rust: bool,
}

/// A 1-based line and 1-based column counted in characters, plus the byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

/// A path as text, byte for byte: a UTF-8 path is itself; a byte that is not UTF-8 is
/// written `\xNN` (a path is bytes on Unix, and JSON strings cannot carry them; see
/// docs/formats.md). Never U+FFFD, never a `\` turned into `/`.
pub fn display_path(p: &Path) -> String {
    display_bytes(p.as_os_str().as_encoded_bytes())
}

/// [`display_path`] of a path's bytes.
pub fn display_bytes(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Characters starting in a run of bytes (any run: a UTF-8 continuation byte starts
/// none), so the run need not begin or end on a character boundary.
fn chars_in(bytes: &[u8]) -> u32 {
    #[cfg(test)]
    SCANNED.with(|c| c.set(c.get() + bytes.len()));
    bytes.iter().filter(|b| (**b as i8) >= -0x40).count() as u32
}

fn line_starts(text: &str, lone_cr_ends_a_line: bool) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0u32];
    if lone_cr_ends_a_line {
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(i as u32 + 1);
        }
    } else {
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i as u32 + 1));
    }
    starts
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, text: String) -> SourceFile {
        SourceFile::shared(display, path, Arc::from(text))
    }

    /// A file whose text is shared with the model store.
    pub fn shared(display: String, path: PathBuf, text: Arc<str>) -> SourceFile {
        let rust = crate::discover::language_of(&path) == Some(Language::Rust);
        SourceFile {
            display,
            path,
            line_starts: OnceLock::new(),
            rust,
            text,
            chars_at_checkpoints: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts
            .get_or_init(|| line_starts(&self.text, !self.rust))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_start(&self, line_index: usize) -> u32 {
        self.line_starts()[line_index]
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// Byte range of a 0-based line without its line ending.
    pub fn line_range(&self, line_index: usize) -> std::ops::Range<usize> {
        let start = self.line_starts()[line_index] as usize;
        let end = self
            .line_starts()
            .get(line_index + 1)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        let line = &self.text[start..end];
        // Only a line followed by another one has an ending to leave out.
        let body = if line_index + 1 < self.line_starts().len() {
            let l = line.strip_suffix('\n').unwrap_or(line);
            l.strip_suffix('\r').unwrap_or(l)
        } else {
            line
        };
        start..start + body.len()
    }

    /// Text of a 0-based line without its line ending.
    pub fn line_text(&self, line_index: usize) -> &str {
        &self.text[self.line_range(line_index)]
    }

    /// The character count before every checkpoint, built once.
    fn checkpoints(&self) -> &[u32] {
        self.chars_at_checkpoints.get_or_init(|| {
            let mut v = Vec::with_capacity(self.text.len() / CHECKPOINT + 1);
            let mut count = 0u32;
            v.push(0);
            for block in self.text.as_bytes().chunks(CHECKPOINT) {
                count += chars_in(block);
                v.push(count);
            }
            v
        })
    }

    /// Characters starting before byte `at`.
    fn chars_before(&self, at: usize) -> u32 {
        let block = at / CHECKPOINT;
        self.checkpoints()[block] + chars_in(&self.text.as_bytes()[block * CHECKPOINT..at])
    }

    /// Characters in `start..end` (byte offsets on character boundaries).
    fn chars_between(&self, start: usize, end: usize) -> u32 {
        if end - start <= 2 * CHECKPOINT {
            chars_in(&self.text.as_bytes()[start..end])
        } else {
            self.chars_before(end) - self.chars_before(start)
        }
    }

    pub fn position(&self, offset: u32) -> Position {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_starts()[line] as usize;
        Position {
            line: line as u32 + 1,
            column: self.chars_between(start, offset as usize) + 1,
            offset,
        }
    }

    /// The 1-based character column of a byte offset on a given 0-based line.
    pub fn column(&self, line_index: usize, offset: u32) -> u32 {
        let offset = self.clamp(offset) as usize;
        let start = (self.line_starts()[line_index] as usize).min(offset);
        self.chars_between(start, offset) + 1
    }

    /// Moves an offset back onto a char boundary inside the text, so that a span computed
    /// from another representation can never slice in the middle of a character.
    pub fn clamp(&self, offset: u32) -> u32 {
        let mut o = (offset as usize).min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o as u32
    }

    pub fn slice(&self, span: Span) -> &str {
        let start = self.clamp(span.start) as usize;
        let end = (self.clamp(span.end) as usize).max(start);
        &self.text[start..end]
    }

    /// Byte offset of a 1-based line and 0-based *character* column: the position syn
    /// (proc-macro2) reports.
    pub fn offset_of_line_char(&self, line: usize, char_column: usize) -> u32 {
        if line == 0 || line > self.line_starts().len() {
            return self.text.len() as u32;
        }
        let range = self.line_range(line - 1);
        let bytes = self.text.as_bytes();
        // The checkpoint at or before the wanted character, then a bounded walk.
        let mut at = range.start;
        let mut chars = 0usize;
        if range.len() > 2 * CHECKPOINT {
            let line_chars_before = self.chars_before(range.start) as usize;
            let want = line_chars_before + char_column;
            let block = self
                .checkpoints()
                .partition_point(|c| (*c as usize) <= want)
                .saturating_sub(1);
            at = (block * CHECKPOINT).max(range.start);
            chars = self.chars_before(at) as usize - line_chars_before;
        }
        while at < range.end {
            if (bytes[at] as i8) >= -0x40 {
                if chars == char_column {
                    return at as u32;
                }
                chars += 1;
            }
            at += 1;
        }
        range.end as u32
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes looked at to compute columns: the linear-time test counts them.
    static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_on_one_huge_line_cost_linear_time() {
        // A minified file: one 1 MB line with a finding every 1,000 bytes.
        let unit = "f(1); é = 2; ";
        let text = unit.repeat(1_000_000 / unit.len());
        let f = SourceFile::new("a.py".into(), "a.py".into(), text.clone());
        SCANNED.with(|c| c.set(0));
        let mut expected = (0, 1);
        for offset in (0..text.len()).step_by(1_000) {
            let offset = f.clamp(offset as u32);
            let p = f.position(offset);
            expected.1 += text[expected.0..offset as usize].chars().count() as u32;
            expected.0 = offset as usize;
            assert_eq!((p.line, p.column), (1, expected.1));
            assert_eq!(f.offset_of_line_char(1, p.column as usize - 1), offset);
        }
        let scanned = SCANNED.with(|c| c.get());
        // Linear: the text once, plus a bounded stretch per position and way (a
        // quadratic count would be about 500 times the text).
        assert!(
            scanned <= text.len() + 1_000 * 8 * CHECKPOINT,
            "{scanned} bytes scanned for {} bytes of text",
            text.len()
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let f = SourceFile::new("a.py".into(), "a.py".into(), "x = 'é'; f()\n\tg()\n".into());
        let f_call = f.text.find("f()").unwrap() as u32;
        assert_eq!(f.position(f_call).column, 10);
        let g_call = f.text.find("g()").unwrap() as u32;
        let p = f.position(g_call);
        assert_eq!((p.line, p.column), (2, 2));
    }

    #[test]
    fn lone_carriage_returns_end_lines_in_python_not_in_rust() {
        let text = "a = 1\rb = 2\r\nc = 3\nd\r";
        let py = SourceFile::new("a.py".into(), "a.py".into(), text.into());
        let at = |s: &str| text.find(s).unwrap() as u32;
        let pos = |f: &SourceFile, o| (f.position(o).line, f.position(o).column);
        assert_eq!(pos(&py, at("b")), (2, 1));
        assert_eq!(pos(&py, at("c")), (3, 1));
        assert_eq!(pos(&py, at("d")), (4, 1));
        assert_eq!(py.line_count(), 5);
        assert_eq!(
            (0..4).map(|l| py.line_text(l)).collect::<Vec<_>>(),
            ["a = 1", "b = 2", "c = 3", "d"]
        );
        let rs = SourceFile::new("a.rs".into(), "a.rs".into(), text.into());
        assert_eq!(pos(&rs, at("b")), (1, 7));
        assert_eq!(pos(&rs, at("d")), (3, 1));
        assert_eq!(rs.line_text(0), "a = 1\rb = 2");
    }

    #[test]
    fn non_utf8_paths_keep_their_bytes_escaped() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"a\\b/\xe9t\xc3\xa9.py"));
        assert_eq!(display_path(p), "a\\b/\\xe9t\u{e9}.py");
    }

    #[test]
    fn offsets_inside_a_character_are_clamped() {
        let f = SourceFile::new("a.py".into(), "a.py".into(), "é".into());
        assert_eq!(f.clamp(1), 0);
        // The start moves back to the character's first byte: never a broken slice.
        assert_eq!(f.slice(Span::new(1, 2)), "é");
    }

    #[test]
    fn line_and_char_column_to_offset() {
        let f = SourceFile::new(
            "a.rs".into(),
            "a.rs".into(),
            "fn a() {}\nlet é = x;\n".into(),
        );
        assert_eq!(
            f.offset_of_line_char(2, 6),
            f.text.find('=').unwrap() as u32
        );
    }
}
