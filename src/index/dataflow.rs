//! Local data flow: what a name or an expression of a function *holds*, beyond what it
//! refers to (resolve.rs) — a handle on an enqueued task, a Django model instance, a
//! queryset, the request, an uploaded or open file, a function.
//!
//! A name holds what its binding gives: the last binding before the use in source order
//! (an assignment; a `for` target: an element of the iterable; a `with ... as` target;
//! a parameter: the request by its name or annotation, a model by its annotation),
//! looked up as `Project::lookup` does. Branches are not merged. Everything else is
//! [`Origin::Unknown`], and unknown never produces a finding. The shapes (which classes
//! are models, which manager methods return instances) are data in
//! `rules/python/django_models.toml` and `rules/python/task_calls.toml`.

use crate::knowledge::{PathPattern, Returns};
use crate::model::{Binding, BoundValue, Expr, ExprKind, ScopeId, ScopeKind};
use crate::source::FileId;

use super::{ClassRef, FuncRef, Project, Value};

const MAX_DEPTH: u32 = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Unknown,
    /// A handle on a task run: `fresh` when this code enqueued it (`.delay()`,
    /// `.apply_async()`, `group(...)()`, `.enqueue()`, `send_task(...)`), not when it was
    /// looked up by id (`AsyncResult(task_id)`).
    TaskResult {
        fresh: bool,
    },
    /// A Celery signature of a project task (`t.s(...)`): not enqueued yet.
    Signature(FuncRef),
    /// A model class (`Order`, `get_user_model()`), by name.
    ModelClass(String),
    /// A model instance, with its model's name when known.
    ModelInstance(Option<String>),
    /// A manager or queryset. `rows`: `values()`/`values_list()`, whose elements are
    /// plain data rather than model instances.
    QuerySet {
        model: Option<String>,
        rows: bool,
    },
    /// The request object of a view.
    Request,
    /// `request.FILES`
    UploadedFiles,
    /// An uploaded or stored file (`request.FILES["f"]`, `File(...)`).
    UploadedFile,
    /// What a model's file field holds, read on an instance (`doc.pdf`, a FieldFile):
    /// its content is in the field's storage.
    StoredFile,
    /// An open file object (`open(...)`, `with open(...) as f`).
    OpenFile,
    /// A lambda, or a function object.
    Callable,
}

impl Origin {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Origin::Unknown)
    }
}

/// A binding a name refers to: the scope it is in and the binding itself.
pub struct BindingAt<'p> {
    pub scope: ScopeId,
    pub binding: &'p Binding,
}

