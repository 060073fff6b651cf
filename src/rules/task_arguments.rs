//! Calls of a task's own methods (`send_receipt.delay(...)`, `add.s(2).delay(4)`,
//! `task.using(...).enqueue(...)`), and what the task's parameters make of their
//! arguments: the questions TL103, TL104 and TL106 ask.

use crate::index::{CallRef, FuncRef, Project, Task, Value};
use crate::knowledge::{CallShape, CallSite, TaskArguments, TaskFramework};
use crate::model::{Arg, ArgKind, CallId, Decorator, Expr, ExprKind, Param, ParamKind, Span};

/// A call of a method of a project task, or of the task itself.
pub struct TaskCall<'p> {
    pub task: &'p Task,
    pub framework: &'p TaskFramework,
    /// The framework's call shapes, when tasklint knows them.
    pub calls: Option<&'p TaskArguments>,
    /// The method called (`delay`), `()` for the call of the task itself.
    pub method: &'p str,
    /// The call sends (or runs) a signature made by another call (`add.s(2).delay(4)`).
    pub signature: Option<Signature<'p>>,
}

pub struct Signature<'p> {
    /// How the call that made it takes arguments.
    pub site: &'p CallSite,
    /// That call, when it is written right there (`add.s(2).delay(4)`).
    pub made_here: Option<CallId>,
    /// It ignores the arguments it is sent with (`.si()`).
    pub immutable: bool,
}

impl<'p> TaskCall<'p> {
    /// How this call takes the task's arguments.
    pub fn site(&self) -> Option<&'p CallSite> {
        self.calls?.site(self.method)
    }
}

pub fn task_call(project: &Project, call: CallRef) -> Option<TaskCall<'_>> {
    let (func, method, receiver) = match project.callee(call) {
        Value::Function(f) => (*f, "()", None),
        Value::Attr(base, method) => match base.as_ref() {
            Value::Function(f) => (*f, method.as_str(), None),
            Value::Returned(inner) => match inner.as_ref() {
                Value::Attr(b, made_by) => match b.as_ref() {
                    Value::Function(f) => (*f, method.as_str(), Some(made_by.as_str())),
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let task = project.tasks.get(func)?;
    // Another decorator above the task decorator: the name is bound to whatever that
    // returns, and what its methods do is unknown (TL202's business).
    if task.wrapped_by.is_some() {
        return None;
    }
    let framework = &project.knowledge.frameworks[task.framework];
    let calls = project.knowledge.task_arguments(task.framework);
    let mut signature = None;
    if let Some(made_by) = receiver {
        let calls = calls?;
        if calls.same_task.iter().any(|m| m == made_by) {
            // `task.using(...)` is the same task with other settings.
        } else {
            let site = calls.site(made_by)?;
            if site.shape != CallShape::Partial {
                return None;
            }
            let c = project.call(call);
            let made_here = c.receiver().and_then(Expr::as_call);
            signature = Some(Signature {
                site,
                made_here,
                immutable: calls.immutable.iter().any(|m| m == made_by),
            });
        }
    }
    Some(TaskCall {
        task,
        framework,
        calls,
        method,
        signature,
    })
}

/// The task's arguments a call passes, as far as they are written out.
pub struct Passed<'a> {
    pub positional: usize,
    pub keywords: Vec<(&'a str, Span)>,
}

/// The task's arguments in a call of a given site; `None` when unpacking or a value
/// tasklint cannot read makes them unknown.
pub fn passed<'a>(site: &CallSite, args: &'a [Arg]) -> Option<Passed<'a>> {
    if args
        .iter()
        .any(|a| matches!(a.kind, ArgKind::Star | ArgKind::DoubleStar))
    {
        return None;
    }
    match site.shape {
        CallShape::Args | CallShape::Partial => Some(Passed {
            positional: args
                .iter()
                .filter(|a| a.kind == ArgKind::Positional)
                .count(),
            keywords: args
                .iter()
                .filter(|a| a.kind == ArgKind::Keyword)
                .filter_map(|a| Some((a.name.as_deref()?, a.span)))
                .collect(),
        }),
        CallShape::ArgsKwargs => {
            let find = |name: &str, position: Option<usize>| {
                args.iter()
                    .find(|a| a.kind == ArgKind::Keyword && a.name.as_deref() == Some(name))
                    .or_else(|| {
                        args.iter()
                            .filter(|a| a.kind == ArgKind::Positional)
                            .nth(position?)
                    })
            };
            let positional = match find("args", site.args_position).map(|a| &a.value.kind) {
                None | Some(ExprKind::None) => 0,
                Some(ExprKind::Tuple(items) | ExprKind::List(items)) => {
                    if items.iter().any(|i| matches!(i.kind, ExprKind::Starred(_))) {
                        return None;
                    }
                    items.len()
                }
                Some(_) => return None,
            };
            let keywords = match find("kwargs", site.kwargs_position) {
                None => Vec::new(),
                Some(a) => match &a.value.kind {
                    ExprKind::None => Vec::new(),
                    ExprKind::Dict(entries) => {
                        let mut out = Vec::new();
                        for (k, _) in entries {
                            let key = k.as_ref()?;
                            out.push((key.as_str()?, key.span));
                        }
                        out
                    }
                    _ => return None,
                },
            };
            Some(Passed {
                positional,
                keywords,
            })
        }
    }
}

/// The parameters callers pass: with `bind=True` / `takes_context=True` the first one
/// receives the task (or its context) and is not theirs. `None` when there is no first
/// positional parameter to take it (TL203's finding).
pub fn caller_params<'a>(
    project: &Project,
    task: &Task,
    params: &'a [Param],
) -> Option<&'a [Param]> {
    // A decorator between the task decorator and the function (a wrapper that supplies
    // or renames arguments) makes the parameters the framework sees unknown.
    if !task_decorates_function(project, task) {
        return None;
    }
    let framework = &project.knowledge.frameworks[task.framework];
    if !task.binds_first_param(framework) {
        return Some(params);
    }
    match params.first()?.kind {
        ParamKind::PositionalOnly | ParamKind::Normal => Some(&params[1..]),
        // `def f(*args)`: the task lands in args[0]; what else binds is unclear.
        _ => None,
    }
}

