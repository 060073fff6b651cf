//! What a name, attribute or call refers to, across files: the semantic model rules ask
//! questions of ("is this callee `requests.post`?", "is this a Celery task?").
//!
//! Resolution follows imports (absolute, relative, aliased, re-exported through
//! `__init__.py`), module-level and local assignments (the last one before the use),
//! parameters (`self`, annotations), classes and their project base classes. Anything it
//! cannot follow is [`Value::Unknown`], and unknown never produces a finding.

use std::sync::Arc;

use crate::knowledge::{PathPattern, Step};
use crate::model::{
    Binding, BoundValue, Expr, ExprKind, FileModel, ImportTarget, ParamKind, ScopeId, ScopeKind,
};
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
    "getattr",
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
    /// One of several project classes or functions, not known which: an entry of a dict
    /// of them read with a key that is not a literal (`PROVIDERS[name]`), a conditional
    /// expression between them (`A() if x else B()`), and what reading an attribute of
    /// it or calling it gives. Two to [`MAX_ALTERNATIVES`]
    /// distinct values, in the dict's order.
    OneOf(Vec<Value>),
}

/// At most this many alternatives make a [`Value::OneOf`]: a bigger table is a registry
/// of everything, where following every entry says nothing about this call.
pub const MAX_ALTERNATIVES: usize = 8;

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
                // `CLIENTS.get("s3")` on a dict literal: the entry.
                if let ExprKind::Attr(base, m) = &c.callee.kind
                    && m == "get"
                    && let Some(key) = c.positional().next()
                    && let Some(v) = self.dict_entry(file, c.scope, base, &key.value, at, depth + 1)
                {
                    return v;
                }
                let callee = self.resolve_at(file, c.scope, &c.callee, at, depth + 1);
                if matches!(&callee, Value::External(p) if p == "builtins.getattr") {
                    return self.getattr_value(file, c, at, depth + 1);
                }
                if matches!(&callee, Value::External(p) if p == "builtins.super")
                    && let Some(v) = self.super_value(file, c.scope, &c.args, depth + 1)
                {
                    return v;
                }
                self.returned_by(callee, depth + 1)
            }
            ExprKind::Or(left, right) => {
                let l = self.resolve_at(file, scope, left, at, depth + 1);
                let r = self.resolve_at(file, scope, right, at, depth + 1);
                self.either(l, r)
            }
            // `None` on one side is the absence of the other side's value
            // (`boto3.client("s3") if settings.USE_S3 else None`); two project values
            // are one of them.
            ExprKind::IfElse(value, alternative) => {
                if matches!(alternative.kind, ExprKind::None) {
                    return self.resolve_at(file, scope, value, at, depth + 1);
                }
                if matches!(value.kind, ExprKind::None) {
                    return self.resolve_at(file, scope, alternative, at, depth + 1);
                }
                let v = self.resolve_at(file, scope, value, at, depth + 1);
                let a = self.resolve_at(file, scope, alternative, at, depth + 1);
                if v == a {
                    return v;
                }
                let mut values = Vec::new();
                for x in [v, a] {
                    match x {
                        Value::OneOf(xs) => values.extend(xs),
                        x if is_project_value(&x) => values.push(x),
                        _ => return Value::Unknown,
                    }
                }
                one_of(values).unwrap_or(Value::Unknown)
            }
            ExprKind::Subscript(value, index) => {
                if let Some(v) = self.dict_entry(file, scope, value, index, at, depth + 1) {
                    return v;
                }
                match self.resolve_at(file, scope, value, at, depth + 1) {
                    Value::Unknown => Value::Unknown,
                    v => Value::Subscripted(Box::new(v)),
                }
            }
            _ => Value::Unknown,
        }
    }

    /// `getattr(obj, "name")` is `obj.name`. A name computed by an f-string with literal
    /// ends (`getattr(self, f"on_{kind}")`) is one of the class's methods with those ends;
    /// a default (`getattr(self, name, self.on_other)`) is one more alternative, and the
    /// value when nothing else is known. A name computed whole stays unknown.
    fn getattr_value(&self, file: FileId, c: &crate::model::Call, at: u32, depth: u32) -> Value {
        let mut args = c.positional();
        let (Some(obj), Some(name)) = (args.next(), args.next()) else {
            return Value::Unknown;
        };
        if let Some(name) = name.value.as_str() {
            let base = self.resolve_at(file, c.scope, &obj.value, at, depth + 1);
            return self.attr(base, name, depth + 1);
        }
        // `getattr(obj, name, None)` is looked at before it is called: no default.
        let default = args
            .next()
            .filter(|d| !matches!(d.value.kind, ExprKind::None))
            .map(|d| self.resolve_at(file, c.scope, &d.value, at, depth + 1));
        // `getattr(self, f"handle_{event}")`: any method of the class whose name has
        // those ends.
        let mut values = Vec::new();
        if let ExprKind::Formatted { head, tail } = &name.value.kind
            && !(head.is_empty() && tail.is_empty())
            && let Value::Instance(class) | Value::Class(class) =
                self.resolve_at(file, c.scope, &obj.value, at, depth + 1)
        {
            let (ancestry, _) = self.class_ancestry(class);
            let mut seen: Vec<&str> = Vec::new();
            for c in ancestry.iter() {
                let model = &self.models[c.file];
                for &m in &model.classes[c.class].methods {
                    let n = model.scopes[m].name.as_str();
                    // The class's own method hides an ancestor's of the same name.
                    if name.value.may_format(n) && !seen.contains(&n) {
                        seen.push(n);
                        values.push(Value::Function(FuncRef {
                            file: c.file,
                            scope: m,
                        }));
                    }
                }
            }
        }
        // `getattr(requests, verb)`: every verb of the library is one call.
        if values.is_empty() && default.is_none() {
            let base = self.resolve_at(file, c.scope, &obj.value, at, depth + 1);
            if let Some(d) = self
                .knowledge
                .values
                .dynamic_attributes
                .iter()
                .find(|d| self.matches_any(&base, &d.on))
            {
                return self.attr(base, &d.is, depth + 1);
            }
        }
        match default {
            Some(d) if values.is_empty() => d,
            Some(d) if is_project_value(&d) => {
                values.push(d);
                one_of(values).unwrap_or(Value::Unknown)
            }
            // A default that is not a project value (`None`, a lambda): one of the
            // methods, or that.
            Some(_) => Value::Unknown,
            None => one_of(values).unwrap_or(Value::Unknown),
        }
    }

    /// What calling a value gives. A project function whose `return`s all resolve to the
    /// same value gives that value, so a factory (`app = create_application()` returning
    /// a `Celery(...)`) is seen through.
    fn returned_by(&self, callee: Value, depth: u32) -> Value {
        if let Value::OneOf(values) = callee {
            return one_of(
                values
                    .into_iter()
                    .map(|v| self.returned_by(v, depth + 1))
                    .filter(is_project_value)
                    .collect(),
            )
            .unwrap_or(Value::Unknown);
        }
        if let Value::Attr(base, method) = &callee
            && let Value::Instance(view) = base.as_ref()
            && let Some(v) = self
                .view_serializer(*view, method, depth + 1)
                .or_else(|| self.view_form(*view, method, depth + 1))
                .or_else(|| self.admin_object(*view, method))
                .or_else(|| self.view_object(*view, method, depth + 1))
        {
            return v;
        }
        if let Value::Function(f) = &callee
            && depth <= MAX_DEPTH
        {
            let scope = &self.models[f.file].scopes[f.scope];
            let mut returned = Value::Unknown;
            if !scope.returns.is_empty() && scope.returns.len() <= 8 {
                let mut values = scope
                    .returns
                    .iter()
                    .map(|e| self.resolve_at(f.file, f.scope, e, e.span.start, depth + 1));
                let first = values.next().unwrap_or(Value::Unknown);
                if !first.is_unknown() && values.all(|v| v == first) {
                    returned = first;
                }
            }
            // What another project function returns, unknown to tasklint, says less than
            // what this one declares it returns (`-> Client`); so does what a library
            // call returns when the declaration names a project class
            // (`return db.session.get(cls, pk)` in a `-> "User"` classmethod).
            let opaque = matches!(&returned, Value::Returned(inner) if matches!(**inner, Value::Function(_)));
            let declared = || {
                let a = scope.return_annotation.as_ref()?;
                let outer = scope.parent.unwrap_or(0);
                Some(self.annotation_value(f.file, outer, a, depth + 1)).filter(|v| !v.is_unknown())
            };
            if !returned.is_unknown() && !opaque {
                if !is_project_value(&returned)
                    && !matches!(returned, Value::OneOf(_))
                    && let Some(v) = declared().filter(|v| matches!(v, Value::Instance(_)))
                {
                    return v;
                }
                return returned;
            }
            if let Some(v) = declared() {
                return v;
            }
            if !returned.is_unknown() {
                return returned;
            }
        }
        call_result(callee)
    }

    /// `self.get_serializer(...)` in a DRF view: an instance of the class its
    /// `serializer_class` (its own or a project ancestor's) names.
    fn view_serializer(&self, view: ClassRef, method: &str, depth: u32) -> Option<Value> {
        let views = &self.knowledge.django.views;
        if !views.serializer_methods.iter().any(|m| m == method) {
            return None;
        }
        // A project `get_serializer_class` may choose per action.
        self.view_made(
            view,
            &views.bases,
            &views.serializer_attribute,
            &views.serializer_choosers,
            depth,
        )
    }

    /// `self.get_object()` in a Django or DRF object view: an instance of the project
    /// model it declares (`model = Photo`, `queryset = Photo.objects.filter(...)`).
    /// Read through resolution only (the data flow's `declared_model` asks for resolved
    /// callees, which may be the ones being resolved).
    fn view_object(&self, view: ClassRef, method: &str, depth: u32) -> Option<Value> {
        let views = &self.knowledge.django.views;
        if depth > MAX_DEPTH
            || !views.instance_methods.iter().any(|m| m == method)
            || !self.class_matches(view, &views.bases)
        {
            return None;
        }
        ["model", "queryset"].into_iter().find_map(|name| {
            let v = self.class_member(view, name, false, depth + 1);
            self.model_behind(&v, 0).map(Value::Instance)
        })
    }

    /// The project model a value is, or the manager chain it starts
    /// (`Photo.objects.filter(...).select_related(...)`).
    fn model_behind(&self, v: &Value, steps: u32) -> Option<ClassRef> {
        if steps > 8 {
            return None;
        }
        match v {
            Value::Class(c) => self.is_model_class(*c).then_some(*c),
            Value::Returned(inner) | Value::Attr(inner, _) => self.model_behind(inner, steps + 1),
            _ => None,
        }
    }

    /// `self.get_form()` in a Django editing view: an instance of its `form_class` (its
    /// own or a project ancestor's), unless the project overrides `get_form_class`.
    fn view_form(&self, view: ClassRef, method: &str, depth: u32) -> Option<Value> {
        let forms = &self.knowledge.django.form_views;
        if !forms.methods.iter().any(|m| m == method) {
            return None;
        }
        self.view_form_class(view, depth)
    }

    /// The form class a Django editing view makes ([`Self::view_form`]).
    fn view_form_class(&self, view: ClassRef, depth: u32) -> Option<Value> {
        let forms = &self.knowledge.django.form_views;
        self.view_made(view, &forms.bases, &forms.attribute, &forms.choosers, depth)
    }

    /// An instance of the class a view of one of `bases` names in its `attribute` (its
    /// own or a project ancestor's), unless the project overrides one of `choosers`
    /// (which may pick another class).
    fn view_made(
        &self,
        view: ClassRef,
        bases: &[PathPattern],
        attribute: &str,
        choosers: &[String],
        depth: u32,
    ) -> Option<Value> {
        if depth > MAX_DEPTH || !self.class_matches(view, bases) {
            return None;
        }
        // A chooser the project overrides picks the class: an instance of one of the
        // project classes it returns (`return A if staff else B`), when it says.
        if let Some(chooser) = choosers
            .iter()
            .find_map(|m| super::handlers::method_of(self, view, m))
        {
            let classes = match self.returned_by(Value::Function(chooser), depth + 1) {
                Value::Class(c) => vec![c],
                Value::OneOf(values) => values
                    .iter()
                    .map(|v| match v {
                        Value::Class(c) => Some(*c),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?,
                _ => return None,
            };
            return one_of(classes.into_iter().map(Value::Instance).collect());
        }
        match self.class_member(view, attribute, false, depth + 1) {
            Value::Class(c) => Some(Value::Instance(c)),
            _ => None,
        }
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
            if let Some(b) = model.binding_seen_at(&all, at) {
                return self.binding_of(file, scope, b, depth + 1);
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
        if let Some(b) = model.binding_seen_at(&all, at) {
            return self.binding_of(file, 0, b, depth + 1);
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

    /// What a binding gives: its value, or, when that is not known (`x: Client`, `x:
    /// Client = make()` with `make` unknown), an instance of its declared type.
    fn binding_of(&self, file: FileId, scope: ScopeId, b: &Binding, depth: u32) -> Value {
        let v = self.binding_value(file, scope, &b.value, b.span.start, depth);
        match (&v, &b.annotation) {
            (Value::Unknown, Some(a)) => self.annotation_value(file, scope, a, depth + 1),
            _ => v,
        }
    }

    /// An instance of the type an annotation names: a project class's instance, or what
    /// calling an outside class gives (`requests.Session` → `requests.Session()`).
    pub fn annotation_value(&self, file: FileId, scope: ScopeId, a: &Expr, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match self.resolve_at(file, scope, a, a.span.start, depth + 1) {
            Value::Class(c) => Value::Instance(c),
            // A bare top-level name from outside is a module (`import stripe`; a class
            // from outside has a dotted path), and a value typed as a module is that
            // module: `def load_stripe() -> Optional["stripe"]` hands back `stripe`.
            Value::External(path) if !path.contains('.') => Value::External(path),
            Value::External(path) => Value::Returned(Box::new(Value::External(path))),
            Value::Module(f) => Value::Module(f),
            _ => Value::Unknown,
        }
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
            // `for step in [a, b, c]:` over project functions or classes: one of them
            // each time round, so `step(...)` runs each.
            BoundValue::IterOf(e)
                if let ExprKind::List(items) | ExprKind::Tuple(items) = &e.kind
                    && !items.is_empty() =>
            {
                let values: Vec<Value> = items
                    .iter()
                    .map(|i| self.resolve_at(file, scope, i, at, depth + 1))
                    .collect();
                if values
                    .iter()
                    .all(|v| matches!(v, Value::Class(_) | Value::Function(_)))
                {
                    one_of(values).unwrap_or(Value::Unknown)
                } else {
                    Value::Unknown
                }
            }
            BoundValue::IterOf(e) => match self.resolve_at(file, scope, e, at, depth + 1) {
                Value::Unknown => Value::Unknown,
                v => Value::Iterated(Box::new(v)),
            },
            BoundValue::WithOf(e) => self
                .context_manager_yield(file, e, depth + 1)
                .unwrap_or_else(|| self.resolve_at(file, scope, e, at, depth + 1)),
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
            let class = ClassRef { file, class };
            if s.decorated_by_name("staticmethod") {
                // An ordinary parameter.
            } else if s.decorated_by_name("classmethod") {
                return Value::Class(class);
            } else {
                return Value::Instance(class);
            }
        }
        if let Some(annotation) = &p.annotation {
            let outer = s.parent.unwrap_or(0);
            return self.annotation_value(file, outer, annotation, depth + 1);
        }
        // `def wrapper(self, *args, **kwargs)` returned by a decorator of methods: `self`
        // is an instance of the classes whose methods it decorates.
        if index == 0 && s.class.is_none() && p.name == "self" {
            let v = self.wrapper_self(FuncRef { file, scope });
            if !matches!(v, Value::Unknown) {
                return v;
            }
        }
        // `form_valid(self, form)` of an editing view: the form it made.
        if let Some(class) = s.class
            && self
                .knowledge
                .django
                .form_views
                .parameters
                .iter()
                .any(|p| p.method == s.name && p.index == index)
            && let Some(v) = self.view_form_class(ClassRef { file, class }, depth + 1)
        {
            return v;
        }
        // `perform_create(self, serializer)` of a DRF view: the serializer it made.
        if let Some(class) = s.class
            && self
                .knowledge
                .django
                .views
                .serializer_parameters
                .iter()
                .any(|p| p.method == s.name && p.index == index)
        {
            let views = &self.knowledge.django.views;
            if let Some(v) = self.view_made(
                ClassRef { file, class },
                &views.bases,
                &views.serializer_attribute,
                &views.serializer_choosers,
                depth + 1,
            ) {
                return v;
            }
        }
        // `perform_destroy(self, instance)` of a DRF view: the row it found.
        if let Some(class) = s.class
            && self
                .knowledge
                .django
                .views
                .instance_parameters
                .iter()
                .any(|p| p.method == s.name && p.index == index)
            && let Some(method) = self.knowledge.django.views.instance_methods.first()
            && let Some(v) = self.view_object(ClassRef { file, class }, method, depth + 1)
        {
            return v;
        }
        // `save_model(self, request, obj, form, change)` of an admin: a row of its model.
        if let Some(v) = self.admin_row_parameter(file, scope, index) {
            return v;
        }
        // `def on_save(sender, instance, **kwargs)` under `@receiver(post_save,
        // sender=Photo)`: Django passes the row saved (or deleted) as `instance`.
        if p.name == "instance"
            && s.class.is_none()
            && let Some(v) = self.receiver_instance(file, scope, depth + 1)
        {
            return v;
        }
        self.param_from_callers(file, scope, index, depth + 1)
            .unwrap_or(Value::Unknown)
    }

    /// What the callers of a module-private helper (`def _send(client, text)`, or a
    /// `self._send(...)` method) pass for one of its parameters, when every call of it in
    /// its module passes the same known value: such a helper is called from its module
    /// only, so these are all its calls. Its default, an unpacked call or more than
    /// `MAX_CALLERS` calls leave the parameter unknown.
    fn param_from_callers(
        &self,
        file: FileId,
        scope: ScopeId,
        index: usize,
        depth: u32,
    ) -> Option<Value> {
        const MAX_CALLERS: usize = 8;
        if depth > MAX_DEPTH {
            return None;
        }
        let model = &self.models[file];
        let s = &model.scopes[scope];
        let private = s.name.starts_with('_') && !s.name.starts_with("__");
        if s.kind != ScopeKind::Function || !private {
            return None;
        }
        let p = s.params.get(index)?;
        let target = Value::Function(FuncRef { file, scope });
        let mut found: Option<Value> = None;
        let mut callers = 0;
        for c in &model.calls {
            let named = match &c.callee.kind {
                ExprKind::Name(n) | ExprKind::Attr(_, n) => *n == s.name,
                _ => false,
            };
            if !named
                || self.resolve_at(file, c.scope, &c.callee, c.span.start, depth + 1) != target
            {
                continue;
            }
            callers += 1;
            if callers > MAX_CALLERS || c.has_unpacking() {
                return None;
            }
            // What the call passes to `p` (the `self` of a method called on an object
            // is not passed; `*args` / `**kwargs` are never filled): a default is unknown.
            let (_, arg) =
                super::callgraph::parameters_passed(c, s).find(|(q, _)| std::ptr::eq(*q, p))?;
            let v = self.resolve_at(file, c.scope, arg?, c.span.start, depth + 1);
            if v.is_unknown() || found.as_ref().is_some_and(|f| *f != v) {
                return None;
            }
            found = Some(v);
        }
        found
    }

    /// What a model signal receiver's `instance` is, by its decorator: an instance of the
    /// project model `sender=` names, when every signal it receives is a model signal.
    /// Read from the decorator itself, not from the project's receivers, which are
    /// found through resolution.
    fn receiver_instance(&self, file: FileId, scope: ScopeId, depth: u32) -> Option<Value> {
        let model = &self.models[file];
        let s = &model.scopes[scope];
        let outer = s.parent.unwrap_or(0);
        let decorators = &self.knowledge.signal_receivers.decorators;
        let groups = &self.knowledge.django.signals.model;
        s.decorators.iter().find_map(|d| {
            let ExprKind::Call(id) = d.expr.kind else {
                return None;
            };
            let call = &model.calls[id];
            let sender = &call.keyword("sender")?.value;
            let first = &call.positional().next()?.value;
            let callee = self.resolve_callee(file, id);
            if !decorators.iter().any(|p| self.matches(&callee, p)) {
                return None;
            }
            let signals: Vec<&Expr> = match &first.kind {
                ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().collect(),
                _ => vec![first],
            };
            let model_signal = |e: &Expr| {
                let v = self.resolve_at(file, outer, e, e.span.start, depth + 1);
                groups
                    .iter()
                    .any(|g| g.signals.iter().any(|p| self.matches(&v, p)))
            };
            if signals.is_empty() || !signals.into_iter().all(model_signal) {
                return None;
            }
            match self.resolve_at(file, outer, sender, sender.span.start, depth + 1) {
                Value::Class(c) => Some(Value::Instance(c)),
                _ => None,
            }
        })
    }

    /// The instance a method decorator's wrapper gets as `self`: the decorator (the
    /// function defining and returning `wrapper`) is applied to methods of one class (an
    /// instance of it) or of a few (one of them). Found in the files naming the decorator.
    fn wrapper_self(&self, wrapper: FuncRef) -> Value {
        super::memoized(&self.wrapper_selves, &wrapper, || {
            self.wrapper_self_now(wrapper)
        })
    }

    fn wrapper_self_now(&self, wrapper: FuncRef) -> Value {
        let Some(deco) = self.scope(wrapper).parent.map(|scope| FuncRef {
            file: wrapper.file,
            scope,
        }) else {
            return Value::Unknown;
        };
        if self.scope(deco).kind != ScopeKind::Function
            || !super::handlers::returns_function(self, deco, wrapper)
        {
            return Value::Unknown;
        }
        let name = self.scope(deco).name.as_str().to_owned();
        let mut classes: Vec<ClassRef> = Vec::new();
        for (file, model) in self.python_models_mentioning(&[name.as_str()]) {
            for (_, m) in model.functions() {
                let (Some(class), Some(parent)) = (m.class, m.parent) else {
                    continue;
                };
                let decorated = m.decorators.iter().any(|d| {
                    matches!(&d.expr.kind, ExprKind::Name(n) | ExprKind::Attr(_, n) if *n == name)
                        && matches!(self.resolve(file, parent, &d.expr), Value::Function(f) if f == deco)
                });
                let c = ClassRef { file, class };
                if decorated && !classes.contains(&c) {
                    classes.push(c);
                }
            }
        }
        match classes.len() {
            1 => Value::Instance(classes[0]),
            2..=MAX_ALTERNATIVES => {
                Value::OneOf(classes.into_iter().map(Value::Instance).collect())
            }
            _ => Value::Unknown,
        }
    }

    /// `CLIENTS["s3"]` (or `CLIENTS.get("s3")`) where `CLIENTS` is bound to a dict literal,
    /// here or in the module it is imported from: the entry's value. With a key that is
    /// not a literal, the value every entry shares (`{"s3": boto3.client("s3"), "sqs":
    /// boto3.client("sqs")}` holds clients whatever the key). `None` when not such a dict.
    fn dict_entry(
        &self,
        file: FileId,
        scope: ScopeId,
        dict: &Expr,
        key: &Expr,
        at: u32,
        depth: u32,
    ) -> Option<Value> {
        let (dfile, dscope, entries) = self.dict_literal(file, scope, dict, at, depth + 1)?;
        let resolve = |e: &Expr| self.resolve_at(dfile, dscope, e, e.span.start, depth + 1);
        if let Some(k) = key.as_str() {
            let (_, v) = entries
                .iter()
                .find(|(ek, _)| ek.as_ref().and_then(Expr::as_str) == Some(k))?;
            return Some(resolve(v));
        }
        if entries.is_empty() || entries.len() > 32 || entries.iter().any(|(k, _)| k.is_none()) {
            return None;
        }
        let values: Vec<Value> = entries.iter().map(|(_, v)| resolve(v)).collect();
        let first = values.first()?;
        if first.is_unknown() {
            return None;
        }
        if values.iter().all(|v| v == first) {
            return Some(first.clone());
        }
        // A dispatch table of project classes or functions (`{"smtp": SmtpProvider,
        // "mailgun": MailgunProvider}`): the key picks one of them.
        if values
            .iter()
            .all(|v| matches!(v, Value::Class(_) | Value::Function(_)))
        {
            return one_of(values.clone()).or_else(|| self.common_base(&values));
        }
        None
    }

    /// A table of more project classes than alternatives are followed for: the nearest
    /// project class they all derive from, whose methods (and the hooks its subclasses
    /// override) the picked entry runs.
    fn common_base(&self, values: &[Value]) -> Option<Value> {
        let classes: Vec<ClassRef> = values
            .iter()
            .map(|v| match v {
                Value::Class(c) => Some(*c),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let (first, rest) = classes.split_first()?;
        let others: Vec<_> = rest.iter().map(|c| self.class_ancestry(*c).0).collect();
        let (ancestry, _) = self.class_ancestry(*first);
        ancestry
            .iter()
            .find(|c| others.iter().all(|o| o.contains(c)))
            .map(|c| Value::Class(*c))
    }

    /// The dict literal a name (or a module's attribute) is bound to, with where it is
    /// written.
    fn dict_literal(
        &self,
        file: FileId,
        scope: ScopeId,
        e: &Expr,
        at: u32,
        depth: u32,
    ) -> Option<(FileId, ScopeId, &[DictEntry])> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (bfile, b) = match &e.kind {
            ExprKind::Name(n) => {
                let b = self.binding_at(file, scope, n, at)?;
                (file, (b.scope, b.binding))
            }
            ExprKind::Attr(base, n) => match self.resolve_at(file, scope, base, at, depth + 1) {
                Value::Module(m) => {
                    let b = self.binding_at(m, 0, n, u32::MAX)?;
                    (m, (b.scope, b.binding))
                }
                // `self.handlers = {"ended": self.on_ended, ...}` once, in a method.
                Value::Instance(class) => return self.attribute_dict(class, n),
                _ => return None,
            },
            _ => return None,
        };
        let (bscope, binding) = b;
        match &binding.value {
            BoundValue::Expr(v) => match &v.kind {
                ExprKind::Dict(entries) => Some((bfile, bscope, entries.as_slice())),
                ExprKind::Name(_) | ExprKind::Attr(..) => {
                    self.dict_literal(bfile, bscope, v, binding.span.start, depth + 1)
                }
                _ => None,
            },
            BoundValue::Import(t) => {
                let path = self.import_path(bfile, t)?;
                let (name, module) = path.split_last()?;
                let m = self.modules.file(&module.join("."))?;
                let name_expr = Expr::new(ExprKind::Name(name.as_str().into()), binding.span);
                self.dict_literal(m, 0, &name_expr, u32::MAX, depth + 1)
            }
            _ => None,
        }
    }

    /// The assignments to `self.<name>` (and `cls.<name>`) in the methods of a class, as
    /// indices into its file's `attr_assignments`.
    pub(crate) fn attribute_assignments(&self, class: ClassRef, name: &str) -> &[usize] {
        let model = &self.models[class.file];
        self.self_attributes[class.file]
            .get_or_init(|| self_attribute_index(model))
            .get(&(class.class, name.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// The dict literal a class's methods assign to `self.<name>`, when that is its one
    /// assignment, with where it is written (its values read `self` as the methods do).
    fn attribute_dict(
        &self,
        class: ClassRef,
        name: &str,
    ) -> Option<(FileId, ScopeId, &[DictEntry])> {
        let [i] = self.attribute_assignments(class, name) else {
            return None;
        };
        let a = &self.models[class.file].attr_assignments[*i];
        match &a.value.kind {
            ExprKind::Dict(entries) => Some((class.file, a.scope, entries.as_slice())),
            _ => None,
        }
    }

    /// `self.<name> = value` in the methods of a class (`__init__` or any other), and
    /// `cls.<name> = value` in its class methods: what the attribute holds, when every
    /// assignment that sets it to something (not `None`) agrees. A declared type
    /// (`self.client: Client = ...`) wins over the value.
    fn assigned_attribute(&self, class: ClassRef, name: &str, depth: u32) -> Value {
        let model = &self.models[class.file];
        let assignments = self.attribute_assignments(class, name);
        if assignments.is_empty() {
            return Value::Unknown;
        }
        let mut found: Option<Value> = None;
        for &i in assignments.iter().take(16) {
            let a = &model.attr_assignments[i];
            if matches!(a.value.kind, ExprKind::None) {
                continue;
            }
            let mut v = Value::Unknown;
            if let Some(t) = &a.annotation {
                let outer = model.enclosing_function(a.scope);
                v = self.annotation_value(class.file, outer, t, depth + 1);
            }
            let annotated_class = matches!(v, Value::Instance(_));
            if v.is_unknown() || annotated_class {
                let value =
                    self.resolve_at(class.file, a.scope, &a.value, a.value.span.start, depth + 1);
                // `self.sender: EmailSender = sender or SmtpSender()`: the value's class is
                // the more precise one.
                if !annotated_class || self.more_specific(&value, &v) {
                    v = value;
                }
            }
            match &found {
                None => found = Some(v),
                Some(f) if *f == v => {}
                Some(_) => return Value::Unknown,
            }
        }
        found.unwrap_or(Value::Unknown)
    }

    /// `with session_scope() as s`: what a project generator function decorated as a
    /// context manager yields, as its return annotation declares it
    /// (`-> Iterator[Session]`, `-> Generator[Session, None, None]`).
    fn context_manager_yield(&self, file: FileId, e: &Expr, depth: u32) -> Option<Value> {
        let ExprKind::Call(id) = e.kind else {
            return None;
        };
        let Value::Function(f) = self.resolve_callee(file, id) else {
            return None;
        };
        let scope = &self.models[f.file].scopes[f.scope];
        let ExprKind::Subscript(_, args) = &scope.return_annotation.as_ref()?.kind else {
            return None;
        };
        if !self.decorated_with(f, &self.knowledge.values.context_managers.decorators) {
            return None;
        }
        let yielded = match &args.kind {
            ExprKind::Tuple(items) => items.first()?,
            _ => args.as_ref(),
        };
        let outer = scope.parent.unwrap_or(0);
        Some(self.annotation_value(f.file, outer, yielded, depth + 1)).filter(|v| !v.is_unknown())
    }

    /// Does one of the function's decorators resolve to one of `patterns`?
    pub(crate) fn decorated_with(&self, f: FuncRef, patterns: &[PathPattern]) -> bool {
        self.decorator_values(f)
            .iter()
            .any(|v| patterns.iter().any(|p| self.matches(v, p)))
    }

    /// What each decorator of a function resolves to (`@d(...)`: what `d` is).
    fn decorator_values(&self, f: FuncRef) -> Vec<Value> {
        let scope = &self.models[f.file].scopes[f.scope];
        let parent = scope.parent.unwrap_or(0);
        scope
            .decorators
            .iter()
            .map(|d| match &d.expr.kind {
                ExprKind::Call(c) => self.resolve_callee(f.file, *c),
                _ => self.resolve_at(f.file, parent, &d.expr, d.expr.span.start, 0),
            })
            .collect()
    }

    /// Is the method read as an attribute (`@property`, `@cached_property`), reading it
    /// giving what it returns? On an instance, when a property decorator says so; on the
    /// class itself, only when a class-level one is stacked with it (`@classmethod
    /// @property`).
    fn is_property(&self, f: FuncRef, instance: bool) -> bool {
        let scope = &self.models[f.file].scopes[f.scope];
        if scope.decorators.is_empty() {
            return false;
        }
        let properties = &self.knowledge.values.properties;
        let decorators = self.decorator_values(f);
        let any_of = |patterns: &[PathPattern]| {
            decorators
                .iter()
                .any(|v| patterns.iter().any(|p| self.matches(v, p)))
        };
        any_of(&properties.decorators) && (instance || any_of(&properties.class_level))
    }

    /// The absolute dotted path of an import, relative imports resolved against the
    /// importing file's package.
    pub fn import_path(&self, file: FileId, target: &ImportTarget) -> Option<Vec<String>> {
        if target.level == 0 {
            let path: Vec<String> = target.path.iter().map(|p| p.to_string()).collect();
            if !path
                .first()
                .is_some_and(|first| self.modules.is_project_root_name(first))
                && let Some(beside) = self.modules.beside_script(file, &path)
            {
                return Some(beside);
            }
            return Some(path);
        }
        if let Some(path) = self.modules.relative_to_folder(
            file,
            target.level,
            &target
                .path
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
        ) {
            return Some(path);
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
        path.extend(target.path.iter().map(|p| p.to_string()));
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
            // What each alternative holds under that name; the alternatives that do not
            // hold a project value there say nothing about what runs.
            // When none does, but each is an instance whose class inherits the name
            // (`serializer.save` on one of two model serializers), the name on the
            // alternatives is kept for the data flow.
            Value::OneOf(values) => {
                let held: Vec<Value> = values
                    .iter()
                    .map(|v| self.attr(v.clone(), name, depth + 1))
                    .collect();
                let inherited = held.iter().all(
                    |h| matches!(h, Value::Attr(b, n) if n == name && matches!(**b, Value::Instance(_))),
                );
                match one_of(held.into_iter().filter(is_project_value).collect()) {
                    Some(v) => v,
                    None if inherited => {
                        Value::Attr(Box::new(Value::OneOf(values)), name.to_string())
                    }
                    None => Value::Unknown,
                }
            }
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

    /// A method or class attribute, looked up through project base classes: a method, a
    /// name bound in the class body, or (read on an instance) an attribute the methods
    /// assign to `self`. A property read on an instance gives what it returns.
    fn class_member(&self, class: ClassRef, name: &str, instance: bool, depth: u32) -> Value {
        let mut stack = vec![class];
        let mut seen = Vec::new();
        let mut fallback: Option<Value> = None;
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
                let f = FuncRef {
                    file: c.file,
                    scope: *m,
                };
                if self.is_property(f, instance) {
                    // An attribute read, never a call of the method.
                    return match self.returned_by(Value::Function(f), depth + 1) {
                        Value::Returned(inner) if matches!(*inner, Value::Function(g) if g == f) => {
                            Value::Unknown
                        }
                        v => v,
                    };
                }
                return Value::Function(f);
            }
            if let Some(b) = model.scopes[cls.body]
                .bindings
                .iter()
                .rev()
                .find(|b| b.name == name && !b.augmented)
            {
                // A declared field (`client: Client`, a dataclass, pydantic or attrs
                // attribute) read on an instance holds an instance of its type.
                if instance && let Some(a) = &b.annotation {
                    let v = self.annotation_value(c.file, cls.body, a, depth + 1);
                    // Declared as an interface (`ydoc: ConverterProtocol`), assigned an
                    // implementation (`self.ydoc = YdocConverter()`): the implementation.
                    if let Value::Instance(declared) = v
                        && self.class_matches(declared, &self.knowledge.values.interfaces.bases)
                        && let assigned @ Value::Instance(_) =
                            self.assigned_attribute(c, name, depth + 1)
                    {
                        return assigned;
                    }
                    if !v.is_unknown() {
                        return v;
                    }
                }
                let v = self.binding_of(c.file, cls.body, b, depth + 1);
                if !v.is_unknown() || !instance {
                    return v;
                }
                // `client = None` in the body, set in `__init__`: look at the methods.
                fallback.get_or_insert(v);
            }
            if instance {
                let v = self.assigned_attribute(c, name, depth + 1);
                if !v.is_unknown() {
                    return v;
                }
            }
            // Bases in reverse so the first base is searched first (a simple MRO).
            for base in cls.bases.iter().rev() {
                if let Value::Class(b) = self.base_value(c.file, cls.parent, base, depth + 1) {
                    stack.push(b);
                }
            }
        }
        if let Some(v) = fallback {
            return v;
        }
        let owner = if instance {
            Value::Instance(class)
        } else {
            Value::Class(class)
        };
        Value::Attr(Box::new(owner), name.to_string())
    }

    /// `a or b`, as far as what the value is: the same value, or the default `b` where `a`
    /// is not known (an optional dependency: `client or requests.Session()`) or is of a
    /// class `b` derives from (`sender or SmtpSender()` with `sender: EmailSender`).
    /// Anything else is not known.
    fn either(&self, a: Value, b: Value) -> Value {
        if a == b || a.is_unknown() || self.more_specific(&b, &a) {
            b
        } else {
            Value::Unknown
        }
    }

    /// `narrow` is an instance of a project class that derives from `wide`'s (and is not
    /// the same class).
    fn more_specific(&self, narrow: &Value, wide: &Value) -> bool {
        match (narrow, wide) {
            (Value::Instance(n), Value::Instance(w)) if n != w => {
                self.class_ancestry(*n).0.contains(w)
            }
            _ => false,
        }
    }

    /// `super()` in a method: the instance seen as its class's first base (a project
    /// class's instance, or what calling an outside class gives), so that
    /// `super().send_mail(...)` is the base's `send_mail`. Later bases of the method
    /// resolution order are not looked at.
    fn super_value(
        &self,
        file: FileId,
        scope: ScopeId,
        args: &[crate::model::Arg],
        depth: u32,
    ) -> Option<Value> {
        let model = &self.models[file];
        let method = &model.scopes[model.enclosing_function(scope)];
        let class = &model.classes[method.class?];
        // `super(Cls, self)`, Python 2's spelling, inside `Cls` is `super()`.
        let names = |a: &crate::model::Arg, name: &str| {
            a.name.is_none() && matches!(&a.value.kind, ExprKind::Name(n) if n == name)
        };
        match args {
            [] => {}
            [cls, obj] if names(cls, &class.name) && (names(obj, "self") || names(obj, "cls")) => {}
            _ => return None,
        }
        let base = class.bases.first()?;
        match self.base_value(file, class.parent, base, depth + 1) {
            Value::Class(c) => Some(Value::Instance(c)),
            Value::External(path) => Some(Value::Returned(Box::new(Value::External(path)))),
            _ => None,
        }
    }

    /// What a class's base expression stands for. `Repository[User]` derives from
    /// `Repository`: a subscripted generic is replaced by its origin in the bases
    /// (`__mro_entries__`).
    pub(crate) fn base_value(
        &self,
        file: FileId,
        scope: ScopeId,
        base: &Expr,
        depth: u32,
    ) -> Value {
        match self.resolve_at(file, scope, base, base.span.start, depth) {
            Value::Subscripted(origin) => *origin,
            v => v,
        }
    }

    /// The external (non-project) classes a project class derives from, directly or
    /// through project classes, and the project classes on the way (itself included).
    pub fn class_ancestry(&self, class: ClassRef) -> (Arc<[ClassRef]>, Arc<[String]>) {
        // Rust classes are resolved through the Rust index, which is built later: not
        // kept.
        if self.models.language(class.file) != crate::model::Language::Python {
            let (project, external) = self.class_ancestry_now(class);
            return (project.into(), external.into());
        }
        let known = self
            .ancestries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&class)
            .cloned();
        if let Some(a) = known {
            super::reuse::note_all(&a.deps);
            return (a.project, a.external);
        }
        let a = match self.previous_ancestry(class) {
            Some(a) => {
                super::reuse::note_all(&a.deps);
                a
            }
            None => {
                // Worked out outside the lock: resolving a base may ask for another
                // class's ancestry.
                let ((project, external), deps) = if self.carries() {
                    super::reuse::record(|| self.class_ancestry_now(class))
                } else {
                    (self.class_ancestry_now(class), Arc::from(Vec::new()))
                };
                super::reuse::Ancestry {
                    project: project.into(),
                    external: external.into(),
                    deps,
                }
            }
        };
        self.ancestries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(class)
            .or_insert_with(|| a.clone());
        (a.project, a.external)
    }

    fn class_ancestry_now(&self, class: ClassRef) -> (Vec<ClassRef>, Vec<String>) {
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
                match self.base_value(c.file, cls.parent, base, 0) {
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
            None => name.to_string(),
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
                Value::Returned(inner) => self.returned_matches(value, inner, pattern, rest),
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
        // "Any method of the client" means its API, not the object protocol: building
        // one (a subclass's `super().__init__(...)`) or entering it calls no service.
        if matches!(last, Step::Any | Step::AnyAttr)
            && name.starts_with("__")
            && name.ends_with("__")
        {
            return false;
        }
        if let Step::Attr(_) | Step::AnyAttr = last {
            return self.matches_steps(base, pattern, rest);
        }
        // A builder chain: this call ends it, or continues one that matches.
        if let Step::Chain = last
            && let Value::Returned(inner) = base.as_ref()
            && matches!(inner.as_ref(), Value::Attr(..))
            && self.matches_steps(inner, pattern, steps)
        {
            return true;
        }
        match base.as_ref() {
            Value::Returned(inner) => self.returned_matches(base, inner, pattern, rest),
            // An instance of a project subclass (`class App(Celery)`).
            Value::Instance(c) => rest.is_empty() && self.derives_from(*c, pattern),
            _ => false,
        }
    }

    /// Does what a call returns (`returned`, the call of `callee`) match the steps before
    /// its `()`: the callee does, or the call is a manager query of a model outside the
    /// project, whose row is an instance of the model.
    fn returned_matches(
        &self,
        returned: &Value,
        callee: &Value,
        pattern: &PathPattern,
        steps: &[Step],
    ) -> bool {
        self.matches_steps(callee, pattern, steps)
            || self
                .external_model_row(returned)
                .is_some_and(|model| self.matches_steps(&Value::External(model), pattern, steps))
    }

    /// The model class outside the project a manager call returns a row of
    /// (`EmailDevice.objects.get(...)`, `Device.objects.filter(...).first()`): the row is
    /// an instance of it, as `EmailDevice(...)` would be, for matching `EmailDevice().send`.
    fn external_model_row(&self, value: &Value) -> Option<String> {
        let Value::Returned(callee) = value else {
            return None;
        };
        let qs = &self.knowledge.django.querysets;
        let is = |list: &[String], n: &str| list.iter().any(|x| x == n);
        match callee.as_ref() {
            // `X.objects.get`
            Value::External(path) => {
                let (manager, method) = path.rsplit_once('.')?;
                if !is(&qs.instance_methods, method) {
                    return None;
                }
                self.external_model_of_rows(&Value::External(manager.to_string()))
            }
            // `X.objects.filter(...).first`
            Value::Attr(rows, method) if is(&qs.instance_methods, method) => {
                self.external_model_of_rows(rows)
            }
            _ => None,
        }
    }

    /// The model class outside the project whose rows a manager or queryset value holds
    /// (`X.objects`, `X.objects.filter(...)`, `X.objects.all().order_by(...)`).
    fn external_model_of_rows(&self, value: &Value) -> Option<String> {
        let qs = &self.knowledge.django.querysets;
        let managers = &self.knowledge.django.models.manager_attributes;
        match value {
            Value::External(path) => {
                let (model, manager) = path.rsplit_once('.')?;
                managers
                    .iter()
                    .any(|m| m == manager)
                    .then(|| model.to_string())
            }
            Value::Returned(callee) => match callee.as_ref() {
                Value::External(path) => {
                    let (rows, method) = path.rsplit_once('.')?;
                    if !qs.queryset_methods.iter().any(|m| m == method) {
                        return None;
                    }
                    self.external_model_of_rows(&Value::External(rows.to_string()))
                }
                Value::Attr(rows, method) if qs.queryset_methods.iter().any(|m| m == method) => {
                    self.external_model_of_rows(rows)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn is_named(&self, value: &Value, pattern: &PathPattern) -> bool {
        match value {
            Value::External(p) => self.external_matches(p, pattern),
            Value::Function(f) => {
                self.may_be_named(f.file, pattern) && pattern.root_matches(&self.qualname(*f))
            }
            Value::Class(c) => {
                (self.may_be_named(c.file, pattern)
                    && pattern.root_matches(&self.class_qualname(*c)))
                    || self.derives_from(*c, pattern)
            }
            _ => false,
        }
    }

    /// Does a library name match the pattern's root, as written or as its package
    /// exports it?
    fn external_matches(&self, path: &str, pattern: &PathPattern) -> bool {
        pattern.root_matches(path)
            || self
                .exported_name(path)
                .is_some_and(|e| pattern.root_matches(&e))
    }

    /// `flask.blueprints.Blueprint.route` as its package exports it,
    /// `flask.Blueprint.route` (the `[defined_in]` table of values.toml).
    fn exported_name(&self, path: &str) -> Option<String> {
        let table = &self.knowledge.values.defined_in;
        if table.is_empty() {
            return None;
        }
        // A defined name the path is, or starts with on a dot boundary.
        table.iter().find_map(|(long, short)| {
            let rest = path.strip_prefix(long.as_str())?;
            (rest.is_empty() || rest.starts_with('.')).then(|| format!("{short}{rest}"))
        })
    }

    /// Can a qualified name of something defined in `file` match the pattern's root? Its
    /// first segment is the module's: answered without building the name (a pattern
    /// such as `django.urls.path` is asked about every call of every project function).
    fn may_be_named(&self, file: FileId, pattern: &PathPattern) -> bool {
        if self.models.language(file) != crate::model::Language::Python {
            return true;
        }
        match self.modules.name_of(file) {
            Some(module) => module.split('.').next() == pattern.root.split('.').next(),
            None => true,
        }
    }

    /// A project class that is, or derives from, the pattern's class.
    pub fn derives_from(&self, class: ClassRef, pattern: &PathPattern) -> bool {
        let (project, external) = self.class_ancestry(class);
        external.iter().any(|p| self.external_matches(p, pattern))
            || project.iter().any(|c| {
                self.may_be_named(c.file, pattern) && pattern.root_matches(&self.class_qualname(*c))
            })
    }
}

/// A dict literal's entry (`None` key: `**splat`).
type DictEntry = (Option<Expr>, Expr);

/// What calling a value gives.
pub fn call_result(callee: Value) -> Value {
    match callee {
        Value::Unknown => Value::Unknown,
        Value::Class(c) => Value::Instance(c),
        other => Value::Returned(Box::new(other)),
    }
}

/// `self.<name> = ...` assignments of a file by (class, attribute name): indices into
/// `attr_assignments`. `self` is the first parameter of a method (not a static method);
/// `cls.<name> = ...` in a class method counts too.
pub(super) fn self_attribute_index(
    model: &FileModel,
) -> std::collections::HashMap<(crate::model::ClassId, String), Vec<usize>> {
    let mut out: std::collections::HashMap<_, Vec<usize>> = Default::default();
    for (i, a) in model.attr_assignments.iter().enumerate() {
        let ExprKind::Attr(base, attr) = &a.target.kind else {
            continue;
        };
        let ExprKind::Name(owner) = &base.kind else {
            continue;
        };
        let f = model.enclosing_function(a.scope);
        let s = &model.scopes[f];
        let Some(class) = s.class else {
            continue;
        };
        if s.decorated_by_name("staticmethod") || s.params.first().is_none_or(|p| p.name != owner) {
            continue;
        }
        out.entry((class, attr.to_string())).or_default().push(i);
    }
    out
}

/// A project class, function or instance: what a [`Value::OneOf`] is made of.
fn is_project_value(v: &Value) -> bool {
    matches!(v, Value::Class(_) | Value::Function(_) | Value::Instance(_))
}

/// The value that is one of `values`: the value itself when they all agree, `None` when
/// there are none or more than [`MAX_ALTERNATIVES`] distinct ones.
fn one_of(values: Vec<Value>) -> Option<Value> {
    let mut distinct: Vec<Value> = Vec::new();
    for v in values {
        if !distinct.contains(&v) {
            distinct.push(v);
        }
    }
    match distinct.len() {
        0 => None,
        1 => distinct.pop(),
        n if n <= MAX_ALTERNATIVES => Some(Value::OneOf(distinct)),
        _ => None,
    }
}
