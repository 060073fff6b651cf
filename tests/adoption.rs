//! What adopting tasklint on a big codebase and in CI needs, tested on the process:
//! baselines (`--add-noqa`), configuration that scales (`extend`, the nearest
//! configuration per file, `--show-files`), the rule catalogue for machines, the
//! "nothing was checked" warning, compiler-like syntax errors, the CI formats (concise
//! severity, SARIF fingerprints/helpUri/invocations, JUnit, GitLab, the JSON schema on
//! every rule), progress on a terminal, and the configuration and option errors.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const TASKS: &str = "from celery import shared_task\n\n\n@shared_task\ndef send_receipt(order_id):\n    return order_id\n";
const VIEWS: &str = "import time\n\nfrom app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt(1)\n    time.sleep(1)\n    return \"ok\"\n";
const URLS: &str = "from django.urls import path\n\nfrom app import views\n\nurlpatterns = [path(\"c/\", views.checkout)]\n";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tasklint"));
    c.env_remove("NO_COLOR")
        .env("TASKLINT_PROGRESS_AFTER_MS", "0");
    c
}

fn run_in(dir: &Path, args: &[&str]) -> Out {
    let out = bin()
        .current_dir(dir)
        .args(args)
        .env(
            "TASKLINT_CACHE_DIR",
            std::env::temp_dir().join("tasklint-adoption-tests-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("the tasklint binary runs");
    Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A temporary project: a git repository root (an empty `.git` folder) holding `files`.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    write_files(tmp.path(), files);
    tmp
}

fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// The shop: views.py line 7 is TL101 (error, in a handler), line 8 TL301.
fn shop(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        ("app/__init__.py", ""),
        ("app/tasks.py", TASKS),
        ("app/views.py", VIEWS),
        ("app/urls.py", URLS),
    ];
    files.extend_from_slice(extra);
    project(&files)
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn validate(schema_file: &str, instance: &Value, what: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(schema_file);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{schema_file} is not a usable schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: not valid against {schema_file}:\n{}",
        errors.join("\n")
    );
}

// ---------------------------------------------------------------- baselines

/// What `--add-noqa` inserted into a line: `None` when the line is unchanged. Panics
/// when anything else changed (code must never change).
fn inserted<'a>(old: &str, new: &'a str) -> Option<&'a str> {
    if old == new {
        return None;
    }
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = old[prefix..]
        .bytes()
        .rev()
        .zip(new[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let added = &new[prefix..new.len() - suffix];
    assert_eq!(
        old.len() + added.len(),
        new.len(),
        "not an insertion:\n  {old}\n  {new}"
    );
    let is_comment = |s: &str, open: &str, close: &str| {
        s.strip_prefix(open)
            .and_then(|r| r.strip_suffix(close))
            .is_some_and(|codes| {
                codes
                    .split(", ")
                    .all(|c| c.len() == 5 && c.starts_with("TL"))
            })
    };
    assert!(
        is_comment(added, "  # tasklint: ignore[", "]")
            || is_comment(added, "  // tasklint: ignore[", "]")
            || is_comment(added, "/* tasklint: ignore[", "] */ ")
            || is_comment(added, ", ", ""),
        "inserted something that is not a suppression: {added:?}\n  {old}\n  {new}"
    );
    Some(added)
}

#[test]
fn add_noqa_merges_with_existing_comments_is_idempotent_and_the_next_run_passes() {
    let views = "import time\n\nfrom app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt(1)  # noqa: E501\n    time.sleep(1)  # tasklint: ignore[TL302] kept for the async port\n    return \"ok\"\n";
    let p = shop(&[("app/views.py", views)]);
    let out = run_in(p.path(), &["check", "--add-noqa", "--no-config"]);
    assert_eq!(out.code, 0, "the run after passes: {out:?}");
    assert!(
        out.stderr
            .contains("Added suppression comments to 2 lines in 1 file."),
        "{out:?}"
    );
    assert!(out.stdout.contains("All checks passed"), "{out:?}");
    assert_eq!(
        read(p.path(), "app/views.py"),
        "import time\n\nfrom app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt(1)  # noqa: E501  # tasklint: ignore[TL101]\n    time.sleep(1)  # tasklint: ignore[TL302, TL301] kept for the async port\n    return \"ok\"\n"
    );
    // Idempotent: nothing more to add, nothing changes.
    let before = read(p.path(), "app/views.py");
    let again = run_in(p.path(), &["check", "--add-noqa", "--no-config"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stderr
            .contains("Added suppression comments to 0 lines in 0 files."),
        "{again:?}"
    );
    assert_eq!(read(p.path(), "app/views.py"), before);
    // And a plain check passes.
    assert_eq!(run_in(p.path(), &["check", "--no-config"]).code, 0);
}

#[test]
fn add_noqa_skips_and_lists_lines_where_no_comment_can_go() {
    let views = "from app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt(\"\"\"a\nb\"\"\")\n    return \"ok\"\n";
    let p = shop(&[("app/views.py", views)]);
    let out = run_in(p.path(), &["check", "--add-noqa", "--no-config"]);
    // Nothing was written inside the string; the finding is still reported.
    assert_eq!(read(p.path(), "app/views.py"), views);
    assert!(
        out.stderr.contains(
            "tasklint: warning: no suppression added to app/views.py:5 (TL101): the line ends inside a multi-line string"
        ),
        "{out:?}"
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("error[TL101"), "{out:?}");
}

/// Every fixture project, baselined on a copy: only suppression comments are inserted,
/// and the next run with every rule reports nothing but what cannot be baselined.
#[test]
fn add_noqa_on_every_fixture_changes_only_comments_and_the_next_run_passes() {
    let mut baselined = 0;
    for fixture in common::fixture_projects() {
        let tmp = tempfile::tempdir().unwrap();
        let copy = tmp.path().join("p");
        for e in walkdir::WalkDir::new(&fixture) {
            let e = e.unwrap();
            let dest = copy.join(e.path().strip_prefix(&fixture).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else {
                std::fs::copy(e.path(), &dest).unwrap();
            }
        }
        let out = run_in(&copy, &["check", "--select", "ALL", "--add-noqa", "."]);
        assert_ne!(out.code, 2, "{}: {out:?}", fixture.display());
        // What is left: TL000 and TL001 (never baselined), and the lines listed.
        let left = run_in(
            &copy,
            &[
                "check", "--select", "ALL", "--format", "concise", "--quiet", ".",
            ],
        );
        for line in left.stdout.lines() {
            let listed = out.stderr.lines().any(|w| {
                w.starts_with("tasklint: warning: no suppression added to")
                    && line.starts_with(
                        w.trim_start_matches("tasklint: warning: no suppression added to ")
                            .split(' ')
                            .next()
                            .unwrap(),
                    )
            });
            assert!(
                line.contains("[TL000]") || line.contains("[TL001]") || listed,
                "{}: left after --add-noqa: {line}\n{out:?}",
                fixture.display()
            );
        }
        for e in walkdir::WalkDir::new(&fixture) {
            let e = e.unwrap();
            if !e.file_type().is_file() {
                continue;
            }
            let rel = e.path().strip_prefix(&fixture).unwrap();
            let (Ok(old), Ok(new)) = (
                std::fs::read_to_string(e.path()),
                std::fs::read_to_string(copy.join(rel)),
            ) else {
                continue;
            };
            assert_eq!(
                old.lines().count(),
                new.lines().count(),
                "{}",
                rel.display()
            );
            for (o, n) in old.lines().zip(new.lines()) {
                if inserted(o, n).is_some() {
                    baselined += 1;
                }
            }
        }
    }
    assert!(baselined > 50, "only {baselined} lines baselined");
}

// ---------------------------------------------------------------- configuration

/// The nested layout: the root selects TL1 and TL3; `legacy/` extends it, ignores
/// TL301 and excludes its `old/` folder; `svc/` has its own file that selects TL3 only.
fn nested() -> tempfile::TempDir {
    let legacy_views = "import time\n\nfrom app.tasks import send_receipt\n\n\ndef old_checkout(request):\n    send_receipt(1)\n    time.sleep(1)\n    return \"ok\"\n";
    let urls = "from django.urls import path\n\nfrom app import views\nfrom legacy import views as lv\nfrom legacy.old import views as ov\nfrom svc import views as sv\n\nurlpatterns = [path(\"c/\", views.checkout), path(\"l/\", lv.old_checkout), path(\"o/\", ov.old_checkout), path(\"s/\", sv.old_checkout)]\n";
    shop(&[
        ("urls.py", urls),
        ("legacy/__init__.py", ""),
        ("legacy/views.py", legacy_views),
        ("legacy/old/__init__.py", ""),
        ("legacy/old/views.py", legacy_views),
        ("svc/__init__.py", ""),
        ("svc/views.py", legacy_views),
        (
            "tasklint.toml",
            "select = [\"TL1\", \"TL3\"]\nper-file-ignores = { \"app/tasks.py\" = [\"ALL\"] }\n",
        ),
        (
            "legacy/tasklint.toml",
            "extend = \"../tasklint.toml\"\nignore = [\"TL301\"]\nextend-exclude = [\"old\"]\n",
        ),
        (
            "svc/pyproject.toml",
            "[project]\nname = \"svc\"\n\n[tool.tasklint]\nselect = [\"TL3\"]\n",
        ),
    ])
}

#[test]
fn each_file_is_checked_with_its_nearest_configuration() {
    let p = nested();
    let out = run_in(p.path(), &["check", "--format", "concise", "-q"]);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            // The root's file: TL1 and TL3.
            "app/views.py:7:5: error[TL101]: task `send_receipt` is called directly, so it runs inside the request instead of on a worker",
            "app/views.py:8:5: error[TL301]: `time.sleep` in request handler `checkout` sleeps while the request waits",
            // legacy/ extends the root and ignores TL301; legacy/old is excluded by it.
            "legacy/views.py:7:5: error[TL101]: task `send_receipt` is called directly, so it runs inside the request instead of on a worker",
            // svc/ selects TL3 only.
            "svc/views.py:8:5: error[TL301]: `time.sleep` in request handler `old_checkout` sleeps while the request waits",
        ],
        "{out:?}"
    );
    // The views of the other folders are still views: the project is read as a whole.
    let show = run_in(p.path(), &["check", "--show-files"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert_eq!(
        show.stdout.lines().collect::<Vec<_>>(),
        [
            "app/__init__.py\ttasklint.toml",
            "app/tasks.py\ttasklint.toml",
            "app/urls.py\ttasklint.toml",
            "app/views.py\ttasklint.toml",
            "legacy/__init__.py\tlegacy/tasklint.toml",
            "legacy/views.py\tlegacy/tasklint.toml",
            "svc/__init__.py\tsvc/pyproject.toml [tool.tasklint]",
            "svc/views.py\tsvc/pyproject.toml [tool.tasklint]",
            "urls.py\ttasklint.toml",
        ],
        "{show:?}"
    );
    // `--config` names one file for everything: no nesting then.
    let one = run_in(
        p.path(),
        &["check", "--show-files", "--config", "tasklint.toml"],
    );
    assert!(
        one.stdout.contains("legacy/old/views.py\ttasklint.toml"),
        "{one:?}"
    );
    // The command line still wins over every file.
    let sel = run_in(
        p.path(),
        &["check", "--format", "concise", "-q", "--select", "TL301"],
    );
    assert_eq!(sel.stdout.lines().count(), 3, "{sel:?}");
    assert!(!sel.stdout.contains("TL101"), "{sel:?}");
}

#[test]
fn extend_inherits_relative_to_the_file_and_its_patterns_keep_their_folder() {
    let p = shop(&[
        (
            "conf/base.toml",
            "select = [\"TL1\", \"TL3\"]\nper-file-ignores = { \"../app/views.py\" = [\"TL301\"] }\n",
        ),
        (
            "tasklint.toml",
            "extend = \"conf/base.toml\"\nextend-select = [\"TL001\"]\n",
        ),
    ]);
    let out = run_in(p.path(), &["config", "app/views.py"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("select = [\"TL1\", \"TL3\"]"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("extend-select = [\"TL001\"]"),
        "{out:?}"
    );
    // A pattern with `..` matches nothing: the check sees both findings.
    let check = run_in(p.path(), &["check", "--format", "concise", "-q"]);
    assert_eq!(check.stdout.lines().count(), 2, "{check:?}");
    // Patterns of a base in a folder above stay relative to that folder.
    let p = shop(&[
        (
            "tasklint.toml",
            "select = [\"TL1\", \"TL3\"]\nper-file-ignores = { \"app/views.py\" = [\"TL301\"] }\n",
        ),
        (
            "app/tasklint.toml",
            "extend = \"../tasklint.toml\"\nignore = [\"TL102\"]\n",
        ),
    ]);
    let check = run_in(p.path(), &["check", "--format", "concise", "-q"]);
    assert_eq!(
        check.stdout.lines().collect::<Vec<_>>(),
        [
            "app/views.py:7:5: error[TL101]: task `send_receipt` is called directly, so it runs inside the request instead of on a worker"
        ],
        "{check:?}"
    );
    let cfg = run_in(p.path(), &["config", "app/views.py"]);
    assert!(
        cfg.stdout
            .contains("# per-file-ignores: \"app/views.py\" matches app/views.py: TL301 off here"),
        "{cfg:?}"
    );
    // Errors: a base that does not exist, and a circle.
    let p = shop(&[("tasklint.toml", "extend = \"nope.toml\"\n")]);
    let out = run_in(p.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("\"extend\" in tasklint.toml line 1: nope.toml does not exist"),
        "{out:?}"
    );
    let p = shop(&[
        ("tasklint.toml", "extend = \"b.toml\"\n"),
        ("b.toml", "extend = \"tasklint.toml\"\n"),
    ]);
    let out = run_in(p.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("\"extend\" goes round in a circle: tasklint.toml → b.toml → tasklint.toml"),
        "{out:?}"
    );
}

#[test]
fn a_broken_nested_configuration_stops_the_run() {
    let p = shop(&[("app/tasklint.toml", "selct = []\n")]);
    let out = run_in(p.path(), &["check"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("unknown key \"selct\" in app/tasklint.toml line 1"),
        "{out:?}"
    );
}

/// Folders are walked in parallel: of two broken configurations, the one reported is
/// the first by path, every time.
#[test]
fn of_two_broken_nested_configurations_the_first_by_path_is_reported() {
    let p = shop(&[
        ("a/tasklint.toml", "selct = []\n"),
        ("a/x.py", ""),
        ("b/tasklint.toml", "ignre = []\n"),
        ("b/y.py", ""),
    ]);
    for _ in 0..5 {
        let out = run_in(p.path(), &["check"]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr
                .contains("unknown key \"selct\" in a/tasklint.toml line 1"),
            "{out:?}"
        );
    }
}

#[test]
fn config_errors_quote_per_file_ignores_suggest_codes_and_show_toml_places() {
    let cases: &[(&str, &str)] = &[
        (
            "[per-file-ignores]\n\"scripts/*.py\" = [\"TL1O1\"]\n",
            "tasklint: error: unknown rule selector \"TL1O1\" (did you mean \"TL101\"?) in \"per-file-ignores\" entry \"scripts/*.py\" in tasklint.toml line 2\n",
        ),
        (
            "select = [\"TL1\"\n",
            "tasklint: error: tasklint.toml line 1 is not valid TOML: unclosed array, expected `]`\n  --> tasklint.toml:1:16\n  |\n1 | select = [\"TL1\"\n  |                ^\n",
        ),
        (
            "# a comment\nmax-call-depth = 4\nignore = [\"TL101\"\nx = 1\n",
            "tasklint: error: tasklint.toml line 4 is not valid TOML: missing comma between array elements, expected `,`\n  --> tasklint.toml:4:1\n  |\n4 | x = 1\n  | ^\n",
        ),
    ];
    for (text, want) in cases {
        let p = shop(&[("tasklint.toml", text)]);
        let out = run_in(p.path(), &["check"]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains(want), "{text}\n{out:?}");
    }
    // On the command line too.
    let p = shop(&[]);
    let out = run_in(p.path(), &["check", "--ignore", "TL1O1"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean \"TL101\"?"), "{out:?}");
}

#[test]
fn max_call_depth_has_one_bound_and_unsafe_fixes_needs_fix() {
    let p = shop(&[]);
    let ok = run_in(
        p.path(),
        &["check", "--max-call-depth", "32", "--no-config"],
    );
    assert_eq!(ok.code, 1, "{ok:?}");
    let over = run_in(p.path(), &["check", "--max-call-depth", "100"]);
    assert_eq!(over.code, 2, "{over:?}");
    assert!(over.stderr.contains("100 is not in 0..=32"), "{over:?}");
    let p2 = shop(&[("tasklint.toml", "max-call-depth = 100\n")]);
    let file = run_in(p2.path(), &["check"]);
    assert_eq!(file.code, 2);
    assert!(file.stderr.contains("from 0 to 32, not 100"), "{file:?}");
    let alone = run_in(p.path(), &["check", "--unsafe-fixes"]);
    assert_eq!(alone.code, 2, "{alone:?}");
    assert_eq!(
        alone.stderr,
        "tasklint: error: --unsafe-fixes only says which fixes to apply: add --fix to apply them, or --diff to see them\n"
    );
    assert_eq!(
        run_in(p.path(), &["check", "--unsafe-fixes", "--diff"]).code,
        1
    );
}

// ---------------------------------------------------------------- rules, warnings

#[test]
fn the_rule_catalogue_for_people_and_machines() {
    let dir = tempfile::tempdir().unwrap();
    let all = run_in(dir.path(), &["rule", "--all"]);
    assert_eq!(all.code, 0);
    for r in tasklint::rules::ALL {
        assert!(
            all.stdout.contains(r.info.doc),
            "{} missing from rule --all",
            r.info.code
        );
    }
    let list = run_in(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(list.code, 0);
    let v = json(&list.stdout);
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), tasklint::rules::ALL.len());
    let first = &arr[0];
    assert_eq!(first["code"], "TL000");
    assert_eq!(first["name"], "unreadable-source");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["default"], true);
    assert_eq!(first["languages"], serde_json::json!(["python", "rust"]));
    assert_eq!(
        first["url"],
        format!("{}rules/TL000.html", tasklint::report::DOCS_URL)
    );
    assert!(first.get("doc").is_none());
    let opt_in = arr.iter().find(|r| r["code"] == "TL305").unwrap();
    assert_eq!(opt_in["default"], false);
    let one = json(&run_in(dir.path(), &["rule", "TL101", "--format", "json"]).stdout);
    assert_eq!(one["code"], "TL101");
    assert!(one["doc"].as_str().unwrap().starts_with("# TL101"));
    let every = json(&run_in(dir.path(), &["rule", "--all", "--format", "json"]).stdout);
    assert_eq!(every.as_array().unwrap().len(), tasklint::rules::ALL.len());
    let neither = run_in(dir.path(), &["rule"]);
    assert_eq!(neither.code, 2, "{neither:?}");
}

#[test]
fn nothing_to_check_is_said_on_stderr() {
    let empty = project(&[]);
    let out = run_in(empty.path(), &["check"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stderr,
        "tasklint: warning: no Python or Rust files found in `.`\n"
    );
    let other = project(&[("README.md", "# hi\n"), ("web/app.js", "x()\n")]);
    let out = run_in(other.path(), &["check", "web"]);
    assert_eq!(
        out.stderr,
        "tasklint: warning: no Python or Rust files found in `web`\n"
    );
    let out = run_in(other.path(), &["check", "README.md"]);
    assert_eq!(
        out.stderr,
        "tasklint: warning: no Python or Rust files found in `README.md`\n"
    );
    // Quiet is quiet; and a folder with code says nothing.
    assert_eq!(run_in(empty.path(), &["check", "-q"]).stderr, "");
    let shop = shop(&[]);
    assert_eq!(run_in(shop.path(), &["check", "--no-config"]).stderr, "");
}

#[test]
fn syntax_errors_are_reported_like_a_compiler_whatever_is_selected() {
    // `views.py` is needed (it enqueues) and does not parse.
    let views = "from app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt.delay(1\n    return \"ok\"\n";
    let rs = "fn main() {\n    let x = (1, 2;\n}\n";
    let p = shop(&[("app/views.py", views), ("src/main.rs", rs)]);
    let out = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--select",
            "TL101",
            "--format",
            "concise",
            "-q",
        ],
    );
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            "app/views.py:5:23: error[TL000]: syntax error: `(` is never closed: expected `)`",
            "src/main.rs:3:1: error[TL000]: syntax error: `}` does not close the `(` on line 2: expected `)`",
        ],
        "{out:?}"
    );
    assert_eq!(out.code, 1);
    // Only an explicit ignore turns it off.
    let ignored = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--select",
            "TL101",
            "--ignore",
            "TL000",
            "-q",
        ],
    );
    assert_eq!(ignored.code, 0, "{ignored:?}");
}

