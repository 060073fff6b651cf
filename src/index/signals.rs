//! Receivers that run inside the call that sends their signal. Django sends `post_save`
//! from `Model.save()` on the caller's thread, and a project's `Signal().send()` calls
//! each connected receiver before it returns: a request that saves a model (or sends the
//! signal) runs those receivers. The call graph gets an edge from such a call to each
//! receiver (`rules/python/django_models.toml`, `[signals]`).
//!
//! Only what resolution proves: a receiver connected without a `sender`, or with one that
//! is not a project model, is not followed; nor is a signal tasklint cannot trace to a
//! module-level `Signal()` of the project.

use std::collections::HashMap;

use crate::model::{BoundValue, Call, Expr, ExprKind, FileModel, ScopeId, ScopeKind};
use crate::source::FileId;

use super::dataflow::Origin;
use super::reuse::Pass;
use super::{CallRef, FuncRef, Project, Value};

/// How a call reaches a receiver, for the known parameters and the finding's note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalEdge {
    /// The signal, as written where the receiver is connected (`post_save`).
    pub signal: String,
    /// The model sending it, for a model signal.
    pub sender: Option<String>,
    /// The receiver's `created`: true for a manager call that creates the row, false
    /// for a save of a row that exists (`save(update_fields=...)`, an instance read from
    /// the database), unknown otherwise.
    pub created: Option<bool>,
    /// The receiver is a model method hooked to the save (`@hook(AFTER_CREATE)`), not a
    /// signal receiver.
    pub hook: bool,
}

#[derive(Debug, Default)]
pub struct SignalReceivers {
    /// (index of the `[[signals.model]]` group, model class name) → receivers.
    model: HashMap<(usize, String), Vec<(FuncRef, String)>>,
    /// A project signal, by the module and name of its `Signal()` → receivers.
    custom: HashMap<(FileId, String), Vec<(FuncRef, String)>>,
    /// Model methods hooked to their model's save or delete, with the value of
    /// `created` they run for when only one (`AFTER_CREATE`: true).
    hooks: HashMap<FuncRef, Option<bool>>,
}

impl SignalReceivers {
    pub fn is_empty(&self) -> bool {
        self.model.is_empty() && self.custom.is_empty()
    }

    /// Finds every receiver connected with `@receiver(signal, sender=M)` or
    /// `signal.connect(f, sender=M)`.
    pub fn build(project: &Project) -> SignalReceivers {
        let mut out = SignalReceivers::default();
        let sig = &project.knowledge.django.signals;
        if sig.model.is_empty() && sig.classes.is_empty() {
            return out;
        }
        // Where a receiver can be connected: the file names the signal (a model signal
        // by its name, a project signal by the name of its module-level binding).
        let mut words: Vec<String> = sig
            .model
            .iter()
            .flat_map(|m| crate::knowledge::last_names(&m.signals))
            .map(str::to_string)
            .collect();
        let class_words = crate::knowledge::last_names(&sig.classes);
        for (file, model) in project.python_models_mentioning(&class_words) {
            let Some(module) = model.scopes.first() else {
                continue;
            };
            for b in &module.bindings {
                if project
                    .signal_definition(file, 0, &name_expr(&b.name), 0)
                    .is_some()
                {
                    words.push(b.name.as_str().to_owned());
                }
            }
        }
        words.sort();
        words.dedup();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        for (file, model) in project.python_models_mentioning(&words) {
            for c in connections(project, file, model) {
                for signal in &c.signals {
                    for &f in &c.receivers {
                        out.add(project, file, c.call.scope, signal, c.sender, f);
                    }
                }
            }
        }
        out.add_hooks(project);
        for v in out.model.values_mut().chain(out.custom.values_mut()) {
            v.sort();
            v.dedup();
        }
        out
    }

