//! Every fixture project under `fixtures/python/` and `fixtures/rust/` is checked as a
//! whole, and its findings are compared, both ways, with the `expect:` markers written
//! in its files: `# expect: error[TL101]` (Python) or `// expect: warning[TL302]` (Rust)
//! at the end of the line where the finding starts; several are separated by commas.
//! Where the place or the reason matters, a marker adds the column where the finding
//! starts and a text its message must contain: `# expect: error[TL000]@1 "nesting deeper"`.
//! Code without a marker must stay quiet. A fixture folder may hold a `tasklint.toml` or
//! `pyproject.toml` of its own; it is read, then every rule is selected.
//!
//! A project without any marker declares it: a file named `quiet` says why nothing is
//! reported there. Every project's source files must all be read and reported on (a
//! fixture that is quiet because its files were never read proves nothing), and no
//! finding may be an "internal error" (a panic caught in a frontend or a rule).

mod common;
use common::{Marker, fixture_projects, fixture_settings, markers, source_files};
use std::path::Path;

use tasklint::check::{Options, check};

/// One finding, as a marker would describe it.
struct Found {
    file: String,
    line: u32,
    column: u32,
    key: String,
    message: String,
}

fn satisfies(m: &Marker, f: &Found) -> bool {
    m.file == f.file
        && m.line == f.line
        && m.key == f.key
        && m.column.is_none_or(|c| c == f.column)
        && m.message.as_ref().is_none_or(|t| f.message.contains(t))
}

fn describe(m: &Marker) -> String {
    let mut s = format!("{}:{} {}", m.file, m.line, m.key);
    if let Some(c) = m.column {
        s.push_str(&format!("@{c}"));
    }
    if let Some(t) = &m.message {
        s.push_str(&format!(" \"{t}\""));
    }
    s
}

