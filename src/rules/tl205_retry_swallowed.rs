//! TL205 retry-swallowed: Celery's `self.retry()` raises `Retry` by itself, so a bare
//! `self.retry(...)` is fine. What breaks: the `Retry` caught by a surrounding
//! `except Exception:` (or bare `except:`, `CeleryError`, `Retry`) that does not re-raise;
//! `throw=False` with code after it; a string given as `exc=`.

use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::{CallRef, Project, Value};
use crate::model::{BoundValue, Call, ExprKind, ParamKind, Span, TryId};

pub static RULE: Rule = Rule {
    info: &catalogue::TL205,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let retry = &project.knowledge.task_calls.retry;
    let c = project.call(call);
    if c.method_name() != Some(retry.method.as_str()) || !on_task(project, call, c) {
        return;
    }
    if let Some(f) = project.call_owner(call)
        && project.is_test_function(f)
    {
        return;
    }
    let at = c.callee.span;
    let recv = project.files[call.file].slice(c.receiver().map_or(at, |r| r.span));
    let retry_text = format!("{recv}.{}()", retry.method);

    if let Some((try_id, handler)) = swallowing_handler(project, call, c) {
        let h = &project.models[call.file].tries[try_id].handlers[handler];
        let caught = if h.types.is_empty() {
            "a bare `except:`".to_string()
        } else {
            let types: Vec<&str> = h
                .types
                .iter()
                .map(|t| project.files[call.file].slice(t.span))
                .collect();
            format!("`except {}`", types.join(", "))
        };
        cx.report(
            call.file,
            at,
            format!("`{retry_text}` raises `Retry`, and {caught} around it catches it without re-raising: this run ends as a success while the retry is already queued"),
        )
        .label("raises celery.exceptions.Retry")
        .help(format!("let `Retry` through: put `except Retry: raise` before {caught}, or call `{retry_text}` outside the `try`"))
        .related(call.file, handler_head(project, call, h.span), "catches `Retry` here and does not re-raise");
        return;
    }

    if let Some(throw) = c.keyword(&retry.throw_keyword)
        && matches!(throw.value.kind, ExprKind::Bool(false))
        && !c.value_used
        && c.followed_by_statement
    {
        cx.report(
            call.file,
            at,
            format!("`{retry_text}` with `throw=False` does not stop the task: the code after it still runs, and the retry is queued anyway"),
        )
        .label("returns instead of raising")
        .help(format!("`return {}`, or drop `throw=False` so that it raises", project.files[call.file].slice(c.span)));
        return;
    }

    if let Some(exc) = c.keyword(&retry.exc_keyword)
        && is_string(project, call, c, &exc.value)
    {
        cx.report(
            call.file,
            at,
            format!("`{retry_text}` is given a string as `exc=`: when the retries run out Celery raises it, which fails with `TypeError: exceptions must derive from BaseException`"),
        )
        .label("`exc=` must be an exception")
        .help("pass the exception instance (`exc=exc` in an `except ... as exc:` block, or `exc=SomeError(\"...\")`)");
    }
}

/// `self.retry` in a bound Celery task, `some_task.retry`, or `.retry` on an instance of
/// a Task class.
fn on_task(project: &Project, call: CallRef, c: &Call) -> bool {
    let retry = &project.knowledge.task_calls.retry;
    let Some(recv) = c.receiver() else {
        return false;
    };
    let celery_task = |f| {
        project.tasks.get(f).is_some_and(|t| {
            let fw = &project.knowledge.frameworks[t.framework];
            retry.frameworks.contains(&fw.id) && t.wrapped_by.is_none()
        })
    };
    // `self` of a `bind=True` task: the first parameter of the task function.
    if let ExprKind::Name(n) = &recv.kind
        && let Some(b) = project.binding_at(call.file, c.scope, n, recv.span.start)
        && let BoundValue::Param(0) = b.binding.value
    {
        let f = crate::index::FuncRef {
            file: call.file,
            scope: b.scope,
        };
        let s = project.scope(f);
        if let Some(t) = project.tasks.get(f)
            && celery_task(f)
            && t.binds_first_param(&project.knowledge.frameworks[t.framework])
            && s.params
                .first()
                .is_some_and(|p| matches!(p.kind, ParamKind::Normal | ParamKind::PositionalOnly))
        {
            return true;
        }
    }
    match project.resolve(call.file, c.scope, recv) {
        Value::Function(f) => celery_task(f),
        Value::Instance(class) => retry
            .task_classes
            .iter()
            .any(|p| project.derives_from(class, p)),
        // A parameter annotated with the Task class.
        Value::Returned(inner) => retry
            .task_classes
            .iter()
            .any(|p| project.matches(&inner, p)),
        _ => false,
    }
}

/// The handler that catches the `Retry` raised at the call and does not re-raise it:
/// the first handler (in order) of the innermost `try` whose types include `Retry` or a
/// base of it decides; one that re-raises (or retries again) hands it to the next `try`
/// out.
fn swallowing_handler(project: &Project, call: CallRef, c: &Call) -> Option<(TryId, usize)> {
    let model = &project.models[call.file];
    let retry = &project.knowledge.task_calls.retry;
    for &t in c.tries.iter().rev() {
        let Some((i, h)) = model.tries[t].handlers.iter().enumerate().find(|(_, h)| {
            h.types.is_empty()
                || h.types.iter().any(|ty| {
                    let v = project.resolve(call.file, c.scope, ty);
                    project.matches_any(&v, &retry.caught_by)
                })
        }) else {
            continue;
        };
        if h.reraises || retries_in(project, call, c, h.span) {
            continue;
        }
        return Some((t, i));
    }
    None
}

/// A `.retry(...)` call inside a handler raises `Retry` again.
fn retries_in(project: &Project, call: CallRef, c: &Call, span: Span) -> bool {
    let retry = &project.knowledge.task_calls.retry;
    project.models[call.file].calls.iter().any(|o| {
        o.scope == c.scope
            && o.span.start >= span.start
            && o.span.end <= span.end
            && o.method_name() == Some(retry.method.as_str())
    })
}

/// The `except ...:` line of a handler, for the related note.
fn handler_head(project: &Project, call: CallRef, span: Span) -> Span {
    let text = project.files[call.file].slice(span);
    let end = text.find('\n').map_or(span.end, |n| span.start + n as u32);
    Span::new(span.start, end)
}

/// A string literal, or `str(...)` of the builtin `str`.
fn is_string(project: &Project, call: CallRef, c: &Call, e: &crate::model::Expr) -> bool {
    match &e.kind {
        ExprKind::Str(_) => true,
        ExprKind::Call(id) => {
            let inner = &project.models[call.file].calls[*id];
            matches!(&inner.callee.kind, ExprKind::Name(n) if n == "str")
                && project
                    .binding_at(call.file, c.scope, "str", inner.span.start)
                    .is_none()
        }
        _ => false,
    }
}
