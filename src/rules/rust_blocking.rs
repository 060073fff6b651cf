//! Matching Rust calls against the blocking catalogue (`rules/rust/blocking_calls.toml`)
//! in async context, directly or through project sync functions; shared by TL302 (Rust
//! part) and TL304.

use std::collections::{HashSet, VecDeque};

use super::Checker;
use super::context::{Reaches, handler_note, in_handler, report_reached};
use super::rust_small_inputs::receiver_built_small;
use crate::diagnostic::{Applicability, Edit, Fix, Severity};
use crate::index::callgraph::Edge;
use crate::index::rust::context::AsyncContext;
use crate::index::rust::resolve::{origin, path_under};
use crate::index::{CallRef, FuncRef, Project, Value};
use crate::knowledge::PathPattern;
use crate::knowledge::rust::{BlockingCall, BlockingSeverity};
use crate::model::{ExprKind, ScopeKind};

pub struct BlockingMatch<'k> {
    pub entry: &'k BlockingCall,
    /// How to name the call: `std::fs::read`, `std::process::Command::output`.
    pub name: String,
}

/// `std.fs.read` → `std::fs::read`
pub fn rust_path(dotted: &str) -> String {
    dotted.replace('.', "::")
}

/// The catalogue entry of `rule` (TL302 or TL304) a call matches. A call that is
/// `.await`ed is the async API of the same name, and never matches.
///
/// The answer is kept per call (on this thread, for this project): the chains of many
/// async functions cross the same sync helpers.
pub fn blocking_call<'p>(
    project: &'p Project,
    call: CallRef,
    rule: &str,
) -> Option<BlockingMatch<'p>> {
    let key = (project.rust.id, call, rule == "TL304");
    if let Some(hit) = MATCH_CACHE.with(|m| m.borrow().get(&key).cloned()) {
        return hit.map(|(i, name)| BlockingMatch {
            entry: &project.knowledge.rust.blocking[i],
            name,
        });
    }
    let found = blocking_call_uncached(project, call, rule);
    MATCH_CACHE.with(|m| {
        let mut m = m.borrow_mut();
        if m.keys().next().is_some_and(|k| k.0 != project.rust.id) {
            m.clear();
        }
        m.insert(key, found.clone());
    });
    found.map(|(i, name)| BlockingMatch {
        entry: &project.knowledge.rust.blocking[i],
        name,
    })
}

type MatchCache = std::collections::HashMap<(usize, CallRef, bool), Option<(usize, String)>>;

thread_local! {
    static MATCH_CACHE: std::cell::RefCell<MatchCache> = std::cell::RefCell::new(MatchCache::new());
}

fn blocking_call_uncached(project: &Project, call: CallRef, rule: &str) -> Option<(usize, String)> {
    let c = project.call(call);
    if c.awaited || c.is_macro {
        return None;
    }
    let callee = project.callee(call);
    // A project function is named by its path: computed once, not once per pattern.
    let qualname = match callee {
        Value::Function(f) => Some(project.qualname(*f)),
        _ => None,
    };
    project
        .knowledge
        .rust
        .blocking
        .iter()
        .enumerate()
        .filter(|(_, e)| e.rule == rule)
        .find_map(|(i, entry)| {
            entry_matches(project, call, callee, qualname.as_deref(), entry).map(|name| (i, name))
        })
}

/// `project.matches(callee, p)`, with a project function's path given.
fn callee_matches(
    project: &Project,
    callee: &Value,
    qualname: Option<&str>,
    p: &PathPattern,
) -> bool {
    match qualname {
        Some(q) => p.steps.is_empty() && p.root_matches(q),
        None => project.matches(callee, p),
    }
}