// ---------------------------------------------------------------- formats

#[test]
fn concise_shows_the_severity() {
    let p = shop(&[(
        "app/other.py",
        "from app.tasks import send_receipt\n\n\ndef helper():\n    send_receipt(2)\n",
    )]);
    let out = run_in(
        p.path(),
        &["check", "--no-config", "--format", "concise", "-q"],
    );
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            "app/other.py:5:5: warning[TL101]: task `send_receipt` is called directly, so it runs here instead of on a worker",
            "app/views.py:7:5: error[TL101]: task `send_receipt` is called directly, so it runs inside the request instead of on a worker",
            "app/views.py:8:5: error[TL301]: `time.sleep` in request handler `checkout` sleeps while the request waits",
        ]
    );
}

fn sarif(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--no-config", "--format", "sarif"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    (out.code, json(&out.stdout))
}

/// (ruleId, startLine, fingerprint) of each result.
fn prints(log: &Value) -> Vec<(String, i64, String)> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_i64()
                    .unwrap(),
                r["partialFingerprints"]["tasklint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_fingerprints_survive_moved_lines_rules_have_help_uris_and_the_run_its_exit() {
    // Two identical findings in one function: their fingerprints differ.
    let views = VIEWS.replace(
        "    send_receipt(1)\n",
        "    send_receipt(1)\n    send_receipt(1)\n",
    );
    let p = shop(&[("app/views.py", &views)]);
    let (code, log) = sarif(p.path(), &[]);
    assert_eq!(code, 1);
    validate("tests/data/sarif-schema-2.1.0.json", &log, "sarif");
    let before = prints(&log);
    assert_eq!(before.len(), 3, "{before:?}");
    let mut unique: Vec<&String> = before.iter().map(|p| &p.2).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "fingerprints are unique: {before:?}");
    // Lines added above: the lines change, the fingerprints do not.
    std::fs::write(
        p.path().join("app/views.py"),
        format!("# a comment\n\n\n{views}"),
    )
    .unwrap();
    let (_, moved) = sarif(p.path(), &[]);
    let after = prints(&moved);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, b.1 + 3, &b.2), (&a.0, a.1, &a.2));
    }
    // helpUri: the rule's page on the documentation site.
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("{}rules/{id}.html", tasklint::report::DOCS_URL)
        );
    }
    // invocations: the exit status of the run.
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert_eq!(inv["exitCode"], 1);
    let (code, zero) = sarif(p.path(), &["--exit-zero"]);
    assert_eq!(code, 0);
    assert_eq!(zero["runs"][0]["invocations"][0]["exitCode"], 0);
}

