//! The project index: every file's model plus the cross-file facts rules ask about —
//! module names, what a name or call resolves to, which functions are tasks and which are
//! request handlers, and what a handler reaches through project calls.

pub mod admin_models;
pub mod callgraph;
pub mod dataflow;
pub mod dependencies;
pub mod dispatch;
pub mod entry_points;
pub mod file_walk;
pub mod form_fields;
pub mod framework_saves;
pub mod handlers;
pub mod models;
pub mod modules;
pub mod once;
pub mod overrides;
pub mod resolve;
pub mod reuse;
pub mod rust;
pub mod settings_values;
pub mod side_files;
pub mod signals;
pub mod tasks;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;

use rayon::prelude::*;

pub use callgraph::{CallGraph, Reach};
pub use dataflow::Origin;
pub use handlers::{Handler, HandlerSet};
pub use models::Models;
pub use modules::ModuleTable;
pub use resolve::Value;
pub use tasks::{Task, TaskRegistry};

use crate::knowledge::Knowledge;
use crate::model::{CallId, ClassId, ExprKind, FileModel, Language, Name, ScopeId, ScopeKind};
use crate::settings::Settings;
use crate::source::{FileId, SourceFile};

type SelfAttributes = std::collections::HashMap<(ClassId, String), Vec<usize>>;

/// A function (or method) of the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncRef {
    pub file: FileId,
    pub scope: ScopeId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassRef {
    pub file: FileId,
    pub class: ClassId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallRef {
    pub file: FileId,
    pub call: CallId,
}

/// One file as the pipeline hands it to the index.
pub struct InputFile {
    pub source: SourceFile,
    pub model: FileModel,
    /// Path relative to the root it was found under (module names come from it).
    pub relative: PathBuf,
    pub root: usize,
    /// Findings in this file are reported (false for files read only for context).
    pub report: bool,
}

/// `cache[key]`, computed and kept on the first ask. The lock is not held while
/// computing (the computation may ask the cache again): two threads asking at once both
/// compute, and the answers are the same.
fn memoized<K, Q, V>(
    cache: &std::sync::Mutex<std::collections::HashMap<K, V>>,
    key: &Q,
    compute: impl FnOnce() -> V,
) -> V
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: ToOwned<Owned = K> + std::hash::Hash + Eq + ?Sized,
    V: Clone,
{
    let known = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(key)
        .cloned();
    if let Some(v) = known {
        return v;
    }
    let v = compute();
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key.to_owned(), v.clone());
    v
}