    /// Model methods a decorator hooks to the model's own `save()` / `delete()`
    /// (`[[signals.hooks]]`), as receivers of that model's save or delete group, for the
    /// model and every project model deriving from it.
    fn add_hooks(&mut self, project: &Project) {
        let sig = &project.knowledge.django.signals;
        if sig.hooks.is_empty() {
            return;
        }
        let group_of = |method: &str| {
            sig.model
                .iter()
                .position(|g| g.instance_methods.iter().any(|m| m == method))
        };
        // A hook's decorator is imported where it is used: the files naming its package.
        let mut words: Vec<&str> = sig
            .hooks
            .iter()
            .flat_map(|h| h.decorators.iter())
            .filter_map(|p| p.root.split('.').next())
            .collect();
        words.sort_unstable();
        words.dedup();
        let mut hooked = Vec::new();
        for (file, model) in project.python_models_mentioning(&words) {
            for (scope, s) in model.functions() {
                let Some(class) = s.class else {
                    continue;
                };
                for d in &s.decorators {
                    let Some(id) = d.expr.as_call() else {
                        continue;
                    };
                    let callee = project.callee(CallRef { file, call: id });
                    let Some(h) = sig
                        .hooks
                        .iter()
                        .find(|h| h.decorators.iter().any(|p| project.matches(callee, p)))
                    else {
                        continue;
                    };
                    let Some(moment) = model.calls[id]
                        .positional()
                        .next()
                        .and_then(|a| moment_name(&a.value))
                    else {
                        continue;
                    };
                    let has = |list: &[String]| list.contains(&moment);
                    let method = if has(&h.save) {
                        "save"
                    } else if has(&h.delete) {
                        "delete"
                    } else {
                        continue;
                    };
                    let Some(group) = group_of(method) else {
                        continue;
                    };
                    let only = if has(&h.creating) {
                        Some(true)
                    } else if has(&h.updating) {
                        Some(false)
                    } else {
                        None
                    };
                    let c = super::ClassRef { file, class };
                    if project.is_model_class(c) {
                        let f = FuncRef { file, scope };
                        hooked.push((c, f, group, format!("@hook({moment})"), only));
                    }
                }
            }
        }
        for (c, f, group, written, only) in hooked {
            for model in project.model_and_subclasses(c) {
                self.model
                    .entry((group, model))
                    .or_default()
                    .push((f, written.clone()));
            }
            self.hooks.insert(f, only);
        }
    }

    fn add(
        &mut self,
        project: &Project,
        file: FileId,
        scope: ScopeId,
        signal: &Expr,
        sender: Option<&Expr>,
        f: FuncRef,
    ) {
        let written = project.files[file].slice(signal.span).to_string();
        if let Some(key) = project.signal_definition(file, scope, signal, 0) {
            self.custom.entry(key).or_default().push((f, written));
            return;
        }
        let v = project.resolve(file, scope, signal);
        let groups = &project.knowledge.django.signals.model;
        let Some(group) = groups
            .iter()
            .position(|g| g.signals.iter().any(|p| project.matches(&v, p)))
        else {
            return;
        };
        // Without a model as sender the receiver runs for every model: which saves reach
        // it is not known, so none does.
        let Some(model) = sender.and_then(|s| sender_model(project, file, scope, s)) else {
            return;
        };
        self.model
            .entry((group, model))
            .or_default()
            .push((f, written));
    }

    /// The receivers each call of `file` runs (`instance.save()`,
    /// `Model.objects.create(...)`, `done.send(...)`), by call number; calls that run
    /// none are left out.
    pub fn edges_in(
        &self,
        project: &Project,
        file: FileId,
    ) -> Vec<(usize, Vec<(FuncRef, SignalEdge)>)> {
        if self.is_empty() {
            return Vec::new();
        }
        // What each call sends depends on the file and what it resolves through, not on
        // which receivers exist: it is kept for the language server's next check.
        let (custom, model) = (!self.custom.is_empty(), !self.model.is_empty());
        let sends = project.per_file(Pass::SignalSends(custom, model), file, || {
            let calls = project.models[file].calls.len();
            let sends: Vec<(usize, Vec<Sent>)> = (0..calls)
                .map(|call| (call, sent(project, CallRef { file, call }, custom, model)))
                .filter(|(_, s)| !s.is_empty())
                .collect();
            std::sync::Arc::new(sends)
        });
        sends
            .iter()
            .map(|(call, sent)| (*call, self.receivers_of(sent)))
            .filter(|(_, r)| !r.is_empty())
            .collect()
    }

