//! TL202 task-decorator-not-outermost: `@transaction.atomic` above `@shared_task` wraps
//! the task object: the decorator runs in the caller, not the worker, and the name loses
//! `.delay` and friends.

use std::collections::BTreeMap;

use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::{CallRef, FuncRef, Project, Task, Value};
use crate::model::{Decorator, ExprKind};

pub static RULE: Rule = Rule {
    info: &catalogue::TL202,
    check: Check::Project(check),
};

/// What a decorator stacked above a task decorator does to the task object.
enum Outer {
    /// A decorator that is never a task factory (`transaction.atomic`): data.
    Known,
    /// A project decorator that returns a new function of its own (it defines one).
    Wraps,
    /// Anything else: it may return the task itself, or a proxy that forwards `.delay`.
    Unknown,
}

fn classify(project: &Project, func: FuncRef, d: &Decorator) -> Outer {
    let model = &project.models[func.file];
    let outer_scope = model.scopes[func.scope].parent.unwrap_or(0);
    let (value, factory) = match &d.expr.kind {
        ExprKind::Call(c) => (
            project
                .callee(CallRef {
                    file: func.file,
                    call: *c,
                })
                .clone(),
            true,
        ),
        _ => (project.resolve(func.file, outer_scope, &d.expr), false),
    };
    if project
        .knowledge
        .non_task_decorators
        .calls
        .iter()
        .any(|p| project.matches(&value, p))
    {
        return Outer::Known;
    }
    let Value::Function(f) = value else {
        return Outer::Unknown;
    };
    // `def deco(fn): def wrapper(...): ...; return wrapper`; for a factory
    // (`@deco(...)`) one level deeper. A decorator that defines no function of its own
    // most likely registers the task and returns it unchanged.
    let wraps = if factory {
        project
            .nested_functions(f)
            .into_iter()
            .any(|inner| !project.nested_functions(inner).is_empty())
    } else {
        !project.nested_functions(f).is_empty()
    };
    if wraps { Outer::Wraps } else { Outer::Unknown }
}

fn check(cx: &mut Checker) {
    let project = cx.project;
    let mut wrapped: BTreeMap<FuncRef, &Task> = BTreeMap::new();
    for task in project.tasks.iter() {
        if task.wrapped_by.is_some() {
            wrapped.insert(task.func, task);
        }
    }
    if wrapped.is_empty() {
        return;
    }
    // The first enqueue call on each wrapped task, in a stable order.
    let mut enqueued: BTreeMap<FuncRef, (CallRef, String)> = BTreeMap::new();
    for (file, model) in project.roots() {
        for call in 0..model.calls.len() {
            let c = CallRef { file, call };
            let Value::Attr(base, method) = project.callee(c) else {
                continue;
            };
            let Value::Function(f) = base.as_ref() else {
                continue;
            };
            let Some(task) = wrapped.get(f) else {
                continue;
            };
            let framework = &project.knowledge.frameworks[task.framework];
            if framework.enqueue_methods.iter().any(|m| m == method) {
                enqueued.entry(*f).or_insert((c, method.clone()));
            }
        }
    }
    for (func, task) in wrapped {
        let scope = project.scope(func);
        let framework = &project.knowledge.frameworks[task.framework];
        let outers: Vec<(usize, Outer)> = (0..task.decorator)
            .map(|i| (i, classify(project, func, &scope.decorators[i])))
            .collect();
        // The decorator nearest the task decorator that is known to hide it.
        let known = outers.iter().rev().find(|(_, o)| matches!(o, Outer::Known));
        let wraps = outers.iter().rev().find(|(_, o)| matches!(o, Outer::Wraps));
        let sent = enqueued.get(&func);
        let (at, why_known) = match (known, wraps, sent) {
            (Some((i, _)), _, _) => (*i, true),
            (None, Some((i, _)), Some(_)) => (*i, false),
            _ => continue,
        };
        let name = project.display_name(func);
        let outer = &scope.decorators[at];
        let outer_text = project.files[func.file].slice(outer.span).to_string();
        let task_decorator = &scope.decorators[task.decorator];
        let task_text = project.files[func.file]
            .slice(task_decorator.span)
            .to_string();
        let d = cx.report(
            func.file,
            outer.span,
            format!("`{outer_text}` is stacked above `{task_text}`, so it wraps the {} task object instead of the function `{name}`", framework.name),
        );
        d.label("this wraps the task, not the function").related(
            func.file,
            task_decorator.span,
            "the task decorator",
        );
        if why_known {
            d.note(format!(
                "`{outer_text}` runs in the code that calls the task, not in the worker that runs `{name}`"
            ));
        }
        if let Some((call, method)) = sent {
            let c = project.call(*call);
            d.related(
                call.file,
                c.span,
                format!("`.{method}()` is called here: `AttributeError: 'function' object has no attribute '{method}'`"),
            );
        } else if !framework.enqueue_hint.is_empty() {
            d.note(format!(
                "`{name}` no longer has `.{}()` and the other task methods",
                framework.enqueue_hint
            ));
        }
        d.help(format!(
            "move `{task_text}` above the other decorators (outermost), so the task wraps the decorated function"
        ));
    }
}
