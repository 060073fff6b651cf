//! No input breaks a check: every odd file of issue 4 next to a healthy one, and the
//! healthy one's finding is still reported (nothing lost); the summary counts what was
//! skipped and why. Fixtures are generated here, never committed.
//!
//! Each case is written once per language through [`Lang`]: when the Rust frontend
//! lands, adding `RUST` to [`LANGS`] (and its snippets) runs every case on Rust too.

use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use tasklint::check::{CheckOutput, Options, check, check_discovered};
use tasklint::report::{Emitter, Json, Summary};
use tasklint::settings::Settings;

/// What a case needs to know about a language.
struct Lang {
    ext: &'static str,
    /// A project where `FINDING_FILE` has one finding (`FINDING_CODE`) at `finding_line`.
    healthy: &'static [(&'static str, &'static str)],
    finding_file: &'static str,
    finding_code: &'static str,
    finding_line: u32,
    /// A source line that makes the file one tasklint must parse (the prefilter keeps it).
    relevant: &'static str,
    /// `depth` nested brackets around an expression, as a whole statement.
    nested_brackets: fn(usize) -> String,
    /// `depth` nested blocks.
    nested_blocks: fn(usize) -> String,
    /// Where a big file goes (inside the project's module tree).
    big_file: &'static str,
    /// A statement with a finding (the task call of `healthy`), for files of any size,
    /// and the line of the finding within it (1-based).
    finding_statement: &'static str,
    finding_statement_line: u32,
    /// A function to repeat to make a big file.
    filler: &'static str,
    /// A string literal of about `bytes` bytes, as a statement (the bulk of a big file:
    /// a generated data module; a debug build parses it in seconds).
    big_literal: fn(usize) -> String,
}

const PYTHON: Lang = Lang {
    ext: "py",
    healthy: &[
        (
            "app/tasks.py",
            "from celery import shared_task\n\n\n@shared_task\ndef ping(x):\n    return x\n",
        ),
        ("app/__init__.py", ""),
        (
            "app/views.py",
            "from django.urls import path\n\nfrom .tasks import ping\n\n\ndef home(request):\n    ping(1)\n    return None\n\n\nurlpatterns = [path('', home)]\n",
        ),
    ],
    finding_file: "app/views.py",
    finding_code: "TL101",
    finding_line: 7,
    relevant: "from celery import shared_task\n",
    nested_brackets: |depth| format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth)),
    nested_blocks: |depth| {
        let mut s = String::with_capacity(depth * depth / 2 + depth * 8);
        for i in 0..depth {
            s.push_str(&" ".repeat(i));
            s.push_str("if x:\n");
        }
        s.push_str(&" ".repeat(depth));
        s.push_str("pass\n");
        s
    },
    big_file: "big.py",
    finding_statement: "from app.tasks import ping\n\n\ndef later():\n    ping(2)\n",
    finding_statement_line: 5,
    filler: "def helper_{}(a, b=1, *args, **kwargs):\n    total = a + b\n    for i in range(10):\n        total += i * len(args)\n    return {{'total': total, 'kw': kwargs}}\n\n\n",
    big_literal: |bytes| {
        let line = format!("{}\n", "lorem ipsum dolor sit amet ".repeat(3));
        format!("DATA = \"\"\"\n{}\"\"\"\n", line.repeat(bytes / line.len()))
    },
};

const RUST: Lang = Lang {
    ext: "rs",
    healthy: &[
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.7\"\ntokio = { version = \"1\", features = [\"full\"] }\n",
        ),
        (
            "src/main.rs",
            "mod big;\n\nuse axum::{routing::get, Router};\n\nasync fn home() -> &'static str {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n    \"ok\"\n}\n\n#[tokio::main]\nasync fn main() {\n    let app: Router = Router::new().route(\"/\", get(home));\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:3000\").await.unwrap();\n    axum::serve(listener, app).await.unwrap();\n}\n",
        ),
        // The cases below write their odd files under `app/`.
        ("app/README.md", "odd files go here\n"),
    ],
    finding_file: "src/main.rs",
    finding_code: "TL302",
    finding_line: 6,
    relevant: "use std::fs;\n",
    nested_brackets: |depth| {
        format!(
            "fn f() {{ let x = {}1{}; }}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    },
    nested_blocks: |depth| format!("fn f() {}{}\n", "{".repeat(depth), "}".repeat(depth)),
    big_file: "src/big.rs",
    finding_statement: "\npub async fn later() {\n    std::thread::sleep(std::time::Duration::from_secs(2));\n}\n",
    finding_statement_line: 3,
    filler: "fn helper_{}(a: u64, b: u64) -> u64 {{\n    let mut total = a + b;\n    for i in 0..10 {{\n        total += i * b;\n    }}\n    total\n}}\n\n",
    big_literal: |bytes| {
        let line = format!("{}\n", "lorem ipsum dolor sit amet ".repeat(3));
        format!(
            "pub const DATA: &str = \"\n{}\";\n",
            line.repeat(bytes / line.len())
        )
    },
};

const LANGS: &[&Lang] = &[&PYTHON, &RUST];

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn healthy_project(lang: &Lang) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for (rel, text) in lang.healthy {
        write(t.path(), rel, text.as_bytes());
    }
    t
}

