//! Which files a check reads, and which of them it reports on.
//!
//! A folder given on the command line is a root: every `.py` and `.rs` file below it is
//! read and reported, honouring `.gitignore`. A file given on the command line (as
//! pre-commit passes changed files) is reported, and the project around it — the nearest
//! ancestor holding `tasklint.toml`, `pyproject.toml`, `setup.cfg`, `manage.py` (not in a
//! package folder: see `PACKAGE_MARKERS`),
//! `Cargo.lock` or `.git` — is read for context, so cross-file facts (which functions are
//! tasks or views) still hold. The search never goes above the first version-control
//! root, nor into a folder anyone may write to (`config::search_folders`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ignore::WalkBuilder;

use crate::config::glob::PathGlobs;
use crate::model::Language;
use crate::settings::Settings;

/// Files whose presence marks the root of a project.
const ROOT_MARKERS: &[&str] = &[
    "tasklint.toml",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "manage.py",
    // A Rust workspace's root (its members' own Cargo.toml files are nearer).
    "Cargo.lock",
    ".git",
];

/// Markers that do not make a root in a folder that is itself a Python package (holds
/// `__init__.py`): a `manage.py` kept inside the package it manages is not where imports
/// start, and module names would lose the package.
const PACKAGE_MARKERS: &[&str] = &["pyproject.toml", "setup.cfg", "setup.py", "manage.py"];

#[derive(Clone, Debug)]
pub struct Root {
    /// The root as users see it (as given, or derived from a given path).
    pub display: PathBuf,
}

#[derive(Clone, Debug)]
pub struct FoundFile {
    pub path: PathBuf,
    pub display: String,
    pub root: usize,
    pub relative: PathBuf,
    pub language: Language,
    pub report: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Discovered {
    pub roots: Vec<Root>,
    pub files: Vec<FoundFile>,
}

impl Discovered {
    /// The paths of the files reported on (not those read only for context).
    pub fn reported_paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|f| f.report)
            .map(|f| f.path.clone())
            .collect()
    }
}

pub fn language_of(path: &Path) -> Option<Language> {
    match path.extension()?.to_str()? {
        "py" => Some(Language::Python),
        "rs" => Some(Language::Rust),
        _ => None,
    }
}

/// How a found file is shown: byte for byte (`source::display_path`), without a
/// leading `./`.
fn display_of(path: &Path) -> String {
    let s = crate::source::display_path(path);
    match s.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

fn display_join(root: &Path, relative: &Path) -> String {
    display_of(&root.join(relative))
}

/// The nearest ancestor folder of `file` that looks like a project root; the file's own
/// folder when there is none. `None` when even the file's folder is one anyone may
/// write to (`config::search_folders`): the file is then checked alone.
pub fn project_root_of(file: &Path) -> Option<PathBuf> {
    let parent = file.parent().unwrap_or(Path::new(""));
    let absolute = canonical(if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    });
    // Look above the current folder too: an editor or pre-commit may run tasklint from
    // anywhere inside the project.
    let folders = crate::config::search_folders(&absolute);
    if folders.is_empty() {
        return None;
    }
    let levels = folders
        .iter()
        .position(|dir| {
            let mut package = None;
            ROOT_MARKERS
                .iter()
                .chain(crate::config::VCS_MARKERS)
                .any(|m| {
                    dir.join(m).exists()
                        && !(PACKAGE_MARKERS.contains(m)
                            && *package.get_or_insert_with(|| dir.join("__init__.py").is_file()))
                })
        })
        // No marker: the folder above the outermost package holding the file, so module
        // names keep their package (`shop.views`, not `views`).
        .unwrap_or_else(|| {
            folders
                .iter()
                .take_while(|dir| dir.join("__init__.py").is_file())
                .count()
                .min(folders.len() - 1)
        });
    Some(ancestor(parent, levels))
}

