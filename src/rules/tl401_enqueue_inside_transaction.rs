//! TL401 enqueue-inside-transaction: `t.delay(...)` inside `with transaction.atomic():` or
//! a function decorated `@transaction.atomic`, not deferred with `transaction.on_commit`.
//! The worker can pick the task up before the transaction commits, and then does not see
//! the rows the task is about.

use super::context::{abbreviate, chain, text};
use super::enqueue::{Enqueue, enqueue};
use super::slow_calls::{SHARED_BY, name_roots};
use super::transaction_rows::{Rows, rows};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::index::callgraph::Edge;
use crate::index::{CallRef, FuncRef, Project};
use crate::knowledge::Returns;
use crate::model::{Expr, ExprKind, ScopeKind, Span};
use crate::source::FileId;

pub static RULE: Rule = Rule {
    info: &catalogue::TL401,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let Some(e) = enqueue(project, call) else {
        through_project_calls(cx, call);
        return;
    };
    if !races(project, &e) {
        return;
    }
    let Some(owner) = project.call_owner(call) else {
        return;
    };
    if project.is_test_function(owner) {
        return;
    }
    let Context::Atomic(atomic, request_wide) = context(project, call) else {
        report_shared(cx, call, &e);
        return;
    };
    let c = project.call(call);
    if !races_rows(project, &[(owner, call)], atomic.1, request_wide, e.task) {
        return;
    }
    let call_text = abbreviate(text(project, call, c.span), 60);
    let subject = enqueued_subject(project, call, e.task);
    let d = cx.report(
        call.file,
        c.span,
        format!(
            "{subject} inside {}: a worker can run the task before the commit, or after a rollback",
            transaction_name(request_wide)
        ),
    );
    d.label("enqueued before the transaction commits")
        .help(format!(
            "enqueue it once the transaction has committed: `transaction.on_commit(lambda: {call_text})`"
        ))
        .related(atomic.0, atomic.1, transaction_label(request_wide));
    if request_wide {
        d.note(REQUEST_WIDE_NOTE);
    }
    if e.queue == "celery" && e.task.is_some() && !c.value_used {
        d.note("with Celery 5.4+ and its Django task class, `.delay_on_commit(...)` / `.apply_async_on_commit(...)` do the same (they return None)");
    }
    if let Some(fix) = on_commit_fix(project, call) {
        d.fix(fix);
    }
}

/// The name a module binds to `path` (an import), if any.
fn bound_name(project: &Project, file: FileId, path: &str) -> Option<String> {
    let model = &project.models[file];
    model.scopes.first()?.bindings.iter().find_map(|b| {
        (matches!(b.value, crate::model::BoundValue::Import(_))
            && project.lookup(file, 0, &b.name, u32::MAX, 0)
                == crate::index::Value::External(path.to_string()))
        .then(|| b.name.as_str().to_owned())
    })
}

/// `t.delay(x)` → `transaction.on_commit(functools.partial(t.delay, x))`: the enqueue
/// waits for the commit, and `partial` evaluates the arguments now, as the original
/// call did (a lambda would read them after the commit, wrong in a loop). Unsafe: the
/// task no longer runs if the transaction rolls back, which may be what the code wanted.
/// Imports of `transaction` and `functools` are added when the file lacks them. Only
/// for calls whose value is unused (`on_commit` returns None).
fn on_commit_fix(project: &Project, call: CallRef) -> Option<Fix> {
    let c = project.call(call);
    if c.value_used {
        return None;
    }
    let source = &project.files[call.file];
    let mut imports = String::new();
    let transaction = match bound_name(project, call.file, "django.db.transaction") {
        Some(name) => name,
        None => {
            imports.push_str("from django.db import transaction\n");
            "transaction".to_string()
        }
    };
    let partial = match bound_name(project, call.file, "functools.partial") {
        Some(name) => name,
        None => match bound_name(project, call.file, "functools") {
            Some(name) => format!("{name}.partial"),
            None => {
                imports.push_str("import functools\n");
                "functools.partial".to_string()
            }
        },
    };
    let callee = source.slice(c.callee.span);
    let inner = source.slice(Span::new(
        c.args_span.start.saturating_add(1),
        c.args_span.end.saturating_sub(1).max(c.args_span.start + 1),
    ));
    let args = inner.trim();
    let sep = if args.is_empty() { "" } else { ", " };
    let mut edits = vec![Edit {
        span: c.span,
        content: format!("{transaction}.on_commit({partial}({callee}{sep}{args}))"),
    }];
    if !imports.is_empty() {
        edits.push(Edit {
            span: Span::new(
                import_point(project, call.file)?,
                import_point(project, call.file)?,
            ),
            content: imports,
        });
    }
    Some(Fix {
        message: "enqueue after the commit with `transaction.on_commit`".into(),
        applicability: Applicability::Unsafe,
        edits,
    })
}

