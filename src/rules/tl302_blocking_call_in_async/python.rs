//! TL302, Python part: a blocking call inside `async def` — the slow-call catalogue
//! (including the entries that only block an event loop, such as `open()`), and Django
//! ORM queries — directly, or through project sync functions the coroutine calls. Work
//! handed to `sync_to_async(...)`, `asyncio.to_thread(...)` or `run_in_executor(...)`
//! does not run on the loop and is not reported.

use crate::diagnostic::Severity;
use crate::index::callgraph::Edge;
use crate::index::{CallRef, FuncRef, Origin, Project};
use crate::knowledge::Returns;
use crate::model::ExprKind;
use crate::rules::Checker;
use crate::rules::context::{Reaches, abbreviate, chain, report_reached, text};
use crate::rules::enqueue::enqueue;
use crate::rules::slow_calls::{SHARED_BY, name_roots, slow_call};

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
    /// Fine in a sync view (a file read, the sync cache): on a loop of the request's own
    /// it holds up nothing else either.
    fine_in_sync: bool,
    /// Refused on any running loop (Django's ORM raises `SynchronousOnlyOperation`).
    raises: bool,
    /// Short when things go well (a broker publish): worth a finding only where the
    /// coroutine is known to share a server's loop, not on a loop whose owner is unknown.
    only_on_server_loops: bool,
}

/// Whose event loop a coroutine runs on.
#[derive(Clone, Copy)]
enum Loop {
    /// The server's, shared by every request.
    Shared,
    /// One of the request's own (Flask runs each async view in a loop on its worker
    /// thread): blocking it makes that request wait, as in a sync view.
    Request,
    /// One of each call's own (`@async_to_sync` called as a sync function, or a coroutine
    /// only `asyncio.run(...)` runs from sync code): what it does is its sync caller's
    /// work, which TL301 follows; only what refuses to run on a loop at all is reported
    /// here.
    Call,
}

impl Loop {
    /// A request's own loop makes a blocking call that request's wait: a warning, as
    /// for slow work in a sync view.
    fn severity(self, b: &Blocking) -> Severity {
        match self {
            Loop::Request => Severity::Warning,
            Loop::Shared | Loop::Call => b.severity,
        }
    }

    /// `on_server`: whether the coroutine is known to run on a server's loop (asked only
    /// for what is worth reporting there alone).
    fn reports(self, b: &Blocking, on_server: &dyn Fn() -> bool) -> bool {
        match self {
            Loop::Shared => !b.only_on_server_loops || on_server(),
            Loop::Request => !b.fine_in_sync,
            Loop::Call => b.raises,
        }
    }
}

/// A coroutine function TL302 checks: not test code, not an `async def` Celery task
/// (TL107: its body never runs). Whether it runs outside requests is asked apart: it
/// costs a search for its callers.
fn is_checked_coroutine(project: &Project, f: FuncRef) -> bool {
    project.scope(f).is_async
        && !project.is_test_function(f)
        && project
            .tasks
            .get(f)
            .is_none_or(|t| project.knowledge.frameworks[t.framework].id != "celery")
}

/// The calls TL302 follows from a coroutine: into project sync functions that run on its
/// thread, not into work the process keeps.
fn follows(project: &Project, e: &Edge) -> bool {
    sync_target(project, e.call).is_some() && !project.once_per_process_call(e.call)
}

/// The coroutine functions that reach sync function `f`, with the calls on the way.
/// `in_requests`: only those that run while requests are served (this asks for callers:
/// left out for a first, cheap count).
fn coroutines_reaching(
    project: &Project,
    f: FuncRef,
    site: Option<CallRef>,
    in_requests: bool,
) -> Vec<(FuncRef, Vec<Edge>)> {
    let mut roots = project.roots_reaching(
        f,
        site,
        project.settings.max_call_depth,
        |e| follows(project, e),
        |g| !project.scope(g).is_async,
        |g| is_checked_coroutine(project, g),
    );
    if in_requests && roots.len() >= SHARED_BY {
        roots.retain(|(g, _)| !project.runs_outside_requests(*g));
    }
    roots
}

/// A blocking call in a sync function that several coroutines reach: reported there,
/// once.
fn is_shared(project: &Project, site: CallRef) -> bool {
    project.call_owner(site).is_some_and(|f| {
        !project.scope(f).is_async
            && coroutines_reaching(project, f, Some(site), false).len() >= SHARED_BY
            && coroutines_reaching(project, f, Some(site), true).len() >= SHARED_BY
    })
}

