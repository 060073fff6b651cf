//! What one check can hand the next (the language server): each Python file's resolved
//! callees, with the files whose models the resolution read. After an edit, a file's
//! callees are taken over when neither it nor any file they were resolved through changed;
//! every other file is resolved again. Resolution reads other files only through their
//! models (`Models::get`), so the files it read are recorded there.
//!
//! The index passes that walk every root file (tasks, handlers, the sends a signal
//! receiver hears) keep each file's part the same way: [`Pass`], `Project::per_file`.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::ClassRef;
use super::resolve::Value;
use crate::source::FileId;

/// A file's callees and the files they were resolved through (sorted, itself included).
#[derive(Clone)]
pub struct Resolved {
    pub values: Arc<[Value]>,
    pub deps: Arc<[FileId]>,
}

/// A Python class's ancestry (see `Project::class_ancestry`) and the files it was
/// resolved through.
#[derive(Clone)]
pub struct Ancestry {
    pub project: Arc<[ClassRef]>,
    pub external: Arc<[String]>,
    pub deps: Arc<[FileId]>,
}

/// A module's bindings by name (indices in source order): a function of its model alone.
pub type ModuleNames = Arc<HashMap<String, Vec<u32>>>;

/// An index pass that works file by file: what one root file contributes to it is kept
/// for the next check (see `Project::per_file`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pass {
    Tasks,
    UrlconfViews,
    ViewClasses,
    DecoratedHandlers,
    Registrations,
    SignalHandlers,
    /// The signals each call sends, with which receiver maps were asked about (custom
    /// signals, model signals).
    SignalSends(bool, bool),
    /// The project modules a file imports anywhere in it, `import_module` included
    /// (TL204's worker reach).
    WorkerImports,
}

/// One file's part of a pass, with the files it was worked out from.
#[derive(Clone)]
pub struct Part {
    pub value: Arc<dyn Any + Send + Sync>,
    pub deps: Arc<[FileId]>,
}

/// Each pass's parts, by file.
pub type Parts = HashMap<Pass, Vec<Option<Part>>>;

/// The previous check's answers, and which files changed since (same files, same order,
/// same knowledge: the caller checks).
#[derive(Default)]
pub struct Previous {
    pub callees: Vec<Option<Resolved>>,
    pub ancestries: HashMap<ClassRef, Ancestry>,
    pub module_names: Vec<Option<ModuleNames>>,
    pub imports: Vec<Option<Arc<[FileId]>>>,
    pub parts: Parts,
    pub changed: Vec<bool>,
}

impl Previous {
    /// The file's callees of the previous check, when nothing they depend on changed.
    pub fn get(&self, file: FileId) -> Option<&Resolved> {
        let r = self.callees.get(file)?.as_ref()?;
        self.unchanged(&r.deps).then_some(r)
    }

    /// The class's ancestry of the previous check, when nothing it depends on changed.
    pub fn ancestry(&self, class: ClassRef) -> Option<&Ancestry> {
        let a = self.ancestries.get(&class)?;
        self.unchanged(&a.deps).then_some(a)
    }

    /// The file's module-level names of the previous check, when it did not change.
    pub fn module_names(&self, file: FileId) -> Option<&ModuleNames> {
        let m = self.module_names.get(file)?.as_ref()?;
        self.unchanged(&[file]).then_some(m)
    }

    /// The project files the file imported in the previous check, when it did not change.
    pub fn imports(&self, file: FileId) -> Option<&Arc<[FileId]>> {
        let i = self.imports.get(file)?.as_ref()?;
        self.unchanged(&[file]).then_some(i)
    }

    /// The file's part of a pass in the previous check, when nothing it depends on
    /// changed.
    pub fn part(&self, pass: Pass, file: FileId) -> Option<&Part> {
        let p = self.parts.get(&pass)?.get(file)?.as_ref()?;
        self.unchanged(&p.deps).then_some(p)
    }

    fn unchanged(&self, deps: &[FileId]) -> bool {
        deps.iter()
            .all(|d| !self.changed.get(*d).copied().unwrap_or(true))
    }
}

thread_local! {
    /// One frame per resolution in progress on this thread (they nest).
    static FRAMES: RefCell<Vec<Vec<FileId>>> = const { RefCell::new(Vec::new()) };
}

/// Notes that the resolution in progress on this thread, if any, read `file`.
#[inline]
pub fn note(file: FileId) {
    FRAMES.with(|f| {
        if let Ok(mut frames) = f.try_borrow_mut()
            && let Some(top) = frames.last_mut()
        {
            top.push(file);
        }
    });
}

/// Notes every file of `deps` (a nested resolution answered from its cache).
pub fn note_all(deps: &[FileId]) {
    FRAMES.with(|f| {
        if let Ok(mut frames) = f.try_borrow_mut()
            && let Some(top) = frames.last_mut()
        {
            top.extend_from_slice(deps);
        }
    });
}

/// Runs `f`, returning what it produced and the files it read (sorted, without repeats).
/// The reads are noted in the enclosing recording too.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, Arc<[FileId]>) {
    FRAMES.with(|fr| fr.borrow_mut().push(Vec::new()));
    // Popped even if `f` panics (a panic in one file is caught above and reported).
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            FRAMES.with(|fr| {
                fr.borrow_mut().pop();
            });
        }
    }
    let guard = Pop;
    let out = f();
    let mut read = FRAMES.with(|fr| {
        fr.borrow_mut()
            .last_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    });
    drop(guard);
    read.sort_unstable();
    read.dedup();
    note_all(&read);
    (out, read.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_recorded_per_frame_and_passed_outwards() {
        let ((), outer) = record(|| {
            note(3);
            let ((), inner) = record(|| {
                note(7);
                note(7);
                note(1);
            });
            assert_eq!(&*inner, &[1, 7]);
        });
        assert_eq!(&*outer, &[1, 3, 7]);
        // Outside a recording, noting is a no-op.
        note(9);
        let ((), empty) = record(|| {});
        assert!(empty.is_empty());
    }

    #[test]
    fn a_change_in_any_dependency_invalidates() {
        let r = Resolved {
            values: Arc::from(Vec::new()),
            deps: Arc::from(vec![0, 2]),
        };
        let mut prev = Previous {
            callees: vec![Some(r), None, None],
            changed: vec![false, true, false],
            ..Previous::default()
        };
        assert!(prev.get(0).is_some());
        assert!(prev.get(1).is_none());
        prev.changed[2] = true;
        assert!(prev.get(0).is_none());
    }
}
