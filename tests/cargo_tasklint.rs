//! `cargo tasklint` (the binary `cargo-tasklint`) as a process, on a copy of the fixture
//! workspace `fixtures/cargo/shop_workspace` (two members; settings in
//! `[workspace.metadata.tasklint]`, which ignores TL304).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A private copy of the fixture workspace (a git checkout of its own, so nothing
/// above it is searched), canonical so paths compare.
fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cargo/shop_workspace"),
        &root,
    );
    std::fs::create_dir(root.join(".git")).unwrap();
    (t, root)
}

fn cargo_tasklint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-tasklint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("TASKLINT_CACHE_DIR", cwd.join("..").join("cache"))
        .output()
        .expect("cargo-tasklint runs")
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (code, level, file_name, line) of each compiler message.
fn findings(messages: &[Value]) -> Vec<(String, String, String, u64)> {
    messages
        .iter()
        .filter(|m| m["reason"] == "compiler-message")
        .map(|m| {
            let msg = &m["message"];
            (
                msg["code"]["code"].as_str().unwrap().to_string(),
                msg["level"].as_str().unwrap().to_string(),
                msg["spans"][0]["file_name"].as_str().unwrap().to_string(),
                msg["spans"][0]["line_start"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn json_messages_for_rust_analyzer() {
    let (_t, root) = workspace();
    // As cargo runs a subcommand: `cargo-tasklint tasklint ARGS`, in the workspace root.
    let o = cargo_tasklint(&["tasklint", "--message-format", "json"], &root);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let messages = lines(&o);
    // Both members' findings (the workspace root was the manifest); not TL304, which
    // the workspace's metadata ignores.
    assert_eq!(
        findings(&messages),
        [
            ("TL302".into(), "error".into(), "api/src/main.rs".into(), 5),
            (
                "TL302".into(),
                "warning".into(),
                "jobs/src/lib.rs".into(),
                3
            ),
        ]
    );
    let first = &messages[0];
    assert_eq!(
        first["package_id"].as_str().unwrap(),
        format!(
            "path+{}#shop-api@0.2.0",
            lsp_types::Url::from_file_path(root.join("api")).unwrap()
        )
    );
    assert_eq!(
        first["manifest_path"].as_str().unwrap(),
        root.join("api/Cargo.toml").to_str().unwrap()
    );
    assert_eq!(first["target"]["name"], "shop-api");
    assert_eq!(first["target"]["kind"][0], "bin");
    let msg = &first["message"];
    assert_eq!(msg["$message_type"], "diagnostic");
    assert_eq!(msg["code"]["explanation"], Value::Null);
    let span = &msg["spans"][0];
    assert_eq!(span["is_primary"], true);
    assert_eq!(span["column_start"], 5);
    assert_eq!(span["line_end"], 5);
    let text = std::fs::read_to_string(root.join("api/src/main.rs")).unwrap();
    let (start, end) = (
        span["byte_start"].as_u64().unwrap() as usize,
        span["byte_end"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &text[start..end],
        "std::thread::sleep(std::time::Duration::from_millis(50))"
    );
    assert_eq!(span["label"], "sleep: blocks the async runtime");
    assert_eq!(msg["children"][0]["level"], "help");
    assert!(
        msg["rendered"]
            .as_str()
            .unwrap()
            .starts_with("error[TL302]: `std::thread::sleep` in async fn `report`"),
        "{msg}"
    );
    // The jobs finding is attributed to its own package, a library.
    assert_eq!(messages[1]["target"]["name"], "jobs");
    assert_eq!(messages[1]["target"]["kind"][0], "lib");
    // Last, as cargo ends: an error was found.
    assert_eq!(
        messages.last().unwrap(),
        &serde_json::json!({"reason": "build-finished", "success": false})
    );
}

#[test]
fn the_current_package_or_the_workspace() {
    let (_t, root) = workspace();
    // In a member: that package's findings only (the rest of the workspace is read for
    // context: the warning in `jobs` is reached from the handler in `api`).
    let o = cargo_tasklint(&["--message-format=json"], &root.join("api"));
    let m = lines(&o);
    assert_eq!(
        findings(&m),
        [("TL302".into(), "error".into(), "api/src/main.rs".into(), 5)]
    );
    let o = cargo_tasklint(&["--message-format=json", "--workspace"], &root.join("api"));
    assert_eq!(findings(&lines(&o)).len(), 2);
    // --manifest-path names the package, wherever we are; warnings only: success.
    let o = cargo_tasklint(
        &[
            "--message-format=json",
            "--manifest-path",
            "jobs/Cargo.toml",
        ],
        &root,
    );
    let m = lines(&o);
    assert_eq!(
        findings(&m),
        [(
            "TL302".into(),
            "warning".into(),
            "jobs/src/lib.rs".into(),
            3
        )]
    );
    assert_eq!(m.last().unwrap()["success"], true);
    let o = cargo_tasklint(&["--manifest-path", "jobs/nothing.toml"], &root);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn settings_tasklint_toml_then_package_then_workspace_metadata() {
    let (_t, root) = workspace();
    // The package's metadata comes before the workspace's.
    let manifest = root.join("jobs/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[package.metadata.tasklint]\nignore = [\"TL302\"]\n"),
    )
    .unwrap();
    let o = cargo_tasklint(&["--message-format=json"], &root.join("jobs"));
    assert_eq!(findings(&lines(&o)), []);
    assert_eq!(o.status.code(), Some(0));
    // A bad key there is an error that names the manifest.
    std::fs::write(
        &manifest,
        format!("{text}\n[package.metadata.tasklint]\nselect = 3\n"),
    )
    .unwrap();
    let o = cargo_tasklint(&["--message-format=json"], &root.join("jobs"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("[package.metadata.tasklint]"), "{err}");
    std::fs::write(&manifest, text).unwrap();

    // A tasklint.toml applies instead of any metadata: TL304 is back, TL302 gone.
    std::fs::write(root.join("tasklint.toml"), "ignore = [\"TL302\"]\n").unwrap();
    let o = cargo_tasklint(&["--message-format=json"], &root);
    assert_eq!(
        findings(&lines(&o)),
        [("TL304".into(), "error".into(), "api/src/main.rs".into(), 11)]
    );
}

#[test]
fn human_and_short_formats() {
    let (_t, root) = workspace();
    let o = cargo_tasklint(&[], &root.join("api"));
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("error[TL302 blocking-call-in-async]"), "{out}");
    assert!(out.contains("┌─ src/main.rs:5:5"), "{out}");
    assert!(!out.contains("jobs/src/lib.rs"), "{out}");
    let o = cargo_tasklint(&["--message-format", "short", "--ignore", "TL302"], &root);
    assert_eq!(o.status.code(), Some(0));
    let o = cargo_tasklint(&["--message-format", "short"], &root);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("api/src/main.rs:5:5: error[TL302]:"),
        "{out}"
    );
}
