//! Speed never changes a finding: on every fixture project, the JSON report is
//! byte-identical with the prefilter on and off, with a cold and a warm cache, and with 1
//! or several threads, run after run.

mod common;
use common::fixture_projects;
use std::path::Path;

use codespan_reporting::term::termcolor::NoColor;
use tasklint::check::{Options, check};
use tasklint::report::{Emitter, Json, Summary};
use tasklint::settings::Settings;

/// The JSON report of a check with every rule on.
fn json(dir: &Path, settings: Settings, threads: usize) -> String {
    let out = check(Options {
        paths: vec![dir.to_path_buf()],
        settings: Settings {
            select: Some(vec!["ALL".into()]),
            ..settings
        },
        knowledge: tasklint::knowledge::BUILTIN.clone(),
        threads: Some(threads),
    })
    .unwrap();
    let mut summary = Summary::new(out.files_checked, &out.diagnostics);
    summary.skipped = out.skipped.clone();
    let mut buf = NoColor::new(Vec::new());
    Json.emit(&mut buf, &out.diagnostics, &out.project.files, &summary)
        .unwrap();
    String::from_utf8(buf.into_inner()).unwrap()
}

fn with(f: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = Settings::default();
    f(&mut s);
    s
}

#[test]
fn the_prefilter_changes_no_finding() {
    for dir in fixture_projects() {
        let full = json(&dir, with(|s| s.prefilter = false), 2);
        let fast = json(&dir, with(|s| s.prefilter = true), 2);
        assert_eq!(
            full,
            fast,
            "{}: the prefilter changed the report",
            dir.display()
        );
    }
}

#[test]
fn the_cache_changes_no_finding() {
    for dir in fixture_projects() {
        let cache = tempfile::tempdir().unwrap();
        let cached = |prefilter: bool| {
            with(|s| {
                s.cache = true;
                s.cache_dir = Some(cache.path().to_path_buf());
                s.prefilter = prefilter;
            })
        };
        let reference = json(&dir, Settings::default(), 2);
        let cold = json(&dir, cached(true), 2);
        let warm = json(&dir, cached(true), 2);
        // A cache written with the prefilter on serves a run with it off, and back.
        let warm_full = json(&dir, cached(false), 2);
        let warm_again = json(&dir, cached(true), 2);
        for (what, got) in [
            ("cold", &cold),
            ("warm", &warm),
            ("warm, prefilter off", &warm_full),
            ("warm again", &warm_again),
        ] {
            assert_eq!(&reference, got, "{}: {what} cache", dir.display());
        }
    }
}

#[test]
fn output_is_the_same_whatever_the_thread_count_run_after_run() {
    for dir in fixture_projects() {
        let one = json(&dir, Settings::default(), 1);
        for threads in [2, 4, 8] {
            for _ in 0..3 {
                assert_eq!(
                    one,
                    json(&dir, Settings::default(), threads),
                    "{}: --threads {threads}",
                    dir.display()
                );
            }
        }
    }
}

/// The benchmark's generator makes a project with every kind of file the prefilter
/// decides about; a small one is checked both ways too.
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
    let full = json(out.path(), with(|s| s.prefilter = false), 2);
    let fast = json(out.path(), with(|s| s.prefilter = true), 2);
    assert!(full.contains("TL101"), "the generated project has findings");
    assert_eq!(full, fast);
}
