//! tasklint on hostile input and in hostile places: every regression test of the
//! "safe to run on any checkout" work (issue 14) that is about output, `--fix`, bounds
//! and the project root. Each test names the attack it stops.
//!
//! Most run the built binary on a project written to a temporary folder, as CI and
//! pre-commit do; the `--fix` writer's races (a file edited or replaced between the
//! check and the write) are driven through the library, where the test can act between
//! the two.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tasklint"));
    c.env_remove("NO_COLOR").env_remove("TASKLINT_CACHE_DIR");
    c
}

fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Out {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the tasklint binary runs");
    if let Some(bytes) = stdin {
        match child.stdin.take().unwrap().write_all(bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.unwrap(),
        }
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Out {
    run(bin().current_dir(dir).args(args), None)
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

fn json(s: &[u8]) -> Value {
    serde_json::from_slice(s)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(s)))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// A blocking call in `async def`: TL302 on line 3, column 5, whatever the file's name.
const BLOCKING: &str = "import time\n\n\nasync def f():\n    time.sleep(1)\n";

/// A file name a stranger's pull request can carry: a newline followed by a GitHub
/// workflow command, and an ANSI colour escape.
fn hostile_name() -> &'static OsStr {
    OsStr::from_bytes(b"evil\n::error file=a.py,line=1::pwned\x1b[31m.py")
}

/// What GitHub's runner does to a property value or a message (actions/toolkit
/// `command.ts`, undone).
fn github_unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// No byte of stdout is a control character other than `\n`, and no line but our own
/// annotations starts a workflow command.
fn assert_no_raw_control(out: &Out, annotations: usize) {
    for (i, b) in out.stdout.iter().enumerate() {
        assert!(
            *b == b'\n' || (*b >= 0x20 && *b != 0x7f),
            "raw control byte {b:#04x} at {i} in {out:?}"
        );
    }
    let text = out.stdout();
    // C1 controls (U+0080–U+009F) are two bytes in UTF-8, and terminals honour some.
    assert!(!text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)));
    let commands = text.lines().filter(|l| l.starts_with("::")).count();
    assert_eq!(commands, annotations, "{out:?}");
}

// ---------------------------------------------------------------- output escaping

#[test]
fn newline_and_ansi_in_a_file_name_are_escaped_in_text_concise_and_github() {
    let p = project(&[]);
    std::fs::write(p.path().join(hostile_name()), BLOCKING).unwrap();
    let escaped = "evil\\n::error file=a.py,line=1::pwned\\u{1b}[31m.py";

    let out = run_in(p.path(), &["check", "--no-config", "--no-cache"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_no_raw_control(&out, 0);
    assert!(
        out.stdout().contains(&format!("┌─ {escaped}:5:5")),
        "{out:?}"
    );

    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "concise"],
    );
    assert_no_raw_control(&out, 0);
    assert!(
        out.stdout()
            .starts_with(&format!("{escaped}:5:5: error[TL302]: ")),
        "{out:?}"
    );

    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "github"],
    );
    assert_no_raw_control(&out, 1);
    let line = out.stdout().lines().next().unwrap().to_string();
    let file = line
        .strip_prefix("::error file=")
        .and_then(|l| l.split_once(",line=5,"))
        .unwrap_or_else(|| panic!("{out:?}"))
        .0
        .to_string();
    // The newline and the `::` come back whole from GitHub's own unescaping (the
    // annotation lands on the file); the escape character is shown, never sent.
    assert_eq!(
        github_unescape(&file),
        "evil\n::error file=a.py,line=1::pwned\\u{1b}[31m.py"
    );
}

#[test]
fn newline_and_ansi_in_a_task_name_string_are_escaped_in_text_concise_and_github() {
    // A triple-quoted task name holds a real newline; the escape character is a real
    // byte of the source, inside the string and so on the source line shown.
    let tasks = "from celery import Celery\n\napp = Celery(\"x\")\n\n\ndef go():\n    app.send_task(\"\"\"tasks.nope\n::error file=x.py::pwned\x1b]0;title\x07\"\"\")\n";
    let p = project(&[("tasks.py", tasks)]);
    let escaped = "tasks.nope\\n::error file=x.py::pwned\\u{1b}]0;title\\u{7}";

    let out = run_in(p.path(), &["check", "--no-config", "--no-cache"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_no_raw_control(&out, 0);
    let text = out.stdout();
    assert!(text.contains(&format!("name `{escaped}`")), "{out:?}");
    // The source line itself, under the `│`, is escaped too.
    assert!(
        text.contains("│ ::error file=x.py::pwned\\u{1b}]0;title\\u{7}\"\"\")"),
        "{out:?}"
    );

    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "concise"],
    );
    assert_no_raw_control(&out, 0);
    assert_eq!(out.stdout().lines().count(), 2, "{out:?}");
    assert!(out.stdout().contains(escaped), "{out:?}");

    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "github"],
    );
    assert_no_raw_control(&out, 1);
    let first = out.stdout().lines().next().unwrap().to_string();
    let message = first
        .split_once("::")
        .unwrap()
        .1
        .split_once("::")
        .unwrap()
        .1;
    assert!(
        github_unescape(message).contains(&format!("name `{escaped}`")),
        "{out:?}"
    );
}

