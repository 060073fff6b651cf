//! `cargo tasklint` (the binary `cargo-tasklint`): checks the current Cargo package or
//! workspace, and with `--message-format json` prints cargo's diagnostic JSON lines, so
//! that rust-analyzer (`check.overrideCommand`) shows tasklint's findings as it shows
//! clippy's.
//!
//! - The manifest: `--manifest-path`, else the nearest `Cargo.toml` at or above the
//!   current folder; its workspace is the nearest manifest above with a `[workspace]`
//!   table. Both searches stop at the version-control root and never look in a folder
//!   anyone may write to (`config::search_folders`). Cargo itself is not run: nothing of
//!   the checkout is executed.
//! - The whole workspace is read (a task or a handler may live in another member); the
//!   findings of the current package are reported (of every member with `--workspace`,
//!   or when the manifest is the workspace's root).
//! - Settings: a `tasklint.toml` (or `pyproject.toml` with `[tool.tasklint]`) found as
//!   `tasklint check` finds it; else `[package.metadata.tasklint]` of the package's
//!   manifest; else `[workspace.metadata.tasklint]` of the workspace's; same keys as
//!   `tasklint.toml`.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use serde_json::{Value, json};

use crate::config::{self, ConfigKind};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::report::{self, Emitter, Summary};
use crate::settings::Settings;
use crate::source::SourceFile;

/// A manifest bigger than this is not a manifest anyone wrote.
const MAX_MANIFEST: u64 = 4 << 20;

#[derive(Parser, Debug)]
#[command(
    name = "cargo-tasklint",
    bin_name = "cargo tasklint",
    version,
    about = "Checks the current Cargo package (or workspace) with tasklint"
)]
struct Args {
    /// The package's (or workspace's) Cargo.toml (default: the nearest one above the
    /// current folder).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Report on every member of the workspace, not only the current package.
    #[arg(long)]
    workspace: bool,
    /// `human` (tasklint's text report), `short` (one line a finding), or `json`
    /// (cargo's JSON messages, for rust-analyzer).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Rules to run (codes or prefixes), replacing the configured set.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Option<Vec<String>>,
    /// Rules to add to the configured set.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    extend_select: Vec<String>,
    /// Rules not to run.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Vec<String>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Short,
    Json,
    /// What rust-analyzer and cargo call the JSON format with ANSI-rendered text: the
    /// same JSON here (`rendered` is plain text).
    #[value(name = "json-diagnostic-rendered-ansi")]
    JsonRenderedAnsi,
    #[value(name = "json-diagnostic-short")]
    JsonShort,
}

/// `cargo-tasklint ARGS` or, as cargo runs a subcommand, `cargo-tasklint tasklint ARGS`.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "tasklint") {
        args.remove(1);
    }
    let parsed = match Args::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(parsed) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "cargo-tasklint: error: {}",
                report::escape::text(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}

fn read_manifest(path: &Path) -> Result<toml::Table> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() || meta.len() > MAX_MANIFEST {
        bail!(
            "{} is not a manifest (not a regular file, or too big)",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

/// The package's manifest and the workspace's (the same file for a single package).
fn manifests(manifest_path: Option<&Path>) -> Result<(PathBuf, PathBuf)> {
    let package = match manifest_path {
        Some(p) => {
            if p.file_name().is_none_or(|n| n != "Cargo.toml") || !p.is_file() {
                bail!(
                    "--manifest-path must name a Cargo.toml file: {}",
                    p.display()
                );
            }
            crate::paths::absolute(p)
        }
        None => {
            let cwd = std::env::current_dir()?;
            config::search_folders(&cwd)
                .into_iter()
                .map(|d| d.join("Cargo.toml"))
                .find(|m| m.is_file())
                .with_context(|| {
                    format!(
                        "could not find Cargo.toml in {} or any folder above it",
                        cwd.display()
                    )
                })?
        }
    };
    let dir = package.parent().unwrap_or(Path::new("/"));
    for d in config::search_folders(dir) {
        let m = d.join("Cargo.toml");
        if m.is_file() && read_manifest(&m)?.contains_key("workspace") {
            return Ok((package, m));
        }
    }
    Ok((package.clone(), package))
}

fn metadata_table<'t>(manifest: &'t toml::Table, section: &str) -> Option<&'t toml::Table> {
    manifest
        .get(section)?
        .get("metadata")?
        .get("tasklint")?
        .as_table()
}

