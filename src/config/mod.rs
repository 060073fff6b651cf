//! Configuration: finding `tasklint.toml` or `[tool.tasklint]` in `pyproject.toml`,
//! reading it into [`Settings`], and merging its knowledge extensions into the built-in
//! [`Knowledge`].
//!
//! Discovery walks up from each checked path; in each folder `tasklint.toml` comes
//! first, then a `pyproject.toml` that has a `[tool.tasklint]` table (a pyproject.toml
//! without one is passed over). The nearest file wins; nothing is merged across files.
//! `--config PATH` names the file instead and `--no-config` uses the defaults.

pub mod glob;
pub mod parse;
pub mod tree;

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use toml::de::{DeTable, DeValue};

use crate::knowledge::Knowledge;
use crate::settings::{PerFileIgnore, Settings};

pub const TASKLINT_TOML: &str = "tasklint.toml";
pub const PYPROJECT_TOML: &str = "pyproject.toml";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigKind {
    /// `tasklint.toml` (or any file named with `--config` that is not a pyproject.toml):
    /// the keys are at the top level.
    Tasklint,
    /// `pyproject.toml`: the keys are in `[tool.tasklint]`.
    Pyproject,
}

/// A configuration file that was found or named.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConfigFile {
    /// Absolute.
    pub path: PathBuf,
    pub kind: ConfigKind,
}

impl ConfigFile {
    pub fn named(path: &Path) -> ConfigFile {
        let kind = if path.file_name().is_some_and(|n| n == PYPROJECT_TOML) {
            ConfigKind::Pyproject
        } else {
            ConfigKind::Tasklint
        };
        ConfigFile {
            path: crate::paths::absolute(path),
            kind,
        }
    }

    /// The folder relative patterns are anchored at.
    pub fn root(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// `tasklint.toml`, `backend/pyproject.toml [tool.tasklint]`: for messages.
    pub fn describe(&self) -> String {
        match self.kind {
            ConfigKind::Tasklint => display(&self.path),
            ConfigKind::Pyproject => format!("{} [tool.tasklint]", display(&self.path)),
        }
    }
}

/// How the command line asks for configuration.
#[derive(Clone, Debug, Default)]
pub enum ConfigChoice {
    /// Walk up from each checked path.
    #[default]
    Discover,
    /// `--config PATH`.
    File(PathBuf),
    /// `--no-config`.
    None,
}

/// The settings for a set of paths and where they came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub file: Option<ConfigFile>,
}

/// A path as users should see it: relative to the current folder when it is below it.
pub fn display(p: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = p.strip_prefix(&cwd)
        && !rel.as_os_str().is_empty()
    {
        return crate::source::display_path(rel);
    }
    crate::source::display_path(p)
}

/// The folder discovery starts from for a checked path: the path itself when it is a
/// folder, else its parent (the path need not exist: `--stdin-filename`).
pub fn start_of(path: &Path) -> PathBuf {
    let abs = crate::paths::absolute(path);
    if abs.is_dir() {
        abs
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs)
    }
}

/// What marks the root of a version-control checkout.
pub const VCS_MARKERS: &[&str] = &[".git", ".hg", ".svn", ".jj", ".bzr", "_darcs", ".pijul"];

/// The folders a search upward (for the project root, for configuration) may look in,
/// nearest first: `dir` and its ancestors up to the first version-control root. Never
/// a folder anyone may write to, nor anything above it: in a sticky `/tmp` any local
/// user can plant a `setup.py` or a `tasklint.toml` for somebody else's run (root's, in
/// a container) to pick up.
pub fn search_folders(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dir.ancestors() {
        if world_writable(d) {
            break;
        }
        out.push(d.to_path_buf());
        if is_vcs_root(d) {
            break;
        }
    }
    out
}

/// Does `dir` hold a version-control checkout's root marker?
pub fn is_vcs_root(dir: &Path) -> bool {
    VCS_MARKERS.iter().any(|m| dir.join(m).exists())
}

#[cfg(unix)]
pub(crate) fn world_writable(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
}

#[cfg(not(unix))]
pub(crate) fn world_writable(_: &Path) -> bool {
    false
}

