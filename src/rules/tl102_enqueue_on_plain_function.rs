//! TL102 enqueue-on-plain-function: `reindex.delay(...)` where `reindex` is a project
//! function no task decorator wraps — an AttributeError at run time.

use super::context::text;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::{CallRef, Value};

pub static RULE: Rule = Rule {
    info: &catalogue::TL102,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let c = project.call(call);
    let Some(method) = c.method_name() else {
        return;
    };
    let Some(framework) = project
        .knowledge
        .frameworks
        .iter()
        .find(|f| f.enqueue_methods.iter().any(|m| m == method))
    else {
        return;
    };
    // `f.delay` resolves to an attribute of the function itself.
    let Value::Attr(base, _) = project.callee(call) else {
        return;
    };
    let Value::Function(func) = base.as_ref() else {
        return;
    };
    let scope = project.scope(*func);
    // A decorated function may well be a task made by a factory tasklint does not know
    // (configure it as `task-decorators`); wrapped tasks are TL202's.
    if !scope.decorators.is_empty() || project.tasks.get(*func).is_some() {
        return;
    }
    let name = project.display_name(*func);
    let recv = c
        .receiver()
        .map(|r| text(project, call, r.span))
        .unwrap_or(&name);
    let decorator = match framework.id.as_str() {
        "celery" => "@shared_task".to_string(),
        "dramatiq" => "@dramatiq.actor".to_string(),
        "django-tasks" => "@task (from django.tasks)".to_string(),
        _ => format!("a {} task decorator", framework.name),
    };
    cx.report(
        call.file,
        c.span,
        format!("`.{method}()` is called on `{recv}`, a plain function that no task decorator makes a task"),
    )
    .label("this raises AttributeError at run time")
    .help(format!("decorate `{name}` with {decorator}, or call it directly if it should run here"))
    .note(format!("a plain function has no `.{method}` attribute: `AttributeError: 'function' object has no attribute '{method}'`"))
    .related(func.file, scope.name_span, "plain function defined here");
}
