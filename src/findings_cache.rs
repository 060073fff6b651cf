//! Findings kept from the command line's last run over the same roots: when nothing
//! they were worked out from has changed, a re-run (pre-commit, CI with a restored
//! cache) reports them again without parsing, indexing or running a rule.
//!
//! Rules are cross-file, so the findings are kept for the whole run, never per file.
//! They are reused only when every input is the same as when they were worked out:
//! - every checked file: its path, whether it is reported, its language and a hash of its
//!   content (so a file added, removed, renamed or edited anywhere is a miss). A file
//!   whose stamp (`crate::stamp`) is what it was
//!   is taken to have the same content without being read, unless it changed within
//!   two seconds of when the stamps were taken (coarse clocks) or a finding points into
//!   it (the report shows its lines): those are read and compared. Stamps are taken
//!   before a run reads anything, so an edit during a run is never vouched for;
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
use crate::discover::FoundFile;
use crate::index::side_files::{self, SideRead};
use crate::model::{Problem, Span};
use crate::pipeline::{Loaded, Skip, Skipped};
use crate::settings::Settings;
use crate::stamp::Stamp;

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

/// Every checked file's stamp, taken before any is read.
pub struct Stamps {
    at: (i64, i64),
    files: Vec<Option<Stamp>>,
}

impl Stamps {
    pub fn take(files: &[FoundFile]) -> Stamps {
        use rayon::prelude::*;
        Stamps {
            at: crate::stamp::now(),
            files: files.par_iter().map(|f| Stamp::of(&f.path)).collect(),
        }
    }

    /// The bytes of the files, as their stamps say.
    pub fn bytes(&self) -> u64 {
        self.files.iter().flatten().map(Stamp::bytes).sum()
    }
}