/// The nearest configuration file at or above `start` ([`search_folders`]).
pub fn find(start: &Path) -> Result<Option<ConfigFile>> {
    for dir in search_folders(&crate::paths::absolute(start)) {
        if let Some(f) = find_in(&dir)? {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

/// The configuration file in `dir` itself, if there is one.
pub fn find_in(dir: &Path) -> Result<Option<ConfigFile>> {
    let t = dir.join(TASKLINT_TOML);
    if t.is_file() {
        return Ok(Some(ConfigFile {
            path: t,
            kind: ConfigKind::Tasklint,
        }));
    }
    let p = dir.join(PYPROJECT_TOML);
    if p.is_file() && has_tasklint_table(&p)? {
        return Ok(Some(ConfigFile {
            path: p,
            kind: ConfigKind::Pyproject,
        }));
    }
    Ok(None)
}

/// The largest configuration file read: far above any real one, and a bound on what a
/// hostile checkout's configuration costs (a 5 MB one with 300,000 globs took 2.7 GB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Why a configuration file could not be read as text.
enum Unreadable {
    Io(std::io::Error),
    TooLarge,
    NotUtf8(Vec<u8>),
}

fn read_bounded(path: &Path) -> Result<String, Unreadable> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(Unreadable::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Unreadable::Io)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Unreadable::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| Unreadable::NotUtf8(e.into_bytes()))
}

fn unreadable_error(path: &Path, why: Unreadable) -> anyhow::Error {
    match why {
        Unreadable::Io(e) => anyhow!("cannot read configuration file {}: {e}", display(path)),
        Unreadable::TooLarge => anyhow!(
            "configuration file {} is larger than {} MiB: tasklint reads no more",
            display(path),
            MAX_CONFIG_BYTES >> 20
        ),
        Unreadable::NotUtf8(_) => anyhow!(
            "cannot read configuration file {}: it is not UTF-8 text",
            display(path)
        ),
    }
}

fn read(path: &Path) -> Result<String> {
    read_bounded(path).map_err(|why| unreadable_error(path, why))
}

/// Does the file mention `tasklint` anywhere? Read in pieces, so that a huge file costs
/// time, not memory.
fn mentions_tasklint(path: &Path) -> bool {
    use std::io::Read;
    const WORD: &[u8] = b"tasklint";
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut kept = 0;
    loop {
        match file.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => {
                let end = kept + n;
                if memchr::memmem::find(&buf[..end], WORD).is_some() {
                    return true;
                }
                // Keep the tail: the word may straddle two reads.
                let tail = WORD.len() - 1;
                buf.copy_within(end - tail.min(end)..end, 0);
                kept = tail.min(end);
            }
        }
    }
}

/// Warns once per file (discovery runs once per checked path).
fn warn_once(path: &Path, message: String) {
    static WARNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if !warned.iter().any(|p| p == path) {
        warned.push(path.to_path_buf());
        eprintln!(
            "tasklint: warning: {}",
            crate::report::escape::text(&message)
        );
    }
}

/// Is this `pyproject.toml` meant for tasklint? One that cannot be read is passed over
/// with a warning, unless it mentions tasklint: then it is an error, as a broken
/// `tasklint.toml` is (an unreadable pyproject.toml of some other tool, in some folder
/// above the project, must not stop every run).
fn has_tasklint_table(path: &Path) -> Result<bool> {
    let text = match read_bounded(path) {
        Ok(text) => text,
        Err(Unreadable::NotUtf8(bytes)) if memchr::memmem::find(&bytes, b"tasklint").is_none() => {
            warn_once(
                path,
                format!(
                    "{} is not UTF-8 text: skipped (it has no [tool.tasklint])",
                    display(path)
                ),
            );
            return Ok(false);
        }
        Err(Unreadable::TooLarge) if !mentions_tasklint(path) => {
            warn_once(
                path,
                format!(
                    "{} is larger than {} MiB: skipped (it has no [tool.tasklint])",
                    display(path),
                    MAX_CONFIG_BYTES >> 20
                ),
            );
            return Ok(false);
        }
        Err(Unreadable::Io(e)) => {
            warn_once(
                path,
                format!(
                    "cannot read {} ({e}): skipped; a [tool.tasklint] in it would not apply",
                    display(path)
                ),
            );
            return Ok(false);
        }
        Err(why) => return Err(unreadable_error(path, why)),
    };
    match DeTable::parse(&text) {
        Ok(t) => Ok(tool_tasklint(t.get_ref()).is_some()),
        // A broken pyproject.toml is somebody else's problem unless it is meant for us.
        Err(e) if text.contains("tool.tasklint") => Err(toml_error(path, &text, e)),
        Err(_) => Ok(false),
    }
}

