//! TL101 task-called-directly: `send_receipt(order.pk)` on a Celery (Dramatiq, RQ,
//! django.tasks...) task runs its body in the caller instead of enqueuing it.

use super::context::{abbreviate, handler_note, in_handler, text};
use super::{Check, Checker, FixAvailability, Rule, RuleInfo};
use crate::diagnostic::{Applicability, Edit, Fix, Severity};
use crate::index::CallRef;
use crate::knowledge::DirectCall;
use crate::model::{Language, Span};

pub static RULE: Rule = Rule {
    info: RuleInfo {
        code: "TL101",
        name: "task-called-directly",
        summary: "a task called with `()` runs in the caller instead of on a worker",
        severity: Severity::Error,
        default_enabled: true,
        languages: &[Language::Python],
        fix: FixAvailability::Sometimes,
        doc: include_str!("../../rules/docs/TL101.md"),
    },
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
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
    // Calling the body directly is Celery's recommended unit-test style, and a management
    // command runs in its own process, where running the task now is usually the point.
    // A django.tasks Task, though, cannot be called anywhere.
    if (in_tests || project.is_management_command(call.file)) && !not_callable {
        return;
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