pub struct Project {
    pub files: Vec<SourceFile>,
    /// Each file's model; indexing parses a file nobody parsed yet (see [`Models`]).
    pub models: Models,
    pub report: Vec<bool>,
    /// Files that can hold a finding or a project fact (a task, a handler, a view
    /// class): the global passes walk these (see [`Project::roots`]). Every file when the
    /// prefilter is off.
    pub roots: Vec<bool>,
    /// Files the per-file rules look at: the roots plus the files of handlers and of
    /// the functions they reach.
    pub checked: Vec<bool>,
    /// Each file's path relative to the root it was found under.
    pub relative: Vec<PathBuf>,
    pub is_test: Vec<bool>,
    pub modules: std::sync::Arc<ModuleTable>,
    /// Shared: a language server hands the same knowledge to every check.
    pub knowledge: std::sync::Arc<Knowledge>,
    pub settings: Settings,
    /// What each call's callee resolves to, computed once per file when first asked
    /// (or taken over from the previous check, see [`reuse`]).
    callees: Vec<OnceLock<reuse::Resolved>>,
    /// The previous check's answers (the language server), and what changed since.
    previous: Option<reuse::Previous>,
    /// Record what each answer was worked out from, so that the next check can take it
    /// over (only when there is a next check: the language server).
    carry: bool,
    /// Python classes' ancestries, worked out when first asked.
    ancestries: std::sync::Mutex<std::collections::HashMap<ClassRef, reuse::Ancestry>>,
    /// Module-level bindings by name (indices in source order), built per file when first
    /// asked: a module with thousands of names is not searched name by name.
    module_names: Vec<OnceLock<reuse::ModuleNames>>,
    /// The project files each file's imports name, worked out when first asked.
    imports: Vec<OnceLock<std::sync::Arc<[FileId]>>>,
    /// Each root file's part of the per-file passes, for the next check (only recorded
    /// when there is one).
    parts: std::sync::Mutex<reuse::Parts>,
    /// For each class of a file, whether it is a test case class, computed per file when
    /// first asked.
    test_classes: Vec<OnceLock<Vec<bool>>>,
    /// `self.<name> = ...` assignments by class and name, built per file when first asked.
    self_attributes: Vec<OnceLock<SelfAttributes>>,
    /// Callers, entry points and the functions only they call, found when first asked.
    entry: entry_points::EntryCache,
    /// The files whose text holds a word, by word, found when first asked: settings and
    /// task-name passes ask for the same few words from every call they look at, and
    /// each search reads every file's text.
    mentions: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<[FileId]>>>,
    /// `overrides::subclasses`, by the class's `file:class`.
    subclasses: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<[ClassRef]>>>,
    /// Whether a class's body assigns a model field (`dataflow::declares_model_fields`).
    model_fields: std::sync::Mutex<std::collections::HashMap<ClassRef, bool>>,
    /// Project model classes by lowercased name (`model_class_by_lower_name`).
    model_names: std::sync::Mutex<std::collections::HashMap<String, Option<ClassRef>>>,
    /// The files with a `class` statement, by the class's lowercased name, read from the
    /// bytes once (for the above).
    class_statements: OnceLock<dataflow::ClassStatements>,
    /// Relation fields by their `related_name`: (related model, declaring model)
    /// (`dataflow::related_named`).
    related_names: std::sync::Mutex<std::collections::HashMap<String, dataflow::RelatedNamed>>,
    /// The project's `macro_rules!` macros by name, each with whether its expansion may
    /// not run its arguments in place (read from the files that define macros, when
    /// first asked).
    macro_rules: OnceLock<HashMap<Name, bool>>,
    /// The receivers of model and project signals, found when first asked.
    signal_receivers: OnceLock<signals::SignalReceivers>,
    /// The files in a management-command folder (`project_command`), found when first
    /// asked: every `call_command` would otherwise walk every path.
    command_files: OnceLock<Vec<FileId>>,
    /// The files that define each distinctive function or method name
    /// (`method_by_unique_name`), read off the text in one pass when first asked.
    defined_names: OnceLock<HashMap<String, Vec<FileId>>>,
    /// Project decorators whose wrapper runs the decorated function on a thread or an
    /// executor, by decorator (`runs_elsewhere_when_called`).
    offloading_decorators: std::sync::Mutex<std::collections::HashMap<FuncRef, bool>>,
    /// The wrappers project decorators put around a function, by function (`wrappers_of`).
    wrappers: std::sync::Mutex<std::collections::HashMap<FuncRef, std::sync::Arc<[FuncRef]>>>,
    /// What a method decorator's wrapper gets as `self`, by wrapper (`wrapper_self`).
    wrapper_selves: std::sync::Mutex<std::collections::HashMap<FuncRef, Value>>,
    pub tasks: TaskRegistry,
    pub handlers: HandlerSet,
    pub graph: CallGraph,
    pub reach: Reach,
    /// Rust crates, module trees, offload wrappers and handlers.
    pub rust: rust::RustIndex,
    /// Files outside the checked set that the index read (`side_files`).
    pub side_files: side_files::SideFiles,
}

impl Project {
    /// Builds the whole index from models parsed ahead, every file a root.
    pub fn build(
        inputs: Vec<InputFile>,
        knowledge: impl Into<std::sync::Arc<Knowledge>>,
        settings: Settings,
    ) -> Project {
        let python: Vec<(FileId, PathBuf, usize)> = inputs
            .iter()
            .enumerate()
            .filter(|(_, f)| f.model.language == Language::Python)
            .map(|(i, f)| (i, f.relative.clone(), f.root))
            .collect();
        let modules = std::sync::Arc::new(ModuleTable::build(&python));
        let mut files = Vec::with_capacity(inputs.len());
        let mut models = Vec::with_capacity(inputs.len());
        let mut report = Vec::with_capacity(inputs.len());
        let mut relative = Vec::with_capacity(inputs.len());
        for f in inputs {
            files.push(f.source);
            models.push(f.model);
            report.push(f.report);
            relative.push(f.relative);
        }
        let roots = vec![true; files.len()];
        let mut project = Project::new(
            files,
            Models::from_vec(models),
            report,
            relative,
            modules,
            knowledge,
            settings,
        );
        project.finish(roots);
        project
    }

