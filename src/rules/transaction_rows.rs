//! Which models a transaction writes and which a task reads, for TL401. The race TL401
//! reports is about rows: a worker that starts before the commit reads what the
//! transaction wrote as it was before. A task that reads none of the models written
//! cannot see anything stale; if it reads none of the models written after the enqueue
//! either, a rollback undoes nothing the task reads. Models are compared by name
//! (and by inheritance between project models); any write or read whose model is not
//! known makes the answer "may race".

use std::collections::BTreeSet;

use crate::index::ClassRef;
use crate::index::dataflow::Origin;
use crate::index::{CallRef, FuncRef, Project, Value};
use crate::model::{Call, Expr, ExprKind, ScopeId, Span};
use crate::source::FileId;

/// The models some code touches, and whether it touches some it is not known which.
/// `opaque`: a call that may write rows of its own, on something this cannot follow
/// (`role.add(user, project)` on a value read from a registry).
#[derive(Default)]
struct Seen {
    models: BTreeSet<String>,
    unknown: bool,
    opaque: bool,
}

impl Seen {
    fn note(&mut self, touch: Touch) {
        match touch {
            None => {}
            Some(Some(m)) => {
                self.models.insert(m);
            }
            Some(None) => self.unknown = true,
        }
    }

    /// What a call inside the transaction writes, and whether it may write unseen.
    fn note_write(&mut self, project: &Project, call: CallRef) {
        self.note(written_by(project, call));
        self.opaque |= opaque_write(project, call);
    }

    fn extend(&mut self, other: Seen) {
        self.models.extend(other.models);
        self.unknown |= other.unknown;
        self.opaque |= other.opaque;
    }
}

/// What an enqueue inside a transaction has to do with the rows the transaction
/// writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// The task reads a model written before the enqueue: a worker that starts before
    /// the commit reads it as it was.
    Shared,
    /// Nothing to race: the task reads none of the (known) models the transaction
    /// writes, before the enqueue or after it.
    Apart,
    /// Not known either way.
    Unknown,
}

/// The rows an enqueue inside a transaction races. `steps` leads from the transaction
/// to the enqueue: the call made inside the transaction (in the function that opens
/// it), then each project function's call on the way, the last one the enqueue of
/// `task`. `atomic` is where the transaction starts: a `with` item, or, `whole`, the
/// whole of the first step's function (a decorator, a view's request transaction).
pub fn rows(
    project: &Project,
    steps: &[(FuncRef, CallRef)],
    atomic: Span,
    whole: bool,
    task: FuncRef,
) -> Rows {
    if !project.graph.holds(task.file) || steps.iter().any(|(f, _)| !project.graph.holds(f.file)) {
        return Rows::Unknown;
    }
    let (mut written, mut later) = (Seen::default(), Seen::default());
    for (i, &(func, call)) in steps.iter().enumerate() {
        let whole = i > 0 || whole;
        let in_region = |c: &Call| whole || c.withs.iter().any(|w| w.span == atomic);
        let step = project.call(call);
        // Code of a loop around the call (inside the transaction) runs again after it.
        let the_loop = step
            .loops
            .iter()
            .find(|l| whole || l.start > atomic.start)
            .copied();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for &c in project.graph.calls_in(func) {
            let other = project.call(c);
            if c == call || c.file != call.file || !in_region(other) || step.excludes(other) {
                continue;
            }
            let later = other.span.start >= step.span.end
                || the_loop.is_some_and(|l| l.start <= other.span.start && other.span.end <= l.end);
            if later { after.push(c) } else { before.push(c) }
        }
        later.extend(writes(project, &after));
        written.extend(writes(project, &before));
    }
    let read = reads(project, task);
    let shared = read
        .models
        .iter()
        .any(|r| written.models.iter().any(|w| same_rows(project, r, w)));
    if shared {
        return Rows::Shared;
    }
    // A transaction that writes nothing has nothing a worker could read too early, and
    // nothing to roll back: a read-only `@atomic` (a consistent snapshot, a lock). Only
    // when every call in it that could write is seen: a write-named call on something
    // not followed may write anything.
    let nothing_written = written.models.is_empty() && later.models.is_empty();
    if nothing_written {
        return if written.unknown || later.unknown || written.opaque || later.opaque {
            Rows::Unknown
        } else {
            Rows::Apart
        };
    }
    // A write after the enqueue that fails rolls back what was written before it: the
    // task must read none of those rows either, nor be told of rows it cannot name.
    let later_shared = read
        .models
        .iter()
        .any(|r| later.models.iter().any(|w| same_rows(project, r, w)));
    if written.unknown || later.unknown || read.unknown || later_shared {
        return Rows::Unknown;
    }
    Rows::Apart
}

