//! The command line: `tasklint check`, `tasklint rules`, `tasklint rule CODE`,
//! `tasklint explain [PATH[:LINE]]` (in `crate::explain`), `tasklint config [PATH]`.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

use crate::check::{self, Options, StdinFile};
use crate::config::{self, ConfigChoice, ConfigFile, Loaded};
use crate::diagnostic::Diagnostic;
use crate::fix;
use crate::report::{self, Emitter, Summary, escape};
use crate::rules;
use crate::settings::Settings;
use crate::source::SourceFile;

#[derive(Parser, Debug)]
#[command(
    name = "tasklint",
    version,
    about = "Finds background-task mistakes and blocking calls in request handlers",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check files or folders (default: the current folder).
    Check(CheckArgs),
    /// List every rule: code, name, default severity, on by default, languages.
    Rules {
        /// `text` (a table) or `json` (an array of objects, for scripts).
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print a rule's documentation (or every rule's, with --all).
    Rule {
        /// A rule code (TL101) or name (task-called-directly).
        #[arg(required_unless_present = "all")]
        code: Option<String>,
        /// Every rule's page, in code order.
        #[arg(long, conflicts_with = "code")]
        all: bool,
        /// `text` (the Markdown page) or `json` (the page with the rule's metadata).
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// What tasklint recognised: the tasks, request handlers and wrappers of a file or
    /// folder; with PATH:LINE, which handler or task reaches that line, or why none does,
    /// and what each call on it resolves to ("why no finding here?").
    Explain(ExplainArgs),
    /// Print the settings in force for a path and the file they come from.
    Config(ConfigArgs),
    /// Run as a language server (LSP over standard input and output), for editors.
    Server,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A file or folder (default: the current folder), or `FILE:LINE`.
    #[arg(value_name = "PATH[:LINE]")]
    pub target: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    /// How many project calls deep handler rules follow.
    #[arg(long)]
    pub max_call_depth: Option<usize>,
    #[command(flatten)]
    pub config_source: ConfigSourceArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// The file or folder whose settings to show (default: the current folder).
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub source: ConfigSourceArgs,
}

#[derive(Args, Debug)]
pub struct ConfigSourceArgs {
    /// Use this configuration file (tasklint.toml, or a pyproject.toml with
    /// [tool.tasklint]) instead of searching for one.
    #[arg(long, value_name = "PATH", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file: built-in defaults and the command line only.
    #[arg(long)]
    pub no_config: bool,
}

impl ConfigSourceArgs {
    fn choice(&self) -> ConfigChoice {
        match (&self.config, self.no_config) {
            (_, true) => ConfigChoice::None,
            (Some(p), _) => ConfigChoice::File(p.clone()),
            (None, false) => ConfigChoice::Discover,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source excerpts (default).
    Text,
    /// One line a finding: `path:line:col: CODE message`.
    Concise,
    /// The stable JSON schema (version 1) for editors and scripts.
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub and others).
    Sarif,
    /// GitHub Actions annotations (`::error file=...,line=...::message`).
    Github,
    /// JUnit XML, shown as test results by CI systems.
    Junit,
    /// GitLab code quality report (`artifacts:reports:codequality`).
    Gitlab,
}

/// How `tasklint rules` and `tasklint rule` print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder); `-` reads one file from
    /// standard input (with --stdin-filename).
    pub paths: Vec<PathBuf>,
    /// Rules to run (codes or prefixes: TL101,TL3), replacing the default set.
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Rules to run in addition to the selected ones.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Rules not to run.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    #[command(flatten)]
    pub config_source: ConfigSourceArgs,
    /// Apply `exclude` to files named on the command line too (for pre-commit).
    #[arg(long)]
    pub force_exclude: bool,
    /// Report suppression comments that suppress nothing (rule TL001).
    #[arg(long)]
    pub report_unused_ignores: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Apply the safe fixes (and report what is left).
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, apply the unsafe fixes too (they may change behaviour:
    /// review them).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them (exit 1 when there is
    /// one).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Add a suppression comment (`# tasklint: ignore[CODE]`, `// tasklint:
    /// ignore[CODE]`) to every line with a finding, so that the next run passes: a
    /// baseline for an existing codebase. Then report what is left.
    #[arg(long, conflicts_with_all = ["fix", "diff", "stdin_filename"])]
    pub add_noqa: bool,
    /// List the files that would be checked, each with the configuration file that
    /// applies to it, and check nothing.
    #[arg(long, conflicts_with_all = ["fix", "diff", "add_noqa", "stdin_filename"])]
    pub show_files: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Print how many findings each rule produced instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// How many project calls deep handler rules follow (0 to 32, as in the
    /// configuration file).
    #[arg(long, value_parser = clap::value_parser!(u16).range(0..=config::parse::MAX_CALL_DEPTH))]
    pub max_call_depth: Option<u16>,
    /// Exit with 0 even when there are findings (2 still means an error).
    #[arg(long)]
    pub exit_zero: bool,
    /// Print only the findings, without the summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Number of worker threads (default: all cores; at most 4 per core: more are
    /// lowered to that, with a warning).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// When to use colours in the text format (`auto` honours NO_COLOR and pipes).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Neither read nor write the cache (`.tasklint_cache`, or `$TASKLINT_CACHE_DIR`):
    /// the models of parsed files and the last run's findings.
    #[arg(long)]
    pub no_cache: bool,
    /// Print how long each phase took, and how many files and bytes were read, to
    /// standard error.
    #[arg(long)]
    pub timings: bool,
    /// Parse every file up front instead of only those that can matter (for testing the
    /// prefilter: findings are the same).
    #[arg(long, hide = true)]
    pub no_prefilter: bool,
    /// Check standard input as if it were the file at this path (an editor's unsaved
    /// buffer), with the rest of the project read from disk. Give `-` as the path.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
}

/// Runs the command line and returns the process exit code: 0 clean, 1 findings,
/// 2 bad usage, bad configuration or an internal error.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Rules { format } => print_rules(format),
        Command::Rule { code, all, format } => print_rule(code.as_deref(), all, format),
        Command::Explain(args) => explain(args),
        Command::Config(args) => print_config(args),
        Command::Server => crate::server::run(),
    };
    match result {
        Ok(code) => code,
        // The reader stopped early (`tasklint rules | head`): nothing to say about it.
        Err(e) if e.chain().any(is_broken_pipe) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote paths and configuration keys: escaped, like every output.
            // Everything from the checkout is escaped, line breaks too, except in an error
            // rendered over several lines (a configuration line with a caret under it)
            // whose parts were escaped when it was written.
            let text = format!("{e:#}");
            if e.chain().count() == 1 && e.downcast_ref::<config::Rendered>().is_some() {
                eprintln!("tasklint: error: {text}");
            } else {
                eprintln!("tasklint: error: {}", escape::text(&text));
            }
            ExitCode::from(2)
        }
    }
}