    /// A project whose models are built on demand, before its index: what is known
    /// from paths alone (module names, test files). [`Project::finish`] builds the rest.
    pub fn new(
        files: Vec<SourceFile>,
        models: Models,
        report: Vec<bool>,
        relative: Vec<PathBuf>,
        modules: std::sync::Arc<ModuleTable>,
        knowledge: impl Into<std::sync::Arc<Knowledge>>,
        settings: Settings,
    ) -> Project {
        let is_test = relative.iter().map(|p| is_test_path(p)).collect();
        let n = files.len();
        Project {
            files,
            models,
            report,
            roots: vec![false; n],
            checked: vec![false; n],
            relative,
            is_test,
            modules,
            knowledge: knowledge.into(),
            settings,
            callees: (0..n).map(|_| OnceLock::new()).collect(),
            previous: None,
            carry: false,
            ancestries: Default::default(),
            module_names: (0..n).map(|_| OnceLock::new()).collect(),
            imports: (0..n).map(|_| OnceLock::new()).collect(),
            parts: Default::default(),
            test_classes: (0..n).map(|_| OnceLock::new()).collect(),
            self_attributes: (0..n).map(|_| OnceLock::new()).collect(),
            entry: Default::default(),
            mentions: Default::default(),
            subclasses: Default::default(),
            model_fields: Default::default(),
            macro_rules: OnceLock::new(),
            model_names: Default::default(),
            class_statements: OnceLock::new(),
            related_names: Default::default(),
            signal_receivers: OnceLock::new(),
            command_files: OnceLock::new(),
            defined_names: OnceLock::new(),
            offloading_decorators: Default::default(),
            wrappers: Default::default(),
            wrapper_selves: Default::default(),
            tasks: TaskRegistry::default(),
            handlers: HandlerSet::default(),
            graph: CallGraph::default(),
            reach: Reach::default(),
            rust: rust::RustIndex::default(),
            side_files: Default::default(),
        }
    }

    /// Builds tasks, handlers, the call graph and handler reach, with `roots` the files
    /// that can hold tasks, handlers and findings.
    pub fn finish(&mut self, roots: Vec<bool>) {
        self.roots = roots;
        let debug = std::env::var_os("TASKLINT_DEBUG_PREFILTER").is_some();
        let t = std::time::Instant::now();
        // Rust first: its module trees and types are what Rust calls resolve through.
        self.rust = rust::RustIndex::build(self);
        rust::compute_globs(self);
        let types = self.rust_index_types();
        self.rust.set_types(types);
        // A Rust call resolved before the Rust index existed (nothing should ask, but the
        // answer would be cached for good) is resolved again.
        for f in 0..self.files.len() {
            if self.models.is_loaded(f) && self.models[f].language == Language::Rust {
                self.callees[f] = OnceLock::new();
            }
        }
        // Resolve every call of the roots in parallel, ahead of the passes below; and of
        // every Rust file, all of whose calls the wrapper rounds read.
        let roots: Vec<FileId> = self.roots().map(|(f, _)| f).collect();
        let rust = self
            .rust_models()
            .map(|(f, _)| f)
            .filter(|f| !self.roots[*f]);
        let ahead: Vec<FileId> = roots.iter().copied().chain(rust).collect();
        ahead.par_iter().for_each(|&f| {
            self.file_callees(f);
        });
        let (wrappers, wrapper_methods) = rust::context::derive_wrappers(self);
        self.rust.wrappers = wrappers;
        self.rust.wrapper_methods = wrapper_methods;
        self.rust.opaque_closures = rust::context::opaque_closure_params(self);
        self.rust.celery_tasks = rust::context::find_celery_tasks(self);
        let rust_handlers = rust::handlers::find(self);
        self.rust.set_handlers(rust_handlers);
        self.rust.service_crates = rust::context::service_crates(self);
        let t_rust = t.elapsed();
        self.tasks = TaskRegistry::build(self);
        let t_tasks = t.elapsed();
        self.handlers = HandlerSet::build(self);
        let t_handlers = t.elapsed();
        // The call graph of every function a rule can start from, and of everything
        // they call, transitively.
        let mut files: BTreeSet<FileId> = roots.into_iter().collect();
        files.extend(self.handlers.iter().map(|h| h.func.file));
        self.graph = CallGraph::build_from(self, files);
        let t_graph = t.elapsed();
        (self.rust.test_only, self.rust.startup_only) = rust::context::test_and_startup_only(self);
        self.reach = Reach::from_handlers(self);
        if debug {
            eprintln!(
                "index: rust {t_rust:?}, tasks {:?}, handlers {:?}, graph {:?}, reach {:?}",
                t_tasks - t_rust,
                t_handlers - t_tasks,
                t_graph - t_handlers,
                t.elapsed() - t_graph
            );
        }
        let mut checked = self.roots.clone();
        for h in self.handlers.iter() {
            checked[h.func.file] = true;
        }
        for f in self.reach.functions() {
            checked[f.file] = true;
        }
        // Every function the call graph holds can be where a slow call shared by several
        // handlers or coroutines is reported (TL301, TL302).
        for f in self.graph.files() {
            checked[f] = true;
        }
        self.checked = checked;
    }

