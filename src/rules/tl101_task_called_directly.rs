//! TL101 task-called-directly: `send_receipt(order.pk)` on a Celery (Dramatiq, RQ,
//! django.tasks...) task runs its body in the caller instead of enqueuing it. The Rust
//! form (a job function of an apalis worker called directly) is in `rust.rs`.

mod rust;

use super::context::{abbreviate, handler_note, in_handler, text};
use super::enqueue::enqueue;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::{Applicability, Edit, Fix, Severity};
use crate::index::{CallRef, FuncRef, Project};
use crate::knowledge::{DirectCall, Returns};
use crate::model::{BoundValue, Expr, ExprKind, Language, Span};

pub static RULE: Rule = Rule {
    info: &catalogue::TL101,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    if project.models[call.file].language == Language::Rust {
        rust::check(cx, call);
        return;
    }
    let Some(task) = project.tasks.task_of(project.callee(call)) else {
        return;
    };
    // A project decorator above the task decorator usually wraps dispatch on purpose:
    // what a direct call does is then unknown (rules/docs/TL202.md, Known limits).
    if task.wrapped_by.is_some() {
        return;
    }
    let framework = &project.knowledge.frameworks[task.framework];
    let not_callable = match framework.direct_call {
        // Huey, django-background-tasks: calling the task is how you enqueue it.
        DirectCall::Enqueues => return,
        DirectCall::RunsInline => false,
        DirectCall::TypeError => true,
    };
    let owner = project.call_owner(call);
    let in_tests = match owner {
        Some(f) => project.is_test_function(f),
        None => project.is_test[call.file],
    };
    // Calling the body directly is Celery's recommended unit-test style, and a
    // command-line command (a management command, a click / typer / Flask CLI command, a
    // console script, or a function only they call) runs in its own process, where
    // running the task now is usually the point. A django.tasks Task, though, cannot be
    // called anywhere.
    let from_command_line = || {
        project.is_command_module(call.file)
            || owner.is_some_and(|f| {
                project.handlers.get(f).is_none() && project.runs_outside_requests(f)
            })
    };
    if !not_callable && (in_tests || from_command_line()) {
        return;
    }
    if !not_callable {
        if let Some(f) = owner {
            // A task calling itself recurses on purpose; one calling another task inline
            // (or a function only tasks call) already runs on a worker: reported only
            // when the project asks.
            if f == task.func {
                return;
            }
            if !project.settings.report_task_calls_in_tasks
                && project.handlers.get(f).is_none()
                && (project.tasks.get(f).is_some() || project.only_called_from_tasks(f))
            {
                return;
            }
        }
        if is_fallback(project, call, task.func) || hands_its_work_on(project, task.func) {
            return;
        }
    }
    let c = project.call(call);
    let name = project.display_name(task.func);
    let callee = text(project, call, c.callee.span).to_string();
    let handler = in_handler(project, call);
    let hint = &framework.enqueue_hint;
    let message = if not_callable {
        format!(
            "task `{name}` is called directly; a {} task is not callable, so this raises TypeError",
            framework.name
        )
    } else if handler.is_some() {
        format!(
            "task `{name}` is called directly, so it runs inside the request instead of on a worker"
        )
    } else {
        format!("task `{name}` is called directly, so it runs here instead of on a worker")
    };
    let severity = if handler.is_some() || not_callable {
        Severity::Error
    } else {
        Severity::Warning
    };
    let args = abbreviate(text(project, call, c.args_span), 40);
    let d = cx.report(call.file, c.span, message);
    d.severity(severity)
        .label(format!("`{name}` runs right here"))
        .related(
            task.func.file,
            project.scope(task.func).name_span,
            format!("{} task defined here", framework.name),
        );
    if !hint.is_empty() && framework.enqueue_is_coroutine {
        d.help(format!("enqueue it: `await {callee}.{hint}{args}`"));
    } else if !hint.is_empty() && feeds_a_task(project, call) {
        // `send_receipt.delay(total(pk))`: with `total.delay(pk)` the other task would get a
        // result handle, which no serializer accepts (and TL402 rejects): no fix.
        d.help(format!(
            "its value is an argument of a task: `{callee}.{hint}{args}` would pass a result handle instead; chain the two tasks, or call it from the other task"
        ));
    } else if !hint.is_empty() {
        d.help(format!("enqueue it: `{callee}.{hint}{args}`"));
        // The enqueue call returns a result handle, not the task's return value: safe
        // only when nothing uses the value.
        d.fix(Fix {
            message: format!("enqueue with `.{hint}()`"),
            applicability: if c.value_used {
                Applicability::Unsafe
            } else {
                Applicability::Safe
            },
            edits: vec![Edit {
                span: Span::new(c.callee.span.end, c.callee.span.end),
                content: format!(".{hint}"),
            }],
        });
    }
    if let Some(h) = &handler {
        d.note(handler_note(project, h));
    }
}