/// Does an error come from writing to a pipe whose reader is gone? Renderers wrap the
/// `io::Error` in their own (codespan's), so the wrapped errors and sources are searched.
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::BrokenPipe {
                return true;
            }
            if let Some(inner) = io.get_ref()
                && is_broken_pipe(inner)
            {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

fn color_choice(color: Color) -> ColorChoice {
    match color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                || !io::stdout().is_terminal()
            {
                ColorChoice::Never
            } else {
                ColorChoice::Auto
            }
        }
    }
}

/// Checks each selector given on the command line.
fn check_selectors<'a>(
    flag: &str,
    selectors: impl IntoIterator<Item = &'a String>,
) -> anyhow::Result<()> {
    for code in selectors {
        config::parse::check_selector(code).map_err(|e| anyhow::anyhow!("{e} in --{flag}"))?;
    }
    Ok(())
}

/// What the command line lays over every configuration file's settings.
#[derive(Clone, Debug)]
struct Overrides {
    select: Option<Vec<String>>,
    extend_select: Vec<String>,
    ignore: Vec<String>,
    max_call_depth: Option<u16>,
    force_exclude: bool,
    cache: bool,
    /// An editor's buffer is checked: the last run's findings are not reused (files
    /// unchanged on disk say nothing of what standard input holds).
    stdin: bool,
    prefilter: bool,
    report_unused_ignores: bool,
}

impl Overrides {
    fn new(args: &CheckArgs) -> Overrides {
        Overrides {
            select: args.select.clone(),
            extend_select: args.extend_select.clone(),
            ignore: args.ignore.clone(),
            max_call_depth: args.max_call_depth,
            force_exclude: args.force_exclude,
            // `--fix` and `--diff` compute fixes from a fresh parse of what they read, never
            // from a cached model: a planted cache entry must not choose the code written.
            cache: !args.no_cache && !args.fix && !args.diff,
            stdin: args.stdin_filename.is_some() || args.paths.iter().any(|p| p.as_os_str() == "-"),
            prefilter: !args.no_prefilter,
            report_unused_ignores: args.report_unused_ignores,
        }
    }

    /// The command line's settings laid over a configuration's.
    fn apply(&self, settings: &mut Settings) {
        // As in ruff, a selection on the command line starts over: the configuration's
        // select, extend-select and ignore no longer apply.
        if let Some(sel) = &self.select {
            settings.select = Some(sel.clone());
            settings.extend_select.clear();
            settings.ignore.clear();
        }
        settings
            .extend_select
            .extend(self.extend_select.iter().cloned());
        settings.ignore.extend(self.ignore.iter().cloned());
        if let Some(d) = self.max_call_depth {
            settings.max_call_depth = usize::from(d);
        }
        if self.force_exclude {
            settings.force_exclude = true;
        }
        settings.cache = self.cache;
        settings.reuse_findings = self.cache && !self.stdin;
        settings.prefilter = self.prefilter;
        if self.report_unused_ignores {
            settings
                .extend_select
                .push(crate::catalogue::UNUSED_SUPPRESSION.code.to_string());
        }
    }
}