#[test]
fn warnings_on_standard_error_escape_file_names() {
    // A fix refused because it would not parse names the file on stderr; here the
    // file name itself carries the injection. The simplest stderr line naming a file:
    // a named path that does not exist.
    let p = project(&[]);
    let out = run(
        bin()
            .current_dir(p.path())
            .arg("check")
            .arg(OsStr::from_bytes(b"gone\n::error::pwned\x1b[2J.py")),
        None,
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!out.stderr.contains('\x1b'), "{out:?}");
    assert!(!out.stderr.lines().any(|l| l.starts_with("::")), "{out:?}");
}

#[test]
fn json_and_sarif_keep_the_bytes_of_paths() {
    let p = project(&[]);
    let names: [&[u8]; 3] = [b"back\\slash.py", b"line\nbreak.py", b"latin\xe9.py"];
    for name in names {
        std::fs::write(p.path().join(OsStr::from_bytes(name)), BLOCKING).unwrap();
    }
    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "json"],
    );
    let v = json(&out.stdout);
    let mut paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    paths.sort();
    // UTF-8 names exactly; a byte that is not UTF-8 as `\xNN` (docs/formats.md).
    assert_eq!(
        paths,
        ["back\\slash.py", "latin\\xe9.py", "line\nbreak.py"],
        "{out:?}"
    );

    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "sarif"],
    );
    let v = json(&out.stdout);
    let mut uris: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    uris.sort();
    // URIs percent-encode the bytes themselves: lossless.
    assert_eq!(
        uris,
        ["back%5Cslash.py", "latin%E9.py", "line%0Abreak.py"],
        "{out:?}"
    );

    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--format", "github"],
    );
    let text = out.stdout();
    assert!(text.contains("::error file=back\\slash.py,"), "{out:?}");
    assert!(text.contains("::error file=line%0Abreak.py,"), "{out:?}");
    assert!(!text.contains('\u{fffd}'), "{out:?}");
}

// ---------------------------------------------------------------- --fix

/// A Celery 4 import that TL201 fixes in place (a one-file fix).
const OLD_IMPORT: &str = "from celery.task import task as t\n\n\n@t()\ndef job():\n    return 1\n";
const NEW_IMPORT: &str =
    "from celery import shared_task as t\n\n\n@t()\ndef job():\n    return 1\n";

fn fix_in(dir: &Path, paths: &[&str]) -> Out {
    let mut args = vec!["check", "--no-config", "--no-cache", "--fix"];
    args.extend_from_slice(paths);
    run_in(dir, &args)
}

#[test]
fn fix_writes_through_a_symlink_to_its_target() {
    let p = project(&[("real/jobs.py", OLD_IMPORT)]);
    std::os::unix::fs::symlink("real/jobs.py", p.path().join("jobs.py")).unwrap();
    let out = fix_in(p.path(), &["jobs.py"]);
    assert_eq!(out.code, 0, "{out:?}");
    let link = p.path().join("jobs.py");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("real/jobs.py")
    );
    assert_eq!(read(&p.path().join("real/jobs.py")), NEW_IMPORT);
}

#[test]
fn fix_keeps_owner_mode_and_hard_links() {
    let p = project(&[("jobs.py", OLD_IMPORT)]);
    let file = p.path().join("jobs.py");
    let other = p.path().join("other_name.txt");
    std::fs::hard_link(&file, &other).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = std::fs::metadata(&file).unwrap();
    // As root (CI containers), give the file to somebody else: a fix must not make it
    // root's (the user could no longer read their own 0640 file).
    let owner = if before.uid() == 0 {
        std::os::unix::fs::chown(&file, Some(4242), Some(4343)).unwrap();
        (4242, 4343)
    } else {
        (before.uid(), before.gid())
    };
    let out = fix_in(p.path(), &["."]);
    assert_eq!(out.code, 0, "{out:?}");
    let after = std::fs::metadata(&file).unwrap();
    assert_eq!(read(&file), NEW_IMPORT);
    assert_eq!(read(&other), NEW_IMPORT, "the hard link sees the fix");
    assert_eq!(after.ino(), before.ino(), "same file, not a replacement");
    assert_eq!(after.nlink(), 2);
    assert_eq!((after.uid(), after.gid()), owner);
    assert_eq!(after.mode() & 0o7777, 0o640);
    // No backup or temporary file left behind.
    let mut left: Vec<String> = std::fs::read_dir(p.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".git", "jobs.py", "other_name.txt"]);
}

