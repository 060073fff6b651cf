//! Several configuration files in one tree: each file is checked with its nearest
//! configuration, as ruff does (a `backend/tasklint.toml` governs everything under
//! `backend/`, the root's `pyproject.toml` the rest).
//!
//! The walk asks [`ConfigTree::excluded`] about every entry, which finds the nearest
//! configuration of the entry's folder (loading each file once, remembering the answer
//! per folder), so a nested file's `exclude` prunes its own subtree. After the walk,
//! the check runs once over the whole project — tasks, views and call chains cross
//! folders — with every rule any of the configurations turns on
//! ([`ConfigTree::run_settings`]); the findings of each file are then kept or dropped by
//! its nearest configuration's rule selection and `per-file-ignores`
//! ([`ConfigTree::keeps`], applied with the other per-file ignores).
//!
//! What describes the code rather than the checking — the knowledge extensions
//! (`task-decorators`, `slow-calls`, `handler-*`, `blocking-calls`) — is a fact about the
//! whole project: the extensions of every configuration in the tree apply everywhere.
//! `max-call-depth` is the checked folder's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::glob::PathGlobs;
use super::{ConfigFile, find_in, load};
use crate::paths::absolute;
use crate::settings::Settings;

/// One configuration file of the tree, read, with the command line laid over it.
pub struct Entry {
    pub file: Option<ConfigFile>,
    pub settings: Settings,
    excludes: PathGlobs,
}

/// What the command line lays over every configuration file.
pub type Overrides = Arc<dyn Fn(&mut Settings) + Send + Sync>;

pub struct ConfigTree {
    overrides: Overrides,
    /// Folder (absolute, as walked) → its nearest configuration.
    nearest: Mutex<HashMap<PathBuf, Arc<Entry>>>,
    /// Configuration file → its entry (each file is read once).
    loaded: Mutex<HashMap<Option<PathBuf>, Arc<Entry>>>,
    /// A configuration that could not be read, with its path: the run stops with it.
    /// Folders are walked in parallel, so of several the first by path is kept: the
    /// same one on every run.
    error: Mutex<Option<(PathBuf, anyhow::Error)>>,
}

impl std::fmt::Debug for ConfigTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<String> = self
            .entries()
            .iter()
            .map(|e| {
                e.file
                    .as_ref()
                    .map_or("(defaults)".into(), |f| f.describe())
            })
            .collect();
        f.debug_struct("ConfigTree").field("files", &files).finish()
    }
}

impl ConfigTree {
    pub fn new(overrides: Overrides) -> ConfigTree {
        ConfigTree {
            overrides,
            nearest: Mutex::new(HashMap::new()),
            loaded: Mutex::new(HashMap::new()),
            error: Mutex::new(None),
        }
    }

    fn entry_for_file(&self, file: Option<ConfigFile>) -> Arc<Entry> {
        let key = file.as_ref().map(|f| f.path.clone());
        if let Some(e) = self.loaded.lock().expect("not poisoned").get(&key) {
            return e.clone();
        }
        let mut settings = match &file {
            Some(f) => match load(f) {
                Ok(s) => s,
                Err(e) => {
                    self.note_error(&f.path, e);
                    Settings::default()
                }
            },
            None => Settings::default(),
        };
        (self.overrides)(&mut settings);
        let excludes = settings.exclude_globs().unwrap_or_else(|e| {
            let at = file.as_ref().map(|f| f.path.clone()).unwrap_or_default();
            self.note_error(&at, anyhow::anyhow!(e));
            PathGlobs::new(&[]).expect("no pattern is a valid set")
        });
        let entry = Arc::new(Entry {
            file,
            settings,
            excludes,
        });
        self.loaded
            .lock()
            .expect("not poisoned")
            .entry(key)
            .or_insert(entry)
            .clone()
    }

    /// The nearest configuration of a folder (absolute).
    pub fn nearest(&self, dir: &Path) -> Arc<Entry> {
        if let Some(e) = self.nearest.lock().expect("not poisoned").get(dir) {
            return e.clone();
        }
        // The same bounds as the search for the project's configuration: never a folder
        // anyone may write to (nor above it), never above the version-control root.
        let found = if super::world_writable(dir) {
            None
        } else {
            match find_in(dir) {
                Ok(Some(file)) => Some(self.entry_for_file(Some(file))),
                Ok(None) if super::is_vcs_root(dir) => None,
                Ok(None) => dir.parent().map(|parent| self.nearest(parent)),
                Err(e) => {
                    self.note_error(dir, e);
                    None
                }
            }
        };
        let entry = found.unwrap_or_else(|| self.entry_for_file(None));
        self.nearest
            .lock()
            .expect("not poisoned")
            .insert(dir.to_path_buf(), entry.clone());
        entry
    }