/// What the command line asks to check: the paths, or one file read from stdin.
fn targets(args: &CheckArgs) -> anyhow::Result<(Vec<PathBuf>, Option<StdinFile>)> {
    let dash = Path::new("-");
    let has_dash = args.paths.iter().any(|p| p == dash);
    match (&args.stdin_filename, has_dash) {
        (Some(name), _) => {
            if crate::discover::language_of(name).is_none() {
                anyhow::bail!(
                    "--stdin-filename `{}` is neither a Python (.py) nor a Rust (.rs) file: name the buffer with its extension",
                    crate::source::display_path(name)
                );
            }
            if args.paths.iter().any(|p| p != dash) {
                anyhow::bail!(
                    "--stdin-filename checks standard input only: give `-` as the path, and no other paths"
                );
            }
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
            Ok((
                vec![name.clone()],
                Some(StdinFile {
                    path: name.clone(),
                    bytes,
                }),
            ))
        }
        (None, true) => anyhow::bail!(
            "`-` reads the file from standard input: say which file it is with --stdin-filename PATH"
        ),
        (None, false) if args.paths.is_empty() => Ok((vec![PathBuf::from(".")], None)),
        (None, false) => Ok((args.paths.clone(), None)),
    }
}

/// Paths grouped by the configuration that applies to them, in command-line order.
fn group_by_config(
    choice: &ConfigChoice,
    paths: Vec<PathBuf>,
) -> anyhow::Result<Vec<(Loaded, Vec<PathBuf>)>> {
    if let ConfigChoice::File(f) = choice
        && !f.is_file()
    {
        anyhow::bail!("configuration file {} does not exist", f.display());
    }
    let mut groups: Vec<(Option<ConfigFile>, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        let file = match choice {
            ConfigChoice::None => None,
            ConfigChoice::File(f) => Some(ConfigFile::named(f)),
            ConfigChoice::Discover => config::find(&config::start_of(&p))?,
        };
        match groups.iter_mut().find(|(f, _)| *f == file) {
            Some((_, ps)) => ps.push(p),
            None => groups.push((file, vec![p])),
        }
    }
    groups
        .into_iter()
        .map(|(file, paths)| {
            let loaded = match &file {
                None => Loaded {
                    settings: Settings::default(),
                    file: None,
                },
                Some(f) => config::resolve(&ConfigChoice::File(f.path.clone()), Path::new("."))?,
            };
            Ok((loaded, paths))
        })
        .collect()
}

/// Findings of several checks put together (one a configuration), files renumbered.
struct Merged {
    files: Vec<SourceFile>,
    diagnostics: Vec<Diagnostic>,
    files_checked: usize,
    skipped: crate::pipeline::Skipped,
    timings: crate::timings::Timings,
}

/// The most worker threads `--threads` may ask for: 4 per core. More only cost memory
/// and start-up time (8,000 threads took 41 s to check what 1 checks in 0.02 s).
pub fn thread_cap() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn threads(args: &CheckArgs) -> Option<usize> {
    args.threads.map(|t| usize::from(t).min(thread_cap()))
}