/// Where new imports go: the start of the line of the first module-level import that
/// is not a `from __future__` import.
fn import_point(project: &Project, file: FileId) -> Option<u32> {
    let model = &project.models[file];
    let source = &project.files[file];
    let first = model
        .imports
        .iter()
        .filter(|i| {
            i.scope == 0
                && i.tries.is_empty()
                && i.from.first().map(|s| s.as_str()) != Some("__future__")
        })
        .map(|i| i.span.start)
        .min()?;
    Some(source.line_start(source.line_index(first)))
}

/// An enqueue that sends now, to a queue outside the database. A signature is only
/// built; `*_on_commit` already waits for the commit.
fn races(project: &Project, e: &Enqueue) -> bool {
    !e.deferred && e.returns != Returns::Signature && !transactional(project, e.queue)
}

/// A call of a project function inside a transaction, where that function (or one it
/// calls) enqueues: the enqueue runs inside the caller's transaction too.
fn through_project_calls(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let Context::Atomic(atomic, request_wide) = context(project, call) else {
        return;
    };
    let Some(target) = project
        .call_target(call)
        .filter(|t| !project.runs_elsewhere_when_called(*t))
    else {
        return;
    };
    let Some(owner) = project.call_owner(call) else {
        return;
    };
    let depth = project.settings.max_call_depth;
    if project.is_test_function(owner)
        || project.tasks.get(target).is_some()
        || depth == 0
        || project.target_guessed_by_name(call)
    {
        return;
    }
    let follow = |e: &Edge| follows(project, e);
    let found = project.find_reachable(Some(call), target, depth - 1, follow, |site| {
        let e = enqueue(project, site)?;
        (races(project, &e) && context(project, site) != Context::Deferred).then_some(e.task)
    });
    let Some((path, site, task)) = found else {
        return;
    };
    let c = project.call(call);
    let mut full = vec![Edge { call, target }];
    full.extend(path);
    if !races_rows(
        project,
        &steps(owner, &full, site),
        atomic.1,
        request_wide,
        task,
    ) {
        return;
    }
    // One cause, one finding: an enqueue that many transactions reach is reported once,
    // where it is (and where `on_commit` goes).
    if context(project, site) == Context::Plain
        && transactions_reaching(project, site, task).len() >= SHARED_BY
    {
        return;
    }
    let callee = abbreviate(text(project, call, c.callee.span), 40);
    let what = match task {
        Some(f) => format!("task `{}`", project.display_name(f)),
        None => "a task".to_string(),
    };
    let d = cx.report(
        call.file,
        c.span,
        format!("`{callee}(...)` enqueues {what} inside {}: a worker can run it before the commit, or after a rollback", transaction_name(request_wide)),
    );
    d.label("enqueues before the transaction commits")
        .note(format!("call chain: {}", chain(project, owner, &full, None)))
        .related(site.file, project.call(site).span, "enqueued here")
        .related(atomic.0, atomic.1, transaction_label(request_wide))
        .help("enqueue from `transaction.on_commit(...)` in the function that sends, or make this call after the transaction");
    if request_wide {
        d.note(REQUEST_WIDE_NOTE);
    }
}

/// The calls TL401 follows from a call inside a transaction: not those deferred to after
/// a commit (written in `on_commit`'s arguments, or the callback it is handed), nor into
/// tasks called directly (TL101's finding), nor into signal receivers: a `post_save` receiver's enqueue races only for the saves that send it,
/// and receivers mostly act on some saves (a row created once, a changed field), which
/// is not known here.
fn follows(project: &Project, e: &Edge) -> bool {
    context(project, e.call) != Context::Deferred
        // `on_commit(notify)`: the call graph runs `notify` there (the request waits for
        // it), but after the commit.
        && !is_on_commit(project, e.call)
        && project.tasks.get(e.target).is_none()
        && project.graph.signal_edge(e.call, e.target).is_none()
        && !project.target_guessed_by_name(e.call)
}

/// Each function on a chain with the call it makes: `owner`'s call of `full[0]`, each
/// callee's call of the next, and the last one's call `site`.
fn steps(owner: FuncRef, full: &[Edge], site: CallRef) -> Vec<(FuncRef, CallRef)> {
    let mut out = Vec::with_capacity(full.len() + 1);
    let mut from = owner;
    for e in full {
        out.push((from, e.call));
        from = e.target;
    }
    out.push((from, site));
    out
}

