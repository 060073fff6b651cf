//! `--format sarif`: SARIF 2.1.0 for code-scanning services (GitHub code scanning and
//! others), built with the typed `serde-sarif` model.
//!
//! What GitHub needs and what we give: the driver lists every rule (id, name, short and
//! full description, help, default level); each result has its rule id and index, level,
//! message, and a physical location whose URI is relative to the repository root
//! (`uriBaseId` `%SRCROOT%`, defined in `originalUriBaseIds`) with a 1-based region.
//! Columns count Unicode code points (`columnKind`), and `endColumn` is the column just
//! after the span, as SARIF defines it. Related places (the task's definition, the slow
//! call at the end of a chain) are `relatedLocations`; fixes are `fixes`.
//!
//! Each result carries a `partialFingerprints` entry that does not change when lines
//! move (see [`super::fingerprints`]), each rule a `helpUri` to its page on the
//! documentation site, and the run an `invocations` entry with the exit status.

use std::collections::BTreeMap;
use std::io;

use codespan_reporting::term::termcolor::WriteColor;
use serde_sarif::sarif;

use super::{Emitter, RepoPaths, Summary, fingerprints, rule_url};
use crate::catalogue::{self, RuleInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Language, Span};
use crate::source::SourceFile;

pub struct Sarif;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

/// The first paragraph of the page's "What it flags" section (or of the page); the
/// summary while the page is not written.
fn full_description(info: &RuleInfo) -> String {
    let doc = info.doc;
    let body = doc
        .split_once("## What it flags")
        .map(|(_, rest)| rest)
        .unwrap_or(doc);
    let para: Vec<&str> = body
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::trim)
        .collect();
    if para.is_empty() {
        info.summary.to_string()
    } else {
        para.join(" ")
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result_level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
    }
}

fn descriptor(info: &RuleInfo) -> sarif::ReportingDescriptor {
    let langs: Vec<String> = info
        .languages
        .iter()
        .map(|l| match l {
            Language::Python => "python".to_string(),
            Language::Rust => "rust".to_string(),
        })
        .collect();
    let mut props = BTreeMap::new();
    props.insert("problem.severity".to_string(), level(info.severity).into());
    props.insert("precision".to_string(), "high".into());
    sarif::ReportingDescriptor::builder()
        .id(info.code)
        .name(info.name)
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(info.summary)
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(full_description(info))
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(info.doc)
                .markdown(info.doc)
                .build(),
        )
        .help_uri(rule_url(info.code))
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(serde_json::Value::from(level(info.severity)))
                .enabled(info.default_enabled)
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(langs)
                .additional_properties(props)
                .build(),
        )
        .build()
}

/// Percent-encodes a relative path for a URI (RFC 3986: unreserved characters and `/`
/// stay as they are). It takes the path's bytes: a name that is not UTF-8, or holds a
/// `\`, keeps every byte (`%E9`, `%5C`).
pub fn uri_encode(path: impl AsRef<[u8]>) -> String {
    let path = path.as_ref();
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(file: &SourceFile, span: Span) -> sarif::Region {
    let start = file.position(span.start);
    let end = file.position(span.end.max(span.start));
    sarif::Region::builder()
        .start_line(start.line as i64)
        .start_column(start.column as i64)
        .end_line(end.line as i64)
        .end_column(end.column as i64)
        .build()
}

struct Locator<'a> {
    files: &'a [SourceFile],
    repo: RepoPaths,
    /// The repository roots seen, for `originalUriBaseIds`.
    roots: Vec<std::path::PathBuf>,
}

impl Locator<'_> {
    fn artifact(&mut self, file: usize) -> sarif::ArtifactLocation {
        let f = &self.files[file];
        let rel = super::slash_path_bytes(&self.repo.relative(f));
        match self.repo.root_of(f) {
            Some(root) => {
                if !self.roots.contains(&root) {
                    self.roots.push(root);
                }
                sarif::ArtifactLocation::builder()
                    .uri(uri_encode(&rel))
                    .uri_base_id(SRCROOT)
                    .build()
            }
            None => sarif::ArtifactLocation::builder()
                .uri(uri_encode(&rel))
                .build(),
        }
    }

    fn location(&mut self, file: usize, span: Span) -> sarif::PhysicalLocation {
        sarif::PhysicalLocation::builder()
            .artifact_location(self.artifact(file))
            .region(region(&self.files[file], span))
            .build()
    }
}

fn message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    for n in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(n);
    }
    text
}