#[test]
fn junit_parses_back_with_a_failure_per_finding() {
    // A folder name with characters XML must escape.
    let p = shop(&[
        ("a&b<c>/__init__.py", ""),
        (
            "a&b<c>/jobs.py",
            "from app.tasks import send_receipt\n\n\ndef run():\n    send_receipt(3)\n",
        ),
    ]);
    let out = run_in(p.path(), &["check", "--no-config", "--format", "junit"]);
    assert_eq!(out.code, 1, "{out:?}");
    let doc = roxmltree::Document::parse(&out.stdout)
        .unwrap_or_else(|e| panic!("not XML ({e}):\n{}", out.stdout));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("3"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["a&b<c>/jobs.py", "app/views.py"]);
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    let first = &cases[1];
    assert_eq!(first.attribute("name"), Some("TL101 task-called-directly"));
    assert_eq!(first.attribute("line"), Some("7"));
    let failure = first
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("error"));
    assert!(
        failure
            .text()
            .unwrap()
            .starts_with("app/views.py:7:5: task `send_receipt` is called directly"),
        "{:?}",
        failure.text()
    );
    assert!(
        failure
            .text()
            .unwrap()
            .contains("\nhelp: enqueue it: `send_receipt.delay(1)`")
    );
    // A clean run: one passing case.
    let clean = project(&[("a.py", "x = 1\n")]);
    let out = run_in(clean.path(), &["check", "--no-config", "--format", "junit"]);
    assert_eq!(out.code, 0);
    let doc = roxmltree::Document::parse(&out.stdout).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1);
    assert!(cases[0].children().all(|c| !c.has_tag_name("failure")));
}