    /// The nearest configuration of a file.
    pub fn for_file(&self, path: &Path) -> Arc<Entry> {
        let abs = absolute(path);
        self.nearest(abs.parent().unwrap_or(Path::new("/")))
    }

    /// Is a walked path (absolute) excluded by its folder's nearest configuration?
    pub fn excluded(&self, path: &Path) -> bool {
        let Some(dir) = path.parent() else {
            return false;
        };
        let entry = self.nearest(dir);
        entry
            .excludes
            .is_match(path, entry.settings.root.as_deref())
    }

    fn note_error(&self, at: &Path, e: anyhow::Error) {
        let mut kept = self.error.lock().expect("not poisoned");
        if kept.as_ref().is_none_or(|(p, _)| at < p.as_path()) {
            *kept = Some((at.to_path_buf(), e));
        }
    }

    /// The configuration file that could not be read (the first by path).
    pub fn take_error(&self) -> Option<anyhow::Error> {
        self.error
            .lock()
            .expect("not poisoned")
            .take()
            .map(|(_, e)| e)
    }

    /// Every configuration read so far.
    pub fn entries(&self) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = self
            .loaded
            .lock()
            .expect("not poisoned")
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            let key = |e: &Entry| e.file.as_ref().map(|f| f.path.clone());
            key(a).cmp(&key(b))
        });
        v
    }

    /// The settings to run the check with for the files of `reported` ([`Self::run_settings`],
    /// else `top` as it is), or the first configuration error met while walking to them
    /// or reading their configurations.
    pub fn settings_for_run(
        self: &Arc<ConfigTree>,
        top: Settings,
        reported: &[PathBuf],
    ) -> anyhow::Result<Settings> {
        if let Some(e) = self.take_error() {
            return Err(e);
        }
        let run = self.run_settings(&top, reported).unwrap_or(top);
        match self.take_error() {
            Some(e) => Err(e),
            None => Ok(run),
        }
    }

    /// The settings to run the check with, when the files of `reported` fall under more
    /// than one configuration: `top`'s (the checked folder's), with every rule that any
    /// of them turns on, every configuration's knowledge extensions, and the tree, so
    /// that each file's findings are then filtered by its own configuration. `None` when
    /// one configuration covers every file: `top` applies as it is.
    pub fn run_settings(
        self: &Arc<ConfigTree>,
        top: &Settings,
        reported: &[PathBuf],
    ) -> Option<Settings> {
        let mut used: Vec<Arc<Entry>> = Vec::new();
        // Files of one folder share its configuration: each folder is looked up once.
        let mut folders: std::collections::HashSet<&Path> = Default::default();
        for p in reported {
            if !folders.insert(p.parent().unwrap_or(Path::new(""))) {
                continue;
            }
            let e = self.for_file(p);
            if !used.iter().any(|u| Arc::ptr_eq(u, &e)) {
                used.push(e);
            }
        }
        let top_root = top.root.clone();
        let nested: Vec<&Arc<Entry>> = used
            .iter()
            .filter(|e| e.settings.root != top_root)
            .collect();
        if nested.is_empty() {
            return None;
        }
        let mut run = top.clone();
        let enabled: Vec<String> = crate::rules::ALL
            .iter()
            .filter(|r| {
                top.is_enabled(r.info) || used.iter().any(|e| e.settings.is_enabled(r.info))
            })
            .map(|r| r.info.code.to_string())
            .collect();
        run.select = Some(enabled);
        run.extend_select.clear();
        run.ignore.clear();
        for e in &nested {
            let s = &e.settings;
            run.task_decorators
                .extend(s.task_decorators.iter().cloned());
            run.slow_calls.extend(s.slow_calls.iter().cloned());
            run.handler_decorators
                .extend(s.handler_decorators.iter().cloned());
            run.handler_base_classes
                .extend(s.handler_base_classes.iter().cloned());
            run.blocking_calls.extend(s.blocking_calls.iter().cloned());
        }
        run.tree = Some(self.clone());
        Some(run)
    }

    /// Does the nearest configuration of `path` keep a finding of rule `code`?
    pub fn keeps(&self, path: &Path, code: &str) -> bool {
        let entry = self.for_file(path);
        let enabled = crate::rules::find(code).is_none_or(|r| entry.settings.is_enabled(r.info));
        enabled && !super::PerFileIgnores::new(&entry.settings).ignores(path, code)
    }
}