    /// The files that can hold tasks, handlers, view classes or findings, with their
    /// models: what a pass over the whole project walks.
    pub fn roots(&self) -> impl Iterator<Item = (FileId, &FileModel)> {
        (0..self.files.len())
            .filter(|f| self.roots[*f])
            .map(|f| (f, &self.models[f]))
    }

    /// Indices of the module-level bindings of `name` in `file`, in source order.
    pub fn module_bindings(&self, file: FileId, name: &str) -> &[u32] {
        reuse::note(file);
        let map = self.module_names[file].get_or_init(|| {
            if let Some(m) = self.previous.as_ref().and_then(|p| p.module_names(file)) {
                return m.clone();
            }
            let mut map: std::collections::HashMap<String, Vec<u32>> = Default::default();
            if let Some(module) = self.models[file].scopes.first() {
                for (i, b) in module.bindings.iter().enumerate() {
                    map.entry(b.name.as_str().to_owned())
                        .or_default()
                        .push(i as u32);
                }
            }
            std::sync::Arc::new(map)
        });
        map.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    fn file_callees(&self, file: FileId) -> &[Value] {
        let resolved = self.callees[file].get_or_init(|| {
            if self.models.language(file) == Language::Python
                && let Some(r) = self.previous.as_ref().and_then(|p| p.get(file))
            {
                return r.clone();
            }
            let resolve = || {
                let model = &self.models[file];
                (0..model.calls.len())
                    .map(|call| self.resolve_callee(file, call))
                    .collect::<Vec<_>>()
            };
            let (values, deps) = if self.carry {
                reuse::record(resolve)
            } else {
                (resolve(), std::sync::Arc::from(Vec::new()))
            };
            reuse::Resolved {
                values: values.into(),
                deps,
            }
        });
        // A resolution that asks for this file's callees depends on what they did.
        reuse::note_all(&resolved.deps);
        &resolved.values
    }

    /// Hands the previous check's answers to this one (before [`Project::finish`]).
    pub fn set_previous(&mut self, previous: reuse::Previous) {
        self.previous = Some(previous);
    }

    /// Records what answers depend on, for the next check to take them over.
    pub fn carry_answers(&mut self) {
        self.carry = true;
    }

    pub(crate) fn carries(&self) -> bool {
        self.carry
    }

    /// `file`'s part of an index pass: `compute` (which reads the file's model and what
    /// it resolves through), or, in the language server, the previous check's part when
    /// neither the file nor anything it was worked out from changed. Rust files are
    /// always computed (their calls resolve through the Rust index, which is not
    /// recorded).
    pub(crate) fn per_file<T: Clone + Send + Sync + 'static>(
        &self,
        pass: reuse::Pass,
        file: FileId,
        compute: impl FnOnce() -> T,
    ) -> T {
        if !self.carry || self.models.language(file) != Language::Python {
            return compute();
        }
        let kept = self.previous.as_ref().and_then(|p| p.part(pass, file));
        let part = match kept.filter(|p| p.value.is::<T>()) {
            Some(p) => {
                reuse::note_all(&p.deps);
                p.clone()
            }
            None => {
                let (value, deps) = reuse::record(|| {
                    reuse::note(file);
                    compute()
                });
                reuse::Part {
                    value: std::sync::Arc::new(value),
                    deps,
                }
            }
        };
        let value = part
            .value
            .downcast_ref::<T>()
            .expect("checked or made above")
            .clone();
        let n = self.files.len();
        self.parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(pass)
            .or_insert_with(|| vec![None; n])[file] = Some(part);
        value
    }