#[test]
fn gitlab_code_quality_parses_back() {
    let p = shop(&[]);
    let out = run_in(
        &p.path().join("app"),
        &["check", "--no-config", "--format", "gitlab", "."],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out.stdout);
    let issues = v.as_array().expect("an array of issues");
    assert_eq!(issues.len(), 2);
    let i = &issues[0];
    assert_eq!(i["type"], "issue");
    assert_eq!(i["check_name"], "TL101");
    assert_eq!(
        i["description"],
        "TL101 (task-called-directly): task `send_receipt` is called directly, so it runs inside the request instead of on a worker"
    );
    assert_eq!(i["severity"], "major");
    // Relative to the repository root, whatever folder tasklint ran in.
    assert_eq!(i["location"]["path"], "app/views.py");
    assert_eq!(i["location"]["positions"]["begin"]["line"], 7);
    assert_eq!(i["location"]["positions"]["begin"]["column"], 5);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    // The same fingerprint as SARIF's: stable when lines move.
    let (_, log) = sarif(p.path(), &[]);
    assert_eq!(
        issues[0]["fingerprint"],
        log["runs"][0]["results"][0]["partialFingerprints"]["tasklint/v1"]
    );
    let clean = project(&[("a.py", "x = 1\n")]);
    let out = run_in(
        clean.path(),
        &["check", "--no-config", "--format", "gitlab"],
    );
    assert_eq!(json(&out.stdout), serde_json::json!([]));
}