fn entry_matches(
    project: &Project,
    call: CallRef,
    callee: &Value,
    qualname: Option<&str>,
    entry: &BlockingCall,
) -> Option<String> {
    if let Some(p) = entry
        .calls
        .iter()
        .find(|p| callee_matches(project, callee, qualname, p))
    {
        if first_arg_from(project, call, &entry.unless_first_arg).is_some() {
            return None;
        }
        return Some(display(p, callee));
    }
    let c = project.call(call);
    let method = c.method_name()?;
    if !entry.methods.iter().any(|m| m == method) {
        return None;
    }
    // A method of a project type is the project's own, whatever its name.
    let base = match callee {
        Value::Attr(base, _) => Some(base.as_ref()),
        _ => None,
    };
    if !entry.receivers.is_empty() {
        let o = origin(base?)?;
        let r = entry.receivers.iter().find(|r| path_under(o, &r.root))?;
        // `Client::new().get(u).send()`: the chain's first blocking call is the finding.
        if receiver_blocks(project, call, 16) {
            return None;
        }
        if receiver_built_small(project, call, &entry.small_inputs) {
            return None;
        }
        let recv = rust_path(&r.root);
        // A type (`std::process::Command::output`), or a crate or module
        // (`send` from `reqwest::blocking`).
        let last = recv.rsplit("::").next().unwrap_or(&recv);
        if last.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Some(format!("{recv}::{method}"));
        }
        return Some(format!("{method}` from `{recv}"));
    }
    if !entry.args.is_empty() {
        // The receiver is a query whose type tasklint rarely knows; the connection
        // argument decides.
        if matches!(callee, Value::Function(_)) {
            return None;
        }
        let r = first_arg_from(project, call, &entry.args)?;
        return Some(format!("{method}` on a `{}", rust_path(&r.root)));
    }
    // A name only one API uses (tokio's `blocking_lock`).
    match callee {
        Value::Function(_) => None,
        _ => Some(method.to_string()),
    }
}

/// The one of `paths` the call's first positional argument comes from, if any.
fn first_arg_from<'a>(
    project: &Project,
    call: CallRef,
    paths: &'a [PathPattern],
) -> Option<&'a PathPattern> {
    if paths.is_empty() {
        return None;
    }
    let c = project.call(call);
    let first = c.positional().next()?;
    let v = project.resolve(call.file, c.scope, &first.value);
    let o = origin(&v)?;
    paths.iter().find(|r| path_under(o, &r.root))
}

/// Does the receiver chain of a method call already hold a catalogued call?
fn receiver_blocks(project: &Project, call: CallRef, budget: u32) -> bool {
    if budget == 0 {
        return false;
    }
    let Some(recv) = project.call(call).receiver() else {
        return false;
    };
    let ExprKind::Call(inner) = recv.kind else {
        return false;
    };
    let inner = CallRef {
        file: call.file,
        call: inner,
    };
    let callee = project.callee(inner);
    let qualname = match callee {
        Value::Function(f) => Some(project.qualname(*f)),
        _ => None,
    };
    project.knowledge.rust.blocking.iter().any(|e| {
        e.calls
            .iter()
            .any(|p| callee_matches(project, callee, qualname.as_deref(), p))
            || (e.receivers.is_empty() && e.args.is_empty() && {
                let m = project.call(inner).method_name();
                m.is_some_and(|m| e.methods.iter().any(|x| x == m))
            })
    }) || receiver_blocks(project, inner, budget - 1)
}

fn display(p: &PathPattern, value: &Value) -> String {
    if !p.prefix && p.steps.is_empty() {
        return p.text.clone();
    }
    match value {
        Value::External(path) => rust_path(path),
        _ => p.text.clone(),
    }
}