/// Refuses an `--output-file` that is a file tasklint reads: one named on the command
/// line (checked or not) or one it checks, under any of its names (a hard or symbolic
/// link). The report would replace the source.
fn refuse_to_overwrite_an_input<'a>(
    output: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> anyhow::Result<()> {
    let Ok(out) = std::fs::metadata(output) else {
        return Ok(());
    };
    for input in inputs {
        if std::fs::metadata(input).is_ok_and(|m| same_file(&out, &m, output, input)) {
            anyhow::bail!(
                "--output-file {} is {}, which tasklint reads: write the report to another file",
                crate::source::display_path(output),
                if output == input {
                    "a checked file".to_string()
                } else {
                    format!("the checked file {}", crate::source::display_path(input))
                }
            );
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata, _: &Path, _: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata, a: &Path, b: &Path) -> bool {
    std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
}

fn run_check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    crate::progress::start(
        crate::progress::wanted(args.quiet) && !args.show_files && args.stdin_filename.is_none(),
    );
    let result = run_check_inner(args);
    crate::progress::stop();
    result
}

fn run_check_inner(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = args.threads
        && usize::from(t) > thread_cap()
    {
        eprintln!(
            "tasklint: warning: --threads {t} is more than 4 per core; using {}",
            thread_cap()
        );
    }
    check_selectors("select", args.select.iter().flatten())?;
    check_selectors("extend-select", &args.extend_select)?;
    check_selectors("ignore", &args.ignore)?;
    if args.statistics
        && matches!(
            args.format,
            Format::Sarif | Format::Github | Format::Junit | Format::Gitlab
        )
    {
        anyhow::bail!("--statistics prints a table: use it with --format text, concise or json");
    }
    if args.unsafe_fixes && !args.fix && !args.diff {
        anyhow::bail!(
            "--unsafe-fixes only says which fixes to apply: add --fix to apply them, or --diff to see them"
        );
    }
    let (paths, stdin) = targets(&args)?;
    if let Some(output) = &args.output_file {
        refuse_to_overwrite_an_input(output, paths.iter().map(PathBuf::as_path))?;
    }
    if args.add_noqa {
        return run_add_noqa(&args, paths);
    }
    if args.show_files {
        return run_show_files(&args, paths);
    }
    if args.fix || args.diff {
        return run_fixes(&args, paths, stdin);
    }
    let from_stdin = stdin.is_some();
    let merged = check_all(&args, &paths, stdin)?;
    if !from_stdin {
        warn_if_nothing_checked(&args, &paths, &merged);
    }
    report_findings(&args, &merged, 0)
}

/// An empty folder, a folder without Python or Rust files, or only files of other
/// languages named: say so on stderr (as ruff does), so that a typo in a path or a
/// misplaced CI step does not pass silently.
fn warn_if_nothing_checked(args: &CheckArgs, paths: &[PathBuf], merged: &Merged) {
    if merged.files_checked > 0 || args.quiet {
        return;
    }
    crate::progress::stop();
    let shown: Vec<String> = paths
        .iter()
        .map(|p| format!("`{}`", p.display().to_string().escape_debug()))
        .collect();
    eprintln!(
        "tasklint: warning: no Python or Rust files found in {}{}",
        shown.join(", "),
        if args.force_exclude {
            " (after --force-exclude)"
        } else {
            ""
        }
    );
}

/// The files of one group of paths, walked with the configuration files below them
/// (each entry excluded or not by its nearest one), and the settings to check them
/// with.
struct Walked {
    discovered: crate::discover::Discovered,
    settings: Settings,
    tree: Option<std::sync::Arc<config::tree::ConfigTree>>,
    time: std::time::Duration,
}

fn walk_group(
    args: &CheckArgs,
    overrides: &Overrides,
    loaded: Loaded,
    paths: &[PathBuf],
    stdin_path: Option<PathBuf>,
) -> anyhow::Result<Walked> {
    let start = std::time::Instant::now();
    let mut settings = loaded.settings;
    overrides.apply(&mut settings);
    // `--config` and `--no-config` name one configuration for everything.
    let tree = matches!(args.config_source.choice(), ConfigChoice::Discover).then(|| {
        let o = overrides.clone();
        std::sync::Arc::new(config::tree::ConfigTree::new(std::sync::Arc::new(
            move |s: &mut Settings| o.apply(s),
        )))
    });
    let mut opts = crate::discover::DiscoverOptions::new(&settings)?;
    opts.stdin_path = stdin_path;
    opts.tree = tree.clone();
    let discovered = crate::discover::discover_with(paths, &opts)?;
    if let Some(t) = &tree {
        settings = t.settings_for_run(settings, &discovered.reported_paths())?;
    }
    Ok(Walked {
        discovered,
        settings,
        tree,
        time: start.elapsed(),
    })
}

/// Checks every path with the configuration that applies to it, merging the results.
fn check_all(
    args: &CheckArgs,
    paths: &[PathBuf],
    stdin: Option<StdinFile>,
) -> anyhow::Result<Merged> {
    let groups = group_by_config(&args.config_source.choice(), paths.to_vec())?;
    let several = groups.len() > 1;
    // With several groups: each reported file (by its canonical path) and its group, and
    // the files named on the command line, by group.
    let mut reported: Vec<(usize, usize)> = Vec::new();
    let mut named: std::collections::HashMap<PathBuf, usize> = Default::default();
    let overrides = Overrides::new(args);
    let mut merged = Merged {
        files: Vec::new(),
        diagnostics: Vec::new(),
        files_checked: 0,
        skipped: Default::default(),
        timings: Default::default(),
    };
    for (group, (loaded, paths)) in groups.into_iter().enumerate() {
        if several {
            for p in paths.iter().filter(|p| !p.is_dir()) {
                named.insert(canonical(p), group);
            }
        }
        let walked = walk_group(
            args,
            &overrides,
            loaded,
            &paths,
            stdin.as_ref().map(|s| s.path.clone()),
        )?;
        let knowledge = config::knowledge_for(&walked.settings)?;
        let mut out = check::check_discovered_stdin(
            walked.discovered,
            Options {
                paths,
                settings: walked.settings,
                knowledge,
                threads: threads(args),
            },
            stdin.clone(),
        )?;
        out.timings.phases.insert(0, ("discover", walked.time));
        let offset = merged.files.len();
        if several {
            reported.extend(
                (0..out.project.files.len())
                    .filter(|f| out.project.report[*f])
                    .map(|f| (offset + f, group)),
            );
        }
        for mut d in out.diagnostics {
            d.file += offset;
            for r in &mut d.related {
                r.file += offset;
            }
            merged.diagnostics.push(d);
        }
        merged.files.append(&mut out.project.files);
        merged.files_checked += out.files_checked;
        merged.skipped.absorb(&out.skipped);
        merged.timings.absorb(&out.timings);
        // The project model is many small allocations; freeing them one by one costs
        // about a tenth of a warm run, and the process ends soon after (ruff does the
        // same). `--fix` runs a few passes at most, so what is leaked stays bounded.
        std::mem::forget(out.project);
    }
    if several {
        drop_reported_twice(&mut merged, &reported, &named);
    }
    check::sort_in(&merged.files, &mut merged.diagnostics);
    Ok(merged)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| crate::paths::absolute(p))
}