/// The start of a finding's message: `task `x` is enqueued`, or the enqueue call's
/// callee when the task is not known.
fn enqueued_subject(project: &Project, call: CallRef, task: Option<FuncRef>) -> String {
    match task {
        Some(f) => format!("task `{}` is enqueued", project.display_name(f)),
        None => format!(
            "`{}(...)` enqueues",
            abbreviate(text(project, call, project.call(call).callee.span), 40)
        ),
    }
}

/// The functions whose transactions reach the enqueue `site` (itself outside any
/// transaction) through project calls, each with the calls from its call inside the
/// transaction down to the function of `site`: those `through_project_calls` reports.
fn transactions_reaching(
    project: &Project,
    site: CallRef,
    task: Option<FuncRef>,
) -> Vec<(FuncRef, Vec<Edge>)> {
    // A task's body runs on a worker: calling it inline is TL101's finding, and
    // `through_project_calls` does not go into it either.
    let Some(f) = project
        .call_owner(site)
        .filter(|f| project.tasks.get(*f).is_none())
    else {
        return Vec::new();
    };
    let follow = |e: &Edge| follows(project, e) && !project.runs_elsewhere_when_called(e.target);
    let roots = project.roots_reaching(
        f,
        Some(site),
        project.settings.max_call_depth,
        follow,
        |g| project.tasks.get(g).is_none(),
        |g| !project.is_test_function(g),
    );
    roots
        .into_iter()
        .filter(|(g, path)| {
            let Some(first) = path.first() else {
                return false;
            };
            let Context::Atomic(atomic, request_wide) = context(project, first.call) else {
                return false;
            };
            races_rows(
                project,
                &steps(*g, path, site),
                atomic.1,
                request_wide,
                task,
            )
        })
        .collect()
}

/// An enqueue outside any transaction of its own that `SHARED_BY` or more functions
/// reach from inside their transactions: one finding, at the enqueue, naming them.
fn report_shared(cx: &mut Checker, call: CallRef, e: &Enqueue) {
    let project = cx.project;
    if context(project, call) != Context::Plain {
        return;
    }
    let roots = transactions_reaching(project, call, e.task);
    if roots.len() < SHARED_BY {
        return;
    }
    let c = project.call(call);
    let subject = enqueued_subject(project, call, e.task);
    let (first, path) = &roots[0];
    let Some(start) = path.first() else {
        return;
    };
    let Context::Atomic(atomic, request_wide) = context(project, start.call) else {
        return;
    };
    let call_text = abbreviate(text(project, call, c.span), 60);
    let d = cx.report(
        call.file,
        c.span,
        format!(
            "{subject} inside the transactions of {} callers: a worker can run the task before the commit, or after a rollback",
            roots.len()
        ),
    );
    d.label("enqueued before the callers' transactions commit")
        .note(format!(
            "reached from inside the transactions of {} functions: {}",
            roots.len(),
            name_roots(project, &roots)
        ))
        .note(format!("call chain: {}", chain(project, *first, path, None)))
        .related(atomic.0, atomic.1, transaction_label(request_wide))
        .help(format!(
            "enqueue it once the transaction has committed: `transaction.on_commit(lambda: {call_text})` (outside a transaction it runs at once)"
        ));
    if let Some(fix) = on_commit_fix(project, call) {
        d.fix(fix);
    }
}

const REQUEST_WIDE_NOTE: &str = "the view runs inside a transaction of its own: `ATOMIC_REQUESTS` is on in the settings (`@transaction.non_atomic_requests` opts a view out)";

fn transaction_name(request_wide: bool) -> &'static str {
    if request_wide {
        "the view's database transaction (`ATOMIC_REQUESTS`)"
    } else {
        "a database transaction"
    }
}

fn transaction_label(request_wide: bool) -> &'static str {
    if request_wide {
        "every view runs in a transaction: it commits after the response is built"
    } else {
        "the transaction starts here"
    }
}

/// Is the enqueue at the end of `steps` worth reporting, for the rows it races? In a
/// transaction the code opens, unless the task reads nothing it wrote and nothing can
/// roll it back after the enqueue; in a view's request transaction, which every view
/// has whether it writes or not, only when the task is seen to read a model the view
/// wrote before the enqueue.
fn races_rows(
    project: &Project,
    steps: &[(FuncRef, CallRef)],
    atomic: Span,
    request_wide: bool,
    task: Option<FuncRef>,
) -> bool {
    let Some(task) = task else {
        return !request_wide;
    };
    let (_, call) = steps[0];
    let whole = request_wide || !project.call(call).withs.iter().any(|w| w.span == atomic);
    match rows(project, steps, atomic, whole, task) {
        Rows::Shared => true,
        Rows::Apart => false,
        Rows::Unknown => !request_wide,
    }
}

