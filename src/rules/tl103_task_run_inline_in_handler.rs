//! TL103 task-run-inline-in-handler: `export_csv.apply(...)`, `.call()`, `.now()`,
//! `.call_local()`, `.fn(...)` in a request handler: the framework's explicit "run it
//! here, now" API, inside the request the task was written to keep short.

use super::context::{abbreviate, handler_note, in_handler, text};
use super::task_arguments::task_call;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::Severity;
use crate::index::CallRef;

pub static RULE: Rule = Rule {
    info: &catalogue::TL103,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let Some(tc) = task_call(project, call) else {
        return;
    };
    if !tc.framework.inline_methods.iter().any(|m| m == tc.method) {
        return;
    }
    let Some(handler) = in_handler(project, call) else {
        return;
    };
    let c = project.call(call);
    let name = project.display_name(tc.task.func);
    let method = tc.method;
    let hint = &tc.framework.enqueue_hint;
    let receiver = c
        .receiver()
        .map(|r| abbreviate(text(project, call, r.span), 40))
        .unwrap_or_else(|| name.clone());
    // Blocking an event loop stalls every request it serves, not just this one.
    let handler_async = project.scope(handler.handler.func).is_async;
    let d = cx.report(
        call.file,
        c.span,
        format!(
            "task `{name}` is run inline with `.{method}()`, so it runs inside the request instead of on a worker"
        ),
    );
    if handler_async && !c.awaited {
        d.severity(Severity::Error);
    }
    d.label(format!(
        "`.{method}()` runs `{name}` right here and waits for it"
    ))
    .related(
        tc.task.func.file,
        project.scope(tc.task.func).name_span,
        format!("{} task defined here", tc.framework.name),
    );
    if hint.is_empty() {
        d.help(format!(
            "enqueue it instead: call `{receiver}(...)` itself, which is how {} enqueues",
            tc.framework.name
        ));
    } else {
        d.help(format!("enqueue it instead: `{receiver}.{hint}(...)`"));
    }
    d.note(handler_note(project, &handler));
}
