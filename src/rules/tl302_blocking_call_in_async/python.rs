//! TL302, Python part: a blocking call inside `async def` — the slow-call catalogue
//! (including the entries that only block an event loop, such as `open()`), and Django
//! ORM queries — directly, or through project sync functions the coroutine calls. Work
//! handed to `sync_to_async(...)`, `asyncio.to_thread(...)` or `run_in_executor(...)`
//! does not run on the loop and is not reported.

use crate::diagnostic::Severity;
use crate::index::callgraph::Edge;
use crate::index::{CallRef, FuncRef, Origin, Project};
use crate::model::ExprKind;
use crate::rules::Checker;
use crate::rules::context::{Reaches, abbreviate, report_reached, text};
use crate::rules::slow_calls::slow_call;

/// A call that blocks the thread it runs on.
struct Blocking {
    /// How to name it: `requests.get`, `Order.objects.get`.
    name: String,
    category: String,
    why: String,
    help: Option<String>,
    severity: Severity,
    /// How long it blocks, for a note.
    how_slow: Option<String>,
}

pub fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    let scope = project.scope(func);
    if !scope.is_async || project.is_test_function(func) {
        return;
    }
    // An `async def` Celery task never runs its body at all (TL107).
    if let Some(t) = project.tasks.get(func)
        && project.knowledge.frameworks[t.framework].id == "celery"
    {
        return;
    }
    let name = project.display_name(func);
    let handler = project.handlers.get(func);
    // Flask runs each async view in its own event loop on a worker thread: blocking it
    // ties up that request only, as in a sync view.
    let per_request_loop = handler.is_some_and(|h| h.kind.starts_with("Flask"));
    let depth = project.settings.max_call_depth;
    for &call in project.graph.calls_in(func) {
        let c = project.call(call);
        // An awaited call returns an awaitable: it is async, whatever it does.
        if c.awaited {
            continue;
        }
        if let Some(b) = blocking(project, call) {
            let severity = if per_request_loop {
                Severity::Warning
            } else {
                b.severity
            };
            let d = cx.report(
                call.file,
                c.span,
                format!("`{}` in `async def {name}` {}", b.name, b.why),
            );
            d.severity(severity)
                .label(format!("{}: blocks the event loop", b.category));
            if let Some(h) = &b.help {
                d.help(h.clone());
            }
            if let Some(how) = &b.how_slow {
                d.note(format!("how slow: {how}"));
            }
            if let Some(h) = handler {
                d.note(h.async_note(&name));
            }
            continue;
        }
        let Some(target) = sync_target(project, call) else {
            continue;
        };
        if depth == 0 {
            continue;
        }
        let Some((path, site, b)) = find_blocking(project, target, depth - 1) else {
            continue;
        };
        let severity = if per_request_loop {
            Severity::Warning
        } else {
            b.severity
        };
        let d = report_reached(
            cx,
            call,
            target,
            func,
            &format!("in `async def {name}`"),
            Reaches {
                path,
                site,
                name: &b.name,
                why: &b.why,
                label: format!("reaches a blocking call ({})", b.category),
            },
        );
        d.severity(severity);
        if let Some(h) = &b.help {
            d.help(h.clone());
        }
        if let Some(how) = &b.how_slow {
            d.note(format!("how slow: {how}"));
        }
        if let Some(h) = handler {
            d.note(h.async_note(&name));
        }
    }
}

/// The project sync function a call runs on the caller's thread: not a coroutine
/// function (calling it only makes a coroutine), not one wrapped by `sync_to_async` &co,
/// not a task (calling a task directly is TL101's finding).
fn sync_target(project: &Project, call: CallRef) -> Option<FuncRef> {
    let target = project.call_target(call)?;
    let s = project.scope(target);
    if s.is_async || project.tasks.get(target).is_some() {
        return None;
    }
    let parent = s.parent.unwrap_or(0);
    let offloaded = s.decorators.iter().any(|d| {
        let v = match d.expr.kind {
            ExprKind::Call(id) => project
                .callee(CallRef {
                    file: target.file,
                    call: id,
                })
                .clone(),
            _ => project.resolve(target.file, parent, &d.expr),
        };
        project
            .knowledge
            .offload
            .calls
            .iter()
            .any(|p| project.matches(&v, p))
    });
    (!offloaded).then_some(target)
}

/// Breadth-first through project sync functions (never into coroutine functions or
/// offloaded ones) for the first blocking call, with the path that leads to it.
fn find_blocking(
    project: &Project,
    start: FuncRef,
    max_depth: usize,
) -> Option<(Vec<Edge>, CallRef, Blocking)> {
    project.find_reachable(
        None,
        start,
        max_depth,
        |e| sync_target(project, e.call).is_some(),
        |c| blocking(project, c),
    )
}

/// A call that blocks: the slow-call catalogue (async-only entries included), or a
/// Django ORM query.
fn blocking(project: &Project, call: CallRef) -> Option<Blocking> {
    if let Some(slow) = slow_call(project, call, true) {
        let help = match slow.entry.async_alternative.as_deref() {
            Some(a) if a.contains("to_thread") => format!("use {a} instead"),
            Some(a) if a.contains(' ') => format!(
                "use {a} instead, or run the call in a thread (`await asyncio.to_thread(...)`)"
            ),
            Some(a) => format!(
                "use `{a}` instead, or run the call in a thread (`await asyncio.to_thread(...)`)"
            ),
            None => "run the call in a thread (`await asyncio.to_thread(...)`) or from a task"
                .to_string(),
        };
        return Some(Blocking {
            name: slow.name,
            category: slow.entry.category.clone(),
            why: "blocks the event loop: every other coroutine on it waits until it returns".into(),
            help: Some(help),
            severity: slow.entry.severity,
            how_slow: slow.entry.how_slow.clone(),
        });
    }
    orm_query(project, call)
}

/// `Order.objects.get(...)`, `qs.count()`, `order.save()`, `list(qs)`: Django runs the
/// query synchronously and, in async code, raises `SynchronousOnlyOperation`.
fn orm_query(project: &Project, call: CallRef) -> Option<Blocking> {
    let qs = &project.knowledge.django.querysets;
    let c = project.call(call);
    let (name, help) = if let (Some(m), Some(recv)) = (c.method_name(), c.receiver()) {
        let is_query = match project.origin(call.file, c.scope, recv) {
            Origin::QuerySet { .. } => qs.query_methods.iter().any(|q| q == m),
            Origin::ModelInstance(_) => qs.instance_query_methods.iter().any(|q| q == m),
            _ => false,
        };
        if !is_query {
            return None;
        }
        let recv_text = abbreviate(text(project, call, recv.span), 40);
        (
            format!("{recv_text}.{m}()"),
            format!(
                "use the async API, `await {recv_text}.a{m}(...)`, or wrap the ORM work in `sync_to_async`"
            ),
        )
    } else {
        let callee = project.callee(call);
        if !qs
            .evaluating_calls
            .iter()
            .any(|p| project.matches(callee, p))
        {
            return None;
        }
        let arg = c.positional().next()?;
        if !matches!(
            project.origin(call.file, c.scope, &arg.value),
            Origin::QuerySet { .. }
        ) {
            return None;
        }
        (
            abbreviate(text(project, call, c.span), 40),
            "iterate with `async for`, or wrap the ORM work in `sync_to_async`".to_string(),
        )
    };
    Some(Blocking {
        name,
        category: "Django ORM query".into(),
        why: "runs a Django ORM query on the event loop, where Django raises SynchronousOnlyOperation instead of running it".into(),
        help: Some(help),
        severity: Severity::Error,
        how_slow: None,
    })
}
