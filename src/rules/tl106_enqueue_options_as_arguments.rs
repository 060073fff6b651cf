//! TL106 enqueue-options-as-arguments: `cleanup.delay(tmp_id, countdown=600)` does not
//! delay anything: `countdown` becomes a task argument.

use super::context::text;
use super::task_arguments::{caller_params, custom_dispatch, misplaced_options, passed, task_call};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::index::CallRef;
use crate::knowledge::CallShape;
use crate::model::{ArgKind, ParamKind, Span};

pub static RULE: Rule = Rule {
    info: &catalogue::TL106,
    check: Check::Call(check),
};

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let Some(tc) = task_call(project, call) else {
        return;
    };
    // An immutable signature drops the keywords it is sent with (the option is lost all
    // the same, but it does not reach the task).
    if tc
        .calls
        .is_some_and(|calls| custom_dispatch(project, tc.task, calls))
        || tc.signature.as_ref().is_some_and(|s| s.immutable)
    {
        return;
    }
    let scope = project.scope(tc.task.func);
    let Some(params) = caller_params(project, tc.task, &scope.params) else {
        return;
    };
    let c = project.call(call);
    let options = misplaced_options(&tc, params, &c.args);
    let Some(first) = options.first() else {
        return;
    };
    let names: Vec<String> = options
        .iter()
        .filter_map(|a| a.name.as_deref())
        .map(|n| format!("`{n}`"))
        .collect();
    let names = names.join(", ");
    let name = project.display_name(tc.task.func);
    let method = tc.method;
    let takes_kwargs = params.iter().any(|p| p.kind == ParamKind::VarKeywords);
    let message = if options.len() == 1 {
        format!(
            "{names} passed to `.{method}()` becomes an argument of task `{name}`, not an execution option"
        )
    } else {
        format!(
            "{names} passed to `.{method}()` become arguments of task `{name}`, not execution options"
        )
    };
    let d = cx.report(call.file, c.span, message);
    d.label(format!(
        "`{}` is given to the task",
        first.name.as_deref().unwrap_or_default()
    ))
    .related(
        tc.task.func.file,
        scope.name_span,
        format!("{} task defined here", tc.framework.name),
    );
    let checks = tc.calls.is_some_and(|c| c.checks_at_enqueue);
    d.note(if takes_kwargs {
        format!("`{name}` takes `**kwargs`: the option vanishes into them silently and the task runs at once, with the default settings")
    } else if !checks {
        format!("`{name}` has no such parameter: the task fails with TypeError in the worker")
    } else if tc.method == "s" || tc.method == "si" {
        format!("`{name}` has no such parameter: {} raises TypeError when the signature is sent", tc.framework.name)
    } else {
        format!("`{name}` has no such parameter: {} checks the arguments when enqueuing and raises TypeError here", tc.framework.name)
    });
    match tc.framework.id.as_str() {
        "celery" => {
            d.help("pass the task's arguments in `args=`/`kwargs=` and the options to `.apply_async()`");
            if tc.signature.is_none()
                && tc.method == "delay"
                && let Some(fix) = apply_async_fix(project, call, &options)
            {
                d.fix(fix);
            }
        }
        "dramatiq" => {
            d.help("use `.send_with_options(args=..., kwargs=..., delay=...)` for message options");
        }
        "django-tasks" => {
            d.help("set them with `.using(...)` first: `task.using(priority=10).enqueue(...)`");
        }
        _ => {}
    }
}

/// `t.delay(a, b, k=v, countdown=60)` → `t.apply_async(args=(a, b), kwargs={"k": v},
/// countdown=60)`. Unsafe: the task now really waits (that is the point), and the result
/// handle is the same.
fn apply_async_fix(
    project: &crate::index::Project,
    call: CallRef,
    options: &[&crate::model::Arg],
) -> Option<Fix> {
    let c = project.call(call);
    let site = crate::knowledge::CallSite {
        methods: Vec::new(),
        shape: CallShape::Args,
        args_position: None,
        kwargs_position: None,
    };
    // Unpacking: leave it to the user.
    passed(&site, &c.args)?;
    let method_span = match &c.callee.kind {
        crate::model::ExprKind::Attr(base, _) => Span::new(base.span.end, c.callee.span.end),
        _ => return None,
    };
    let positional: Vec<&str> = c
        .positional()
        .map(|a| text(project, call, a.span))
        .collect();
    let mut kwargs = Vec::new();
    let mut opts = Vec::new();
    for a in c.args.iter().filter(|a| a.kind == ArgKind::Keyword) {
        let name = a.name.as_deref()?;
        if options.iter().any(|o| std::ptr::eq(*o, a)) {
            opts.push(text(project, call, a.span).to_string());
        } else {
            kwargs.push(format!("{name:?}: {}", text(project, call, a.value.span)));
        }
    }
    let mut parts = Vec::new();
    if !positional.is_empty() {
        let trailing = if positional.len() == 1 { "," } else { "" };
        parts.push(format!("args=({}{trailing})", positional.join(", ")));
    }
    if !kwargs.is_empty() {
        parts.push(format!("kwargs={{{}}}", kwargs.join(", ")));
    }
    parts.extend(opts);
    Some(Fix {
        message: "move the options to `.apply_async()`".into(),
        applicability: Applicability::Unsafe,
        edits: vec![
            Edit {
                span: method_span,
                content: ".apply_async".into(),
            },
            Edit {
                span: c.args_span,
                content: format!("({})", parts.join(", ")),
            },
        ],
    })
}
