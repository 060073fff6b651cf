//! TL203 bound-task-without-self: `@shared_task(bind=True) def sync_feed(): ...`: the
//! task itself is passed as the first argument, and nothing receives it.

use super::task_arguments::task_decorates_function;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::{FuncRef, Project, Task};
use crate::model::{ParamKind, Span};
use crate::source::FileId;

pub static RULE: Rule = Rule {
    info: &catalogue::TL203,
    check: Check::Function(check),
};

fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    let Some(task) = project.tasks.get(func) else {
        return;
    };
    let framework = &project.knowledge.frameworks[task.framework];
    if !task.binds_first_param(framework) {
        return;
    }
    // A test that defines a task only to register its name never runs it; a task a
    // test does run fails that test.
    if project.is_test_function(func) {
        return;
    }
    let scope = project.scope(func);
    // A decorator between the task decorator and the function changes what the
    // framework calls: unknown.
    if !task_decorates_function(project, task) {
        return;
    }
    if scope.params.iter().any(|p| {
        matches!(
            p.kind,
            ParamKind::PositionalOnly | ParamKind::Normal | ParamKind::VarArgs
        )
    }) {
        return;
    }
    let option = framework.bind_option.as_deref().unwrap_or("bind");
    let receiver = if option == "takes_context" {
        "context"
    } else {
        "self"
    };
    let name = project.display_name(func);
    let mut d = cx.report(
        func.file,
        scope.name_span,
        format!(
            "task `{name}` has `{option}=True` but no parameter to receive the {}",
            if receiver == "self" {
                "task"
            } else {
                "task context"
            }
        ),
    );
    d = d.label(format!(
        "every run fails: `TypeError: {}() takes 0 positional arguments but 1 was given`",
        scope.name
    ));
    if let Some(opt) = task.option(option)
        && let Some(file) = option_file(project, task, opt.span)
    {
        d.related(
            file,
            opt.span,
            format!(
                "`{option}=True` passes the {} as the first argument",
                if receiver == "self" {
                    "task"
                } else {
                    "context"
                }
            ),
        );
    }
    d.help(format!(
        "add `{receiver}` as the first parameter: `def {}({receiver}, ...)`, or drop `{option}=True`",
        scope.name
    ));
}

/// The file an option of the task decorator is written in: the decorator itself, or the
/// project's wrapper that adds it (`def job(**kw): return shared_task(bind=True, **kw)`).
fn option_file(project: &Project, task: &Task, span: Span) -> Option<FileId> {
    let within = |outer: Span| outer.start <= span.start && span.end <= outer.end;
    let scope = project.scope(task.func);
    if scope
        .decorators
        .get(task.decorator)
        .is_some_and(|d| within(d.span))
    {
        return Some(task.func.file);
    }
    let wrapper = task.wrapper?;
    within(project.scope(wrapper).span).then_some(wrapper.file)
}
