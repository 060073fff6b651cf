//! TL305 detached-spawn-in-handler (opt-in): `tokio::spawn` / `std::thread::spawn` (or a
//! project helper that spawns and drops the handle) in a request handler, or code it
//! reaches, whose handle is dropped: the work is lost on shutdown and its panics vanish.

use super::context::{abbreviate, handler_note, in_handler, text};
use super::rust_blocking::rust_path;
use super::{Check, Checker, Rule};
use crate::catalogue;
use std::collections::HashSet;

use crate::index::rust::WrapperKind;
use crate::index::{CallRef, Project, Value};
use crate::model::{BoundValue, CallId, Expr, ExprKind, FileModel, ScopeId, ScopeKind, Span};
use crate::source::FileId;

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
        && project_code(project, f.file)
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
    // A framework's own source in the tree: its spawns are not the project's.
    if !project_code(project, call.file) {
        return;
    }
    let Some(handler) = in_handler(project, call) else {
        return;
    };
    // A spawn inside a task that was itself spawned runs after the response: the outer
    // spawn is the request's (and is reported).
    if inside_spawn(project, call)
        || handler
            .reached
            .path
            .iter()
            .any(|e| inside_spawn(project, e.call))
    {
        return;
    }
    // Tasks that belong to a connection end with it: not work the request detaches.
    if in_connection_callback(project, call) || pumps_for_the_caller(project, call) {
        return;
    }
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

/// Is the call part of the future another spawn call is given (`tokio::spawn(async move
/// { .. call .. })`, `tokio::spawn(helper(x))`)?
fn inside_spawn(project: &Project, call: CallRef) -> bool {
    let model = &project.models[call.file];
    let span = model.calls[call.call].span;
    model.calls.iter().enumerate().any(|(i, c)| {
        i != call.call
            && c.args_span.start <= span.start
            && span.end <= c.args_span.end
            && project.rust_is_spawn(CallRef {
                file: call.file,
                call: i,
            })
    })
}

/// Code of the project: not a framework crate checked out in the tree (axum's source
/// next to its examples).
fn project_code(project: &Project, file: FileId) -> bool {
    !project
        .rust_crate_of(file)
        .is_some_and(|k| project.rust_is_framework_crate(k))
}

/// Inside a closure that runs once a connection is upgraded (`ws.on_upgrade(|socket|
/// async move { .. })`): what it spawns serves that connection.
fn in_connection_callback(project: &Project, call: CallRef) -> bool {
    let model = &project.models[call.file];
    let methods = &project.knowledge.rust.spawn.connection_callbacks;
    let mut scope = model.calls[call.call].scope;
    while model.scopes[scope].kind == ScopeKind::Lambda {
        if let Some((outer, _)) = model.scopes[scope].passed_to
            && model.calls[outer]
                .method_name()
                .is_some_and(|m| methods.iter().any(|x| x == m))
        {
            return true;
        }
        match model.scopes[scope].parent {
            Some(p) => scope = p,
            None => break,
        }
    }
    false
}

/// A pump: the spawned future holds one end of a connected pair (a channel, a
/// websocket's session and stream) whose other end the calling function keeps, returns
/// or awaits, so the task ends with that connection (`let (tx, rx) = channel(8);
/// spawn(async move { .. tx.send(..) .. }); SendStream { rx }`).
fn pumps_for_the_caller(project: &Project, call: CallRef) -> bool {
    let model = &project.models[call.file];
    let c = &model.calls[call.call];
    let mut names: HashSet<&str> = HashSet::new();
    for a in &c.args {
        names_in(model, &a.value, &mut names, 0, true);
    }
    let func = model.enclosing_function(c.scope);
    let inside_func = |mut s: ScopeId| loop {
        if s == func {
            return true;
        }
        match model.scopes[s].parent {
            Some(p) => s = p,
            None => return false,
        }
    };
    // The pairs built in the function: (constructor call, element index, name).
    let mut ends: Vec<(CallId, i64, &str)> = Vec::new();
    for (i, s) in model.scopes.iter().enumerate() {
        if !inside_func(i) {
            continue;
        }
        for b in &s.bindings {
            if let BoundValue::Expr(e) = &b.value
                && let ExprKind::Subscript(base, index) = &e.kind
                && let (ExprKind::Call(cid), ExprKind::Int(k)) = (&base.kind, &index.kind)
            {
                ends.push((*cid, *k, b.name.as_str()));
            }
        }
    }
    let pairs = &project.knowledge.rust.spawn.pairs;
    let is_pair = |cid: CallId| {
        let v = project.callee(CallRef {
            file: call.file,
            call: cid,
        });
        pairs.iter().any(|p| project.matches(v, p))
    };
    let outside = |sp: Span| sp.end <= c.span.start || sp.start >= c.span.end;
    for (cid, k, name) in &ends {
        if !names.contains(name) || !is_pair(*cid) {
            continue;
        }
        let others: HashSet<&str> = ends
            .iter()
            .filter(|(c2, k2, _)| c2 == cid && k2 != k)
            .map(|(_, _, n)| *n)
            .collect();
        let kept = model.calls.iter().any(|x| {
            inside_func(x.scope) && outside(x.span) && {
                // Closures are not entered: their calls are among those looked at.
                let mut used = HashSet::new();
                names_in(model, &x.callee, &mut used, 0, false);
                for a in &x.args {
                    names_in(model, &a.value, &mut used, 0, false);
                }
                used.iter().any(|u| others.contains(u))
            }
        }) || model.scopes.iter().enumerate().any(|(i, s)| {
            inside_func(i)
                && s.bindings.iter().any(|b| {
                    matches!(&b.value, BoundValue::Expr(e)
                        if outside(e.span) && matches!(&e.kind, ExprKind::Name(n) if others.contains(n.as_str())))
                })
        });
        if kept {
            return true;
        }
    }
    false
}

/// The local names an expression uses, through receivers, call arguments and (with
/// `lambdas`) the calls of closures and async blocks written in it.
fn names_in<'m>(
    model: &'m FileModel,
    e: &'m Expr,
    out: &mut HashSet<&'m str>,
    depth: u32,
    lambdas: bool,
) {
    if depth > 32 {
        return;
    }
    match &e.kind {
        ExprKind::Name(n) => {
            out.insert(n.as_str());
        }
        ExprKind::Attr(base, _) | ExprKind::Subscript(base, _) | ExprKind::Starred(base) => {
            names_in(model, base, out, depth + 1, lambdas)
        }
        ExprKind::Call(id) => {
            let c = &model.calls[*id];
            names_in(model, &c.callee, out, depth + 1, lambdas);
            for a in &c.args {
                names_in(model, &a.value, out, depth + 1, lambdas);
            }
        }
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            for i in items {
                names_in(model, i, out, depth + 1, lambdas);
            }
        }
        ExprKind::Lambda(l) if lambdas => {
            let inside = |mut s: ScopeId| loop {
                if s == *l {
                    return true;
                }
                match model.scopes[s].parent {
                    Some(p) => s = p,
                    None => return false,
                }
            };
            // The closure's own calls, without entering closures again.
            for c in model.calls.iter().filter(|c| inside(c.scope)) {
                names_in(model, &c.callee, out, depth + 1, false);
                for a in &c.args {
                    names_in(model, &a.value, out, depth + 1, false);
                }
            }
        }
        _ => {}
    }
}