pub fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    if !project.scope(func).is_async {
        report_shared(cx, func);
        return;
    }
    if !is_checked_coroutine(project, func) {
        return;
    }
    // Command-line and start-up code (and what only it calls) runs outside requests:
    // asked once, at the first finding.
    let outside = std::cell::OnceCell::new();
    // A view in a module nothing imports serves no request either.
    let outside_requests = || {
        *outside
            .get_or_init(|| project.runs_outside_requests(func) || project.in_unloaded_module(func))
    };
    let name = project.display_name(func);
    let handler = project.handlers.get(func);
    // Flask runs each async view in its own event loop on a worker thread, and asgiref
    // runs an `@async_to_sync` coroutine called from sync code in a loop of its own:
    // blocking it ties up that call only, as in a sync view, and what is fine in a sync
    // view is fine there.
    let on = if runs_on_own_loop(project, func) {
        Loop::Call
    } else if handler.is_some_and(|h| h.kind.starts_with("Flask")) {
        Loop::Request
    } else {
        Loop::Shared
    };
    // A coroutine that only `asyncio.run(...)` & co run, from sync code, is on a loop of
    // that call's own, as an `@async_to_sync` one is: asked at the first finding (it
    // searches for callers).
    let server = std::cell::OnceCell::new();
    let on_server = || *server.get_or_init(|| project.runs_on_server_loop(func));
    let own = std::cell::OnceCell::new();
    let on_for_report = || match on {
        Loop::Shared if *own.get_or_init(|| project.runs_only_on_own_loops(func)) => Loop::Call,
        l => l,
    };
    let depth = project.settings.max_call_depth;
    // What each call blocks on, asked once: the ORM queries among them decide which
    // query raises first.
    let calls: Vec<(CallRef, Option<Blocking>)> = project
        .graph
        .calls_in(func)
        .iter()
        .map(|&call| {
            // An awaited call returns an awaitable: it is async, whatever it does. Work
            // the process keeps (`@lru_cache`, a compute-once guard) blocks once, not
            // every time.
            let skip = project.call(call).awaited || project.once_per_process_call(call);
            (call, if skip { None } else { blocking(project, call) })
        })
        .collect();
    let raising: Vec<CallRef> = calls
        .iter()
        .filter(|(_, b)| b.as_ref().is_some_and(|b| b.raises))
        .map(|(c, _)| *c)
        .collect();
    for (call, found) in calls {
        let c = project.call(call);
        if c.awaited || project.once_per_process_call(call) {
            continue;
        }
        if let Some(b) = found.filter(|b| on.reports(b, &on_server)) {
            if b.raises && raised_before(project, &raising, call) {
                continue;
            }
            if outside_requests() {
                return;
            }
            let on = on_for_report();
            if !on.reports(&b, &on_server) {
                continue;
            }
            let severity = on.severity(&b);
            let d = cx.report(
                call.file,
                c.span,
                format!("`{}` in `async def {name}` {}", b.name, b.why),
            );
            d.severity(severity)
                .label(format!("{}: blocks the event loop", b.category));
            if b.raises {
                note_raised_after(project, d, &raising, call, &name);
            }
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
        let reached = |on: Loop| {
            find_blocking(project, call, target, depth - 1, on, &on_server)
                .filter(|(_, _, b)| !(b.raises && raised_before(project, &raising, call)))
        };
        let Some(first) = reached(on) else {
            continue;
        };
        if outside_requests() {
            return;
        }
        // A stricter loop reports a subset: the first blocking call it reports is the
        // first found when that one is among them.
        let on = on_for_report();
        let Some((path, site, b)) = (if on.reports(&first.2, &on_server) {
            Some(first)
        } else {
            reached(on)
        }) else {
            continue;
        };
        let severity = on.severity(&b);
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

/// An `async def` decorated to be called as a sync function (`@async_to_sync`): each
/// call runs it to completion in an event loop of that call's own.
fn runs_on_own_loop(project: &Project, f: FuncRef) -> bool {
    let own = &project.knowledge.offload.own_loop_decorators;
    !own.is_empty() && project.decorated_with(f, own)
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
/// offloaded ones) for the first blocking call, with the path that leads to it. What
/// `entry` (the coroutine's call of `start`) passes decides branches on the way, as it
/// does for TL301.
fn find_blocking(
    project: &Project,
    entry: CallRef,
    start: FuncRef,
    max_depth: usize,
    on: Loop,
    on_server: &dyn Fn() -> bool,
) -> Option<(Vec<Edge>, CallRef, Blocking)> {
    project.find_reachable(
        Some(entry),
        start,
        max_depth,
        |e| follows(project, e),
        |c| {
            if project.runs_once(c) {
                return None;
            }
            // A blocking call several coroutines share is reported where it is, once.
            blocking(project, c)
                .filter(|b| on.reports(b, on_server))
                .filter(|_| !is_shared(project, c))
        },
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
            fine_in_sync: slow.entry.async_only,
            raises: false,
            only_on_server_loops: slow.entry.only_on_server_loops,
        });
    }
    blocking_enqueue(project, call)
        .or_else(|| orm_query(project, call))
        .or_else(|| stored_file_io(project, call))
}

/// `notify.delay(...)`, `queue.enqueue(f)`: an enqueue whose client publishes to the
/// broker (or writes the database) synchronously, where it is written. A signature and
/// an enqueue deferred to the commit publish nothing there.
fn blocking_enqueue(project: &Project, call: CallRef) -> Option<Blocking> {
    let k = &project.knowledge.task_calls.blocking_enqueue;
    let e = enqueue(project, call)?;
    if e.returns == Returns::Signature || e.deferred || !k.queues.iter().any(|q| q == e.queue) {
        return None;
    }
    let c = project.call(call);
    let written = text(project, call, c.callee.span);
    // `t.si(a, b).apply_async`: the task and the method say it; the signature's
    // arguments only make the name long.
    let built_by = c.receiver().and_then(|r| match r.kind {
        ExprKind::Call(id) => project
            .call(CallRef {
                file: call.file,
                call: id,
            })
            .method_name(),
        _ => None,
    });
    let name = match (e.task, built_by, c.method_name()) {
        (Some(t), Some(s), Some(m)) if written.len() > 40 => {
            format!("{}.{s}(…).{m}", project.scope(t).name)
        }
        _ => abbreviate(written, 40),
    };
    Some(Blocking {
        name,
        category: "task enqueue".into(),
        why: "publishes the task to the broker synchronously: every other coroutine on the event loop waits for the round-trip".into(),
        help: Some(k.help.clone()),
        severity: Severity::Warning,
        how_slow: Some(k.how_slow.clone()),
        // A sync view waits for the broker too, and nothing better is on offer there.
        fine_in_sync: true,
        raises: false,
        only_on_server_loops: true,
    })
}

/// `doc.pdf.open()`, `doc.pdf.read()`, `doc.pdf.save(...)` on a model's file field: the
/// storage reads or writes the content synchronously (a disk, or S3 and the like over
/// HTTP).
fn stored_file_io(project: &Project, call: CallRef) -> Option<Blocking> {
    let files = &project.knowledge.django.files;
    let c = project.call(call);
    let (m, recv) = (c.method_name()?, c.receiver()?);
    if !files.stored_file_methods.iter().any(|x| x == m)
        || project.origin(call.file, c.scope, recv) != Origin::StoredFile
    {
        return None;
    }
    let recv_text = abbreviate(text(project, call, recv.span), 40);
    Some(Blocking {
        name: format!("{recv_text}.{m}()"),
        category: "file storage I/O".into(),
        why: "reads or writes the file in its storage on the event loop: every other coroutine on it waits until it returns".into(),
        help: Some(format!(
            "wrap the file work in `sync_to_async` (or `await asyncio.to_thread(...)`); `{recv_text}` is a FieldFile, whose storage does synchronous I/O"
        )),
        severity: Severity::Warning,
        how_slow: Some("milliseconds from a local disk; a network round-trip per call on a remote storage such as S3, and as long as the transfer takes".into()),
        fine_in_sync: true,
        raises: false,
        only_on_server_loops: false,
    })
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
        fine_in_sync: false,
        // Django raises on any running loop, a call's own too.
        raises: true,
        only_on_server_loops: false,
    })
}