/// The JSON schema accepts what tasklint prints: every fixture with every rule (so
/// every rule's findings, their fixes and related places), a run with skipped files,
/// and a run after --fix.
#[test]
fn the_json_schema_accepts_every_rule_fixes_and_skipped_files() {
    let schema = "docs/tasklint-json-v1.schema.json";
    let mut codes: Vec<String> = Vec::new();
    let mut fixes = 0;
    for fixture in common::fixture_projects() {
        let out = run_in(
            &fixture,
            &["check", "--select", "ALL", "--format", "json", "."],
        );
        assert_ne!(out.code, 2, "{}: {out:?}", fixture.display());
        let v = json(&out.stdout);
        validate(schema, &v, &fixture.display().to_string());
        for d in v["diagnostics"].as_array().unwrap() {
            codes.push(d["code"].as_str().unwrap().to_string());
            if !d["fix"].is_null() {
                fixes += 1;
            }
        }
    }
    codes.sort();
    codes.dedup();
    let all: Vec<&str> = tasklint::rules::ALL.iter().map(|r| r.info.code).collect();
    assert_eq!(codes, all, "every rule appears in a validated run");
    assert!(fixes > 5, "{fixes} fixes");
    // Skipped files: binary, not UTF-8, a syntax error in a needed file.
    let p = shop(&[
        ("app/blob.py", "\0\0\0"),
        ("app/latin1.py", "x = 'caf\u{e9}'\n"),
        (
            "app/broken.py",
            "from app.tasks import send_receipt\nsend_receipt.delay(\n",
        ),
    ]);
    std::fs::write(p.path().join("app/latin1.py"), b"x = 'caf\xe9'\n").unwrap();
    let out = run_in(p.path(), &["check", "--no-config", "--format", "json"]);
    let v = json(&out.stdout);
    assert_eq!(
        v["summary"]["skipped"],
        serde_json::json!({"unreadable": 0, "binary": 1, "not_utf8": 1, "syntax": 1}),
        "{out:?}"
    );
    validate(schema, &v, "skipped files");
    // After --fix (what is left, and the fixed count is not in the JSON).
    let fixed = run_in(
        p.path(),
        &["check", "--no-config", "--fix", "--format", "json"],
    );
    validate(schema, &json(&fixed.stdout), "after --fix");
}

