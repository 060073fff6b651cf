//! Frontends: each turns one file's text into a [`crate::model::FileModel`].

pub mod python;
pub mod rust;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::model::{FileModel, Language, Problem, Span};

/// Parses a file's text with its language's frontend. Never panics: a panic in a
/// frontend becomes a TL000 problem for that file.
pub fn parse_text(language: Language, text: &str) -> FileModel {
    match catch_unwind(AssertUnwindSafe(|| parse_frontend(language, text))) {
        Ok(mut m) => {
            m.shrink_to_fit();
            m
        }
        Err(_) => problem_model(
            language,
            "internal error while parsing this file; please report it".into(),
        ),
    }
}

/// The frontend itself, unguarded: a panic propagates (fuzzing calls this to see it).
pub fn parse_frontend(language: Language, text: &str) -> FileModel {
    match language {
        Language::Python => {
            // A UTF-8 BOM is not Python syntax; blank it without moving any offset.
            match text.strip_prefix('\u{feff}') {
                Some(rest) => python::parse(&format!("   {rest}")),
                None => python::parse(text),
            }
        }
        Language::Rust => rust::parse(text),
    }
}

fn problem_model(language: Language, message: String) -> FileModel {
    let mut m = FileModel::new(language);
    m.problems.push(Problem {
        span: Span::new(0, 0),
        message,
    });
    m
}