/// Breadth-first from a sync project function (entered by the call `entry`), through
/// the sync functions it calls inline, for the worst catalogued call of `rule` it
/// reaches: the most severe, and among equals the nearest (a small file read on the way
/// must not hide the password hash after it). A branch that tests an `Option` parameter
/// the chain passes as `None` (`set_password(None)` → `if let Some(p) = password { hash }`)
/// cannot run and is skipped.
pub fn blocking_reached<'p>(
    project: &'p Project,
    entry: CallRef,
    start: FuncRef,
    max_depth: usize,
    rule: &str,
) -> Option<(Vec<Edge>, CallRef, BlockingMatch<'p>)> {
    let none = passed_none(project, entry, start, &[]);
    let mut queue = VecDeque::from([(start, none, Vec::<Edge>::new())]);
    let mut seen = HashSet::from([start]);
    let mut best: Option<(Vec<Edge>, CallRef, BlockingMatch<'p>)> = None;
    while let Some((f, none, path)) = queue.pop_front() {
        let runs = |c: CallRef| {
            project.call(c).guards.iter().all(|g| {
                    !(g.when && matches!(&g.cond.kind, ExprKind::Name(n) if none.iter().any(|x| x == n.as_str())))
                })
        };
        for &c in project.graph.calls_in(f) {
            if runs(c)
                && project.rust_runs_inline(c, f)
                && let Some(m) = blocking_call(project, c, rule)
                && best
                    .as_ref()
                    .is_none_or(|(_, _, b)| m.entry.severity > b.entry.severity)
            {
                best = Some((path.clone(), c, m));
            }
        }
        if path.len() >= max_depth {
            continue;
        }
        for e in project.graph.edges(f) {
            let target = project.scope(e.target);
            if target.is_async
                || target.kind != ScopeKind::Function
                || project.call(e.call).awaited
                || !runs(e.call)
                || !project.rust_runs_inline(e.call, f)
                || project.is_test_function(e.target)
            {
                continue;
            }
            if seen.insert(e.target) {
                let mut p = path.clone();
                p.push(*e);
                let next = passed_none(project, e.call, e.target, &none);
                queue.push_back((e.target, next, p));
            }
        }
    }
    best
}

/// The parameters of `target` that `call` passes as `None`: the literal, or a parameter
/// of the caller already known to be `None`. A parameter the body binds again
/// (`let password = password.or(..)`) is left out.
fn passed_none(
    project: &Project,
    call: CallRef,
    target: FuncRef,
    caller: &[String],
) -> Vec<String> {
    let c = project.call(call);
    let scope = project.scope(target);
    // `x.method(a)` passes `self` as the receiver; `Type::method(x, a)` does not.
    let skip = usize::from(
        c.method_name().is_some() && scope.params.first().is_some_and(|p| p.name == "self"),
    );
    let args: Vec<&crate::model::Expr> = c.positional().map(|a| &a.value).collect();
    let mut out = Vec::new();
    for (i, p) in scope.params.iter().enumerate().skip(skip) {
        let Some(arg) = args.get(i - skip) else { break };
        let none = match &arg.kind {
            ExprKind::None => true,
            ExprKind::Name(n) => caller.iter().any(|c| c == n.as_str()),
            _ => false,
        };
        // `if let Some(password) = password` binds the name again, to its own value.
        let rebound = scope.bindings.iter().any(|b| {
            b.name == p.name
                && !matches!(b.value, crate::model::BoundValue::Param(_))
                && !matches!(&b.value, crate::model::BoundValue::Expr(e)
                    if matches!(&e.kind, ExprKind::Name(n) if *n == p.name))
        });
        if none && !rebound {
            out.push(p.name.as_str().to_owned());
        }
    }
    out
}

/// `spawn_blocking(|| async { .. })`: the pool runs only the closure, which builds the
/// future and hands it back; the future's body runs where the caller awaits it.
fn offloaded_future_note(
    project: &Project,
    func: FuncRef,
    block: crate::model::ScopeId,
) -> Option<String> {
    let (outer, _) = project.models[func.file].scopes[block].passed_to?;
    let offload = CallRef {
        file: func.file,
        call: outer,
    };
    project.is_offload(offload).then(|| {
        let name = project.files[func.file].slice(project.call(offload).callee.span);
        format!(
            "the closure handed to `{name}` only builds this `async` block there; the block runs where its future is awaited, on the runtime: make the closure itself do the blocking work (drop the `async`)"
        )
    })
}

fn describe(project: &Project, ctx: &AsyncContext) -> String {
    match ctx {
        AsyncContext::AsyncFn(f) => format!("async fn `{}`", project.display_name(*f)),
        AsyncContext::AsyncBlock(f, block) => {
            let closure = project.models[f.file].scopes[*block].name == "<closure>";
            let what = if closure { "closure" } else { "block" };
            format!("an async {what} in `{}`", project.display_name(*f))
        }
        AsyncContext::OnRuntime(f, why) => {
            let name = project.display_name(*f);
            if project.scope(*f).kind == ScopeKind::Lambda {
                format!("a {why} closure")
            } else {
                format!("{why} `{name}`")
            }
        }
    }
}

/// How a finding is reported, from how bad the call is and where it runs:
/// - panics: an error anywhere in async code;
/// - blocks: an error in request handlers and what they reach; a warning elsewhere in a
///   crate that serves requests or runs tasks; not reported in the runtime's entry
///   function (start-up) or in crates that do neither (CLIs, libraries);
/// - usually fine: a warning in request handlers and what they reach, else nothing.
fn severity(
    project: &Project,
    rule: &str,
    entry: &BlockingCall,
    in_handler: bool,
    call: CallRef,
    ctx: &AsyncContext,
) -> Option<Severity> {
    if rule == "TL304" || entry.severity == BlockingSeverity::Panics {
        return Some(Severity::Error);
    }
    if in_handler {
        return Some(match entry.severity {
            BlockingSeverity::UsuallyFine => Severity::Warning,
            _ => Severity::Error,
        });
    }
    let service = project
        .rust_crate_of(call.file)
        .is_some_and(|k| project.rust.service_crates.contains(&k));
    (entry.severity == BlockingSeverity::Blocks && service && !project.rust_is_startup(ctx))
        .then_some(Severity::Warning)
}

/// A finding about to be reported: a blocking call in async context, made here or
/// reached through project functions.
struct Found<'p> {
    call: CallRef,
    ctx: AsyncContext,
    severity: Severity,
    /// The catalogued call: `call` itself, or what it reaches (with the path).
    site: CallRef,
    reached: Option<(FuncRef, Vec<Edge>)>,
    m: BlockingMatch<'p>,
}

