//! No input breaks a check: every odd file of issue 4 next to a healthy one, and the
//! healthy one's finding is still reported (nothing lost); the summary counts what was
//! skipped and why. Fixtures are generated here, never committed. Every run must be
//! sound: no finding says "internal error" (a panic a frontend or a rule hit, caught),
//! each TL000 gives the reason the case expects, and the JSON report matches the schema.
//!
//! Each case is written once per language through [`Lang`]: when the Rust frontend
//! lands, adding `RUST` to [`LANGS`] (and its snippets) runs every case on Rust too.

mod common;

use std::path::{Path, PathBuf};

use tasklint::check::{CheckOutput, Options, check, check_discovered};
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
    /// The TL000 reason for brackets nested deeper than the frontend lowers.
    too_deep: &'static str,
    /// The TL000 reason for blocks nested that deep.
    too_deep_blocks: &'static str,
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
    too_deep: "nesting deeper than 200 levels; this file is not checked",
    // CPython itself refuses more than 100 levels of indentation ("too many levels of
    // indentation"); tree-sitter's indentation scanner gives up on the file too.
    too_deep_blocks: "syntax error: invalid syntax",
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
    too_deep: "nesting deeper than 256 levels; this file is not checked",
    too_deep_blocks: "nesting deeper than 256 levels; this file is not checked",
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
    let out = check(Options {
        paths: paths.to_vec(),
        settings: settings(),
        knowledge: tasklint::knowledge::BUILTIN.clone(),
        threads: Some(2),
    })
    .expect("the check runs");
    sound(&out);
    out
}

/// What every run here must be: no finding says "internal error" (a panic caught in a
/// frontend or a rule), TL000 gives only known reasons, and the JSON report matches the
/// published schema.
fn sound(out: &CheckOutput) {
    common::assert_no_internal_error(out);
    let errors = common::json_schema_errors(&json(out));
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn run_dir(dir: &Path) -> CheckOutput {
    run(&[dir.to_path_buf()])
}

fn json(out: &CheckOutput) -> serde_json::Value {
    common::json_report(out)
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
        assert_eq!(
            tl000_in(&out, &format!("deep.{}", lang.ext)),
            [lang.too_deep]
        );
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
        assert_eq!(
            tl000_in(&out, &format!("deep.{}", lang.ext)),
            [lang.too_deep_blocks]
        );
    }
}

/// Ends `big` with the language's finding statement, writes it as the project's big file
/// and checks the project: the line that finding must be on, and every finding.
fn check_big_file(lang: &Lang, dir: &Path, mut big: String) -> (u32, Vec<(String, String, u32)>) {
    let line = big.lines().count() as u32 + lang.finding_statement_line;
    big.push_str(lang.finding_statement);
    write(dir, lang.big_file, big.as_bytes());
    let out = run_dir(dir);
    assert_nothing_lost(lang, &out);
    (line, findings(&out))
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
        let (line, all) = check_big_file(lang, t.path(), big);
        // The big file is checked to its end: its own finding, on its last lines.
        assert!(
            all.iter().any(|(p, c, l)| p.ends_with(lang.big_file)
                && c == lang.finding_code
                && *l == line),
            "{all:?}"
        );
    }
}

