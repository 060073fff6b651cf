//! What a name, attribute or call refers to, across files: the semantic model rules ask
//! questions of ("is this callee `requests.post`?", "is this a Celery task?").
//!
//! Resolution follows imports (absolute, relative, aliased, re-exported through
//! `__init__.py`), module-level and local assignments (the last one before the use),
//! parameters (`self`, annotations), classes and their project base classes. Anything it
//! cannot follow is [`Value::Unknown`], and unknown never produces a finding.

use crate::knowledge::{PathPattern, Step};
use crate::model::{BoundValue, Expr, ExprKind, ImportTarget, ParamKind, ScopeId, ScopeKind};
use crate::source::FileId;

use super::{ClassRef, FuncRef, Project};

/// Resolution gives up (Unknown) beyond this many steps: cycles (`a = b; b = a`) and
/// long alias chains end here.
const MAX_DEPTH: u32 = 32;

/// Names Python provides without an import, that rules care about.
const BUILTINS: &[&str] = &[
    "open",
    "input",
    "print",
    "super",
    "staticmethod",
    "classmethod",
    "property",
    "Exception",
    "BaseException",
    "ValueError",
    "KeyError",
    "TypeError",
    "RuntimeError",
    "ImportError",
    "ModuleNotFoundError",
    "list",
    "dict",
    "set",
    "tuple",
    "len",
    "sorted",
    "map",
    "filter",
];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Unknown,
    /// A project module (its file).
    Module(FileId),
    /// A project package with no file of its own (namespace package), by dotted name.
    Package(String),
    /// A name from outside the project, fully qualified (`requests.post`).
    External(String),
    Function(FuncRef),
    Class(ClassRef),
    /// An instance of a project class (`self`, `Order(...)`).
    Instance(ClassRef),
    /// What calling the inner value returns.
    Returned(Box<Value>),
    /// An attribute that could not be followed further.
    Attr(Box<Value>, String),
    /// An element of iterating the inner value (`for x in <value>`).
    Iterated(Box<Value>),
    /// `<value>[...]`
    Subscripted(Box<Value>),
}

impl Value {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// The last name of the value, for indexed pattern lookups.
    pub fn last_name(&self) -> Option<&str> {
        match self {
            Value::External(p) => Some(p.rsplit('.').next().unwrap_or(p)),
            Value::Attr(_, name) => Some(name),
            _ => None,
        }
    }
}

impl Project {
    pub(super) fn resolve_callee(&self, file: FileId, call: usize) -> Value {
        let c = &self.models[file].calls[call];
        self.resolve_at(file, c.scope, &c.callee, c.span.start, 0)
    }

    /// What an expression written in `scope` refers to.
    pub fn resolve(&self, file: FileId, scope: ScopeId, expr: &Expr) -> Value {
        self.resolve_at(file, scope, expr, expr.span.start, 0)
    }

    /// What an expression refers to when only the bindings before byte offset `at` are
    /// seen (the value of `x = f(x)` is resolved before `x` is rebound).
    pub fn resolve_before(&self, file: FileId, scope: ScopeId, expr: &Expr, at: u32) -> Value {
        self.resolve_at(file, scope, expr, at, 0)
    }

    fn resolve_at(&self, file: FileId, scope: ScopeId, expr: &Expr, at: u32, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        if self.models[file].language == crate::model::Language::Rust {
            return self.rust_resolve(file, scope, expr, at, depth);
        }
        match &expr.kind {
            ExprKind::Name(name) => self.lookup(file, scope, name, at, depth + 1),
            ExprKind::Attr(base, name) => {
                let b = self.resolve_at(file, scope, base, at, depth + 1);
                self.attr(b, name, depth + 1)
            }
            ExprKind::Call(id) => {
                let c = &self.models[file].calls[*id];
                let callee = self.resolve_at(file, c.scope, &c.callee, at, depth + 1);
                self.returned_by(callee, depth + 1)
            }
            ExprKind::Subscript(value, _) => {
                match self.resolve_at(file, scope, value, at, depth + 1) {
                    Value::Unknown => Value::Unknown,
                    v => Value::Subscripted(Box::new(v)),
                }
            }
            _ => Value::Unknown,
        }
    }