impl Project {
    /// The binding `name` refers to when used in `scope` at byte offset `at`: the last
    /// one before the use in the nearest scope that binds the name (class bodies are not
    /// seen from their methods), as `lookup` resolves it. `None` for names bound nowhere
    /// in the file (builtins, star imports).
    pub fn binding_at(
        &self,
        file: FileId,
        scope: ScopeId,
        name: &str,
        at: u32,
    ) -> Option<BindingAt<'_>> {
        let model = &self.models[file];
        let start = scope;
        let mut scope = scope;
        let mut at = at;
        loop {
            let s = model.scopes.get(scope)?;
            let all: Vec<&Binding> = s
                .bindings
                .iter()
                .filter(|b| b.name == name && !b.augmented)
                .collect();
            if let Some(b) = model.binding_seen_at(&all, at) {
                return Some(BindingAt { scope, binding: b });
            }
            if s.kind == ScopeKind::Module {
                return None;
            }
            let mut parent = s.parent?;
            while model.scopes[parent].kind == ScopeKind::Class && parent != start {
                parent = model.scopes[parent].parent?;
            }
            scope = parent;
            at = u32::MAX;
        }
    }

    /// What an expression written in `scope` holds.
    pub fn origin(&self, file: FileId, scope: ScopeId, expr: &Expr) -> Origin {
        self.origin_at(file, scope, expr, expr.span.start, 0)
    }

    fn origin_at(&self, file: FileId, scope: ScopeId, expr: &Expr, at: u32, depth: u32) -> Origin {
        if depth > MAX_DEPTH {
            return Origin::Unknown;
        }
        let django = &self.knowledge.django;
        match &expr.kind {
            ExprKind::Lambda(_) => Origin::Callable,
            ExprKind::Name(name) => {
                let Some(b) = self.binding_at(file, scope, name, at) else {
                    return self
                        .classify_depth(&self.resolve_before(file, scope, expr, at), depth + 1);
                };
                let (bscope, bat) = (b.scope, b.binding.span.start);
                match &b.binding.value {
                    BoundValue::Expr(e) => self.origin_at(file, bscope, e, bat, depth + 1),
                    BoundValue::IterOf(e) => {
                        element_of(self.origin_at(file, bscope, e, bat, depth + 1))
                    }
                    BoundValue::WithOf(e) => self.origin_at(file, bscope, e, bat, depth + 1),
                    BoundValue::Param(i) => {
                        let s = &self.models[file].scopes[bscope];
                        let named_request = s.params.get(*i).is_some_and(|p| {
                            p.annotation.is_none()
                                && django
                                    .request
                                    .parameter_names
                                    .iter()
                                    .any(|n| n == p.name.as_str())
                        });
                        if named_request {
                            Origin::Request
                        } else if let Some(model) = self.instance_parameter(file, bscope, *i, depth)
                        {
                            Origin::ModelInstance(Some(model))
                        } else {
                            self.classify_depth(
                                &self.resolve_before(file, scope, expr, at),
                                depth + 1,
                            )
                        }
                    }
                    _ => {
                        self.classify_depth(&self.resolve_before(file, scope, expr, at), depth + 1)
                    }
                }
            }
            ExprKind::Attr(base, name) => match self.origin_at(file, scope, base, at, depth + 1) {
                Origin::Request => {
                    if django.request.user_attributes.iter().any(|a| a == name) {
                        Origin::ModelInstance(Some("User".into()))
                    } else if django.request.files_attributes.iter().any(|a| a == name) {
                        Origin::UploadedFiles
                    } else {
                        Origin::Unknown
                    }
                }
                Origin::Unknown => {
                    self.classify_depth(&self.resolve_before(file, scope, expr, at), depth + 1)
                }
                base => match self.origin_attr(base, name) {
                    // `Order.active` where `active = ActiveManager()`: what it resolves to.
                    Origin::Unknown => {
                        self.classify_depth(&self.resolve_before(file, scope, expr, at), depth + 1)
                    }
                    o => o,
                },
            },
            ExprKind::Subscript(base, index) => {
                // `X.objects.get_or_create(...)[0]`
                if let ExprKind::Call(id) = base.kind
                    && matches!(index.kind, ExprKind::Int(0))
                {
                    let c = &self.models[file].calls[id];
                    if let ExprKind::Attr(recv, m) = &c.callee.kind
                        && django
                            .querysets
                            .instance_tuple_methods
                            .iter()
                            .any(|x| x == m)
                        && let Origin::QuerySet { model, rows: false } =
                            self.origin_at(file, c.scope, recv, at, depth + 1)
                    {
                        return Origin::ModelInstance(model);
                    }
                }
                match self.origin_at(file, scope, base, at, depth + 1) {
                    Origin::UploadedFiles => Origin::UploadedFile,
                    // `qs[0]` is an instance, `qs[:10]` a queryset.
                    Origin::QuerySet { model, rows: false } => match index.kind {
                        ExprKind::Int(_) => Origin::ModelInstance(model),
                        _ => Origin::Unknown,
                    },
                    _ => Origin::Unknown,
                }
            }
            ExprKind::Call(id) => {
                let c = &self.models[file].calls[*id];
                if let ExprKind::Attr(recv, m) = &c.callee.kind {
                    if let Some(o) = self.view_object_call(file, c.scope, recv, m, at, depth) {
                        return o;
                    }
                    match self.origin_at(file, c.scope, recv, at, depth + 1) {
                        Origin::UploadedFiles
                            if django.request.files_getters.iter().any(|g| g == m) =>
                        {
                            return Origin::UploadedFile;
                        }
                        Origin::Unknown => {}
                        recv => {
                            let o = self.origin_method(recv, m);
                            if !o.is_unknown() {
                                return o;
                            }
                        }
                    }
                }
                let o = self.classify_depth(&self.resolve_before(file, scope, expr, at), depth + 1);
                // `get_object_or_404(Photo, pk=pk)`: the model its first argument names.
                let unnamed = matches!(
                    o,
                    Origin::ModelInstance(None) | Origin::QuerySet { model: None, .. }
                );
                if !unnamed
                    || !self.matches_any(
                        self.callee(super::CallRef { file, call: *id }),
                        &django.models.model_argument_calls,
                    )
                {
                    return o;
                }
                let model = c.args.first().and_then(|a| {
                    match self.origin_at(file, c.scope, &a.value, at, depth + 1) {
                        Origin::ModelClass(m) => Some(m),
                        Origin::QuerySet { model, .. } => model,
                        _ => None,
                    }
                });
                match o {
                    Origin::QuerySet { rows, .. } => Origin::QuerySet { model, rows },
                    _ => Origin::ModelInstance(model),
                }
            }
            _ => Origin::Unknown,
        }
    }

    /// `<origin>.name`, read.
    fn origin_attr(&self, base: Origin, name: &str) -> Origin {
        let django = &self.knowledge.django;
        match base {
            Origin::ModelClass(model)
                if django.models.manager_attributes.iter().any(|a| a == name) =>
            {
                Origin::QuerySet {
                    model: Some(model),
                    rows: false,
                }
            }
            Origin::ModelInstance(model) => {
                if let Some(related) = model.and_then(|m| self.relation(&m, name, false)) {
                    return related;
                }
                // `project.task_set`: the `Task` rows that point at the project.
                let suffix = &django.models.reverse_manager_suffix;
                match name.strip_suffix(suffix.as_str()) {
                    Some(lower) if !suffix.is_empty() && !lower.is_empty() => {
                        match self.model_class_by_lower_name(lower) {
                            Some(c) => Origin::QuerySet {
                                model: Some(self.models[c.file].classes[c.class].name.to_string()),
                                rows: false,
                            },
                            None => Origin::Unknown,
                        }
                    }
                    _ => Origin::Unknown,
                }
            }
            _ => Origin::Unknown,
        }
    }

    /// `order.customer` for `customer = models.ForeignKey(Customer, ...)` in `Order` or
    /// a project base of it: the row it points at; `order.tags` for a many-to-many
    /// field, a manager of its rows; `doc.pdf` for a file field, the stored file; with `reverse`, `basket.items` where one other
    /// model's relation field points at `Basket` with `related_name="items"`, a manager
    /// of that model's rows. The reverse search reads other models' files: the general
    /// data flow does without it (it would parse files no rule needs), TL401's rows
    /// analysis asks for it.
    pub(crate) fn relation(&self, model: &str, name: &str, reverse: bool) -> Option<Origin> {
        let models = &self.knowledge.django.models;
        let class = self.model_class_by_lower_name(&model.to_ascii_lowercase())?;
        let ancestry = self.class_ancestry(class).0;
        // A name the model or a base declares (a field, a method) is not a reverse
        // relation: only the others are looked for in other models' fields.
        let mut declared = false;
        for k in std::iter::once(class).chain(ancestry.iter().copied()) {
            if self.models.language(k.file) != crate::model::Language::Python {
                continue;
            }
            let m = &self.models[k.file];
            let body = m.classes[k.class].body;
            declared |= m.classes[k.class]
                .methods
                .iter()
                .any(|s| m.scopes[*s].name == name);
            for b in m.scopes[body].bindings.iter().filter(|b| b.name == name) {
                declared = true;
                let BoundValue::Expr(e) = &b.value else {
                    continue;
                };
                let ExprKind::Call(id) = e.kind else {
                    continue;
                };
                let field = self.resolve(k.file, body, &m.calls[id].callee);
                let target = || self.related_model(k, id);
                if self.matches_any(&field, &models.to_one_fields) {
                    return Some(Origin::ModelInstance(target()));
                }
                if self.matches_any(&field, &models.to_many_fields) {
                    return Some(Origin::QuerySet {
                        model: target(),
                        rows: false,
                    });
                }
                if self.matches_any(&field, &self.knowledge.django.files.model_fields) {
                    return Some(Origin::StoredFile);
                }
            }
        }
        if declared || !reverse {
            return None;
        }
        let named = super::memoized(&self.related_names, name, || self.related_named(name));
        let mut declaring = named
            .iter()
            .filter(|(target, _)| target == model)
            .map(|(_, d)| d);
        match (declaring.next(), declaring.next()) {
            (Some(d), None) => Some(Origin::QuerySet {
                model: Some(d.clone()),
                rows: false,
            }),
            _ => None,
        }
    }

    /// The model a relation field (call `call` in class `owner`'s body) points at.
    fn related_model(&self, owner: ClassRef, call: usize) -> Option<String> {
        let m = &self.models[owner.file];
        let c = &m.calls[call];
        let arg = c.keyword("to").or_else(|| c.positional().next())?;
        if let Some(s) = arg.value.as_str() {
            let name = s.rsplit('.').next().unwrap_or(s);
            return Some(match name {
                "self" => m.classes[owner.class].name.to_string(),
                _ => name.to_string(),
            });
        }
        match self.resolve(owner.file, m.classes[owner.class].body, &arg.value) {
            Value::Class(k) if self.is_model_class(k) => {
                Some(self.models[k.file].classes[k.class].name.to_string())
            }
            Value::External(p) if p == self.knowledge.django.models.user_model_setting => {
                Some("User".into())
            }
            _ => None,
        }
    }

    /// The relation fields that say `related_name=<name>`, as (related model, declaring
    /// model): read from the files whose text holds both words only.
    fn related_named(&self, name: &str) -> RelatedNamed {
        let models = &self.knowledge.django.models;
        let finder = memchr::memmem::Finder::new(b"related_name");
        let mut out: Vec<(String, String)> = Vec::new();
        for &f in self.files_mentioning(name).iter() {
            if self.models.language(f) != crate::model::Language::Python
                || finder.find(self.files[f].text.as_bytes()).is_none()
            {
                continue;
            }
            let m = &self.models[f];
            for (i, class) in m.classes.iter().enumerate() {
                let k = ClassRef { file: f, class: i };
                for b in &m.scopes[class.body].bindings {
                    let BoundValue::Expr(e) = &b.value else {
                        continue;
                    };
                    let ExprKind::Call(id) = e.kind else {
                        continue;
                    };
                    let c = &m.calls[id];
                    if c.keyword("related_name").and_then(|a| a.value.as_str()) != Some(name) {
                        continue;
                    }
                    let field = self.resolve(f, class.body, &c.callee);
                    if !self.matches_any(&field, &models.to_one_fields)
                        && !self.matches_any(&field, &models.to_many_fields)
                    {
                        continue;
                    }
                    let Some(target) = self.related_model(k, id) else {
                        continue;
                    };
                    if !self.is_model_class(k) {
                        continue;
                    }
                    let pair = (target, class.name.to_string());
                    if !out.contains(&pair) {
                        out.push(pair);
                    }
                }
            }
        }
        out.into()
    }

    /// What `<origin>.method(...)` returns.
    fn origin_method(&self, recv: Origin, method: &str) -> Origin {
        let qs = &self.knowledge.django.querysets;
        let has = |list: &[String]| list.iter().any(|x| x == method);
        match recv {
            Origin::QuerySet { model, rows: false } => {
                // `await Order.objects.aget(...)`: the async versions return the same.
                let awaited_instance = method
                    .strip_prefix('a')
                    .is_some_and(|m| qs.instance_methods.iter().any(|x| x == m));
                if has(&qs.instance_methods) || awaited_instance {
                    Origin::ModelInstance(model)
                } else if has(&qs.queryset_methods) {
                    Origin::QuerySet { model, rows: false }
                } else if has(&qs.row_methods) {
                    Origin::QuerySet { model, rows: true }
                } else {
                    Origin::Unknown
                }
            }
            Origin::QuerySet { model, rows: true } if has(&qs.queryset_methods) => {
                Origin::QuerySet { model, rows: true }
            }
            Origin::Signature(f) => {
                let sig = &self.knowledge.task_calls.signature;
                if sig.methods.iter().any(|m| m == method) {
                    Origin::TaskResult { fresh: true }
                } else if sig.returns_signature.iter().any(|m| m == method) {
                    Origin::Signature(f)
                } else {
                    Origin::Unknown
                }
            }
            _ => Origin::Unknown,
        }
    }

    /// What a resolved value is.
    pub fn classify(&self, value: &Value) -> Origin {
        self.classify_depth(value, 0)
    }

    fn classify_depth(&self, value: &Value, depth: u32) -> Origin {
        if depth > MAX_DEPTH {
            return Origin::Unknown;
        }
        let django = &self.knowledge.django;
        match value {
            Value::Class(c) if self.is_model_class(*c) => Origin::ModelClass(
                self.models[c.file].classes[c.class]
                    .name
                    .as_str()
                    .to_owned(),
            ),
            Value::Instance(c) => self.instance_origin(*c),
            Value::Function(_) => Origin::Callable,
            Value::External(path) => {
                if django.models.bases.iter().any(|p| p.root_matches(path)) {
                    return Origin::ModelClass(last(path).to_string());
                }
                match path.rsplit_once('.') {
                    Some((prefix, name)) => {
                        let base = self.classify_depth(&Value::External(prefix.into()), depth + 1);
                        self.origin_attr(base, name)
                    }
                    None => Origin::Unknown,
                }
            }
            Value::Attr(base, name) => {
                if let Value::Instance(c) = base.as_ref() {
                    let views = &django.views;
                    if name == "request" && self.is_view_class(*c) {
                        return Origin::Request;
                    }
                    if views.instance_attributes.iter().any(|a| a == name)
                        && self.class_matches(*c, &views.bases)
                    {
                        return Origin::ModelInstance(self.declared_model(*c, depth + 1));
                    }
                    if name == "instance" && self.class_matches(*c, &django.forms.model_forms) {
                        return Origin::ModelInstance(self.declared_model(*c, depth + 1));
                    }
                }
                let b = self.classify_depth(base, depth + 1);
                self.origin_attr(b, name)
            }
            Value::Returned(callee) => self.call_origin(callee, depth + 1),
            Value::Iterated(inner) => element_of(self.classify_depth(inner, depth + 1)),
            _ => Origin::Unknown,
        }
    }

    /// What calling `callee` returns.
    fn call_origin(&self, callee: &Value, depth: u32) -> Origin {
        let django = &self.knowledge.django;
        let calls = &self.knowledge.task_calls;
        let matches_any = |list: &[PathPattern]| self.matches_any(callee, list);
        if matches_any(&django.models.instance_calls) {
            return Origin::ModelInstance(None);
        }
        if matches_any(&django.models.queryset_calls) {
            return Origin::QuerySet {
                model: None,
                rows: false,
            };
        }
        if matches_any(&django.models.class_factories) {
            return Origin::ModelClass("User".into());
        }
        if matches_any(&django.files.open_calls) {
            return Origin::OpenFile;
        }
        if matches_any(&django.files.file_classes) {
            return Origin::UploadedFile;
        }
        if matches_any(&django.request.classes) {
            return Origin::Request;
        }
        if matches_any(&calls.results.by_id) {
            return Origin::TaskResult { fresh: false };
        }
        if calls
            .enqueue_call
            .iter()
            .any(|e| e.returns == Returns::Result && self.matches_any(callee, &e.calls))
        {
            return Origin::TaskResult { fresh: true };
        }
        // Calling a canvas (`group(...)()`, `chord(header)(body)`) enqueues it.
        if let Value::Returned(inner) = callee
            && self.matches_any(inner, &calls.results.canvas)
        {
            return Origin::TaskResult { fresh: true };
        }
        match callee {
            // A model class called: a (new) instance.
            Value::External(path) if django.models.bases.iter().any(|p| p.root_matches(path)) => {
                Origin::ModelInstance(Some(last(path).to_string()))
            }
            Value::External(path) => match path.rsplit_once('.') {
                Some((prefix, method)) => {
                    let recv = self.classify_depth(&Value::External(prefix.into()), depth + 1);
                    self.origin_method(recv, method)
                }
                None => Origin::Unknown,
            },
            // An overridden `get_object()` of a detail view still returns the object.
            Value::Function(f) => self.view_method_origin(*f, depth + 1),
            Value::Attr(base, method) => self.method_origin(base, method, depth + 1),
            _ => Origin::Unknown,
        }
    }

    /// What `<base>.method(...)` returns, for a base that is a resolved value.
    fn method_origin(&self, base: &Value, method: &str, depth: u32) -> Origin {
        let django = &self.knowledge.django;
        let calls = &self.knowledge.task_calls;
        match base {
            Value::Function(f) => {
                if let Some(task) = self.tasks.get(*f)
                    && task.wrapped_by.is_none()
                {
                    let fw = &self.knowledge.frameworks[task.framework];
                    if calls.results.by_id_task_methods.iter().any(|m| m == method) {
                        return Origin::TaskResult { fresh: false };
                    }
                    return match calls.task_method(&fw.id, method).map(|m| m.returns) {
                        Some(Returns::Result) => Origin::TaskResult { fresh: true },
                        Some(Returns::Signature) => Origin::Signature(*f),
                        _ => Origin::Unknown,
                    };
                }
                Origin::Unknown
            }
            Value::Returned(inner)
                if self.matches_any(inner, &calls.results.canvas)
                    && calls.results.canvas_methods.iter().any(|m| m == method) =>
            {
                Origin::TaskResult { fresh: true }
            }
            Value::Class(c)
                if django
                    .models
                    .manager_factory_methods
                    .iter()
                    .any(|m| m == method)
                    && self.class_matches(*c, &django.models.manager_bases) =>
            {
                Origin::QuerySet {
                    model: None,
                    rows: false,
                }
            }
            // One of several model forms or serializers (a view's `get_serializer_class`
            // choosing per user) that all save the same model.
            Value::OneOf(values) if method == "save" => {
                let mut models = values.iter().map(|v| match v {
                    Value::Instance(c) if self.class_matches(*c, &django.forms.model_forms) => {
                        self.declared_model(*c, depth + 1)
                    }
                    _ => None,
                });
                match models.next().flatten() {
                    Some(m) if models.all(|x| x.as_ref() == Some(&m)) => {
                        Origin::ModelInstance(Some(m))
                    }
                    _ => Origin::Unknown,
                }
            }
            Value::Instance(c) => {
                if method == "save" && self.class_matches(*c, &django.forms.model_forms) {
                    return Origin::ModelInstance(self.declared_model(*c, depth + 1));
                }
                if self.class_matches(*c, &django.views.bases) {
                    if django.views.instance_methods.iter().any(|m| m == method) {
                        return Origin::ModelInstance(self.declared_model(*c, depth + 1));
                    }
                    if django.views.queryset_methods.iter().any(|m| m == method) {
                        return Origin::QuerySet {
                            model: self.declared_model(*c, depth + 1),
                            rows: false,
                        };
                    }
                }
                let recv = self.instance_origin(*c);
                self.origin_method(recv, method)
            }
            other => {
                let recv = self.classify_depth(other, depth + 1);
                self.origin_method(recv, method)
            }
        }
    }

    /// `self.get_object()` / `self.get_queryset()` of a detail view that declares its
    /// model: the object (or rows) of that model, even where the method is a project
    /// override in a mixin that is no view itself and cannot know the model
    /// (`class ItemView(LookupByCodeMixin, RetrieveAPIView)`).
    fn view_object_call(
        &self,
        file: FileId,
        scope: ScopeId,
        recv: &Expr,
        method: &str,
        at: u32,
        depth: u32,
    ) -> Option<Origin> {
        let views = &self.knowledge.django.views;
        let instance = views.instance_methods.iter().any(|n| n == method);
        if !instance && !views.queryset_methods.iter().any(|n| n == method) {
            return None;
        }
        let Value::Instance(c) = self.resolve_before(file, scope, recv, at) else {
            return None;
        };
        if !self.class_matches(c, &views.bases) {
            return None;
        }
        let model = self.declared_model(c, depth + 1)?;
        Some(if instance {
            Origin::ModelInstance(Some(model))
        } else {
            Origin::QuerySet {
                model: Some(model),
                rows: false,
            }
        })
    }

    /// A project method of a detail view that the framework defines to return the object
    /// (`get_object`) or the queryset (`get_queryset`), overridden by the project.
    fn view_method_origin(&self, f: FuncRef, depth: u32) -> Origin {
        let views = &self.knowledge.django.views;
        let s = self.scope(f);
        let Some(class) = s.class else {
            return Origin::Unknown;
        };
        let c = ClassRef {
            file: f.file,
            class,
        };
        if !self.class_matches(c, &views.bases) {
            return Origin::Unknown;
        }
        if views.instance_methods.iter().any(|n| n == s.name.as_str()) {
            Origin::ModelInstance(self.declared_model(c, depth))
        } else if views.queryset_methods.iter().any(|n| n == s.name.as_str()) {
            Origin::QuerySet {
                model: self.declared_model(c, depth),
                rows: false,
            }
        } else {
            Origin::Unknown
        }
    }

    /// The model a project class says it works on, its own or a project ancestor's: a
    /// view's `model = Photo` or `queryset = Photo.objects...`, a model form's or model
    /// serializer's `class Meta: model = Photo`.
    pub(crate) fn declared_model(&self, c: ClassRef, depth: u32) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (ancestry, _) = self.class_ancestry(c);
        ancestry.iter().find_map(|a| {
            let m = &self.models[a.file];
            let body = m.classes[a.class].body;
            let meta = m
                .classes
                .iter()
                .find(|k| k.parent == body && k.name == "Meta")
                .map(|k| (k.body, "model"));
            let declared = [(body, "model"), (body, "queryset")]
                .into_iter()
                .chain(meta)
                .find_map(|(scope, name)| {
                    let b = m.scopes[scope]
                        .bindings
                        .iter()
                        .rev()
                        .find(|b| b.name == name)?;
                    let BoundValue::Expr(e) = &b.value else {
                        return None;
                    };
                    match self.origin_at(a.file, scope, e, e.span.start, depth + 1) {
                        Origin::ModelClass(model) => Some(model),
                        Origin::QuerySet { model, .. } => model,
                        _ => None,
                    }
                });
            declared.or_else(|| self.queryset_method_model(*a, depth))
        })
    }

    /// The model of the queryset a view class's own `get_queryset` returns
    /// (`return Invite.objects.filter(org=...)`), when every return that says agrees:
    /// what `get_object()` picks from.
    fn queryset_method_model(&self, c: ClassRef, depth: u32) -> Option<String> {
        let m = &self.models[c.file];
        let method = m.classes[c.class]
            .methods
            .iter()
            .find(|s| m.scopes[**s].name == "get_queryset")?;
        let mut found: Option<String> = None;
        for e in &m.scopes[*method].returns {
            if let Origin::QuerySet {
                model: Some(model), ..
            } = self.origin_at(c.file, *method, e, e.span.start, depth + 1)
            {
                match &found {
                    Some(f) if *f != model => return None,
                    _ => found = Some(model),
                }
            }
        }
        found
    }

    /// The model of a parameter the framework fills with an instance: `instance` of a
    /// model serializer's `update(self, instance, validated_data)`.
    fn instance_parameter(
        &self,
        file: FileId,
        scope: ScopeId,
        param: usize,
        depth: u32,
    ) -> Option<String> {
        let s = &self.models[file].scopes[scope];
        let forms = &self.knowledge.django.forms;
        let class = s.class?;
        if !forms
            .instance_parameters
            .iter()
            .any(|p| p.method == s.name && p.index == param)
        {
            return None;
        }
        let c = ClassRef { file, class };
        if !self.class_matches(c, &forms.model_forms) {
            return None;
        }
        self.declared_model(c, depth + 1)
    }

    /// What an instance of a project class is.
    fn instance_origin(&self, c: ClassRef) -> Origin {
        let django = &self.knowledge.django;
        if self.is_model_class(c) {
            Origin::ModelInstance(Some(
                self.models[c.file].classes[c.class]
                    .name
                    .as_str()
                    .to_owned(),
            ))
        } else if self.class_matches(c, &django.models.manager_bases) {
            Origin::QuerySet {
                model: None,
                rows: false,
            }
        } else if self.class_matches(c, &django.request.classes) {
            Origin::Request
        } else if self.class_matches(c, &django.files.file_classes) {
            Origin::UploadedFile
        } else {
            Origin::Unknown
        }
    }

    /// Does a value name one of the patterns' functions or classes? Unlike `matches`, a
    /// project class does not match a pattern naming one of its bases (`except
    /// MyError:` does not catch what `except Exception:` does), and patterns whose last
    /// name differs from the value's own are skipped without resolving anything.
    pub fn matches_any(&self, value: &Value, patterns: &[PathPattern]) -> bool {
        let last = match value {
            Value::Function(f) => Some(self.scope(*f).name.as_str()),
            Value::Class(c) => Some(self.models[c.file].classes[c.class].name.as_str()),
            v => v.last_name(),
        };
        patterns.iter().any(|p| {
            let pl = p.last_name();
            (pl == "*" || last.is_none_or(|l| l == pl)) && self.matches(value, p)
        })
    }

    /// The project model class whose name, lowercased, is `lower` (`taskasset` for
    /// `TaskAsset`, the name Django builds a reverse manager's from), when exactly one
    /// is. Only files with such a class statement are parsed for it.
    pub(crate) fn model_class_by_lower_name(&self, lower: &str) -> Option<ClassRef> {
        super::memoized(&self.model_names, lower, || {
            let mut found = Vec::new();
            for &f in self
                .class_statements()
                .by_name
                .get(lower)
                .into_iter()
                .flatten()
            {
                for (i, c) in self.models[f].classes.iter().enumerate() {
                    let class = ClassRef { file: f, class: i };
                    if c.name.eq_ignore_ascii_case(lower) && self.is_model_class(class) {
                        found.push(class);
                    }
                }
            }
            match found.as_slice() {
                [c] => Some(*c),
                _ => None,
            }
        })
    }

    /// A project class deriving from `django.db.models.Model` (or another model base).
    pub fn is_model_class(&self, c: ClassRef) -> bool {
        self.class_matches(c, &self.knowledge.django.models.bases)
            || self
                .class_ancestry(c)
                .0
                .iter()
                .any(|k| self.declares_model_fields(*k))
    }

    /// Does the class's body assign a model field (`name = models.CharField(...)`)?
    fn declares_model_fields(&self, c: ClassRef) -> bool {
        if self.models.language(c.file) != crate::model::Language::Python {
            return false;
        }
        let patterns = &self.knowledge.django.models.field_calls;
        if patterns.is_empty() {
            return false;
        }
        super::memoized(&self.model_fields, &c, || {
            let model = &self.models[c.file];
            let body = model.classes[c.class].body;
            model.scopes[body].bindings.iter().any(|b| {
                let BoundValue::Expr(e) = &b.value else {
                    return false;
                };
                let ExprKind::Call(id) = e.kind else {
                    return false;
                };
                let callee = &model.calls[id].callee;
                // Cheap first: a field is written `models.X(...)` or `X(...)`.
                if !matches!(callee.kind, ExprKind::Name(_) | ExprKind::Attr(..)) {
                    return false;
                }
                let v = self.resolve(c.file, body, callee);
                patterns.iter().any(|p| self.matches(&v, p))
            })
        })
    }

    pub(crate) fn class_matches(&self, c: ClassRef, patterns: &[PathPattern]) -> bool {
        patterns.iter().any(|p| self.derives_from(c, p))
    }

    /// A class-based view (a class of `handlers.toml`'s `class_view` shapes).
    fn is_view_class(&self, c: ClassRef) -> bool {
        self.knowledge
            .class_views
            .iter()
            .any(|cv| self.class_matches(c, &cv.bases))
    }
}