fn tool_tasklint<'a, 'i>(doc: &'a DeTable<'i>) -> Option<&'a toml::Spanned<DeValue<'i>>> {
    let DeValue::Table(tool) = doc.get("tool")?.get_ref() else {
        return None;
    };
    tool.get("tasklint")
}

/// An error message of several lines whose every part from the checkout (names, the
/// excerpt) is already escaped: printed as it is, line breaks included.
#[derive(Debug)]
pub struct Rendered(pub String);

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rendered {}

fn toml_error(path: &Path, text: &str, e: toml::de::Error) -> anyhow::Error {
    let message = e.message().trim_end();
    match e.span() {
        Some(span) => {
            let (line, column, excerpt) = excerpt(text, span.start);
            let name = crate::report::escape::text(&display(path)).into_owned();
            let message = crate::report::escape::text(message);
            anyhow::Error::new(Rendered(format!(
                "{name} line {line} is not valid TOML: {message}\n  --> {name}:{line}:{column}\n{excerpt}"
            )))
        }
        None => anyhow!("{} is not valid TOML: {message}", display(path)),
    }
}

/// The 1-based line and column (in characters) of `offset`, and the line with a caret
/// under the column, as rustc shows a place:
///
/// ```text
///    |
///  3 | select = ["TL1"
///    |                ^
/// ```
pub fn excerpt(text: &str, offset: usize) -> (usize, usize, String) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[..offset].matches('\n').count() + 1;
    let column = text[line_start..offset].chars().count() + 1;
    // Tabs and control characters would move the caret or the terminal: show them as
    // spaces and `?`.
    let shown: String = text[line_start..line_end]
        .trim_end_matches('\r')
        .chars()
        .take(200)
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() || crate::report::escape::is_unsafe(c) => '?',
            c => c,
        })
        .collect();
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let caret = format!("{}^", " ".repeat((column - 1).min(200)));
    (
        line,
        column,
        format!("{pad} |\n{number} | {shown}\n{pad} | {caret}"),
    )
}

