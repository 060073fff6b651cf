//! TL402 unserializable-task-argument: a model instance, queryset, the request, an
//! uploaded or open file, or a function passed to an enqueue call. Known by the local
//! data flow (`index/dataflow.rs`); anything it cannot tell is left alone.

use super::context::{abbreviate, text};
use super::enqueue::{Enqueue, enqueue, function_argument, partial_enqueue, task_arguments};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::Severity;
use crate::index::{CallRef, FuncRef, Origin, Project, Value};
use crate::knowledge::SerializerKind;
use crate::model::{Expr, ExprKind, ScopeKind};

pub static RULE: Rule = Rule {
    info: &catalogue::TL402,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let (e, args) = match enqueue(project, call) {
        Some(e) => {
            let args = task_arguments(project, call, &e);
            (e, args)
        }
        None => match partial_enqueue(project, call) {
            Some(p) => p,
            None => return,
        },
    };
    if args.is_empty() {
        return;
    }
    let in_tests = match project.call_owner(call) {
        Some(f) => project.is_test_function(f),
        None => project.is_test[call.file],
    };
    // Tests hand tasks mocks and factories on purpose.
    if in_tests {
        return;
    }
    let c = project.call(call);
    // Reading the settings scans the project: only once a finding is certain.
    let mut serializer_kind = None;
    let task = e
        .task
        .map(|f| format!("task `{}`", project.display_name(f)))
        .unwrap_or_else(|| format!("`{}`", abbreviate(text(project, call, c.callee.span), 40)));
    for arg in args {
        let origin = project.origin(call.file, c.scope, arg);
        let Some(kind) = Kind::of(&origin, arg) else {
            continue;
        };
        let arg_text = abbreviate(text(project, call, arg.span), 30);
        let kind_of_serializer =
            *serializer_kind.get_or_insert_with(|| serializer(project, call, &e));
        // A pickled instance or queryset is a snapshot: it does harm when the task
        // writes the stale copy back; a task that only reads it (or one not known) is
        // left alone.
        if kind_of_serializer == SerializerKind::Pickle
            && kind.pickles
            && !task_function(project, call, &e)
                .is_some_and(|f| writes_back(project, f, parameter_of(project, call, arg)))
        {
            continue;
        }
        let (severity, consequence) = match kind_of_serializer {
            SerializerKind::Json => (
                Severity::Error,
                "JSON cannot encode it, so the enqueue call raises (kombu EncodeError / TypeError)",
            ),
            SerializerKind::Pickle if kind.pickles => (
                Severity::Warning,
                "it is pickled as it is now, and the worker acts on that stale copy",
            ),
            SerializerKind::Pickle => (
                Severity::Error,
                "it cannot be pickled, so the enqueue fails",
            ),
        };
        let d = cx.report(
            call.file,
            c.span,
            format!(
                "`{arg_text}` is {} passed to {task}: {consequence}",
                kind.what
            ),
        );
        d.severity(severity)
            .label(format!("{} passed here", kind.short))
            .help(kind.help.replace("{arg}", &arg_text));
        if let ExprKind::Name(n) = &arg.kind
            && let Some(b) = project.binding_at(call.file, c.scope, n, arg.span.start)
        {
            d.related(call.file, b.binding.span, format!("`{n}` is bound here"));
        }
        if let Some(f) = e.task {
            d.related(f.file, project.scope(f).name_span, "task defined here");
        }
    }
}

/// The project function an enqueue runs: the task it names, or the function handed to a
/// queue that enqueues plain functions (`django_rq.enqueue(f, ...)`, `async_task(f, ...)`).
fn task_function(project: &Project, call: CallRef, e: &Enqueue) -> Option<FuncRef> {
    if e.task.is_some() {
        return e.task;
    }
    let f = function_argument(project, call, e)?;
    let c = project.call(call);
    match project.resolve(call.file, c.scope, f) {
        Value::Function(f) if project.scope(f).kind == ScopeKind::Function => Some(f),
        _ => None,
    }
}

/// Where an argument goes: a keyword's name, or its place among the positional ones.
enum Parameter<'a> {
    Named(&'a str),
    At(usize),
    Unknown,
}

fn parameter_of<'a>(project: &'a Project, call: CallRef, arg: &Expr) -> Parameter<'a> {
    let c = project.call(call);
    if let Some(a) = c.args.iter().find(|a| a.value.span == arg.span)
        && let Some(n) = a.name.as_deref()
    {
        return Parameter::Named(n);
    }
    // Positional: counted among the task's own arguments, which end the call's positional
    // ones (a queue's leading function or time comes first).
    let positional: Vec<&Expr> = c.positional().map(|a| &a.value).collect();
    match positional.iter().position(|p| p.span == arg.span) {
        Some(i) => Parameter::At(i),
        None => Parameter::Unknown,
    }
}