fn file_uri(dir: &std::path::Path) -> String {
    // Windows separates with `\\` (and `/`); on Unix a `\\` is part of a name.
    let mut s = if cfg!(windows) {
        dir.to_string_lossy().replace('\\', "/").into_bytes()
    } else {
        dir.as_os_str().as_encoded_bytes().to_vec()
    };
    if !s.ends_with(b"/") {
        s.push(b'/');
    }
    if !s.starts_with(b"/") {
        // Windows: `C:/x/` → `file:///C:/x/`.
        s.insert(0, b'/');
    }
    format!("file://{}", uri_encode(&s).replace("%3A", ":"))
}

/// The key of our entry in `partialFingerprints` (versioned: a change to what is
/// hashed gets a new key, so services do not mistake old and new values).
pub const FINGERPRINT_KEY: &str = "tasklint/v1";

/// The whole SARIF log, as a typed value (tests inspect it).
pub fn log(diagnostics: &[Diagnostic], files: &[SourceFile], exit_code: i32) -> sarif::Sarif {
    let prints = fingerprints(diagnostics, files);
    let mut loc = Locator {
        files,
        repo: RepoPaths::default(),
        roots: Vec::new(),
    };
    let results: Vec<sarif::Result> = diagnostics
        .iter()
        .zip(prints)
        .map(|(d, print)| {
            let index = catalogue::ALL.iter().position(|r| r.code == d.code);
            let related: Vec<sarif::Location> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    sarif::Location::builder()
                        .id(i as i64 + 1)
                        .physical_location(loc.location(r.file, r.span))
                        .message(sarif::Message::builder().text(&r.message).build())
                        .build()
                })
                .collect();
            let fixes: Vec<sarif::Fix> = d
                .fix
                .iter()
                .map(|fix| {
                    let replacements: Vec<sarif::Replacement> = fix
                        .edits
                        .iter()
                        .map(|e| {
                            sarif::Replacement::builder()
                                .deleted_region(region(&files[d.file], e.span))
                                .inserted_content(
                                    sarif::ArtifactContent::builder().text(&e.content).build(),
                                )
                                .build()
                        })
                        .collect();
                    sarif::Fix::builder()
                        .description(sarif::Message::builder().text(&fix.message).build())
                        .artifact_changes(vec![
                            sarif::ArtifactChange::builder()
                                .artifact_location(loc.artifact(d.file))
                                .replacements(replacements)
                                .build(),
                        ])
                        .build()
                })
                .collect();
            let mut r = sarif::Result::builder()
                .rule_id(d.code)
                .level(result_level(d.severity))
                .message(sarif::Message::builder().text(message(d)).build())
                .locations(vec![
                    sarif::Location::builder()
                        .physical_location(loc.location(d.file, d.span))
                        .build(),
                ])
                .build();
            r.rule_index = index.map(|i| i as i64);
            r.partial_fingerprints = Some(BTreeMap::from([(FINGERPRINT_KEY.to_string(), print)]));
            if !related.is_empty() {
                r.related_locations = Some(related);
            }
            if !fixes.is_empty() {
                r.fixes = Some(fixes);
            }
            r
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("tasklint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(
            catalogue::ALL
                .iter()
                .map(|r| descriptor(r))
                .collect::<Vec<_>>(),
        )
        .build();
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .column_kind(serde_json::Value::from("unicodeCodePoints"))
        .results(results)
        .invocations(vec![
            sarif::Invocation::builder()
                .execution_successful(true)
                .exit_code(i64::from(exit_code))
                .build(),
        ])
        .build();
    // Several repositories in one run cannot share one %SRCROOT%: leave it undefined
    // then, and the uploader resolves against its checkout.
    if let [root] = loc.roots.as_slice() {
        let mut bases = BTreeMap::new();
        bases.insert(
            SRCROOT.to_string(),
            sarif::ArtifactLocation::builder()
                .uri(file_uri(root))
                .build(),
        );
        run.original_uri_base_ids = Some(bases);
    }
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build()
}

impl Emitter for Sarif {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &log(diagnostics, files, summary.exit_code))?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_encode("a b/c#d.py"), "a%20b/c%23d.py");
        assert_eq!(uri_encode("é.py"), "%C3%A9.py");
        assert_eq!(file_uri(std::path::Path::new("/x y")), "file:///x%20y/");
        assert_eq!(file_uri(std::path::Path::new("/x\\y")), "file:///x%5Cy/");
    }

    #[test]
    fn every_rule_has_a_full_description() {
        for r in catalogue::ALL {
            let d = full_description(r);
            assert!(!d.is_empty() && !d.starts_with('#'), "{}: {d}", r.code);
        }
    }
}