/// A generated data module: megabytes of constant records (read from bytes, left out of
/// the parse), then a statement with a finding. The finding keeps its line; a call inside
/// a literal of the same size keeps the literal in the parse, and is reported.
#[test]
fn a_large_constant_literal_is_skipped_and_lines_hold() {
    let lang = &PYTHON;
    let record = |i: usize| {
        format!(
            "    {{'id': {i}, \"name\": 'item-{i}', 'tags': ['a', 'b'], 'v': -{i}.5e-3, 'n': None}},\n"
        )
    };
    for with_call in [false, true] {
        let t = healthy_project(lang);
        let mut big = String::from("from app.tasks import ping\n\nDATA = [\n");
        let mut i = 0;
        while big.len() < 2 * 1024 * 1024 {
            big.push_str(&record(i));
            i += 1;
        }
        let call_line = big.lines().count() as u32 + 1;
        if with_call {
            big.push_str("    {'first': ping(3)},\n");
        }
        big.push_str("]\n");
        let (line, all) = check_big_file(lang, t.path(), big);
        let in_big: Vec<u32> = all
            .iter()
            .filter(|(p, c, _)| p.ends_with(lang.big_file) && c == lang.finding_code)
            .map(|(_, _, l)| *l)
            .collect();
        let expected = if with_call {
            vec![call_line, line]
        } else {
            vec![line]
        };
        assert_eq!(in_big, expected, "{all:?}");
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

/// Files that cannot be read by anyone, root included: a dangling symlink, a symlink
/// loop, and a FIFO named on the command line (which must not hang the run).
#[cfg(unix)]
#[test]
fn unreadable_files() {
    for lang in LANGS {
        let t = healthy_project(lang);
        let dangling = t.path().join(format!("app/gone.{}", lang.ext));
        std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
        let looping = t.path().join(format!("app/loop_a.{}", lang.ext));
        std::os::unix::fs::symlink(format!("loop_b.{}", lang.ext), &looping).unwrap();
        std::os::unix::fs::symlink(
            format!("loop_a.{}", lang.ext),
            t.path().join(format!("app/loop_b.{}", lang.ext)),
        )
        .unwrap();
        let fifo = t.path().join(format!("app/pipe.{}", lang.ext));
        mkfifo(&fifo);
        let out = run(&[t.path().to_path_buf(), dangling, looping, fifo]);
        assert_nothing_lost(lang, &out);
        let gone = tl000_in(&out, &format!("gone.{}", lang.ext));
        assert_eq!(gone.len(), 1, "{gone:?}");
        assert!(
            gone[0].starts_with("cannot read file: No such file or directory"),
            "{gone:?}"
        );
        let looped = tl000_in(&out, &format!("loop_a.{}", lang.ext));
        assert_eq!(looped.len(), 1, "{looped:?}");
        assert!(
            looped[0].starts_with("cannot read file: Too many levels of symbolic links"),
            "{looped:?}"
        );
        assert_eq!(
            tl000_in(&out, &format!("pipe.{}", lang.ext)),
            ["cannot read file: not a regular file"]
        );
        assert_eq!(out.skipped.unreadable, 3);
    }
}

/// Makes a FIFO (a named pipe), without the `mkfifo` program.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that lives across the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

/// A file its reader has no permission to read. `chmod 000` stops everyone but root, and
/// CI runs as root: then tasklint runs as `nobody` (uid 65534), for whom it does.
#[cfg(unix)]
#[test]
fn a_file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    for lang in LANGS {
        let t = healthy_project(lang);
        let locked = t.path().join(format!("app/locked.{}", lang.ext));
        std::fs::write(&locked, lang.relevant).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let mut cmd = std::process::Command::new(tasklint_binary_for_anyone());
        cmd.args(["check", ".", "--no-cache", "--no-config", "--select", "ALL"])
            .args(["--format", "json"])
            .current_dir(t.path());
        if root {
            // Everything else stays readable to `nobody`: the folders and the files.
            for e in walkdir::WalkDir::new(t.path()) {
                let e = e.unwrap();
                if e.path() != locked {
                    let mode = if e.file_type().is_dir() { 0o755 } else { 0o644 };
                    std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode))
                        .unwrap();
                }
            }
            cmd.uid(65534).gid(65534);
        }
        let o = cmd.output().expect("tasklint runs");
        let report: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
        assert_eq!(o.status.code(), Some(1), "{report}");
        let errors = common::json_schema_errors(&report);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        let of = |file: &str| -> Vec<(String, String, u64)> {
            report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["path"].as_str().unwrap().ends_with(file))
                .map(|d| {
                    (
                        d["code"].as_str().unwrap().to_string(),
                        d["message"].as_str().unwrap().to_string(),
                        d["range"]["start"]["line"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(
            of(&format!("locked.{}", lang.ext)),
            [(
                "TL000".to_string(),
                "cannot read file: Permission denied (os error 13)".to_string(),
                1
            )],
            "{report}"
        );
        assert!(
            of(lang.finding_file)
                .iter()
                .any(|(c, _, l)| c == lang.finding_code && *l == u64::from(lang.finding_line)),
            "{report}"
        );
        assert_eq!(report["summary"]["skipped"]["unreadable"], 1, "{report}");
    }
}

/// The tasklint binary at a path every user can execute (the build folder may sit under
/// a home folder only its owner can enter).
#[cfg(unix)]
fn tasklint_binary_for_anyone() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    static COPY: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let built = PathBuf::from(env!("CARGO_BIN_EXE_tasklint"));
    let reachable = built
        .ancestors()
        .skip(1)
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    if reachable {
        return built;
    }
    let (_, path) = COPY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().join("tasklint");
        std::fs::copy(&built, &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        (dir, path)
    });
    path.clone()
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
        sound(&out);
        assert_nothing_lost(lang, &out);
        let gone = tl000_in(&out, &format!("doomed.{}", lang.ext));
        assert!(gone[0].starts_with("cannot read file: "), "{gone:?}");
        assert_eq!(out.skipped.unreadable, 1);
    }
}
