//! The project index: every file's model plus the cross-file facts rules ask about —
//! module names, what a name or call resolves to, which functions are tasks and which are
//! request handlers, and what a handler reaches through project calls.

pub mod callgraph;
pub mod dataflow;
pub mod handlers;
pub mod modules;
pub mod resolve;
pub mod rust;
pub mod settings_values;
pub mod tasks;

use std::path::PathBuf;

use rayon::prelude::*;

pub use callgraph::{CallGraph, Reach};
pub use dataflow::Origin;
pub use handlers::{Handler, HandlerSet};
pub use modules::ModuleTable;
pub use resolve::Value;
pub use tasks::{Task, TaskRegistry};

use crate::knowledge::Knowledge;
use crate::model::{CallId, ClassId, FileModel, Language, ScopeId, ScopeKind};
use crate::settings::Settings;
use crate::source::{FileId, SourceFile};

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

pub struct Project {
    pub files: Vec<SourceFile>,
    pub models: Vec<FileModel>,
    pub report: Vec<bool>,
    /// Each file's path relative to the root it was found under.
    pub relative: Vec<PathBuf>,
    pub is_test: Vec<bool>,
    pub modules: ModuleTable,
    pub knowledge: Knowledge,
    pub settings: Settings,
    /// What each call's callee resolves to, computed once (`callees[file][call]`).
    pub callees: Vec<Vec<Value>>,
    pub tasks: TaskRegistry,
    pub handlers: HandlerSet,
    pub graph: CallGraph,
    pub reach: Reach,
    /// Rust crates, module trees, offload wrappers and handlers.
    pub rust: rust::RustIndex,
}

impl Project {
    pub fn build(inputs: Vec<InputFile>, knowledge: Knowledge, settings: Settings) -> Project {
        let python: Vec<(FileId, PathBuf, usize)> = inputs
            .iter()
            .enumerate()
            .filter(|(_, f)| f.model.language == Language::Python)
            .map(|(i, f)| (i, f.relative.clone(), f.root))
            .collect();
        let modules = ModuleTable::build(&python);
        let is_test = inputs.iter().map(|f| is_test_path(&f.relative)).collect();
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
        let mut project = Project {
            files,
            models,
            report,
            relative,
            is_test,
            modules,
            knowledge,
            settings,
            callees: Vec::new(),
            tasks: TaskRegistry::default(),
            handlers: HandlerSet::default(),
            graph: CallGraph::default(),
            reach: Reach::default(),
            rust: rust::RustIndex::default(),
        };
        project.rust = rust::RustIndex::build(&project);
        rust::compute_globs(&mut project);
        let types = project.rust_index_types();
        project.rust.set_types(types);
        project.callees = (0..project.files.len())
            .into_par_iter()
            .map(|file| {
                let model = &project.models[file];
                (0..model.calls.len())
                    .map(|call| project.resolve_callee(file, call))
                    .collect()
            })
            .collect();
        let (wrappers, wrapper_methods) = rust::context::derive_wrappers(&project);
        project.rust.wrappers = wrappers;
        project.rust.wrapper_methods = wrapper_methods;
        project.rust.celery_tasks = rust::context::find_celery_tasks(&project);
        let rust_handlers = rust::handlers::find(&project);
        project.rust.set_handlers(rust_handlers);
        project.rust.service_crates = rust::context::service_crates(&project);
        project.tasks = TaskRegistry::build(&project);
        project.handlers = HandlerSet::build(&project);
        project.graph = CallGraph::build(&project);
        (project.rust.test_only, project.rust.startup_only) =
            rust::context::test_and_startup_only(&project);
        project.reach = Reach::from_handlers(&project);
        project
    }

    pub fn callee(&self, call: CallRef) -> &Value {
        &self.callees[call.file][call.call]
    }

    pub fn call(&self, call: CallRef) -> &crate::model::Call {
        &self.models[call.file].calls[call.call]
    }

    pub fn scope(&self, f: FuncRef) -> &crate::model::Scope {
        &self.models[f.file].scopes[f.scope]
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
            parts.push(m.to_string());
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
            None => scope.name.clone(),
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
            if sc.name.starts_with("test_")
                || (sc.kind == ScopeKind::Class && sc.name.starts_with("Test"))
            {
                return true;
            }
            scope = sc.parent;
        }
        false
    }

    /// A Django management command (`<app>/management/commands/<name>.py`): it runs in
    /// its own process, where running a task inline is usually the point.
    pub fn is_management_command(&self, file: FileId) -> bool {
        let comps: Vec<_> = self.relative[file].components().collect();
        comps.len() >= 3
            && comps[comps.len() - 3].as_os_str() == "management"
            && comps[comps.len() - 2].as_os_str() == "commands"
    }

    /// The function whose execution runs this call: lambdas belong to the function they
    /// are written in, unless they are handed to a thread or executor. Calls at module or
    /// class level run at import and belong to no function.
    pub fn call_owner(&self, call: CallRef) -> Option<FuncRef> {
        let model = &self.models[call.file];
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
                    if let Some((outer, _)) = s.passed_to
                        && self.is_offload(CallRef {
                            file: call.file,
                            call: outer,
                        })
                    {
                        return None;
                    }
                    scope = s.parent?;
                }
            }
        }
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

/// Files tests live in: `test_*.py`, `*_test.py`, `*_tests.py`, `tests.py`,
/// `conftest.py`, anything under a `tests` folder.
pub fn is_test_path(relative: &std::path::Path) -> bool {
    let name = relative
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name.strip_suffix(".py").unwrap_or(name);
    if stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem == "tests"
        || stem == "conftest"
    {
        return true;
    }
    relative
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .any(|c| c.as_os_str() == "tests")
}
