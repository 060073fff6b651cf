//! Speed never changes a finding, and the speed features do act: on every fixture project
//! (checked with its own configuration, as `tests/fixtures.rs` does), the JSON report is
//! byte-identical with the prefilter on and off, with a cold and a warm cache, and with 1
//! or several threads, run after run; the prefilter leaves files unparsed, and a warm
//! cache serves every model, parsing none. The counters are those `--timings` prints.

mod common;
use common::{fixture_projects, fixture_settings};
use std::path::Path;

use tasklint::check::{Options, check};
use tasklint::settings::Settings;
use tasklint::timings::Timings;

/// The JSON report of a check of a fixture with its configuration (every rule on),
/// changed by `f`, and the run's counters.
fn run(dir: &Path, f: impl FnOnce(&mut Settings), threads: usize) -> (String, Timings) {
    let (mut settings, knowledge) = fixture_settings(dir).unwrap();
    f(&mut settings);
    let out = check(Options {
        paths: vec![dir.to_path_buf()],
        settings,
        knowledge,
        threads: Some(threads),
    })
    .unwrap();
    common::assert_no_internal_error(&out);
    (common::json_report(&out).to_string(), out.timings)
}

fn json(dir: &Path, f: impl FnOnce(&mut Settings), threads: usize) -> String {
    run(dir, f, threads).0
}

/// The fixture at `fixtures/<rel>`.
fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

#[test]
fn the_prefilter_changes_no_finding() {
    for dir in fixture_projects() {
        let (full, t) = run(&dir, |s| s.prefilter = false, 2);
        assert_eq!(t.files_skipped_by_prefilter, 0, "{}", dir.display());
        let fast = json(&dir, |s| s.prefilter = true, 2);
        assert_eq!(
            full,
            fast,
            "{}: the prefilter changed the report",
            dir.display()
        );
    }
}

/// The prefilter acts: files that mention nothing tasklint looks for are never parsed
/// (the count of parses saved, against a run with the prefilter off, which parses every
/// readable file), fixture by fixture and in all.
#[test]
fn the_prefilter_leaves_files_that_cannot_matter_unparsed() {
    let mut saved = std::collections::BTreeMap::new();
    for dir in fixture_projects() {
        let (_, on) = run(&dir, |s| s.prefilter = true, 2);
        let (_, off) = run(&dir, |s| s.prefilter = false, 2);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(off.files_parsed, off.files_read, "{name}: prefilter off");
        assert!(on.files_parsed <= off.files_parsed, "{name}");
        // What the prefilter skipped and the index did not ask for later.
        assert!(
            on.files_skipped_by_prefilter >= off.files_parsed - on.files_parsed,
            "{name}: {on:?}"
        );
        saved.insert(name, off.files_parsed - on.files_parsed);
    }
    for (name, at_least) in NEVER_PARSED {
        assert!(
            saved[*name] >= *at_least,
            "{name}: {} files left unparsed, expected at least {at_least}",
            saved[*name]
        );
    }
    let total: usize = saved.values().sum();
    assert!(
        total >= NEVER_PARSED_IN_ALL,
        "{total} files left unparsed in all"
    );
}

/// Fixtures whose files that cannot matter were counted by reading them: `manage.py` and
/// the two `management/**/__init__.py` of `django_shop`, the `management/**/__init__.py`
/// of `TL103` and `TL204`, which name no task, view, enqueue or import of one.
const NEVER_PARSED: &[(&str, usize)] = &[("django_shop", 3), ("TL103", 2), ("TL204", 2)];
/// Over every fixture project (13 when this was written).
const NEVER_PARSED_IN_ALL: usize = 13;

#[test]
fn the_cache_changes_no_finding_and_a_warm_run_parses_nothing() {
    for dir in fixture_projects() {
        let cache = tempfile::tempdir().unwrap();
        let cached = |prefilter: bool| {
            let c = cache.path().to_path_buf();
            move |s: &mut Settings| {
                s.cache = true;
                s.cache_dir = Some(c);
                s.prefilter = prefilter;
            }
        };
        let name = dir.display();
        let (reference, _) = run(&dir, |_| {}, 2);
        // Every model a run with the prefilter off needs.
        let all = run(&dir, |s| s.prefilter = false, 2).1.files_parsed;
        let (cold, t) = run(&dir, cached(true), 2);
        let parsed = t.files_parsed;
        assert!(parsed > 0, "{name}: nothing parsed");
        assert_eq!(t.files_from_cache, 0, "{name}: cold");
        let (warm, t) = run(&dir, cached(true), 2);
        assert_eq!(
            (t.files_parsed, t.files_from_cache),
            (0, parsed),
            "{name}: a warm run must parse nothing and serve every model from the cache"
        );
        // A cache written with the prefilter on serves a run with it off, and back.
        // (Files with the same content, such as empty `__init__.py`, share one entry.)
        let (warm_full, t) = run(&dir, cached(false), 2);
        assert_eq!(t.files_parsed + t.files_from_cache, all, "{name}");
        assert!(t.files_from_cache >= parsed, "{name}: warm, prefilter off");
        let (warm_again, t) = run(&dir, cached(true), 2);
        assert_eq!((t.files_parsed, t.files_from_cache), (0, parsed), "{name}");
        let (warm_full_again, t) = run(&dir, cached(false), 2);
        assert_eq!((t.files_parsed, t.files_from_cache), (0, all), "{name}");
        for (what, got) in [
            ("cold", &cold),
            ("warm", &warm),
            ("warm, prefilter off", &warm_full),
            ("warm again", &warm_again),
            ("warm again, prefilter off", &warm_full_again),
        ] {
            assert_eq!(&reference, got, "{name}: {what} cache");
        }
    }
}