    /// The per-file passes' parts worked out in this check, for the next one.
    pub fn parts(&self) -> reuse::Parts {
        std::mem::take(&mut *self.parts.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn previous_ancestry(&self, class: ClassRef) -> Option<reuse::Ancestry> {
        self.previous.as_ref()?.ancestry(class).cloned()
    }

    /// The Python classes' ancestries worked out so far, for the next check.
    pub fn ancestries(&self) -> std::collections::HashMap<ClassRef, reuse::Ancestry> {
        self.ancestries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The project files an import of `file` names: the module and every package on
    /// its path (`ModuleTable::module_and_parents`). A function of the file's model and
    /// the module table alone.
    pub fn imported_files(&self, file: FileId) -> &[FileId] {
        self.imports[file].get_or_init(|| {
            if let Some(i) = self.previous.as_ref().and_then(|p| p.imports(file)) {
                return i.clone();
            }
            let mut out = std::collections::BTreeSet::new();
            let model = &self.models[file];
            // Rust files are always read and indexed whole (their `use` paths are not
            // Python modules, and resolving them needs the Rust index, built later).
            if model.language == Language::Python {
                for scope in &model.scopes {
                    for b in &scope.bindings {
                        let crate::model::BoundValue::Import(t) = &b.value else {
                            continue;
                        };
                        let Some(path) = self.import_path(file, t) else {
                            continue;
                        };
                        out.extend(
                            self.modules
                                .module_and_parents(&path)
                                .into_iter()
                                .filter(|f| *f != file),
                        );
                    }
                }
            }
            out.into_iter().collect()
        })
    }

    /// Each file's imported files, where they were asked for, for the next check.
    pub fn imports(&self) -> Vec<Option<std::sync::Arc<[FileId]>>> {
        self.imports.iter().map(|i| i.get().cloned()).collect()
    }

    /// Each file's module-level names, where they were looked up, for the next check.
    pub fn module_names(&self) -> Vec<Option<reuse::ModuleNames>> {
        self.module_names.iter().map(|m| m.get().cloned()).collect()
    }

    /// The Python files' callees resolved so far, for the next check.
    pub fn resolved_callees(&self) -> Vec<Option<reuse::Resolved>> {
        self.callees
            .iter()
            .enumerate()
            .map(|(f, c)| {
                c.get()
                    .filter(|_| self.models.language(f) == Language::Python)
                    .cloned()
            })
            .collect()
    }

    /// The words searched in the files' text so far, with the files holding them.
    pub fn mentions(&self) -> std::collections::HashMap<String, std::sync::Arc<[FileId]>> {
        self.mentions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Answers given ahead for [`Project::mentions`] (carried over from the previous
    /// check, for the files that did not change).
    pub fn set_mentions(&self, known: std::collections::HashMap<String, std::sync::Arc<[FileId]>>) {
        *self.mentions.lock().unwrap_or_else(|e| e.into_inner()) = known;
    }

    pub fn callee(&self, call: CallRef) -> &Value {
        &self.file_callees(call.file)[call.call]
    }

    pub fn call(&self, call: CallRef) -> &crate::model::Call {
        &self.models[call.file].calls[call.call]
    }

    pub fn scope(&self, f: FuncRef) -> &crate::model::Scope {
        &self.models[f.file].scopes[f.scope]
    }

    /// The functions defined directly in `f`'s body (a decorator's wrapper).
    pub fn nested_functions(&self, f: FuncRef) -> Vec<FuncRef> {
        self.models[f.file]
            .scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == ScopeKind::Function && s.parent == Some(f.scope))
            .map(|(scope, _)| FuncRef {
                file: f.file,
                scope,
            })
            .collect()
    }

    /// `module.function` or `module.Class.method`, for messages and task names.
    pub fn qualname(&self, f: FuncRef) -> String {
        if self.models[f.file].language == Language::Rust {
            return self.rust_qualname(f);
        }
        let model = &self.models[f.file];
        let scope = &model.scopes[f.scope];
        let mut parts = vec![scope.name.clone()];
        let mut parent = scope.parent;
        while let Some(p) = parent {
            let s = &model.scopes[p];
            if s.kind != ScopeKind::Module {
                parts.push(s.name.clone());
            }
            parent = s.parent;
        }
        if let Some(m) = self.modules.name_of(f.file) {
            parts.push(m.into());
        }
        parts.reverse();
        parts.join(".")
    }

    /// The function, or method, as users would name it in a message: `Class.method` or
    /// `function`.
    pub fn display_name(&self, f: FuncRef) -> String {
        if self.models[f.file].language == Language::Rust {
            return self.rust_display_name(f);
        }
        let model = &self.models[f.file];
        let scope = &model.scopes[f.scope];
        match scope.class {
            Some(c) => format!("{}.{}", model.classes[c].name, scope.name),
            None => scope.name.as_str().to_owned(),
        }
    }

    /// Test code: tasklint reports nothing about how tests call tasks.
    pub fn is_test_function(&self, f: FuncRef) -> bool {
        if self.models[f.file].language == Language::Rust {
            return self.rust_is_test_function(f);
        }
        if self.is_test[f.file] {
            return true;
        }
        let model = &self.models[f.file];
        let mut scope = Some(f.scope);
        while let Some(s) = scope {
            let sc = &model.scopes[s];
            // `test_*` methods of test classes and `Test*` classes are what pytest and
            // unittest collect. Outside test files, a module-level `test_email()` or a
            // `test_server_email()` method of a service class is ordinary code (an
            // admin's "send a test mail" action); a `test_*` method of a class named for
            // tests (`ReceiptTestsMixin`) is a shared test.
            let method_of_test_named_class = sc.kind == ScopeKind::Function
                && sc.name.starts_with("test_")
                && sc
                    .class
                    .is_some_and(|c| model.classes[c].name.contains("Test"));
            if method_of_test_named_class
                || (sc.kind == ScopeKind::Class && sc.name.starts_with("Test"))
            {
                return true;
            }
            match (sc.kind, sc.class) {
                (ScopeKind::Class, Some(class))
                    if self.is_test_class(ClassRef {
                        file: f.file,
                        class,
                    }) =>
                {
                    return true;
                }
                (ScopeKind::Function, _) if self.is_fixture(f.file, sc) => return true,
                _ => {}
            }
            scope = sc.parent;
        }
        false
    }

    /// A test case class: it derives from a test base class of `test_code.toml`
    /// (`unittest.TestCase`, `django.test.TestCase`...), directly or through project classes.
    pub fn is_test_class(&self, class: ClassRef) -> bool {
        let classes = self.test_classes[class.file].get_or_init(|| {
            let patterns = &self.knowledge.test_code.base_classes;
            (0..self.models[class.file].classes.len())
                .map(|c| {
                    let (_, external) = self.class_ancestry(ClassRef {
                        file: class.file,
                        class: c,
                    });
                    external
                        .iter()
                        .any(|e| patterns.iter().any(|p| p.root_matches(e)))
                })
                .collect()
        });
        classes.get(class.class).copied().unwrap_or(false)
    }

    /// A pytest fixture (`@pytest.fixture`, `@pytest.fixture(scope=...)`).
    fn is_fixture(&self, file: FileId, scope: &crate::model::Scope) -> bool {
        let patterns = &self.knowledge.test_code.fixture_decorators;
        if patterns.is_empty() {
            return false;
        }
        let parent = scope.parent.unwrap_or(0);
        scope.decorators.iter().any(|d| {
            let v = match d.expr.as_call() {
                Some(call) => self.callee(CallRef { file, call }).clone(),
                None => self.resolve(file, parent, &d.expr),
            };
            self.matches_any(&v, patterns)
        })
    }

    /// A module only a command runs, by its folder (`<app>/management/commands/`, Django
    /// migrations, Alembic revisions: `[command_line] folders` of
    /// `rules/python/entry_points.toml`): it runs in its own process, where running a
    /// task inline is usually the point.
    pub fn is_command_module(&self, file: FileId) -> bool {
        let Some(dir) = self.relative[file].parent() else {
            return false;
        };
        // `Path::ends_with` compares whole components: `x/management/commands` ends with
        // `management/commands`, `x/my_management/commands` does not.
        self.knowledge
            .entry_points
            .command_line
            .folders
            .iter()
            .any(|f| dir.ends_with(f))
    }

    /// The function whose execution runs this call: lambdas belong to the function they
    /// are written in, unless they are handed to a thread or executor. Calls at module or
    /// class level run at import and belong to no function.
    pub fn call_owner(&self, call: CallRef) -> Option<FuncRef> {
        let model = &self.models[call.file];
        if self.deferred_by_macro(call) {
            return None;
        }
        let mut scope = model.calls[call.call].scope;
        loop {
            let s = &model.scopes[scope];
            match s.kind {
                ScopeKind::Function => {
                    return Some(FuncRef {
                        file: call.file,
                        scope,
                    });
                }
                ScopeKind::Module | ScopeKind::Class => return None,
                ScopeKind::Lambda => {
                    // A Rust closure registered as a request handler runs on its own.
                    if self.rust_is_handler_lambda(call.file, scope) {
                        return Some(FuncRef {
                            file: call.file,
                            scope,
                        });
                    }
                    // An offload runs only the closure's own body. A closure whose body
                    // is an `async` block just builds a future there and hands it back;
                    // the caller awaits it (`web::block(|| async {..}).await?.await`),
                    // so that work still runs on the caller's runtime thread.
                    if let Some((outer, _)) = s.passed_to
                        && !s.is_async
                        && self.is_offload(CallRef {
                            file: call.file,
                            call: outer,
                        })
                    {
                        return None;
                    }
                    // A Rust callback handed to an API that runs it later, elsewhere.
                    if model.language == Language::Rust
                        && self.rust_lambda_runs_elsewhere(call.file, scope)
                    {
                        return None;
                    }
                    scope = s.parent?;
                }
            }
        }
    }

    /// Is the call written in the arguments of a project macro whose expansion may not
    /// run them where the macro is (`log_expr!(x)` expanding to `stringify!(x)`), directly
    /// or through macros nested in it?
    pub(crate) fn deferred_by_macro(&self, call: CallRef) -> bool {
        let model = &self.models[call.file];
        if model.rust.in_macro.is_empty() {
            return false;
        }
        let mut at = call.call;
        // Each step goes to an enclosing macro call, which comes later: this ends.
        while let Ok(i) = model.rust.in_macro.binary_search_by_key(&at, |(c, _)| *c) {
            let m = model.rust.in_macro[i].1;
            if self.macro_defers(CallRef {
                file: call.file,
                call: m,
            }) {
                return true;
            }
            at = m;
        }
        false
    }

    /// Is this a call of a project macro whose `macro_rules!` expansion may not run its
    /// arguments where it is written (see [`Project::deferred_by_macro`])?
    pub(crate) fn macro_defers(&self, call: CallRef) -> bool {
        self.project_macro(call) == Some(true)
    }

    /// Is this a call of a macro the project defines with `macro_rules!` (by its name)?
    pub(crate) fn is_project_macro(&self, call: CallRef) -> bool {
        self.project_macro(call).is_some()
    }

    /// For a call of a macro the project defines, whether its expansion may not run its
    /// arguments in place; `None` for any other call. A name defined twice defers if
    /// either definition does.
    fn project_macro(&self, call: CallRef) -> Option<bool> {
        let c = &self.models[call.file].calls[call.call];
        let ExprKind::Name(path) = &c.callee.kind else {
            return None;
        };
        if !c.is_macro {
            return None;
        }
        let macros = self.macro_rules.get_or_init(|| {
            let mut macros: HashMap<Name, bool> = HashMap::new();
            for &f in self.files_mentioning("macro_rules").iter() {
                if self.models.language(f) == Language::Rust {
                    for (name, defers) in &self.models[f].rust.macro_rules {
                        *macros.entry(name.clone()).or_default() |= *defers;
                    }
                }
            }
            macros
        });
        if macros.is_empty() {
            return None;
        }
        macros
            .get(path.rsplit("::").next().unwrap_or(path))
            .copied()
    }

    /// `f` is decorated by a project decorator whose wrapper hands the function it
    /// decorates to a thread or an executor (`def postpone(fn): def run(*a, **kw):
    /// Thread(target=fn, args=a).start(); return run`): calling `f` runs its body there,
    /// not in the caller. A wrapper that may also call it inline (under a setting) counts:
    /// handing it on is what the decorator is for.
    pub fn runs_elsewhere_when_called(&self, f: FuncRef) -> bool {
        if self.models.language(f.file) != Language::Python {
            return false;
        }
        let s = self.scope(f);
        let Some(parent) = s.parent else {
            return false;
        };
        s.decorators.iter().any(|d| {
            matches!(self.resolve(f.file, parent, &d.expr), Value::Function(deco)
                if self.offloading_decorator(deco))
        })
    }

    /// The wrappers `f`'s project decorators put around it: a call of `f` runs them (and
    /// they call `f`).
    pub fn wrappers_of(&self, f: FuncRef) -> std::sync::Arc<[FuncRef]> {
        let s = self.scope(f);
        if s.decorators.is_empty() || self.models.language(f.file) != Language::Python {
            return std::sync::Arc::from([]);
        }
        memoized(&self.wrappers, &f, || {
            s.decorators
                .iter()
                .filter_map(|d| self.decorator_wrapper(f, &d.expr))
                .filter(|w| *w != f)
                .collect()
        })
    }

    /// The function that runs in place of `f` when `decorator` (one of `f`'s decorators)
    /// is a project decorator wrapping it: the function defined in the decorator and
    /// returned by it (`def require_token(fn): def check(*a, **kw): ...; return check`),
    /// or in what a decorator factory returns (`@retry(3)`). `None` for a decorator that
    /// registers or returns the function itself.
    pub fn decorator_wrapper(&self, f: FuncRef, decorator: &crate::model::Expr) -> Option<FuncRef> {
        let parent = self.scope(f).parent?;
        let inner = |outer: FuncRef| -> Option<FuncRef> {
            self.models[outer.file]
                .functions()
                .map(|(scope, _)| FuncRef {
                    file: outer.file,
                    scope,
                })
                .find(|w| handlers::returns_function(self, outer, *w))
        };
        match &decorator.kind {
            crate::model::ExprKind::Call(id) => {
                let Value::Function(factory) = self.callee(CallRef {
                    file: f.file,
                    call: *id,
                }) else {
                    return None;
                };
                inner(inner(*factory)?)
            }
            _ => match self.resolve(f.file, parent, decorator) {
                Value::Function(deco) => inner(deco),
                _ => None,
            },
        }
    }

    fn offloading_decorator(&self, deco: FuncRef) -> bool {
        memoized(&self.offloading_decorators, &deco, || {
            let model = &self.models[deco.file];
            model.scopes[deco.scope].params.first().is_some_and(|param| {
                model.calls.iter().enumerate().any(|(i, c)| {
                    let wrapper = FuncRef {
                        file: deco.file,
                        scope: model.enclosing_function(c.scope),
                    };
                    wrapper != deco
                        && handlers::returns_function(self, deco, wrapper)
                        && c.args.iter().any(|a| {
                            matches!(&a.value.kind, crate::model::ExprKind::Name(n) if *n == param.name)
                        })
                        && self.is_offload(CallRef {
                            file: deco.file,
                            call: i,
                        })
                })
            })
        })
    }

    /// A call that runs the function it is given somewhere else (thread, executor).
    pub fn is_offload(&self, call: CallRef) -> bool {
        if self.models[call.file].language == Language::Rust {
            return self.rust_is_offload(call);
        }
        let c = self.call(call);
        if let Some(m) = c.method_name()
            && self.knowledge.offload.methods.iter().any(|x| x == m)
        {
            return true;
        }
        let callee = self.callee(call);
        self.knowledge
            .offload
            .calls
            .iter()
            .any(|p| self.matches(callee, p))
    }
}

/// Files tests live in: `test_*.py`, `*_test.py` (pytest's two default patterns),
/// `tests.py`, `conftest.py`, anything under a `tests`, `test`, `testing` or `t` folder
/// (`t/` is a short name some projects give their test folder). Not `*_tests.py`: no
/// runner looks for it by default, and outside a tests folder it names views and scripts
/// (`send_tests.py`, the view that mails a test message).
pub fn is_test_path(relative: &std::path::Path) -> bool {
    let name = relative
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name.strip_suffix(".py").unwrap_or(name);
    if stem.starts_with("test_") || stem.ends_with("_test") || stem == "tests" || stem == "conftest"
    {
        return true;
    }
    relative
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .any(|c| {
            matches!(
                c.as_os_str().to_str(),
                Some("tests" | "test" | "testing" | "t")
            )
        })
}
