//! `tasklint check`, `rules` and `rule` run as a process, as users and CI run them.

use std::path::Path;
use std::process::{Command, Output};

fn tasklint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tasklint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("tasklint runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &Path, rel: &str, text: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A one-view project: `views.home` calls a Celery task directly.
fn project_with_a_finding() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "app/tasks.py",
        b"from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n",
    );
    write(t.path(), "app/__init__.py", b"");
    write(
        t.path(),
        "app/views.py",
        b"from django.urls import path\nfrom .tasks import ping\n\ndef home(request):\n    ping(1)\n    return None\n\nurlpatterns = [path('', home)]\n",
    );
    t
}

#[test]
fn exit_code_is_0_when_clean_and_1_with_findings() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "clean.py", b"def f():\n    return 1\n");
    let o = tasklint(&["check", "."], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("All checks passed (1 file)."));

    let t = project_with_a_finding();
    let o = tasklint(&["check", "."], t.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("error[TL101 task-called-directly]"), "{out}");
    assert!(out.contains("app/views.py:5:5"), "{out}");
    assert!(out.contains("help: enqueue it: `ping.delay(1)`"), "{out}");
    assert!(out.contains("Found 1 error in 3 files."), "{out}");

    let o = tasklint(&["check", ".", "--exit-zero"], t.path());
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn exit_code_is_2_for_bad_usage() {
    let t = tempfile::tempdir().unwrap();
    let o = tasklint(&["check", "does-not-exist"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("path `does-not-exist` does not exist"));
    let o = tasklint(&["check", ".", "--select", "TL999"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown rule selector \"TL999\""));
    let o = tasklint(&["check", ".", "--format", "xml"], t.path());
    assert_eq!(o.status.code(), Some(2));
    let o = tasklint(&["rule", "TL999"], t.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn concise_format_is_one_line_per_finding() {
    let t = project_with_a_finding();
    let o = tasklint(&["check", "app", "--format", "concise"], t.path());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "app/views.py:5:5: error[TL101]: task `ping` is called directly, so it runs inside the request instead of on a worker"
    );
    assert_eq!(lines[1], "Found 1 error in 3 files.");
    assert_eq!(lines[2], "[*] 1 fixable with `--fix`.");
    assert_eq!(lines.len(), 3);
}

#[test]
fn json_format_follows_the_design_schema() {
    let t = project_with_a_finding();
    let o = tasklint(&["check", ".", "--format", "json"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "tasklint");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["summary"]["files"], 3);
    assert_eq!(v["summary"]["diagnostics"], 1);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["warnings"], 0);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "TL101");
    assert_eq!(d["name"], "task-called-directly");
    assert_eq!(d["severity"], "error");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .starts_with("task `ping` is called directly")
    );
    assert_eq!(d["help"], "enqueue it: `ping.delay(1)`");
    assert!(d["notes"].is_array());
    assert_eq!(d["path"], "app/views.py");
    // `    ping(1)` on line 5: columns are 1-based characters, offsets are bytes.
    let text = std::fs::read_to_string(t.path().join("app/views.py")).unwrap();
    let offset = text.find("ping(1)").unwrap() as u64;
    assert_eq!(d["range"]["start"]["line"], 5);
    assert_eq!(d["range"]["start"]["column"], 5);
    assert_eq!(d["range"]["start"]["offset"], offset);
    assert_eq!(d["range"]["end"]["line"], 5);
    assert_eq!(d["range"]["end"]["column"], 12);
    assert_eq!(d["range"]["end"]["offset"], offset + 7);
    let related = &d["related"][0];
    assert_eq!(related["path"], "app/tasks.py");
    assert_eq!(related["range"]["start"]["line"], 4);
    assert_eq!(related["message"], "Celery task defined here");
    let fix = &d["fix"];
    assert_eq!(fix["applicability"], "safe");
    assert_eq!(fix["edits"][0]["content"], ".delay");
    assert_eq!(fix["edits"][0]["range"]["start"]["offset"], offset + 4);
    // A finding without a fix has `"fix": null`, not a missing key.
    let t2 = tempfile::tempdir().unwrap();
    // (It imports `celery.shared_task`: a file that mentions nothing tasklint looks for is not
    // parsed, and its syntax is not checked; see rules/docs/TL000.md.)
    write(
        t2.path(),
        "broken.py",
        b"from celery import shared_task\ndef f(:\n",
    );
    let o = tasklint(&["check", ".", "--format", "json"], t2.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = v["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{v}");
    assert_eq!(d[0]["code"], "TL000");
    assert_eq!(d[0]["path"], "broken.py");
    assert_eq!(d[0]["range"]["start"]["line"], 2);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("syntax error: "),
        "{v}"
    );
    assert!(d[0].as_object().unwrap()["fix"].is_null());
}