/// A changed file is parsed again, and only that one.
#[test]
fn the_cache_reparses_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    for rel in common::source_files(&fixture("python/django_shop")) {
        let to = tmp.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture("python/django_shop").join(&rel), to).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let cached = |s: &mut Settings| {
        s.cache = true;
        s.cache_dir = Some(cache.path().to_path_buf());
    };
    let (before, cold) = run(tmp.path(), cached, 2);
    let views = tmp.path().join("orders/views.py");
    let text = std::fs::read_to_string(&views).unwrap();
    std::fs::write(&views, format!("{text}\n\ndef added():\n    return 1\n")).unwrap();
    let (after, t) = run(tmp.path(), cached, 2);
    assert_eq!(
        (t.files_parsed, t.files_from_cache),
        (1, cold.files_parsed - 1),
        "{t:?}"
    );
    assert_eq!(before, after);
}

/// A copy of a fixture project's files in a new folder.
fn copy_project(from: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let rel = e.path().strip_prefix(from).unwrap();
        if e.file_type().is_file() && !rel.starts_with(".tasklint_cache") {
            let to = tmp.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(e.path(), to).unwrap();
        }
    }
    tmp
}

/// After an edit, a run with a cache updates the last run's prefilter decision for the
/// changed files only (it scans one file, not all), and reports what a run without a
/// cache reports: after an edit that may change what matters (a call and an import), a
/// harmless one (a comment), an edit to every file, and the files back as they were.
#[test]
fn the_kept_prefilter_decision_changes_no_finding() {
    for dir in fixture_projects() {
        let name = dir.display();
        let tmp = copy_project(&dir);
        let cache = tempfile::tempdir().unwrap();
        let check = |cached: bool| {
            let (mut settings, knowledge) = fixture_settings(&dir).unwrap();
            settings.cache = cached;
            settings.cache_dir = Some(cache.path().to_path_buf());
            let out = check(Options {
                paths: vec![tmp.path().to_path_buf()],
                settings,
                knowledge,
                threads: Some(2),
            })
            .unwrap();
            common::assert_no_internal_error(&out);
            (common::json_report(&out).to_string(), out.timings)
        };
        let files = common::source_files(tmp.path());
        let originals: Vec<(std::path::PathBuf, String)> = files
            .iter()
            .map(|rel| {
                let p = tmp.path().join(rel);
                let text = std::fs::read_to_string(&p).unwrap();
                (p, text)
            })
            .collect();
        let append = |(path, text): &(std::path::PathBuf, String), line: &str| {
            let comment = if path.extension().is_some_and(|x| x == "rs") {
                "//"
            } else {
                "#"
            };
            std::fs::write(path, format!("{text}\n{comment} edited\n{line}")).unwrap();
        };
        let (first, t) = check(true);
        assert_eq!(first, check(false).0, "{name}: first run");
        assert_eq!(
            t.files_scanned, t.files_found,
            "{name}: first run scans all"
        );
        let python_call = "import requests\nrequests.get('https://example.com')\n";
        let first_python = originals
            .iter()
            .find(|(p, _)| p.extension().is_some_and(|x| x == "py"));
        for what in [
            "a call added",
            "a comment added",
            "every file edited",
            "back as it was",
        ] {
            match what {
                "a call added" => {
                    if let Some(f) = first_python {
                        append(f, python_call)
                    }
                }
                "a comment added" => append(&originals[0], ""),
                "every file edited" => originals.iter().for_each(|f| append(f, "")),
                _ => {
                    for (p, text) in &originals {
                        std::fs::write(p, text).unwrap();
                    }
                }
            }
            let (got, t) = check(true);
            assert_eq!(got, check(false).0, "{name}: {what}");
            if what == "a comment added" {
                assert_eq!(t.files_scanned, 1, "{name}: {what}: {t:?}");
            }
        }
    }
}

#[test]
fn output_is_the_same_whatever_the_thread_count_run_after_run() {
    for dir in fixture_projects() {
        let one = json(&dir, |_| {}, 1);
        for threads in [2, 4, 8] {
            for _ in 0..3 {
                assert_eq!(
                    one,
                    json(&dir, |_| {}, threads),
                    "{}: --threads {threads}",
                    dir.display()
                );
            }
        }
    }
}

