//! Which files a check reads, and which of them it reports on.
//!
//! A folder given on the command line is a root: every `.py` and `.rs` file below it is
//! read and reported, honouring `.gitignore`. A file given on the command line (as
//! pre-commit passes changed files) is reported, and the project around it — the nearest
//! ancestor holding `tasklint.toml`, `pyproject.toml`, `setup.cfg`, `manage.py`,
//! `Cargo.lock` or `.git` — is read for context, so cross-file facts (which functions are
//! tasks or views) still hold.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ignore::WalkBuilder;

use crate::model::Language;

/// Folders never worth reading: virtual environments, build output, caches.
const DEFAULT_EXCLUDES: &[&str] = &[
    "node_modules",
    "venv",
    "site-packages",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "target",
];

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

#[derive(Debug)]
pub struct Root {
    /// The root as users see it (as given, or derived from a given path).
    pub display: PathBuf,
}

#[derive(Debug)]
pub struct FoundFile {
    pub path: PathBuf,
    pub display: String,
    pub root: usize,
    pub relative: PathBuf,
    pub language: Language,
    pub report: bool,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub roots: Vec<Root>,
    pub files: Vec<FoundFile>,
}

pub fn language_of(path: &Path) -> Option<Language> {
    match path.extension()?.to_str()? {
        "py" => Some(Language::Python),
        "rs" => Some(Language::Rust),
        _ => None,
    }
}

fn display_join(root: &Path, relative: &Path) -> String {
    let joined = root.join(relative);
    let s = joined.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// The nearest ancestor folder of `file` that looks like a project root; the file's own
/// folder when there is none.
pub fn project_root_of(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new(""));
    for dir in parent.ancestors() {
        let probe = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if ROOT_MARKERS.iter().any(|m| probe.join(m).exists()) {
            return dir.to_path_buf();
        }
    }
    parent.to_path_buf()
}

pub fn discover(paths: &[PathBuf]) -> Result<Discovered> {
    let mut d = Discovered::default();
    // Canonical path → index in d.files, so a file found twice is read once.
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut walked_roots: HashMap<PathBuf, usize> = HashMap::new();
    for p in paths {
        if !p.exists() && p.symlink_metadata().is_err() {
            bail!("path `{}` does not exist", p.display());
        }
        if p.is_dir() {
            let root = add_root(&mut d, &mut walked_roots, p);
            walk(&mut d, &mut seen, root, p, true);
        } else {
            let Some(language) = language_of(p) else {
                // Named explicitly but not a language we check: say nothing, as linters
                // do for files pre-commit passes that they do not handle.
                continue;
            };
            let root_dir = project_root_of(p);
            let root = add_root(&mut d, &mut walked_roots, &root_dir);
            let rel = p.strip_prefix(&root_dir).unwrap_or(p).to_path_buf();
            let key = canonical(p);
            match seen.get(&key) {
                Some(&i) => d.files[i].report = true,
                None => {
                    seen.insert(key, d.files.len());
                    d.files.push(FoundFile {
                        path: p.clone(),
                        display: {
                            let s = p.to_string_lossy();
                            s.strip_prefix("./").unwrap_or(&s).to_string()
                        },
                        root,
                        relative: rel,
                        language,
                        report: true,
                    });
                }
            }
            // Read the rest of the project for context only.
            walk(&mut d, &mut seen, root, &root_dir, false);
        }
    }
    d.files
        .sort_by(|a, b| (a.root, &a.relative).cmp(&(b.root, &b.relative)));
    Ok(d)
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
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn walk(
    d: &mut Discovered,
    seen: &mut HashMap<PathBuf, usize>,
    root: usize,
    dir: &Path,
    report: bool,
) {
    let walk_dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let walker = WalkBuilder::new(walk_dir)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir())
                && DEFAULT_EXCLUDES.contains(&name.as_ref()))
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Some(language) = language_of(path) else {
            continue;
        };
        let rel = path.strip_prefix(walk_dir).unwrap_or(path).to_path_buf();
        let key = canonical(path);
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
            display: display_join(dir, &rel),
            root,
            relative: rel,
            language,
            report,
        });
    }
}