/// The Rust check of TL302 / TL304 for one function: its calls in async context, and
/// those of closures inside it that a framework runs as request handlers.
///
/// One line, one finding: a blocking call that one async function reaches through
/// several of its calls is reported once, at the first; and of several findings on one
/// line only the worst is kept.
pub fn check_function(cx: &mut Checker, func: FuncRef, rule: &str) {
    let project = cx.project;
    if project.is_test_function(func) {
        return;
    }
    let model = &project.models[func.file];
    let mut owners = vec![func];
    // Scopes are numbered in source order: those inside the function follow it.
    let span = model.scopes[func.scope].span;
    for (i, s) in model.scopes.iter().enumerate().skip(func.scope + 1) {
        if s.span.start < span.start || s.span.end > span.end {
            break;
        }
        if s.kind == ScopeKind::Lambda && model.enclosing_function(i) == func.scope {
            let l = FuncRef {
                file: func.file,
                scope: i,
            };
            if project.rust.handler(l).is_some() {
                owners.push(l);
            }
        }
    }
    let depth = project.settings.max_call_depth;
    let mut found: Vec<Found> = Vec::new();
    for owner in owners {
        for &call in project.graph.calls_in(owner) {
            found.extend(find_call(project, call, rule, depth));
        }
    }
    found.sort_by_key(|f| (f.call.file, project.call(f.call).span.start, f.call.call));
    // The worst finding of each line, then each reached site once per async function.
    let line = |f: &Found| {
        let c = project.call(f.call);
        (
            f.call.file,
            project.files[f.call.file].position(c.span.start).line,
        )
    };
    let mut best_of_line: std::collections::HashMap<(crate::source::FileId, u32), usize> =
        std::collections::HashMap::new();
    for (i, f) in found.iter().enumerate() {
        let key = line(f);
        // The most severe; among equals a call made right here before one reached
        // through project functions, then the first.
        let rank = |f: &Found| (f.severity, f.reached.is_none());
        match best_of_line.get(&key) {
            Some(&j) if rank(&found[j]) >= rank(f) => {}
            _ => {
                best_of_line.insert(key, i);
            }
        }
    }
    let mut sites: HashSet<(FuncRef, CallRef)> = HashSet::new();
    for (i, f) in found.into_iter().enumerate() {
        if best_of_line.get(&line(&f)) != Some(&i) || !sites.insert((f.ctx.func(), f.site)) {
            continue;
        }
        report(cx, f);
    }
}

