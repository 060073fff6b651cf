//! The project's own settings as written in its modules (Django settings, Celery
//! configuration): module-level assignments by name, and keywords of configuration calls
//! (`app.conf.update(task_serializer=...)`). Rules that depend on a setting read every
//! place that may set it and stay quiet when one of them cannot be read.

use crate::model::{Binding, Expr};
use crate::source::FileId;

use super::{CallRef, Project};

impl Project {
    /// The files whose text contains `word`: only they can bind or pass it, so the
    /// others need not be parsed to look for it.
    ///
    /// These helpers run on demand, often inside a lazily built value (`OnceLock`) of a
    /// rule's job, so they run on the calling thread. A rayon loop here would let this
    /// thread, while it waits, run another job that needs the same value and wait for
    /// itself: tasklint hung that way, once in a while, with several threads.
    pub(super) fn files_mentioning(&self, word: &str) -> std::sync::Arc<[FileId]> {
        super::memoized(&self.mentions, word, || {
            let finder = memchr::memmem::Finder::new(word.as_bytes());
            let found: Vec<FileId> = (0..self.files.len())
                .filter(|f| finder.find(self.files[*f].text.as_bytes()).is_some())
                .collect();
            found.into()
        })
    }

    /// [`Project::files_mentioning`], for a caller that reads every one of them: those
    /// not parsed yet are parsed here (they are mostly modules no rule needed until
    /// now: settings, configuration).
    fn parsed_mentioning(&self, word: &str) -> std::sync::Arc<[FileId]> {
        let files = self.files_mentioning(word);
        for f in files.iter() {
            let _ = &self.models[*f];
        }
        files
    }

    /// The models of the Python files whose text contains one of `words`, for a pass
    /// that can only match where one of them is written. It parses no other file, and
    /// it is the same with the prefilter on or off.
    pub fn python_models_mentioning<'a>(
        &'a self,
        words: &'a [&'a str],
    ) -> impl Iterator<Item = (FileId, &'a crate::model::FileModel)> + 'a {
        let mut files: Vec<FileId> = words
            .iter()
            .flat_map(|w| self.files_mentioning(w).to_vec())
            .filter(|f| self.models.language(*f) == crate::model::Language::Python)
            .collect();
        files.sort_unstable();
        files.dedup();
        // Some are parsed here, on demand, one at a time as the caller asks (who may stop
        // early), on this thread: see [`Project::files_mentioning`].
        files.into_iter().map(move |f| (f, &self.models[f]))
    }

    /// The models of the Rust files (every one is parsed up front).
    pub fn rust_models(&self) -> impl Iterator<Item = (FileId, &crate::model::FileModel)> + '_ {
        (0..self.files.len())
            .filter(|f| self.models.language(*f) == crate::model::Language::Rust)
            .map(|f| (f, &self.models[f]))
    }

    /// Module-level bindings of `name` in every project module, augmented ones
    /// (`INSTALLED_APPS += [...]`) included, in file order. Only files whose text holds
    /// the name are parsed for it: a binding of a name is written with the name.
    pub fn settings_bindings(&self, name: &str) -> Vec<(FileId, &Binding)> {
        let mut out = Vec::new();
        for &file in self.parsed_mentioning(name).iter() {
            let model = &self.models[file];
            if let Some(module) = model.scopes.first() {
                out.extend(
                    module
                        .bindings
                        .iter()
                        .filter(|b| b.name == name)
                        .map(|b| (file, b)),
                );
            }
        }
        out
    }

    /// Every `name=<value>` keyword argument of every call in the project.
    pub fn keyword_arguments(&self, name: &str) -> Vec<(CallRef, &Expr)> {
        let mut out = Vec::new();
        for &file in self.parsed_mentioning(name).iter() {
            let model = &self.models[file];
            for (call, c) in model.calls.iter().enumerate() {
                if let Some(a) = c.keyword(name) {
                    out.push((CallRef { file, call }, &a.value));
                }
            }
        }
        out
    }
}