/// Queues whose enqueue writes to the project database inside the same transaction:
/// django-background-tasks always, django-q with its ORM broker, django-tasks with its
/// database backend.
fn transactional(project: &Project, queue: &str) -> bool {
    let tx = &project.knowledge.task_calls.transactions;
    if tx.transactional.iter().any(|q| q == queue) {
        return true;
    }
    tx.transactional_when
        .iter()
        .filter(|w| w.queue == queue)
        .any(|w| {
            project
                .settings_bindings(&w.setting)
                .into_iter()
                .any(|(_, b)| match &b.value {
                    crate::model::BoundValue::Expr(v) => {
                        w.has_key.as_deref().is_some_and(|k| has_key(v, k))
                            || w.string_contains
                                .as_deref()
                                .is_some_and(|s| contains_string(v, s))
                    }
                    _ => false,
                })
        })
}

fn has_key(e: &Expr, key: &str) -> bool {
    match &e.kind {
        ExprKind::Dict(entries) => entries
            .iter()
            .any(|(k, v)| k.as_ref().and_then(Expr::as_str) == Some(key) || has_key(v, key)),
        _ => false,
    }
}

fn contains_string(e: &Expr, needle: &str) -> bool {
    match &e.kind {
        ExprKind::Str(s) => s.contains(needle),
        ExprKind::Dict(entries) => entries.iter().any(|(_, v)| contains_string(v, needle)),
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            items.iter().any(|i| contains_string(i, needle))
        }
        _ => false,
    }
}

/// Where a call runs, as far as transactions go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    /// Inside a transaction that starts here: an enclosing `with transaction.atomic():`
    /// or the `@transaction.atomic` decorator of its function; or, `true`, the whole
    /// view's (the settings' `ATOMIC_REQUESTS`, where it is turned on).
    Atomic((FileId, Span), bool),
    /// In a lambda handed to `transaction.on_commit`: it runs after the commit.
    Deferred,
    /// Nothing known.
    Plain,
}

/// A lambda handed to `transaction.on_commit` runs after the commit; a lambda handed to
/// anything else runs where that call is.
fn context(project: &Project, call: CallRef) -> Context {
    let model = &project.models[call.file];
    let mut c = &model.calls[call.call];
    for _ in 0..64 {
        if let Some(w) = c
            .withs
            .iter()
            .rev()
            .find(|w| is_atomic(project, call.file, c.scope, w))
        {
            return Context::Atomic((call.file, w.span), false);
        }
        let s = &model.scopes[c.scope];
        match s.kind {
            ScopeKind::Lambda => {
                // Written inside what `on_commit` is handed, the lambda is what runs after
                // the commit, however it gets there (`on_commit((lambda pk: lambda:
                // t.delay(pk))(obj.pk))`, `on_commit(partial(lambda: ...))`).
                if in_on_commit_arguments(project, call.file, s.span) {
                    return Context::Deferred;
                }
                let Some((outer, _)) = s.passed_to else {
                    return Context::Plain;
                };
                c = &model.calls[outer];
            }
            ScopeKind::Function => {
                let parent = s.parent.unwrap_or(0);
                let func = FuncRef {
                    file: call.file,
                    scope: c.scope,
                };
                return s
                    .decorators
                    .iter()
                    .find(|d| is_atomic(project, call.file, parent, &d.expr))
                    .map(|d| Context::Atomic((call.file, d.span), false))
                    .or_else(|| {
                        request_transaction(project, func).map(|at| Context::Atomic(at, true))
                    })
                    .unwrap_or(Context::Plain);
            }
            ScopeKind::Module | ScopeKind::Class => return Context::Plain,
        }
    }
    Context::Plain
}

/// Whether `span` lies in the parentheses of a `transaction.on_commit(...)` call of `file`.
fn in_on_commit_arguments(project: &Project, file: FileId, span: Span) -> bool {
    project.models[file]
        .calls
        .iter()
        .enumerate()
        .any(|(id, c)| {
            c.args_span.start <= span.start
                && span.end <= c.args_span.end
                && is_on_commit(project, CallRef { file, call: id })
        })
}

/// A call of `transaction.on_commit` (`[transactions] on_commit`).
fn is_on_commit(project: &Project, call: CallRef) -> bool {
    project.matches_any(
        project.callee(call),
        &project.knowledge.task_calls.transactions.on_commit,
    )
}