    /// The receivers of the signals `instance.<method>()` (`save`, `delete`) sends for the
    /// model named `model`, with their signal as written where they are connected.
    pub fn write_receivers(
        &self,
        project: &Project,
        model: &str,
        method: &str,
    ) -> Vec<(FuncRef, String)> {
        let mut out = Vec::new();
        for group in groups_of(project, method) {
            if let Some(rs) = self.model.get(&(group, model.to_string())) {
                out.extend(rs.iter().cloned());
            }
        }
        out
    }

    fn receivers_of(&self, sent: &[Sent]) -> Vec<(FuncRef, SignalEdge)> {
        let mut out = Vec::new();
        for s in sent {
            match s {
                Sent::Custom(key) => {
                    for (f, written) in self.custom.get(key).into_iter().flatten() {
                        out.push((
                            *f,
                            SignalEdge {
                                signal: written.clone(),
                                sender: None,
                                created: None,
                                hook: false,
                            },
                        ));
                    }
                }
                Sent::Model {
                    group,
                    model,
                    created,
                } => {
                    let key = (*group, model.clone());
                    for (f, written) in self.model.get(&key).into_iter().flatten() {
                        let hook = self.hooks.get(f);
                        // `AFTER_CREATE` does not run for a save of an existing row.
                        if let (Some(Some(only)), Some(created)) = (hook, created)
                            && only != created
                        {
                            continue;
                        }
                        out.push((
                            *f,
                            SignalEdge {
                                signal: written.clone(),
                                sender: Some(model.clone()),
                                created: *created,
                                hook: hook.is_some(),
                            },
                        ));
                    }
                }
            }
        }
        out
    }
}

/// A signal a call sends: a project signal (by the module and name of its `Signal()`), or
/// a model signal group's signals for a model class name.
#[derive(Clone, Debug)]
enum Sent {
    Custom((FileId, String)),
    Model {
        group: usize,
        model: String,
        created: Option<bool>,
    },
}

/// The signals `call` sends, asking about project signals when `custom` and about model
/// signals when `model` (when no receiver listens to either, nothing is worked out).
fn sent(project: &Project, call: CallRef, custom: bool, model: bool) -> Vec<Sent> {
    let c = project.call(call);
    let (Some(method), Some(recv)) = (c.method_name(), c.receiver()) else {
        return Vec::new();
    };
    let sig = &project.knowledge.django.signals;
    if custom && sig.send_methods.iter().any(|m| m == method) {
        return project
            .signal_definition(call.file, c.scope, recv, 0)
            .map(Sent::Custom)
            .into_iter()
            .collect();
    }
    if !model {
        return Vec::new();
    }
    // `super().save()` in a model form's own `save`, `super().create(...)` /
    // `super().update(...)` in a model serializer's: the framework's implementation
    // saves the class's `Meta.model`.
    if let Some((model, created)) = super_save(project, call, c, method, recv) {
        return groups_of(project, "save")
            .map(|group| Sent::Model {
                group,
                model: model.clone(),
                created: created.then_some(true),
            })
            .collect();
    }
    let mut out = Vec::new();
    for (group, g) in sig.model.iter().enumerate() {
        let on_instance = g.instance_methods.iter().any(|m| m == method);
        let when_missing = g.creating_when_missing_methods.iter().any(|m| m == method)
            && lookup_varies(project, call.file, c);
        let on_manager = g.manager_methods.iter().any(|m| m == method) || when_missing;
        if !on_instance && !on_manager {
            continue;
        }
        let model = match (on_instance, project.origin(call.file, c.scope, recv)) {
            (true, Origin::ModelInstance(Some(m))) => m,
            (false, Origin::QuerySet { model: Some(m), .. }) => m,
            // `form.save()` on a project model form saves its `Meta.model`.
            (true, _) if method == "save" => {
                match form_model(project, call, project.resolve(call.file, c.scope, recv)) {
                    Some(m) => m,
                    None => continue,
                }
            }
            _ => continue,
        };
        let created = if when_missing || g.creating_methods.iter().any(|m| m == method) {
            Some(true)
        } else if on_instance && saves_existing_row(project, call.file, c, recv) {
            Some(false)
        } else {
            None
        };
        out.push(Sent::Model {
            group,
            model,
            created,
        });
    }
    out
}