/// Read from the Python files' bytes once: where classes of a name may be declared.
#[derive(Default)]
pub struct ClassStatements {
    /// Lowercased class name → the files with a `class Name` statement.
    by_name: std::collections::HashMap<String, Vec<FileId>>,
    /// A base's name, as written last in its dotted path (`views.Base` → `Base`) → the
    /// files with a `class X(..., Base, ...)` statement.
    by_base: std::collections::HashMap<String, Vec<FileId>>,
}

impl Project {
    fn class_statements(&self) -> &ClassStatements {
        self.class_statements.get_or_init(|| {
            let mut out = ClassStatements::default();
            for f in 0..self.files.len() {
                if self.models.language(f) != crate::model::Language::Python {
                    continue;
                }
                let (names, bases) = class_statement_names(self.files[f].text.as_bytes());
                for (map, words) in [(&mut out.by_name, names), (&mut out.by_base, bases)] {
                    for word in words {
                        let files = map.entry(word).or_default();
                        if files.last() != Some(&f) {
                            files.push(f);
                        }
                    }
                }
            }
            out
        })
    }

    /// The files with a class statement naming `base` (the last part of its dotted
    /// path) among its bases.
    pub(crate) fn files_with_base(&self, base: &str) -> &[FileId] {
        self.class_statements()
            .by_base
            .get(base)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The relation fields with one `related_name`: (related model, declaring model).
pub type RelatedNamed = std::sync::Arc<[(String, String)]>;

/// The names, lowercased, of the `class X` statements in the bytes, and the names of
/// their bases as written last (`class X(views.Base, Mixin, metaclass=M)` → `Base`,
/// `Mixin`); a string or comment that looks like one only adds names.
fn class_statement_names(text: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let mut bases = Vec::new();
    for at in memchr::memmem::find_iter(text, b"class") {
        let mut i = at + b"class".len();
        if (at > 0 && crate::prefilter::is_ident_byte(text[at - 1]))
            || !matches!(text.get(i), Some(b' ' | b'\t'))
        {
            continue;
        }
        while matches!(text.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let start = i;
        while text
            .get(i)
            .is_some_and(|b| crate::prefilter::is_ident_byte(*b))
        {
            i += 1;
        }
        if start < i
            && let Ok(name) = std::str::from_utf8(&text[start..i])
        {
            out.push(name.to_lowercase());
            base_names(text, i, &mut bases);
        }
    }
    (out, bases)
}

/// The bases of a class statement whose name ends at `i`: the last name of the leading
/// dotted path of each item at the top level of the parentheses that follow (keywords
/// left out).
fn base_names(text: &[u8], mut i: usize, out: &mut Vec<String>) {
    while matches!(text.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if text.get(i) != Some(&b'(') {
        return;
    }
    i += 1;
    let mut depth = 1usize;
    let mut item: Vec<u8> = Vec::new();
    // The item's leading name has ended (`Generic[T]`, `Base  # comment`).
    let mut closed = false;
    let mut keyword = false;
    let flush = |item: &mut Vec<u8>, keyword: bool, out: &mut Vec<String>| {
        if !keyword
            && let Some(last) = item.rsplit(|b| *b == b'.').next()
            && !last.is_empty()
            && let Ok(name) = std::str::from_utf8(last)
        {
            out.push(name.to_string());
        }
        item.clear();
    };
    // A class statement's bases fit in a few lines.
    let limit = text.len().min(i + 4096);
    while i < limit {
        let b = text[i];
        i += 1;
        match b {
            b'#' => {
                while i < limit && text[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                closed = true;
            }
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    flush(&mut item, keyword, out);
                    return;
                }
            }
            b',' if depth == 1 => {
                flush(&mut item, keyword, out);
                closed = false;
                keyword = false;
            }
            b'=' if depth == 1 => keyword = true,
            _ if depth == 1 && !closed && (crate::prefilter::is_ident_byte(b) || b == b'.') => {
                item.push(b)
            }
            b' ' | b'\t' | b'\n' | b'\r' | b'\\' => closed |= !item.is_empty(),
            _ => closed |= depth == 1,
        }
    }
}

/// What iterating a value gives.
fn element_of(o: Origin) -> Origin {
    match o {
        Origin::QuerySet { model, rows: false } => Origin::ModelInstance(model),
        _ => Origin::Unknown,
    }
}

fn last(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Options, check};
    use crate::settings::Settings;

    /// Checks a one-file project and gives, for each call whose callee text is `probe`,
    /// the origin of its first argument.
    fn origins(source: &str) -> Vec<Origin> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), source).unwrap();
        let out = check(Options {
            paths: vec![dir.path().to_path_buf()],
            settings: Settings::default(),
            knowledge: crate::knowledge::BUILTIN.clone(),
            threads: Some(1),
        })
        .unwrap();
        let p = &out.project;
        let model = &p.models[0];
        let mut found: Vec<(u32, Origin)> = model
            .calls
            .iter()
            .filter(|c| p.files[0].slice(c.callee.span) == "probe")
            .map(|c| (c.span.start, p.origin(0, c.scope, &c.args[0].value)))
            .collect();
        found.sort_by_key(|(at, _)| *at);
        found.into_iter().map(|(_, o)| o).collect()
    }

    #[test]
    fn names_hold_what_their_last_binding_gives() {
        let o = origins(
            r#"
from celery import shared_task
from django.db import models


class Order(models.Model):
    pass


@shared_task
def t(x):
    return x


def view(request, pk):
    order = Order.objects.get(pk=pk)
    probe(order)
    order = order.pk
    probe(order)
    probe(Order.objects.filter(pk=1))
    for o in Order.objects.filter(pk=1):
        probe(o)
    for row in Order.objects.values("pk"):
        probe(row)
    probe(request.user)
    with open("x") as fh:
        probe(fh)
    result = t.delay(1)
    probe(result)
    probe(t.s(1))
    probe(unknown_thing)
"#,
        );
        assert_eq!(
            o,
            vec![
                Origin::ModelInstance(Some("Order".into())),
                Origin::Unknown,
                Origin::QuerySet {
                    model: Some("Order".into()),
                    rows: false
                },
                Origin::ModelInstance(Some("Order".into())),
                Origin::Unknown,
                Origin::ModelInstance(Some("User".into())),
                Origin::OpenFile,
                Origin::TaskResult { fresh: true },
                Origin::Signature(FuncRef { file: 0, scope: 2 }),
                Origin::Unknown,
            ]
        );
    }
}
