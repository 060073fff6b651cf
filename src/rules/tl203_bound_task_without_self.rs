//! TL203 bound-task-without-self: `@shared_task(bind=True) def sync_feed(): ...`: the
//! task itself is passed as the first argument, and nothing receives it.

use super::task_arguments::task_decorates_function;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::FuncRef;
use crate::model::ParamKind;

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
    if let Some(opt) = task.option(option) {
        d.related(
            func.file,
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