/// `levels` folders above `dir`, written as relatively as `dir` was (`shop/orders` up 1
/// is `shop`; `shop` up 2 is `..`).
fn ancestor(dir: &Path, levels: usize) -> PathBuf {
    let mut out = dir.to_path_buf();
    for _ in 0..levels {
        let last_is_normal = matches!(
            out.components().next_back(),
            Some(std::path::Component::Normal(_))
        );
        if last_is_normal {
            out.pop();
        } else {
            out.push("..");
        }
    }
    out
}

/// What discovery needs besides the paths: the excludes in force and the stdin file.
#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    pub exclude: PathGlobs,
    /// The configuration's folder: anchored exclude patterns are relative to it.
    pub root: Option<PathBuf>,
    /// Apply the excludes to paths named on the command line too.
    pub force_exclude: bool,
    /// `--stdin-filename`: a path checked even when it does not exist on disk.
    pub stdin_path: Option<PathBuf>,
    /// Configuration files below the walked folders: when set, each walked entry is
    /// excluded (or not) by its folder's nearest configuration instead of `exclude`.
    pub tree: Option<std::sync::Arc<crate::config::tree::ConfigTree>>,
}

impl DiscoverOptions {
    pub fn new(settings: &Settings) -> Result<DiscoverOptions> {
        Ok(DiscoverOptions {
            exclude: settings.exclude_globs().map_err(anyhow::Error::msg)?,
            root: settings.root.clone(),
            force_exclude: settings.force_exclude,
            stdin_path: None,
            tree: None,
        })
    }

    /// Is a path named on the command line excluded (only with `--force-exclude`)?
    fn named_path_excluded(&self, p: &Path, project_root: &Path) -> bool {
        if !self.force_exclude {
            return false;
        }
        let abs = crate::paths::absolute(p);
        let base = match &self.root {
            Some(r) if abs.starts_with(r) => r.clone(),
            _ => crate::paths::absolute(project_root),
        };
        // As a walk would: nothing below a hidden folder of the project.
        if let Ok(rel) = abs.strip_prefix(&base)
            && rel.components().any(|c| match c {
                std::path::Component::Normal(n) => is_hidden_name(n),
                _ => false,
            })
        {
            return true;
        }
        !self
            .exclude
            .matching_with_ancestors(&abs, &base, self.root.as_deref())
            .is_empty()
    }
}

pub fn discover(paths: &[PathBuf]) -> Result<Discovered> {
    discover_with(paths, &DiscoverOptions::new(&Settings::default())?)
}

pub fn discover_with(paths: &[PathBuf], opts: &DiscoverOptions) -> Result<Discovered> {
    let mut d = Discovered::default();
    // Canonical path → index in d.files, so a file found twice is read once.
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut walked_roots: HashMap<PathBuf, usize> = HashMap::new();
    for p in paths {
        let from_stdin = opts.stdin_path.as_ref() == Some(p);
        if !from_stdin && !p.exists() && p.symlink_metadata().is_err() {
            bail!("path `{}` does not exist", p.display());
        }
        if p.is_dir() && !from_stdin {
            if opts.named_path_excluded(p, p) {
                continue;
            }
            let root = add_root(&mut d, &mut walked_roots, p);
            walk(&mut d, &mut seen, root, p, true, opts);
        } else {
            let Some(language) = language_of(p) else {
                // Named explicitly but not a language we check: say nothing, as linters
                // do for files pre-commit passes that they do not handle.
                continue;
            };
            let found_root = project_root_of(p);
            let root_dir = found_root
                .clone()
                .unwrap_or_else(|| p.parent().unwrap_or(Path::new("")).to_path_buf());
            if opts.named_path_excluded(p, &root_dir) {
                continue;
            }
            let root = add_root(&mut d, &mut walked_roots, &root_dir);
            let rel = canonical(p)
                .strip_prefix(canonical(&root_dir))
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| p.strip_prefix(&root_dir).unwrap_or(p).to_path_buf());
            let key = canonical(p);
            match seen.get(&key) {
                Some(&i) => d.files[i].report = true,
                None => {
                    seen.insert(key, d.files.len());
                    d.files.push(FoundFile {
                        path: p.clone(),
                        display: display_of(p),
                        root,
                        relative: rel,
                        language,
                        report: true,
                    });
                }
            }
            // Read the rest of the project for context only (none in a folder anyone
            // may write to).
            if found_root.is_some() {
                walk(&mut d, &mut seen, root, &root_dir, false, opts);
            }
        }
    }
    d.files
        .sort_by(|a, b| (a.root, &a.relative).cmp(&(b.root, &b.relative)));
    Ok(d)
}

