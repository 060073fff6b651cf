//! tasklint as a process: the built binary run on small projects written to temporary
//! folders, the way CI, pre-commit and editors run it. Exit codes, every output format
//! (JSON and SARIF validated against their schemas, GitHub annotations parsed back),
//! configuration discovery and every configuration error, standard input, suppressions
//! and the output options.
//!
//! Plain `std::process::Command` rather than assert_cmd: the checks are exact
//! comparisons on exit code, stdout and stderr, which need nothing more.

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
    c.env_remove("NO_COLOR");
    c
}

fn run_in(dir: &Path, args: &[&str]) -> Out {
    let mut c = bin();
    // Some tests run in the committed fixtures: their parse cache goes elsewhere.
    if dir.starts_with(env!("CARGO_MANIFEST_DIR")) {
        c.env(
            "TASKLINT_CACHE_DIR",
            std::env::temp_dir().join("tasklint-tests-cache"),
        );
    }
    run_with(c.current_dir(dir).args(args), None)
}

fn run_with(cmd: &mut Command, stdin: Option<&str>) -> Out {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the tasklint binary runs");
    if let Some(text) = stdin {
        // A run that stops at a usage error never reads its input: the pipe may close
        // before the buffer is written.
        match child.stdin.take().unwrap().write_all(text.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.unwrap(),
        }
    }
    let out = child.wait_with_output().unwrap();
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
    for (path, text) in files {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    tmp
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

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

fn validate(schema_file: &str, instance: &Value) {
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
        "output does not match {schema_file}:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap()
    );
}

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_codes_are_0_clean_1_findings_2_errors() {
    let clean = project(&[("a.py", "x = 1\n")]);
    let out = run_in(clean.path(), &["check", "--no-config"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (1 file).\n"),
        "{out:?}"
    );

    let shop = shop(&[]);
    let out = run_in(
        shop.path(),
        &["check", "--no-config", "--format", "concise"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        lines(&out.stdout),
        [
            "app/views.py:7:5: error[TL101]: task `send_receipt` is called directly, so it runs inside the request instead of on a worker",
            "app/views.py:8:5: error[TL301]: `time.sleep` in request handler `checkout` sleeps while the request waits",
            "Found 2 errors in 4 files.",
            "[*] 1 fixable with `--fix`.",
        ]
    );
    assert_eq!(out.stderr, "");

    let out = run_in(shop.path(), &["check", "--no-config", "--exit-zero"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("TL101"));

    for args in [
        &["check", "--no-such-flag"][..],
        &["check", "does/not/exist"],
        &["check", "--select", "TL999"],
        &["check", "--threads", "0"],
        &["rule", "TL999"],
        &["check", "--statistics", "--format", "sarif"],
    ] {
        let out = run_in(shop.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}: {out:?}");
    }

    // --exit-zero turns findings into 0, never a configuration error.
    std::fs::write(shop.path().join("tasklint.toml"), "selct = []\n").unwrap();
    let out = run_in(shop.path(), &["check", "--exit-zero"]);
    assert_eq!(out.code, 2, "{out:?}");
}

// ---------------------------------------------------------------- formats

#[test]
fn json_matches_the_design_schema() {
    let shop = shop(&[]);
    let out = run_in(shop.path(), &["check", "--no-config", "--format", "json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out.stdout);
    validate("docs/tasklint-json-v1.schema.json", &v);
    assert_eq!(v["summary"]["diagnostics"], 2);
    assert_eq!(v["summary"]["files"], 4);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "TL101");
    assert_eq!(d["path"], "app/views.py");
    assert_eq!(d["range"]["start"]["line"], 7);
    assert_eq!(d["range"]["start"]["column"], 5);
    assert_eq!(d["range"]["end"]["column"], 20);
    assert_eq!(d["related"][0]["path"], "app/tasks.py");
    assert_eq!(d["fix"]["edits"][0]["content"], ".delay");
    // --quiet changes nothing in JSON; a clean run is valid too.
    let quiet = run_in(
        shop.path(),
        &["check", "--no-config", "--format", "json", "-q"],
    );
    assert_eq!(quiet.stdout, out.stdout);
    let clean = project(&[("a.py", "x = 1\n")]);
    let out = run_in(clean.path(), &["check", "--no-config", "--format", "json"]);
    assert_eq!(out.code, 0);
    validate("docs/tasklint-json-v1.schema.json", &json(&out.stdout));
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let shop = shop(&[(
        "app/odd name é.py",
        "from app.tasks import send_receipt\n\n\ndef later():\n    send_receipt(2)\n",
    )]);
    // Run from a subfolder (paths print as `../app/...`): URIs stay relative to the
    // repository root.
    let out = run_with(
        bin().current_dir(shop.path().join("app")).args([
            "check",
            "--no-config",
            "--format",
            "sarif",
            "..",
        ]),
        None,
    );
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out.stdout);
    validate("tests/data/sarif-schema-2.1.0.json", &v);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let listed = run_in(shop.path(), &["rules"]).stdout.lines().count() - 1;
    assert_eq!(rules.len(), listed, "the driver lists every rule");
    for r in rules {
        for key in ["id", "name"] {
            assert!(r[key].is_string(), "{r}");
        }
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(
                r[key]["text"].as_str().is_some_and(|t| !t.is_empty()),
                "{key}: {r}"
            );
        }
        assert!(matches!(
            r["defaultConfiguration"]["level"].as_str(),
            Some("error" | "warning")
        ));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
        assert!(region["endColumn"].as_u64().unwrap() > region["startColumn"].as_u64().unwrap());
    }
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        ["app/odd%20name%20%C3%A9.py", "app/views.py", "app/views.py"]
    );
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let tl101 = &results[1];
    assert_eq!(tl101["level"], "error");
    assert_eq!(
        tl101["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/tasks.py"
    );
    assert_eq!(
        tl101["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        ".delay"
    );
    assert_eq!(
        tl101["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );

    // No findings: still a valid log, with an empty result list (it clears old alerts).
    let clean = project(&[("a.py", "x = 1\n")]);
    let out = run_in(clean.path(), &["check", "--no-config", "--format", "sarif"]);
    assert_eq!(out.code, 0);
    let v = json(&out.stdout);
    validate("tests/data/sarif-schema-2.1.0.json", &v);
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

/// Undoes the workflow-command escaping of actions/toolkit.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

struct Annotation {
    level: String,
    props: Vec<(String, String)>,
    message: String,
}

fn parse_annotation(line: &str) -> Annotation {
    let rest = line.strip_prefix("::").expect("starts with ::");
    let (head, message) = rest.split_once("::").expect("command::message");
    let (level, props) = head.split_once(' ').expect("level and properties");
    Annotation {
        level: level.to_string(),
        props: props
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=').expect("key=value");
                (k.to_string(), unescape(v))
            })
            .collect(),
        message: unescape(message),
    }
}

#[test]
fn github_annotations_parse_back() {
    let odd = "from celery import shared_task\n\n\n@shared_task\ndef t(x):\n    return x\n\n\ndef run():\n    t(\n        1,\n    )\n";
    let shop = shop(&[("app/we,ird: name.py", odd)]);
    let out = run_in(shop.path(), &["check", "--no-config", "--format", "github"]);
    assert_eq!(out.code, 1, "{out:?}");
    let json_out = json(&run_in(shop.path(), &["check", "--no-config", "--format", "json"]).stdout);
    let all = lines(&out.stdout);
    assert_eq!(all.last(), Some(&"[*] 2 fixable with `--fix`."));
    let all = &all[..all.len() - 1];
    assert_eq!(
        all.last(),
        Some(&"Found 2 errors and 1 warning in 5 files.")
    );
    let annotations: Vec<Annotation> = all[..all.len() - 1]
        .iter()
        .map(|l| parse_annotation(l))
        .collect();
    assert_eq!(annotations.len(), 3);
    for (a, d) in annotations
        .iter()
        .zip(json_out["diagnostics"].as_array().unwrap())
    {
        let get = |k: &str| {
            a.props
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(a.level, d["severity"].as_str().unwrap());
        assert_eq!(get("file"), d["path"].as_str());
        assert_eq!(
            get("line"),
            Some(d["range"]["start"]["line"].to_string().as_str())
        );
        assert_eq!(
            get("endLine"),
            Some(d["range"]["end"]["line"].to_string().as_str())
        );
        assert_eq!(
            get("title"),
            Some(
                format!(
                    "{} {}",
                    d["code"].as_str().unwrap(),
                    d["name"].as_str().unwrap()
                )
                .as_str()
            )
        );
        let expected = format!(
            "{}\nhelp: {}",
            d["message"].as_str().unwrap(),
            d["help"].as_str().unwrap()
        );
        assert_eq!(a.message, expected);
        if d["range"]["start"]["line"] == d["range"]["end"]["line"] {
            assert_eq!(
                get("col"),
                Some(d["range"]["start"]["column"].to_string().as_str())
            );
            assert_eq!(
                get("endColumn"),
                Some(d["range"]["end"]["column"].to_string().as_str())
            );
        } else {
            // GitHub refuses columns on a multi-line annotation.
            assert_eq!((get("col"), get("endColumn")), (None, None));
        }
    }
    // The path with `,` and `:` went through escaping and came back whole.
    assert_eq!(
        annotations[2].props[0],
        ("file".into(), "app/we,ird: name.py".into())
    );
    assert!(lines(&out.stdout)[2].starts_with("::warning file=app/we%2Cird%3A name.py,line=10,endLine=12,title=TL101 task-called-directly::"));
}

#[test]
fn text_format_and_color() {
    let shop = shop(&[]);
    let out = run_in(shop.path(), &["check", "--no-config"]);
    assert!(
        out.stdout
            .contains("error[TL101 task-called-directly]: task `send_receipt` is called directly"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("help: enqueue it: `send_receipt.delay(1)`")
    );
    assert!(!out.stdout.contains('\u{1b}'), "no colour into a pipe");
    let always = run_with(
        bin()
            .current_dir(shop.path())
            .args(["check", "--no-config", "--color", "always"]),
        None,
    );
    assert!(always.stdout.contains('\u{1b}'), "--color always colours");
    let forced = run_with(
        bin().current_dir(shop.path()).env("NO_COLOR", "1").args([
            "check",
            "--no-config",
            "--color",
            "always",
        ]),
        None,
    );
    assert!(
        forced.stdout.contains('\u{1b}'),
        "an explicit --color always wins over NO_COLOR"
    );
    let auto = run_with(
        bin()
            .current_dir(shop.path())
            .env("NO_COLOR", "1")
            .args(["check", "--no-config"]),
        None,
    );
    assert!(!auto.stdout.contains('\u{1b}'));
    let never = run_in(shop.path(), &["check", "--no-config", "--color", "never"]);
    assert!(!never.stdout.contains('\u{1b}'));
}

// ---------------------------------------------------------------- output options

#[test]
fn output_file_statistics_quiet_threads() {
    let shop = shop(&[]);
    let report = shop.path().join("report.sarif");
    let out = run_in(
        shop.path(),
        &[
            "check",
            "--no-config",
            "--format",
            "sarif",
            "--output-file",
            "report.sarif",
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{out:?}");
    validate(
        "tests/data/sarif-schema-2.1.0.json",
        &json(&std::fs::read_to_string(&report).unwrap()),
    );
    let out = run_in(
        shop.path(),
        &["check", "--no-config", "--output-file", "no/such/dir/x.txt"],
    );
    assert_eq!(out.code, 2, "{out:?}");

    let out = run_in(shop.path(), &["check", "--no-config", "--statistics"]);
    assert_eq!(
        lines(&out.stdout),
        [
            "1  TL101  task-called-directly",
            "1  TL301  slow-call-in-handler",
            "Found 2 errors in 4 files.",
            "[*] 1 fixable with `--fix`."
        ]
    );
    assert_eq!(out.code, 1);
    let out = run_in(
        shop.path(),
        &["check", "--no-config", "--statistics", "--format", "json"],
    );
    assert_eq!(
        json(&out.stdout),
        serde_json::json!([
            {"code": "TL101", "name": "task-called-directly", "count": 1},
            {"code": "TL301", "name": "slow-call-in-handler", "count": 1}
        ])
    );

    let out = run_in(
        shop.path(),
        &["check", "--no-config", "--format", "concise", "--quiet"],
    );
    assert_eq!(lines(&out.stdout).len(), 2, "{out:?}");
    let out = run_in(
        shop.path(),
        &["check", "--no-config", "--quiet", "--statistics"],
    );
    assert_eq!(lines(&out.stdout).len(), 2, "{out:?}");
    let clean = project(&[("a.py", "x = 1\n")]);
    let out = run_in(clean.path(), &["check", "--no-config", "-q"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));

    let one = run_in(
        shop.path(),
        &["check", "--no-config", "--format", "json", "--threads", "1"],
    );
    let two = run_in(
        shop.path(),
        &["check", "--no-config", "--format", "json", "--threads", "2"],
    );
    assert_eq!(one.stdout, two.stdout);
}

// ---------------------------------------------------------------- configuration

/// A module that is a whole small project: TL101 (a task called from a task) and TL301
/// would need no other file.
const JOBS: &str = "from celery import shared_task\n\n\n@shared_task\ndef t(x):\n    return x\n\n\ndef run():\n    t(1)\n";

#[test]
fn discovery_walks_up_from_each_checked_path() {
    let p = project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"shop\"\n\n[tool.tasklint]\nignore = [\"TL101\"]\n",
        ),
        ("app/jobs/run.py", JOBS),
    ]);
    let count = |dir: &Path, args: &[&str]| -> usize {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        let out = run_in(dir, &all);
        assert_ne!(out.code, 2, "{out:?}");
        json(&out.stdout)["diagnostics"].as_array().unwrap().len()
    };
    // From the root, for a folder below it, from inside that folder, and for a file
    // named from elsewhere: the root's pyproject.toml applies.
    assert_eq!(count(p.path(), &[]), 0);
    assert_eq!(count(p.path(), &["app/jobs"]), 0);
    assert_eq!(count(&p.path().join("app/jobs"), &[]), 0);
    let outside = tempfile::tempdir().unwrap();
    let run_py = p.path().join("app/jobs/run.py");
    assert_eq!(count(outside.path(), &[run_py.to_str().unwrap()]), 0);
    // --no-config ignores it; --config names another one.
    assert_eq!(count(p.path(), &["--no-config"]), 1);
    std::fs::write(outside.path().join("other.toml"), "select = [\"TL3\"]\n").unwrap();
    let other = outside.path().join("other.toml");
    assert_eq!(count(p.path(), &["--config", other.to_str().unwrap()]), 0);
    std::fs::write(outside.path().join("other.toml"), "select = [\"TL1\"]\n").unwrap();
    assert_eq!(count(p.path(), &["--config", other.to_str().unwrap()]), 1);
    // tasklint.toml comes before pyproject.toml in the same folder.
    std::fs::write(p.path().join("tasklint.toml"), "select = [\"TL1\"]\n").unwrap();
    assert_eq!(count(p.path(), &[]), 1);
    std::fs::remove_file(p.path().join("tasklint.toml")).unwrap();
    assert_eq!(count(p.path(), &[]), 0);
    // A pyproject.toml without [tool.tasklint] is passed over; the nearest file wins.
    std::fs::write(
        p.path().join("app/pyproject.toml"),
        "[tool.black]\nline-length = 100\n",
    )
    .unwrap();
    assert_eq!(count(p.path(), &["app/jobs"]), 0);
    std::fs::write(
        p.path().join("app/tasklint.toml"),
        "extend-select = [\"TL001\"]\n",
    )
    .unwrap();
    assert_eq!(count(p.path(), &["app/jobs"]), 1);
    // Command-line selection lays over the file's: --select replaces, --ignore adds.
    std::fs::write(p.path().join("app/tasklint.toml"), "ignore = [\"TL101\"]\n").unwrap();
    assert_eq!(count(p.path(), &["app/jobs", "--select", "TL101"]), 1);
    std::fs::write(p.path().join("app/tasklint.toml"), "select = [\"TL1\"]\n").unwrap();
    assert_eq!(count(p.path(), &["app/jobs"]), 1);
    assert_eq!(count(p.path(), &["app/jobs", "--ignore", "TL101"]), 0);
}

#[test]
fn paths_under_different_configurations_use_their_own() {
    let two = project(&[
        (
            "a/tasks.py",
            "from celery import shared_task\n\n\n@shared_task\ndef t(x):\n    return x\n\n\ndef run():\n    t(1)\n",
        ),
        (
            "b/tasks.py",
            "from celery import shared_task\n\n\n@shared_task\ndef t(x):\n    return x\n\n\ndef run():\n    t(1)\n",
        ),
        ("b/tasklint.toml", "ignore = [\"TL101\"]\n"),
    ]);
    let out = run_in(two.path(), &["check", "--format", "concise", "a", "b"]);
    assert_eq!(
        lines(&out.stdout),
        [
            "a/tasks.py:10:5: warning[TL101]: task `t` is called directly, so it runs here instead of on a worker",
            "Found 1 warning in 2 files.",
            "[*] 1 fixable with `--fix`.",
        ]
    );
}

#[test]
fn config_command_shows_the_settings_and_their_file() {
    let shop = shop(&[(
        "pyproject.toml",
        "[tool.tasklint]\nselect = [\"TL1\"]\nmax-call-depth = 2\nreport-task-calls-in-tasks = true\nper-file-ignores = { \"app/urls.py\" = [\"ALL\"] }\ntask-decorators = [{ path = \"app.tasks.wrapped\", framework = \"dramatiq\" }]\n",
    )]);
    let out = run_in(&shop.path().join("app"), &["config"]);
    assert_eq!(out.code, 0, "{out:?}");
    let text = out.stdout;
    // Found by walking up from `app/`: named by the path it was found at.
    assert_eq!(
        lines(&text)[..2],
        [
            "# settings for .".to_string(),
            format!(
                "# from {} [tool.tasklint]",
                shop.path().join("pyproject.toml").display()
            )
        ],
        "{text}"
    );
    for want in [
        "select = [\"TL1\"]",
        "max-call-depth = 2",
        "report-task-calls-in-tasks = true",
        "per-file-ignores = { \"app/urls.py\" = [\"ALL\"] }",
        "task-decorators = [{ path = \"app.tasks.wrapped\", framework = \"dramatiq\" }]",
        "# rules in force: TL000, TL101, TL102",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    let out = run_in(shop.path(), &["config", "--no-config", "app/views.py"]);
    assert!(out.stdout.contains("# from: none (--no-config)"), "{out:?}");
    assert!(out.stdout.contains("# select is not set"), "{out:?}");
    let bare = project(&[("a.py", "")]);
    let out = run_in(bare.path(), &["config", "a.py"]);
    assert!(
        out.stdout
            .contains("# from: none (no tasklint.toml or pyproject.toml"),
        "{out:?}"
    );
}

/// Each broken configuration exits 2 with a message naming the file, the line and the
/// key, and what is allowed.
#[test]
fn every_configuration_error_is_reported_with_file_line_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "tasklint.toml",
            "# tasklint\n\nselct = [\"TL101\"]\n",
            "unknown key \"selct\" in tasklint.toml line 3; did you mean \"select\"?",
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.tasklint]\nextend_select = [\"TL1\"]\n",
            "unknown key \"extend_select\" in pyproject.toml line 5; did you mean \"extend-select\"?",
        ),
        (
            "tasklint.toml",
            "colour = \"always\"\n",
            "unknown key \"colour\" in tasklint.toml line 1; allowed keys: select, extend-select, ignore, exclude, extend-exclude, per-file-ignores, max-call-depth, report-task-calls-in-tasks, task-decorators, slow-calls, handler-decorators, handler-base-classes, blocking-calls",
        ),
        (
            "tasklint.toml",
            "select = [\"TL1\"\n",
            "tasklint.toml line 1 is not valid TOML",
        ),
        (
            "pyproject.toml",
            "[tool.tasklint\nselect = []\n",
            "pyproject.toml line 1 is not valid TOML",
        ),
        (
            "pyproject.toml",
            "[tool]\ntasklint = 3\n",
            "\"tool.tasklint\" in pyproject.toml line 2 must be a table",
        ),
        (
            "tasklint.toml",
            "select = \"TL101\"\n",
            "\"select\" in tasklint.toml line 1 must be a list of rule codes (\"TL101\", \"TL3\", \"ALL\"), not a string",
        ),
        (
            "tasklint.toml",
            "\nignore = [\"TL999\"]\n",
            "unknown rule selector \"TL999\" (use a code such as \"TL101\", a prefix such as \"TL1\", or \"ALL\"; `tasklint rules` lists them) in \"ignore\" in tasklint.toml line 2",
        ),
        (
            "tasklint.toml",
            "extend-select = [\"slow-call-in-handler\"]\n",
            "unknown rule selector \"slow-call-in-handler\" (selectors are codes: did you mean \"TL301\"?) in \"extend-select\" in tasklint.toml line 1",
        ),
        (
            "tasklint.toml",
            "exclude = [\"a[\"]\n",
            "invalid glob \"a[\" in \"exclude\" in tasklint.toml line 1",
        ),
        (
            "tasklint.toml",
            "extend-exclude = \"build\"\n",
            "\"extend-exclude\" in tasklint.toml line 1 must be a list of glob patterns, not a string",
        ),
        (
            "tasklint.toml",
            "per-file-ignores = [\"x\"]\n",
            "\"per-file-ignores\" in tasklint.toml line 1 must be a table of glob = [codes]",
        ),
        (
            "tasklint.toml",
            "[per-file-ignores]\n\"{a\" = [\"TL101\"]\n",
            "invalid glob \"{a\" in \"per-file-ignores\" in tasklint.toml line 2",
        ),
        (
            "tasklint.toml",
            "[per-file-ignores]\n\"a.py\" = \"TL101\"\n",
            "\"per-file-ignores\" entry \"a.py\" in tasklint.toml line 2 must be a list of rule codes",
        ),
        (
            "tasklint.toml",
            "report-task-calls-in-tasks = \"yes\"\n",
            "\"report-task-calls-in-tasks\" in tasklint.toml line 1 must be true or false, not a string",
        ),
        (
            "tasklint.toml",
            "max-call-depth = 99\n",
            "\"max-call-depth\" in tasklint.toml line 1 must be a whole number from 0 to 32, not 99",
        ),
        (
            "tasklint.toml",
            "max-call-depth = 1.5\n",
            "must be a whole number from 0 to 32, not a decimal number",
        ),
        (
            "tasklint.toml",
            "task-decorators = [\"app.wrap\"]\n",
            "\"task-decorators\" in tasklint.toml line 1 must be a list of tables such as { path = \"myproj.tasks.instrumented_task\", framework = \"celery\" }, not a string",
        ),
        (
            "tasklint.toml",
            "task-decorators = [{ path = \"app.wrap\" }]\n",
            "a \"task-decorators\" entry in tasklint.toml line 1 has no \"framework\"",
        ),
        (
            "tasklint.toml",
            "[[task-decorators]]\npath = \"app.wrap\"\nframework = \"celeri\"\n",
            "unknown framework \"celeri\" in a \"task-decorators\" entry in tasklint.toml line 3; did you mean \"celery\"? (frameworks: celery,",
        ),
        (
            "tasklint.toml",
            "task-decorators = [{ path = \"app wrap\", framework = \"celery\" }]\n",
            "\"path\" in tasklint.toml line 1: `app wrap` is not a dotted path",
        ),
        (
            "tasklint.toml",
            "\ntask-decorators = [{ path = \"a.b\", framework = \"celery\", queue = \"x\" }]\n",
            "unknown key \"queue\" in a \"task-decorators\" entry in tasklint.toml line 2; allowed keys: path, framework",
        ),
        (
            "tasklint.toml",
            "slow-calls = [{ path = \"a.b\" }]\n",
            "a \"slow-calls\" entry in tasklint.toml line 1 has no \"reason\"",
        ),
        (
            "tasklint.toml",
            "slow-calls = [{ path = \"a.b\", reason = \"\" }]\n",
            "\"reason\" in tasklint.toml line 1 is empty",
        ),
        (
            "tasklint.toml",
            "slow-calls = [{ path = \"a.b\", reason = \"x\", severity = \"high\" }]\n",
            "\"severity\" in tasklint.toml line 1 must be \"error\" or \"warning\", not \"high\"",
        ),
        (
            "tasklint.toml",
            "slow-calls = [{ path = \"a.b\", reason = \"x\", sevrity = \"error\" }]\n",
            "did you mean \"severity\"?",
        ),
        (
            "tasklint.toml",
            "handler-decorators = [\"app.route(\"]\n",
            "\"handler-decorators\" in tasklint.toml line 1: `app.route(` is not a dotted path",
        ),
        (
            "tasklint.toml",
            "handler-base-classes = [{ methods = [\"get\"] }]\n",
            "a \"handler-base-classes\" entry in tasklint.toml line 1 has no \"path\"",
        ),
        (
            "tasklint.toml",
            "handler-base-classes = [{ path = \"a.B\", methods = \"get\" }]\n",
            "\"methods\" in tasklint.toml line 1 must be a list of method names, not a string",
        ),
        (
            "tasklint.toml",
            "blocking-calls = [{ path = \"std.fs.read\", reason = \"x\" }]\n",
            "\"path\" in tasklint.toml line 1: `std.fs.read` is not a Rust path",
        ),
        (
            "tasklint.toml",
            "blocking-calls = [{ path = \"mycrate::db::query\" }]\n",
            "a \"blocking-calls\" entry in tasklint.toml line 1 has no \"reason\"",
        ),
    ];
    for (file, text, want) in cases {
        let p = project(&[("a.py", "x = 1\n"), (file, text)]);
        for args in [&["check"][..], &["config"]] {
            let out = run_in(p.path(), args);
            assert_eq!(out.code, 2, "{file}: {text}\n{out:?}");
            assert!(
                out.stderr.contains(want),
                "{file}: {text}\n  want: {want}\n  got:  {}",
                out.stderr
            );
            assert_eq!(
                out.stdout, "",
                "nothing is checked with a broken configuration"
            );
        }
    }
    // A named file that does not exist, and command-line selectors.
    let p = project(&[("a.py", "x = 1\n")]);
    let out = run_in(p.path(), &["check", "--config", "nope.toml"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "tasklint: error: configuration file nope.toml does not exist\n"
        )
    );
    let out = run_in(p.path(), &["check", "--ignore", "TL1O1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown rule selector \"TL1O1\""),
        "{out:?}"
    );
    // A broken pyproject.toml that is not meant for tasklint is none of its business.
    let p = project(&[("a.py", "x = 1\n"), ("pyproject.toml", "[tool.black\n")]);
    assert_eq!(run_in(p.path(), &["check"]).code, 0);
}

#[test]
fn a_named_task_wrapper_makes_tasks_for_every_rule() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/config_knowledge");
    let views = "myproj/views.py";
    let with = run_in(&fixture, &["check", "--format", "concise", "-q", views]);
    let without = run_in(
        &fixture,
        &["check", "--format", "concise", "-q", "--no-config", views],
    );
    assert_eq!(
        lines(&with.stdout),
        [
            "myproj/views.py:8:5: error[TL101]: task `send_welcome` is called directly, so it runs inside the request instead of on a worker",
            "myproj/views.py:10:5: error[TL102]: `.delay()` is called on `refresh_profile`, a plain function that no task decorator makes a task",
            "myproj/views.py:16:5: error[TL301]: `myproj.billing.charge_card` in request handler `pay` calls the payment provider over the network",
            "myproj/views.py:23:9: error[TL301]: `myproj.billing.charge_card` in request handler `CheckoutHandler.post` calls the payment provider over the network",
            "myproj/views.py:33:5: warning[TL101]: task `send_welcome` is called directly, so it runs here instead of on a worker",
        ],
        "{with:?}"
    );
    // Without the configuration: the wrapper returns `shared_task(...)` applied to a
    // function, so it is found anyway, but `route` and BaseHandler are not handlers (the
    // direct calls run "here", not in a request) and charge_card is not slow.
    assert_eq!(
        lines(&without.stdout),
        [
            "myproj/views.py:8:5: warning[TL101]: task `send_welcome` is called directly, so it runs here instead of on a worker",
            "myproj/views.py:10:5: error[TL102]: `.delay()` is called on `refresh_profile`, a plain function that no task decorator makes a task",
            "myproj/views.py:33:5: warning[TL101]: task `send_welcome` is called directly, so it runs here instead of on a worker",
        ],
        "{without:?}"
    );
}

// ---------------------------------------------------------------- exclude

#[test]
fn exclude_prunes_walked_folders_and_force_exclude_named_files() {
    let task = "from celery import shared_task\n\n\n@shared_task\ndef t(x):\n    return x\n\n\ndef run():\n    t(1)\n";
    let p = project(&[
        (
            "tasklint.toml",
            "extend-exclude = [\"generated\", \"legacy/*.py\"]\n",
        ),
        ("app/tasks.py", task),
        ("app/generated/0001_initial.py", task),
        ("legacy/old.py", task),
        ("legacy/keep/old.py", task),
        ("build/gen.py", task),
    ]);
    let files = |out: &Out| -> Vec<String> {
        lines(&out.stdout)
            .iter()
            .filter_map(|l| {
                l.split(':')
                    .next()
                    .filter(|f| f.ends_with(".py"))
                    .map(str::to_string)
            })
            .collect()
    };
    let out = run_in(p.path(), &["check", "--format", "concise"]);
    // `generated` at any depth, `legacy/*.py` anchored and not recursive, `build` built in.
    assert_eq!(
        files(&out),
        ["app/tasks.py", "legacy/keep/old.py"],
        "{out:?}"
    );
    // Named explicitly (as pre-commit does): checked, unless --force-exclude.
    let out = run_in(
        p.path(),
        &[
            "check",
            "--format",
            "concise",
            "app/generated/0001_initial.py",
            "legacy/old.py",
        ],
    );
    assert_eq!(
        files(&out),
        ["app/generated/0001_initial.py", "legacy/old.py"],
        "{out:?}"
    );
    let out = run_in(
        p.path(),
        &[
            "check",
            "--format",
            "concise",
            "--force-exclude",
            "app/generated/0001_initial.py",
            "legacy/old.py",
            "app/tasks.py",
        ],
    );
    assert_eq!(files(&out), ["app/tasks.py"], "{out:?}");
    // `exclude` replaces the built-in list.
    std::fs::write(p.path().join("tasklint.toml"), "exclude = [\"legacy\"]\n").unwrap();
    let out = run_in(p.path(), &["check", "--format", "concise"]);
    assert_eq!(
        files(&out),
        [
            "app/generated/0001_initial.py",
            "app/tasks.py",
            "build/gen.py"
        ],
        "{out:?}"
    );
}

// ---------------------------------------------------------------- stdin

#[test]
fn stdin_is_checked_in_place_with_the_project_from_disk() {
    let shop = shop(&[]);
    // The editor's buffer differs from the file on disk: the task and the URLconf that
    // make this a handler are only on disk.
    let buffer = "from app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt(42)\n    return \"ok\"\n";
    let out = run_with(
        bin().current_dir(shop.path()).args([
            "check",
            "--no-config",
            "--format",
            "json",
            "--stdin-filename",
            "app/views.py",
            "-",
        ]),
        Some(buffer),
    );
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out.stdout);
    validate("docs/tasklint-json-v1.schema.json", &v);
    assert_eq!(v["summary"]["files"], 1);
    let ds = v["diagnostics"].as_array().unwrap();
    assert_eq!(ds.len(), 1, "only the buffer is reported: {v}");
    assert_eq!(ds[0]["path"], "app/views.py");
    assert_eq!(ds[0]["range"]["start"]["line"], 5);
    assert!(
        ds[0]["message"]
            .as_str()
            .unwrap()
            .contains("inside the request"),
        "{v}"
    );
    assert_eq!(ds[0]["related"][0]["path"], "app/tasks.py");

    // A new file that is not on disk yet, and a buffer that does not parse.
    let out = run_with(
        bin().current_dir(shop.path()).args([
            "check",
            "--no-config",
            "--format",
            "concise",
            "--stdin-filename",
            "app/new.py",
            "-",
        ]),
        Some("from app.tasks import send_receipt\n\n\ndef f():\n    send_receipt(1)\n"),
    );
    assert_eq!(
        lines(&out.stdout)[0],
        "app/new.py:5:5: warning[TL101]: task `send_receipt` is called directly, so it runs here instead of on a worker",
        "{out:?}"
    );
    let out = run_with(
        bin().current_dir(shop.path()).args([
            "check",
            "--no-config",
            "--format",
            "concise",
            "--stdin-filename",
            "app/views.py",
            "-",
        ]),
        Some("def f(:\n"),
    );
    assert!(
        out.stdout
            .starts_with("app/views.py:1:7: error[TL000]: syntax error"),
        "{out:?}"
    );

    // Suppressions and configuration apply to the buffer as to the file.
    std::fs::write(
        shop.path().join("tasklint.toml"),
        "extend-exclude = [\"app/views.py\"]\n",
    )
    .unwrap();
    let quiet = "from app.tasks import send_receipt\n\n\ndef f():\n    send_receipt(1)  # tasklint: ignore[TL101]\n";
    let out = run_with(
        bin().current_dir(shop.path()).args([
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "app/views.py",
            "-",
        ]),
        Some(quiet),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (1 file).\n"),
        "{out:?}"
    );
    let out = run_with(
        bin().current_dir(shop.path()).args([
            "check",
            "--format",
            "concise",
            "--force-exclude",
            "--stdin-filename",
            "app/views.py",
            "-",
        ]),
        Some(buffer),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (0 files).\n"),
        "{out:?}"
    );

    // Usage errors.
    let out = run_with(
        bin().current_dir(shop.path()).args(["check", "-"]),
        Some(buffer),
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--stdin-filename"), "{out:?}");
    let out = run_with(
        bin()
            .current_dir(shop.path())
            .args(["check", "--stdin-filename", "app/views.py", "app"]),
        Some(buffer),
    );
    assert_eq!(out.code, 2, "{out:?}");
}

// ---------------------------------------------------------------- suppressions

#[test]
fn suppressions_and_unused_ones() {
    let views = "import time\n\nfrom app.tasks import send_receipt\n\n\ndef checkout(request):\n    send_receipt(1)  # tasklint: ignore[TL101]\n    time.sleep(1)  # noqa: TL301\n    x = 1  # tasklint: ignore[TL101]\n    y = 2  # tasklint: ignore[TL302]\n    return x + y\n";
    let shop = shop(&[("app/views.py", views)]);
    let out = run_in(
        shop.path(),
        &["check", "--no-config", "--format", "concise"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (4 files).\n"),
        "{out:?}"
    );
    let out = run_in(
        shop.path(),
        &[
            "check",
            "--no-config",
            "--format",
            "concise",
            "--report-unused-ignores",
            "--ignore",
            "TL302",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    // TL302 is off in this run: its suppression may matter elsewhere and is left alone.
    assert_eq!(
        lines(&out.stdout),
        [
            "app/views.py:9:31: warning[TL001]: unused suppression: no TL101 finding is reported on this line",
            "Found 1 warning in 4 files.",
        ]
    );
    // The same through the configuration.
    std::fs::write(
        shop.path().join("tasklint.toml"),
        "extend-select = [\"TL001\"]\n",
    )
    .unwrap();
    assert_eq!(
        run_in(shop.path(), &["check", "--format", "concise"]).code,
        1
    );
    // TL001 answers to per-file-ignores.
    std::fs::write(
        shop.path().join("tasklint.toml"),
        "extend-select = [\"TL001\"]\nper-file-ignores = { \"views.py\" = [\"TL001\"] }\n",
    )
    .unwrap();
    assert_eq!(
        run_in(shop.path(), &["check", "--format", "concise"]).code,
        0
    );
}

/// `per-file-ignores` on the shop, whose views have no suppression comment: the view's
/// two findings (TL101 line 7, TL301 line 8) go exactly as far as the patterns say.
#[test]
fn per_file_ignores_drop_the_listed_rules_in_matching_files() {
    let shop = shop(&[]);
    let concise = |config: Option<&str>| {
        if let Some(c) = config {
            std::fs::write(shop.path().join("tasklint.toml"), c).unwrap();
        }
        let out = run_in(shop.path(), &["check", "--no-cache", "--format", "concise"]);
        (out.code, out.stdout)
    };
    let tl101 = "app/views.py:7:5: error[TL101]: task `send_receipt` is called directly, so it runs inside the request instead of on a worker";
    let tl301 = "app/views.py:8:5: error[TL301]: `time.sleep` in request handler `checkout` sleeps while the request waits";
    let (code, out) = concise(None);
    assert_eq!(code, 1);
    assert_eq!(lines(&out)[..2], [tl101, tl301], "{out}");
    // Relative to the configuration's folder; codes and prefixes.
    let (code, out) = concise(Some(
        "[per-file-ignores]\n\"app/views.py\" = [\"TL101\", \"TL3\"]\n",
    ));
    assert_eq!((code, out.as_str()), (0, "All checks passed (4 files).\n"));
    // Only the rules listed.
    let (code, out) = concise(Some("[per-file-ignores]\n\"app/views.py\" = [\"TL101\"]\n"));
    assert_eq!(code, 1);
    assert_eq!(lines(&out)[0], tl301, "{out}");
    assert_eq!(lines(&out)[1], "Found 1 error in 4 files.", "{out}");
    // Globs; a pattern that matches nothing changes nothing.
    let (code, _) = concise(Some("[per-file-ignores]\n\"app/*.py\" = [\"ALL\"]\n"));
    assert_eq!(code, 0);
    let (code, out) = concise(Some("[per-file-ignores]\n\"other/*.py\" = [\"ALL\"]\n"));
    assert_eq!(code, 1);
    assert_eq!(lines(&out)[..2], [tl101, tl301], "{out}");
}

#[test]
fn the_suppression_fixture_from_the_command_line() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/suppressions");
    let out = run_in(&fixture, &["check", "--format", "concise", "--statistics"]);
    assert_eq!(
        lines(&out.stdout),
        [
            "6  TL101  task-called-directly",
            "2  TL301  slow-call-in-handler",
            "Found 8 errors in 7 files.",
            "[*] 6 fixable with `--fix`."
        ],
        "{out:?}"
    );
    let out = run_in(
        &fixture,
        &[
            "check",
            "--format",
            "concise",
            "--statistics",
            "--report-unused-ignores",
        ],
    );
    assert!(
        lines(&out.stdout).contains(&"11  TL001  unused-suppression"),
        "{out:?}"
    );
}

/// The full example of docs/configuration.md is a configuration tasklint accepts.
#[test]
fn the_documented_example_configuration_is_valid() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let example = doc
        .split("## A full example (`pyproject.toml`)")
        .nth(1)
        .and_then(|rest| rest.split("```toml\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("docs/configuration.md has its full example");
    let p = project(&[("pyproject.toml", example), ("a.py", "x = 1\n")]);
    let out = run_in(p.path(), &["config"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("# from pyproject.toml [tool.tasklint]"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("\"conftest.py\" = [\"ALL\"]"),
        "{out:?}"
    );
    assert_eq!(run_in(p.path(), &["check"]).code, 0);
}

/// A reader that stops early (`tasklint check . | head -1`) is not an error: no message,
/// and the exit code of the check (1: it has findings), or 0 for the other commands.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    // Far more output than a pipe holds, so the writer meets the closed pipe.
    let mut files = vec![(
        "app/tasks.py".to_string(),
        "from celery import shared_task\n\n\n@shared_task\ndef ping(x):\n    return x\n"
            .to_string(),
    )];
    files.push(("app/__init__.py".into(), String::new()));
    for i in 0..400 {
        files.push((
            format!("app/view_{i}.py"),
            "from rest_framework.decorators import api_view\n\nfrom .tasks import ping\n\n\n@api_view([\"POST\"])\ndef home(request):\n    ping(1)\n    ping(2)\n    ping(3)\n".to_string(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let tmp = project(&refs);
    let cases: [(&[&str], i32); 2] = [(&["check", ".", "--no-cache"], 1), (&["rule", "--all"], 0)];
    for (args, expected) in cases {
        let mut child = bin()
            .current_dir(tmp.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is dropped here: the pipe closes.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!first.is_empty(), "{args:?}");
        assert_eq!(out.status.code(), Some(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}
