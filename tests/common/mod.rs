//! Helpers shared by the integration tests (each test file includes this module and uses
//! part of it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tasklint::check::CheckOutput;
use tasklint::config::ConfigChoice;
use tasklint::knowledge::Knowledge;
use tasklint::settings::Settings;

/// Every fixture project: the folders of `fixtures/python` and `fixtures/rust`, sorted.
pub fn fixture_projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for lang in ["python", "rust"] {
        let Ok(entries) = std::fs::read_dir(root.join(lang)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no fixture project under {}",
        root.display()
    );
    out
}

/// The settings a fixture project is checked with: its own `tasklint.toml` or
/// `pyproject.toml` (only in its own folder, never one found further up), then every
/// rule selected, opt-in ones included; and the knowledge that configuration extends.
pub fn fixture_settings(dir: &Path) -> Result<(Settings, Knowledge), String> {
    let mut settings = Settings::default();
    for name in ["tasklint.toml", "pyproject.toml"] {
        let file = dir.join(name);
        if file.is_file() {
            settings = tasklint::config::resolve(&ConfigChoice::File(file), dir)
                .map_err(|e| format!("{}: {e:#}", dir.display()))?
                .settings;
            break;
        }
    }
    settings.select = Some(vec!["ALL".into()]);
    let knowledge = tasklint::config::knowledge_for(&settings)
        .map_err(|e| format!("{}: {e:#}", dir.display()))?;
    Ok((settings, knowledge))
}

/// The source files of a folder tasklint reads (`.py`, `.rs`), relative, sorted.
pub fn source_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            matches!(
                e.path().extension().and_then(|x| x.to_str()),
                Some("py" | "rs")
            )
        })
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

// ------------------------------------------------------------------- expect: markers

/// One `expect:` marker: `# expect: error[TL101]` (Python) or `// expect: warning[TL302]`
/// (Rust) at the end of the line where the finding starts. An item may add the 1-based
/// column where the finding starts, `error[TL101]@5`, and a text its message must contain,
/// `error[TL000] "nesting deeper than 200 levels"` (a `\"` in it is a quote). Several
/// items on one line are separated by commas.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Marker {
    /// The file, relative to the fixture project, with `/`.
    pub file: String,
    pub line: u32,
    /// `error[TL101]`
    pub key: String,
    pub column: Option<u32>,
    pub message: Option<String>,
}

impl Marker {
    pub fn code(&self) -> &str {
        let open = self.key.find('[').unwrap();
        &self.key[open + 1..self.key.len() - 1]
    }
}

/// The marker prefix of a source file, by extension.
pub fn marker_prefix(path: &Path) -> Option<&'static str> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("py") => Some("# expect:"),
        Some("rs") => Some("// expect:"),
        _ => None,
    }
}

/// Every marker of the files under `dir`. A malformed marker is an error naming its
/// place.
pub fn markers(dir: &Path) -> Result<Vec<Marker>, String> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let Some(prefix) = marker_prefix(path) else {
            continue;
        };
        let rel = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).map_err(|e| format!("{rel}: {e}"))?;
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find(prefix) else {
                continue;
            };
            let items = parse_marker_items(&line[at + prefix.len()..])
                .map_err(|e| format!("{rel}:{}: {e}", i + 1))?;
            for (key, column, message) in items {
                out.push(Marker {
                    file: rel.clone(),
                    line: i as u32 + 1,
                    key,
                    column,
                    message,
                });
            }
        }
    }
    Ok(out)
}

type Item = (String, Option<u32>, Option<String>);

