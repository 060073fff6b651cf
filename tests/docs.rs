//! The documentation a newcomer follows works as written: every shell snippet of the
//! README, CONTRIBUTING, `docs/`, `benches/` and the rule pages that can run offline is
//! run (in a copy of the repository's fixtures, with the built binary as `tasklint`),
//! every `tasklint ...` command written inline parses, and the facts the docs state
//! about the project (what `scripts/test` runs, how to install, the pre-commit tag)
//! match the project.
//!
//! A snippet that cannot run here carries `<!-- not run by tests/docs.rs: why -->` on
//! the line above it.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser as _;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

const NOT_RUN: &str = "not run by tests/docs.rs";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every Markdown file a user reads.
fn doc_files() -> Vec<PathBuf> {
    let mut out = vec![
        repo().join("README.md"),
        repo().join("CONTRIBUTING.md"),
        repo().join("benches/README.md"),
    ];
    for dir in ["docs", "rules/docs"] {
        let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        v.sort();
        out.extend(v);
    }
    out
}

struct Snippet {
    file: String,
    line: usize,
    lang: String,
    body: String,
    /// `Some(why)` when marked as not runnable.
    not_run: Option<String>,
}

fn rel(p: &Path) -> String {
    p.strip_prefix(repo())
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// The fenced code blocks of a Markdown file.
fn snippets(path: &Path) -> Vec<Snippet> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut pending_mark: Option<String> = None;
    let mut current: Option<Snippet> = None;
    for (event, range) in Parser::new(&text).into_offset_iter() {
        match event {
            Event::Html(h) | Event::InlineHtml(h) if h.contains(NOT_RUN) => {
                let why = h
                    .split_once(NOT_RUN)
                    .map(|(_, w)| w.trim_start_matches(':').trim().trim_end_matches("-->"))
                    .unwrap_or("")
                    .trim()
                    .to_string();
                pending_mark = Some(why);
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let line = text[..range.start].matches('\n').count() + 1;
                current = Some(Snippet {
                    file: rel(path),
                    line,
                    lang: info.split([' ', ',']).next().unwrap_or("").to_string(),
                    body: String::new(),
                    not_run: pending_mark.take(),
                });
            }
            Event::Text(t) => {
                if let Some(s) = current.as_mut() {
                    s.body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(s) = current.take() {
                    out.push(s);
                }
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::Heading { .. }) => {
                pending_mark = None;
            }
            _ => {}
        }
    }
    out
}

fn is_shell(lang: &str) -> bool {
    matches!(lang, "sh" | "bash" | "shell" | "console")
}

/// A command and the output lines the snippet shows for it (console blocks).
struct Step {
    command: String,
    shown: Vec<String>,
}

fn steps(s: &Snippet) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut continued = String::new();
    for line in s.body.lines() {
        if s.lang == "console" {
            if let Some(cmd) = line.strip_prefix("$ ") {
                out.push(Step {
                    command: cmd.to_string(),
                    shown: Vec::new(),
                });
            } else if let Some(last) = out.last_mut()
                && line.trim() != "..."
            {
                last.shown.push(line.to_string());
            }
            continue;
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(head) = t.strip_suffix('\\') {
            continued.push_str(head);
            continue;
        }
        continued.push_str(t);
        out.push(Step {
            command: std::mem::take(&mut continued),
            shown: Vec::new(),
        });
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `cargo run --release -- ARGS` is how the README runs tasklint from a clone: the test
/// runs the binary cargo built for it instead of building the release one again.
fn as_run_here(command: &str) -> String {
    match command.strip_prefix("cargo run --release -- ") {
        Some(rest) => format!("tasklint {rest}"),
        None => command.to_string(),
    }
}

#[test]
fn every_shell_snippet_runs_as_written() {
    let work = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("fixtures"), &work.path().join("fixtures"));
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tasklint"), bin.join("tasklint")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    let mut problems = Vec::new();
    for file in doc_files() {
        for s in snippets(&file).into_iter().filter(|s| is_shell(&s.lang)) {
            if let Some(why) = &s.not_run {
                assert!(
                    !why.is_empty(),
                    "{}:{}: say why the snippet is not run",
                    s.file,
                    s.line
                );
                continue;
            }
            for step in steps(&s) {
                let command = as_run_here(&step.command);
                assert!(
                    command.starts_with("tasklint ") || command.starts_with("python3 "),
                    "{}:{}: `{}` is neither tasklint nor a script it ships; run it here or mark the snippet `<!-- {NOT_RUN}: why -->`",
                    s.file,
                    s.line,
                    step.command
                );
                let out = Command::new("bash")
                    .arg("-c")
                    .arg(&command)
                    .current_dir(work.path())
                    .env("PATH", &path)
                    .env("NO_COLOR", "1")
                    .env("TASKLINT_CACHE_DIR", work.path().join("cache"))
                    .output()
                    .unwrap();
                ran += 1;
                let code = out.status.code().unwrap_or(-1);
                let stdout = String::from_utf8_lossy(&out.stdout);
                let stderr = String::from_utf8_lossy(&out.stderr);
                // 0: clean, 1: findings. 2 is a usage or configuration error.
                if !(code == 0 || code == 1) || stderr.contains("error") {
                    problems.push(format!(
                        "{}:{}: `{}` exited {code}\n{stderr}",
                        s.file, s.line, step.command
                    ));
                    continue;
                }
                for want in &step.shown {
                    if !stdout.lines().any(|l| l == want) {
                        problems.push(format!(
                            "{}:{}: `{}` does not print\n  {want}\nit prints:\n{stdout}",
                            s.file, s.line, step.command
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(
        ran >= 4,
        "only {ran} commands found: is the extraction broken?"
    );
}

/// `tasklint ...` written inline in the text (`tasklint check --add-noqa .`) parses.
#[test]
fn every_inline_command_parses() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for event in Parser::new(&text) {
            let Event::Code(code) = event else {
                continue;
            };
            // Templates (`[PATH...]`, `<file>`, `a|b`) and quoting are not commands.
            if !code.starts_with("tasklint ")
                || code.contains(['[', '<', '|', '"', '\''])
                || code.contains("...")
            {
                continue;
            }
            seen += 1;
            if let Err(e) = tasklint::cli::Cli::try_parse_from(code.split_whitespace()) {
                problems.push(format!("{}: `{code}`: {e}", rel(&file)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(seen >= 10, "only {seen} inline commands found");
}

fn read(p: &str) -> String {
    std::fs::read_to_string(repo().join(p)).unwrap()
}

#[test]
fn the_docs_cite_no_file_outside_the_repository() {
    let mut files: Vec<PathBuf> = doc_files();
    for dir in ["src", "rules", "docs", "scripts", "benches", "examples"] {
        for e in walkdir::WalkDir::new(repo().join(dir)) {
            let e = e.unwrap();
            if e.file_type().is_file() {
                files.push(e.path().to_path_buf());
            }
        }
    }
    files.push(repo().join(".ci/run"));
    files.push(repo().join("Cargo.toml"));
    files.push(repo().join("pyproject.toml"));
    let mut bad = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains("DESIGN") || line.contains("../shared") {
                bad.push(format!("{}:{}: {line}", rel(&f), i + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the design notes are not part of the repository:\n{}",
        bad.join("\n")
    );
}

#[test]
fn install_commands_are_locked_and_name_a_source_that_exists() {
    let mut bad = Vec::new();
    for f in doc_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find("cargo install") else {
                continue;
            };
            let cmd = &line[at..];
            // tasklint is not on crates.io: from a clone (--path) or from git (--git).
            if !cmd.contains("--locked") || !(cmd.contains("--path") || cmd.contains("--git")) {
                bad.push(format!("{}:{}: {line}", rel(&f), i + 1));
            }
            if cmd.contains("--git") && !cmd.contains(env!("CARGO_PKG_REPOSITORY")) {
                bad.push(format!(
                    "{}:{}: --git must name {}",
                    rel(&f),
                    i + 1,
                    env!("CARGO_PKG_REPOSITORY")
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(read("README.md").contains("`cargo install --path . --locked`"));
}

#[test]
fn the_pre_commit_snippet_names_this_repository_and_its_release_tag() {
    let snippet = snippets(&repo().join("README.md"))
        .into_iter()
        .find(|s| s.lang == "yaml" && s.body.contains("- repo:"))
        .expect("the README shows a .pre-commit-config.yaml");
    let value = |key: &str| -> String {
        let line = snippet
            .body
            .lines()
            .find(|l| l.trim_start().trim_start_matches("- ").starts_with(key))
            .unwrap_or_else(|| panic!("no `{key}` in the snippet"));
        let v = line.split_once(':').unwrap().1;
        v.split('#').next().unwrap().trim().to_string()
    };
    assert_eq!(value("repo:"), env!("CARGO_PKG_REPOSITORY"));
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        value("rev:"),
        tag,
        "the snippet names the current release tag"
    );
    assert_eq!(value("id:"), "tasklint");
    assert!(read(".pre-commit-hooks.yaml").contains("- id: tasklint"));
    // The tag itself exists in a checkout that has tags (a fresh shallow clone may
    // have none at all).
    if let Ok(out) = Command::new("git")
        .args(["tag", "--list"])
        .current_dir(repo())
        .output()
    {
        let tags = String::from_utf8_lossy(&out.stdout);
        if out.status.success() && !tags.trim().is_empty() {
            assert!(
                tags.lines().any(|t| t == tag),
                "the README's pre-commit snippet names {tag}, which is not a tag here:\n{tags}"
            );
        }
    }
}

#[test]
fn contributing_and_readme_say_what_scripts_test_runs_and_needs() {
    let script = read("scripts/test");
    let stages: Vec<String> = script
        .lines()
        .filter_map(|l| l.trim().strip_prefix("echo \"== "))
        .map(|s| {
            let s = s.trim_end_matches('"');
            s.split(" (").next().unwrap().to_string()
        })
        .collect();
    assert!(stages.len() >= 6, "{stages:?}");
    let contributing = read("CONTRIBUTING.md");
    let readme = read("README.md");
    for stage in &stages {
        for (name, text) in [("CONTRIBUTING.md", &contributing), ("README.md", &readme)] {
            assert!(
                text.contains(stage.as_str()),
                "{name} does not mention the `{stage}` stage of scripts/test"
            );
        }
    }
    for need in ["rustfmt", "clippy", "venv", "minutes", "--quick"] {
        assert!(readme.contains(need), "the README does not say `{need}`");
        assert!(
            contributing.contains(need),
            "CONTRIBUTING does not say `{need}`"
        );
    }
    // `.ci/run` runs exactly that script.
    assert!(read(".ci/run").contains("exec bash scripts/test"));
}

#[test]
fn every_output_format_is_documented() {
    use clap::ValueEnum;
    let formats = read("docs/formats.md");
    for f in tasklint::cli::Format::value_variants() {
        let name = f.to_possible_value().unwrap().get_name().to_string();
        assert!(
            formats.contains(&format!("## `--format {name}`")),
            "docs/formats.md has no section for --format {name}"
        );
    }
}
