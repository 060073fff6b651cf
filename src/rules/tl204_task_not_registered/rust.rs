//! TL204, Rust part: a rusty-celery task (`#[celery::task] fn add`, a struct `add` after
//! the macro, or the name given by `wrapper = ..`) that the project sends
//! (`app.send_task(add::new(..))`) but registers nowhere: not in any
//! `celery::app!(.., tasks = [..])` nor `app.register_task::<add>()`. A worker
//! acknowledges a message for a task it does not know and drops it ("received
//! unregistered task"). Quiet when the project never consumes: a worker elsewhere (maybe
//! Python Celery) may own the task.
//!
//! The same for the other Rust job queues (`[[job_queue]]` in `rules/rust/tasks.toml`):
//! an apalis job type pushed to a storage, or a crates.io job enqueued, that no worker of
//! the workspace is built for, when the workspace builds workers of that queue.

use std::collections::{BTreeMap, HashSet};

use crate::index::{FuncRef, Project, Value};
use crate::model::{Expr, ExprKind, Span};
use crate::rules::Checker;
use crate::source::FileId;

pub fn check(cx: &mut Checker) {
    check_celery(cx);
    check_job_queues(cx);
}

/// apalis and the other `[[job_queue]]`s: a job type the project enqueues in a workspace
/// that builds workers of that queue, but no worker is built for. apalis routes jobs
/// to workers by type (a storage holds one job type), crates.io's worker only claims
/// the types it registered: the job sits in its queue forever.
fn check_job_queues(cx: &mut Checker) {
    let project = cx.project;
    let jobs = project.rust_jobs();
    let mut missing: BTreeMap<(crate::index::ClassRef, usize), Vec<(FileId, Span)>> =
        BTreeMap::new();
    for e in &jobs.enqueued {
        if !jobs.workers.contains(&(e.queue, e.workspace.clone())) {
            continue;
        }
        let Some(key) = project.rust.key_of(e.job) else {
            continue;
        };
        if jobs
            .registered
            .contains(&(e.queue, e.workspace.clone(), key.to_string()))
        {
            continue;
        }
        missing.entry((e.job, e.queue)).or_default().push(e.at);
    }
    for ((job, queue), sites) in missing {
        let q = &project.knowledge.rust.jobs[queue];
        let class = &project.models[job.file].classes[job.class];
        let name = &class.name;
        let d = cx.report(
            job.file,
            class.name_span,
            format!(
                "{} job `{name}` is enqueued but no worker is built for it",
                q.name
            ),
        );
        d.label("no worker of this project takes this job type")
            .note(format!(
                "the project builds {} workers, but none for `{name}`: the jobs wait in their queue and never run",
                q.name
            ))
            .help(format!("build a worker for `{name}` next to the others, or stop enqueueing it"));
        for (file, span) in sites {
            d.related(file, span, format!("`{name}` is enqueued here"));
        }
    }
}

/// rusty-celery: a task sent but registered nowhere.
fn check_celery(cx: &mut Checker) {
    let project = cx.project;
    let tasks = &project.rust.celery_tasks;
    if tasks.is_empty() {
        return;
    }
    let celery = &project.knowledge.rust.celery;
    // Per workspace: a worker registers and consumes what its own workspace sends.
    let mut registered: HashSet<FuncRef> = HashSet::new();
    let mut sent: BTreeMap<FuncRef, Vec<(FileId, Span)>> = BTreeMap::new();
    let mut consumes: HashSet<String> = HashSet::new();
    for (file, model) in project.rust_models() {
        let workspace = project.rust.workspace_of(project, file);
        for (id, c) in model.calls.iter().enumerate() {
            if c.is_macro {
                let v = match &c.callee.kind {
                    ExprKind::Name(n) => project.rust_path(file, c.scope, n, u32::MAX, 0, false),
                    _ => Value::Unknown,
                };
                if celery.app_macros.iter().any(|p| project.matches(&v, p))
                    && let Some(arg) = c.keyword("tasks")
                    && let ExprKind::List(items) = &arg.value.kind
                {
                    for item in items {
                        registered.extend(task_of(project, file, c.scope, item));
                    }
                }
                continue;
            }
            let Some(m) = c.method_name() else { continue };
            if celery.consume_methods.iter().any(|x| x == m) {
                consumes.insert(workspace.clone());
            } else if celery.register_methods.iter().any(|x| x == m) {
                let types = model.rust.turbofish.iter().find(|(call, _)| *call == id);
                for ty in types.into_iter().flat_map(|(_, t)| t) {
                    registered.extend(task_of(project, file, c.scope, ty));
                }
            } else if celery.send_methods.iter().any(|x| x == m)
                && let Some(arg) = c.positional().next()
                && let Some(t) = sent_task(project, file, c.scope, &arg.value)
            {
                sent.entry(t).or_default().push((file, c.span));
            }
        }
    }
    for (task, sites) in sent {
        if registered.contains(&task)
            || !consumes.contains(&project.rust.workspace_of(project, task.file))
        {
            continue;
        }
        let name = &tasks[&task];
        let scope = project.scope(task);
        let d = cx.report(
            task.file,
            scope.name_span,
            format!("rusty-celery task `{name}` is sent but never registered with the worker"),
        );
        d.label("no `celery::app!(tasks = [..])` or `register_task` names this task")
            .note("a worker acknowledges a message for a task it does not know and drops it (\"received unregistered task\"): the work is lost")
            .help(format!(
                "add `{name}` to `tasks = [...]` in `celery::app!`, or call `app.register_task::<{name}>().await`"
            ));
        for (file, span) in sites {
            d.related(file, span, format!("`{name}` is sent here"));
        }
    }
}

/// The task a path names (`add`, `tasks::add`, or the `wrapper` struct name).
fn task_of(project: &Project, file: FileId, scope: usize, e: &Expr) -> Option<FuncRef> {
    let tasks = &project.rust.celery_tasks;
    if let Value::Function(f) = project.resolve(file, scope, e)
        && tasks.contains_key(&f)
    {
        return Some(f);
    }
    // The struct the macro makes is not in the source: match it by name.
    let ExprKind::Name(path) = &e.kind else {
        return None;
    };
    let last = path.rsplit("::").next().unwrap_or(path);
    let mut named = tasks.iter().filter(|(_, n)| n.as_str() == last);
    match (named.next(), named.next()) {
        (Some((f, _)), None) => Some(*f),
        _ => None,
    }
}

/// `add::new(1, 2)`, maybe followed by builder calls (`.with_countdown(10)`).
fn sent_task(project: &Project, file: FileId, scope: usize, e: &Expr) -> Option<FuncRef> {
    let model = &project.models[file];
    let mut cur = e;
    for _ in 0..16 {
        let ExprKind::Call(id) = cur.kind else {
            return None;
        };
        let c = &model.calls[id];
        match &c.callee.kind {
            ExprKind::Name(path) => {
                let (head, last) = path.rsplit_once("::")?;
                if last != "new" {
                    return None;
                }
                let head = Expr::new(ExprKind::Name(head.into()), c.callee.span);
                return task_of(project, file, scope, &head);
            }
            ExprKind::Attr(recv, _) => cur = recv,
            _ => return None,
        }
    }
    None
}