/// The blocking calls of sync function `func` that `SHARED_BY` or more coroutines reach
/// through it: one finding each, at the call, naming the coroutines.
fn report_shared(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    // Whatever the call, no more coroutines reach it than reach the function.
    if project.is_test_function(func)
        || coroutines_reaching(project, func, None, false).len() < SHARED_BY
    {
        return;
    }
    let name = project.display_name(func);
    let raising = raising_calls(project, func, |c| {
        !project.call(c).awaited && !project.runs_once(c)
    });
    for &call in project.graph.calls_in(func) {
        let c = project.call(call);
        if c.awaited || project.runs_once(call) {
            continue;
        }
        let Some(b) = blocking(project, call) else {
            continue;
        };
        if b.raises && raised_before(project, &raising, call) {
            continue;
        }
        // A cheap count first; then only the coroutines that run while requests are
        // served (that asks for their callers).
        if coroutines_reaching(project, func, Some(call), false).len() < SHARED_BY {
            continue;
        }
        let mut roots = coroutines_reaching(project, func, Some(call), true);
        if b.only_on_server_loops {
            roots.retain(|(g, _)| project.runs_on_server_loop(*g));
        }
        if roots.len() < SHARED_BY {
            continue;
        }
        let (first, path) = &roots[0];
        let d = cx.report(
            call.file,
            c.span,
            format!(
                "`{}` in `{name}`, which {} async functions call, {}",
                b.name,
                roots.len(),
                b.why
            ),
        );
        d.severity(b.severity)
            .label(format!("{}: blocks the event loop", b.category))
            .note(format!(
                "`{name}` is reached from {} async functions: {}",
                roots.len(),
                name_roots(project, &roots)
            ))
            .note(format!(
                "call chain: {}",
                chain(project, *first, path, Some(&b.name))
            ));
        if b.raises {
            note_raised_after(project, d, &raising, call, &name);
        }
        if let Some(h) = &b.help {
            d.help(h.clone());
        }
    }
}