/// `get_or_create(...)`'s lookup names values that vary from call to call (a
/// parameter, a row read, a form's data), so a new row is made as often as not. A
/// lookup of literals only (`pk=1`, `name="default"`, a module constant) is a
/// singleton's: made once in a site's life, found every time after.
pub(crate) fn lookup_varies(project: &Project, file: FileId, c: &Call) -> bool {
    let literal = |e: &Expr| {
        matches!(
            e.kind,
            ExprKind::Str(_) | ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::None
        )
    };
    c.args.iter().any(|a| {
        if a.name
            .as_deref()
            .is_some_and(|n| n == "defaults" || n == "create_defaults")
        {
            return false;
        }
        if literal(&a.value) {
            return false;
        }
        let ExprKind::Name(name) = &a.value.kind else {
            return true;
        };
        !project
            .binding_at(file, c.scope, name, c.span.start)
            .is_some_and(|b| matches!(&b.binding.value, BoundValue::Expr(e) if literal(e)))
    })
}

/// `recv.save(...)` writes a row that already exists, so `created` is false for the
/// receivers: `update_fields=` or `force_update=True` (Django refuses either for a new
/// row), an instance read from the database (`Model.objects.get(...)`,
/// `get_object_or_404(...)`, an element of a queryset, `request.user`), or a model form
/// built around one (`Form(data, instance=obj)`). An instance built by its constructor
/// may be new; a parameter may be either.
fn saves_existing_row(project: &Project, file: FileId, c: &Call, recv: &Expr) -> bool {
    // (`update_fields=None` is a full save, which may insert.)
    if c.keyword("update_fields")
        .is_some_and(|a| !matches!(a.value.kind, ExprKind::None))
        || c.keyword("force_update")
            .is_some_and(|a| matches!(a.value.kind, ExprKind::Bool(true)))
    {
        return true;
    }
    let ExprKind::Name(name) = &recv.kind else {
        return read_from_database(project, file, c.scope, recv);
    };
    let Some(b) = project.binding_at(file, c.scope, name, c.span.start) else {
        return false;
    };
    match &b.binding.value {
        BoundValue::Expr(e) => {
            read_from_database(project, file, b.scope, e)
                || model_form_of_existing_row(project, file, b.scope, e)
        }
        BoundValue::IterOf(e) => matches!(
            project.origin(file, b.scope, e),
            Origin::QuerySet { rows: false, .. }
        ),
        _ => false,
    }
}

/// `e` is a model instance that came from the database, not from its constructor.
fn read_from_database(project: &Project, file: FileId, scope: ScopeId, e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(id) => {
            let call = &project.models[file].calls[*id];
            matches!(project.origin(file, scope, e), Origin::ModelInstance(_))
                && !matches!(
                    project.origin(file, scope, &call.callee),
                    Origin::ModelClass(_)
                )
        }
        // `request.user`
        ExprKind::Attr(base, attr) => {
            attr.as_str() == "user" && matches!(project.origin(file, scope, base), Origin::Request)
        }
        _ => false,
    }
}

/// `e` builds a project model form around an instance (`UserForm(data, instance=user)`):
/// its `save()` updates that row.
fn model_form_of_existing_row(project: &Project, file: FileId, scope: ScopeId, e: &Expr) -> bool {
    let ExprKind::Call(id) = &e.kind else {
        return false;
    };
    let call = &project.models[file].calls[*id];
    let Some(instance) = call.keyword("instance") else {
        return false;
    };
    let new_instance = match &instance.value.kind {
        ExprKind::None => true,
        ExprKind::Call(i) => matches!(
            project.origin(file, scope, &project.models[file].calls[*i].callee),
            Origin::ModelClass(_)
        ),
        _ => false,
    };
    !new_instance
        && matches!(
            project.resolve(file, scope, &call.callee),
            Value::Class(form) if project.is_model_form(form)
        )
}

/// The `[[signals.model]]` groups an instance method sends (`save`: pre_save /
/// post_save).
fn groups_of<'p>(project: &'p Project, method: &'p str) -> impl Iterator<Item = usize> + 'p {
    project
        .knowledge
        .django
        .signals
        .model
        .iter()
        .enumerate()
        .filter(move |(_, g)| g.instance_methods.iter().any(|m| m == method))
        .map(|(group, _)| group)
}