#[test]
fn the_text_format_links_the_rules_it_reports() {
    let p = shop(&[]);
    let out = run_in(p.path(), &["check", "--no-config"]);
    let base = tasklint::report::DOCS_URL;
    assert!(
        out.stdout.contains(&format!(
            "For more about a rule: `tasklint rule CODE`, or its page:\n  TL101 task-called-directly: {base}rules/TL101.html\n  TL301 slow-call-in-handler: {base}rules/TL301.html\nFound 2 errors in 4 files.\n"
        )),
        "{out:?}"
    );
    let quiet = run_in(p.path(), &["check", "--no-config", "-q"]);
    assert!(!quiet.stdout.contains("For more about a rule"), "{quiet:?}");
}

#[test]
fn the_mail_help_names_the_users_call_and_handler() {
    let views = "from django.core.mail import send_mail\n\n\ndef register(request):\n    send_mail(\"Hi\", \"body\", None, [\"a@b.c\"])\n    return None\n";
    let urls = "from django.urls import path\n\nfrom app import views\n\nurlpatterns = [path(\"r/\", views.register)]\n";
    let p = shop(&[("app/views.py", views), ("app/urls.py", urls)]);
    let out = run_in(p.path(), &["check", "--no-config", "--format", "json"]);
    let v = json(&out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "TL301", "{out:?}");
    assert_eq!(
        d["help"],
        "send the mail from a task: move the `django.core.mail.send_mail` call into a task and enqueue that task from `register` (enqueue it with `.delay()`)"
    );
    assert!(!out.stdout.contains("send_welcome_email"));
}