/// Where the settings make `func`, a view, run in a transaction of its own
/// (`"ATOMIC_REQUESTS": True` in a `DATABASES` entry), unless it opts out.
fn request_transaction(project: &Project, func: FuncRef) -> Option<(FileId, Span)> {
    let rw = project
        .knowledge
        .task_calls
        .transactions
        .request_wide
        .as_ref()?;
    let handler = project.handlers.get(func)?;
    if !rw.handlers.contains(&handler.kind) {
        return None;
    }
    let at = project
        .settings_bindings(&rw.setting)
        .into_iter()
        .filter(|(f, _)| !crate::index::is_test_path(&project.relative[*f]))
        .find_map(|(f, b)| match &b.value {
            crate::model::BoundValue::Expr(v) => true_key(v, &rw.key).map(|span| (f, span)),
            _ => None,
        })?;
    (!opted_out(project, func, &rw.opt_out)).then_some(at)
}

/// The span of `key` in a dict (of dicts) where it is set to `True`.
fn true_key(e: &Expr, key: &str) -> Option<Span> {
    let ExprKind::Dict(entries) = &e.kind else {
        return None;
    };
    entries.iter().find_map(|(k, v)| match k {
        Some(k) if k.as_str() == Some(key) && matches!(v.kind, ExprKind::Bool(true)) => {
            Some(k.span)
        }
        _ => true_key(v, key),
    })
}

/// `@transaction.non_atomic_requests` on the view, on its class (through
/// `method_decorator`, anywhere in the decorator), or on the class's `dispatch`.
fn opted_out(project: &Project, func: FuncRef, opt_out: &[crate::knowledge::PathPattern]) -> bool {
    let model = &project.models[func.file];
    let mut decorated = vec![func.scope];
    if let Some(class) = model.scopes[func.scope].class {
        let k = &model.classes[class];
        decorated.extend(
            k.methods
                .iter()
                .filter(|m| model.scopes[**m].name == "dispatch"),
        );
        let parent = k.parent;
        if k.decorators
            .iter()
            .any(|d| names(project, func.file, parent, &d.expr, opt_out))
        {
            return true;
        }
        // `def as_view(cls, **kw): return non_atomic_requests(super().as_view(**kw))` in
        // the class or a project base: every view it makes opts out.
        let (ancestry, _) = project.class_ancestry(crate::index::ClassRef {
            file: func.file,
            class,
        });
        let wraps_views = ancestry.iter().any(|a| {
            let m = &project.models[a.file];
            m.classes[a.class]
                .methods
                .iter()
                .filter(|s| m.scopes[**s].name == "as_view")
                .any(|s| {
                    let f = FuncRef {
                        file: a.file,
                        scope: *s,
                    };
                    project.graph.calls_in(f).iter().any(|c| {
                        let cc = project.call(*c);
                        names(project, c.file, cc.scope, &cc.callee, opt_out)
                    })
                })
        });
        if wraps_views {
            return true;
        }
    }
    decorated.into_iter().any(|s| {
        let parent = model.scopes[s].parent.unwrap_or(0);
        model.scopes[s]
            .decorators
            .iter()
            .any(|d| names(project, func.file, parent, &d.expr, opt_out))
    })
}

/// Does a decorator expression name one of `patterns`, itself or in its arguments?
fn names(
    project: &Project,
    file: FileId,
    scope: usize,
    e: &Expr,
    patterns: &[crate::knowledge::PathPattern],
) -> bool {
    if project.matches_any(&project.resolve(file, scope, e), patterns) {
        return true;
    }
    match &e.kind {
        ExprKind::Call(id) => {
            let c = &project.models[file].calls[*id];
            names(project, file, scope, &c.callee, patterns)
                || c.args
                    .iter()
                    .any(|a| names(project, file, scope, &a.value, patterns))
        }
        _ => false,
    }
}

/// `transaction.atomic` or `transaction.atomic(...)` on the default database. A
/// transaction on another connection (`using=REPLICA`) may well be a read-only one on a
/// replica, which the task's own reads do not race with: unknown, so quiet.
fn is_atomic(project: &Project, file: FileId, scope: usize, e: &Expr) -> bool {
    let value = match e.kind {
        ExprKind::Call(id) => {
            let c = &project.models[file].calls[id];
            let using = c.keyword("using").or_else(|| c.positional().next());
            if using.is_some_and(|a| a.value.as_str() != Some("default")) {
                return false;
            }
            project.callee(CallRef { file, call: id }).clone()
        }
        _ => project.resolve(file, scope, e),
    };
    project
        .knowledge
        .task_calls
        .transactions
        .atomic
        .iter()
        .any(|p| project.matches(&value, p))
}
