//! Findings kept from the command line's last run over the same roots: when nothing
//! they were worked out from has changed, a re-run (pre-commit, CI with a restored
//! cache) reports them again without parsing, indexing or running a rule.
//!
//! Rules are cross-file, so the findings are kept for the whole run, never per file.
//! They are reused only when every input is the same as when they were worked out:
//! - every checked file: its path, whether it is reported, its language and a hash of its
//!   content (so a file added, removed, renamed or edited anywhere is a miss);
//! - the settings (every field, and each nested configuration's), and the knowledge
//!   base with the configuration's extensions;
//! - every file outside the checked set the index read (`crate::index::side_files`),
//!   re-read and compared;
//! - tasklint itself: the cache file's header is keyed by the version and the binary.
//!
//! The kept findings live next to the model cache, in `<hash of the roots>.findings`,
//! with the same protections (see `crate::cache`): a private file keyed by the user's
//! secret, each entry checksummed, and every decoded finding checked against the files
//! (its rule exists, its spans fall inside its file) before it is used. One entry is
//! kept: the last run's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Related, Severity};
use crate::index::side_files::{self, SideRead};
use crate::model::Span;
use crate::pipeline::{Loaded, Skipped};
use crate::settings::Settings;

/// Bump when what the key covers or the entry's layout changes.
const FORMAT: &[u8] = b"tasklint findings 1\n";

/// What a run worked out, as kept.
pub struct Kept {
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: Skipped,
}

/// The findings file for `roots` in the cache folder `dir`.
pub fn open(dir: &Path, roots: &[PathBuf], cap: u64) -> Cache {
    Cache::for_roots_named(dir, roots, "findings", cap)
}