// ---------------------------------------------------------------- progress

/// Runs tasklint with standard error on a pseudo-terminal; returns what it wrote there.
fn on_a_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the integers it is given.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty failed");
    // SAFETY: both descriptors were just opened and are owned here.
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let mut cmd = bin();
    cmd.current_dir(dir)
        .args(args)
        .env_remove("CI")
        .env("TERM", "xterm")
        .env(
            "TASKLINT_CACHE_DIR",
            std::env::temp_dir().join("tasklint-adoption-tests-cache"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The parent's copy of the terminal's other end goes with the Command.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child has exited and closed its end.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let status = child.wait().unwrap();
    let bytes = reader.join().unwrap();
    (
        status.code().unwrap(),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let p = shop(&[]);
    let args = ["check", "--no-config", "--no-cache"];
    let (code, err) = on_a_terminal(p.path(), &args, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("tasklint: ") && err.contains(" files read, "),
        "no progress on a terminal: {err:?}"
    );
    // Erased before the report: the last thing written is the erase sequence.
    assert!(err.ends_with("\r\u{1b}[2K"), "{err:?}");
    // Never in CI logs, with --quiet, or with TERM=dumb.
    let (_, ci) = on_a_terminal(p.path(), &args, &[("CI", "true")]);
    assert!(!ci.contains("files read"), "{ci:?}");
    let quiet: Vec<&str> = args.iter().copied().chain(["-q"]).collect();
    let (_, q) = on_a_terminal(p.path(), &quiet, &[]);
    assert!(!q.contains("files read"), "{q:?}");
    let (_, dumb) = on_a_terminal(p.path(), &args, &[("TERM", "dumb")]);
    assert!(!dumb.contains("files read"), "{dumb:?}");
    // Never in a pipe (run_in pipes standard error).
    let piped = run_in(p.path(), &args);
    assert!(!piped.stderr.contains("files read"), "{piped:?}");
    // Without the test's zero delay, a run shorter than a second shows nothing.
    let (_, fast) = on_a_terminal(p.path(), &args, &[("TASKLINT_PROGRESS_AFTER_MS", "60000")]);
    assert!(!fast.contains("files read"), "{fast:?}");
}

/// --add-noqa and --show-files work on files: standard input is refused.
#[test]
fn add_noqa_and_show_files_refuse_standard_input() {
    let p = shop(&[]);
    for flag in ["--add-noqa", "--show-files"] {
        let mut child = bin()
            .current_dir(p.path())
            .args(["check", flag, "--stdin-filename", "app/views.py", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(VIEWS.as_bytes());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
    }
}
