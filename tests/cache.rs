//! The parse cache on a hostile checkout: one test per way a repository (or another user)
//! could turn `.tasklint_cache` against the person running tasklint. Each runs the real
//! binary with its key store (`XDG_CACHE_HOME`) in a temporary folder.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tasklint::cache::{
    Cache, MODEL_SHARDS, cache_file_name, cache_key_for, content_hash, shard_names,
};
use tasklint::model::Language;

const VIEWS: &str = "from django.urls import path\nfrom .tasks import ping\n\ndef home(request):\n    ping(1)\n    return None\n\nurlpatterns = [path('', home)]\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A one-view project whose view calls a Celery task directly (TL101 at 5:5), and a
/// private key store beside it.
struct Setup {
    root: tempfile::TempDir,
    keys: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let root = tempfile::tempdir().unwrap();
        let p = root.path();
        write(
            p,
            "app/tasks.py",
            "from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n",
        );
        write(p, "app/__init__.py", "");
        write(p, "app/views.py", VIEWS);
        Setup {
            root,
            keys: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tasklint"));
        c.args(["check", "."])
            .args(args)
            .current_dir(self.path())
            .env("XDG_CACHE_HOME", self.keys.path())
            .env_remove("TASKLINT_CACHE_DIR")
            .env("NO_COLOR", "1");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs with a deadline: a run that hangs (on a FIFO) fails the test instead of
    /// hanging it.
    fn run_within(&self, args: &[&str], limit: Duration) -> Output {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > limit {
                child.kill().unwrap();
                panic!("tasklint did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    }

    /// The cache's name for this project (the findings file's, with its extension).
    fn cache_name(&self) -> String {
        cache_file_name(&[self.path().to_path_buf()])
    }

    /// The files the models are kept in.
    fn model_files(&self) -> Vec<String> {
        shard_names(&self.cache_name(), MODEL_SHARDS)
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The run still finds what it must: the cache never hides a finding.
fn assert_finds_tl101(o: &Output) {
    let out = text(o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("app/views.py:5:5"), "{out}");
}

#[test]
fn a_cache_folder_that_is_a_link_is_refused() {
    let s = Setup::new();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path().join(".tasklint_cache")).unwrap();
    let o = s.run(&["--timings"]);
    assert_finds_tl101(&o);
    assert!(
        text(&o).contains("is a link or not a folder"),
        "{}",
        text(&o)
    );
    let written: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert!(written.is_empty(), "wrote through the link: {written:?}");
}

#[test]
fn a_planted_link_in_the_cache_folder_is_replaced_never_written_through() {
    let s = Setup::new();
    let cache = s.path().join(".tasklint_cache");
    std::fs::create_dir(&cache).unwrap();
    let victim = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(victim.path(), "precious\n").unwrap();
    // At every cache file's name, and a dangling .gitignore link to a file to create.
    for name in s.model_files() {
        std::os::unix::fs::symlink(victim.path(), cache.join(name)).unwrap();
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("created");
    std::os::unix::fs::symlink(&target, cache.join(".gitignore")).unwrap();
    let o = s.run(&[]);
    assert_finds_tl101(&o);
    assert_eq!(
        std::fs::read_to_string(victim.path()).unwrap(),
        "precious\n"
    );
    assert!(
        !target.exists(),
        "created a file through the .gitignore link"
    );
    // The files that got entries replaced their links; the others still hold theirs,
    // unread and unwritten.
    let mut replaced = 0;
    for name in s.model_files() {
        let meta = std::fs::symlink_metadata(cache.join(name)).unwrap();
        if meta.file_type().is_file() {
            replaced += 1;
            assert_eq!(
                meta.permissions().mode() & 0o077,
                0,
                "the cache file is private"
            );
        }
    }
    assert!(replaced > 0, "no link was replaced");
    // Temporary files are gone, whatever their names.
    let left: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_cache_never_writes_a_gitignore_into_a_folder_it_did_not_create() {
    // TASKLINT_CACHE_DIR=. : the project itself.
    let s = Setup::new();
    let o = s
        .command(&[])
        .env("TASKLINT_CACHE_DIR", ".")
        .output()
        .unwrap();
    assert_finds_tl101(&o);
    assert!(!s.path().join(".gitignore").exists(), "blinded the project");
    let o = s.run(&["--no-cache"]);
    assert_finds_tl101(&o);

    // A cache folder linked to the project's parent: refused, nothing written there.
    let parent = tempfile::tempdir().unwrap();
    let project = parent.path().join("project");
    std::fs::create_dir(&project).unwrap();
    write(&project, "app/views.py", VIEWS);
    std::os::unix::fs::symlink("..", project.join(".tasklint_cache")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_tasklint"))
        .args(["check", ".", "--no-config"])
        .current_dir(&project)
        .env("XDG_CACHE_HOME", s.keys.path())
        .env_remove("TASKLINT_CACHE_DIR")
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", text(&o));
    assert!(
        !parent.path().join(".gitignore").exists(),
        "blinded the parent"
    );

    // The folder tasklint creates itself gets its .gitignore.
    let s = Setup::new();
    s.run(&[]);
    let ignore = std::fs::read_to_string(s.path().join(".tasklint_cache/.gitignore")).unwrap();
    assert!(ignore.contains('*'));
}

/// Writes a cache entry for `app/views.py` with the user's own key (the worst case: an
/// attacker who knows it) whose model comes from other text of the same length: the
/// call moves to line 6.
fn poison(s: &Setup) {
    let poisoned = VIEWS.replace(
        "    ping(1)\n    return None\n",
        "    return None\n    ping(1)\n",
    );
    assert_eq!(poisoned.len(), VIEWS.len());
    // A first run creates the key store and the cache folder. It also keeps its
    // findings, which would be reported again without reading a model: they go.
    s.run(&[]);
    let findings = s
        .path()
        .join(".tasklint_cache")
        .join(s.cache_name().replace(".bin", ".findings"));
    std::fs::remove_file(findings).unwrap();
    let secret = std::fs::read(s.keys.path().join("tasklint/key")).unwrap();
    let key = cache_key_for(Path::new(env!("CARGO_BIN_EXE_tasklint")), &secret);
    let cache = Cache::open_sharded(
        &s.path().join(".tasklint_cache"),
        s.cache_name(),
        key,
        1 << 30,
        MODEL_SHARDS,
    );
    assert!(cache.is_usable() && !cache.is_empty(), "{}", cache.status);
    let model = tasklint::lang::parse_text(Language::Python, &poisoned);
    cache
        .write(&[(content_hash(VIEWS.as_bytes()), &model)], |_| false)
        .unwrap();
}

#[test]
fn fix_never_uses_a_cached_model() {
    let s = Setup::new();
    poison(&s);
    // The poisoned entry is read by a plain check (so this test can fail)...
    let o = s.run(&["--format", "concise"]);
    assert!(text(&o).contains("app/views.py:6:"), "{}", text(&o));
    // ... and never by --fix, which fixes the real call.
    poison(&s);
    let o = s.run(&["--fix"]);
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", text(&o));
    let fixed = std::fs::read_to_string(s.path().join("app/views.py")).unwrap();
    assert_eq!(fixed, VIEWS.replace("    ping(1)", "    ping.delay(1)"));
}

#[test]
fn a_fifo_in_place_of_the_cache_file_is_a_miss_not_a_hang() {
    let s = Setup::new();
    let cache = s.path().join(".tasklint_cache");
    std::fs::create_dir(&cache).unwrap();
    let fifo = cache.join(&s.model_files()[0]);
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = s.run_within(&["--timings"], Duration::from_secs(60));
    assert_finds_tl101(&o);
    assert!(text(&o).contains("not a regular file"), "{}", text(&o));
}

#[test]
fn an_oversized_or_device_cache_file_is_a_miss() {
    for what in ["sparse", "/dev/zero"] {
        let s = Setup::new();
        let cache = s.path().join(".tasklint_cache");
        std::fs::create_dir(&cache).unwrap();
        let file = cache.join(&s.model_files()[0]);
        if what == "sparse" {
            // Far over the cap for three small files, and costs no disk.
            let f = std::fs::File::create(&file).unwrap();
            f.set_len(1 << 34).unwrap();
        } else {
            std::os::unix::fs::symlink(what, &file).unwrap();
        }
        let o = s.run_within(&["--timings"], Duration::from_secs(60));
        assert_finds_tl101(&o);
        let out = text(&o);
        assert!(
            out.contains("over the cap") || out.contains("a link"),
            "{what}: {out}"
        );
    }
}

#[test]
fn a_cache_from_elsewhere_is_never_read() {
    // A committed cache: written by the same binary with another user's key.
    let s = Setup::new();
    let other_keys = tempfile::tempdir().unwrap();
    poison(&s);
    let cache: PathBuf = s.path().join(".tasklint_cache");
    // The same checkout run by someone else (another key store): an empty cache.
    let o = s
        .command(&["--timings", "--format", "concise"])
        .env("XDG_CACHE_HOME", other_keys.path())
        .output()
        .unwrap();
    assert_finds_tl101(&o);
    assert!(
        text(&o).contains("written by another tasklint build or user"),
        "{}",
        text(&o)
    );
    assert!(cache.exists());
}

const REUSED: &str = "findings reused: nothing changed";

#[test]
fn a_rerun_with_nothing_changed_reports_the_kept_findings_the_same_way() {
    let s = Setup::new();
    for format in ["text", "json", "concise", "sarif"] {
        let first = s.run(&["--format", format]);
        assert_eq!(first.status.code(), Some(1), "{}", text(&first));
        assert!(text(&first).contains("TL101"), "{}", text(&first));
        let again = s.run(&["--format", format, "--timings"]);
        assert!(text(&again).contains(REUSED), "{}", text(&again));
        assert_eq!(first.stdout, again.stdout, "{format}");
        assert_eq!(first.status.code(), again.status.code());
    }
}

#[test]
fn an_edit_in_another_file_a_new_file_or_other_settings_work_the_findings_out_again() {
    let s = Setup::new();
    assert_finds_tl101(&s.run(&[]));
    // The finding is in views.py; what makes it one is in tasks.py.
    write(s.path(), "app/tasks.py", "def ping(x):\n    return x\n");
    let o = s.run(&["--timings"]);
    assert!(!text(&o).contains(REUSED), "{}", text(&o));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    write(
        s.path(),
        "app/tasks.py",
        "from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n",
    );
    assert_finds_tl101(&s.run(&[]));
    // A file added anywhere.
    write(s.path(), "app/extra.py", "X = 1\n");
    let o = s.run(&["--timings"]);
    assert!(!text(&o).contains(REUSED), "{}", text(&o));
    assert_finds_tl101(&o);
    // Other rules selected.
    let o = s.run(&["--select", "TL3", "--timings"]);
    assert!(!text(&o).contains(REUSED), "{}", text(&o));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // And back: worked out again, then reused.
    assert_finds_tl101(&s.run(&[]));
    let o = s.run(&["--timings"]);
    assert!(text(&o).contains(REUSED), "{}", text(&o));
    assert_finds_tl101(&o);
}

/// A console script (`[project.scripts]` of a `pyproject.toml`, which is not a checked
/// file) makes its function command-line code, where a blocking call is not reported.
#[test]
fn a_change_to_a_pyproject_toml_outside_the_checked_files_is_seen() {
    let s = Setup::new();
    write(
        s.path(),
        "tool/cli.py",
        // A loop that serves on: not one made for a single call (`asyncio.run`), whose
        // coroutines are their caller's work.
        "import asyncio\nimport time\n\ndef main():\n    loop = asyncio.new_event_loop()\n    loop.create_task(sync_all())\n    loop.run_forever()\n\nasync def sync_all():\n    time.sleep(1)\n",
    );
    write(s.path(), "tool/__init__.py", "");
    let scripts = "[project]\nname = \"tool\"\n\n[project.scripts]\ntool = \"tool.cli:main\"\n";
    write(s.path(), "pyproject.toml", scripts);
    let blocking = |o: &Output| text(o).contains("tool/cli.py:10:5");
    let o = s.run(&["--format", "concise"]);
    assert!(!blocking(&o), "{}", text(&o));
    write(s.path(), "pyproject.toml", "[project]\nname = \"tool\"\n");
    let o = s.run(&["--format", "concise", "--timings"]);
    assert!(!text(&o).contains(REUSED), "{}", text(&o));
    assert!(blocking(&o), "{}", text(&o));
    write(s.path(), "pyproject.toml", scripts);
    let o = s.run(&["--format", "concise"]);
    assert!(!blocking(&o), "{}", text(&o));
}

/// Kept findings are checked before use: an entry naming a rule tasklint does not have
/// (written with the user's own key, the worst case) is a miss, and the findings are
/// worked out again. (Spans outside their file: `findings_cache`'s unit tests.)
#[test]
fn a_kept_finding_of_no_known_rule_is_never_reported() {
    let s = Setup::new();
    assert_finds_tl101(&s.run(&[]));
    let secret = std::fs::read(s.keys.path().join("tasklint/key")).unwrap();
    let key = cache_key_for(Path::new(env!("CARGO_BIN_EXE_tasklint")), &secret);
    let name = s.cache_name().replace(".bin", ".findings");
    let store = Cache::open(&s.path().join(".tasklint_cache"), name, key, 1 << 30);
    let Some((entry_key, bytes)) = store.raw_entries().into_iter().next() else {
        panic!("no findings kept: {}", store.status);
    };
    let at = bytes
        .windows(5)
        .position(|w| w == b"TL101")
        .expect("the finding's code");
    let mut forged = bytes.clone();
    forged[at..at + 5].copy_from_slice(b"TL999");
    store
        .write_with(&[], &[(entry_key, forged)], |_| false)
        .unwrap();
    let o = s.run(&["--timings", "--format", "concise"]);
    assert!(!text(&o).contains(REUSED), "{}", text(&o));
    assert!(!text(&o).contains("TL999"), "{}", text(&o));
    assert_finds_tl101(&o);
}

/// An editor's buffer is not the file on disk: the findings kept for the file are never
/// reported for the buffer.
#[test]
fn an_editors_buffer_never_gets_the_findings_kept_for_the_file_on_disk() {
    let s = Setup::new();
    // On disk, the view is fixed; the buffer will call the task directly.
    let fixed = VIEWS.replace("    ping(1)", "    ping.delay(1)");
    write(s.path(), "app/views.py", &fixed);
    // Files changed in the two seconds before a run are always read again: let them age,
    // so that their stamps alone would vouch for them.
    std::thread::sleep(Duration::from_millis(2200));
    let tasklint = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tasklint"));
        c.arg("check")
            .args(args)
            .current_dir(s.path())
            .env("XDG_CACHE_HOME", s.keys.path())
            .env_remove("TASKLINT_CACHE_DIR")
            .env("NO_COLOR", "1");
        c
    };
    // The file alone, as the editor's buffer will be checked.
    let o = tasklint(&["app/views.py"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = tasklint(&["app/views.py", "--timings"]).output().unwrap();
    assert!(text(&o).contains(REUSED), "{}", text(&o));
    let mut child = tasklint(&["--stdin-filename", "app/views.py", "-", "--timings"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), VIEWS.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(!text(&o).contains(REUSED), "{}", text(&o));
    assert_finds_tl101(&o);
}