/// A task whose body always hands its work to other tasks (`_rebuild.s(...).apply_async()`,
/// `chord(parts)(done.si(key))`) and reaches no slow call itself: calling it directly
/// starts the work on workers all the same, and only its small setup runs here (a
/// progress record, the list of parts).
pub(crate) fn hands_its_work_on(project: &Project, task: FuncRef) -> bool {
    let mut dispatches = false;
    for &c in project.graph.calls_in(task) {
        if project.call_owner(c) != Some(task) {
            continue;
        }
        // On the body's own path: not inside an `if` (past early returns is fine).
        let unconditional = project.call(c).guards.iter().all(|g| g.after_exit);
        if unconditional && enqueue(project, c).is_some() {
            dispatches = true;
        }
        if crate::rules::slow_calls::slow_call(project, c, false).is_some() {
            return false;
        }
    }
    dispatches
        && project
            .find_reachable(
                None,
                task,
                project.settings.max_call_depth,
                |e| project.tasks.get(e.target).is_none(),
                |c| crate::rules::slow_calls::slow_call(project, c, false),
            )
            .is_none()
}

/// The direct call is the other branch of an `if` that enqueues the same task (or the
/// code after an early return that does): the project's eager fallback, run when the
/// queue is off on purpose.
fn is_fallback(project: &Project, call: CallRef, task: FuncRef) -> bool {
    let c = project.call(call);
    if c.guards.is_empty() {
        return false;
    }
    let model = &project.models[call.file];
    let scope = model.enclosing_function(c.scope);
    model.calls.iter().enumerate().any(|(id, other)| {
        id != call.call
            && model.enclosing_function(other.scope) == scope
            && other.guards.iter().any(|g| {
                c.guards
                    .iter()
                    .any(|h| h.cond.span == g.cond.span && h.when != g.when)
            })
            && enqueue(
                project,
                CallRef {
                    file: call.file,
                    call: id,
                },
            )
            .is_some_and(|e| e.task == Some(task) && e.returns != Returns::Signature)
    })
}

/// Whether the call's value becomes an argument of a task: written inside the
/// parentheses of an enqueue or of another direct task call (which its own fix turns into
/// an enqueue), or bound to a name such a call's arguments mention in the same scope.
fn feeds_a_task(project: &Project, call: CallRef) -> bool {
    let model = &project.models[call.file];
    let c = &model.calls[call.call];
    let names: Vec<&str> = model.scopes[c.scope]
        .bindings
        .iter()
        .filter(|b| matches!(&b.value, BoundValue::Expr(e) if e.as_call() == Some(call.call)))
        .map(|b| b.name.as_str())
        .collect();
    (0..model.calls.len()).any(|other| {
        let o = &model.calls[other];
        if other == call.call {
            return false;
        }
        let inside = o.args_span.start <= c.span.start && c.span.end <= o.args_span.end;
        let by_name = !names.is_empty()
            && o.scope == c.scope
            && o.args.iter().any(|a| mentions(&a.value, &names));
        if !inside && !by_name {
            return false;
        }
        let o = CallRef {
            file: call.file,
            call: other,
        };
        enqueue(project, o).is_some() || project.tasks.task_of(project.callee(o)).is_some()
    })
}

/// Whether an argument is one of `names`, or a literal holding one.
fn mentions(e: &Expr, names: &[&str]) -> bool {
    match &e.kind {
        ExprKind::Name(n) => names.contains(&n.as_str()),
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().any(|i| mentions(i, names)),
        ExprKind::Dict(entries) => entries.iter().any(|(_, v)| mentions(v, names)),
        ExprKind::Starred(inner) => mentions(inner, names),
        _ => false,
    }
}