/// `a/b/../c` → `a/c`, on the text of the path (no link is followed).
fn without_dot_dot(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// How many files an `extend` chain may hold.
const MAX_EXTEND_DEPTH: usize = 16;

/// Reads a configuration file into settings, following `extend`.
pub fn load(file: &ConfigFile) -> Result<Settings> {
    load_chain(file, &mut Vec::new())
}

fn load_chain(file: &ConfigFile, chain: &mut Vec<PathBuf>) -> Result<Settings> {
    let key = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
    if chain.contains(&key) {
        let names: Vec<String> = chain
            .iter()
            .chain(std::iter::once(&key))
            .map(|p| display(p))
            .collect();
        bail!("\"extend\" goes round in a circle: {}", names.join(" → "));
    }
    if chain.len() >= MAX_EXTEND_DEPTH {
        bail!(
            "\"extend\" in {} goes more than {MAX_EXTEND_DEPTH} files deep",
            display(&file.path)
        );
    }
    chain.push(key);
    let text = read(&file.path)?;
    let parsed = parse_full(&text, &display(&file.path), file.kind).map_err(|e| match e {
        ParseError::Toml(e) => toml_error(&file.path, &text, e),
        ParseError::Message(m) => anyhow!(m),
    })?;
    let mut settings = parsed.settings;
    settings.root = Some(file.root());
    let Some((base, place)) = parsed.extend else {
        return Ok(settings);
    };
    // Relative to the folder of the file that says it, as ruff reads `extend`; `..`
    // resolved on the path itself, so that the base's folder is an ancestor of the files
    // below it (its patterns are anchored there).
    let base_path = without_dot_dot(&file.root().join(&base));
    if !base_path.is_file() {
        bail!(
            "\"extend\" in {place}: {} does not exist (the path is relative to the folder of the file that extends it)",
            display(&base_path)
        );
    }
    let base_file = ConfigFile::named(&base_path);
    let inherited = load_chain(&base_file, chain)?;
    Ok(inherit(inherited, settings, &parsed.keys))
}

/// The settings of a file that `extend`s another: the base's, with each key the file
/// sets taking over. Lists that add to something — `extend-select`, `extend-exclude`
/// and the knowledge extensions — add to the base's too; `select` starts over (the
/// base's `extend-select` and `ignore` no longer apply, as with `--select`).
fn inherit(base: Settings, child: Settings, keys: &[String]) -> Settings {
    let mut s = base;
    // The base's patterns keep the folder they were written for.
    let base_root = s.root.clone();
    if let Some(root) = &base_root
        && child.root.as_ref() != Some(root)
    {
        let mut own: Vec<String> = s.exclude.clone().unwrap_or_default();
        own.extend(s.extend_exclude.iter().cloned());
        own.extend(s.per_file_ignores.iter().map(|p| p.pattern.clone()));
        for p in own {
            if !s.inherited_roots.iter().any(|(q, _)| *q == p) {
                s.inherited_roots.push((p, root.clone()));
            }
        }
    }
    // The child's own patterns are relative to its folder (where the base wrote the
    // same text, both are read from the child's folder).
    let own: Vec<&String> = child
        .exclude
        .iter()
        .flatten()
        .chain(&child.extend_exclude)
        .chain(child.per_file_ignores.iter().map(|p| &p.pattern))
        .collect();
    s.inherited_roots.retain(|(p, _)| !own.contains(&p));
    let has = |k: &str| keys.iter().any(|x| x == k);
    if has("select") {
        s.select = child.select;
        s.extend_select = child.extend_select.clone();
        s.ignore = child.ignore.clone();
    } else {
        s.extend_select.extend(child.extend_select.iter().cloned());
        s.ignore.extend(child.ignore.iter().cloned());
    }
    if has("exclude") {
        s.exclude = child.exclude;
    }
    s.extend_exclude.extend(child.extend_exclude);
    if has("per-file-ignores") {
        s.per_file_ignores = child.per_file_ignores;
    }
    if has("max-call-depth") {
        s.max_call_depth = child.max_call_depth;
    }
    s.task_decorators.extend(child.task_decorators);
    s.slow_calls.extend(child.slow_calls);
    s.handler_decorators.extend(child.handler_decorators);
    s.handler_base_classes.extend(child.handler_base_classes);
    s.blocking_calls.extend(child.blocking_calls);
    s.root = child.root;
    s
}

pub enum ParseError {
    Toml(toml::de::Error),
    Message(String),
}

/// Reads configuration text; `label` names the file in messages.
pub fn parse_text(text: &str, label: &str, kind: ConfigKind) -> Result<Settings, ParseError> {
    parse_full(text, label, kind).map(|p| p.settings)
}

/// A configuration file's text, read.
struct Parsed {
    settings: Settings,
    /// The keys it sets.
    keys: Vec<String>,
    /// `extend`: the path as written, and where it is written (`tasklint.toml line 1`).
    extend: Option<(String, String)>,
}

fn parse_full(text: &str, label: &str, kind: ConfigKind) -> Result<Parsed, ParseError> {
    let doc = DeTable::parse(text).map_err(ParseError::Toml)?;
    let ctx = parse::Doc {
        label: label.to_string(),
        text,
    };
    let empty = DeTable::new();
    let table = match kind {
        ConfigKind::Tasklint => doc.get_ref(),
        ConfigKind::Pyproject => match tool_tasklint(doc.get_ref()) {
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => t,
                _ => {
                    return Err(ParseError::Message(format!(
                        "\"tool.tasklint\" in {} must be a table",
                        ctx.at(&v.span())
                    )));
                }
            },
            None => &empty,
        },
    };
    let settings = parse::settings_from_table(&ctx, table).map_err(ParseError::Message)?;
    let keys = table.iter().map(|(k, _)| k.get_ref().to_string()).collect();
    let extend = table.get("extend").and_then(|v| match v.get_ref() {
        DeValue::String(s) => Some((s.trim().to_string(), ctx.at(&v.span()))),
        _ => None,
    });
    Ok(Parsed {
        settings,
        keys,
        extend,
    })
}

