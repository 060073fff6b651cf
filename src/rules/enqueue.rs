//! Recognising enqueue calls (`t.delay(...)`, `t.apply_async(args=...)`, `sig.delay()`,
//! `queue.enqueue(f, ...)`, `group(...)()`, a Huey task called), with where the task's own
//! arguments are: shared by TL401 and TL402. The shapes are `rules/python/task_calls.toml`.

use crate::index::{CallRef, FuncRef, Origin, Project, Value};
use crate::knowledge::{ArgumentLayout, DirectCall, Returns};
use crate::model::{Arg, ArgKind, Call, Expr, ExprKind};

pub struct Enqueue<'k> {
    /// A framework id of task_frameworks.toml, or a queue id of task_calls.toml.
    pub queue: &'k str,
    /// The project task, when the call names one.
    pub task: Option<FuncRef>,
    /// Where the task's arguments are (`None`: the call carries none, as `group(...)()`).
    pub layout: Option<ArgumentLayout>,
    /// Keywords the queue keeps for itself (`after-function` layouts).
    pub options: &'k [String],
    pub returns: Returns,
    /// Enqueued only once the current transaction commits (`delay_on_commit`).
    pub deferred: bool,
}

/// The enqueue a call makes, if it is one.
pub fn enqueue<'p>(project: &'p Project, call: CallRef) -> Option<Enqueue<'p>> {
    let calls = &project.knowledge.task_calls;
    let callee = project.callee(call);
    match callee {
        // A Huey or django-background-tasks task called: that is how they enqueue.
        Value::Function(f) => {
            let task = project.tasks.get(*f)?;
            let fw = &project.knowledge.frameworks[task.framework];
            if task.wrapped_by.is_some() || fw.direct_call != DirectCall::Enqueues {
                return None;
            }
            return Some(Enqueue {
                queue: &fw.id,
                task: Some(*f),
                layout: Some(ArgumentLayout::All),
                options: &[],
                returns: Returns::None,
                deferred: false,
            });
        }
        Value::Attr(base, method) => {
            if let Value::Function(f) = base.as_ref()
                && let Some(task) = project.tasks.get(*f)
                && task.wrapped_by.is_none()
            {
                let fw = &project.knowledge.frameworks[task.framework];
                let m = calls.task_method(&fw.id, method)?;
                return Some(Enqueue {
                    queue: &fw.id,
                    task: Some(*f),
                    layout: Some(m.arguments),
                    options: &[],
                    returns: m.returns,
                    deferred: m.deferred,
                });
            }
            if let Some(i) = calls.signature.methods.iter().position(|m| m == method)
                && let Origin::Signature(f) = project.classify(base)
            {
                return Some(Enqueue {
                    queue: "celery",
                    task: Some(f),
                    layout: calls.signature.arguments.get(i).copied(),
                    options: &[],
                    returns: Returns::Result,
                    deferred: false,
                });
            }
            if let Value::Returned(inner) = base.as_ref()
                && calls.results.canvas_methods.iter().any(|m| m == method)
                && project.matches_any(inner, &calls.results.canvas)
            {
                return Some(canvas());
            }
        }
        // `group(...)()`, `chord(header)(body)`.
        Value::Returned(inner) if project.matches_any(inner, &calls.results.canvas) => {
            return Some(canvas());
        }
        _ => {}
    }
    let e = calls
        .enqueue_call
        .iter()
        .find(|e| project.matches_any(callee, &e.calls))?;
    Some(Enqueue {
        queue: &e.queue,
        task: None,
        layout: Some(e.arguments),
        options: &e.options,
        returns: e.returns,
        deferred: false,
    })
}

fn canvas<'k>() -> Enqueue<'k> {
    Enqueue {
        queue: "celery",
        task: None,
        layout: None,
        options: &[],
        returns: Returns::Result,
        deferred: false,
    }
}

/// `partial(t.delay, a, b)`: an enqueue handed over to run later (`on_commit`), and the
/// arguments it will pass.
pub fn partial_enqueue<'p>(
    project: &'p Project,
    call: CallRef,
) -> Option<(Enqueue<'p>, Vec<&'p Expr>)> {
    let c = project.call(call);
    let callee = project.callee(call);
    if !project.matches_any(callee, &project.knowledge.task_calls.transactions.partial) {
        return None;
    }
    let first = c.args.first().filter(|a| a.kind == ArgKind::Positional)?;
    let Value::Attr(base, method) = project.resolve(call.file, c.scope, &first.value) else {
        return None;
    };
    let Value::Function(f) = base.as_ref() else {
        return None;
    };
    let task = project.tasks.get(*f)?;
    let fw = &project.knowledge.frameworks[task.framework];
    let m = project.knowledge.task_calls.task_method(&fw.id, &method)?;
    if m.arguments != ArgumentLayout::All || task.wrapped_by.is_some() {
        return None;
    }
    let args = c.args[1..]
        .iter()
        .filter(|a| matches!(a.kind, ArgKind::Positional | ArgKind::Keyword))
        .map(|a| &a.value)
        .collect();
    Some((
        Enqueue {
            queue: &fw.id,
            task: Some(*f),
            layout: Some(ArgumentLayout::All),
            options: &[],
            returns: m.returns,
            deferred: true,
        },
        args,
    ))
}