fn settings() -> Settings {
    Settings {
        select: Some(vec!["ALL".into()]),
        ..Settings::default()
    }
}

fn run(paths: &[PathBuf]) -> CheckOutput {
    check(Options {
        paths: paths.to_vec(),
        settings: settings(),
        knowledge: tasklint::knowledge::BUILTIN.clone(),
        threads: Some(2),
    })
    .expect("the check runs")
}

fn run_dir(dir: &Path) -> CheckOutput {
    run(&[dir.to_path_buf()])
}

fn json(out: &CheckOutput) -> serde_json::Value {
    let mut summary = Summary::new(out.files_checked, &out.diagnostics);
    summary.skipped = out.skipped.clone();
    let mut buf = NoColor::new(Vec::new());
    Json.emit(&mut buf, &out.diagnostics, &out.project.files, &summary)
        .unwrap();
    serde_json::from_slice(buf.get_ref()).unwrap()
}

/// (path ending, code, line) of every finding.
fn findings(out: &CheckOutput) -> Vec<(String, String, u32)> {
    out.diagnostics
        .iter()
        .map(|d| {
            let f = &out.project.files[d.file];
            (
                f.display.replace('\\', "/"),
                d.code.to_string(),
                f.position(d.span.start).line,
            )
        })
        .collect()
}

/// The healthy file's finding is there: one broken file never hides another's.
fn assert_nothing_lost(lang: &Lang, out: &CheckOutput) {
    let all = findings(out);
    assert!(
        all.iter().any(|(p, c, l)| p.ends_with(lang.finding_file)
            && c == lang.finding_code
            && *l == lang.finding_line),
        "the finding in {} is lost: {all:?}",
        lang.finding_file
    );
}

