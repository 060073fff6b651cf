//! Every case under `fixtures/fixes/<case>/` (one test each): `before/` is copied to a
//! temporary folder, `tasklint check . <args>` (from `case.toml`) fixes it, and the tree
//! must then equal `after/`, file for file (no file missing, none added). The fixed tree
//! is checked again: only the codes listed in `remaining` may still be reported, a second
//! run with the same arguments changes nothing, and the fixed code passes tasklint's own
//! rules: with every rule on, no finding that was not there before the fix, no enqueue
//! whose result becomes another enqueue's argument (a result handle no serializer
//! accepts), and Python that Python itself parses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tasklint::model::{BoundValue, ExprKind, FileModel, Language};

fn files(root: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        // The cache tasklint keeps next to the project is not part of it.
        .filter_entry(|e| e.file_name() != ".tasklint_cache")
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

fn copy(from: &Path, to: &Path) {
    for (rel, text) in files(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn tasklint(dir: &Path, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tasklint"))
        .args(["check", ".", "--no-config"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The JSON report of a check with the given arguments.
fn report(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<String> = vec!["--format".into(), "json".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    let o = tasklint(dir, &all);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// (path, code) → how many findings, with every rule on.
fn findings(dir: &Path) -> BTreeMap<(String, String), usize> {
    let v = report(dir, &["--select", "ALL"]);
    let mut out = BTreeMap::new();
    for d in v["diagnostics"].as_array().unwrap() {
        let key = (
            d["path"].as_str().unwrap().to_string(),
            d["code"].as_str().unwrap().to_string(),
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

#[derive(serde::Deserialize)]
struct Case {
    args: Vec<String>,
    remaining: Vec<String>,
}

fn cases_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fixes")
}

/// Runs one case; every problem found is reported together.
fn run_case(name: &str) {
    let case = cases_root().join(name);
    let spec: Case = toml::from_str(&std::fs::read_to_string(case.join("case.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
    let tmp = tempfile::tempdir().unwrap();
    copy(&case.join("before"), tmp.path());
    let before = findings(tmp.path());
    let o = tasklint(tmp.path(), &spec.args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let got = files(tmp.path());
    let want = files(&case.join("after"));
    let mut failures = Vec::new();
    for (rel, text) in &want {
        if got.get(rel) != Some(text) {
            failures.push(format!(
                "{} differs:\n--- want\n{text}\n--- got\n{}\n{stderr}",
                rel.display(),
                got.get(rel).map(String::as_str).unwrap_or("<missing>")
            ));
        }
    }
    for rel in got.keys().filter(|r| !want.contains_key(*r)) {
        failures.push(format!(
            "{}: a file the fix was not to create",
            rel.display()
        ));
    }
    // What is left is only what the case says cannot be fixed.
    let v = report(tmp.path(), &[]);
    let mut codes: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes.dedup();
    if codes != spec.remaining {
        failures.push(format!(
            "after fixing, found {codes:?}, expected {:?}",
            spec.remaining
        ));
    }
    // The fix introduced no finding, with every rule on.
    for (key, n) in findings(tmp.path()) {
        let was = before.get(&key).copied().unwrap_or(0);
        if n > was {
            failures.push(format!(
                "the fix introduced {} {} in {} ({was} before, {n} after)",
                n - was,
                key.1,
                key.0
            ));
        }
    }
    // The fixed code is code its framework accepts.
    for (rel, text) in &got {
        if got_changed(&case, rel, text) {
            failures.extend(result_handles_passed_to_tasks(rel, text));
            failures.extend(python_rejects(tmp.path(), rel));
        }
    }
    // Converged: a second run changes nothing.
    tasklint(tmp.path(), &spec.args);
    if files(tmp.path()) != got {
        failures.push("a second run changed the files again".into());
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n\n"));
}

/// Whether the fix changed (or made) this file.
fn got_changed(case: &Path, rel: &Path, text: &str) -> bool {
    std::fs::read_to_string(case.join("before").join(rel))
        .ok()
        .as_deref()
        != Some(text)
}

/// Methods whose call enqueues and returns a result handle (an `AsyncResult`, a
/// Dramatiq message, an RQ job...), not the task's value.
const ENQUEUES: &[&str] = &["delay", "apply_async", "send", "enqueue", "delay_on_commit"];

/// Enqueues whose result is an argument of another enqueue: written in its parentheses,
/// or bound to a name its arguments use in the same scope.
fn result_handles_passed_to_tasks(rel: &Path, text: &str) -> Vec<String> {
    if rel.extension().and_then(|e| e.to_str()) != Some("py") {
        return Vec::new();
    }
    let m: FileModel = tasklint::lang::parse_text(Language::Python, text);
    let is_enqueue = |c: usize| {
        m.calls[c]
            .method_name()
            .is_some_and(|n| ENQUEUES.contains(&n))
    };
    let mut out = Vec::new();
    for outer in (0..m.calls.len()).filter(|c| is_enqueue(*c)) {
        let o = &m.calls[outer];
        let args_text = &text[o.args_span.start as usize..o.args_span.end as usize];
        for inner in (0..m.calls.len()).filter(|c| *c != outer && is_enqueue(*c)) {
            let i = &m.calls[inner];
            let nested = o.args_span.start <= i.span.start && i.span.end <= o.args_span.end;
            let by_name = m.scopes[i.scope].bindings.iter().any(|b| {
                matches!(&b.value, BoundValue::Expr(e) if e.as_call() == Some(inner))
                    && i.scope == o.scope
                    && o.args.iter().any(|a| mentions(&a.value, &b.name))
            });
            if nested || by_name {
                out.push(format!(
                    "{}: `{}` passes the result handle of `{}` to a task",
                    rel.display(),
                    args_text,
                    &text[i.span.start as usize..i.span.end as usize]
                ));
            }
        }
    }
    out
}

/// Whether an argument is `name`, or a literal holding it.
fn mentions(e: &tasklint::model::Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Name(n) => n == name,
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().any(|i| mentions(i, name)),
        ExprKind::Dict(entries) => entries.iter().any(|(_, v)| mentions(v, name)),
        ExprKind::Starred(inner) => mentions(inner, name),
        _ => false,
    }
}

/// Python's own parser on a fixed Python file (when Python is installed).
fn python_rejects(dir: &Path, rel: &Path) -> Option<String> {
    if rel.extension().and_then(|e| e.to_str()) != Some("py") {
        return None;
    }
    let o = Command::new("python3")
        .args([
            "-c",
            "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
        ])
        .arg(dir.join(rel))
        .output()
        .ok()?;
    (!o.status.success()).then(|| {
        format!(
            "{}: Python rejects it: {}",
            rel.display(),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

macro_rules! cases {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_case($dir);
            }
        )*
        const CASES: &[&str] = &[$($dir),*];
    };
}

cases! {
    tl101_safe => "TL101_safe",
    tl101_unsafe => "TL101_unsafe",
    tl101_value_passed_to_a_task => "TL101_value_passed_to_a_task",
    tl106_and_tl101_nested => "TL106_and_TL101_nested",
    tl201 => "TL201",
    tl302_rust => "TL302_rust",
    tl401 => "TL401",
}

#[test]
fn every_case_folder_has_its_test() {
    let mut dirs: Vec<String> = std::fs::read_dir(cases_root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed, "add the case to `cases!` in tests/fixes.rs");
}

/// The checks above catch what they claim: an enqueue's result handed to a task.
#[test]
fn result_handles_passed_to_tasks_are_caught() {
    let bad = "def v(pk):\n    send_receipt.delay(total.delay(pk), countdown=1)\n    r = total.delay(pk)\n    send_receipt.apply_async(args=(r,))\n    send_receipt.apply_async((r,))\n";
    let found = result_handles_passed_to_tasks(Path::new("v.py"), bad);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].contains("`total.delay(pk)`"), "{found:?}");
    let fine = "def v(pk):\n    send_receipt.delay(total(pk))\n    r = total.delay(pk)\n    send_receipt.delay(r.id)\n";
    assert!(result_handles_passed_to_tasks(Path::new("v.py"), fine).is_empty());
}

/// The fix writer parses each fixed text again before it is written: a fix that would
/// leave a syntax error is refused, with the reason, and the other files' fixes go on.
#[test]
fn a_fix_that_would_break_the_syntax_is_not_written() {
    use tasklint::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
    use tasklint::model::Span;
    use tasklint::source::SourceFile;
    let files = vec![
        SourceFile::new("a.py".into(), "a.py".into(), "send(1)\n".into()),
        SourceFile::new("b.py".into(), "b.py".into(), "send(2)\n".into()),
    ];
    let finding = |file: usize, start: u32, end: u32, content: &str| Diagnostic {
        code: "TL101",
        name: "task-called-directly",
        severity: Severity::Error,
        message: "m".into(),
        file,
        span: Span::new(0, 7),
        label: None,
        help: None,
        notes: Vec::new(),
        related: Vec::new(),
        fix: Some(Fix {
            message: "m".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                span: Span::new(start, end),
                content: content.into(),
            }],
        }),
    };
    // a.py loses its closing parenthesis; b.py gets a valid enqueue.
    let diagnostics = [finding(0, 6, 7, ""), finding(1, 4, 4, ".delay")];
    let pass = tasklint::fix::plan(&diagnostics, &files, false);
    let refused: Vec<(usize, &str)> = pass
        .refused
        .iter()
        .map(|r| (r.file, r.reason.as_str()))
        .collect();
    assert_eq!(refused, [(0, "the fixed file would not parse")]);
    let written: Vec<(usize, &str)> = pass
        .files
        .iter()
        .map(|f| (f.file, f.text.as_str()))
        .collect();
    assert_eq!(written, [(1, "send.delay(2)\n")]);
}

#[test]
fn diff_shows_the_fix_and_writes_nothing() {
    let case = cases_root().join("TL101_safe");
    let tmp = tempfile::tempdir().unwrap();
    copy(&case.join("before"), tmp.path());
    let o = tasklint(tmp.path(), &["--diff".to_string()]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("--- a/shop/views.py\n+++ b/shop/views.py\n"),
        "{out}"
    );
    assert!(
        out.contains("-    send_receipt(pk)\n+    send_receipt.delay(pk)\n"),
        "{out}"
    );
    assert_eq!(files(tmp.path()), files(&case.join("before")));
}

#[test]
fn an_editor_buffer_is_fixed_on_standard_output() {
    use std::io::Write;
    let case = cases_root().join("TL101_safe");
    let tmp = tempfile::tempdir().unwrap();
    copy(&case.join("before"), tmp.path());
    let buffer = std::fs::read(tmp.path().join("shop/views.py")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tasklint"))
        .args([
            "check",
            "--no-config",
            "--fix",
            "--stdin-filename",
            "shop/views.py",
            "-",
        ])
        .current_dir(tmp.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&buffer).unwrap();
    let o = child.wait_with_output().unwrap();
    let want = std::fs::read_to_string(case.join("after/shop/views.py")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);
    // The file on disk is untouched; what is left is reported on stderr.
    assert_eq!(
        std::fs::read(tmp.path().join("shop/views.py")).unwrap(),
        buffer
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("TL101"));
    assert_eq!(o.status.code(), Some(1));
}