/// The settings in force: a tasklint configuration file, else the manifests' metadata.
fn settings_for(package: &Path, workspace: &Path) -> Result<(Settings, String)> {
    let package_dir = package.parent().unwrap_or(Path::new("/"));
    if let Some(f) = config::find(package_dir)? {
        let describe = f.describe();
        return Ok((config::load(&f)?, describe));
    }
    for (manifest, section) in [(package, "package"), (workspace, "workspace")] {
        let table = read_manifest(manifest)?;
        let Some(t) = metadata_table(&table, section) else {
            continue;
        };
        let label = format!("{} [{section}.metadata.tasklint]", manifest.display());
        let text = toml::to_string(t)?;
        let mut settings =
            config::parse_text(&text, &label, ConfigKind::Tasklint).map_err(|e| match e {
                config::ParseError::Toml(e) => anyhow::anyhow!("{label}: {e}"),
                config::ParseError::Message(m) => anyhow::anyhow!(m),
            })?;
        settings.root = manifest.parent().map(Path::to_path_buf);
        return Ok((settings, label));
    }
    Ok((Settings::default(), "defaults".into()))
}

fn run(args: Args) -> Result<ExitCode> {
    let (package, workspace) = manifests(args.manifest_path.as_deref())?;
    let (mut settings, _source) = settings_for(&package, &workspace)?;
    if let Some(sel) = &args.select {
        settings.select = Some(sel.clone());
        settings.extend_select.clear();
        settings.ignore.clear();
    }
    settings
        .extend_select
        .extend(args.extend_select.iter().cloned());
    settings.ignore.extend(args.ignore.iter().cloned());
    let knowledge = config::knowledge_for(&settings)?;
    let ws_dir = workspace.parent().unwrap_or(Path::new("/")).to_path_buf();
    let package_dir = package.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut out = crate::check::check(crate::check::Options {
        paths: vec![ws_dir.clone()],
        settings,
        knowledge,
        threads: None,
    })?;
    // Paths as cargo shows them: relative to the current folder when below it.
    let cwd = std::env::current_dir().unwrap_or_default();
    for f in &mut out.project.files {
        if let Ok(rel) = f.path.strip_prefix(&cwd) {
            f.display = crate::source::display_path(rel);
        }
    }
    let files = &out.project.files;
    let everything = args.workspace || package == workspace;
    let diagnostics: Vec<&Diagnostic> = out
        .diagnostics
        .iter()
        .filter(|d| everything || files[d.file].path.starts_with(&package_dir))
        .collect();
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    let exit = if diagnostics.is_empty() || args.exit_zero {
        0
    } else {
        1
    };
    match args.message_format {
        MessageFormat::Json | MessageFormat::JsonRenderedAnsi | MessageFormat::JsonShort => {
            let stdout = io::stdout();
            let mut w = stdout.lock();
            let mut packages = Packages::new(&ws_dir);
            for d in &diagnostics {
                let line = compiler_message(d, files, &ws_dir, &mut packages);
                writeln!(w, "{line}")?;
            }
            writeln!(
                w,
                "{}",
                json!({"reason": "build-finished", "success": !failed})
            )?;
            w.flush()?;
        }
        format => {
            let owned: Vec<Diagnostic> = diagnostics.iter().map(|d| (*d).clone()).collect();
            let mut summary = Summary::new(out.files_checked, &owned);
            summary.exit_code = exit;
            summary.rule_links = format == MessageFormat::Human;
            let emitter: &dyn Emitter = if format == MessageFormat::Human {
                &report::Text
            } else {
                &report::Concise
            };
            let color = if std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal() {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            let stdout = StandardStream::stdout(color);
            let mut lock = stdout.lock();
            match emitter
                .emit(&mut lock, &owned, files, &summary)
                .and_then(|()| lock.flush())
            {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                r => r?,
            }
        }
    }
    Ok(ExitCode::from(exit as u8))
}

/// The package of each folder: its manifest, name, version, and the target to name.
struct Packages {
    workspace: PathBuf,
    by_dir: HashMap<PathBuf, Option<Value>>,
}

impl Packages {
    fn new(workspace: &Path) -> Packages {
        Packages {
            workspace: workspace.to_path_buf(),
            by_dir: HashMap::new(),
        }
    }

    /// (`package_id`, `manifest_path`, `target`) of the package holding `file`.
    fn of(&mut self, file: &Path) -> (Value, Value, Value) {
        let mut dir = file.parent();
        while let Some(d) = dir {
            if !d.starts_with(&self.workspace) {
                break;
            }
            let found = self
                .by_dir
                .entry(d.to_path_buf())
                .or_insert_with(|| package_at(d))
                .clone();
            if let Some(p) = found {
                return (p["id"].clone(), p["manifest"].clone(), p["target"].clone());
            }
            dir = d.parent();
        }
        let manifest = self.workspace.join("Cargo.toml");
        (
            json!(format!("path+{}", file_url(&self.workspace))),
            json!(manifest.to_string_lossy()),
            json!({"kind": ["lib"], "crate_types": ["lib"], "name": "workspace",
                   "src_path": file.to_string_lossy(), "edition": "2021",
                   "doc": false, "doctest": false, "test": false}),
        )
    }
}

fn file_url(dir: &Path) -> String {
    lsp_types::Url::from_file_path(dir)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("file://{}", dir.display()))
}