fn tl000_in(out: &CheckOutput, file: &str) -> Vec<String> {
    out.diagnostics
        .iter()
        .filter(|d| d.code == "TL000" && out.project.files[d.file].display.ends_with(file))
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn deeply_nested_brackets() {
    for lang in LANGS {
        let t = healthy_project(lang);
        let deep = format!("{}{}", lang.relevant, (lang.nested_brackets)(10_000));
        write(t.path(), &format!("app/deep.{}", lang.ext), deep.as_bytes());
        let out = run_dir(t.path());
        assert_nothing_lost(lang, &out);
        let problems = tl000_in(&out, &format!("deep.{}", lang.ext));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(out.skipped.syntax, 1);
    }
}

#[test]
fn deeply_nested_blocks() {
    for lang in LANGS {
        let t = healthy_project(lang);
        let deep = format!("{}{}", lang.relevant, (lang.nested_blocks)(10_000));
        write(t.path(), &format!("app/deep.{}", lang.ext), deep.as_bytes());
        let out = run_dir(t.path());
        assert_nothing_lost(lang, &out);
        assert_eq!(tl000_in(&out, &format!("deep.{}", lang.ext)).len(), 1);
    }
}

#[test]
fn a_20_mb_source_file() {
    for lang in LANGS {
        let t = healthy_project(lang);
        // Thousands of functions (no name is looked up by a scan of the whole module),
        // then data up to 20 MB.
        let mut big = String::from(lang.relevant);
        for i in 0..3000 {
            big.push_str(&lang.filler.replace("{}", &i.to_string()));
        }
        big.push_str(&(lang.big_literal)(20 * 1024 * 1024 - big.len()));
        assert!(big.len() >= 20 * 1024 * 1024 - 1024);
        let line = big.lines().count() as u32 + lang.finding_statement_line;
        big.push_str(lang.finding_statement);
        write(t.path(), lang.big_file, big.as_bytes());
        let out = run_dir(t.path());
        assert_nothing_lost(lang, &out);
        let all = findings(&out);
        // The big file is checked to its end: its own finding, on its last lines.
        assert!(
            all.iter().any(|(p, c, l)| p.ends_with(lang.big_file)
                && c == lang.finding_code
                && *l == line),
            "{all:?}"
        );
    }
}

#[test]
fn invalid_utf8_binary_and_empty_files() {
    for lang in LANGS {
        let t = healthy_project(lang);
        write(
            t.path(),
            &format!("app/latin1.{}", lang.ext),
            b"x = '\xe9'\n",
        );
        write(
            t.path(),
            &format!("app/blob.{}", lang.ext),
            b"\x7fELF\x00\x01\x02\x03",
        );
        write(t.path(), &format!("app/empty.{}", lang.ext), b"");
        let out = run_dir(t.path());
        assert_nothing_lost(lang, &out);
        assert_eq!(
            tl000_in(&out, &format!("latin1.{}", lang.ext)),
            ["not UTF-8 text (invalid byte at offset 5)"]
        );
        assert_eq!(
            tl000_in(&out, &format!("blob.{}", lang.ext)),
            ["binary file (it contains NUL bytes)"]
        );
        assert!(tl000_in(&out, &format!("empty.{}", lang.ext)).is_empty());
        assert_eq!((out.skipped.not_utf8, out.skipped.binary), (1, 1));
        let v = json(&out);
        assert_eq!(v["summary"]["skipped"]["binary"], 1, "{v}");
    }
}

/// Where a finding is, in JSON: (line, column, offset) of its start.
fn start_of(v: &serde_json::Value, file: &str) -> (u64, u64, u64) {
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("no finding in {file}: {v}"));
    let s = &d["range"]["start"];
    (
        s["line"].as_u64().unwrap(),
        s["column"].as_u64().unwrap(),
        s["offset"].as_u64().unwrap(),
    )
}

#[test]
fn bom_crlf_tabs_and_wide_characters_keep_positions_right() {
    let lang = &PYTHON;
    let t = healthy_project(lang);
    // A BOM, then CRLF line endings.
    let bom = "\u{feff}from app.tasks import ping\r\n\r\n\r\ndef a(request):\r\n    ping(1)\r\n";
    write(t.path(), "app/bom.py", bom.as_bytes());
    // A tab and wide characters before the call on its line.
    let wide = "from app.tasks import ping\n\n\ndef b(request):\n\tx = '日本語'; ping(2)\n";
    write(t.path(), "app/wide.py", wide.as_bytes());
    let out = run_dir(t.path());
    assert_nothing_lost(lang, &out);
    let v = json(&out);
    let at = bom.find("ping(1)").unwrap() as u64;
    assert_eq!(start_of(&v, "bom.py"), (5, 5, at));
    // Columns count characters: `\t` is one, each of `日本語` is one.
    let at = wide.find("ping(2)").unwrap() as u64;
    assert_eq!(start_of(&v, "wide.py"), (5, 13, at));
    assert!(tl000_in(&out, "bom.py").is_empty());
}