/// The calls of `func` that raise on an event loop (Django ORM queries), among those
/// `counted` keeps.
fn raising_calls(
    project: &Project,
    func: FuncRef,
    counted: impl Fn(CallRef) -> bool,
) -> Vec<CallRef> {
    project
        .graph
        .calls_in(func)
        .iter()
        .copied()
        .filter(|&c| counted(c) && blocking(project, c).is_some_and(|b| b.raises))
        .collect()
}

/// Another call of `raising` always runs before `call` and raises first: on the loop,
/// `call` is never reached. One cause, one finding.
fn raised_before(project: &Project, raising: &[CallRef], call: CallRef) -> bool {
    raising
        .iter()
        .any(|&r| r != call && runs_first(project.call(r), project.call(call)))
}

/// On the first of several ORM queries of a function, where the others are: they fail
/// the same way once this one is fixed.
fn note_raised_after(
    project: &Project,
    d: &mut crate::diagnostic::Diagnostic,
    raising: &[CallRef],
    call: CallRef,
    name: &str,
) {
    let first = project.call(call);
    let lines: Vec<String> = raising
        .iter()
        .filter(|&&r| r != call && runs_first(first, project.call(r)))
        .map(|&r| (project.files[r.file].line_index(project.call(r).span.start) + 1).to_string())
        .collect();
    if lines.is_empty() {
        return;
    }
    let (n, which) = match lines.len() {
        1 => (
            1,
            format!("query after it in `{name}` (line {}) never runs", lines[0]),
        ),
        n => (
            n,
            format!(
                "queries after it in `{name}` (lines {}) never run",
                lines.join(", ")
            ),
        ),
    };
    d.note(format!(
        "the {n} ORM {which} on the loop: this one raises first; they need the same fix"
    ));
}

/// `a` runs whenever `b` does, before it, and an exception from `a` skips `b`: the same
/// function body, `a` earlier, under no condition, loop, `try` or `with` that `b` is not
/// under too.
fn runs_first(a: &crate::model::Call, b: &crate::model::Call) -> bool {
    a.scope == b.scope
        && a.span.end <= b.span.start
        && a.guards.iter().all(|g| {
            b.guards
                .iter()
                .any(|h| h.cond.span == g.cond.span && h.when == g.when)
        })
        && a.tries.iter().all(|t| b.tries.contains(t))
        && a.loops.iter().all(|l| b.loops.contains(l))
        && a.withs
            .iter()
            .all(|w| b.withs.iter().any(|x| x.span == w.span))
}