/// The package whose manifest is in `dir`, if there is one.
fn package_at(dir: &Path) -> Option<Value> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return None;
    }
    let table = read_manifest(&manifest).ok()?;
    let package = table.get("package")?.as_table()?;
    let name = package.get("name")?.as_str()?.to_string();
    // `version.workspace = true` and friends: not a string, and not needed to name it.
    let version = package
        .get("version")
        .and_then(|v| v.as_str())
        .unwrap_or("0.0.0");
    let edition = package
        .get("edition")
        .and_then(|v| v.as_str())
        .unwrap_or("2015");
    let (kind, src) = if dir.join("src/lib.rs").is_file() {
        ("lib", dir.join("src/lib.rs"))
    } else {
        ("bin", dir.join("src/main.rs"))
    };
    Some(json!({
        "id": format!("path+{}#{name}@{version}", file_url(dir)),
        "manifest": manifest.to_string_lossy(),
        "target": {
            "kind": [kind],
            "crate_types": [kind],
            "name": if kind == "lib" { name.replace('-', "_") } else { name },
            "src_path": src.to_string_lossy(),
            "edition": edition,
            "doc": true,
            "doctest": kind == "lib",
            "test": true,
        },
    }))
}

/// A span in rustc's JSON form; `file_name` relative to the workspace root, as cargo
/// runs rustc there.
fn span(
    file: &SourceFile,
    workspace: &Path,
    start: u32,
    end: u32,
    primary: bool,
    label: Option<&str>,
    replacement: Option<(&str, Applicability)>,
) -> Value {
    let a = file.position(start);
    let b = file.position(end.max(start));
    let name = file
        .path
        .strip_prefix(workspace)
        .unwrap_or(&file.path)
        .to_string_lossy()
        .into_owned();
    let line_index = (a.line - 1) as usize;
    let text = file.line_text(line_index);
    let highlight_end = if a.line == b.line {
        b.column
    } else {
        text.chars().count() as u32 + 1
    };
    json!({
        "file_name": name,
        "byte_start": a.offset,
        "byte_end": b.offset,
        "line_start": a.line,
        "line_end": b.line,
        "column_start": a.column,
        "column_end": b.column,
        "is_primary": primary,
        "text": [{"text": text, "highlight_start": a.column, "highlight_end": highlight_end}],
        "label": label,
        "suggested_replacement": replacement.map(|r| r.0),
        "suggestion_applicability": replacement.map(|r| match r.1 {
            Applicability::Safe => "MachineApplicable",
            Applicability::Unsafe => "MaybeIncorrect",
        }),
        "expansion": null,
    })
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({"message": message, "code": null, "level": level, "spans": spans,
           "children": [], "rendered": null})
}

/// One `compiler-message` line for a finding.
fn compiler_message(
    d: &Diagnostic,
    files: &[SourceFile],
    workspace: &Path,
    packages: &mut Packages,
) -> Value {
    let file = &files[d.file];
    let level = d.severity.as_str();
    let mut spans = vec![span(
        file,
        workspace,
        d.span.start,
        d.span.end,
        true,
        d.label.as_deref(),
        None,
    )];
    for r in &d.related {
        spans.push(span(
            &files[r.file],
            workspace,
            r.span.start,
            r.span.end,
            false,
            Some(&r.message),
            None,
        ));
    }
    let mut children = Vec::new();
    if let Some(help) = &d.help {
        children.push(child("help", help, Vec::new()));
    }
    for note in &d.notes {
        children.push(child("note", note, Vec::new()));
    }
    if let Some(fix) = &d.fix {
        let edits = fix
            .edits
            .iter()
            .map(|e| {
                span(
                    file,
                    workspace,
                    e.span.start,
                    e.span.end,
                    true,
                    None,
                    Some((&e.content, fix.applicability)),
                )
            })
            .collect();
        children.push(child("help", &fix.message, edits));
    }
    let at = file.position(d.span.start);
    let shown = spans[0]["file_name"].as_str().unwrap_or("").to_string();
    let mut rendered = format!(
        "{level}[{}]: {}\n  --> {shown}:{}:{}\n",
        d.code, d.message, at.line, at.column
    );
    if let Some(help) = &d.help {
        rendered.push_str(&format!("  = help: {help}\n"));
    }
    for note in &d.notes {
        rendered.push_str(&format!("  = note: {note}\n"));
    }
    let (package_id, manifest_path, target) = packages.of(&file.path);
    json!({
        "reason": "compiler-message",
        "package_id": package_id,
        "manifest_path": manifest_path,
        "target": target,
        "message": {
            "$message_type": "diagnostic",
            "message": d.message,
            "code": {"code": d.code, "explanation": null},
            "level": level,
            "spans": spans,
            "children": children,
            "rendered": rendered,
        },
    })
}