/// `error[TL101]@5 "text", warning[TL302]` → its items.
pub fn parse_marker_items(s: &str) -> Result<Vec<Item>, String> {
    let malformed = |why: &str| {
        format!(
            "malformed marker `{}` ({why}; expected `error[TL101]`, `warning[TL101]`, optionally followed by `@COLUMN` and a quoted message text)",
            s.trim()
        )
    };
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut items = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        let start = i;
        while i < chars.len() && chars[i] != ']' && chars[i] != ',' {
            i += 1;
        }
        if i >= chars.len() || chars[i] != ']' {
            return Err(malformed("no `]`"));
        }
        i += 1;
        let key: String = chars[start..i].iter().collect();
        let code_ok = |c: &str| {
            c.len() == 5 && c.starts_with("TL") && c[2..].chars().all(|d| d.is_ascii_digit())
        };
        let valid = ["error[", "warning["].iter().any(|sev| {
            key.strip_prefix(sev)
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(code_ok)
        });
        if !valid {
            return Err(malformed("bad severity or code"));
        }
        let mut column = None;
        if i < chars.len() && chars[i] == '@' {
            i += 1;
            let from = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[from..i].iter().collect();
            column = Some(
                digits
                    .parse::<u32>()
                    .ok()
                    .filter(|c| *c >= 1)
                    .ok_or_else(|| malformed("bad column"))?,
            );
        }
        skip_ws(&mut i);
        let mut message = None;
        if i < chars.len() && chars[i] == '"' {
            i += 1;
            let mut text = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(malformed("unclosed quote")),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') if chars.get(i + 1) == Some(&'"') => {
                        text.push('"');
                        i += 2;
                    }
                    Some(c) => {
                        text.push(*c);
                        i += 1;
                    }
                }
            }
            if text.is_empty() {
                return Err(malformed("empty message text"));
            }
            message = Some(text);
        }
        items.push((key, column, message));
        skip_ws(&mut i);
        match chars.get(i) {
            None => return Ok(items),
            Some(',') => i += 1,
            Some(_) => return Err(malformed("unexpected text after an item")),
        }
    }
}

// --------------------------------------------------------- what a run must never say

/// Findings that report a bug in tasklint (a frontend or a rule panicked): `path: message`.
pub fn internal_errors(out: &CheckOutput) -> Vec<String> {
    out.diagnostics
        .iter()
        .filter(|d| d.message.contains("internal error"))
        .map(|d| format!("{}: {}", out.project.files[d.file].display, d.message))
        .collect()
}

/// The reasons TL000 gives (the start of its message), one per way a file can fail.
pub const TL000_REASONS: &[&str] = &[
    "cannot read file: ",
    "binary file (it contains NUL bytes)",
    "not UTF-8 text (invalid byte at offset ",
    "syntax error: ",
    "Python 2 syntax (`",
    "nesting deeper than ",
    "an expression with more than ",
    "the Python parser gave up on this file",
];

/// TL000 findings whose message is not one of [`TL000_REASONS`]: `path: message`.
pub fn unexpected_tl000(out: &CheckOutput) -> Vec<String> {
    out.diagnostics
        .iter()
        .filter(|d| d.code == "TL000")
        .filter(|d| !TL000_REASONS.iter().any(|r| d.message.starts_with(r)))
        .map(|d| format!("{}: {}", out.project.files[d.file].display, d.message))
        .collect()
}

/// Fails when a finding says "internal error" or a TL000 gives an unknown reason.
pub fn assert_no_internal_error(out: &CheckOutput) {
    let bad = internal_errors(out);
    assert!(bad.is_empty(), "internal errors:\n{}", bad.join("\n"));
    let odd = unexpected_tl000(out);
    assert!(
        odd.is_empty(),
        "TL000 with an unknown reason:\n{}",
        odd.join("\n")
    );
}

// ---------------------------------------------------------------- the JSON report

/// The JSON report of a check, as `--format json` prints it.
pub fn json_report(out: &CheckOutput) -> serde_json::Value {
    use codespan_reporting::term::termcolor::NoColor;
    use tasklint::report::{Emitter, Json, Summary};
    let mut summary = Summary::new(out.files_checked, &out.diagnostics);
    summary.skipped = out.skipped.clone();
    let mut buf = NoColor::new(Vec::new());
    Json.emit(&mut buf, &out.diagnostics, &out.project.files, &summary)
        .unwrap();
    serde_json::from_slice(buf.get_ref()).unwrap()
}

/// The errors of a JSON report against `docs/tasklint-json-v1.schema.json`.
pub fn json_schema_errors(report: &serde_json::Value) -> Vec<String> {
    static VALIDATOR: std::sync::LazyLock<jsonschema::Validator> = std::sync::LazyLock::new(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/tasklint-json-v1.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the JSON schema is usable")
    });
    VALIDATOR
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}
