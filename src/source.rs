//! A checked file's text and the conversions between byte offsets (the single internal
//! unit) and the 1-based line / character column users see.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::Span;

/// Index of a file in [`crate::index::Project::files`].
pub type FileId = usize;

#[derive(Debug)]
pub struct SourceFile {
    /// The path as users should see it: as given on the command line, joined with the
    /// path found below it (relative stays relative).
    pub display: String,
    /// The path on disk (or the `--stdin-filename` path).
    pub path: PathBuf,
    /// Shared with the model store, which parses it on demand.
    pub text: Arc<str>,
    line_starts: Vec<u32>,
}

/// A 1-based line and 1-based column counted in characters, plus the byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, text: String) -> SourceFile {
        SourceFile::shared(display, path, Arc::from(text))
    }

    /// A file whose text is shared with the model store.
    pub fn shared(display: String, path: PathBuf, text: Arc<str>) -> SourceFile {
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        SourceFile {
            display,
            path,
            text,
            line_starts,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_start(&self, line_index: usize) -> u32 {
        self.line_starts[line_index]
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Text of a 0-based line without its line ending.
    pub fn line_text(&self, line_index: usize) -> &str {
        let start = self.line_starts[line_index] as usize;
        let end = self
            .line_starts
            .get(line_index + 1)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn position(&self, offset: u32) -> Position {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let column = self.text[start..offset as usize].chars().count() as u32 + 1;
        Position {
            line: line as u32 + 1,
            column,
            offset,
        }
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
        if line == 0 || line > self.line_starts.len() {
            return self.text.len() as u32;
        }
        let start = self.line_starts[line - 1] as usize;
        let line_text = self.line_text(line - 1);
        let byte = line_text
            .char_indices()
            .nth(char_column)
            .map(|(b, _)| b)
            .unwrap_or(line_text.len());
        (start + byte) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