    /// What calling a value gives. A project function whose `return`s all resolve to the
    /// same value gives that value, so a factory (`app = create_application()` returning
    /// a `Celery(...)`) is seen through.
    fn returned_by(&self, callee: Value, depth: u32) -> Value {
        if let Value::Function(f) = &callee
            && depth <= MAX_DEPTH
        {
            let scope = &self.models[f.file].scopes[f.scope];
            if !scope.returns.is_empty() && scope.returns.len() <= 8 {
                let mut values = scope
                    .returns
                    .iter()
                    .map(|e| self.resolve_at(f.file, f.scope, e, e.span.start, depth + 1));
                let first = values.next().unwrap_or(Value::Unknown);
                if !first.is_unknown() && values.all(|v| v == first) {
                    return first;
                }
            }
        }
        call_result(callee)
    }

    /// A name as seen from `scope` at byte offset `at`: the last binding before the use
    /// in the nearest scope that binds it (class bodies are skipped from methods).
    pub fn lookup(&self, file: FileId, scope: ScopeId, name: &str, at: u32, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let model = &self.models[file];
        let s = &model.scopes[scope];
        if s.kind == ScopeKind::Module {
            return self.module_member_at(file, name, at, depth + 1);
        }
        let mut candidates = s
            .bindings
            .iter()
            .filter(|b| b.name == name && !b.augmented)
            .peekable();
        if candidates.peek().is_some() {
            let all: Vec<_> = candidates.collect();
            let b = all
                .iter()
                .rev()
                .find(|b| b.span.start < at)
                .or(all.last())
                .copied();
            if let Some(b) = b {
                return self.binding_value(file, scope, &b.value, b.span.start, depth + 1);
            }
        }
        // Names of an enclosing class body are not visible inside its methods.
        let mut parent = s.parent;
        while let Some(p) = parent {
            if model.scopes[p].kind != ScopeKind::Class || scope == p {
                break;
            }
            parent = model.scopes[p].parent;
        }
        match parent {
            Some(p) => self.lookup(file, p, name, u32::MAX, depth + 1),
            None => Value::Unknown,
        }
    }

    /// A module-level name of a project module (including what it imports, so re-exports
    /// through `__init__.py` resolve).
    pub fn module_member(&self, file: FileId, name: &str, depth: u32) -> Value {
        self.module_member_at(file, name, u32::MAX, depth)
    }

    fn module_member_at(&self, file: FileId, name: &str, at: u32, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let model = &self.models[file];
        let Some(module) = model.scopes.first() else {
            return Value::Unknown;
        };
        let all: Vec<_> = self
            .module_bindings(file, name)
            .iter()
            .map(|i| &module.bindings[*i as usize])
            .filter(|b| !b.augmented)
            .collect();
        if let Some(b) = all.iter().rev().find(|b| b.span.start < at).or(all.last()) {
            return self.binding_value(file, 0, &b.value, b.span.start, depth + 1);
        }
        // `from x import *`, the last one first.
        for b in self
            .module_bindings(file, "*")
            .iter()
            .rev()
            .map(|i| &module.bindings[*i as usize])
        {
            if let BoundValue::Import(t) = &b.value {
                match self.import_value(file, t, depth + 1) {
                    Value::Module(f) if f != file => {
                        let v = self.module_member(f, name, depth + 1);
                        if !v.is_unknown() {
                            return v;
                        }
                    }
                    Value::External(p) => return Value::External(format!("{p}.{name}")),
                    _ => {}
                }
            }
        }
        if BUILTINS.contains(&name) {
            return Value::External(format!("builtins.{name}"));
        }
        Value::Unknown
    }