/// The benchmark's generator makes a project with every kind of file the prefilter
/// decides about; a small one is checked both ways too, and the files that name nothing
/// tasklint looks for are not parsed.
#[test]
fn the_prefilter_changes_no_finding_on_a_generated_project() {
    let python = ["python3", "python"].into_iter().find(|p| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok()
    });
    let Some(python) = python else {
        eprintln!("no python: skipped");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/generate.py");
    let status = std::process::Command::new(python)
        .arg(script)
        .arg("python")
        .arg(out.path())
        .args(["--files", "120"])
        .status()
        .unwrap();
    assert!(status.success());
    let select_all = |s: &mut Settings| s.select = Some(vec!["ALL".into()]);
    let check = |prefilter: bool| {
        let o = check(Options {
            paths: vec![out.path().to_path_buf()],
            settings: {
                let mut s = Settings {
                    prefilter,
                    ..Settings::default()
                };
                select_all(&mut s);
                s
            },
            knowledge: tasklint::knowledge::BUILTIN.clone(),
            threads: Some(2),
        })
        .unwrap();
        common::assert_no_internal_error(&o);
        (common::json_report(&o).to_string(), o.timings)
    };
    let (full, _) = check(false);
    let (fast, t) = check(true);
    assert!(full.contains("TL101"), "the generated project has findings");
    assert_eq!(full, fast);
    // Each app's `__init__.py` (empty) and `manage.py` name nothing tasklint looks for
    // and are never parsed. (`utils.py`, plain helpers, is skipped by the words but parsed
    // on demand: views call its functions, and a handler rule follows those calls.)
    let apps = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("app")
        })
        .count();
    assert!(apps >= 10, "{apps} apps");
    // Never parsed at all: skipped up front and not parsed on demand later (a file the
    // words first skip may still be parsed on demand when a name it holds is needed).
    let never_parsed = t.files_read - t.files_parsed;
    assert!(
        never_parsed > apps,
        "only {never_parsed} of {} files were never parsed ({} skipped by the prefilter, {} parsed on demand)",
        t.files_read,
        t.files_skipped_by_prefilter,
        t.files_on_demand
    );
}

/// The language server's checks (models and the prefilter's decision kept in memory
/// from one check to the next, `pipeline::Memo`) report what a fresh check of the same
/// text reports: after a first check, after an edit to one file, and after an edit to
/// every file. The edits add a line that changes nothing (a comment) or one that may
/// (a call, a new import), at the end of the file.
#[test]
fn the_servers_memo_changes_no_finding() {
    use std::sync::Arc;
    use tasklint::discover::{DiscoverOptions, FoundFile, discover_with};
    let pool = tasklint::check::pool(Some(2)).unwrap();
    for dir in fixture_projects() {
        let (mut settings, knowledge) = fixture_settings(&dir).unwrap();
        settings.cache = false;
        let discovered = discover_with(
            std::slice::from_ref(&dir),
            &DiscoverOptions::new(&settings).unwrap(),
        )
        .unwrap();
        let check = |read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
                     memo: Option<Arc<tasklint::pipeline::Memo>>| {
            let out = tasklint::check::check_in_pool(
                &pool,
                discovered.clone(),
                settings.clone(),
                knowledge.clone(),
                read,
                memo,
            );
            common::assert_no_internal_error(&out);
            common::json_report(&out).to_string()
        };
        let edited = |f: &FoundFile, line: &str| {
            let mut bytes = tasklint::check::read_file(f)?;
            let comment = if f.language == tasklint::model::Language::Rust {
                "//"
            } else {
                "#"
            };
            bytes.extend_from_slice(format!("\n{comment} edited\n{line}").as_bytes());
            Ok(bytes)
        };
        let memo = Arc::new(tasklint::pipeline::Memo::default());
        let plain = |f: &FoundFile| tasklint::check::read_file(f);
        let fresh = check(&plain, None);
        assert_eq!(
            check(&plain, Some(memo.clone())),
            fresh,
            "{}: first check",
            dir.display()
        );
        assert!(!memo.is_empty(), "{}", dir.display());
        // Each edit against a fresh check of the same text.
        let first = discovered.files.first().map(|f| f.path.clone());
        let python_call = "import requests\nrequests.get('https://example.com')\n";
        let one = |f: &FoundFile| {
            if Some(&f.path) == first.as_ref() && f.language == tasklint::model::Language::Python {
                edited(f, python_call)
            } else if Some(&f.path) == first.as_ref() {
                edited(f, "")
            } else {
                tasklint::check::read_file(f)
            }
        };
        let every = |f: &FoundFile| edited(f, "");
        for (what, read) in [
            ("one file edited", &one as &(dyn Fn(&FoundFile) -> _ + Sync)),
            ("every file edited", &every),
            ("back as it was", &plain),
        ] {
            assert_eq!(
                check(read, Some(memo.clone())),
                check(read, None),
                "{}: {what}",
                dir.display()
            );
        }
    }
}