/// The expressions an enqueue call passes to the task as its arguments. Unpacked
/// arguments (`*args`, `**kwargs`) and values whose shape is not written out are left
/// out: they are not known.
pub fn task_arguments<'p>(project: &'p Project, call: CallRef, e: &Enqueue) -> Vec<&'p Expr> {
    let c = project.call(call);
    let Some(layout) = e.layout else {
        return Vec::new();
    };
    let plain = |a: &&Arg| matches!(a.kind, ArgKind::Positional | ArgKind::Keyword);
    match layout {
        ArgumentLayout::All => c.args.iter().filter(plain).map(|a| &a.value).collect(),
        ArgumentLayout::ArgsKwargs => args_kwargs(project, call, c, 0),
        ArgumentLayout::NameArgsKwargs => args_kwargs(project, call, c, 1),
        ArgumentLayout::AfterFunction | ArgumentLayout::AfterTimeFunction => {
            let skip = function_position(layout).map_or(0, |i| i + 1);
            let positional = c.positional().skip(skip).map(|a| &a.value);
            let keywords = c
                .args
                .iter()
                .filter(|a| a.kind == ArgKind::Keyword)
                .filter(|a| {
                    a.name
                        .as_deref()
                        .is_some_and(|n| n != "func" && !e.options.iter().any(|o| o == n))
                })
                .map(|a| &a.value);
            positional.chain(keywords).collect()
        }
    }
}

/// Where a queue that enqueues plain functions takes the function among the positional
/// arguments: first, or after the time (`schedule(f, ...)`, `enqueue_in(delay, f, ...)`).
fn function_position(layout: ArgumentLayout) -> Option<usize> {
    match layout {
        ArgumentLayout::AfterFunction => Some(0),
        ArgumentLayout::AfterTimeFunction => Some(1),
        _ => None,
    }
}

/// The function an enqueue of a plain-function queue hands over (`django_rq.enqueue(f,
/// ...)`, `async_task(f, ...)`, or `func=f`).
pub fn function_argument<'p>(project: &'p Project, call: CallRef, e: &Enqueue) -> Option<&'p Expr> {
    let at = function_position(e.layout?)?;
    let c = project.call(call);
    c.positional()
        .nth(at)
        .or_else(|| c.keyword("func"))
        .map(|a| &a.value)
}

/// The items of `args=` (a tuple or list) and the values of `kwargs=` (a dict), or of the
/// positionals at `at` and `at + 1`.
fn args_kwargs<'p>(project: &'p Project, call: CallRef, c: &'p Call, at: usize) -> Vec<&'p Expr> {
    let mut positional = c.positional().skip(at);
    let args = c
        .keyword("args")
        .or_else(|| positional.next())
        .map(|a| &a.value);
    let kwargs = c
        .keyword("kwargs")
        .or_else(|| positional.next())
        .map(|a| &a.value);
    let mut out = Vec::new();
    if let Some(a) = args {
        match &literal(project, call, c, a).kind {
            ExprKind::Tuple(items) | ExprKind::List(items) => out.extend(
                items
                    .iter()
                    .filter(|i| !matches!(i.kind, ExprKind::Starred(_))),
            ),
            _ => {}
        }
    }
    if let Some(k) = kwargs {
        match &literal(project, call, c, k).kind {
            ExprKind::Dict(entries) => {
                out.extend(entries.iter().filter(|(k, _)| k.is_some()).map(|(_, v)| v));
            }
            // `kwargs=dict(order=order)`
            ExprKind::Call(id)
                if matches!(
                    project.callee(CallRef { file: call.file, call: *id }),
                    Value::External(p) if p == "builtins.dict"
                ) =>
            {
                let d = &project.models[call.file].calls[*id];
                out.extend(
                    d.args
                        .iter()
                        .filter(|a| a.kind == ArgKind::Keyword)
                        .map(|a| &a.value),
                );
            }
            _ => {}
        }
    }
    out
}

/// A name bound (last, in the same function) to a literal: the literal.
fn literal<'p>(project: &'p Project, call: CallRef, c: &'p Call, e: &'p Expr) -> &'p Expr {
    if let ExprKind::Name(n) = &e.kind
        && let Some(b) = project.binding_at(call.file, c.scope, n, e.span.start)
        && let crate::model::BoundValue::Expr(v) = &b.binding.value
        && matches!(
            v.kind,
            ExprKind::Tuple(_) | ExprKind::List(_) | ExprKind::Dict(_)
        )
    {
        return v;
    }
    e
}
