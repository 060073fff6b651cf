//! The command line: `tasklint check`, `tasklint rules`, `tasklint rule CODE`.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

use crate::check::{self, Options};
use crate::report::{self, Emitter, Summary};
use crate::rules;
use crate::settings::Settings;

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
    Rules,
    /// Print a rule's documentation.
    Rule {
        /// A rule code (TL101) or name (task-called-directly).
        code: String,
    },
    /// What tasklint understood of a project: tasks, handlers, module names (for
    /// developing tasklint and its knowledge data).
    #[command(hide = true)]
    Explain {
        /// Files or folders.
        paths: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source excerpts (default).
    Text,
    /// One line a finding: `path:line:col: CODE message`.
    Concise,
    /// The stable JSON schema (version 1) for editors and scripts.
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
    /// Files or folders to check.
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub output_file: Option<PathBuf>,
    /// How many project calls deep handler rules follow.
    #[arg(long)]
    pub max_call_depth: Option<usize>,
    /// Exit with 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Print only the findings, without the summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Number of worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// When to use colours in the text format.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Neither read nor write the cache of parsed files (`.tasklint_cache`, or
    /// `$TASKLINT_CACHE_DIR`).
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
        Command::Rules => print_rules(),
        Command::Rule { code } => print_rule(&code),
        Command::Explain { paths } => explain(paths),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tasklint: error: {e:#}");
            ExitCode::from(2)
        }
    }
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

fn run_check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::default();
    if let Some(sel) = args.select {
        settings.select = Some(sel);
    }
    settings.extend_select = args.extend_select;
    settings.ignore = args.ignore;
    if let Some(d) = args.max_call_depth {
        settings.max_call_depth = d;
    }
    settings.cache = !args.no_cache;
    settings.prefilter = !args.no_prefilter;
    for code in settings
        .select
        .iter()
        .flatten()
        .chain(&settings.extend_select)
        .chain(&settings.ignore)
    {
        if !code.eq_ignore_ascii_case("ALL")
            && !rules::ALL
                .iter()
                .any(|r| r.info.code.starts_with(&code.to_ascii_uppercase()))
        {
            anyhow::bail!("unknown rule selector `{code}` (see `tasklint rules`)");
        }
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let out = check::check(Options {
        paths,
        settings,
        knowledge: crate::knowledge::BUILTIN.clone(),
        threads: args.threads,
    })?;
    let report_clock = std::time::Instant::now();
    let mut summary = Summary::new(out.files_checked, &out.diagnostics);
    summary.skipped = out.skipped.clone();
    let emitter: &dyn Emitter = match args.format {
        Format::Text => &report::Text,
        Format::Concise => &report::Concise,
        Format::Json => &report::Json,
    };
    let mut buffer: Vec<u8> = Vec::new();
    match &args.output_file {
        Some(path) => {
            emitter.emit(
                &mut NoColor::new(&mut buffer),
                &out.diagnostics,
                &out.project.files,
                &summary,
            )?;
            std::fs::write(path, &buffer)
                .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
        }
        None => {
            let stdout = StandardStream::stdout(color_choice(args.color));
            let mut lock = stdout.lock();
            let w: &mut dyn WriteColor = &mut lock;
            if args.quiet && args.format != Format::Json {
                // The findings only: render to a buffer and drop the summary line.
                let mut plain = NoColor::new(Vec::new());
                emitter.emit(&mut plain, &out.diagnostics, &out.project.files, &summary)?;
                let text = String::from_utf8_lossy(plain.get_ref()).into_owned();
                let body = text
                    .strip_suffix(&format!("{}\n", summary.sentence()))
                    .unwrap_or(&text);
                w.write_all(body.as_bytes())?;
            } else {
                emitter.emit(w, &out.diagnostics, &out.project.files, &summary)?;
            }
            w.flush()?;
        }
    }
    if args.timings {
        let mut t = out.timings.clone();
        t.add("report", report_clock.elapsed());
        eprint!("{}", t.render());
    }
    Ok(if out.diagnostics.is_empty() || args.exit_zero {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_rules() -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{:<6} {:<30} {:<8} {:<8} {:<11} summary",
        "code", "name", "severity", "default", "languages"
    )?;
    for r in rules::ALL {
        let i = &r.info;
        let langs: Vec<&str> = i
            .languages
            .iter()
            .map(|l| match l {
                crate::model::Language::Python => "python",
                crate::model::Language::Rust => "rust",
            })
            .collect();
        writeln!(
            out,
            "{:<6} {:<30} {:<8} {:<8} {:<11} {}",
            i.code,
            i.name,
            i.severity.as_str(),
            if i.default_enabled { "on" } else { "off" },
            langs.join(","),
            i.summary
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rule(code: &str) -> anyhow::Result<ExitCode> {
    match rules::find(code) {
        Some(r) => {
            print!("{}", r.info.doc);
            Ok(ExitCode::SUCCESS)
        }
        None => anyhow::bail!("unknown rule `{code}` (see `tasklint rules`)"),
    }
}

fn explain(paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let out = check::check(Options {
        paths,
        settings: Settings::default(),
        knowledge: crate::knowledge::BUILTIN.clone(),
        threads: None,
    })?;
    let p = &out.project;
    let mut w = io::stdout().lock();
    writeln!(
        w,
        "files: {} ({} reported)",
        p.files.len(),
        out.files_checked
    )?;
    let mut tasks: Vec<String> = p
        .tasks
        .iter()
        .map(|t| {
            format!(
                "  {} [{}]{}",
                p.qualname(t.func),
                p.knowledge.frameworks[t.framework].id,
                if t.wrapped_by.is_some() {
                    " (wrapped)"
                } else {
                    ""
                }
            )
        })
        .collect();
    tasks.sort();
    writeln!(w, "tasks: {}", tasks.len())?;
    for t in tasks {
        writeln!(w, "{t}")?;
    }
    writeln!(w, "handlers: {}", p.handlers.len())?;
    for h in p.handlers.iter() {
        writeln!(w, "  {} [{}]", p.qualname(h.func), h.kind)?;
    }
    Ok(ExitCode::SUCCESS)
}