/// Checks one fixture project; returns how many markers it proved.
fn check_fixture(dir: &Path) -> Result<usize, String> {
    let fail = |problems: Vec<String>| Err(format!("{}:\n{}", dir.display(), problems.join("\n")));
    let mut expected = markers(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let quiet = dir.join("quiet");
    match (expected.is_empty(), quiet.is_file()) {
        (true, false) => {
            return fail(vec![
                "  no `expect:` marker: a project that must stay quiet says so in a `quiet` file, with the reason".into(),
            ]);
        }
        (false, true) => {
            return fail(vec![
                "  has `expect:` markers and a `quiet` file: one or the other".into(),
            ]);
        }
        (true, true) => {
            let why = std::fs::read_to_string(&quiet).unwrap_or_default();
            if why.trim().is_empty() {
                return fail(vec![
                    "  the `quiet` file must say why nothing is reported".into(),
                ]);
            }
        }
        (false, false) => {}
    }
    let (settings, knowledge) = fixture_settings(dir)?;
    let out = check(Options {
        paths: vec![dir.to_path_buf()],
        settings,
        knowledge,
        threads: None,
    })
    .map_err(|e| format!("{}: {e}", dir.display()))?;

    let mut problems = Vec::new();
    for e in common::internal_errors(&out) {
        problems.push(format!("  internal error: {e}"));
    }
    // Every source file was read and reported on.
    let sources = source_files(dir);
    if out.timings.files_read != sources.len() || out.files_checked != sources.len() {
        problems.push(format!(
            "  {} source files, but {} read and {} reported on",
            sources.len(),
            out.timings.files_read,
            out.files_checked
        ));
    }
    if quiet.is_file() && out.timings.files_parsed + out.timings.files_from_cache == 0 {
        problems.push("  quiet, but no file was parsed: the rules saw nothing".into());
    }

    let mut found: Vec<Option<Found>> = out
        .diagnostics
        .iter()
        .map(|d| {
            let f = &out.project.files[d.file];
            let rel = f
                .path
                .strip_prefix(dir)
                .unwrap_or(&f.path)
                .to_string_lossy()
                .replace('\\', "/");
            let at = f.position(d.span.start);
            Some(Found {
                file: rel,
                line: at.line,
                column: at.column,
                key: format!("{}[{}]", d.severity.as_str(), d.code),
                message: d.message.clone(),
            })
        })
        .collect();
    // The most precise markers pick their finding first.
    expected.sort_by_key(|m| (m.column.is_none(), m.message.is_none()));
    let total = expected.len();
    for m in &expected {
        match found
            .iter()
            .position(|f| f.as_ref().is_some_and(|f| satisfies(m, f)))
        {
            Some(i) => found[i] = None,
            None => {
                let mut line = format!("  missing: {}", describe(m));
                // What is there instead, on that line, helps read the failure.
                for f in found.iter().flatten() {
                    if f.file == m.file && f.line == m.line && f.key == m.key {
                        line.push_str(&format!(
                            "\n           (found at column {}: {})",
                            f.column, f.message
                        ));
                    }
                }
                problems.push(line);
            }
        }
    }
    for f in found.iter().flatten() {
        problems.push(format!(
            "  noisy:   {}:{}:{} {} — {}",
            f.file, f.line, f.column, f.key, f.message
        ));
    }
    if problems.is_empty() {
        Ok(total)
    } else {
        fail(problems)
    }
}

#[test]
fn fixtures_produce_exactly_the_marked_findings() {
    let projects = fixture_projects();
    assert!(!projects.is_empty(), "no fixture projects found");
    let mut failures = Vec::new();
    let mut proved = 0;
    for p in &projects {
        match check_fixture(p) {
            Ok(n) => proved += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
    assert!(proved > 0);
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const VIEW: &str = "import time\nfrom django.urls import path\n\ndef home(request):\n    time.sleep(1)\n\nurlpatterns = [path('', home)]\n";

#[test]
fn the_marker_harness_catches_noise_and_misses() {
    // A fixture whose markers are wrong must fail: the harness is not allowed to pass
    // vacuously.
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "views.py",
        &format!("{VIEW}\nx = 1  # expect: error[TL101]\n"),
    );
    let err = check_fixture(tmp.path()).unwrap_err();
    assert!(err.contains("noisy:   views.py:5:5 error[TL301]"), "{err}");
    assert!(err.contains("missing: views.py:9 error[TL101]"), "{err}");
}

#[test]
fn the_marker_harness_compares_columns_and_messages() {
    let case = |marker: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let view = VIEW.replace("time.sleep(1)\n", &format!("time.sleep(1)  {marker}\n"));
        write(tmp.path(), "views.py", &view);
        check_fixture(tmp.path())
    };
    assert_eq!(case("# expect: error[TL301]"), Ok(1));
    assert_eq!(case("# expect: error[TL301]@5 \"`time.sleep`\""), Ok(1));
    // The right line and code, at the wrong column or for the wrong reason.
    let err = case("# expect: error[TL301]@9").unwrap_err();
    assert!(err.contains("missing: views.py:5 error[TL301]@9"), "{err}");
    assert!(err.contains("(found at column 5: "), "{err}");
    assert!(err.contains("noisy:   views.py:5:5 error[TL301]"), "{err}");
    let err = case("# expect: error[TL301] \"sends mail\"").unwrap_err();
    assert!(
        err.contains("missing: views.py:5 error[TL301] \"sends mail\""),
        "{err}"
    );
    // Malformed markers are errors, not silently ignored.
    for bad in [
        "# expect: error[TL301",
        "# expect: fatal[TL301]",
        "# expect: error[TL301]@x",
        "# expect: error[TL301] \"open",
        "# expect: error[TL301] trailing",
    ] {
        let err = case(bad).unwrap_err();
        assert!(err.contains("malformed marker"), "{bad}: {err}");
    }
}

#[test]
fn a_project_without_markers_must_say_why_and_be_read() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "tasks.py",
        "from celery import shared_task\n\n@shared_task\ndef t(x):\n    return x\n",
    );
    let err = check_fixture(tmp.path()).unwrap_err();
    assert!(err.contains("no `expect:` marker"), "{err}");
    write(tmp.path(), "quiet", "  \n");
    let err = check_fixture(tmp.path()).unwrap_err();
    assert!(err.contains("must say why"), "{err}");
    write(tmp.path(), "quiet", "a task nobody calls\n");
    assert_eq!(check_fixture(tmp.path()), Ok(0));
    // A quiet file next to markers is a contradiction.
    write(
        tmp.path(),
        "views.py",
        &VIEW.replace("time.sleep(1)\n", "time.sleep(1)  # expect: error[TL301]\n"),
    );
    let err = check_fixture(tmp.path()).unwrap_err();
    assert!(err.contains("one or the other"), "{err}");
}

#[test]
fn marker_items_parse() {
    use common::parse_marker_items;
    assert_eq!(
        parse_marker_items(" error[TL101]"),
        Ok(vec![("error[TL101]".into(), None, None)])
    );
    assert_eq!(
        parse_marker_items(" warning[TL302]@13 \"a, \\\"b\\\"\" , error[TL000]"),
        Ok(vec![
            ("warning[TL302]".into(), Some(13), Some("a, \"b\"".into())),
            ("error[TL000]".into(), None, None)
        ])
    );
    for bad in [
        "",
        "error[TL1]",
        "error[TL101]@0",
        "error[TL101] \"\"",
        "error[TL101],",
    ] {
        assert!(parse_marker_items(bad).is_err(), "{bad}");
    }
}
