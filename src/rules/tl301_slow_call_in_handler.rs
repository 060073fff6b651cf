//! TL301 slow-call-in-handler: network, mail, sleep, subprocess or heavy file work in a
//! sync request handler, directly or through project functions.

use super::context::{Reaches, chain, report_reached};
use super::slow_calls::{SHARED_BY, SlowMatch, instead, name_roots, slow_call};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::Diagnostic;
use crate::index::callgraph::Edge;
use crate::index::signals::SignalEdge;
use crate::index::{CallRef, FuncRef, Project};

pub static RULE: Rule = Rule {
    info: &catalogue::TL301,
    // Then library views that make a slow call themselves, where the project mounts them.
    check: Check::FunctionAndProject(check, super::mounted_views::report),
};

/// A handler TL301 checks: sync (an async one is TL302's), not test code.
fn is_root(project: &Project, f: FuncRef) -> bool {
    project.handlers.get(f).is_some() && !project.scope(f).is_async && !project.is_test_function(f)
}

/// The calls TL301 follows from a handler: not into a task (its body runs on a worker),
/// not into work the process keeps.
fn follows(project: &Project, e: &Edge) -> bool {
    project.tasks.get(e.target).is_none() && !project.once_per_process_call(e.call)
}

/// The handlers (other than `f`) that reach `site`, a call of `f`, with the calls on the
/// way.
fn handlers_reaching(project: &Project, f: FuncRef, site: CallRef) -> Vec<(FuncRef, Vec<Edge>)> {
    project.roots_reaching(
        f,
        Some(site),
        project.settings.max_call_depth,
        |e| follows(project, e),
        |_| true,
        |g| is_root(project, g),
    )
}

/// A slow call in a function that several handlers reach: reported there, once.
fn is_shared(project: &Project, site: CallRef) -> bool {
    shared_by(project, site).is_some()
}

/// How many handlers reach `site` when TL301 reports it at the site itself, once for
/// them all (`SHARED_BY` or more); `None` when each handler's own call is reported.
pub(crate) fn shared_by(project: &Project, site: CallRef) -> Option<usize> {
    let f = project.call_owner(site)?;
    let n = handlers_reaching(project, f, site).len();
    (n >= SHARED_BY).then_some(n)
}

fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    report_shared(cx, func);
    let Some(handler) = project.handlers.get(func) else {
        return;
    };
    // In an async handler the same call blocks the event loop: that is TL302's finding.
    if !is_root(project, func) {
        return;
    }
    // A view in a module nothing imports (a copy beside the routed one) serves no
    // request: asked once, at the first finding.
    let unloaded = std::cell::OnceCell::new();
    let unloaded = || *unloaded.get_or_init(|| project.in_unloaded_module(func));
    let name = project.display_name(func);
    let depth = project.settings.max_call_depth;
    report_decorators(cx, func, &name);
    for &call in project.graph.calls_in(func) {
        let c = project.call(call);
        // Work the process keeps (`@lru_cache`, a compute-once guard) runs once, not in
        // every request.
        if project.once_per_process_call(call) {
            continue;
        }
        if let Some(slow) = slow_call(project, call, false) {
            if unloaded() {
                return;
            }
            let d = cx.report(
                call.file,
                c.span,
                format!(
                    "`{}` in request handler `{name}` {}",
                    slow.name, slow.entry.why
                ),
            );
            d.severity(slow.entry.severity)
                .label(format!(
                    "{}: the response waits for this",
                    slow.entry.category
                ))
                .note(handler.note(&name));
            let others = handlers_reaching(project, func, call);
            if others.len() >= SHARED_BY {
                d.note(format!(
                    "`{name}` is also called by {} other request handlers: {}",
                    others.len(),
                    name_roots(project, &others)
                ));
            }
            advise(d, project, &slow, &name);
            continue;
        }
        // The function the call runs, then the signal receivers it runs
        // (`order.save()` runs the `post_save` receivers of `Order`), the functions
        // it hands the target to call (`with_retry(fetch)` runs `fetch`) and the
        // subclasses' overrides of a hook the class leaves to them (`self.run()`).
        let target = project
            .call_target(call)
            .filter(|t| !project.runs_elsewhere_when_called(*t));
        let mut targets: Vec<FuncRef> = target.into_iter().collect();
        targets.extend(
            project
                .graph
                .edges(func)
                .iter()
                .filter(|e| e.call == call && Some(e.target) != target)
                .map(|e| e.target),
        );
        if depth == 0 {
            continue;
        }
        let found = targets.into_iter().find_map(|target| {
            // A task called directly is TL101's finding; its body is not followed here.
            if project.tasks.get(target).is_some() {
                return None;
            }
            project
                .find_reachable(
                    Some(call),
                    target,
                    depth - 1,
                    |e| {
                        project.tasks.get(e.target).is_none()
                            && !project.once_per_process_call(e.call)
                    },
                    |c2| {
                        if project.runs_once(c2) {
                            return None;
                        }
                        // A slow call several handlers share is reported where it is, once.
                        slow_call(project, c2, false).filter(|_| !is_shared(project, c2))
                    },
                )
                .map(|found| (target, found))
        });
        let Some((target, (path, slow_site, slow))) = found else {
            continue;
        };
        if unloaded() {
            return;
        }
        let d = report_reached(
            cx,
            call,
            target,
            func,
            &format!("in request handler `{name}`"),
            Reaches {
                path: path.clone(),
                site: slow_site,
                name: &slow.name,
                why: &slow.entry.why,
                label: format!("reaches a slow call ({})", slow.entry.category),
            },
        );
        d.severity(slow.entry.severity).note(handler.note(&name));
        let first = Edge { call, target };
        if let Some(note) = signal_note(project, std::iter::once(&first).chain(&path)) {
            d.note(note);
        }
        advise(d, project, &slow, &name);
    }
}