/// What one call in async context reports, if anything.
fn find_call<'p>(
    project: &'p Project,
    call: CallRef,
    rule: &str,
    depth: usize,
) -> Option<Found<'p>> {
    let ctx = project.rust_async_context(call)?;
    let handler = in_handler(project, call).is_some();
    let c = project.call(call);
    if let Some(m) = blocking_call(project, call, rule) {
        let severity = severity(project, rule, m.entry, handler, call, &ctx)?;
        return Some(Found {
            call,
            ctx,
            severity,
            site: call,
            reached: None,
            m,
        });
    }
    let target = project.call_target(call)?;
    let t = project.scope(target);
    // `.await` on a call of a sync function: it returns a future, or resolution went
    // wrong; either way its body is not the blocking part.
    if t.is_async || c.awaited || depth == 0 || project.is_test_function(target) {
        return None;
    }
    let (path, site, m) = blocking_reached(project, call, target, depth - 1, rule)?;
    let severity = severity(project, rule, m.entry, handler, call, &ctx)?;
    Some(Found {
        call,
        ctx,
        severity,
        site,
        reached: Some((target, path)),
        m,
    })
}

fn report(cx: &mut Checker, f: Found) {
    let project = cx.project;
    let handler = in_handler(project, f.call);
    let where_ = describe(project, &f.ctx);
    let on_runtime_note = match &f.ctx {
        AsyncContext::OnRuntime(_, why) => Some(format!(
            "a {why} that is not `async` still runs on the async runtime's worker thread"
        )),
        AsyncContext::AsyncBlock(func, block) => offloaded_future_note(project, *func, *block),
        _ => None,
    };
    let m = &f.m;
    let d = match f.reached {
        None => {
            let c = project.call(f.call);
            let d = cx.report(
                f.call.file,
                c.span,
                format!("`{}` in {where_} {}", m.name, m.entry.why),
            );
            d.label(label(m.entry)).help(m.entry.instead.clone());
            d
        }
        Some((target, path)) => {
            let d = report_reached(
                cx,
                f.call,
                target,
                f.ctx.func(),
                &format!("in {where_}"),
                Reaches {
                    path,
                    site: f.site,
                    name: &m.name,
                    why: &m.entry.why,
                    label: format!("reaches a blocking call ({})", m.entry.kind),
                },
            );
            d.help(m.entry.instead.clone());
            d
        }
    };
    d.severity(f.severity);
    if let Some(n) = on_runtime_note {
        d.note(n);
    }
    if let Some(h) = &handler {
        d.note(handler_note(project, h));
    }
    if f.site == f.call
        && m.entry.id == "thread-sleep"
        && let Some(fix) = tokio_sleep_fix(project, f.call, &f.ctx)
    {
        d.fix(fix);
    }
}

/// `std::thread::sleep(d)` → `tokio::time::sleep(d).await`, in async code (where
/// `.await` is allowed) of a crate that depends on tokio. The argument is kept as
/// written; syn checks it is one expression, so the rewrite cannot split it. Unsafe:
/// the sleep now yields, so other tasks run in between, which is the point but changes
/// timing.
fn tokio_sleep_fix(project: &Project, call: CallRef, ctx: &AsyncContext) -> Option<Fix> {
    if matches!(ctx, AsyncContext::OnRuntime(..)) {
        return None;
    }
    let krate = project.rust.crates.get(project.rust_crate_of(call.file)?)?;
    let manifest = project.rust.manifests.get(krate.manifest?)?;
    if !manifest.deps.contains_key("tokio") {
        return None;
    }
    let c = project.call(call);
    let [arg] = c.args.as_slice() else {
        return None;
    };
    let text = project.files[call.file].slice(arg.span);
    syn::parse_str::<syn::Expr>(text).ok()?;
    Some(Fix {
        message: "sleep with `tokio::time::sleep(...).await`".into(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            span: c.span,
            content: format!("tokio::time::sleep({text}).await"),
        }],
    })
}

fn label(entry: &BlockingCall) -> String {
    match entry.severity {
        BlockingSeverity::Panics => {
            format!("{}: panics or deadlocks inside the runtime", entry.kind)
        }
        _ => format!("{}: blocks the async runtime", entry.kind),
    }
}