/// The settings for paths whose discovery starts at `start`.
pub fn resolve(choice: &ConfigChoice, start: &Path) -> Result<Loaded> {
    match choice {
        ConfigChoice::None => Ok(Loaded {
            settings: Settings::default(),
            file: None,
        }),
        ConfigChoice::File(p) => {
            if !p.is_file() {
                bail!("configuration file {} does not exist", p.display());
            }
            let file = ConfigFile::named(p);
            Ok(Loaded {
                settings: load(&file)?,
                file: Some(file),
            })
        }
        ConfigChoice::Discover => match find(start)? {
            Some(file) => Ok(Loaded {
                settings: load(&file)?,
                file: Some(file),
            }),
            None => Ok(Loaded {
                settings: Settings::default(),
                file: None,
            }),
        },
    }
}

/// `per-file-ignores`, ready to be asked about many files.
pub struct PerFileIgnores<'s> {
    settings: &'s Settings,
    globs: Option<glob::PathGlobs>,
}

impl<'s> PerFileIgnores<'s> {
    pub fn new(settings: &'s Settings) -> PerFileIgnores<'s> {
        let patterns: Vec<(String, Option<PathBuf>)> = settings
            .per_file_ignores
            .iter()
            .map(|e| (e.pattern.clone(), settings.root_of_pattern(&e.pattern)))
            .collect();
        // The patterns were checked when the configuration was read.
        let globs = (!patterns.is_empty())
            .then(|| glob::PathGlobs::with_roots(&patterns).ok())
            .flatten();
        PerFileIgnores { settings, globs }
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_none()
    }

    /// The entries whose pattern matches `path` (absolute, or relative to the current
    /// folder). Patterns with a `/` are anchored at the configuration's folder; for a
    /// file outside it, at the file's own folder.
    pub fn matching(&self, path: &Path) -> Vec<&'s PerFileIgnore> {
        let Some(globs) = &self.globs else {
            return Vec::new();
        };
        let root = self.settings.root.as_deref();
        let abs = crate::paths::absolute(path);
        let base = match root {
            Some(r) if abs.starts_with(r) => r.to_path_buf(),
            _ => abs.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        globs
            .matching_with_ancestors(&abs, &base, root)
            .into_iter()
            .map(|i| &self.settings.per_file_ignores[i])
            .collect()
    }

    /// Does an entry matching `path` turn off the rule `code`?
    pub fn ignores(&self, path: &Path, code: &str) -> bool {
        self.matching(path).iter().any(|e| {
            e.selectors
                .iter()
                .any(|s| crate::settings::selector_matches(s, code))
        })
    }
}

/// The built-in knowledge extended with what the settings add.
pub fn knowledge_for(settings: &Settings) -> Result<Knowledge> {
    let mut k = crate::knowledge::BUILTIN.clone();
    k.extend_with(settings).map_err(|e| anyhow!(e))?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_prefers_tasklint_toml_and_skips_foreign_pyproject() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::write(
            root.join("pyproject.toml"),
            "[tool.tasklint]\nselect = [\"TL1\"]\n",
        )
        .unwrap();
        std::fs::write(
            root.join("a/pyproject.toml"),
            "[tool.black]\nline-length = 99\n",
        )
        .unwrap();
        let found = find(&root.join("a/b/c")).unwrap().unwrap();
        assert_eq!(found.path, root.join("pyproject.toml"));
        assert_eq!(found.kind, ConfigKind::Pyproject);
        std::fs::write(root.join("a/tasklint.toml"), "").unwrap();
        let found = find(&root.join("a/b/c")).unwrap().unwrap();
        assert_eq!(found.path, root.join("a/tasklint.toml"));
        let s = load(&found).unwrap();
        assert_eq!(s.root.as_deref(), Some(root.join("a").as_path()));
    }

    #[test]
    fn pyproject_errors_count_lines_in_the_whole_file() {
        let text = "[project]\nname = \"x\"\n\n[tool.tasklint]\nselct = []\n";
        let Err(ParseError::Message(m)) = parse_text(text, "pyproject.toml", ConfigKind::Pyproject)
        else {
            panic!("expected an error");
        };
        assert_eq!(
            m,
            "unknown key \"selct\" in pyproject.toml line 5; did you mean \"select\"?"
        );
    }
}