/// The function's signature is the task's: the task decorator is applied to the
/// function itself, or through decorators that pass every argument through.
pub fn task_decorates_function(project: &Project, task: &Task) -> bool {
    if !task.signature_known {
        return false;
    }
    let scope = project.scope(task.func);
    scope.decorators[task.decorator + 1..]
        .iter()
        .all(|d| forwards_arguments(project, task.func, d))
}

/// A decorator whose wrapper calls the function with exactly the arguments it was
/// given: `transaction.atomic`, a `@contextmanager` function used as a decorator, or a
/// project decorator `def deco(fn): def wrapper(*args, **kwargs): ... fn(*args,
/// **kwargs) ...` (for a factory `@deco(...)`, one level deeper).
pub fn forwards_arguments(project: &Project, func: FuncRef, d: &Decorator) -> bool {
    let known = &project.knowledge.forwarding_decorators;
    let parent = project.scope(func).parent.unwrap_or(0);
    let (value, factory) = match d.expr.as_call() {
        Some(c) => (
            project
                .callee(CallRef {
                    file: func.file,
                    call: c,
                })
                .clone(),
            true,
        ),
        None => (project.resolve(func.file, parent, &d.expr), false),
    };
    if known.calls.iter().any(|p| project.matches(&value, p)) {
        return true;
    }
    let Value::Function(deco) = value else {
        return false;
    };
    let deco_scope = project.scope(deco);
    if factory
        && deco_scope.decorators.iter().any(|cm| {
            let v = match cm.expr.as_call() {
                Some(c) => project
                    .callee(CallRef {
                        file: deco.file,
                        call: c,
                    })
                    .clone(),
                None => project.resolve(deco.file, deco_scope.parent.unwrap_or(0), &cm.expr),
            };
            known
                .context_manager_factories
                .iter()
                .any(|p| project.matches(&v, p))
        })
    {
        return true;
    }
    let decorator = if factory {
        // `def deco(...): def decorator(fn): ...; return decorator`
        match project.nested_functions(deco).as_slice() {
            [only] => *only,
            _ => return false,
        }
    } else {
        deco
    };
    forwarding_wrapper(project, decorator)
}