/// The models the calls of a transaction write, directly or through the project
/// functions they call.
fn writes(project: &Project, region: &[CallRef]) -> Seen {
    let mut seen = Seen::default();
    let depth = project.settings.max_call_depth;
    for &call in region {
        seen.note_write(project, call);
        let Some(target) = project.call_target(call) else {
            continue;
        };
        if project.runs_elsewhere_when_called(target) || project.tasks.get(target).is_some() {
            continue;
        }
        project.find_reachable(
            Some(call),
            target,
            depth.saturating_sub(1),
            |_| true,
            |c| {
                seen.note_write(project, c);
                None::<()>
            },
        );
    }
    seen
}

/// A call named like a write (`add`, `create`, `update`, ...) whose receiver this cannot
/// follow: neither a model, queryset or library object it knows, nor project code it
/// walks into. It may write rows.
fn opaque_write(project: &Project, call: CallRef) -> bool {
    let qs = &project.knowledge.django.querysets;
    let c = project.call(call);
    let (Some(m), Some(recv)) = (c.method_name(), c.receiver()) else {
        return false;
    };
    if !qs.write_methods.iter().any(|w| w == m) || project.call_target(call).is_some() {
        return false;
    }
    rows_origin(project, call.file, c.scope, recv, 0).is_unknown()
        && !library_object(&project.resolve(call.file, c.scope, recv))
}

/// A value a library made, or read from one (`defaultdict(set)[k]`, `set()`,
/// `redis.Redis()`): its `add` / `update` are not the project's rows. Django's own are
/// left out: `get_model(...).objects.create(...)` writes rows.
fn library_object(v: &Value) -> bool {
    match v {
        Value::External(path) => !path.starts_with("django."),
        Value::Returned(inner)
        | Value::Attr(inner, _)
        | Value::Iterated(inner)
        | Value::Subscripted(inner) => library_object(inner),
        _ => false,
    }
}

/// The models a task reads, in its body and the project functions it calls.
fn reads(project: &Project, task: FuncRef) -> Seen {
    let mut seen = Seen::default();
    project.find_reachable(
        None,
        task,
        project.settings.max_call_depth,
        |_| true,
        |c| {
            seen.note(read_by(project, c));
            None::<()>
        },
    );
    seen
}

/// What one call touches: nothing, a model, or a model not known (`Some(None)`).
type Touch = Option<Option<String>>;

/// `Order.objects.create(...)`, `order.save()`, `qs.update(...)`, `order.tags.add(t)`;
/// `x.save()` on something not known to be a model instance, and not a library's
/// object, is a write of an unknown model (a form's, a serializer's).
fn written_by(project: &Project, call: CallRef) -> Touch {
    let qs = &project.knowledge.django.querysets;
    let c = project.call(call);
    let (Some(m), Some(recv)) = (c.method_name(), c.receiver()) else {
        return None;
    };
    if let Some(class) = super_class(project, call.file, c.scope, recv) {
        return super_write(project, class, m);
    }
    if !qs.write_methods.iter().any(|w| w == m) {
        return None;
    }
    match rows_origin(project, call.file, c.scope, recv, 0) {
        Origin::QuerySet { model, .. } | Origin::ModelInstance(model) => Some(model),
        Origin::Unknown if qs.instance_write_methods.iter().any(|w| w == m) => {
            match project.resolve(call.file, c.scope, recv) {
                Value::External(_) => None,
                _ => Some(None),
            }
        }
        _ => None,
    }
}

/// The class whose method calls `super()`, for `super().save()` and the like.
fn super_class(project: &Project, file: FileId, scope: ScopeId, recv: &Expr) -> Option<ClassRef> {
    let ExprKind::Call(id) = recv.kind else {
        return None;
    };
    let model = &project.models[file];
    if !matches!(&model.calls[id].callee.kind, ExprKind::Name(n) if n == "super") {
        return None;
    }
    let class = model.scopes[model.enclosing_function(scope)].class?;
    Some(ClassRef { file, class })
}