#[test]
fn bom_crlf_tabs_and_wide_characters_keep_positions_right_in_rust() {
    let lang = &RUST;
    let t = healthy_project(lang);
    // A BOM, then CRLF line endings.
    let bom = "\u{feff}pub async fn a() {\r\n    std::thread::sleep(std::time::Duration::from_secs(1));\r\n}\r\n";
    write(t.path(), "src/bom.rs", bom.as_bytes());
    // A tab and wide characters before the call on its line.
    let wide = "pub async fn b() {\n\tlet _x = \"日本語\"; std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    write(t.path(), "src/wide.rs", wide.as_bytes());
    let out = run_dir(t.path());
    assert_nothing_lost(lang, &out);
    let v = json(&out);
    let at = bom.find("std::thread::sleep").unwrap() as u64;
    assert_eq!(start_of(&v, "bom.rs"), (2, 5, at));
    // Columns count characters: `\t` is one, each of `日本語` is one.
    let at = wide.find("std::thread::sleep").unwrap() as u64;
    assert_eq!(start_of(&v, "wide.rs"), (2, 18, at));
    assert!(tl000_in(&out, "bom.rs").is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed() {
    for lang in LANGS {
        let t = healthy_project(lang);
        std::os::unix::fs::symlink(".", t.path().join("app/loop")).unwrap();
        std::os::unix::fs::symlink(
            format!("b.{}", lang.ext),
            t.path().join(format!("app/a.{}", lang.ext)),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            format!("a.{}", lang.ext),
            t.path().join(format!("app/b.{}", lang.ext)),
        )
        .unwrap();
        let out = run_dir(t.path());
        assert_nothing_lost(lang, &out);
        let sources = lang
            .healthy
            .iter()
            .filter(|(p, _)| p.ends_with(&format!(".{}", lang.ext)))
            .count();
        assert_eq!(out.files_checked, sources);
    }
}

/// A file that cannot be read. Tests may run as root, where `chmod 000` does not stop
/// reading: a dangling symlink and a FIFO named on the command line cannot be read by
/// anyone (and a FIFO must not hang the run); `chmod 000` is checked too when it works.
#[cfg(unix)]
#[test]
fn unreadable_files() {
    use std::os::unix::fs::PermissionsExt;
    for lang in LANGS {
        let t = healthy_project(lang);
        let dangling = t.path().join(format!("app/gone.{}", lang.ext));
        std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
        let fifo = t.path().join(format!("app/pipe.{}", lang.ext));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        let locked = t.path().join(format!("app/locked.{}", lang.ext));
        std::fs::write(&locked, lang.relevant).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let locked_works = std::fs::read(&locked).is_err();
        let mut paths = vec![t.path().to_path_buf(), dangling.clone()];
        if made {
            paths.push(fifo.clone());
        }
        let out = run(&paths);
        assert_nothing_lost(lang, &out);
        let gone = tl000_in(&out, &format!("gone.{}", lang.ext));
        assert!(gone[0].starts_with("cannot read file: "), "{gone:?}");
        if made {
            assert_eq!(
                tl000_in(&out, &format!("pipe.{}", lang.ext)),
                ["cannot read file: not a regular file"]
            );
        }
        if locked_works {
            let locked = tl000_in(&out, &format!("locked.{}", lang.ext));
            assert!(locked[0].contains("ermission denied"), "{locked:?}");
        }
        assert!(out.skipped.unreadable >= 1 + usize::from(made) + usize::from(locked_works));
        std::fs::set_permissions(
            t.path().join(format!("app/locked.{}", lang.ext)),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_path_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    for lang in LANGS {
        let t = healthy_project(lang);
        let mut name = b"app/caf\xe9.".to_vec();
        name.extend_from_slice(lang.ext.as_bytes());
        let path = t.path().join(std::ffi::OsStr::from_bytes(&name));
        std::fs::write(&path, lang.finding_statement).unwrap();
        let out = run_dir(t.path());
        assert_nothing_lost(lang, &out);
        // The byte that is not UTF-8 is shown as `\xe9`, never as U+FFFD.
        let shown = format!("app/caf\\xe9.{}", lang.ext);
        assert!(
            out.diagnostics.iter().any(|d| {
                out.project.files[d.file].display.ends_with(&shown) && d.code == lang.finding_code
            }),
            "{:?}",
            findings(&out)
        );
        // The JSON report is still valid JSON.
        json(&out);
    }
}

#[test]
fn a_file_deleted_while_the_walk_runs() {
    for lang in LANGS {
        let t = healthy_project(lang);
        let doomed = t.path().join(format!("app/doomed.{}", lang.ext));
        std::fs::write(&doomed, lang.relevant).unwrap();
        // Discover, then delete, then read: what a concurrent `git checkout` does.
        let discovered = tasklint::discover::discover(&[t.path().to_path_buf()]).unwrap();
        std::fs::remove_file(&doomed).unwrap();
        let out = check_discovered(
            discovered,
            settings(),
            tasklint::knowledge::BUILTIN.clone(),
            Some(2),
        )
        .unwrap();
        assert_nothing_lost(lang, &out);
        let gone = tl000_in(&out, &format!("doomed.{}", lang.ext));
        assert!(gone[0].starts_with("cannot read file: "), "{gone:?}");
        assert_eq!(out.skipped.unreadable, 1);
    }
}
