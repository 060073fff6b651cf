//! TL107 async-celery-task: `@shared_task async def sync_crm(...)`: the worker calls the
//! function, gets a coroutine back, and the body never runs.

use super::task_arguments::{custom_dispatch, task_decorates_function};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::FuncRef;

pub static RULE: Rule = Rule {
    info: &catalogue::TL107,
    check: Check::Function(check),
};

fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    let scope = project.scope(func);
    if !scope.is_async {
        return;
    }
    let Some(task) = project.tasks.get(func) else {
        return;
    };
    let framework = &project.knowledge.frameworks[task.framework];
    if !project
        .knowledge
        .coroutines
        .unsupported
        .contains(&framework.id)
    {
        return;
    }
    // A decorator between the task decorator and the function (`@async_to_sync`) may
    // turn the coroutine function into a plain one.
    if !task_decorates_function(project, task) {
        return;
    }
    // A project Task class given as `base=` may run the coroutine itself
    // (`loop.run_until_complete(...)` in its `__call__`).
    if project
        .knowledge
        .task_arguments(task.framework)
        .is_some_and(|calls| custom_dispatch(project, task, calls))
    {
        return;
    }
    let name = project.display_name(func);
    let decorator = &scope.decorators[task.decorator];
    cx.report(
        func.file,
        scope.name_span,
        format!("{} task `{name}` is defined with `async def`, so its body never runs", framework.name),
    )
    .label("the worker calls this and gets an un-awaited coroutine")
    .related(func.file, decorator.span, "made a task here")
    .note(format!(
        "{} calls the task function and stores what it returns: for a coroutine function that is a coroutine object, reported as a success (or as `EncodeError: Object of type coroutine is not JSON serializable`)",
        framework.name
    ))
    .help(format!(
        "define `{}` with plain `def`; call async code inside it with `asgiref.sync.async_to_sync(...)` or `asyncio.run(...)`",
        scope.name
    ));
}