/// `n` direct calls of a task outside any handler: TL101 warnings, each fixed safely
/// by `.delay` (6 bytes longer each).
fn many_calls(n: usize) -> String {
    let mut s = String::from(
        "from celery import shared_task\n\n\n@shared_task\ndef t(x):\n    return x\n\n\ndef run():\n",
    );
    for i in 0..n {
        s.push_str(&format!("    t({i})\n"));
    }
    s
}

#[test]
fn fix_reports_which_files_it_fixed_and_which_it_could_not_write() {
    use std::os::unix::process::CommandExt;
    let big = many_calls(150);
    assert!(big.len() < 2000 && big.len() + 150 * 6 > 2000);
    let p = project(&[("a.py", OLD_IMPORT), ("b.py", &big)]);
    let mut cmd = bin();
    cmd.current_dir(p.path())
        .args(["check", "--no-config", "--no-cache", "--fix", "."]);
    // A file-size limit of 2000 bytes: a.py's fix fits, b.py's does not, so its write
    // fails midway (EFBIG), as a full disk would. Root obeys it too.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 2000,
                rlim_max: 2000,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = run(&mut cmd, None);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(read(&p.path().join("a.py")), NEW_IMPORT, "{out:?}");
    assert_eq!(read(&p.path().join("b.py")), big, "b.py is restored whole");
    let fixed = out
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("fixed:"))
        .unwrap_or_else(|| panic!("{out:?}"));
    assert!(fixed.contains("a.py") && !fixed.contains("b.py"), "{out:?}");
    let not_fixed = out
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("not fixed:"))
        .unwrap_or_else(|| panic!("{out:?}"));
    assert!(not_fixed.contains("b.py"), "{out:?}");
    // No backup left behind: the original was put back.
    assert_eq!(std::fs::read_dir(p.path()).unwrap().count(), 3, "{out:?}");
}

fn checked(dir: &Path) -> tasklint::check::CheckOutput {
    tasklint::check::check(tasklint::check::Options {
        paths: vec![dir.to_path_buf()],
        settings: tasklint::settings::Settings {
            cache: false,
            ..Default::default()
        },
        knowledge: tasklint::knowledge::BUILTIN.clone(),
        threads: Some(1),
    })
    .unwrap()
}