/// `super().save(...)` (or a serializer's `super().create(...)` / `super().update(...)`)
/// in a method of a project model form or model serializer, where the framework's own
/// method runs (no project ancestor overrides it): the model its `Meta` names, and
/// whether the save creates the row. Not with a literal `commit` other than `True`.
fn super_save(
    project: &Project,
    call: CallRef,
    c: &Call,
    method: &str,
    recv: &Expr,
) -> Option<(String, bool)> {
    if !matches!(method, "save" | "create" | "update") {
        return None;
    }
    let ExprKind::Call(id) = recv.kind else {
        return None;
    };
    let inner = &project.models[call.file].calls[id];
    if !matches!(&inner.callee.kind, ExprKind::Name(n) if n == "super") {
        return None;
    }
    if method == "save"
        && let Some(commit) = c.keyword("commit").or_else(|| c.positional().next())
        && matches!(commit.value.kind, ExprKind::Bool(false) | ExprKind::None)
    {
        return None;
    }
    // The framework's method, not a project ancestor's (that one is followed as a call).
    if project.call_target(call).is_some() {
        return None;
    }
    let model = &project.models[call.file];
    let class = model.scopes[model.enclosing_function(c.scope)].class?;
    let class = super::ClassRef {
        file: call.file,
        class,
    };
    if !project.is_model_form(class) {
        return None;
    }
    let saved = project.declared_model(class, 0)?;
    Some((saved, method == "create"))
}

/// The model `form.save()` saves: `form` an instance of a project `ModelForm` (or DRF
/// model serializer) whose `class Meta: model = M` names a project model, called without
/// `commit=False`, on a class (and project bases) that does not override `save`,
/// `create` or `update` (an override may save something else, or nothing).
fn form_model(project: &Project, call: CallRef, form: Value) -> Option<String> {
    let Value::Instance(class) = form else {
        return None;
    };
    if !project.is_model_form(class) {
        return None;
    }
    let c = project.call(call);
    let commit = c.keyword("commit").or_else(|| c.positional().next());
    if commit.is_some_and(|a| !matches!(a.value.kind, ExprKind::Bool(true))) {
        return None;
    }
    if project.overrides_save(class) {
        return None;
    }
    project.declared_model(class, 0)
}

/// Receivers attached to signals in one place of a file.
pub struct Connection<'m> {
    /// `signal.connect(...)`, or the decorator's call `receiver(...)`.
    pub call: &'m Call,
    /// The signals, as written (`@receiver([a, b])` names two).
    pub signals: Vec<&'m Expr>,
    /// The function connected, or every function the decorator call decorates.
    pub receivers: Vec<FuncRef>,
    /// `sender=` of the call.
    pub sender: Option<&'m Expr>,
    /// Connected by a `connect` call (where the receiver is registered), not decorated.
    pub by_call: bool,
}

/// Every `signal.connect(f)` and `@receiver(signal)` of a file (the methods and
/// decorators of `signal_receivers`), with what they connect.
pub fn connections<'m>(
    project: &Project,
    file: FileId,
    model: &'m FileModel,
) -> Vec<Connection<'m>> {
    let how = &project.knowledge.signal_receivers;
    let mut names: Vec<&str> = how.connect_methods.iter().map(String::as_str).collect();
    names.extend(crate::knowledge::last_names(&how.decorators));
    let mut out = Vec::new();
    for (id, call) in model.calls.iter().enumerate() {
        if !call.written_with(&names) {
            continue;
        }
        let sender = call.keyword("sender").map(|a| &a.value);
        // `signal.connect(receiver, sender=M)`
        if let (Some(m), Some(recv)) = (call.method_name(), call.receiver())
            && how.connect_methods.iter().any(|c| c == m)
        {
            let receiver = call
                .keyword("receiver")
                .or_else(|| call.positional().next());
            if let Some(a) = receiver
                && let Value::Function(f) = project.resolve(file, call.scope, &a.value)
                && project.scope(f).kind == ScopeKind::Function
            {
                out.push(Connection {
                    call,
                    signals: vec![recv],
                    receivers: vec![f],
                    sender,
                    by_call: true,
                });
            }
            continue;
        }
        // `@receiver(signal, sender=M)` or `@receiver([a, b], sender=M)`
        let callee = project.callee(CallRef { file, call: id });
        if !how.decorators.iter().any(|p| project.matches(callee, p)) {
            continue;
        }
        let Some(first) = call.positional().next() else {
            continue;
        };
        let signals: Vec<&Expr> = match &first.value.kind {
            ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().collect(),
            _ => vec![&first.value],
        };
        let receivers = model
            .functions()
            .filter(|(_, s)| s.decorators.iter().any(|d| d.expr.as_call() == Some(id)))
            .map(|(scope, _)| FuncRef { file, scope })
            .collect();
        out.push(Connection {
            call,
            signals,
            receivers,
            sender,
            by_call: false,
        });
    }
    out
}

