//! Matching calls against the slow-call catalogue (`rules/python/slow_calls.toml`),
//! shared by TL301 and TL302.

use crate::index::callgraph::Edge;
use crate::index::{CallRef, FuncRef, Project, Value};
use crate::knowledge::{PathPattern, QuietWhen, SlowCall};
use crate::model::{BoundValue, ExprKind};

/// One cause, one finding: a slow call in a project function that this many handlers (or
/// coroutines) reach is reported once, at that call, instead of once per handler.
pub const SHARED_BY: usize = 3;

/// `a`, `b`, `c` and 2 more: the functions that reach a shared slow call.
pub fn name_roots(project: &Project, roots: &[(FuncRef, Vec<Edge>)]) -> String {
    let shown = &roots[..roots.len().min(SHARED_BY)];
    let short: Vec<String> = shown
        .iter()
        .map(|(r, _)| project.display_name(*r))
        .collect();
    // Two handlers of the same name (a `watch` view in two apps) are told apart by
    // their modules.
    let names: Vec<String> = shown
        .iter()
        .zip(&short)
        .map(|((r, _), name)| {
            if short.iter().filter(|n| *n == name).count() > 1 {
                format!("`{}`", project.qualname(*r))
            } else {
                format!("`{name}`")
            }
        })
        .collect();
    let rest = roots.len().saturating_sub(SHARED_BY);
    match rest {
        0 => match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, init)) => format!("{} and {last}", init.join(", ")),
            None => String::new(),
        },
        n => format!("{} and {n} more", names.join(", ")),
    }
}

pub struct SlowMatch<'k> {
    pub entry: &'k SlowCall,
    /// How to name the call in a message: `requests.post`, `requests.Session.get`.
    pub name: String,
}

/// The catalogue entry a call matches, if any. `async_context`: include the entries
/// that only block an event loop (`open()`, ...).
pub fn slow_call(project: &Project, call: CallRef, async_context: bool) -> Option<SlowMatch<'_>> {
    let found = catalogued(project, call, async_context)?;
    // One cause, one finding: `Image.open(f).convert("RGB").save(out)` and `page =
    // stripe.Customer.list(); page.auto_paging_iter()` are reported at their first slow
    // call only.
    if receiver_is_slow(project, call, async_context, 8)
        || (found.entry.waits_once && waited_before(project, call, found.entry))
    {
        return None;
    }
    Some(found)
}

/// What a method call's receiver starts from, attributes read on the way dropped (`p` of
/// `p.stdout.read()`, `a()` of `a().b.c()`).
fn receiver_root(c: &crate::model::Call) -> Option<&crate::model::Expr> {
    let mut recv = c.receiver()?;
    while let ExprKind::Attr(base, _) = &recv.kind {
        recv = base;
    }
    Some(recv)
}

/// The object a method call is made on, as a local name (`p` of `p.stdout.read()`).
fn receiver_name(c: &crate::model::Call) -> Option<&str> {
    match &receiver_root(c)?.kind {
        ExprKind::Name(n) => Some(n.as_str()),
        _ => None,
    }
}

/// An earlier call of `entry` in the same function on the same object (the same binding
/// of its name), in a branch that can run with this one: `p.wait()` before
/// `p.stdout.readlines()`.
fn waited_before(project: &Project, call: CallRef, entry: &SlowCall) -> bool {
    let model = &project.models[call.file];
    let c = project.call(call);
    let Some(name) = receiver_name(c) else {
        return false;
    };
    // An object the function made (`p = Popen(...)`), not a module or a parameter.
    let function = model.enclosing_function(c.scope);
    let Some(bound) = project
        .binding_at(call.file, c.scope, name, c.span.start)
        .filter(|b| {
            model.enclosing_function(b.scope) == function
                && matches!(b.binding.value, BoundValue::Expr(_))
        })
    else {
        return false;
    };
    model.calls.iter().enumerate().any(|(id, other)| {
        other.span.end <= c.span.start
            && model.enclosing_function(other.scope) == function
            && receiver_name(other) == Some(name)
            && !c.excludes(other)
            && project
                .binding_at(call.file, other.scope, name, other.span.start)
                .is_some_and(|b| std::ptr::eq(b.binding, bound.binding))
            && catalogued(
                project,
                CallRef {
                    file: call.file,
                    call: id,
                },
                true,
            )
            .is_some_and(|m| std::ptr::eq(m.entry, entry))
    })
}

