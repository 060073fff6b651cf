//! TL101, Rust form: a job function that a worker is built with (apalis
//! `WorkerBuilder::..build(send_email)`) called directly, `send_email(job, data).await`:
//! its body runs in the caller (inside the request, in a handler) instead of on the
//! worker, without the queue's retries and durability.

use crate::diagnostic::Severity;
use crate::index::{CallRef, Value};
use crate::rules::Checker;
use crate::rules::context::{abbreviate, handler_note, in_handler, text};

pub fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let c = project.call(call);
    if c.is_macro {
        return;
    }
    let Value::Function(f) = project.callee(call) else {
        return;
    };
    if project.knowledge.rust.jobs.is_empty() {
        return;
    }
    let Some(job) = project.rust_jobs().handlers.get(f) else {
        return;
    };
    let in_tests = match project.call_owner(call) {
        Some(owner) => project.is_test_function(owner),
        None => project.is_test[call.file],
    };
    if in_tests {
        return;
    }
    let queue = &project.knowledge.rust.jobs[job.queue];
    let name = project.display_name(*f);
    let handler = in_handler(project, call);
    let message = if handler.is_some() {
        format!(
            "task `{name}` is called directly, so it runs inside the request instead of on a worker"
        )
    } else {
        format!("task `{name}` is called directly, so it runs here instead of on a worker")
    };
    let callee = abbreviate(text(project, call, c.callee.span), 40);
    let d = cx.report(call.file, c.span, message);
    d.severity(if handler.is_some() {
        Severity::Error
    } else {
        Severity::Warning
    })
    .label(format!("`{name}` runs right here"))
    .related(
        f.file,
        project.scope(*f).name_span,
        format!("{} task defined here", queue.name),
    )
    .related(
        job.registered_at.0,
        job.registered_at.1,
        format!("a {} worker runs `{callee}`", queue.name),
    )
    .help(queue.enqueue_hint.clone());
    if let Some(h) = &handler {
        d.note(handler_note(project, h));
    }
}