#[test]
fn a_broken_file_is_tl000_and_the_others_are_still_checked() {
    let t = project_with_a_finding();
    // Both mention names tasklint looks for (`.delay()`, `celery.shared_task`), so they
    // are parsed.
    write(t.path(), "app/broken.py", b"def oops(:\n    x.delay()\n");
    write(
        t.path(),
        "app/legacy.py",
        b"print \"hello\"\nfrom celery import shared_task\n",
    );
    write(t.path(), "app/latin1.py", b"x = '\xe9'\n");
    write(t.path(), "app/blob.py", b"\x00\x01\x02binary");
    let o = tasklint(&["check", ".", "--format", "concise"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("app/broken.py:1:"), "{out}");
    assert!(out.contains("error[TL000]: syntax error"), "{out}");
    assert!(
        out.contains("app/legacy.py:1:1: error[TL000]: Python 2 syntax (`print` statement)"),
        "{out}"
    );
    assert!(
        out.contains("app/latin1.py:1:6: error[TL000]: not UTF-8 text (invalid byte at offset 5)"),
        "{out}"
    );
    assert!(
        out.contains("app/blob.py:1:1: error[TL000]: binary file"),
        "{out}"
    );
    // The finding in the healthy file is still there.
    assert!(out.contains("app/views.py:5:5: error[TL101]"), "{out}");
    assert!(
        out.contains("Found 5 errors in 7 files; 4 files skipped: 1 binary, 1 not UTF-8, 2 with syntax errors."),
        "{out}"
    );
    // Only one TL000 per broken file.
    assert_eq!(out.matches("app/broken.py").count(), 1, "{out}");
}

#[test]
fn select_and_ignore_choose_rules() {
    let t = project_with_a_finding();
    let o = tasklint(&["check", ".", "--ignore", "TL101"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = tasklint(&["check", ".", "--select", "TL3"], t.path());
    assert_eq!(o.status.code(), Some(0));
    let o = tasklint(
        &["check", ".", "--select", "TL1", "--ignore", "TL102"],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_file_named_on_the_command_line_is_checked_with_its_project_around_it() {
    // As pre-commit passes changed files: views.py alone, yet `ping` is known to be a
    // task and `home` a view, because the project around it is read for context.
    let t = project_with_a_finding();
    write(t.path(), "pyproject.toml", b"[project]\nname = 'x'\n");
    let o = tasklint(&["check", "app/views.py", "--format", "concise"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("app/views.py:5:5: error[TL101]"), "{out}");
    assert!(out.contains("in 1 file."), "{out}");
    // Files read for context are not reported on, even when broken and needed (it
    // mentions `.delay()`).
    write(t.path(), "app/broken.py", b"def oops(:\n    x.delay()\n");
    let o = tasklint(&["check", "app/views.py", "--format", "concise"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(!out.contains("broken.py"), "{out}");
    assert!(out.starts_with("app/views.py:5:5: error[TL101]"), "{out}");
    assert!(out.contains("Found 1 error in 1 file."), "{out}");
    // Named itself, it is.
    let o = tasklint(&["check", "app/broken.py", "--format", "concise"], t.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .starts_with("app/broken.py:1:10: error[TL000]: syntax error: expected `)`, found `:`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_manage_py_inside_a_package_is_not_the_project_root() {
    // `app/manage.py` sits inside the package it manages: imports start above it
    // (`from app.tasks import ping`), where `pyproject.toml` is, and the named file's
    // module is `app.web.views`, the name other modules import it by.
    let t = tempfile::tempdir().unwrap();
    let views = "from django.urls import path\nfrom app.tasks import ping\n\ndef home(request):\n    ping(1)\n    return None\n\nurlpatterns = [path('', home)]\n";
    let task = b"from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n";
    write(t.path(), "pyproject.toml", b"[project]\nname = 'x'\n");
    write(t.path(), "app/__init__.py", b"");
    write(t.path(), "app/manage.py", b"");
    write(t.path(), "app/tasks.py", task);
    write(t.path(), "app/web/__init__.py", b"");
    write(t.path(), "app/web/views.py", views.as_bytes());
    let o = tasklint(&["explain", "app/web/views.py:5"], t.path());
    let out = stdout(&o);
    assert!(out.contains("in `app.web.views.home`"), "{out}");
    assert!(out.contains("TL101"), "{out}");
    // A `manage.py` beside no `__init__.py` is a root, as Django lays projects out.
    write(t.path(), "site/manage.py", b"");
    write(t.path(), "site/shop/__init__.py", b"");
    write(t.path(), "site/shop/tasks.py", task);
    write(
        t.path(),
        "site/shop/views.py",
        views.replace("app.tasks", "shop.tasks").as_bytes(),
    );
    let o = tasklint(&["explain", "site/shop/views.py:5"], t.path());
    let out = stdout(&o);
    assert!(out.contains("in `shop.views.home`"), "{out}");
    assert!(out.contains("TL101"), "{out}");
}

#[test]
fn rules_and_rule_print_the_documentation() {
    let t = tempfile::tempdir().unwrap();
    let o = tasklint(&["rules"], t.path());
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for code in ["TL000", "TL101", "TL102", "TL301"] {
        assert!(out.contains(code), "{code} missing from `tasklint rules`");
    }
    let o = tasklint(&["rule", "TL101"], t.path());
    let doc = stdout(&o);
    assert!(doc.starts_with("# TL101 task-called-directly"));
    for section in [
        "## What it flags",
        "## Why it is a problem",
        "## Example",
        "## Use instead",
        "## Known limits",
    ] {
        assert!(doc.contains(section), "TL101 doc lacks {section}");
    }
    // By name too.
    let o = tasklint(&["rule", "slow-call-in-handler"], t.path());
    assert!(stdout(&o).starts_with("# TL301"));
}

#[test]
fn walking_honours_gitignore_and_skips_virtualenvs() {
    let t = project_with_a_finding();
    write(t.path(), ".gitignore", b"generated/\n");
    // The same bad view, in places a project does not want checked.
    let bad = std::fs::read(t.path().join("app/views.py")).unwrap();
    for dir in ["generated", ".venv/lib", "venv/lib", "node_modules/x"] {
        write(t.path(), &format!("{dir}/app/__init__.py"), b"");
        write(
            t.path(),
            &format!("{dir}/app/tasks.py"),
            &std::fs::read(t.path().join("app/tasks.py")).unwrap(),
        );
        write(t.path(), &format!("{dir}/app/views.py"), &bad);
    }
    let o = tasklint(&["check", ".", "--format", "concise"], t.path());
    let out = stdout(&o);
    assert!(out.contains("app/views.py:5:5: error[TL101]"), "{out}");
    assert!(out.contains("Found 1 error in 3 files."), "{out}");
}

#[test]
fn hidden_folders_are_skipped_even_when_gitignore_keeps_them_tracked() {
    let t = project_with_a_finding();
    // A project that ignores dot-folders but whitelists one to keep its tool data tracked.
    write(t.path(), ".gitignore", b".*\n!.lintdata/\n!.gitignore\n");
    std::fs::create_dir(t.path().join(".git")).unwrap();
    // The bad view again, calling the project's task from the hidden folder.
    let bad = std::fs::read_to_string(t.path().join("app/views.py"))
        .unwrap()
        .replace("from .tasks", "from app.tasks");
    write(t.path(), ".lintdata/app/__init__.py", b"");
    write(t.path(), ".lintdata/app/views.py", bad.as_bytes());
    let o = tasklint(&["check", ".", "--format", "concise"], t.path());
    let out = stdout(&o);
    assert!(out.contains("Found 1 error in 3 files."), "{out}");
    assert!(!out.contains(".lintdata"), "{out}");

    // Named on the command line it is checked, as any named file is ...
    let o = tasklint(
        &["check", ".lintdata/app/views.py", "--format", "concise"],
        t.path(),
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(".lintdata/app/views.py:5:5: error[TL101]"),
        "{out}"
    );
    // ... unless `--force-exclude` asks for the walk's choices (as the pre-commit hook does).
    let o = tasklint(
        &["check", "--force-exclude", ".lintdata/app/views.py"],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn handlers_of_the_same_name_are_told_apart_in_notes() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "common.py",
        b"from django.core.mail import send_mail\n\ndef notify(user):\n    send_mail('s', 'b', 'f', [user])\n",
    );
    for app in ["books", "films", "games"] {
        write(t.path(), &format!("{app}/__init__.py"), b"");
        let view = if app == "games" { "follow" } else { "watch" };
        write(
            t.path(),
            &format!("{app}/views.py"),
            format!(
                "from django.urls import path\nfrom common import notify\n\ndef {view}(request):\n    notify(request.user)\n\nurlpatterns = [path('', {view})]\n"
            )
            .as_bytes(),
        );
    }
    let o = tasklint(&["check", "."], t.path());
    let out = stdout(&o);
    assert!(
        out.contains("`books.views.watch`, `films.views.watch` and `follow`"),
        "{out}"
    );
}

#[test]
fn a_note_points_into_the_file_it_quotes() {
    // `bind=True` comes from the project's wrapper in decorators.py, not from tasks.py.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tasklint(
        &[
            "check",
            "fixtures/python/task_wrappers",
            "--no-cache",
            "--format",
            "json",
            "--select",
            "TL203",
        ],
        root,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let related = &diagnostics[0]["related"][0];
    assert_eq!(
        related["path"], "fixtures/python/task_wrappers/jobs/decorators.py",
        "{related}"
    );
    assert_eq!(related["range"]["start"]["line"], 12, "{related}");
}
