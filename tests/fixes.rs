//! Every case under `fixtures/fixes/<case>/`: `before/` is copied to a temporary folder,
//! `tasklint check . <args>` (from `case.toml`) fixes it, and every file must then equal
//! `after/`. The fixed tree is checked again: only the codes listed in `remaining` may
//! still be reported, and a second run with the same arguments changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

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

#[derive(serde::Deserialize)]
struct Case {
    args: Vec<String>,
    remaining: Vec<String>,
}

#[test]
fn fixes_turn_before_into_after_and_converge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fixes");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let spec: Case = toml::from_str(&std::fs::read_to_string(case.join("case.toml")).unwrap())
            .unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        let tmp = tempfile::tempdir().unwrap();
        copy(&case.join("before"), tmp.path());
        let o = tasklint(tmp.path(), &spec.args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let got = files(tmp.path());
        let want = files(&case.join("after"));
        if got != want {
            for (rel, text) in &want {
                if got.get(rel) != Some(text) {
                    failures.push(format!(
                        "{name}: {} differs:\n--- want\n{text}\n--- got\n{}\n{stderr}",
                        rel.display(),
                        got.get(rel).map(String::as_str).unwrap_or("<missing>")
                    ));
                }
            }
            continue;
        }
        // What is left is only what the case says cannot be fixed.
        let json = tasklint(tmp.path(), &["--format".into(), "json".into()]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
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
                "{name}: after fixing, found {codes:?}, expected {:?}",
                spec.remaining
            ));
        }
        // Converged: a second run changes nothing.
        tasklint(tmp.path(), &spec.args);
        if files(tmp.path()) != want {
            failures.push(format!("{name}: a second run changed the files again"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn diff_shows_the_fix_and_writes_nothing() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fixes/TL101_safe");
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
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fixes/TL101_safe");
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