#[test]
fn fix_skips_a_file_edited_between_the_check_and_the_write() {
    let p = project(&[("a.py", OLD_IMPORT), ("b.py", OLD_IMPORT)]);
    let out = checked(p.path());
    let pass = tasklint::fix::plan(&out.diagnostics, &out.project.files, false);
    assert_eq!(pass.files.len(), 2);
    // The user saves b.py while tasklint works.
    let edited = format!("{OLD_IMPORT}\n\ndef added_meanwhile():\n    return 2\n");
    std::fs::write(p.path().join("b.py"), &edited).unwrap();
    let mut results = Vec::new();
    for f in &pass.files {
        let source = &out.project.files[f.file];
        results.push((
            source.display.clone(),
            tasklint::fix::write_fixed(&source.path, &source.text, &f.text),
        ));
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(results[0].1.is_ok());
    let err = results[1].1.as_ref().unwrap_err();
    assert!(
        err.to_string().contains("changed since"),
        "{}",
        err.to_string()
    );
    assert_eq!(read(&p.path().join("a.py")), NEW_IMPORT);
    assert_eq!(read(&p.path().join("b.py")), edited, "the edit is kept");
}

#[test]
fn fix_write_fails_on_a_file_replaced_by_a_folder_and_leaves_it_alone() {
    let p = project(&[("a.py", OLD_IMPORT), ("b.py", OLD_IMPORT)]);
    let out = checked(p.path());
    let pass = tasklint::fix::plan(&out.diagnostics, &out.project.files, false);
    let b = p.path().join("b.py");
    std::fs::remove_file(&b).unwrap();
    std::fs::create_dir(&b).unwrap();
    std::fs::write(b.join("keep.txt"), "mine").unwrap();
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for f in &pass.files {
        let source = &out.project.files[f.file];
        match tasklint::fix::write_fixed(&source.path, &source.text, &f.text) {
            Ok(()) => ok.push(source.display.clone()),
            Err(e) => failed.push((source.display.clone(), e.to_string())),
        }
    }
    assert_eq!(ok.len(), 1, "{failed:?}");
    assert!(ok[0].ends_with("a.py"));
    assert_eq!(failed.len(), 1);
    assert!(failed[0].0.ends_with("b.py"));
    assert_eq!(read(&b.join("keep.txt")), "mine");
    assert_eq!(std::fs::read_dir(&b).unwrap().count(), 1);
}

#[test]
fn output_file_refuses_to_overwrite_a_checked_or_named_file() {
    let p = project(&[("app/views.py", BLOCKING), ("notes.txt", "mine\n")]);
    // A file the check reads.
    let out = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--no-cache",
            "--output-file",
            "app/views.py",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("app/views.py"), "{out:?}");
    assert_eq!(read(&p.path().join("app/views.py")), BLOCKING);
    // A file named on the command line, even one tasklint does not check.
    let out = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--no-cache",
            "app/views.py",
            "notes.txt",
            "--output-file",
            "notes.txt",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(read(&p.path().join("notes.txt")), "mine\n");
    // Another name of a checked file (a hard link, a symlink).
    std::fs::hard_link(p.path().join("app/views.py"), p.path().join("hard.txt")).unwrap();
    std::os::unix::fs::symlink("app/views.py", p.path().join("soft.txt")).unwrap();
    for name in ["hard.txt", "soft.txt"] {
        let out = run_in(
            p.path(),
            &[
                "check",
                "--no-config",
                "--no-cache",
                ".",
                "--output-file",
                name,
            ],
        );
        assert_eq!(out.code, 2, "{name}: {out:?}");
        assert_eq!(read(&p.path().join("app/views.py")), BLOCKING);
    }
    // Anything else is fine.
    let out = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--no-cache",
            "--output-file",
            "report.txt",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(read(&p.path().join("report.txt")).contains("TL302"));
}

// ---------------------------------------------------------------- bounds

#[test]
fn threads_are_capped_at_four_per_core() {
    let p = project(&[("a.py", BLOCKING)]);
    let cores = std::thread::available_parallelism().unwrap().get();
    let out = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--no-cache",
            "--timings",
            "--threads",
            "300",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let threads: usize = out
        .stderr
        .split_once("timings (")
        .and_then(|(_, r)| r.split_once(" threads"))
        .unwrap_or_else(|| panic!("{out:?}"))
        .0
        .parse()
        .unwrap();
    assert!(threads <= 4 * cores, "{threads} threads on {cores} cores");
    assert!(
        out.stderr.contains("--threads"),
        "a warning says so: {out:?}"
    );
    let help = run_in(p.path(), &["check", "--help"]).stdout();
    assert!(help.contains("at most 4 per core"), "{help}");
}