/// A project decorator on the handler runs its wrapper around every request: a slow call
/// the wrapper makes before or after calling the handler (`@require_token` fetching an
/// access token) holds the request too. Reported at the decorator.
fn report_decorators(cx: &mut Checker, func: FuncRef, name: &str) {
    let project = cx.project;
    let depth = project.settings.max_call_depth;
    if depth == 0 {
        return;
    }
    for d in &project.scope(func).decorators {
        let Some(wrapper) = project.decorator_wrapper(func, &d.expr) else {
            continue;
        };
        let Some((path, site, slow)) = project.find_reachable(
            None,
            wrapper,
            depth - 1,
            |e| follows(project, e),
            |c| {
                if project.runs_once(c) {
                    return None;
                }
                slow_call(project, c, false)
            },
        ) else {
            continue;
        };
        let text = project.files[func.file].slice(d.expr.span).to_string();
        let chain_text = format!(
            "{name} ← @{text} → {}",
            chain(project, wrapper, &path, Some(&slow.name))
        );
        let d = cx.report(
            func.file,
            d.expr.span,
            format!(
                "decorator `@{text}` of request handler `{name}` reaches `{}`, which {}",
                slow.name, slow.entry.why
            ),
        );
        d.severity(slow.entry.severity)
            .label(format!(
                "its wrapper runs around every request: reaches a slow call ({})",
                slow.entry.category
            ))
            .note(format!("call chain: {chain_text}"))
            .related(
                site.file,
                project.call(site).span,
                format!("`{}` is called here", slow.name),
            );
        advise(d, project, &slow, name);
    }
}

/// How slow the call is (a note) and what to do instead (the help line).
fn advise(d: &mut Diagnostic, project: &Project, slow: &SlowMatch, handler: &str) {
    if let Some(how) = &slow.entry.how_slow {
        d.note(format!("how slow: {how}"));
    }
    if let Some(instead) = instead(project, slow.entry, &slow.name, handler) {
        d.help(instead);
    }
}

/// Why a chain goes into a signal receiver (its first such step), when it does.
fn signal_note<'a>(project: &Project, mut path: impl Iterator<Item = &'a Edge>) -> Option<String> {
    path.find_map(|e| {
        let s: &SignalEdge = project.graph.signal_edge(e.call, e.target)?;
        let receiver = project.display_name(e.target);
        Some(match &s.sender {
            Some(model) if s.hook => format!(
                "`{receiver}` is hooked to `{model}` with `{}`: the model's own `save()` / `delete()` calls it before returning",
                s.signal
            ),
            Some(model) => format!(
                "`{receiver}` receives `{}` from `{model}`: Django runs it inside the call that sends it, before that call returns",
                s.signal
            ),
            None => format!(
                "`{receiver}` is connected to `{}`: sending the signal runs it before returning",
                s.signal
            ),
        })
    })
}

/// The slow calls of `func` (not a handler itself) that `SHARED_BY` or more handlers reach
/// through it: one finding each, at the call, naming the handlers.
fn report_shared(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    if is_root(project, func) || project.is_test_function(func) {
        return;
    }
    let name = project.display_name(func);
    for &call in project.graph.calls_in(func) {
        if project.runs_once(call) {
            continue;
        }
        let Some(slow) = slow_call(project, call, false) else {
            continue;
        };
        let roots = handlers_reaching(project, func, call);
        if roots.len() < SHARED_BY {
            continue;
        }
        let (first, path) = &roots[0];
        let c = project.call(call);
        let d = cx.report(
            call.file,
            c.span,
            format!(
                "`{}` in `{name}`, which {} request handlers call, {}",
                slow.name,
                roots.len(),
                slow.entry.why
            ),
        );
        d.severity(slow.entry.severity)
            .label(format!(
                "{}: the response waits for this",
                slow.entry.category
            ))
            .note(format!(
                "`{name}` is reached from {} request handlers: {}",
                roots.len(),
                name_roots(project, &roots)
            ))
            .note(format!(
                "call chain: {}",
                chain(project, *first, path, Some(&slow.name))
            ));
        if let Some(note) = signal_note(project, path.iter()) {
            d.note(note);
        }
        if let Some(instead) = instead(project, slow.entry, &slow.name, &name) {
            d.help(instead);
        }
    }
}