/// Does the receiver of a method call come from a slow call, directly (`a().b()`) or
/// through a local name bound to one (`x = a(); x.b()`, `x = x.b()`), attributes read
/// on the way included (`sf = Salesforce(...); sf.Lead.create(...)`)?
fn receiver_is_slow(project: &Project, call: CallRef, async_context: bool, budget: u32) -> bool {
    if budget == 0 {
        return false;
    }
    let c = project.call(call);
    let mut recv = receiver_root(c);
    // `x`: the value it was bound to where the call is made, when that is a call made
    // in the same function (a client connected once at module level is not this
    // request's slow call: what the request does with it is).
    if let Some(crate::model::Expr {
        kind: ExprKind::Name(n),
        ..
    }) = recv
        && let Some(b) = project.binding_at(call.file, c.scope, n, c.span.start)
        && b.scope == c.scope
        && let BoundValue::Expr(e) = &b.binding.value
    {
        recv = Some(e);
    }
    let Some(ExprKind::Call(inner)) = recv.map(|r| &r.kind) else {
        return false;
    };
    let inner = CallRef {
        file: call.file,
        call: *inner,
    };
    catalogued(project, inner, async_context).is_some()
        || receiver_is_slow(project, inner, async_context, budget - 1)
}

fn catalogued(project: &Project, call: CallRef, async_context: bool) -> Option<SlowMatch<'_>> {
    catalogue_entry(project, call, async_context, true)
}

/// A call the catalogue lists but a project setting makes quiet (`send_mail` with a
/// queueing `EMAIL_BACKEND`), with the setting's reason and value: for `explain`.
pub fn quieted_call(project: &Project, call: CallRef) -> Option<(&QuietWhen, String)> {
    let found = catalogue_entry(project, call, true, false)?;
    quieted_by(project, found.entry)
}

fn catalogue_entry(
    project: &Project,
    call: CallRef,
    async_context: bool,
    unless_quieted: bool,
) -> Option<SlowMatch<'_>> {
    let value = project.callee(call);
    // A project function can be a slow call too, when the configuration names it
    // (`slow-calls`).
    let last = match value {
        Value::Function(f) => project.scope(*f).name.as_str(),
        _ => value.last_name()?,
    };
    let tops = tops(project, value);
    let tops: Vec<&str> = tops.iter().map(String::as_str).collect();
    project
        .knowledge
        .slow_call_candidates(last, &tops)
        .find(|(entry, pattern)| {
            (async_context || !entry.async_only)
                && entry.admits(last)
                && project.matches(value, pattern)
                && (!entry.only_in_with || is_with_item(project, call))
                && (!unless_quieted || quieted_by(project, entry).is_none())
                && !(entry.unless_project_command && project.project_command(call).is_some())
                && !turned_off(project, call, entry)
        })
        .map(|(entry, pattern)| SlowMatch {
            entry,
            name: display(project, call, pattern),
        })
}

/// A keyword argument written `False` that turns the slow part of the call off, no
/// argument given that turns it on (one written `False` counts as not given), or an
/// argument that makes it slow written as none of its slow strings.
fn turned_off(project: &Project, call: CallRef, entry: &SlowCall) -> bool {
    let c = project.call(call);
    let is_false = |e: &crate::model::Expr| matches!(e.kind, ExprKind::Bool(false));
    let off = entry
        .off_with_false
        .iter()
        .any(|k| c.keyword(k).is_some_and(|a| is_false(&a.value)));
    let on = |arg: &crate::knowledge::ArgumentName| {
        argument(c, &arg.keyword, arg.position).is_some_and(|a| !is_false(&a.value))
    };
    let other_value = entry.only_with_string.as_ref().is_some_and(|only| {
        !argument(c, &only.keyword, only.position).is_some_and(|a| {
            a.value
                .as_str()
                .is_some_and(|v| only.values.iter().any(|x| x == v))
        })
    });
    off || other_value || (!entry.on_with_true.is_empty() && !entry.on_with_true.iter().any(on))
}

/// The argument a call passes by `keyword`, or at `position` when it can be positional.
fn argument<'c>(
    c: &'c crate::model::Call,
    keyword: &str,
    position: Option<usize>,
) -> Option<&'c crate::model::Arg> {
    c.keyword(keyword)
        .or_else(|| position.and_then(|p| c.positional().nth(p)))
}

