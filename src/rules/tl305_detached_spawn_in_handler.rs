//! TL305 detached-spawn-in-handler (opt-in): `tokio::spawn` / `std::thread::spawn` (or a
//! project helper that spawns and drops the handle) in a request handler, or code it
//! reaches, whose handle is dropped: the work is lost on shutdown and its panics vanish.

use super::context::{abbreviate, handler_note, in_handler, text};
use super::rust_blocking::rust_path;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::rust::WrapperKind;
use crate::index::{CallRef, Value};

pub static RULE: Rule = Rule {
    info: &catalogue::TL305,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let c = project.call(call);
    if c.is_macro {
        return;
    }
    let callee = project.callee(call);
    let (what, via) = if project.rust_is_spawn(call) {
        if c.value_used {
            return;
        }
        let name = match callee {
            Value::External(p) => rust_path(p),
            _ => abbreviate(text(project, call, c.callee.span), 40),
        };
        (name, None)
    } else if let Value::Function(f) = callee
        && project.rust.wrappers.get(f) == Some(&WrapperKind::Detach)
    {
        // The helper drops the handle itself, whatever its caller does with the result.
        (
            format!(
                "{}(...)",
                abbreviate(text(project, call, c.callee.span), 40)
            ),
            Some(*f),
        )
    } else {
        return;
    };
    let Some(handler) = in_handler(project, call) else {
        return;
    };
    // Inside a helper that detaches what it is given, the finding is at the helper's
    // call in the handler.
    if project.call_owner(call).is_some_and(|f| {
        project.is_test_function(f) || project.rust.wrappers.get(&f) == Some(&WrapperKind::Detach)
    }) {
        return;
    }
    let name = project.display_name(handler.handler.func);
    let d = cx.report(
        call.file,
        c.span,
        format!("`{what}` in request handler `{name}` detaches work: its handle is dropped"),
    );
    d.label("nothing waits for this task, on shutdown or for its errors")
        .note("a runtime that shuts down drops outstanding tasks, and a panic in a detached task is only visible through its handle".to_string())
        .help("enqueue durable work in a job queue, or spawn it on a `tokio_util::task::TaskTracker` (or `JoinSet`) that `main` waits for on shutdown");
    if let Some(f) = via {
        d.related(
            f.file,
            project.scope(f).name_span,
            format!("`{}` spawns and drops the handle", project.display_name(f)),
        );
    }
    d.note(handler_note(project, &handler));
}