    fn binding_value(
        &self,
        file: FileId,
        scope: ScopeId,
        value: &BoundValue,
        at: u32,
        depth: u32,
    ) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match value {
            BoundValue::Expr(e) => self.resolve_at(file, scope, e, at, depth + 1),
            BoundValue::IterOf(e) => match self.resolve_at(file, scope, e, at, depth + 1) {
                Value::Unknown => Value::Unknown,
                v => Value::Iterated(Box::new(v)),
            },
            BoundValue::WithOf(e) => self.resolve_at(file, scope, e, at, depth + 1),
            BoundValue::Param(i) => self.param_value(file, scope, *i, depth + 1),
            BoundValue::Import(t) => self.import_value(file, t, depth + 1),
            BoundValue::Function(s) => Value::Function(FuncRef { file, scope: *s }),
            BoundValue::Class(c) => Value::Class(ClassRef { file, class: *c }),
            BoundValue::Unknown => Value::Unknown,
        }
    }

    fn param_value(&self, file: FileId, scope: ScopeId, index: usize, depth: u32) -> Value {
        let model = &self.models[file];
        let s = &model.scopes[scope];
        let Some(p) = s.params.get(index) else {
            return Value::Unknown;
        };
        if index == 0
            && s.kind == ScopeKind::Function
            && matches!(p.kind, ParamKind::Normal | ParamKind::PositionalOnly)
            && let Some(class) = s.class
        {
            let decorated = |name: &str| {
                s.decorators
                    .iter()
                    .any(|d| matches!(&d.expr.kind, ExprKind::Name(n) if n == name))
            };
            let class = ClassRef { file, class };
            if decorated("staticmethod") {
                // An ordinary parameter.
            } else if decorated("classmethod") {
                return Value::Class(class);
            } else {
                return Value::Instance(class);
            }
        }
        if let Some(annotation) = &p.annotation {
            let outer = s.parent.unwrap_or(0);
            return match self.resolve_at(file, outer, annotation, annotation.span.start, depth + 1)
            {
                Value::Class(c) => Value::Instance(c),
                Value::External(path) => Value::Returned(Box::new(Value::External(path))),
                _ => Value::Unknown,
            };
        }
        Value::Unknown
    }

    /// The absolute dotted path of an import, relative imports resolved against the
    /// importing file's package.
    pub fn import_path(&self, file: FileId, target: &ImportTarget) -> Option<Vec<String>> {
        if target.level == 0 {
            return Some(target.path.clone());
        }
        let module = self.modules.name_of(file)?;
        let mut base: Vec<&str> = module.split('.').collect();
        let is_package = self.files[file]
            .path
            .file_name()
            .is_some_and(|n| n == "__init__.py");
        if !is_package {
            base.pop();
        }
        for _ in 1..target.level {
            base.pop()?;
        }
        let mut path: Vec<String> = base.into_iter().map(String::from).collect();
        path.extend(target.path.iter().cloned());
        Some(path)
    }

    fn import_value(&self, file: FileId, target: &ImportTarget, depth: u32) -> Value {
        let Some(path) = self.import_path(file, target) else {
            return Value::Unknown;
        };
        if path.is_empty() {
            return Value::Unknown;
        }
        let full = path.join(".");
        for k in (1..=path.len()).rev() {
            let prefix = path[..k].join(".");
            if let Some(f) = self.modules.file(&prefix) {
                let mut v = Value::Module(f);
                for part in &path[k..] {
                    v = self.attr(v, part, depth + 1);
                }
                // A project module shadowing a library name (a top-level `celery.py`)
                // must not hide the library's names.
                if v.is_unknown() && target.level == 0 {
                    return Value::External(full);
                }
                return v;
            }
            if k == path.len() && self.modules.is_package(&prefix) {
                return Value::Package(prefix);
            }
        }
        if target.level == 0 {
            Value::External(full)
        } else {
            Value::Unknown
        }
    }

    /// `value.name`
    pub fn attr(&self, value: Value, name: &str, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match value {
            Value::Unknown => Value::Unknown,
            Value::Module(f) => {
                let v = self.module_member(f, name, depth + 1);
                if !v.is_unknown() {
                    return v;
                }
                match self.modules.name_of(f) {
                    Some(m) => self.submodule(&format!("{m}.{name}")),
                    None => Value::Unknown,
                }
            }
            Value::Package(p) => self.submodule(&format!("{p}.{name}")),
            Value::External(p) => Value::External(format!("{p}.{name}")),
            Value::Class(c) => self.class_member(c, name, false, depth + 1),
            Value::Instance(c) => self.class_member(c, name, true, depth + 1),
            other => Value::Attr(Box::new(other), name.to_string()),
        }
    }

    fn submodule(&self, name: &str) -> Value {
        if let Some(f) = self.modules.file(name) {
            Value::Module(f)
        } else if self.modules.is_package(name) {
            Value::Package(name.to_string())
        } else {
            Value::Unknown
        }
    }

    /// A method or class attribute, looked up through project base classes.
    fn class_member(&self, class: ClassRef, name: &str, instance: bool, depth: u32) -> Value {
        let mut stack = vec![class];
        let mut seen = Vec::new();
        while let Some(c) = stack.pop() {
            if seen.contains(&c) || seen.len() > 64 {
                continue;
            }
            seen.push(c);
            let model = &self.models[c.file];
            let cls = &model.classes[c.class];
            if let Some(m) = cls
                .methods
                .iter()
                .rev()
                .find(|m| model.scopes[**m].name == name)
            {
                return Value::Function(FuncRef {
                    file: c.file,
                    scope: *m,
                });
            }
            if let Some(b) = model.scopes[cls.body]
                .bindings
                .iter()
                .rev()
                .find(|b| b.name == name && !b.augmented)
            {
                return self.binding_value(c.file, cls.body, &b.value, b.span.start, depth + 1);
            }
            // Bases in reverse so the first base is searched first (a simple MRO).
            for base in cls.bases.iter().rev() {
                if let Value::Class(b) =
                    self.resolve_at(c.file, cls.parent, base, base.span.start, depth + 1)
                {
                    stack.push(b);
                }
            }
        }
        let owner = if instance {
            Value::Instance(class)
        } else {
            Value::Class(class)
        };
        Value::Attr(Box::new(owner), name.to_string())
    }

    /// The external (non-project) classes a project class derives from, directly or
    /// through project classes, and the project classes on the way (itself included).
    pub fn class_ancestry(&self, class: ClassRef) -> (Vec<ClassRef>, Vec<String>) {
        let mut project = Vec::new();
        let mut external = Vec::new();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if project.contains(&c) || project.len() > 64 {
                continue;
            }
            project.push(c);
            let model = &self.models[c.file];
            let cls = &model.classes[c.class];
            for base in cls.bases.iter().rev() {
                match self.resolve_at(c.file, cls.parent, base, base.span.start, 0) {
                    Value::Class(b) => stack.push(b),
                    Value::External(p) => external.push(p),
                    _ => {}
                }
            }
        }
        (project, external)
    }

    pub fn class_qualname(&self, class: ClassRef) -> String {
        let name = &self.models[class.file].classes[class.class].name;
        match self.modules.name_of(class.file) {
            Some(m) => format!("{m}.{name}"),
            None => name.clone(),
        }
    }

    /// Does a value match a knowledge pattern (`celery.shared_task`,
    /// `celery.Celery().task`, `django.views.generic.*`)?
    pub fn matches(&self, value: &Value, pattern: &PathPattern) -> bool {
        self.matches_steps(value, pattern, &pattern.steps)
    }

    fn matches_steps(&self, value: &Value, pattern: &PathPattern, steps: &[Step]) -> bool {
        let Some((last, rest)) = steps.split_last() else {
            return self.is_named(value, pattern);
        };
        if let Step::Call = last {
            return match value {
                Value::Returned(inner) => self.matches_steps(inner, pattern, rest),
                _ => false,
            };
        }
        let Value::Attr(base, name) = value else {
            return false;
        };
        if let Step::Name(n) | Step::Attr(n) = last
            && n != name
        {
            return false;
        }
        if let Step::Attr(_) | Step::AnyAttr = last {
            return self.matches_steps(base, pattern, rest);
        }
        match base.as_ref() {
            Value::Returned(inner) => self.matches_steps(inner, pattern, rest),
            // An instance of a project subclass (`class App(Celery)`).
            Value::Instance(c) => rest.is_empty() && self.derives_from(*c, pattern),
            _ => false,
        }
    }

    fn is_named(&self, value: &Value, pattern: &PathPattern) -> bool {
        match value {
            Value::External(p) => pattern.root_matches(p),
            Value::Function(f) => pattern.root_matches(&self.qualname(*f)),
            Value::Class(c) => {
                pattern.root_matches(&self.class_qualname(*c)) || self.derives_from(*c, pattern)
            }
            _ => false,
        }
    }

    /// A project class that is, or derives from, the pattern's class.
    pub fn derives_from(&self, class: ClassRef, pattern: &PathPattern) -> bool {
        let (project, external) = self.class_ancestry(class);
        external.iter().any(|p| pattern.root_matches(p))
            || project
                .iter()
                .any(|c| pattern.root_matches(&self.class_qualname(*c)))
    }
}

/// What calling a value gives.
pub fn call_result(callee: Value) -> Value {
    match callee {
        Value::Unknown => Value::Unknown,
        Value::Class(c) => Value::Instance(c),
        other => Value::Returned(Box::new(other)),
    }
}