/// The setting that makes a catalogue entry quiet in this project, with the value it
/// has: `EMAIL_BACKEND` naming a backend that queues the mail makes Django's mail API
/// an enqueue. Every string the project's settings assign to it must be one of the
/// entry's values (a development override to the console backend keeps it loud).
pub fn quieted_by<'a>(
    project: &'a Project,
    entry: &'a SlowCall,
) -> Option<(&'a QuietWhen, String)> {
    let q = entry.quiet_when.as_ref()?;
    let mut found = None;
    for (_, b) in project.settings_bindings(&q.setting) {
        let BoundValue::Expr(e) = &b.value else {
            continue;
        };
        let Some(s) = e.as_str() else { continue };
        if !q.values.iter().any(|v| v == s) {
            return None;
        }
        found = Some(s.to_string());
    }
    found.map(|s| (q, s))
}

/// The top-level packages a value can come from, for the patterns that take any name:
/// what `boto3.client(...)` returns comes from `boto3`; an instance of a project class,
/// from its module's package and from those of its external bases (`class
/// Client(WebClient)`).
fn tops(project: &Project, value: &Value) -> Vec<String> {
    let mut v = value;
    while let Value::Attr(inner, _) | Value::Returned(inner) = v {
        v = inner;
    }
    let top = |p: &str| p.split('.').next().unwrap_or_default().to_string();
    match v {
        Value::External(p) => vec![top(p)],
        Value::Function(f) => vec![top(&project.qualname(*f))],
        Value::Class(c) | Value::Instance(c) => {
            let (classes, external) = project.class_ancestry(*c);
            let mut out: Vec<String> = external.iter().map(|p| top(p)).collect();
            out.extend(classes.iter().map(|c| top(&project.class_qualname(*c))));
            out.sort();
            out.dedup();
            out
        }
        _ => Vec::new(),
    }
}

/// Is the call a `with` item (`with Popen(...) as p:`)? Then its context manager's exit
/// runs at the end of the block, in the same function.
fn is_with_item(project: &Project, call: CallRef) -> bool {
    let model = &project.models[call.file];
    let is_it = |e: &crate::model::Expr| e.as_call() == Some(call.call);
    let scope = model.calls[call.call].scope;
    model.scopes[scope]
        .bindings
        .iter()
        .any(|b| matches!(&b.value, crate::model::BoundValue::WithOf(e) if is_it(e)))
        || model.calls.iter().any(|c| c.withs.iter().any(is_it))
}

/// The help line of a catalogue entry, `{enqueue}` spelled with the project's own task
/// framework (`.delay()` for Celery, `.send()` for Dramatiq, ...): the framework most of
/// the project's tasks use; left out when the project has no task yet. `{call}` and
/// `{handler}` become the slow call and the handler of the finding.
pub fn instead(project: &Project, entry: &SlowCall, call: &str, handler: &str) -> Option<String> {
    let text = entry
        .instead
        .as_ref()?
        .replace("{call}", call)
        .replace("{handler}", handler);
    if !text.contains("{enqueue}") {
        return Some(text);
    }
    let mut counts = vec![0usize; project.knowledge.frameworks.len()];
    for t in project.tasks.iter() {
        counts[t.framework] += 1;
    }
    let Some(enqueue) = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        // The most used framework; the first in the knowledge order on a tie.
        .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))
        .map(|(i, _)| {
            let f = &project.knowledge.frameworks[i];
            if f.enqueue_hint.is_empty() {
                // Huey, django-background-tasks: calling the task enqueues it.
                "calling the task enqueues it".to_string()
            } else {
                format!("enqueue it with `.{}()`", f.enqueue_hint)
            }
        })
    else {
        // A project with no task yet: no enqueue call to name.
        return Some(
            text.replace(" ({enqueue})", "")
                .replace("{enqueue}", "enqueue it"),
        );
    };
    Some(text.replace("{enqueue}", &enqueue))
}

/// A module-level function by its qualified name (`requests.post`, whatever the import
/// alias); a method on a client or image by the code as written (`s3.upload_fileobj`).
fn display(project: &Project, call: CallRef, pattern: &PathPattern) -> String {
    if pattern.steps.is_empty() {
        // The name the value resolved to: a prefix pattern (`stripe.*`) matched a longer one.
        let root = match project.callee(call) {
            Value::External(p) => p.as_str(),
            _ => pattern.root.as_str(),
        };
        return root.strip_prefix("builtins.").unwrap_or(root).to_string();
    }
    let callee = &project.call(call).callee;
    crate::rules::context::abbreviate(project.files[call.file].slice(callee.span), 40)
}