/// The key the findings of a run over these files, with these settings and this
/// knowledge (`knowledge`: a hash of all of it), are kept under.
pub fn key(loaded: &[Loaded], settings: &Settings, knowledge: u128) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(FORMAT);
    h.update(&knowledge.to_le_bytes());
    h.update(format!("{settings:?}").as_bytes());
    if let Some(tree) = &settings.tree {
        // Each file's findings are filtered by its nearest configuration.
        for e in tree.entries() {
            h.update(format!("{:?}\n{:?}\n", e.file, e.settings).as_bytes());
        }
    }
    for l in loaded {
        let f = &l.found;
        h.update(f.display.as_bytes());
        h.update(&[0]);
        h.update(f.path.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(f.relative.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(format!("{} {:?} {}", f.root, f.language, f.report).as_bytes());
        h.update(&l.hash.to_le_bytes());
        h.update(format!("{:?}\n", l.problem).as_bytes());
    }
    h.digest128()
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// Files outside the checked set that were read: (path, hash of what was read).
    side: Vec<(String, Option<u128>)>,
    skipped: [u64; 4],
    diagnostics: Vec<Kept1>,
}

#[derive(Serialize, Deserialize)]
struct Kept1 {
    code: String,
    severity: Severity,
    message: String,
    file: u32,
    span: (u32, u32),
    label: Option<String>,
    help: Option<String>,
    notes: Vec<String>,
    related: Vec<(u32, (u32, u32), String)>,
    fix: Option<KeptFix>,
}

#[derive(Serialize, Deserialize)]
struct KeptFix {
    message: String,
    safe: bool,
    edits: Vec<((u32, u32), String)>,
}

/// The entry to keep for a run's findings; `None` when one cannot be kept (a path
/// outside the checked set is not UTF-8).
pub fn encode(diagnostics: &[Diagnostic], skipped: &Skipped, side: &[SideRead]) -> Option<Vec<u8>> {
    let side = side
        .iter()
        .map(|(p, h)| Some((p.to_str()?.to_string(), *h)))
        .collect::<Option<Vec<_>>>()?;
    let span = |s: Span| (s.start, s.end);
    let entry = Entry {
        side,
        skipped: [
            skipped.unreadable as u64,
            skipped.binary as u64,
            skipped.not_utf8 as u64,
            skipped.syntax as u64,
        ],
        diagnostics: diagnostics
            .iter()
            .map(|d| Kept1 {
                code: d.code.to_string(),
                severity: d.severity,
                message: d.message.clone(),
                file: d.file as u32,
                span: span(d.span),
                label: d.label.clone(),
                help: d.help.clone(),
                notes: d.notes.clone(),
                related: d
                    .related
                    .iter()
                    .map(|r| (r.file as u32, span(r.span), r.message.clone()))
                    .collect(),
                fix: d.fix.as_ref().map(|f| KeptFix {
                    message: f.message.clone(),
                    safe: f.applicability == Applicability::Safe,
                    edits: f
                        .edits
                        .iter()
                        .map(|e| (span(e.span), e.content.clone()))
                        .collect(),
                }),
            })
            .collect(),
    };
    crate::cache::encode_value(&entry).ok()
}

/// The findings kept under `key`, if they are there, intact, fit these files, and every
/// file outside the checked set still reads the same.
pub fn lookup(store: &Cache, key: u128, loaded: &[Loaded]) -> Option<Kept> {
    let entry: Entry = crate::cache::decode_value(store.get_raw(key)?)?;
    let side: Vec<SideRead> = entry
        .side
        .into_iter()
        .map(|(p, h)| (PathBuf::from(p), h))
        .collect();
    if !side_files::unchanged(&side) {
        return None;
    }
    let text = |file: u32| loaded.get(file as usize).map(|l| &*l.text);
    let span = |file: u32, (start, end): (u32, u32)| {
        let t = text(file)?;
        let ok = start <= end
            && (end as usize) <= t.len()
            && t.is_char_boundary(start as usize)
            && t.is_char_boundary(end as usize);
        ok.then_some(Span::new(start, end))
    };
    let mut diagnostics = Vec::with_capacity(entry.diagnostics.len());
    for k in entry.diagnostics {
        let info = crate::catalogue::find(&k.code)?;
        let related = k
            .related
            .into_iter()
            .map(|(file, s, message)| {
                Some(Related {
                    file: file as usize,
                    span: span(file, s)?,
                    message,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let fix = match k.fix {
            None => None,
            Some(f) => Some(Fix {
                message: f.message,
                applicability: if f.safe {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
                edits: f
                    .edits
                    .into_iter()
                    .map(|(s, content)| {
                        Some(Edit {
                            span: span(k.file, s)?,
                            content,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?,
            }),
        };
        diagnostics.push(Diagnostic {
            code: info.code,
            name: info.name,
            severity: k.severity,
            message: k.message,
            file: k.file as usize,
            span: span(k.file, k.span)?,
            label: k.label,
            help: k.help,
            notes: k.notes,
            related,
            fix,
        });
    }
    let [unreadable, binary, not_utf8, syntax] = entry.skipped.map(|n| n as usize);
    Some(Kept {
        diagnostics,
        skipped: Skipped {
            unreadable,
            binary,
            not_utf8,
            syntax,
        },
    })
}

/// Keeps a run's findings under `key` (the only entry of the file).
pub fn keep(store: &Cache, key: u128, entry: Vec<u8>) -> String {
    if store.get_raw(key) == Some(entry.as_slice()) {
        return "findings up to date".into();
    }
    match store.write_with(&[], &[(key, entry)], |_| false) {
        Ok(_) => "findings kept".into(),
        Err(e) => format!("findings not kept ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FoundFile;
    use crate::model::Language;

    fn loaded(text: &str) -> Loaded {
        crate::pipeline::load(
            FoundFile {
                path: PathBuf::from("/p/a.py"),
                display: "a.py".into(),
                root: 0,
                relative: PathBuf::from("a.py"),
                language: Language::Python,
                report: true,
            },
            &|_| Ok(text.as_bytes().to_vec()),
        )
    }

    fn finding(start: u32, end: u32) -> Diagnostic {
        let info = crate::catalogue::find("TL101").unwrap();
        Diagnostic {
            code: info.code,
            name: info.name,
            severity: Severity::Error,
            message: "m".into(),
            file: 0,
            span: Span::new(start, end),
            label: Some("l".into()),
            help: None,
            notes: vec!["n".into()],
            related: vec![Related {
                file: 0,
                span: Span::new(0, 2),
                message: "r".into(),
            }],
            fix: Some(Fix {
                message: "f".into(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    span: Span::new(start, end),
                    content: "x".into(),
                }],
            }),
        }
    }

    fn store(dir: &Path) -> Cache {
        Cache::open(dir, "t.findings".into(), 7, 1 << 20)
    }

    #[test]
    fn kept_findings_come_back_as_they_were() {
        let tmp = tempfile::tempdir().unwrap();
        let files = [loaded("é = call()\n")];
        let d = finding(5, 11);
        let skipped = Skipped {
            syntax: 2,
            ..Default::default()
        };
        let entry = encode(std::slice::from_ref(&d), &skipped, &[]).unwrap();
        assert_eq!(keep(&store(tmp.path()), 1, entry.clone()), "findings kept");
        assert_eq!(keep(&store(tmp.path()), 1, entry), "findings up to date");
        let kept = lookup(&store(tmp.path()), 1, &files).unwrap();
        assert_eq!(kept.diagnostics, vec![d]);
        assert_eq!(kept.skipped.syntax, 2);
        assert!(
            lookup(&store(tmp.path()), 2, &files).is_none(),
            "another key"
        );
    }

    #[test]
    fn a_finding_outside_its_file_or_inside_a_character_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let files = [loaded("é = call()\n")];
        for (start, end) in [(5, 40), (1, 4), (6, 5)] {
            let entry = encode(&[finding(start, end)], &Skipped::default(), &[]).unwrap();
            keep(&store(tmp.path()), 1, entry);
            assert!(
                lookup(&store(tmp.path()), 1, &files).is_none(),
                "{start}..{end}"
            );
        }
        let mut d = finding(5, 11);
        d.file = 3;
        keep(
            &store(tmp.path()),
            1,
            encode(&[d], &Skipped::default(), &[]).unwrap(),
        );
        assert!(
            lookup(&store(tmp.path()), 1, &files).is_none(),
            "no such file"
        );
    }

    #[test]
    fn a_changed_file_outside_the_checked_set_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let toml = tmp.path().join("Cargo.toml");
        std::fs::write(&toml, "[package]\n").unwrap();
        let side = crate::index::side_files::SideFiles::default();
        side.read(&toml);
        let entry = encode(&[], &Skipped::default(), &side.reads()).unwrap();
        keep(&store(tmp.path()), 1, entry);
        assert!(lookup(&store(tmp.path()), 1, &[]).is_some());
        std::fs::write(&toml, "[package]\nname = \"x\"\n").unwrap();
        assert!(lookup(&store(tmp.path()), 1, &[]).is_none());
    }
}