/// Does the function write the parameter an argument goes to back to the database:
/// `order.save()`, or a method of the instance that saves it (`order.mark_paid()` with
/// `self.save()` inside)? A positional argument's place is uncertain (a queue's leading
/// function, a bound task's `self`): any parameter at or before it counts.
fn writes_back(project: &Project, f: FuncRef, to: Parameter) -> bool {
    let params: Vec<&str> = project
        .scope(f)
        .params
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let names: Vec<&str> = match to {
        Parameter::Named(n) => vec![n],
        Parameter::At(i) => params.iter().take(i + 2).copied().collect(),
        Parameter::Unknown => params,
    };
    // `order.refresh_from_db()` first: the task works on the row as it is, not on the copy.
    let querysets = &project.knowledge.django.querysets;
    let names: Vec<&str> = names
        .into_iter()
        .filter(|n| !calls_on(project, f, &[n], &querysets.instance_refresh_methods, 0))
        .collect();
    calls_on(project, f, &names, &querysets.instance_write_methods, 1)
}

/// Does `f` call one of `methods` on one of `names`, directly or through a method of
/// the instance that calls one on `self` (`depth` methods deep)?
fn calls_on(project: &Project, f: FuncRef, names: &[&str], methods: &[String], depth: u32) -> bool {
    let model = &project.models[f.file];
    model.calls.iter().enumerate().any(|(i, c)| {
        let ExprKind::Attr(base, m) = &c.callee.kind else {
            return false;
        };
        let on_name = matches!(&base.kind, ExprKind::Name(n) if names.contains(&n.as_str()));
        let call = CallRef {
            file: f.file,
            call: i,
        };
        on_name
            && project.call_owner(call) == Some(f)
            && (methods.iter().any(|x| x == m.as_str())
                || depth > 0
                    && project.call_target(call).is_some_and(|g| {
                        project.scope(g).class.is_some()
                            && calls_on(project, g, &["self"], methods, depth - 1)
                    }))
    })
}

struct Kind {
    what: String,
    short: &'static str,
    help: &'static str,
    /// Pickle queues accept it (and hand the worker a stale copy).
    pickles: bool,
}

impl Kind {
    fn of(origin: &Origin, arg: &Expr) -> Option<Kind> {
        let model = |m: &Option<String>, what: &str| match m {
            Some(m) => format!("a {what} (`{m}`)"),
            None => format!("a {what}"),
        };
        Some(match origin {
            Origin::ModelInstance(m) => Kind {
                what: model(m, "model instance"),
                short: "model instance",
                help: "pass the primary key (`{arg}.pk`) and load the object in the task",
                pickles: true,
            },
            Origin::QuerySet { model: m, .. } => Kind {
                what: model(m, "queryset"),
                short: "queryset",
                help: "pass a list of primary keys (`list({arg}.values_list(\"pk\", flat=True))`) and query in the task",
                pickles: true,
            },
            Origin::Request => Kind {
                what: "the request".into(),
                short: "request",
                help: "pass the values the task needs (`request.user.pk`, form data), not the request",
                pickles: false,
            },
            Origin::UploadedFiles | Origin::UploadedFile => Kind {
                what: "an uploaded file".into(),
                short: "uploaded file",
                help: "save the upload to storage (`default_storage.save(...)`) and pass its name",
                pickles: false,
            },
            Origin::OpenFile => Kind {
                what: "an open file".into(),
                short: "open file",
                help: "pass the file's path and open it in the task",
                pickles: false,
            },
            Origin::Callable => Kind {
                what: if matches!(arg.kind, ExprKind::Lambda(_)) {
                    "a lambda".into()
                } else {
                    "a function".into()
                },
                short: "code",
                help: "pass data, not code: put the code in the task and pass what it works on",
                pickles: false,
            },
            _ => return None,
        })
    }
}

/// How the queue will serialize the arguments: the queue's default, unless the project
/// (settings, `app.conf.update(...)`), the task decorator or the call asks for pickle.
fn serializer(project: &Project, call: CallRef, e: &Enqueue) -> SerializerKind {
    let Some(s) = project.knowledge.task_calls.serializer(e.queue) else {
        return SerializerKind::Json;
    };
    let is_pickle = |v: &Expr| v.as_str().is_some_and(|s| s.contains("pickle"));
    if project
        .call(call)
        .keyword("serializer")
        .is_some_and(|a| is_pickle(&a.value))
    {
        return SerializerKind::Pickle;
    }
    if let Some(f) = e.task
        && let Some(t) = project.tasks.get(f)
        && t.option("serializer").is_some_and(|a| is_pickle(&a.value))
    {
        return SerializerKind::Pickle;
    }
    for name in &s.settings {
        let set =
            project.settings_bindings(name).into_iter().any(
                |(_, b)| matches!(&b.value, crate::model::BoundValue::Expr(v) if is_pickle(v)),
            ) || project
                .keyword_arguments(name)
                .into_iter()
                .any(|(_, v)| is_pickle(v));
        if set {
            return SerializerKind::Pickle;
        }
    }
    s.default
}