/// The moment a hook decorator names: `AFTER_CREATE`, `lifecycle.AFTER_CREATE` or
/// `"after_create"`, upper case.
fn moment_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) | ExprKind::Attr(_, n) => Some(n.as_str().to_owned()),
        ExprKind::Str(s) => Some(s.as_str().to_uppercase()),
        _ => None,
    }
}

fn name_expr(name: &str) -> Expr {
    Expr::new(ExprKind::Name(name.into()), Default::default())
}

/// The model a `sender=` names: a project model class, or Django's lazy
/// `"app_label.ModelName"` string.
fn sender_model(project: &Project, file: FileId, scope: ScopeId, e: &Expr) -> Option<String> {
    if let ExprKind::Str(s) = &e.kind {
        let (_, name) = s.split_once('.')?;
        return (!name.is_empty() && !name.contains('.')).then(|| name.to_string());
    }
    // A project model, or one of Django's (`sender=User` of `django.contrib.auth`):
    // saves are keyed by the class name either way.
    match project.classify(&project.resolve(file, scope, e)) {
        Origin::ModelClass(name) => Some(name),
        _ => None,
    }
}

impl Project {
    /// The name of model class `c` and of every project model deriving from it (the
    /// files naming it hold them).
    fn model_and_subclasses(&self, c: super::ClassRef) -> Vec<String> {
        let name = self.models[c.file].classes[c.class]
            .name
            .as_str()
            .to_owned();
        let mut out = vec![name.clone()];
        for (file, model) in self.python_models_mentioning(&[name.as_str()]) {
            for (i, class) in model.classes.iter().enumerate() {
                let sub = super::ClassRef { file, class: i };
                if sub != c && !class.bases.is_empty() && self.class_ancestry(sub).0.contains(&c) {
                    out.push(class.name.as_str().to_owned());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The receivers of model and project signals (built once).
    pub fn signal_receivers(&self) -> &SignalReceivers {
        self.signal_receivers
            .get_or_init(|| SignalReceivers::build(self))
    }

    /// The module-level `Signal()` of the project an expression names, as (module, name),
    /// through imports and module attributes.
    fn signal_definition(
        &self,
        file: FileId,
        scope: ScopeId,
        e: &Expr,
        depth: u32,
    ) -> Option<(FileId, String)> {
        if depth > 8 {
            return None;
        }
        let (file, name) = match &e.kind {
            ExprKind::Name(n) => (file, n),
            ExprKind::Attr(base, n) => match self.resolve(file, scope, base) {
                Value::Module(m) => (m, n),
                _ => return None,
            },
            _ => return None,
        };
        let scope = if matches!(e.kind, ExprKind::Attr(..)) {
            0
        } else {
            scope
        };
        let b = self.binding_at(file, scope, name, u32::MAX)?;
        match &b.binding.value {
            BoundValue::Expr(v) if b.scope == 0 => {
                let ExprKind::Call(id) = v.kind else {
                    return None;
                };
                let callee = self.callee(CallRef { file, call: id });
                let classes = &self.knowledge.django.signals.classes;
                classes
                    .iter()
                    .any(|p| self.matches(callee, p))
                    .then(|| (file, name.to_string()))
            }
            BoundValue::Import(t) => {
                let path = self.import_path(file, t)?;
                let (last, module) = path.split_last()?;
                let m = self.modules.file(&module.join("."))?;
                self.signal_definition(m, 0, &name_expr(last), depth + 1)
            }
            _ => None,
        }
    }
}
