//! Every fixture project under `fixtures/python/` and `fixtures/rust/` is checked as a
//! whole, and its findings are compared, both ways, with the `expect:` markers written
//! in its files: `# expect: error[TL101]` (Python) or `// expect: warning[TL302]` (Rust)
//! at the end of the line where the finding starts; several are separated by commas.
//! Code without a marker must stay quiet. A fixture folder may hold a `tasklint.toml` or
//! `pyproject.toml` of its own; it is read, then every rule is selected.

mod common;
use common::fixture_projects;
use std::collections::BTreeMap;
use std::path::Path;

use tasklint::check::{Options, check};
use tasklint::config::ConfigChoice;
use tasklint::settings::Settings;

type Key = (String, u32, String); // (file relative to the fixture, line, "severity[CODE]")

fn markers(dir: &Path) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        let prefix = match path.extension().and_then(|e| e.to_str()) {
            Some("py") => "# expect:",
            Some("rs") => "// expect:",
            _ => continue,
        };
        let rel = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find(prefix) else {
                continue;
            };
            for item in line[at + prefix.len()..].split(',') {
                let item = item.trim();
                assert!(
                    (item.starts_with("error[") || item.starts_with("warning["))
                        && item.ends_with(']'),
                    "{rel}:{}: malformed marker `{item}` (expected `error[TL101]` or `warning[TL101]`)",
                    i + 1
                );
                *out.entry((rel.clone(), i as u32 + 1, item.to_string()))
                    .or_insert(0) += 1;
            }
        }
    }
    out
}

fn check_fixture(dir: &Path) -> Result<usize, String> {
    let expected = markers(dir);
    // A fixture project may carry its own configuration (knowledge extensions,
    // per-file-ignores): only in its own folder, never one found further up.
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
    // Every rule, opt-in ones included: fixtures mark every finding they produce.
    settings.select = Some(vec!["ALL".into()]);
    let knowledge = tasklint::config::knowledge_for(&settings)
        .map_err(|e| format!("{}: {e:#}", dir.display()))?;
    let out = check(Options {
        paths: vec![dir.to_path_buf()],
        settings,
        knowledge,
        threads: None,
    })
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut actual: BTreeMap<Key, usize> = BTreeMap::new();
    let mut messages: BTreeMap<Key, String> = BTreeMap::new();
    for d in &out.diagnostics {
        let f = &out.project.files[d.file];
        let rel = f
            .path
            .strip_prefix(dir)
            .unwrap_or(&f.path)
            .to_string_lossy()
            .replace('\\', "/");
        let line = f.position(d.span.start).line;
        let key = (rel, line, format!("{}[{}]", d.severity.as_str(), d.code));
        *actual.entry(key.clone()).or_insert(0) += 1;
        messages.insert(key, d.message.clone());
    }
    let mut problems = Vec::new();
    for (k, n) in &actual {
        let want = expected.get(k).copied().unwrap_or(0);
        if *n > want {
            problems.push(format!(
                "  noisy:   {}:{} {} — {}",
                k.0, k.1, k.2, messages[k]
            ));
        }
    }
    for (k, n) in &expected {
        if actual.get(k).copied().unwrap_or(0) < *n {
            problems.push(format!("  missing: {}:{} {}", k.0, k.1, k.2));
        }
    }
    if problems.is_empty() {
        Ok(expected.values().sum())
    } else {
        Err(format!("{}:\n{}", dir.display(), problems.join("\n")))
    }
}

#[test]
fn fixtures_produce_exactly_the_marked_findings() {
    let projects = fixture_projects();
    assert!(!projects.is_empty(), "no fixture projects found");
    let mut failures = Vec::new();
    for p in &projects {
        if let Err(e) = check_fixture(p) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_marker_harness_catches_noise_and_misses() {
    // A fixture whose markers are wrong must fail: the harness is not allowed to pass
    // vacuously.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("views.py"),
        "import time\nfrom django.urls import path\n\ndef home(request):\n    time.sleep(1)\n\nurlpatterns = [path('', home)]\n\nx = 1  # expect: error[TL101]\n",
    )
    .unwrap();
    let err = check_fixture(tmp.path()).unwrap_err();
    assert!(err.contains("noisy:   views.py:5 error[TL301]"), "{err}");
    assert!(err.contains("missing: views.py:9 error[TL101]"), "{err}");
}
