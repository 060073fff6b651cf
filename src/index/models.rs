//! Every file's model, built when first asked for.
//!
//! The pipeline parses the files that can matter up front, in parallel (see
//! `crate::prefilter`); any other file is parsed the first time the index or a rule reads
//! its model (`project.models[file]`), so resolution always sees the real model of every
//! file, whatever the prefilter decided. Which files got parsed never changes a result,
//! only how long it took.

use std::ops::Index;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::model::{FileModel, Language};
use crate::source::FileId;

/// What a file's model is built from when it is asked for.
pub struct Pending {
    pub language: Language,
    pub text: Arc<str>,
    /// Content hash (the cache key).
    pub hash: u128,
}

/// Builds a model (from the cache, or by parsing).
pub trait Loader: Send + Sync {
    fn load(&self, pending: &Pending) -> FileModel;

    /// The model, shared: a loader that keeps models (the language server's memo) hands
    /// out its own without copying them.
    fn load_shared(&self, pending: &Pending) -> Arc<FileModel> {
        Arc::new(self.load(pending))
    }
}

pub struct Models {
    cells: Vec<OnceLock<Arc<FileModel>>>,
    pending: Vec<Option<Pending>>,
    loader: Box<dyn Loader>,
    on_demand: AtomicUsize,
}

/// Parses with the frontends directly (no cache).
pub struct ParseLoader;

impl Loader for ParseLoader {
    fn load(&self, pending: &Pending) -> FileModel {
        crate::lang::parse_text(pending.language, &pending.text)
    }
}

impl Models {
    pub fn new(pending: Vec<Option<Pending>>, loader: Box<dyn Loader>) -> Models {
        Models {
            cells: pending.iter().map(|_| OnceLock::new()).collect(),
            pending,
            loader,
            on_demand: AtomicUsize::new(0),
        }
    }

    /// Models already built (no parsing on demand), for [`crate::index::Project::build`].
    pub fn from_vec(models: Vec<FileModel>) -> Models {
        let cells = models
            .into_iter()
            .map(|m| OnceLock::from(Arc::new(m)))
            .collect::<Vec<_>>();
        Models {
            pending: cells.iter().map(|_| None).collect(),
            cells,
            loader: Box::new(ParseLoader),
            on_demand: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Sets a model built ahead (by the parallel parse); a model already there wins.
    pub fn preset(&self, file: FileId, model: FileModel) {
        let _ = self.cells[file].set(Arc::new(model));
    }

    /// [`Models::preset`] with a shared model.
    pub fn preset_shared(&self, file: FileId, model: Arc<FileModel>) {
        let _ = self.cells[file].set(model);
    }

    pub fn is_loaded(&self, file: FileId) -> bool {
        self.cells[file].get().is_some()
    }

    /// A file's language, known without parsing it.
    pub fn language(&self, file: FileId) -> Language {
        match (self.cells[file].get(), &self.pending[file]) {
            (Some(m), _) => m.language,
            (None, Some(p)) => p.language,
            (None, None) => Language::Python,
        }
    }

    pub fn pending(&self, file: FileId) -> Option<&Pending> {
        self.pending[file].as_ref()
    }

    pub fn loader(&self) -> &dyn Loader {
        self.loader.as_ref()
    }

    /// The model of a file, parsed now when nothing asked for it before.
    pub fn get(&self, file: FileId) -> &FileModel {
        super::reuse::note(file);
        self.cells[file].get_or_init(|| {
            self.on_demand.fetch_add(1, Ordering::Relaxed);
            if std::env::var_os("TASKLINT_DEBUG_ON_DEMAND").is_some() {
                eprintln!(
                    "on demand: {file}\n{}",
                    std::backtrace::Backtrace::force_capture()
                );
            }
            match &self.pending[file] {
                Some(p) => self.loader.load_shared(p),
                None => Arc::new(FileModel::new(Language::Python)),
            }
        })
    }

    /// How many models were built on demand (after the up-front parse).
    pub fn parsed_on_demand(&self) -> usize {
        self.on_demand.load(Ordering::Relaxed)
    }

    /// Every file's model, in file order. This parses every file not parsed yet: global
    /// passes should walk [`crate::index::Project::roots`] instead, which holds every
    /// file that can contain a finding or a fact.
    pub fn iter(&self) -> impl Iterator<Item = &FileModel> {
        (0..self.len()).map(|f| self.get(f))
    }

    /// Models built so far (parsed up front or on demand), with their file ids.
    pub fn loaded(&self) -> impl Iterator<Item = (FileId, &FileModel)> {
        self.loaded_shared().map(|(i, m)| (i, &**m))
    }

    /// [`Models::loaded`], shared.
    pub fn loaded_shared(&self) -> impl Iterator<Item = (FileId, &Arc<FileModel>)> {
        self.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.get().map(|m| (i, m)))
    }
}

impl Index<FileId> for Models {
    type Output = FileModel;

    fn index(&self, file: FileId) -> &FileModel {
        self.get(file)
    }
}