/// The key the findings of a run over these files (by path, not content), with these
/// settings and this knowledge (`knowledge`: a hash of all of it), are kept under.
pub fn key(files: &[FoundFile], settings: &Settings, knowledge: u128) -> u128 {
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
    for f in files {
        h.update(f.display.as_bytes());
        h.update(&[0]);
        h.update(f.path.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(f.relative.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(format!("{} {:?} {}\n", f.root, f.language, f.report).as_bytes());
    }
    h.digest128()
}

/// What a file was when the findings were worked out.
#[derive(Serialize, Deserialize)]
struct FileRecord {
    stamp: Option<Stamp>,
    hash: u128,
    /// A hash of why it could not be read as text, if it could not.
    problem: u64,
}

/// A hash of why a file could not be read as text (0: it could).
pub fn problem_hash(problem: &Option<(Skip, Problem)>) -> u64 {
    match problem {
        None => 0,
        Some(p) => xxhash_rust::xxh3::xxh3_64(format!("{p:?}").as_bytes()) | 1,
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// When the files' stamps were taken.
    stamped_at: (i64, i64),
    /// Each checked file, in the order of the key.
    files: Vec<FileRecord>,
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

/// The entry to keep for a run's findings over the files `loaded` (stamped by `stamps`
/// before they were read); `None` when one cannot be kept (a path outside the checked
/// set is not UTF-8).
pub fn encode(
    diagnostics: &[Diagnostic],
    skipped: &Skipped,
    side: &[SideRead],
    stamps: &Stamps,
    loaded: &[(u128, u64)],
) -> Option<Vec<u8>> {
    if stamps.files.len() != loaded.len() {
        return None;
    }
    let side = side
        .iter()
        .map(|(p, h)| Some((p.to_str()?.to_string(), *h)))
        .collect::<Option<Vec<_>>>()?;
    let span = |s: Span| (s.start, s.end);
    let entry = Entry {
        stamped_at: stamps.at,
        files: stamps
            .files
            .iter()
            .zip(loaded)
            .map(|(stamp, &(hash, problem))| FileRecord {
                stamp: *stamp,
                hash,
                problem,
            })
            .collect(),
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

/// The findings kept under `key`, if they are there, intact, and every file is as it
/// was: each checked file (`files`, stamped by `stamps` before anything was read) and
/// every file outside the checked set. A file whose stamp is the same as then, and was
/// not racy then, is not read, unless a finding is in it (the report shows its lines);
/// any other is read (with `read`) and its content compared. With the findings, the
/// files as the report needs them: the text of those read, an empty one for the others.
pub fn lookup(
    store: &Cache,
    key: u128,
    files: &[FoundFile],
    stamps: &Stamps,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
) -> Option<(Kept, Vec<Loaded>)> {
    use rayon::prelude::*;
    let entry: Entry = crate::cache::decode_value(store.get_raw(key)?)?;
    if entry.files.len() != files.len() || stamps.files.len() != files.len() {
        return None;
    }
    let side: Vec<SideRead> = entry
        .side
        .iter()
        .map(|(p, h)| (PathBuf::from(p), *h))
        .collect();
    if !side_files::unchanged(&side) {
        return None;
    }
    // The files a finding shows (its own, and its related places').
    let mut shown = vec![false; files.len()];
    for d in &entry.diagnostics {
        for f in std::iter::once(d.file).chain(d.related.iter().map(|r| r.0)) {
            *shown.get_mut(f as usize)? = true;
        }
    }
    let loaded: Vec<Loaded> = files
        .par_iter()
        .zip(entry.files.par_iter())
        .zip(stamps.files.par_iter())
        .zip(shown.par_iter())
        .map(|(((found, was), now), &shown)| {
            let same = was
                .stamp
                .is_some_and(|s| Some(s) == *now && !s.racy(entry.stamped_at));
            if same && !shown {
                return Some(Loaded {
                    found: found.clone(),
                    text: std::sync::Arc::from(""),
                    hash: was.hash,
                    bytes: 0,
                    problem: None,
                });
            }
            let l = crate::pipeline::load(found.clone(), read);
            (l.hash == was.hash && problem_hash(&l.problem) == was.problem).then_some(l)
        })
        .collect::<Option<Vec<_>>>()?;
    let kept = kept_findings(entry, &loaded)?;
    Some((kept, loaded))
}

/// The kept findings, each checked against the files it points into.
fn kept_findings(entry: Entry, loaded: &[Loaded]) -> Option<Kept> {
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
    use crate::model::Language;
    use std::sync::Mutex;

    /// A project of two files in a temporary folder: `a.py` holds `text`, `b.py` one line.
    fn project(text: &str) -> (tempfile::TempDir, Vec<FoundFile>) {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (name, body) in [("a.py", text), ("b.py", "x = 1\n")] {
            let path = tmp.path().join(name);
            std::fs::write(&path, body).unwrap();
            files.push(FoundFile {
                path,
                display: name.into(),
                root: 0,
                relative: PathBuf::from(name),
                language: Language::Python,
                report: true,
            });
        }
        (tmp, files)
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
        Cache::open(&dir.join("cache"), "t.findings".into(), 7, 1 << 20)
    }

    /// Keeps `diagnostics` for `files` (and the `side` reads) as a run would: stamped
    /// first (`later` moves the stamps' time on, so that none is racy), then read.
    fn keep_run(
        dir: &Path,
        files: &[FoundFile],
        diagnostics: &[Diagnostic],
        side: &[SideRead],
        later: bool,
    ) {
        let mut stamps = Stamps::take(files);
        if later {
            stamps.at.0 += 10;
        }
        let hashes: Vec<(u128, u64)> = files
            .iter()
            .map(|f| {
                let l = crate::pipeline::load(f.clone(), &crate::check::read_file);
                (l.hash, problem_hash(&l.problem))
            })
            .collect();
        let skipped = Skipped {
            syntax: 2,
            ..Default::default()
        };
        let entry = encode(diagnostics, &skipped, side, &stamps, &hashes).unwrap();
        keep(&store(dir), 1, entry);
    }

    /// The findings kept under `key`, the files read as a run reads them.
    fn lookup_now(dir: &Path, key: u128, files: &[FoundFile]) -> Option<(Kept, Vec<Loaded>)> {
        lookup(
            &store(dir),
            key,
            files,
            &Stamps::take(files),
            &crate::check::read_file,
        )
    }

    /// Looks the findings up, noting which files were read.
    fn look(dir: &Path, files: &[FoundFile]) -> (Option<Kept>, Vec<String>) {
        let read_ones = Mutex::new(Vec::new());
        let read = |f: &FoundFile| {
            read_ones.lock().unwrap().push(f.display.clone());
            crate::check::read_file(f)
        };
        let stamps = Stamps::take(files);
        let got = lookup(&store(dir), 1, files, &stamps, &read).map(|(k, loaded)| {
            assert_eq!(&*loaded[0].text, "é = call()\n");
            k
        });
        let mut read_ones = read_ones.into_inner().unwrap();
        read_ones.sort();
        (got, read_ones)
    }

    #[test]
    fn kept_findings_come_back_and_only_the_files_they_show_are_read() {
        let (tmp, files) = project("é = call()\n");
        let d = finding(5, 11);
        keep_run(tmp.path(), &files, std::slice::from_ref(&d), &[], true);
        let (kept, read) = look(tmp.path(), &files);
        let kept = kept.unwrap();
        assert_eq!(kept.diagnostics, vec![d]);
        assert_eq!(kept.skipped.syntax, 2);
        assert_eq!(read, ["a.py"], "b.py is unchanged by its stamp");
        assert!(lookup_now(tmp.path(), 2, &files).is_none(), "another key");
    }

    #[test]
    fn a_file_changed_recently_is_read_and_compared() {
        let (tmp, files) = project("é = call()\n");
        // Stamped now: every file was written within the racy window.
        keep_run(tmp.path(), &files, &[finding(5, 11)], &[], false);
        let (kept, read) = look(tmp.path(), &files);
        assert!(kept.is_some());
        assert_eq!(read, ["a.py", "b.py"]);
        // The same length, the same second: the content tells.
        std::fs::write(&files[1].path, "x = 2\n").unwrap();
        assert!(look(tmp.path(), &files).0.is_none());
    }

    #[test]
    fn a_changed_stamp_is_read_and_compared() {
        let (tmp, files) = project("é = call()\n");
        keep_run(tmp.path(), &files, &[finding(5, 11)], &[], true);
        // Rewritten with the same content: read, the same, a hit.
        std::fs::write(&files[1].path, "x = 1\n").unwrap();
        let (kept, read) = look(tmp.path(), &files);
        assert!(kept.is_some());
        assert_eq!(read, ["a.py", "b.py"]);
        std::fs::write(&files[1].path, "x = 3\n").unwrap();
        assert!(look(tmp.path(), &files).0.is_none());
    }

    #[test]
    fn a_finding_outside_its_file_or_inside_a_character_is_a_miss() {
        let (tmp, files) = project("é = call()\n");
        for (start, end) in [(5, 40), (1, 4), (6, 5)] {
            keep_run(tmp.path(), &files, &[finding(start, end)], &[], true);
            assert!(look(tmp.path(), &files).0.is_none(), "{start}..{end}");
        }
        let mut d = finding(5, 11);
        d.file = 3;
        keep_run(tmp.path(), &files, &[d], &[], true);
        assert!(look(tmp.path(), &files).0.is_none(), "no such file");
    }

    #[test]
    fn a_changed_file_outside_the_checked_set_is_a_miss() {
        let (tmp, files) = project("é = call()\n");
        let toml = tmp.path().join("Cargo.toml");
        std::fs::write(&toml, "[package]\n").unwrap();
        let side = crate::index::side_files::SideFiles::default();
        side.read(&toml);
        keep_run(tmp.path(), &files, &[], &side.reads(), true);
        assert!(lookup_now(tmp.path(), 1, &files).is_some());
        std::fs::write(&toml, "[package]\nname = \"x\"\n").unwrap();
        assert!(lookup_now(tmp.path(), 1, &files).is_none());
    }
}
