//! TL303 waiting-on-task-result: `.get()`, `.wait()`, `.join()`, `.collect()` on a task
//! result in a request handler (the request waits for a worker) or in a task (Celery
//! raises "Never call result.get() within a task!"), and `.result` read right after the
//! enqueue (it does not wait). Task results are known by the local data flow.

use super::context::{InHandler, abbreviate, handler_note};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::Severity;
use crate::index::{CallRef, FuncRef, Origin, Project};
use crate::model::{Expr, ExprKind, ScopeId};
use crate::source::FileId;

pub static RULE: Rule = Rule {
    info: &catalogue::TL303,
    check: Check::Function(check),
};

/// Where the waiting function runs.
enum Place<'p> {
    Handler(InHandler<'p>),
    Task,
}

fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    if project.is_test_function(func) {
        return;
    }
    let place = if project.tasks.get(func).is_some() {
        Place::Task
    } else if let Some(reached) = project.reach.get(func)
        && let Some(handler) = project.handlers.get(reached.handler)
    {
        Place::Handler(InHandler { handler, reached })
    } else {
        return;
    };
    let results = &project.knowledge.task_calls.results;
    let name = project.display_name(func);
    for &call in project.graph.calls_in(func) {
        let c = project.call(call);
        if let (Some(m), Some(recv)) = (c.method_name(), c.receiver())
            && results.wait_methods.iter().any(|w| w == m)
            && let Origin::TaskResult { fresh } = project.origin(call.file, c.scope, recv)
            // A result looked up by id in a view is usually a status page that checks
            // `ready()` first; in a task, Celery refuses any wait.
            && (fresh || matches!(place, Place::Task))
            && !(matches!(place, Place::Task) && wait_allowed(project, call))
        {
            let recv_text = abbreviate(cx_text(project, call, recv), 40);
            let d = match &place {
                Place::Handler(h) => {
                    let d = cx.report(
                        call.file,
                        c.span,
                        format!("`{recv_text}.{m}()` makes the request wait until a worker has run the task"),
                    );
                    d.label("the response waits for the worker")
                        .help("return the task id and let the client poll for the result, or do the work inline if it is quick")
                        .note(handler_note(project, h));
                    d
                }
                Place::Task => {
                    let d = cx.report(
                        call.file,
                        c.span,
                        format!("`{recv_text}.{m}()` inside task `{name}` waits for another task: Celery raises `RuntimeError: Never call result.get() within a task!`"),
                    );
                    d.label("a task waiting on a task")
                        .help("chain the work instead (`chain(first.s(...), second.s())`) or pass a callback with `link=`")
                        .note("with the pool full of waiting tasks, the tasks they wait for never run: a deadlock");
                    d
                }
            };
            binding_note(project, call.file, c.scope, recv, d);
        }
        // `.result` read in the arguments of the calls this function makes.
        for arg in &c.args {
            reads_of_result(project, call.file, c.scope, &arg.value, &mut |e, base| {
                report_read(cx, call.file, c.scope, e, base, &place);
            });
        }
    }
    // ... and in what it assigns.
    let scope = func.scope;
    for b in &project.scope(func).bindings {
        if let crate::model::BoundValue::Expr(v) = &b.value {
            reads_of_result(project, func.file, scope, v, &mut |e, base| {
                report_read(cx, func.file, scope, e, base, &place);
            });
        }
    }
}

fn cx_text<'p>(project: &'p Project, call: CallRef, e: &Expr) -> &'p str {
    project.files[call.file].slice(e.span)
}

fn binding_note(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    recv: &Expr,
    d: &mut crate::diagnostic::Diagnostic,
) {
    if let ExprKind::Name(n) = &recv.kind
        && let Some(b) = project.binding_at(file, scope, n, recv.span.start)
    {
        d.related(
            file,
            b.binding.span,
            format!("`{n}` is a task result from here"),
        );
    }
}

/// Calls `f(expr, base)` for each `base.result` inside `e` (dicts, lists, tuples,
/// subscripts) whose base is a task result this code just enqueued.
fn reads_of_result<'p>(
    project: &'p Project,
    file: FileId,
    scope: ScopeId,
    e: &'p Expr,
    f: &mut dyn FnMut(&'p Expr, &'p Expr),
) {
    let attrs = &project.knowledge.task_calls.results.read_attributes;
    match &e.kind {
        ExprKind::Attr(base, name)
            if attrs.iter().any(|a| a == name)
                && project.origin(file, scope, base) == (Origin::TaskResult { fresh: true }) =>
        {
            f(e, base);
        }
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            for i in items {
                reads_of_result(project, file, scope, i, f);
            }
        }
        ExprKind::Dict(entries) => {
            for (_, v) in entries {
                reads_of_result(project, file, scope, v, f);
            }
        }
        _ => {}
    }
}

fn report_read(
    cx: &mut Checker,
    file: FileId,
    scope: ScopeId,
    e: &Expr,
    base: &Expr,
    place: &Place,
) {
    let project = cx.project;
    let base_text = abbreviate(project.files[file].slice(base.span), 40);
    let d = cx.report(
        file,
        e.span,
        format!("`{base_text}.result` is read right after the task was enqueued: it does not wait, and is None until a worker has run the task"),
    );
    d.severity(Severity::Error)
        .label("not the task's return value yet")
        .help("return the task id and read the result later (`AsyncResult(task_id).result`), once `ready()` is true");
    if let Place::Handler(h) = place {
        d.note(handler_note(project, h));
    }
    binding_note(project, file, scope, base, d);
}

/// The task says it means to wait: `r.get(disable_sync_subtasks=False)`, or inside
/// `with allow_join_result():`.
fn wait_allowed(project: &Project, call: CallRef) -> bool {
    let results = &project.knowledge.task_calls.results;
    let c = project.call(call);
    if c.keyword(&results.wait_allowed_keyword)
        .is_some_and(|a| matches!(a.value.kind, ExprKind::Bool(false)))
    {
        return true;
    }
    c.withs.iter().any(|w| match w.kind {
        ExprKind::Call(id) => project.matches_any(
            project.callee(CallRef {
                file: call.file,
                call: id,
            }),
            &results.wait_allowed_contexts,
        ),
        _ => false,
    })
}