/// `decorator(fn)` defines exactly one wrapper taking `(*args, **kwargs)` that calls
/// `fn(*args, **kwargs)` and nothing else of `fn`.
fn forwarding_wrapper(project: &Project, decorator: FuncRef) -> bool {
    let d = project.scope(decorator);
    let Some(wrapped) = d.params.first().filter(|p| p.kind == ParamKind::Normal) else {
        return false;
    };
    let [wrapper] = project.nested_functions(decorator)[..] else {
        return false;
    };
    let w = project.scope(wrapper);
    let (args, kwargs) = match w.params.as_slice() {
        [a, k] if a.kind == ParamKind::VarArgs && k.kind == ParamKind::VarKeywords => {
            (a.name.as_str(), k.name.as_str())
        }
        _ => return false,
    };
    if w.bindings.iter().any(|b| b.name == wrapped.name) {
        return false;
    }
    let is_name = |e: &Expr, n: &str| matches!(&e.kind, ExprKind::Name(x) if x == n);
    let mut calls = project.models[wrapper.file]
        .calls
        .iter()
        .filter(|c| c.scope == wrapper.scope && is_name(&c.callee, &wrapped.name))
        .peekable();
    calls.peek().is_some()
        && calls.all(|c| match c.args.as_slice() {
            [a, k] => {
                a.kind == ArgKind::Star
                    && is_name(&a.value, args)
                    && k.kind == ArgKind::DoubleStar
                    && is_name(&k.value, kwargs)
            }
            _ => false,
        })
}

/// The task's `base=` class is a project class that overrides how the task is called
/// or sent (`__call__`, `apply_async`, ...), or cannot be resolved: arguments may
/// reach the function differently.
pub fn custom_dispatch(project: &Project, task: &Task, calls: &TaskArguments) -> bool {
    let Some(option) = &calls.base_option else {
        return false;
    };
    let Some(base) = task.option(option) else {
        return false;
    };
    if matches!(base.value.kind, ExprKind::None) {
        return false;
    }
    let parent = project.scope(task.func).parent.unwrap_or(0);
    match project.resolve(task.func.file, parent, &base.value) {
        // A library class: its methods are the framework's own.
        Value::External(_) => false,
        Value::Class(class) => {
            let (classes, _) = project.class_ancestry(class);
            classes.iter().any(|c| {
                let model = &project.models[c.file];
                model.classes[c.class].methods.iter().any(|m| {
                    let name = &model.scopes[*m].name;
                    calls.dispatch_methods.iter().any(|d| d == name)
                })
            })
        }
        _ => true,
    }
}

/// A task decorated with an option that makes the framework pass arguments of its own
/// is not checked.
pub fn framework_supplies_args(task: &Task, calls: &TaskArguments) -> bool {
    calls.skip_options.iter().any(|o| {
        task.option(o)
            .is_some_and(|a| !matches!(a.value.kind, ExprKind::Bool(false) | ExprKind::None))
    })
}

/// The task turns the framework's argument check off (Celery `typing=False`): the project
/// says the arguments it is sent need not match its signature.
pub fn arguments_unchecked(task: &Task, calls: &TaskArguments) -> bool {
    calls.unchecked_options.iter().any(|o| {
        task.option(o)
            .is_some_and(|a| matches!(a.value.kind, ExprKind::Bool(false)))
    })
}

/// Keywords of a call that are the framework's execution options and that the task has
/// no parameter for: they become task arguments (TL106). Only for sites whose keywords
/// are the task's (`.delay()`, `.s()`, a signature sent with `.delay()`).
pub fn misplaced_options<'a>(tc: &TaskCall, params: &[Param], args: &'a [Arg]) -> Vec<&'a Arg> {
    let Some(calls) = tc.calls else {
        return Vec::new();
    };
    let Some(site) = tc.site() else {
        return Vec::new();
    };
    if site.shape == CallShape::ArgsKwargs {
        return Vec::new();
    }
    args.iter()
        .filter(|a| a.kind == ArgKind::Keyword)
        .filter(|a| {
            a.name.as_deref().is_some_and(|n| {
                calls.options.iter().any(|o| o == n)
                    && !calls.consumed.iter().any(|o| o == n)
                    && !params.iter().any(|p| {
                        p.name == n && matches!(p.kind, ParamKind::Normal | ParamKind::KeywordOnly)
                    })
            })
        })
        .collect()
}