#[test]
fn an_oversized_configuration_is_an_error_naming_the_file() {
    let p = project(&[("a.py", BLOCKING)]);
    let mut huge = String::from("select = [\"TL3\"]\n");
    while huge.len() <= 2 << 20 {
        huge.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(p.path().join("tasklint.toml"), &huge).unwrap();
    let out = run_in(p.path(), &["check", "--no-cache"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("tasklint.toml") && out.stderr.contains("MiB"),
        "{out:?}"
    );
}

#[test]
fn too_many_patterns_in_a_configuration_is_an_error_naming_the_file_and_key() {
    let p = project(&[("a.py", BLOCKING)]);
    let globs: Vec<String> = (0..20_001).map(|i| format!("\"gen{i}/**\"")).collect();
    std::fs::write(
        p.path().join("tasklint.toml"),
        format!("exclude = [{}]\n", globs.join(", ")),
    )
    .unwrap();
    let out = run_in(p.path(), &["check", "--no-cache"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("tasklint.toml") && out.stderr.contains("\"exclude\""),
        "{out:?}"
    );
}

// ---------------------------------------------------------------- the project root

/// A folder anyone can write to, with the sticky bit, like `/tmp`.
fn sticky_shared(parent: &Path) -> PathBuf {
    let shared = parent.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    shared
}

#[test]
fn a_world_writable_folder_is_never_a_project_root() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = sticky_shared(tmp.path());
    // Planted by another local user: a root marker, a task and a configuration.
    write_files(
        &shared,
        &[
            ("setup.py", ""),
            (
                "tasks.py",
                "from celery import shared_task\n\n\n@shared_task\ndef send(x):\n    return x\n",
            ),
            ("tasklint.toml", "select = [\"TL999\"]\n"),
            (
                "proj/app.py",
                "from tasks import send\n\n\ndef run():\n    send(1)\n",
            ),
        ],
    );
    let out = run_in(
        tmp.path(),
        &["check", "shared/proj/app.py", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["summary"]["files"], 1, "{v}");
    // Nothing written into the shared folder either.
    assert!(!shared.join(".tasklint_cache").exists());
}

#[test]
fn the_root_search_stops_at_the_first_version_control_root() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[
            ("outer/setup.py", ""),
            (
                "outer/tasks.py",
                "from celery import shared_task\n\n\n@shared_task\ndef send(x):\n    return x\n",
            ),
            (
                "outer/inner/app.py",
                "from tasks import send\n\n\ndef run():\n    send(1)\n",
            ),
        ],
    );
    std::fs::create_dir(tmp.path().join("outer/inner/.hg")).unwrap();
    let out = run_in(
        tmp.path(),
        &[
            "check",
            "--no-config",
            "--no-cache",
            "outer/inner/app.py",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "the outer project is not read: {out:?}");
}

// ---------------------------------------------------------------- smaller cases

#[test]
fn cr_only_line_endings_give_right_positions_and_a_readable_diff() {
    let p = project(&[
        (
            "a.py",
            "import time\r\r\rasync def f():\r    time.sleep(1)\r",
        ),
        (
            "jobs.py",
            "from celery.task import task as t\r\r\r@t()\rdef job():\r    return 1\r",
        ),
    ]);
    let out = run_in(
        p.path(),
        &[
            "check",
            "--no-config",
            "--no-cache",
            "--format",
            "json",
            "a.py",
        ],
    );
    let v = json(&out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "TL302", "{v}");
    assert_eq!(
        (&d["range"]["start"]["line"], &d["range"]["start"]["column"]),
        (&Value::from(5), &Value::from(5)),
        "{v}"
    );
    let out = run_in(
        p.path(),
        &["check", "--no-config", "--no-cache", "--diff", "jobs.py"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stdout(),
        "--- a/jobs.py\n+++ b/jobs.py\n@@ -1,4 +1,4 @@\n-from celery.task import task as t\n+from celery import shared_task as t\n \n \n @t()\n",
        "{out:?}"
    );
    // The fix keeps the file's line endings.
    let out = fix_in(p.path(), &["jobs.py"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        read(&p.path().join("jobs.py")),
        "from celery import shared_task as t\r\r\r@t()\rdef job():\r    return 1\r"
    );
}

#[test]
fn a_file_named_and_inside_a_named_folder_is_counted_once() {
    // `sub` has its own configuration, so `.` and `sub/a.py` are checked in two groups.
    let p = project(&[("sub/tasklint.toml", ""), ("sub/a.py", BLOCKING)]);
    let out = run_in(
        p.path(),
        &["check", "--no-cache", "--format", "json", ".", "sub/a.py"],
    );
    let v = json(&out.stdout);
    assert_eq!(v["summary"]["files"], 1, "{v}");
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1, "{v}");
}

#[test]
fn stdin_filename_of_no_checked_language_is_an_error() {
    let p = project(&[]);
    let out = run(
        bin()
            .current_dir(p.path())
            .args(["check", "--no-cache", "--stdin-filename", "noext", "-"]),
        Some(b"import time\n"),
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("noext") && out.stderr.contains(".py"),
        "{out:?}"
    );
}

#[test]
fn an_unreadable_pyproject_that_is_not_ours_is_skipped_with_a_warning() {
    // Not UTF-8: unreadable as configuration (root reads any file, so a permission
    // bit would not do). No `[tool.tasklint]` in it: not ours.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("pyproject.toml"),
        b"[tool.black]\nline-length = 88 # \xff\n",
    )
    .unwrap();
    write_files(tmp.path(), &[("proj/a.py", BLOCKING)]);
    let out = run_in(
        &tmp.path().join("proj"),
        &["check", "--no-cache", "--format", "concise", "a.py"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("pyproject.toml"),
        "{out:?}"
    );
    // One that is meant for tasklint still stops the run.
    std::fs::write(
        tmp.path().join("pyproject.toml"),
        b"[tool.tasklint]\nselect = [\"TL3\"] # \xff\n",
    )
    .unwrap();
    let out = run_in(
        &tmp.path().join("proj"),
        &["check", "--no-cache", "--format", "concise", "a.py"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("pyproject.toml"), "{out:?}");
}