fn is_hidden_name(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn add_root(d: &mut Discovered, walked: &mut HashMap<PathBuf, usize>, dir: &Path) -> usize {
    let key = canonical(dir);
    if let Some(&i) = walked.get(&key) {
        return i;
    }
    d.roots.push(Root {
        display: dir.to_path_buf(),
    });
    walked.insert(key, d.roots.len() - 1);
    d.roots.len() - 1
}

fn canonical(p: &Path) -> PathBuf {
    // `""` is how a relative path's parent spells the current folder.
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// When the checked folder is itself inside a Python package (`tasklint check
/// shop/orders` where `orders/` has an `__init__.py`), the package folders above it, so
/// that module names stay `orders.views` rather than `views`.
fn package_prefix(dir: &Path) -> PathBuf {
    let mut names = Vec::new();
    let mut current = canonical(dir);
    while current.join("__init__.py").is_file() {
        let Some(name) = current.file_name() else {
            break;
        };
        names.push(name.to_os_string());
        if !current.pop() {
            break;
        }
    }
    names.iter().rev().collect()
}

fn walk(
    d: &mut Discovered,
    seen: &mut HashMap<PathBuf, usize>,
    root: usize,
    dir: &Path,
    report: bool,
    opts: &DiscoverOptions,
) {
    let walk_dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    // `exclude` prunes walked folders (never the folder the walk starts from).
    let exclude = opts.exclude.clone();
    let config_root = opts.root.clone();
    let tree = opts.tree.clone();
    let abs_walk = crate::paths::absolute(walk_dir);
    let start = walk_dir.to_path_buf();
    let walker = WalkBuilder::new(walk_dir)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            // Hidden entries hold tools' configuration and data (CI scripts, a linter's
            // own test cases), not the application: skipped even where a `.gitignore`
            // whitelists them to keep them tracked. Naming one on the command line
            // still checks it.
            if is_hidden_name(e.file_name()) {
                return false;
            }
            let rel = e.path().strip_prefix(&start).unwrap_or(e.path());
            match &tree {
                Some(t) => !t.excluded(&abs_walk.join(rel)),
                None => !exclude.is_match(&abs_walk.join(rel), config_root.as_deref()),
            }
        })
        .build_parallel();
    // Folders are read in parallel (each a few system calls: its entries, its ignore
    // files, its configuration); the files found are then taken in path order, so the
    // result is the same as a walk in order.
    let found = std::sync::Mutex::new(Vec::new());
    walker.run(|| {
        let found = &found;
        Box::new(move |entry| {
            if let Ok(entry) = entry
                && entry.file_type().is_some_and(|t| t.is_file())
                && let Some(language) = language_of(entry.path())
            {
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((entry.into_path(), language));
            }
            ignore::WalkState::Continue
        })
    });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort();
    let prefix = package_prefix(walk_dir);
    // The walk follows no symbolic link, so a file's path below the canonical start is
    // canonical itself: one `canonicalize` per walk instead of one per file.
    let canonical_start = canonical(walk_dir);
    for (path, language) in found {
        let path = path.as_path();
        let below = path.strip_prefix(walk_dir).unwrap_or(path);
        let rel = prefix.join(below);
        let key = canonical_start.join(below);
        if let Some(&i) = seen.get(&key) {
            if report {
                d.files[i].report = true;
            }
            continue;
        }
        seen.insert(key, d.files.len());
        d.files.push(FoundFile {
            path: if dir.as_os_str().is_empty() {
                rel.clone()
            } else {
                path.to_path_buf()
            },
            display: display_join(dir, below),
            root,
            relative: rel,
            language,
            report,
        });
    }
}