/// `super().method(...)` in a method of `class`: a model's own `save()`, a model form's
/// or serializer's `save()` (its `Meta.model`), a generic view's `form_valid()` /
/// `perform_create()` and the other methods through which the framework saves.
fn super_write(project: &Project, class: ClassRef, m: &str) -> Touch {
    let qs = &project.knowledge.django.querysets;
    let name = |k: ClassRef| project.models[k.file].classes[k.class].name.to_string();
    if project.is_model_class(class) {
        return qs
            .write_methods
            .iter()
            .any(|w| w == m)
            .then(|| Some(name(class)));
    }
    if project.is_model_form(class) && qs.instance_write_methods.iter().any(|w| w == m) {
        return Some(project.declared_model(class, 0));
    }
    for shape in &project.knowledge.django.framework_saves {
        let through = |t: &[String]| t.iter().any(|x| x == m);
        let writes = (shape.saves && through(&shape.through))
            || shape.deletes.as_ref().is_some_and(|d| through(&d.through));
        if writes && project.class_matches(class, &shape.bases) {
            return match project.saved_models(class, shape).as_slice() {
                [one] => Some(Some(one.clone())),
                _ => Some(None),
            };
        }
    }
    qs.instance_write_methods
        .iter()
        .any(|w| w == m)
        .then_some(None)
}

/// Any query on a model's manager, queryset or instance, a method called on a model
/// class, `get_object_or_404(Order, ...)`.
fn read_by(project: &Project, call: CallRef) -> Touch {
    let c = project.call(call);
    let qs = &project.knowledge.django.querysets;
    // `apps.get_model(label, name)`: whatever model the task then reads is not known.
    // (The written name first: resolving every callee would parse modules on demand.)
    if c.written_with(&crate::knowledge::last_names(&qs.generic_read_calls))
        && project.matches_any(project.callee(call), &qs.generic_read_calls)
    {
        return Some(None);
    }
    if let Some(recv) = c.receiver() {
        return match rows_origin(project, call.file, c.scope, recv, 0) {
            // `content_type.get_object_for_this_type(pk=...)`: a row of its model.
            Origin::ModelInstance(_) | Origin::QuerySet { .. }
                if c.method_name()
                    .is_some_and(|m| qs.generic_read_methods.iter().any(|g| g == m)) =>
            {
                Some(None)
            }
            Origin::QuerySet { model, .. } | Origin::ModelInstance(model) => Some(model),
            Origin::ModelClass(name) => Some(Some(name)),
            _ => None,
        };
    }
    let models = &project.knowledge.django.models;
    if !project.matches_any(project.callee(call), &models.model_argument_calls) {
        return None;
    }
    let arg = c.positional().next()?;
    match project.origin(call.file, c.scope, &arg.value) {
        Origin::QuerySet { model, .. } | Origin::ModelInstance(model) => Some(model),
        Origin::ModelClass(name) => Some(Some(name)),
        _ => Some(None),
    }
}

/// What an expression is, as [`Project::origin`] says, and through the related name of
/// another model's relation field (`basket.items.all()`), which the general data flow
/// does not look for.
fn rows_origin(project: &Project, file: FileId, scope: ScopeId, e: &Expr, depth: u32) -> Origin {
    let o = project.origin(file, scope, e);
    if !o.is_unknown() || depth > 4 {
        return o;
    }
    let qs = &project.knowledge.django.querysets;
    match &e.kind {
        // `basket.items.all()`, `.filter(...)`: the same rows.
        ExprKind::Call(id) => {
            let c = &project.models[file].calls[*id];
            match (c.method_name(), c.receiver()) {
                (Some(m), Some(recv)) if qs.queryset_methods.iter().any(|x| x == m) => {
                    match rows_origin(project, file, c.scope, recv, depth + 1) {
                        q @ Origin::QuerySet { .. } => q,
                        _ => Origin::Unknown,
                    }
                }
                _ => Origin::Unknown,
            }
        }
        ExprKind::Attr(base, name) => match rows_origin(project, file, scope, base, depth + 1) {
            Origin::ModelInstance(Some(model)) => project
                .relation(&model, name, true)
                .unwrap_or(Origin::Unknown),
            _ => Origin::Unknown,
        },
        _ => Origin::Unknown,
    }
}

/// Do two models share rows: the same model, or one a project subclass of the other
/// (multi-table inheritance stores a child's row in its parent's table too).
fn same_rows(project: &Project, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let class = |n: &str| project.model_class_by_lower_name(&n.to_ascii_lowercase());
    let (Some(ca), Some(cb)) = (class(a), class(b)) else {
        return false;
    };
    project.class_ancestry(ca).0.contains(&cb) || project.class_ancestry(cb).0.contains(&ca)
}