/// A file reported by two groups (`check . sub/a.py` where `sub` has its own
/// configuration) is reported once: by the group that named it on the command line,
/// whose configuration is the file's nearest; else by the first.
fn drop_reported_twice(
    merged: &mut Merged,
    reported: &[(usize, usize)],
    named: &std::collections::HashMap<PathBuf, usize>,
) {
    let mut chosen: std::collections::HashMap<PathBuf, usize> = Default::default();
    let mut dropped: std::collections::HashSet<usize> = Default::default();
    for &(file, group) in reported {
        let key = canonical(&merged.files[file].path);
        match chosen.get(&key) {
            None => {
                chosen.insert(key, file);
            }
            Some(&first) => {
                if named.get(&key) == Some(&group) {
                    dropped.insert(first);
                    chosen.insert(key, file);
                } else {
                    dropped.insert(file);
                }
            }
        }
    }
    merged.files_checked -= dropped.len();
    merged.diagnostics.retain(|d| !dropped.contains(&d.file));
}

/// `--show-files`: every file that would be checked, and its configuration file.
fn run_show_files(args: &CheckArgs, paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let choice = args.config_source.choice();
    let groups = group_by_config(&choice, paths.clone())?;
    let overrides = Overrides::new(args);
    let mut rows: Vec<(String, String)> = Vec::new();
    for (loaded, group) in groups {
        let named = loaded.file.clone();
        let walked = walk_group(args, &overrides, loaded, &group, None)?;
        for f in walked.discovered.files.iter().filter(|f| f.report) {
            let file = match &walked.tree {
                Some(t) => t.for_file(&f.path).file.clone(),
                None => named.clone(),
            };
            let describe = match (file, &choice) {
                (Some(c), _) => c.describe(),
                (None, ConfigChoice::None) => "(none: --no-config)".to_string(),
                (None, _) => "(none: built-in defaults)".to_string(),
            };
            rows.push((f.display.clone(), describe));
        }
    }
    rows.sort();
    rows.dedup();
    let merged_empty = Merged {
        files: Vec::new(),
        diagnostics: Vec::new(),
        files_checked: rows.len(),
        skipped: Default::default(),
        timings: Default::default(),
    };
    warn_if_nothing_checked(args, &paths, &merged_empty);
    let mut out = io::stdout().lock();
    for (path, config) in rows {
        // Names are user-controlled: one line each, whatever they hold.
        writeln!(out, "{}\t{config}", path.escape_debug())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--add-noqa`: a suppression comment on every line with a finding, then a check of
/// what is left (the lines where no comment could go, TL000).
fn run_add_noqa(args: &CheckArgs, paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let merged = check_all(args, &paths, None)?;
    warn_if_nothing_checked(args, &paths, &merged);
    let plan = crate::noqa::plan(&merged.diagnostics, &merged.files);
    crate::progress::stop();
    let mut lines = 0usize;
    let mut files = 0usize;
    for e in &plan.edited {
        let source = &merged.files[e.file];
        // A file edited since it was read is left alone: its findings may have moved.
        match fix::write_fixed(&source.path, &source.text, &e.text) {
            Ok(()) => {}
            Err(fix::NotWritten::Changed) => {
                eprintln!(
                    "tasklint: warning: not adding suppressions to {}: it changed while tasklint ran",
                    crate::report::escape::text(&source.display)
                );
                continue;
            }
            Err(err) => anyhow::bail!(
                "cannot write `{}`: {err}",
                crate::report::escape::text(&source.display)
            ),
        }
        lines += e.lines;
        files += 1;
    }
    for l in &plan.left {
        let codes = if l.codes.is_empty() {
            String::new()
        } else {
            format!(" ({})", l.codes.join(", "))
        };
        eprintln!(
            "tasklint: warning: no suppression added to {}:{}{codes}: {}",
            crate::report::escape::text(&merged.files[l.file].display),
            l.line,
            l.reason
        );
    }
    if !args.quiet {
        eprintln!(
            "Added suppression comments to {} in {}.",
            plural(lines, "line"),
            plural(files, "file")
        );
    }
    // The run after: what no comment could suppress is still reported.
    let after = check_all(args, &paths, None)?;
    report_findings(args, &after, 0)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `--fix` / `--diff`: check, apply the fixes of one pass, check again, until nothing
/// is left to fix. An editor's buffer (`--stdin-filename`) is fixed in memory and
/// printed on standard output. A file that cannot be written (or changed meanwhile) is
/// left out of later passes; the run then lists what was fixed and what was not, and
/// exits with 2.
fn run_fixes(
    args: &CheckArgs,
    paths: Vec<PathBuf>,
    mut stdin: Option<StdinFile>,
) -> anyhow::Result<ExitCode> {
    let mut fixed_total = 0usize;
    // display path → (original text, current text), for --diff and for stdin.
    let mut changed: Vec<(String, String, String)> = Vec::new();
    // Files written (display, findings fixed), and files that could not be.
    let mut written: Vec<(String, usize)> = Vec::new();
    let mut not_written: Vec<(String, PathBuf, fix::NotWritten)> = Vec::new();
    let in_memory = args.diff || stdin.is_some();
    let mut merged = check_all(args, &paths, stdin.clone())?;
    if stdin.is_none() {
        warn_if_nothing_checked(args, &paths, &merged);
    }
    for _ in 0..fix::MAX_PASSES {
        let pass = fix::plan(&merged.diagnostics, &merged.files, args.unsafe_fixes);
        for r in &pass.refused {
            eprintln!(
                "tasklint: warning: not fixing {} in {}: {}",
                r.codes.join(", "),
                escape::text(&merged.files[r.file].display),
                r.reason
            );
        }
        let files: Vec<&fix::FixedFile> = pass
            .files
            .iter()
            .filter(|f| {
                let path = &merged.files[f.file].path;
                !not_written.iter().any(|(_, p, _)| p == path)
            })
            .collect();
        if files.is_empty() {
            break;
        }
        for f in files {
            let source = &merged.files[f.file];
            if let Some(s) = stdin.as_mut().filter(|s| s.path == source.path) {
                s.bytes = f.text.clone().into_bytes();
            } else if !args.diff {
                if let Err(e) = fix::write_fixed(&source.path, &source.text, &f.text) {
                    not_written.push((source.display.clone(), source.path.clone(), e));
                    continue;
                }
                match written.iter_mut().find(|(d, _)| *d == source.display) {
                    Some(w) => w.1 += f.fixed.len(),
                    None => written.push((source.display.clone(), f.fixed.len())),
                }
            }
            fixed_total += f.fixed.len();
            match changed.iter_mut().find(|(d, _, _)| *d == source.display) {
                Some(entry) => entry.2 = f.text.clone(),
                None => changed.push((
                    source.display.clone(),
                    source.text.to_string(),
                    f.text.clone(),
                )),
            }
        }
        if args.diff && stdin.is_none() {
            // The files on disk do not change: one pass is what can be shown.
            break;
        }
        merged = check_all(args, &paths, stdin.clone())?;
    }
    crate::progress::stop();
    if args.diff {
        let mut out = io::stdout().lock();
        for (display, old, new) in &changed {
            write!(out, "{}", fix::unified_diff(display, old, new))?;
        }
        if !args.quiet {
            eprintln!(
                "Would fix {} finding{}.",
                fixed_total,
                if fixed_total == 1 { "" } else { "s" }
            );
        }
        return Ok(if changed.is_empty() || args.exit_zero {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if in_memory {
        // An editor's buffer: the fixed text on stdout, what is left on stderr.
        if let Some(s) = &stdin {
            io::stdout().lock().write_all(&s.bytes)?;
        }
        let mut err = NoColor::new(io::stderr().lock());
        let mut summary = Summary::new(merged.files_checked, &merged.diagnostics);
        summary.quiet = args.quiet;
        report::Concise.emit(&mut err, &merged.diagnostics, &merged.files, &summary)?;
        return Ok(if merged.diagnostics.is_empty() || args.exit_zero {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let code = report_findings(args, &merged, fixed_total)?;
    if not_written.is_empty() {
        return Ok(code);
    }
    let mut err = io::stderr().lock();
    writeln!(err, "tasklint: error: could not fix every file")?;
    for (display, n) in &written {
        writeln!(
            err,
            "  fixed:     {} ({})",
            escape::text(display),
            report::plural(*n, "finding")
        )?;
    }
    for (display, _, why) in &not_written {
        writeln!(err, "  not fixed: {}: {why}", escape::text(display))?;
    }
    Ok(ExitCode::from(2))
}

fn report_findings(args: &CheckArgs, merged: &Merged, fixed: usize) -> anyhow::Result<ExitCode> {
    crate::progress::stop();
    let report_clock = std::time::Instant::now();
    let mut summary = Summary::new(merged.files_checked, &merged.diagnostics);
    summary.skipped = merged.skipped.clone();
    summary.quiet = args.quiet;
    summary.fixed = fixed;
    summary.fixable = fix::fixable(&merged.diagnostics, args.unsafe_fixes);
    summary.hidden_unsafe_fixes = if args.unsafe_fixes {
        0
    } else {
        fix::fixable(&merged.diagnostics, true) - summary.fixable
    };
    let exit = if merged.diagnostics.is_empty() || args.exit_zero {
        0
    } else {
        1
    };
    summary.exit_code = exit;
    summary.rule_links = args.format == Format::Text;
    let emitter: &dyn Emitter = match args.format {
        Format::Text => &report::Text,
        Format::Concise => &report::Concise,
        Format::Json => &report::Json,
        Format::Sarif => &report::Sarif,
        Format::Github => &report::Github,
        Format::Junit => &report::Junit,
        Format::Gitlab => &report::Gitlab,
    };
    let write = |w: &mut dyn WriteColor| -> io::Result<()> {
        match (args.statistics, args.format) {
            (true, Format::Json) => report::statistics::write_json(w, &merged.diagnostics),
            (true, _) => report::statistics::write_table(w, &merged.diagnostics, &summary),
            (false, _) => emitter.emit(w, &merged.diagnostics, &merged.files, &summary),
        }
    };
    match &args.output_file {
        Some(path) => {
            refuse_to_overwrite_an_input(path, merged.files.iter().map(|f| f.path.as_path()))?;
            let mut buffer = NoColor::new(Vec::new());
            write(&mut buffer)?;
            std::fs::write(path, buffer.get_ref())
                .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
        }
        None => {
            let stdout = StandardStream::stdout(color_choice(args.color));
            let mut lock = stdout.lock();
            // A reader that stops early (`| head`) is not an error of ours.
            match write(&mut lock).and_then(|()| lock.flush()) {
                Err(e) if is_broken_pipe(&e) => {}
                r => r?,
            }
        }
    }
    if args.timings {
        let mut t = merged.timings.clone();
        t.add("report", report_clock.elapsed());
        eprint!("{}", t.render());
    }
    Ok(ExitCode::from(exit as u8))
}

fn toml_list(items: &[String]) -> String {
    toml::Value::Array(
        items
            .iter()
            .map(|s| toml::Value::String(s.clone()))
            .collect(),
    )
    .to_string()
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn print_config(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let path = args.path.unwrap_or_else(|| PathBuf::from("."));
    if !path.exists() {
        anyhow::bail!("path `{}` does not exist", path.display());
    }
    let loaded = config::resolve(&args.source.choice(), &config::start_of(&path))?;
    let s = &loaded.settings;
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!(
        "# settings for {}",
        escape::text(&crate::source::display_path(&path))
    ));
    match (&loaded.file, &args.source.choice()) {
        (Some(f), _) => line(format!("# from {}", escape::text(&f.describe()))),
        (None, ConfigChoice::None) => line("# from: none (--no-config): built-in defaults".into()),
        (None, _) => line(format!(
            "# from: none (no tasklint.toml or pyproject.toml with [tool.tasklint] in {} or above): built-in defaults",
            escape::text(&config::display(&config::start_of(&path)))
        )),
    }
    match &s.select {
        Some(sel) => line(format!("select = {}", toml_list(sel))),
        None => line("# select is not set: the rules that are on by default".into()),
    }
    line(format!("extend-select = {}", toml_list(&s.extend_select)));
    line(format!("ignore = {}", toml_list(&s.ignore)));
    match &s.exclude {
        Some(e) => line(format!("exclude = {}", toml_list(e))),
        None => line(format!(
            "# exclude is not set: the built-in list {}",
            toml_list(&s.exclude_patterns()[..crate::settings::DEFAULT_EXCLUDES.len()])
        )),
    }
    line(format!("extend-exclude = {}", toml_list(&s.extend_exclude)));
    let pfi: Vec<String> = s
        .per_file_ignores
        .iter()
        .map(|p| format!("{} = {}", toml_str(&p.pattern), toml_list(&p.selectors)))
        .collect();
    line(format!("per-file-ignores = {{ {} }}", pfi.join(", ")).replace("{  }", "{}"));
    line(format!("max-call-depth = {}", s.max_call_depth));
    line(format!(
        "report-task-calls-in-tasks = {}",
        s.report_task_calls_in_tasks
    ));
    let td: Vec<String> = s
        .task_decorators
        .iter()
        .map(|d| {
            format!(
                "{{ path = {}, framework = {} }}",
                toml_str(&d.path),
                toml_str(&d.framework)
            )
        })
        .collect();
    line(format!("task-decorators = [{}]", td.join(", ")));
    let sc: Vec<String> = s
        .slow_calls
        .iter()
        .map(|c| {
            let mut t = format!(
                "{{ path = {}, reason = {}, severity = {}",
                toml_str(&c.path),
                toml_str(&c.reason),
                toml_str(c.severity.as_str())
            );
            if let Some(i) = &c.instead {
                t.push_str(&format!(", instead = {}", toml_str(i)));
            }
            t + " }"
        })
        .collect();
    line(format!("slow-calls = [{}]", sc.join(", ")));
    line(format!(
        "handler-decorators = {}",
        toml_list(&s.handler_decorators)
    ));
    let hb: Vec<String> = s
        .handler_base_classes
        .iter()
        .map(|b| {
            format!(
                "{{ path = {}, methods = {} }}",
                toml_str(&b.path),
                toml_list(&b.methods)
            )
        })
        .collect();
    line(format!("handler-base-classes = [{}]", hb.join(", ")));
    let bc: Vec<String> = s
        .blocking_calls
        .iter()
        .map(|c| {
            format!(
                "{{ path = {}, reason = {} }}",
                toml_str(&c.path),
                toml_str(&c.reason)
            )
        })
        .collect();
    line(format!("blocking-calls = [{}]", bc.join(", ")));
    // For a file, `per-file-ignores` may turn rules off: say which entries match and
    // leave their rules out of the list.
    let pfi = config::PerFileIgnores::new(s);
    let matching = if path.is_dir() {
        Vec::new()
    } else {
        pfi.matching(&path)
    };
    for e in &matching {
        line(format!(
            "# per-file-ignores: {} matches {}: {} off here",
            toml_str(&e.pattern),
            path.display(),
            e.selectors.join(", ")
        ));
    }
    let enabled: Vec<&str> = rules::ALL
        .iter()
        .filter(|r| s.is_enabled(r.info))
        .filter(|r| path.is_dir() || !pfi.ignores(&path, r.info.code))
        .map(|r| r.info.code)
        .collect();
    let scope = if path.is_dir() {
        String::new()
    } else {
        format!(" in {}", path.display())
    };
    line(format!("# rules in force{scope}: {}", enabled.join(", ")));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn language_names(info: &rules::RuleInfo) -> Vec<&'static str> {
    info.languages
        .iter()
        .map(|l| match l {
            crate::model::Language::Python => "python",
            crate::model::Language::Rust => "rust",
        })
        .collect()
}

/// A rule as `--format json` prints it; `doc` only for `tasklint rule`.
fn rule_json(info: &rules::RuleInfo, with_doc: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "code": info.code,
        "name": info.name,
        "summary": info.summary,
        "severity": info.severity.as_str(),
        "default": info.default_enabled,
        "languages": language_names(info),
        "fix": match info.fix {
            rules::FixAvailability::Never => "never",
            rules::FixAvailability::Sometimes => "sometimes",
            rules::FixAvailability::Always => "always",
        },
        "url": report::rule_url(info.code),
    });
    if with_doc {
        v["doc"] = serde_json::Value::from(info.doc);
    }
    v
}

fn print_rules(format: RulesFormat) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if format == RulesFormat::Json {
        let all: Vec<serde_json::Value> = rules::ALL
            .iter()
            .map(|r| rule_json(r.info, false))
            .collect();
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<6} {:<30} {:<8} {:<8} {:<11} summary",
        "code", "name", "severity", "default", "languages"
    )?;
    for r in rules::ALL {
        let i = &r.info;
        writeln!(
            out,
            "{:<6} {:<30} {:<8} {:<8} {:<11} {}",
            i.code,
            i.name,
            i.severity.as_str(),
            if i.default_enabled { "on" } else { "off" },
            language_names(i).join(","),
            i.summary
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rule(code: Option<&str>, all: bool, format: RulesFormat) -> anyhow::Result<ExitCode> {
    let chosen: Vec<&rules::Rule> = if all {
        rules::ALL.to_vec()
    } else {
        let code = code.unwrap_or_default();
        match rules::find(code) {
            Some(r) => vec![r],
            None => anyhow::bail!("unknown rule `{code}` (see `tasklint rules`)"),
        }
    };
    let mut out = io::stdout().lock();
    match format {
        RulesFormat::Json if all => {
            let v: Vec<serde_json::Value> =
                chosen.iter().map(|r| rule_json(r.info, true)).collect();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rule_json(chosen[0].info, true))?;
            writeln!(out)?;
        }
        RulesFormat::Text => {
            for (i, r) in chosen.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write!(out, "{}", r.info.doc)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let (path, line) = match &args.target {
        Some(t) => crate::explain::parse_target(t),
        None => (PathBuf::from("."), None),
    };
    let json = args.format == ExplainFormat::Json;
    let mut buf = Vec::new();
    crate::explain::run(
        crate::explain::Request {
            path,
            line,
            config: args.config_source.choice(),
            max_call_depth: args.max_call_depth,
            json,
        },
        &mut buf,
    )?;
    let text = String::from_utf8_lossy(&buf);
    let mut out = io::stdout().lock();
    if json {
        out.write_all(text.as_bytes())?;
    } else {
        // Names, paths and source lines come from the checkout: a terminal must show
        // them, not act on them.
        for line in text.split_inclusive('\n') {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            write!(out, "{}{end}", crate::report::escape::text(body))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
